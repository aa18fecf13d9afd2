"""A self-contained HTML evaluation report of a detection run.

One file: tables, figures as PNG data URIs drawn with matplotlib's Agg
canvas, thumbnails as JPEG data URIs, and an inline style sheet. Nothing is
fetched when it is opened (no scripts, no external links).

Computations live in :mod:`mmspine.evaluation.functional` (PR curves, FROC,
confusion matrix, ROC band) and :mod:`mmspine.fusion` (the decision-rule
sweep); this module gathers them and draws.
"""
import base64
import datetime
import hashlib
import html
import io
import json
import os
import os.path as osp
import subprocess
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np
from scipy.special import expit

from ..annotations.dataset_stats import SplitStats, class_order
from ..evaluation.functional.binary_classification import load_cls_predictions
from ..evaluation.functional.coco_ap import category_ids, dump_to_coco_results
from ..evaluation.functional.confusion import detection_confusion_matrix
from ..evaluation.functional.froc import (FROC_FP_GRID, FROC_REPORT_FPS,
                                          coco_to_image_boxes, froc_analysis,
                                          match_all)
from ..evaluation.functional.pr_curve import as_coco, coco_pr_curves
from ..evaluation.functional.roc_band import roc_with_band
from ..evaluation.paper_results import PAPER_AP50, PAPER_SOURCE
from ..fileio import atomic_write
from ..metainfo import SPINEXR_PALETTE
from ..version import __version__

#: Figures every report has; 'roc', 'sweep' and 'dataset_*' are optional.
DETECTION_FIGURES = ('pr', 'froc', 'confusion')
#: Paper rows shown beside a run by default.
DEFAULT_PAPER_ROWS = ('Sparse R-CNN (Table 5)',
                      'Sparse R-CNN + decision rule (Table 5)',
                      'Faster R-CNN (Table 4)')

_STYLE = """
body{font-family:sans-serif;margin:24px;color:#222;max-width:1200px}
h1{font-size:22px}h2{font-size:18px;border-bottom:1px solid #ccc;
margin-top:28px}table{border-collapse:collapse;margin:8px 0;font-size:13px}
td,th{border:1px solid #bbb;padding:3px 8px;text-align:right}
th{background:#eee}td:first-child,th:first-child{text-align:left}
figure{display:inline-block;margin:6px;vertical-align:top}
figcaption{font-size:12px;color:#444;max-width:480px}
figure.thumb figcaption{max-width:190px;overflow-wrap:anywhere}
table.facts td{text-align:left}
img.fig{max-width:100%}.note{font-size:12px;color:#555}
.headline{font-size:18px}.headline b{font-size:24px}
"""

# --------------------------------------------------------------------------
# inputs


def _findings_to_coco(data: dict, coco, path: str) -> List[dict]:
    """``tools/infer.py`` findings -> COCO result dicts on the PNG grid."""
    images = {
        osp.splitext(osp.basename(img['file_name']))[0]: img
        for img in coco.dataset['images']
    }
    cat_by_name = {c['name']: c['id'] for c in coco.dataset['categories']}
    cat_ids = [c['id'] for c in coco.dataset['categories']]
    dets = []
    for n, item in enumerate(data['results']):
        stem = str(item.get('image_id'))
        if stem not in images:
            raise KeyError(f'{path}: results[{n}] image_id {stem!r} is not '
                           'in the annotation file')
        img = images[stem]
        try:
            sx = img['width'] / float(item['columns'])
            sy = img['height'] / float(item['rows'])
        except (KeyError, TypeError, ZeroDivisionError) as e:
            raise ValueError(f'{path}: results[{n}] ({stem}) needs positive '
                             f'"rows" and "columns": {e!r}') from None
        for m, f in enumerate(item.get('findings', [])):
            name = f.get('lesion_type')
            label = f.get('label')
            if name is None and isinstance(label, str):
                name = label
            if name is not None:
                if name not in cat_by_name:
                    raise KeyError(f'{path}: results[{n}].findings[{m}]: '
                                   f'unknown lesion type {name!r}')
                cat = cat_by_name[name]
            else:
                cat = cat_ids[int(label)]
            x1, y1, x2, y2 = map(float, f['bbox'])
            dets.append(
                dict(
                    image_id=img['id'],
                    category_id=cat,
                    bbox=[x1 * sx, y1 * sy, (x2 - x1) * sx, (y2 - y1) * sy],
                    score=float(f['score'])))
    return dets


