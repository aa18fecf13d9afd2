"""The report as one self-contained HTML file.

Tables, figures as PNG data URIs, thumbnails as JPEG data URIs, and an
inline style sheet. Nothing is fetched when it is opened (no scripts, no
external links). Computations live in :mod:`mmspine.evaluation` (APs and
PR curves, FROC, confusion matrix, ROC band) and :mod:`mmspine.fusion` (the
decision-rule sweep); this module gathers them.
"""
import datetime
import html
import os
import os.path as osp
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence

import cv2
import numpy as np
from scipy.special import expit

from ...annotations.dataset_stats import SplitStats
from ...evaluation.detections import label_cat_ids
from ...evaluation.functional.binary_classification import load_cls_predictions
from ...evaluation.functional.coco_ap import as_coco, coco_box_eval
from ...evaluation.functional.confusion import detection_confusion_matrix
from ...evaluation.functional.froc import (FROC_REPORT_FPS,
                                           coco_to_image_boxes, froc_analysis)
from ...evaluation.functional.roc_band import roc_with_band
from ...evaluation.paper_results import PAPER_AP50, PAPER_SOURCE
from ...fileio import atomic_write, sha256_file
from ...thresholds import OPERATING_SCORE_THR
from ...version import __version__
from .figures import (figure_data_uri, plot_confusion, plot_froc,
                      plot_pr_curves, plot_roc_band, plot_sweep)
from .gallery import gallery_items, thumbnail
from .inputs import git_commit, load_report_detections

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


def build_report(
    ann_file: str,
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
    score_thr: float = OPERATING_SCORE_THR,
    fp_rates: Sequence[float] = FROC_REPORT_FPS,
    gallery_size: int = 12,
    num_bootstrap: int = 1000,
    title: str = 'mmspine evaluation report',
    classes: Optional[Sequence[str]] = None,
    problems: Sequence[str] = ()
) -> Report:
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
            'missed' in the gallery.
        fp_rates (Sequence[float]): FROC table columns.
        gallery_size (int): Thumbnails of each kind; 0 for no gallery.
        num_bootstrap (int): Resamples of the ROC band.
        title (str): Page title.
        classes (Sequence[str], optional): The detector's dataset classes,
            evaluated in the dataset's label order. Defaults to every
            category of ``ann_file``.
        problems (Sequence[str]): Results left out when reading them, one
            line each; listed in the report.
    """
    coco = as_coco(ann_file)
    cat_ids = label_cat_ids(coco, classes, ann_file)
    classes = [c['name'] for c in coco.loadCats(cat_ids)]
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
    pr = coco_box_eval(coco, detections, cat_ids=cat_ids)
    map50, map_ = pr['map50'], pr['map']
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
    if problems:
        listed = ''.join(f'<li>{html.escape(p)}</li>' for p in problems[:20])
        more = (f'<li>and {len(problems) - 20} more</li>'
                if len(problems) > 20 else '')
        body.append(f'<p class="note">{len(problems)} results left out:'
                    f'</p><ul class="note">{listed}{more}</ul>')
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
            from ...fusion.decision_rule import (DEFAULT_C_GRID,
                                                 DEFAULT_K_GRID,
                                                 DetectionEvaluator,
                                                 probs_by_coco_id,
                                                 sweep_decision_rule)
            evaluator = DetectionEvaluator(ann_file, classes=classes)
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
        from ...annotations.dataset_stats import format_dataset_stats
        # imported here: that module draws with this package's figures
        from ..dataset_stats import plot_dataset_stats
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
            sha256_file(checkpoint)
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
            or ``tools/infer.py`` findings (JSON or CSV).
        ann_file (str): COCO ground truth.
        **kwargs: Passed to :func:`build_report` (its ``classes`` also
            number a pickle's labels).
    """
    coco = as_coco(ann_file)
    dets, paths, problems = load_report_detections(predictions, coco,
                                                   kwargs.get('classes'))
    kwargs.setdefault('image_paths', paths)
    report = build_report(
        ann_file,
        dets,
        predictions_file=predictions,
        problems=problems,
        **kwargs)
    os.makedirs(osp.dirname(osp.abspath(out_file)), exist_ok=True)
    with atomic_write(out_file, encoding='utf-8') as f:
        f.write(report.html)
    return report


__all__ = [
    'DEFAULT_PAPER_ROWS', 'DETECTION_FIGURES', 'Report', 'build_report',
    'write_report'
]
