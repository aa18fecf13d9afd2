"""Pictures of results: ground truth beside predictions."""
from .results import (DEFAULT_SCORE_THR, VisualizationSummary,
                      build_visualizer, draw_gt_and_predictions,
                      load_ground_truth, load_predictions, visualize_results)

__all__ = [
    'DEFAULT_SCORE_THR', 'VisualizationSummary', 'build_visualizer',
    'draw_gt_and_predictions', 'load_ground_truth', 'load_predictions',
    'visualize_results'
]
