"""The report's figures: matplotlib on an Agg canvas, as PNG data URIs.

No pyplot and no GUI backend: each figure is a :class:`Figure` of its
own, so that reports can be drawn in worker processes and threads.
"""
import base64
import io
from typing import Optional, Sequence

import numpy as np

from ...evaluation.functional.froc import FROC_FP_GRID
from ...metainfo import SPINEXR_PALETTE


def new_figure(width: float = 6., height: float = 4.5):
    """A matplotlib Figure on an Agg canvas (no pyplot, no GUI backend)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    fig = Figure(figsize=(width, height), dpi=90)
    FigureCanvasAgg(fig)
    return fig


def figure_data_uri(fig) -> str:
    """The figure as a PNG data URI."""
    buf = io.BytesIO()
    fig.savefig(buf, format='png', bbox_inches='tight')
    return 'data:image/png;base64,' + base64.b64encode(
        buf.getvalue()).decode('ascii')


def _label_axes(ax,
                title: str,
                xlabel: str,
                ylabel: str,
                legend: Optional[str] = None,
                grid: bool = True,
                **limits) -> None:
    """Title, axis labels and ``limits`` (xlim, ylim) of ``ax``; with
    ``legend`` (where it goes), a small legend over a light grid."""
    ax.set(title=title, xlabel=xlabel, ylabel=ylabel, **limits)
    if legend:
        if grid:
            ax.grid(alpha=.3)
        ax.legend(fontsize=7, loc=legend)


def colour(k: int) -> tuple:
    """Colour of class ``k`` for matplotlib (the palette, cycled)."""
    r, g, b = SPINEXR_PALETTE[k % len(SPINEXR_PALETTE)]
    return (r / 255, g / 255, b / 255)


def plot_pr_curves(pr: dict):
    """Precision against recall at IoU 0.5, one line per class."""
    fig = new_figure()
    ax = fig.add_subplot()
    for k, name in enumerate(pr['classes']):
        if pr['num_gts'][k] == 0:
            continue
        ax.plot(
            pr['recall'],
            np.clip(pr['precision'][k], 0, None),
            c=colour(k),
            lw=1.8,
            label=f'{name} (AP50 {100 * pr["ap50"][k]:.1f})')
    _label_axes(
        ax,
        'Precision-recall at IoU 0.5',
        'recall',
        'precision',
        'lower left',
        xlim=(0, 1),
        ylim=(0, 1.02))
    return fig


def plot_froc(froc: dict):
    """Sensitivity against mean FPs per image (log2 axis, 1/8 to 8)."""
    fig = new_figure()
    ax = fig.add_subplot()
    for k, (name, res) in enumerate(froc.items()):
        curve = res['curve']
        if not curve.num_lesions:
            continue
        overall = name == 'overall'
        # extend the last point to the right edge: the sensitivity stays
        fps = np.r_[curve.fps, max(FROC_FP_GRID[-1], curve.fps[-1])]
        sens = np.r_[curve.sensitivity, curve.sensitivity[-1]]
        ax.step(
            np.clip(fps, FROC_FP_GRID[0] / 2, None),
            sens,
            where='post',
            c='black' if overall else colour(k),
            lw=2.6 if overall else 1.4,
            label=f'{name} ({curve.num_lesions} lesions)')
    ax.set_xscale('log', base=2)
    ax.set_xticks(FROC_FP_GRID)
    ax.set_xticklabels([f'{x:g}' for x in FROC_FP_GRID])
    _label_axes(
        ax,
        'FROC (IoU 0.5)',
        'mean false positives per image',
        'lesion sensitivity',
        'upper left',
        xlim=(FROC_FP_GRID[0], FROC_FP_GRID[-1]),
        ylim=(0, 1.02))
    return fig


def _heatmap(ax,
             values,
             xlabels,
             ylabels,
             fmt=str,
             cmap='viridis',
             labels=None,
             dark=None,
             fontsize=6):
    """Shade ``values`` and write in each cell ``labels[i, j]`` (default
    ``fmt(values[i, j])``), in white where ``dark`` (default: below the
    middle of the finite values)."""
    im = ax.imshow(values, cmap=cmap, aspect='auto')
    ax.set_xticks(range(len(xlabels)))
    ax.set_xticklabels(xlabels, rotation=45, ha='right', fontsize=7)
    ax.set_yticks(range(len(ylabels)))
    ax.set_yticklabels(ylabels, fontsize=7)
    if dark is None:
        finite = values[np.isfinite(values)]
        dark = values < ((finite.max() + finite.min()) /
                         2 if finite.size else 0)
    for i in range(values.shape[0]):
        for j in range(values.shape[1]):
            ax.text(
                j,
                i,
                fmt(values[i, j]) if labels is None else labels[i][j],
                ha='center',
                va='center',
                fontsize=fontsize,
                color='white' if dark[i, j] else 'black')
    return im


def plot_confusion(matrix: np.ndarray, classes: Sequence[str],
                   score_thr: float):
    """Counts, shaded by share of each ground-truth row."""
    names = list(classes) + ['background']
    rows = matrix.sum(axis=1, keepdims=True)
    share = matrix / np.maximum(rows, 1)
    fig = new_figure(6.5, 5.5)
    ax = fig.add_subplot()
    im = _heatmap(
        ax,
        share,
        names,
        names,
        labels=matrix.astype(str),
        dark=share < .5,
        fontsize=7)
    fig.colorbar(im, ax=ax, label='share of row')
    _label_axes(ax, f'Confusion at IoU 0.5, score >= {score_thr:g}',
                'prediction', 'ground truth')
    return fig


def plot_roc_band(roc: dict):
    """Classifier ROC, bootstrap band and Youden operating point."""
    fig = new_figure(5, 5)
    ax = fig.add_subplot()
    ax.fill_between(
        roc['grid'],
        roc['lo'],
        roc['hi'],
        step='post',
        alpha=.25,
        label='95% bootstrap band')
    ax.plot(roc['fpr'], roc['tpr'], lw=2, label=f'AUROC {roc["auroc"]:.4f}')
    ax.plot([0, 1], [0, 1], ls='--', c='grey', lw=1)
    ax.plot(
        roc['op_fpr'],
        roc['op_tpr'],
        'o',
        c='red',
        label=f'Youden threshold {roc["threshold"]:.3f}')
    _label_axes(
        ax,
        'Classifier ROC (abnormal vs normal)',
        '1 - specificity',
        'sensitivity',
        'lower right',
        grid=False,
        xlim=(0, 1),
        ylim=(0, 1.01))
    return fig


def plot_sweep(grid: np.ndarray, c_grid: Sequence[float],
               k_grid: Sequence[float], baseline: float):
    """mAP@0.5 (%) of the decision rule over the c x k grid."""
    fig = new_figure(6, 7)
    ax = fig.add_subplot()
    im = _heatmap(
        ax,
        100 * grid, [f'{k:g}' for k in k_grid], [f'{c:g}' for c in c_grid],
        lambda v: f'{v:.1f}',
        cmap='magma')
    fig.colorbar(im, ax=ax, label='mAP@0.5 (%)')
    _label_axes(ax,
                f'Decision rule sweep; detector alone {100 * baseline:.2f}',
                'k (box score kept on images called normal)',
                'c (classifier threshold)')
    return fig


__all__ = [
    'figure_data_uri', 'new_figure', 'plot_confusion', 'plot_froc',
    'plot_pr_curves', 'plot_roc_band', 'plot_sweep'
]
