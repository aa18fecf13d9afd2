"""Pictures of results: ground truth beside predictions, and reports."""
from .report import (Report, build_report, load_report_detections,
                     plot_dataset_stats, write_report)
from .results import (DEFAULT_SCORE_THR, VisualizationSummary,
                      build_visualizer, draw_gt_and_predictions,
                      load_ground_truth, load_predictions, visualize_results)

__all__ = [
    'DEFAULT_SCORE_THR', 'Report', 'VisualizationSummary', 'build_report',
    'build_visualizer', 'draw_gt_and_predictions', 'load_ground_truth',
    'load_predictions', 'load_report_detections', 'plot_dataset_stats',
    'visualize_results', 'write_report'
]
