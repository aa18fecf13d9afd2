"""Statistics of a VinDr-SpineXR-style data set, from its CSVs or COCO JSON.

Kept free of torch and mmdet, like the converter. Figures are drawn by
:mod:`mmspine.visualization.dataset_stats`.
"""
import json
import os.path as osp
from collections import Counter
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence

import numpy as np
from terminaltables import AsciiTable

from ..metainfo import ALL_LESION_TYPES, NO_FINDING, RARE_LESION_TYPES
from .spinexr_to_coco import _read_rows


@dataclass
class SplitStats:
    """Statistics of one split.

    Attributes:
        name (str): Split name (the file stem).
        source (str): File read.
        num_images (int): Images.
        num_normal (int): Images without any lesion ('No finding').
        class_counts (Counter): Boxes per lesion type or class name.
        boxes_per_image (np.ndarray): Box count of every image.
        box_sizes (dict): Class -> (N, 2) widths and heights in pixels (of
            the PNG for COCO, of the DICOM for CSVs).
        image_sizes (np.ndarray): (N, 2) widths and heights, when known.
        invalid_rows (int): CSV rows that could not be read (left out).
    """
    name: str
    source: str
    num_images: int = 0
    num_normal: int = 0
    class_counts: Counter = field(default_factory=Counter)
    boxes_per_image: np.ndarray = field(
        default_factory=lambda: np.zeros(0, np.int64))
    box_sizes: Dict[str, np.ndarray] = field(default_factory=dict)
    image_sizes: np.ndarray = field(default_factory=lambda: np.zeros((0, 2)))
    invalid_rows: int = 0

    @property
    def num_boxes(self) -> int:
        return int(sum(self.class_counts.values()))

    @property
    def normal_share(self) -> float:
        return self.num_normal / self.num_images if self.num_images else 0.


def _from_coco(path: str, name: str) -> SplitStats:
    with open(path) as f:
        coco = json.load(f)
    for key in ('images', 'annotations', 'categories'):
        if key not in coco:
            raise KeyError(f'{path}: not a COCO file, no "{key}"')
    cat_names = {c['id']: c['name'] for c in coco['categories']}
    per_image = Counter()
    sizes: Dict[str, list] = {}
    stats = SplitStats(name, path, num_images=len(coco['images']))
    for n, ann in enumerate(coco['annotations']):
        if ann.get('category_id') not in cat_names or len(ann.get('bbox',
                                                                  ())) != 4:
            raise ValueError(f'{path}: annotation {n} (id {ann.get("id")}) '
                             'has an unknown category_id or no 4-value bbox')
        # lesion_type keeps rare types apart where the converter folded them
        kind = ann.get('lesion_type') or cat_names[ann['category_id']]
        stats.class_counts[kind] += 1
        per_image[ann['image_id']] += 1
        sizes.setdefault(kind, []).append(ann['bbox'][2:])
    stats.boxes_per_image = np.array(
        [per_image[img['id']] for img in coco['images']], dtype=np.int64)
    stats.num_normal = int(
        sum(not img.get('abnormal', per_image[img['id']] > 0)
            for img in coco['images']))
    stats.box_sizes = {k: np.asarray(v, float) for k, v in sizes.items()}
    stats.image_sizes = np.array([(img['width'], img['height'])
                                  for img in coco['images']],
                                 dtype=np.float64).reshape(-1, 2)
    return stats


def _from_csv(path: str, name: str) -> SplitStats:
    rows, problems = _read_rows(path)
    stats = SplitStats(name, path, invalid_rows=len(problems))
    per_image: Counter = Counter()
    sizes: Dict[str, list] = {}
    images = []
    for row in rows:
        if row.image_id not in per_image:
            images.append(row.image_id)
            per_image[row.image_id] += 0
        if row.lesion_type == NO_FINDING or row.box is None:
            continue
        stats.class_counts[row.lesion_type] += 1
        per_image[row.image_id] += 1
        x1, y1, x2, y2 = row.box
        sizes.setdefault(row.lesion_type, []).append((x2 - x1, y2 - y1))
    stats.num_images = len(images)
    stats.boxes_per_image = np.array([per_image[i] for i in images],
                                     dtype=np.int64)
    stats.num_normal = int(np.sum(stats.boxes_per_image == 0))
    stats.box_sizes = {k: np.asarray(v, float) for k, v in sizes.items()}
    return stats


def dataset_stats(paths: Sequence[str],
                  names: Optional[Sequence[str]] = None) -> List[SplitStats]:
    """Read each split from a VinDr annotation CSV or a COCO JSON.

    Args:
        paths (Sequence[str]): ``.csv`` or ``.json`` files, one per split.
        names (Sequence[str], optional): Split names; default the stems.
    """
    names = list(names) if names else [
        osp.splitext(osp.basename(p))[0] for p in paths
    ]
    if len(names) != len(paths):
        raise ValueError(f'{len(paths)} files but {len(names)} names')
    out = []
    for path, name in zip(paths, names):
        if path.endswith('.json'):
            out.append(_from_coco(path, name))
        elif path.endswith('.csv'):
            out.append(_from_csv(path, name))
        else:
            raise ValueError(f'{path}: expected a .csv or .json file')
    return out


def class_order(stats: Sequence[SplitStats]) -> List[str]:
    """Classes present, known lesion types first in the paper's order."""
    seen = set().union(*(s.class_counts for s in stats)) if stats else set()
    known = [t for t in ALL_LESION_TYPES if t in seen]
    return known + sorted(seen - set(known))


def format_dataset_stats(stats: Sequence[SplitStats]) -> str:
    """Console tables: boxes per class and split, then per-split facts."""
    rows = [['lesion type'] + [s.name for s in stats]]
    for kind in class_order(stats):
        mark = ' (rare)' if kind in RARE_LESION_TYPES else ''
        rows.append([kind + mark] +
                    [str(s.class_counts.get(kind, 0)) for s in stats])
    rows.append(['boxes'] + [str(s.num_boxes) for s in stats])
    facts = [['split'] + [s.name for s in stats]]
    facts.append(['images'] + [str(s.num_images) for s in stats])
    facts.append(
        ['No finding'] +
        [f'{s.num_normal} ({100 * s.normal_share:.1f}%)' for s in stats])

    def describe(a: np.ndarray) -> str:
        return (f'{a.mean():.2f} / {np.median(a):g} / {a.max():g}'
                if a.size else '-')

    facts.append(['boxes per image (mean / median / max)'] +
                 [describe(s.boxes_per_image) for s in stats])
    facts.append(['boxes per abnormal image (mean)'] + [
        f'{s.boxes_per_image[s.boxes_per_image > 0].mean():.2f}' if np.
        any(s.boxes_per_image) else '-' for s in stats
    ])
    facts.append(['image size w x h (median)'] + [
        '{:g} x {:g}'.format(*np.median(s.image_sizes, axis=0)
                             ) if len(s.image_sizes) else 'n/a (CSV)'
        for s in stats
    ])
    facts.append(['rare-type boxes'] + [
        str(sum(s.class_counts.get(t, 0) for t in RARE_LESION_TYPES))
        for s in stats
    ])
    if any(s.invalid_rows for s in stats):
        facts.append(['invalid CSV rows (left out)'] +
                     [str(s.invalid_rows) for s in stats])
    table = AsciiTable(rows)
    table.inner_footing_row_border = True
    return table.table + '\n' + AsciiTable(facts).table


__all__ = [
    'SplitStats', 'class_order', 'dataset_stats', 'format_dataset_stats'
]
