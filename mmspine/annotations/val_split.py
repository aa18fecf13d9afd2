"""A validation split carved out of the training CSV, by study.

Checkpoints and thresholds are chosen on this split, so the test split is
read once, by the final test. Kept free of torch and mmdet, like the
converter.

* All images of a study land on the same side: views of one patient are
  too alike for one to judge a model trained on the other.
* The split is stratified by label, at study level: a study's labels are
  the detection classes of its boxes and 'No finding' when one of its
  images is normal. Each label gets about ``fraction`` of its studies in
  val, by iterative stratification (Sechidis et al., ECML PKDD 2011),
  which handles studies with several labels.
* A seed shuffles the studies first; the same seed gives the same split.

:func:`convert_with_val_split` writes, beside the training COCO JSON
(which keeps the train part only), :data:`VAL_JSON`,
:data:`CLS_TRAIN_CSV` and :data:`CLS_VAL_CSV` (the input CSV's rows of each
part, for the image-level classifier) and the record :data:`SPLIT_REPORT`.
"""
import csv
import json
import os.path as osp
from collections import Counter
from typing import (Collection, Dict, Hashable, List, Mapping, Optional,
                    Sequence, Set, Tuple)

import numpy as np

from ..fileio import atomic_write
from ..jobs import JobSummary
from ..metainfo import NO_FINDING
from .spinexr_to_coco import (AnnotationCSVError, RowProblem, _raise_problems,
                              spinexr_to_coco)

#: The validation COCO JSON, beside the training one.
VAL_JSON = 'val.json'
#: The input CSV's rows of the train part, for the classifier.
CLS_TRAIN_CSV = 'cls_train.csv'
#: The input CSV's rows of the val part, for the classifier.
CLS_VAL_CSV = 'cls_val.csv'
#: The record of the split: fraction, seed, val studies and images, counts.
SPLIT_REPORT = 'split.json'

#: Default share of the training studies that go to val.
DEFAULT_VAL_FRACTION = 0.1

SIDES = ('train', 'val')

# Group of an image without a study (skip_invalid only): the image alone.
_NO_STUDY = 'no study: '


def stratified_split(labels: Mapping[Hashable, Collection[str]],
                     fraction: float,
                     seed: int = 0,
                     label_order: Optional[Sequence[str]] = None
                     ) -> Set[Hashable]:
    """Pick about ``fraction`` of the groups, stratified by their labels.

    Iterative stratification into two folds: the label with the fewest
    groups left is dealt first, each of its groups going to the side that
    lacks most of that label (then most groups overall, then at random);
    groups without labels fill the sides up last. Every label thus gets
    close to ``fraction`` of its groups, and the rarest exactly so up to
    rounding. When rounding would pick nothing, one group is picked,
    if there are two or more.

    Args:
        labels: group (e.g. study id) -> its labels.
        fraction: share of the groups to pick, in ``[0, 1]``.
        seed: shuffles the groups before dealing; the same seed and input
            give the same split.
        label_order: ties between equally rare labels are broken in this
            order; defaults to sorted label names.

    Returns:
        set: the picked groups (the validation side).
    """
    if not 0 <= fraction <= 1:
        raise ValueError(f'fraction must be in [0, 1], got {fraction}')
    rng = np.random.default_rng(seed)
    groups = sorted(labels, key=str)
    groups = [groups[i] for i in rng.permutation(len(groups))]
    ratios = np.array([fraction, 1 - fraction])
    names = list(label_order or [])
    names += sorted({n for g in groups for n in labels[g]} - set(names))
    per_label = Counter(n for g in groups for n in set(labels[g]))
    # desired[k] of side k (0: val, 1: train), per label and overall
    want_label = {n: ratios * per_label[n] for n in names}
    want_total = ratios * len(groups)
    left = {n: [g for g in groups if n in labels[g]] for n in names}
    placed: Dict[Hashable, int] = {}

    def side_for(options: np.ndarray) -> int:
        best = np.flatnonzero(options == options.max())
        if len(best) > 1:
            totals = want_total[best]
            best = best[totals == totals.max()]
        return int(best[0] if len(best) == 1 else rng.choice(best))

    def place(group: Hashable, side: int) -> None:
        placed[group] = side
        want_total[side] -= 1
        for n in set(labels[group]):
            want_label[n][side] -= 1

    while True:
        for n in names:
            left[n] = [g for g in left[n] if g not in placed]
        todo = [n for n in names if left[n]]
        if not todo:
            break
        # the rarest label first: later labels can make up for its errors
        # less easily than it can for theirs
        name = min(todo, key=lambda n: len(left[n]))
        for group in left[name]:
            place(group, side_for(want_label[name]))
    for group in groups:
        if group not in placed:
            place(group, side_for(want_total))
    picked = {g for g, side in placed.items() if side == 0}
    if not picked and fraction > 0 and len(groups) > 1:
        # rounding left none: one group, of the fewest labels, so that a
        # small data set still has something to validate on
        picked = {min(groups, key=lambda g: len(set(labels[g])))}
    return picked


