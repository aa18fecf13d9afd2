"""Pictures of results: ground truth beside predictions, reports, and
data set figures."""
from .dataset_stats import plot_dataset_stats
from .report import Report, build_report, load_report_detections, write_report
from .results import (VisualizationSummary, build_visualizer,
                      draw_gt_and_predictions, load_ground_truth,
                      load_predictions, visualize_results)

__all__ = [
    'Report', 'VisualizationSummary', 'build_report', 'build_visualizer',
    'draw_gt_and_predictions', 'load_ground_truth', 'load_predictions',
    'load_report_detections', 'plot_dataset_stats', 'visualize_results',
    'write_report'
]
