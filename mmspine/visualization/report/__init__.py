"""A self-contained HTML evaluation report of a detection run.

:mod:`.inputs` reads the run, :mod:`.figures` draws, :mod:`.gallery` cuts
thumbnails and :mod:`.html` puts them in one file.
"""
from .figures import (figure_data_uri, new_figure, plot_confusion, plot_froc,
                      plot_pr_curves, plot_roc_band, plot_sweep)
from .gallery import GalleryItem, gallery_items, thumbnail
from .html import (DEFAULT_PAPER_ROWS, DETECTION_FIGURES, Report, build_report,
                   write_report)
from .inputs import git_commit, load_report_detections

__all__ = [
    'DEFAULT_PAPER_ROWS', 'DETECTION_FIGURES', 'GalleryItem', 'Report',
    'build_report', 'figure_data_uri', 'gallery_items', 'git_commit',
    'load_report_detections', 'new_figure', 'plot_confusion', 'plot_froc',
    'plot_pr_curves', 'plot_roc_band', 'plot_sweep', 'thumbnail',
    'write_report'
]