def _strip(file_name: str, suffix: str) -> str:
    return file_name[:-len(suffix)] if suffix and file_name.endswith(
        suffix) else file_name


def _group_of(image: dict) -> str:
    study = image.get('study_id') or ''
    return study if study else _NO_STUDY + image['file_name']


def image_labels(coco: dict) -> Dict[str, Set[str]]:
    """``file_name`` -> its labels: class names of its boxes, and
    'No finding' when it is normal (no lesion row at all)."""
    names = {c['id']: c['name'] for c in coco['categories']}
    labels = {
        image['file_name']:
        set() if image.get('abnormal', True) else {NO_FINDING}
        for image in coco['images']
    }
    file_names = {image['id']: image['file_name'] for image in coco['images']}
    for ann in coco['annotations']:
        labels[file_names[ann['image_id']]].add(names[ann['category_id']])
    return labels


def split_coco(coco: dict,
               val_file_names: Collection[str]) -> Tuple[dict, dict]:
    """Split a COCO dict by image into ``(train, val)``.

    Each part is numbered as if converted alone: images keep their order
    (sorted by id) with ids 1..N, annotations theirs with ids 1..M.
    """
    val_file_names = set(val_file_names)
    parts = []
    for in_val in (False, True):
        images, annotations, new_ids = [], [], {}
        for image in coco['images']:
            if (image['file_name'] in val_file_names) == in_val:
                new_ids[image['id']] = len(images) + 1
                images.append(dict(image, id=len(images) + 1))
        for ann in coco['annotations']:
            if ann['image_id'] in new_ids:
                annotations.append(
                    dict(
                        ann,
                        id=len(annotations) + 1,
                        image_id=new_ids[ann['image_id']]))
        parts.append(dict(coco, images=images, annotations=annotations))
    return parts[0], parts[1]


def _read_records(path: str) -> Tuple[List[str], List[Tuple[int, list]]]:
    """Header and ``(line, fields)`` of each non-blank record of a CSV."""
    with open(path, newline='', encoding='utf-8-sig') as f:
        reader = csv.reader(f)
        header = [h.strip() for h in next(reader, [])]
        records, end = [], reader.line_num
        for fields in reader:
            line, end = end + 1, reader.line_num
            if fields and any(s.strip() for s in fields):
                records.append((line, fields))
    return header, records


def _check_split_options(ann_csv: str, val_fraction: float) -> None:
    if not 0 < val_fraction < 1:
        raise ValueError(
            f'val_fraction must be in (0, 1), got {val_fraction}; 0 '
            f'converts without a validation split')
    stem = osp.splitext(osp.basename(ann_csv))[0].lower()
    if stem.startswith('test'):
        # The CLI's default splits; carving val out of the test split would
        # shrink it and replace the training split's val.json.
        raise ValueError(
            f'{ann_csv}: this looks like the test split; convert it with '
            f'val_fraction 0 (--val-fraction 0): the validation split comes '
            f'from train')


