"""Drawing and reports."""
from .report import (Report, build_report, load_report_detections,
                     plot_dataset_stats, write_report)

__all__ = [
    'Report', 'build_report', 'load_report_detections', 'plot_dataset_stats',
    'write_report'
]