def load_report_detections(path: str,
                           coco,
                           classes: Optional[Sequence[str]] = None
                           ) -> Tuple[List[dict], Dict[int, str]]:
    """Detections of a run as COCO result dicts, and image paths if known.

    Args:
        path (str): ``tools/test.py --out`` pickle, a COCO results JSON, or
            ``tools/infer.py`` findings (a JSON with ``results``).
        coco: Ground truth (pycocotools COCO).
        classes (Sequence[str], optional): Label order of a pickle; default
            the annotation file's categories.

    Returns:
        tuple: the detections and COCO image id -> image path (from the
        pickle's ``img_path``; empty otherwise).
    """
    if classes is None:
        classes = [c['name'] for c in coco.dataset['categories']]
    if path.endswith('.json'):
        with open(path) as f:
            data = json.load(f)
        if isinstance(data, dict):
            if 'results' not in data:
                raise KeyError(f'{path}: a JSON object needs "results" '
                               '(tools/infer.py findings)')
            return _findings_to_coco(data, coco, path), {}
        if not isinstance(data, list):
            raise ValueError(f'{path}: expected a list of COCO results')
        return data, {}
    if not path.endswith(('.pkl', '.pickle')):
        raise ValueError(f'{path}: expected a .pkl or .json file')
    return dump_to_coco_results(path, category_ids(coco.dataset, classes))


# --------------------------------------------------------------------------
# figures


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


def _colour(k: int) -> tuple:
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
            c=_colour(k),
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
            c='black' if overall else _colour(k),
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


def plot_dataset_stats(stats: Sequence[SplitStats]) -> Dict[str, object]:
    """Figures of :func:`mmspine.annotations.dataset_stats`, by name."""
    kinds = class_order(stats)
    figs = {}
    fig = new_figure(7, 4.5)
    ax = fig.add_subplot()
    width = .8 / max(len(stats), 1)
    for n, s in enumerate(stats):
        ax.bar(
            np.arange(len(kinds)) + n * width,
            [s.class_counts.get(k, 0) for k in kinds],
            width,
            label=s.name)
    ax.set_xticks(np.arange(len(kinds)) + width * (len(stats) - 1) / 2)
    ax.set_xticklabels(kinds, rotation=45, ha='right', fontsize=7)
    ax.set_yscale('symlog')
    ax.set(ylabel='boxes', title='Boxes per lesion type')
    ax.legend(fontsize=8)
    figs['dataset_classes'] = fig

    fig = new_figure(6, 4)
    ax = fig.add_subplot()
    top = max([int(s.boxes_per_image.max(initial=0)) for s in stats] + [1])
    for s in stats:
        ax.hist(
            s.boxes_per_image,
            bins=np.arange(top + 2) - .5,
            alpha=.6,
            label=f'{s.name} ({100 * s.normal_share:.0f}% No finding)')
    ax.set(xlabel='boxes per image', ylabel='images', title='Boxes per image')
    ax.legend(fontsize=8)
    figs['dataset_boxes_per_image'] = fig

    fig = new_figure(10, 4)
    ax_size, ax_aspect = fig.add_subplot(1, 2, 1), fig.add_subplot(1, 2, 2)
    sizes: Dict[str, list] = {}
    for s in stats:
        for k, wh in s.box_sizes.items():
            sizes.setdefault(k, []).append(wh)
    for n, k in enumerate(kinds):
        if k not in sizes:
            continue
        wh = np.concatenate(sizes[k])
        wh = wh[(wh > 0).all(axis=1)]
        if not len(wh):
            continue
        c = _colour(n)
        ax_size.hist(
            np.sqrt(wh.prod(axis=1)),
            bins=30,
            histtype='step',
            color=c,
            label=k)
        ax_aspect.hist(
            np.log2(wh[:, 0] / wh[:, 1]), bins=30, histtype='step', color=c)
    ax_size.set(xlabel='sqrt(box area), px', ylabel='boxes', title='Box size')
    ax_aspect.set(
        xlabel='log2(width / height)', ylabel='boxes', title='Box aspect')
    ax_size.legend(fontsize=6)
    figs['dataset_box_shapes'] = fig

    if any(len(s.image_sizes) for s in stats):
        fig = new_figure(5, 4)
        ax = fig.add_subplot()
        for s in stats:
            if len(s.image_sizes):
                ax.scatter(*s.image_sizes.T, s=6, alpha=.5, label=s.name)
        ax.set(xlabel='width, px', ylabel='height, px', title='Image sizes')
        ax.legend(fontsize=8)
        figs['dataset_image_sizes'] = fig
    return figs