def convert_with_val_split(ann_csv: str,
                           out_json: str,
                           val_fraction: float = DEFAULT_VAL_FRACTION,
                           val_seed: int = 0,
                           val_out: Optional[str] = None,
                           max_errors: int = 20,
                           **options) -> JobSummary:
    """Convert a training CSV and carve a validation split out of it.

    Writes ``out_json`` (the train part), ``val_out`` (default
    :data:`VAL_JSON` beside ``out_json``; the val part, whose images stay in
    the training image folder), and beside ``out_json``
    :data:`CLS_TRAIN_CSV` and :data:`CLS_VAL_CSV` (the input's rows of each
    part, same columns) and :data:`SPLIT_REPORT`: fraction, seed, the val
    studies and images, and counts per label and side. Each part's JSON is
    what converting its CSV alone gives.

    Args:
        ann_csv: annotation CSV of the training split.
        out_json: COCO JSON of the train part.
        val_fraction: share of the studies that go to val, in ``(0, 1)``.
        val_seed: seed of the split.
        val_out: COCO JSON of the val part.
        max_errors: how many problems an error message shows.
        **options: those of :func:`spinexr_to_coco`.

    Returns:
        JobSummary: ``stats`` of the whole conversion, one row per label
        with its studies, images and boxes per side, and the files written.

    Raises:
        AnnotationCSVError: on rows :func:`spinexr_to_coco` rejects, or rows
            without a study id (the split needs it), unless
            ``skip_invalid``; then an image without a study is a group of
            its own, listed in the report.
        ValueError: on a fraction outside ``(0, 1)`` or a CSV named like
            the test split.
    """
    _check_split_options(ann_csv, val_fraction)
    skip_invalid = options.get('skip_invalid', False)
    header, records = _read_records(ann_csv)
    problems = []
    if 'study_id' in header and 'image_id' in header:
        study_at, image_at = header.index('study_id'), header.index('image_id')
        for line, fields in records:
            if len(fields) == len(header) and not fields[study_at].strip():
                problems.append(
                    RowProblem(
                        ann_csv, line, f'empty study_id on image '
                        f'{fields[image_at].strip()!r}: the validation split '
                        f'keeps each study on one side (or convert with '
                        f'val_fraction 0, --val-fraction 0)'))
    try:
        coco, stats = spinexr_to_coco(
            ann_csv, max_errors=max_errors, **options)
    except AnnotationCSVError as e:
        # one error for all bad rows; a bad header (line 1) stands alone
        if problems and all(p.line > 1 for p in e.problems):
            _raise_problems(
                ann_csv, sorted(e.problems + problems, key=lambda p: p.line),
                max_errors)
        raise
    if problems and not skip_invalid:
        _raise_problems(ann_csv, problems, max_errors)

    suffix = options.get('img_suffix', '.png')
    group_of = {
        image['file_name']: _group_of(image)
        for image in coco['images']
    }
    labels: Dict[str, Set[str]] = {g: set() for g in group_of.values()}
    for file_name, names in image_labels(coco).items():
        labels[group_of[file_name]] |= names
    label_order = [c['name'] for c in coco['categories']] + [NO_FINDING]
    val_groups = stratified_split(labels, val_fraction, val_seed, label_order)
    val_files = {f for f, g in group_of.items() if g in val_groups}
    train_coco, val_coco = split_coco(coco, val_files)

    # The classifier's CSVs: each row on its image's side. Images the
    # conversion skipped (skip_invalid) follow their first row's study.
    image_at, study_at = header.index('image_id'), header.index('study_id')
    cls_rows = {side: [] for side in SIDES}
    row_groups, left_out = {}, []
    for line, fields in records:
        image_id = fields[image_at].strip() if len(fields) == len(
            header) else ''
        if not image_id:
            left_out.append(line)
            continue
        if image_id not in row_groups:
            row_groups[image_id] = group_of.get(image_id + suffix) or (
                fields[study_at].strip() or _NO_STUDY + image_id + suffix)
        side = 'val' if row_groups[image_id] in val_groups else 'train'
        cls_rows[side].append(fields)

    out_dir = osp.dirname(out_json)
    val_out = val_out or osp.join(out_dir, VAL_JSON)
    outputs = dict(
        json=out_json,
        val=val_out,
        cls_train=osp.join(out_dir, CLS_TRAIN_CSV),
        cls_val=osp.join(out_dir, CLS_VAL_CSV),
        split=osp.join(out_dir, SPLIT_REPORT))
    for side in SIDES:
        with atomic_write(outputs[f'cls_{side}'], newline='') as f:
            writer = csv.writer(f)
            writer.writerow(header)
            writer.writerows(cls_rows[side])
    for path, part in ((val_out, val_coco), (out_json, train_coco)):
        with atomic_write(path, 'w') as f:
            json.dump(part, f)

    counts = {
        side: _part_counts(part, label_order)
        for side, part in zip(SIDES, (train_coco, val_coco))
    }
    for side in SIDES:
        counts[side]['csv_rows'] = len(cls_rows[side])
    no_study = sorted(
        _strip(g[len(_NO_STUDY):], suffix) for g in labels
        if g.startswith(_NO_STUDY))
    report = dict(
        source=osp.abspath(ann_csv),
        val_fraction=val_fraction,
        val_seed=val_seed,
        method='iterative stratification by study, on the detection '
        'classes and No finding',
        labels=label_order,
        outputs={
            k: osp.abspath(v)
            for k, v in outputs.items() if k != 'split'
        },
        counts=counts,
        val_studies=sorted(
            g for g in val_groups if not g.startswith(_NO_STUDY)),
        val_images=[
            _strip(image['file_name'], suffix) for image in val_coco['images']
        ],
        images_without_study=no_study,
        csv_lines_left_out=left_out)
    with atomic_write(outputs['split'], 'w') as f:
        json.dump(report, f, indent=1)

    rows = [
        dict(
            label=name,
            **{
                f'{side}_{what}': counts[side][what][name]
                for what in ('studies', 'images', 'boxes')
                for side in SIDES
            }) for name in label_order
    ]
    notes = stats.format().splitlines() + _format_split(report, rows, counts)
    return JobSummary(
        'spinexr2coco', notes=notes, outputs=outputs, rows=rows, stats=stats)