# --------------------------------------------------------------------------
# gallery


@dataclass
class GalleryItem:
    """One thumbnail: an image region, what is wrong and the boxes."""
    kind: str  # 'false positive' or 'missed lesion'
    image_id: int
    box: np.ndarray  # xyxy of the highlighted box
    caption: str
    rank: float


def gallery_items(gts,
                  dets,
                  classes,
                  score_thr: float = 0.5,
                  num: int = 12) -> List[GalleryItem]:
    """The worst false positives and the missed lesions.

    Matching as in FROC (class-aware, IoU 0.5, all detections). False
    positives: unmatched detections, highest score first. Missed lesions:
    lesions whose matched detection scores below ``score_thr`` or that
    nothing matched, lowest matched score first, larger lesions first
    among equals.
    """
    matches = match_all(gts, dets)
    fps, misses = [], []
    for img, gt in gts.items():
        det = dets.get(img)
        hit = np.zeros(len(gt.labels))
        if det is not None and len(det.labels):
            m = matches[img]
            for d in np.flatnonzero(m < 0):
                fps.append(
                    GalleryItem(
                        'false positive', img, det.boxes[d],
                        f'{classes[det.labels[d]]} {det.scores[d]:.2f}',
                        -float(det.scores[d])))
            for d in np.flatnonzero(m >= 0):
                hit[m[d]] = det.scores[d]
        for g in np.flatnonzero(hit < score_thr):
            w, h = gt.boxes[g, 2:] - gt.boxes[g, :2]
            found = f'found at {hit[g]:.2f}' if hit[g] else 'not found'
            misses.append(
                GalleryItem('missed lesion', img, gt.boxes[g],
                            f'{classes[gt.labels[g]]}, {found}',
                            hit[g] - 1e-9 * w * h))
    fps.sort(key=lambda x: x.rank)
    misses.sort(key=lambda x: x.rank)
    return fps[:num] + misses[:num]