def _part_counts(coco: dict, label_order: Sequence[str]) -> dict:
    """Studies, images and boxes of a part, in all and per label."""
    labels = image_labels(coco)
    names = {c['id']: c['name'] for c in coco['categories']}
    per_study = {}
    for image in coco['images']:
        per_study.setdefault(_group_of(image),
                             set()).update(labels[image['file_name']])
    boxes = Counter(names[a['category_id']] for a in coco['annotations'])
    return dict(
        num_studies=len(per_study),
        num_images=len(coco['images']),
        num_boxes=len(coco['annotations']),
        studies={
            n: sum(n in s for s in per_study.values())
            for n in label_order
        },
        images={n: sum(n in s for s in labels.values())
                for n in label_order},
        boxes={n: boxes[n]
               for n in label_order})


def _format_split(report: dict, rows: List[dict], counts: dict) -> List[str]:
    train, val = counts['train'], counts['val']
    lines = [
        f'validation split (fraction {report["val_fraction"]:g}, seed '
        f'{report["val_seed"]}): studies {train["num_studies"]} train / '
        f'{val["num_studies"]} val, images {train["num_images"]} / '
        f'{val["num_images"]}, boxes {train["num_boxes"]} / '
        f'{val["num_boxes"]}', '  studies per label, train / val (val share)'
    ]
    width = max(len(r['label']) for r in rows)
    for r in rows:
        total = r['train_studies'] + r['val_studies']
        share = r['val_studies'] / total if total else 0.
        lines.append(f'  {r["label"]:<{width}} {r["train_studies"]} / '
                     f'{r["val_studies"]} ({share:.3f})')
    if report['images_without_study']:
        lines.append(f'images without a study, each split alone: '
                     f'{len(report["images_without_study"])}')
    if report['csv_lines_left_out']:
        lines.append(f'CSV lines in neither part (unreadable): '
                     f'{len(report["csv_lines_left_out"])}')
    return lines