def thumbnail(image: np.ndarray,
              item: GalleryItem,
              gt,
              det,
              score_thr: float,
              size: int = 180,
              quality: int = 70) -> str:
    """A JPEG data URI of the region around ``item.box``.

    Ground truth in green, detections scoring ``>= min(score_thr, the
    highlighted one)`` in orange, the highlighted box thick.
    """
    h, w = image.shape[:2]
    x1, y1, x2, y2 = item.box
    side = max(3 * max(x2 - x1, y2 - y1), 48)
    cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
    l, t = int(max(cx - side / 2, 0)), int(max(cy - side / 2, 0))
    r, b = int(min(cx + side / 2, w)), int(min(cy + side / 2, h))
    crop = image[t:max(b, t + 1), l:max(r, l + 1)]
    scale = size / max(crop.shape[:2])
    crop = cv2.resize(
        crop,
        None,
        fx=scale,
        fy=scale,
        interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
    if crop.ndim == 2:
        crop = cv2.cvtColor(crop, cv2.COLOR_GRAY2BGR)

    def draw(box, colour, thickness):
        p = ((np.asarray(box) - [l, t, l, t]) * scale).round().astype(int)
        cv2.rectangle(crop, tuple(p[:2]), tuple(p[2:]), colour, thickness)

    for box in gt.boxes:
        draw(box, (0, 200, 0), 1)
    if det is not None:
        thr = min(score_thr, -item.rank) if item.kind == 'false positive' \
            else score_thr
        for box, s in zip(det.boxes, det.scores):
            if s >= thr:
                draw(box, (0, 140, 255), 1)
    draw(item.box, (0, 0, 255) if item.kind == 'false positive' else
         (0, 255, 0), 2)
    ok, buf = cv2.imencode('.jpg', crop, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise RuntimeError('JPEG encoding failed')
    return 'data:image/jpeg;base64,' + base64.b64encode(
        buf.tobytes()).decode('ascii')


# --------------------------------------------------------------------------
# run facts


def sha256_of(path: str) -> str:
    """Hex SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        for chunk in iter(lambda: f.read(1 << 20), b''):
            digest.update(chunk)
    return digest.hexdigest()


def git_commit() -> str:
    """Commit of the mmspine checkout ('+dirty' if modified), or 'unknown'."""
    root = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
    try:
        commit = subprocess.run(['git', 'rev-parse', 'HEAD'],
                                cwd=root,
                                capture_output=True,
                                text=True,
                                timeout=10,
                                check=True).stdout.strip()
        dirty = subprocess.run(['git', 'status', '--porcelain', '-uno'],
                               cwd=root,
                               capture_output=True,
                               text=True,
                               timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return 'unknown'
    return commit + ('+dirty' if dirty else '')


# --------------------------------------------------------------------------
# the report


@dataclass
class Report:
    """What :func:`build_report` computed, and the HTML.

    Attributes:
        html (str): The document.
        figures (list): Names of the figures it holds (``data-figure``).
        metrics (dict): Headline numbers.
    """
    html: str
    figures: List[str] = field(default_factory=list)
    metrics: Dict[str, float] = field(default_factory=dict)


def _table(rows: Sequence[Sequence],
           header: bool = True,
           css_class: str = '') -> str:
    out = [f'<table class="{css_class}">' if css_class else '<table>']
    for n, row in enumerate(rows):
        tag = 'th' if header and n == 0 else 'td'
        out.append('<tr>' + ''.join(f'<{tag}>{html.escape(str(c))}</{tag}>'
                                    for c in row) + '</tr>')
    out.append('</table>')
    return '\n'.join(out)


def _pct(v: float) -> str:
    return '-' if v is None or not np.isfinite(v) else f'{100 * v:.2f}'


def build_report(ann_file: str,
                 detections: Sequence[dict],
                 image_paths: Optional[Dict[int, str]] = None,
                 image_root: Optional[str] = None,
                 cls_predictions: Optional[str] = None,
                 sweep: bool = False,
                 c_grid: Optional[Sequence[float]] = None,
                 k_grid: Optional[Sequence[float]] = None,
                 stats: Optional[Sequence[SplitStats]] = None,
                 config: Optional[str] = None,
                 checkpoint: Optional[str] = None,
                 predictions_file: Optional[str] = None,
                 paper_rows: Sequence[str] = DEFAULT_PAPER_ROWS,
                 score_thr: float = 0.5,
                 fp_rates: Sequence[float] = FROC_REPORT_FPS,
                 gallery_size: int = 12,
                 num_bootstrap: int = 1000,
                 title: str = 'mmspine evaluation report') -> Report:
    """Compute everything and render the HTML.

    Args:
        ann_file (str): COCO ground truth.
        detections (Sequence[dict]): COCO result dicts (see
            :func:`load_report_detections`).
        image_paths (dict, optional): COCO image id -> image file, for the
            gallery; else ``image_root`` joined with ``file_name``.
        image_root (str, optional): Image folder. Defaults to
            ``<data root>/<split>_images`` beside ``annotations/<split>.json``.
        cls_predictions (str, optional): Classifier predictions CSV
            (``SpineXRClsMetric`` / ``tools/ensemble_cls.py``): adds the ROC.
        sweep (bool): With ``cls_predictions``, also sweep the decision rule
            over c x k (one COCOeval per cell).
        c_grid, k_grid (Sequence[float], optional): The sweep's grids;
            default those of :func:`mmspine.fusion.sweep_decision_rule`.
        stats (Sequence[SplitStats], optional): Data set statistics to add.
        config (str, optional): Config file of the run, for the facts.
        checkpoint (str, optional): Checkpoint, hashed for the facts.
        predictions_file (str, optional): Named in the facts.
        paper_rows (Sequence[str]): Rows of :data:`PAPER_AP50` shown beside
            the run; () for none.
        score_thr (float): Operating score of the confusion matrix and of
            'missed' in the gallery. Defaults to 0.5.
        fp_rates (Sequence[float]): FROC table columns.
        gallery_size (int): Thumbnails of each kind; 0 for no gallery.
        num_bootstrap (int): Resamples of the ROC band.
        title (str): Page title.
    """
    coco = as_coco(ann_file)
    cats = coco.dataset['categories']
    cat_ids = [c['id'] for c in cats]
    classes = [c['name'] for c in cats]
    detections = list(detections)
    report = Report('')
    body: List[str] = []

    def add_figure(name: str, fig, caption: str = '') -> None:
        report.figures.append(name)
        body.append(f'<figure><img class="fig" data-figure="{name}" '
                    f'alt="{name}" src="{figure_data_uri(fig)}">'
                    f'<figcaption>{html.escape(caption)}</figcaption>'
                    '</figure>')

    # detection: AP, PR, FROC, confusion
    pr = coco_pr_curves(coco, detections, cat_ids=cat_ids)
    valid = pr['num_gts'] > 0
    map50 = float(np.mean(pr['ap50'][valid])) if valid.any() else np.nan
    map_ = float(np.mean(pr['ap'][valid])) if valid.any() else np.nan
    gts, dets = coco_to_image_boxes(coco.dataset, detections, cat_ids)
    froc = froc_analysis(gts, dets, classes, fp_rates)
    overall = froc['overall']
    report.metrics.update({
        'bbox_mAP_50': map50,
        'bbox_mAP': map_
    }, **{
        f'froc_sens@{r:g}fp': float(v)
        for r, v in overall['sensitivity'].items()
    })
    body.append('<h2>Detection</h2>')
    body.append(f'<p class="headline">mAP@0.5 <b>{_pct(map50)}</b> &nbsp; '
                f'mAP@[0.2:0.5] <b>{_pct(map_)}</b> &nbsp; FROC sensitivity '
                f'at 1 FP/image <b>{_pct(overall["sensitivity"].get(1.))}'
                '</b></p>')
    paper = [PAPER_AP50[r] for r in paper_rows]
    header = ['class', 'lesions', 'AP50', 'AP[.2:.5]'
              ] + [f'paper: {r}' for r in paper_rows]
    rows = [header]
    for k, name in enumerate(classes):
        rows.append([
            name,
            int(pr['num_gts'][k]),
            _pct(pr['ap50'][k]),
            _pct(pr['ap'][k])
        ] + [f'{p[name]:.2f}' if name in p else '-' for p in paper])
    rows.append(
        ['mean', int(pr['num_gts'].sum()),
         _pct(map50),
         _pct(map_)] + [f'{p["mAP"]:.2f}' for p in paper])
    body.append(_table(rows))
    if paper_rows:
        body.append(f'<p class="note">Paper columns: AP@0.5 (%) from '
                    f'{html.escape(PAPER_SOURCE)}; for orientation only, not '
                    'measured on this data.</p>')
    add_figure(
        'pr', plot_pr_curves(pr),
        'Per-class precision-recall at IoU 0.5 (COCOeval, 101 '
        'recall points).')
    body.append('<h2>FROC</h2>')
    add_figure(
        'froc', plot_froc(froc),
        'Lesion sensitivity against mean false positives per image '
        '(all images), class-aware greedy matching at IoU 0.5.')
    rows = [['class', 'lesions'] + [f'{r:g} FP/img'
                                    for r in fp_rates] + ['mean 1/8..8']]
    for name, res in froc.items():
        rows.append([name, res['curve'].num_lesions] +
                    [_pct(v) for v in res['sensitivity'].values()] +
                    [_pct(res['mean_sensitivity'])])
    body.append(_table(rows))
    body.append('<p class="note">Sensitivity (%) read as a step: that of '
                'the loosest score threshold whose mean false positives per '
                'image do not exceed the rate.</p>')
    matrix = detection_confusion_matrix(gts, dets, len(classes), score_thr)
    body.append('<h2>Confusion matrix</h2>')
    add_figure(
        'confusion', plot_confusion(matrix, classes, score_thr),
        'Rows: ground truth; columns: prediction; background row = '
        'false alarms, background column = missed lesions.')

    # classifier
    if cls_predictions:
        ids, logits, labels = load_cls_predictions(cls_predictions)
        probs = expit(logits)
        roc = roc_with_band(labels, probs, num_bootstrap)
        report.metrics['cls_auroc'] = roc['auroc']
        body.append('<h2>Classifier</h2>')
        body.append(f'<p>{len(ids)} images, {int(labels.sum())} abnormal; '
                    f'AUROC {roc["auroc"]:.4f}; at the Youden threshold '
                    f'{roc["threshold"]:.4f}: sensitivity '
                    f'{roc["op_tpr"]:.4f}, specificity '
                    f'{1 - roc["op_fpr"]:.4f}.</p>')
        add_figure('roc', plot_roc_band(roc),
                   f'{num_bootstrap} bootstrap resamples of the images.')
        if sweep:
            from ..fusion.decision_rule import (DEFAULT_C_GRID, DEFAULT_K_GRID,
                                                DetectionEvaluator,
                                                probs_by_coco_id,
                                                sweep_decision_rule)
            evaluator = DetectionEvaluator(ann_file)
            abnormal = probs_by_coco_id(evaluator.coco, ids, probs)
            c_grid = tuple(c_grid or DEFAULT_C_GRID)
            k_grid = tuple(k_grid or DEFAULT_K_GRID)
            (c, k, best), grid = sweep_decision_rule(evaluator, detections,
                                                     abnormal, c_grid, k_grid)
            body.append('<h2>Decision rule sweep</h2>')
            body.append(f'<p>Best c = {c:g}, k = {k:g}: mAP@0.5 '
                        f'{_pct(best)} (detector alone {_pct(map50)}). Tune '
                        'on a validation split, not on the test set.</p>')
            add_figure(
                'sweep', plot_sweep(grid, c_grid, k_grid, map50),
                'Keep all boxes of images with p(abnormal) >= c, '
                'else boxes scoring >= k.')

    # gallery
    if gallery_size:
        body.append('<h2>Worst false positives and missed lesions</h2>')
        body.append('<p class="note">Green: ground truth; orange: '
                    f'detections (score >= {score_thr:g}); thick red: the '
                    'false positive; thick green: the missed lesion.</p>')
        images = {img['id']: img for img in coco.dataset['images']}
        if image_root is None:
            split = osp.splitext(osp.basename(ann_file))[0]
            image_root = osp.join(
                osp.dirname(osp.dirname(osp.abspath(ann_file))),
                f'{split}_images')
        loaded: Dict[int, Optional[np.ndarray]] = {}
        shown = 0
        for item in gallery_items(gts, dets, classes, score_thr, gallery_size):
            path = (image_paths or {}).get(item.image_id) or osp.join(
                image_root, images[item.image_id]['file_name'])
            if item.image_id not in loaded:
                loaded[item.image_id] = cv2.imread(path, cv2.IMREAD_COLOR)
            image = loaded[item.image_id]
            if image is None:
                body.append(f'<p class="note">{html.escape(path)}: cannot '
                            'read the image; thumbnail left out.</p>')
                continue
            uri = thumbnail(image, item, gts[item.image_id],
                            dets.get(item.image_id), score_thr)
            name = osp.basename(images[item.image_id]['file_name'])
            body.append(
                f'<figure class="thumb"><img data-thumb="{item.kind}" '
                f'src="{uri}" alt="{item.kind}"><figcaption>{item.kind}: '
                f'{html.escape(item.caption)}<br>{html.escape(name)}'
                '</figcaption></figure>')
            shown += 1
        if not shown:
            body.append('<p>Nothing to show.</p>')

    # data set
    if stats:
        body.append('<h2>Data set</h2>')
        from ..annotations.dataset_stats import format_dataset_stats
        body.append('<pre>' + html.escape(format_dataset_stats(stats)) +
                    '</pre>')
        for name, fig in plot_dataset_stats(stats).items():
            add_figure(name, fig)

    # run facts
    facts = [
        [
            'date (UTC)',
            datetime.datetime.now(datetime.timezone.utc).isoformat(
                'T', 'seconds')
        ],
        ['mmspine', f'{__version__} (git {git_commit()})'],
        ['annotations', osp.abspath(ann_file)],
        [
            'predictions',
            osp.abspath(predictions_file) if predictions_file else '-'
        ],
        ['config', osp.abspath(config) if config else '-'],
        ['checkpoint',
         osp.abspath(checkpoint) if checkpoint else '-'],
        [
            'checkpoint sha256',
            sha256_of(checkpoint)
            if checkpoint and osp.isfile(checkpoint) else '-'
        ],
        ['images', len(coco.dataset['images'])],
        [
            'images without lesions',
            sum(len(g.labels) == 0 for g in gts.values())
        ],
        ['lesions (boxes)', int(pr['num_gts'].sum())],
        ['detections', len(detections)],
        ['classifier predictions', cls_predictions or '-'],
    ]
    body.append('<h2>Run</h2>')
    body.append(_table([['fact', 'value']] + facts, css_class='facts'))
    report.html = ('<!DOCTYPE html>\n<html lang="en"><head><meta '
                   'charset="utf-8"><title>' + html.escape(title) +
                   '</title><style>' + _STYLE + '</style></head><body>'
                   f'<h1>{html.escape(title)}</h1>\n' + '\n'.join(body) +
                   '\n</body></html>\n')
    return report


def write_report(out_file: str, predictions: str, ann_file: str,
                 **kwargs) -> Report:
    """Load a run's predictions, build the report and write it atomically.

    Args:
        out_file (str): The HTML file.
        predictions (str): ``tools/test.py --out`` pickle, COCO results JSON
            or ``tools/infer.py`` findings JSON.
        ann_file (str): COCO ground truth.
        **kwargs: Passed to :func:`build_report`.
    """
    coco = as_coco(ann_file)
    dets, paths = load_report_detections(predictions, coco)
    kwargs.setdefault('image_paths', paths)
    report = build_report(
        ann_file, dets, predictions_file=predictions, **kwargs)
    os.makedirs(osp.dirname(osp.abspath(out_file)), exist_ok=True)
    with atomic_write(out_file, encoding='utf-8') as f:
        f.write(report.html)
    return report


__all__ = [
    'DETECTION_FIGURES', 'GalleryItem', 'Report', 'build_report',
    'figure_data_uri', 'gallery_items', 'git_commit', 'load_report_detections',
    'plot_confusion', 'plot_dataset_stats', 'plot_froc', 'plot_pr_curves',
    'plot_roc_band', 'plot_sweep', 'sha256_of', 'thumbnail', 'write_report'
]
