"""Tests of the validation split carved out of the training CSV."""
import csv
import json
import os.path as osp
import subprocess
import sys

import numpy as np
import pytest

from mmspine.annotations import (CLS_TRAIN_CSV, CLS_VAL_CSV, SPLIT_REPORT,
                                 VAL_JSON, AnnotationCSVError,
                                 convert_with_val_split, spinexr_to_coco,
                                 stratified_split)
from mmspine.metainfo import NO_FINDING, SPINEXR_CLASSES

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
HEADER = [
    'image_id', 'study_id', 'series_id', 'rad_id', 'lesion_type', 'xmin',
    'ymin', 'xmax', 'ymax'
]
LABELS = SPINEXR_CLASSES + (NO_FINDING, )
# Share of the studies with each label in the generated table: from common
# to rare, as in VinDr-SpineXR.
LABEL_RATES = (0.35, 0.1, 0.06, 0.08, 0.2, 0.05, 0.04)


def make_table(num_studies: int, seed: int = 0):
    """CSV rows of a training table and the labels of each study.

    A study has one or two images; each lesion label of the study goes on
    one of them, and an image without lesions is 'No finding'. A few
    abnormal images have only a rare type (no label).
    """
    rng = np.random.default_rng(seed)
    rows, labels = [], {}
    for s in range(num_studies):
        study = f'study{s:04d}'
        images = [
            f'{study}_img{i}' for i in range(1 + int(rng.random() < 0.5))
        ]
        lesions = {i: [] for i in images}
        for name, rate in zip(SPINEXR_CLASSES, LABEL_RATES):
            if rng.random() < rate:
                lesions[images[rng.integers(len(images))]].append(name)
        if rng.random() < 0.05:
            lesions[images[0]].append('Fracture')
        labels[study] = set()
        for image in images:
            types = lesions[image] or [NO_FINDING]
            for lesion in types:
                box = [''] * 4 if lesion == NO_FINDING else [10, 10, 40, 50]
                rows.append(
                    [image, study, f'se_{image}', 'rad1', lesion, *box])
            labels[study] |= set(types) & set(LABELS)
    return rows, labels


def write_csv(path, rows, header=HEADER) -> str:
    with open(path, 'w', newline='') as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return str(path)


def write_meta(path, rows) -> str:
    images = sorted({r[0] for r in rows if r[0]})
    return write_csv(path, [[i, 100, 80] for i in images],
                     ['image_id', 'rows', 'columns'])


def read_csv(path):
    with open(path, newline='') as f:
        reader = csv.reader(f)
        return next(reader), list(reader)


@pytest.fixture(scope='module')
def table(tmp_path_factory):
    tmp = tmp_path_factory.mktemp('table')
    rows, labels = make_table(600)
    ann_csv = write_csv(tmp / 'train.csv', rows)
    meta = write_meta(tmp / 'meta.csv', rows)
    return tmp, ann_csv, meta, rows, labels


@pytest.fixture(scope='module')
def converted(table):
    tmp, ann_csv, meta, rows, labels = table
    out = tmp / 'seed0'
    summary = convert_with_val_split(
        ann_csv, str(out / 'train.json'), 0.1, 0, meta_csv=meta)
    return out, summary


def load(path):
    with open(path) as f:
        return json.load(f)


def test_split_by_study_and_complete(table, converted):
    _, ann_csv, _, rows, labels = table
    out, summary = converted
    train, val = load(out / 'train.json'), load(out / VAL_JSON)
    train_studies = {i['study_id'] for i in train['images']}
    val_studies = {i['study_id'] for i in val['images']}
    assert not train_studies & val_studies
    assert train_studies | val_studies == set(labels)
    files = [i['file_name'] for i in train['images'] + val['images']]
    assert sorted(files) == sorted({r[0] + '.png' for r in rows})
    assert val['categories'] == train['categories']
    # val images live in the training image folder, named as in train.json
    assert all(f['file_name'].endswith('.png') for f in val['images'])
    # the classifier's CSVs: the input rows, each on its image's side
    for name, coco in ((CLS_TRAIN_CSV, train), (CLS_VAL_CSV, val)):
        header, part = read_csv(out / name)
        assert header == HEADER
        assert {r[0] + '.png'
                for r in part} == {i['file_name']
                                   for i in coco['images']}
    _, cls_train = read_csv(out / CLS_TRAIN_CSV)
    _, cls_val = read_csv(out / CLS_VAL_CSV)
    as_text = [[str(v) for v in r] for r in rows]
    assert sorted(cls_train + cls_val) == sorted(as_text)
    assert summary.val == str(out / VAL_JSON)


def test_each_part_is_its_csv_converted_alone(table, converted):
    _, _, meta, _, _ = table
    out, _ = converted
    for json_name, csv_name in (('train.json', CLS_TRAIN_CSV), (VAL_JSON,
                                                                CLS_VAL_CSV)):
        alone, _ = spinexr_to_coco(str(out / csv_name), meta_csv=meta)
        part = load(out / json_name)
        assert part['images'] == alone['images']
        assert part['annotations'] == alone['annotations']


def test_stratified_per_label(table, converted):
    _, _, _, _, labels = table
    out, summary = converted
    val_studies = {i['study_id'] for i in load(out / VAL_JSON)['images']}
    report = load(out / SPLIT_REPORT)
    for name in LABELS:
        with_label = {s for s, names in labels.items() if name in names}
        in_val = len(with_label & val_studies)
        # the table has at least 18 studies of each label
        assert len(with_label) >= 18, name
        assert abs(in_val - 0.1 * len(with_label)) <= 1, (name, in_val)
        assert report['counts']['val']['studies'][name] == in_val
        assert report['counts']['train']['studies'][name] == len(
            with_label) - in_val
    assert abs(len(val_studies) - 0.1 * len(labels)) <= 3


def test_report_records_the_split(table, converted):
    tmp, ann_csv, _, rows, labels = table
    out, summary = converted
    report = load(out / SPLIT_REPORT)
    val = load(out / VAL_JSON)
    assert report['val_fraction'] == 0.1 and report['val_seed'] == 0
    assert report['source'] == osp.abspath(ann_csv)
    assert report['val_studies'] == sorted(
        {i['study_id']
         for i in val['images']})
    assert report['val_images'] == [
        i['file_name'][:-len('.png')] for i in val['images']
    ]
    assert report['labels'] == list(LABELS)
    counts = report['counts']
    assert counts['val']['num_images'] == len(val['images'])
    assert counts['val']['num_boxes'] == len(val['annotations'])
    assert counts['train']['num_studies'] + counts['val'][
        'num_studies'] == len(labels)
    boxes = sum(r[4] in SPINEXR_CLASSES for r in rows)
    assert sum(counts[s]['num_boxes'] for s in ('train', 'val')) == boxes
    # the summary shows it too, one row per label
    assert [r['label'] for r in summary.rows] == list(LABELS)
    assert 'validation split (fraction 0.1, seed 0)' in str(summary)


def test_deterministic_by_seed(table, converted):
    tmp, ann_csv, meta, _, _ = table
    out, _ = converted
    again = tmp / 'again'
    convert_with_val_split(
        ann_csv, str(again / 'train.json'), 0.1, 0, meta_csv=meta)
    for name in ('train.json', VAL_JSON, CLS_TRAIN_CSV, CLS_VAL_CSV):
        assert (again / name).read_bytes() == (out / name).read_bytes()
    other = tmp / 'seed1'
    convert_with_val_split(
        ann_csv, str(other / 'train.json'), 0.1, 1, meta_csv=meta)
    studies = [
        set(load(d / SPLIT_REPORT)['val_studies']) for d in (out, other)
    ]
    assert studies[0] != studies[1]


def test_missing_study_id_names_the_row(tmp_path):
    rows, _ = make_table(20)
    # a row whose image has no other row, so that the only problem is it
    images = [r[0] for r in rows]
    at = next(i for i, image in enumerate(images) if images.count(image) == 1)
    rows[at][1] = ' '
    ann_csv = write_csv(tmp_path / 'train.csv', rows)
    meta = write_meta(tmp_path / 'meta.csv', rows)
    out = str(tmp_path / 'out' / 'train.json')
    line = at + 2  # the header is line 1
    with pytest.raises(
            AnnotationCSVError,
            match=rf"train\.csv:{line}: empty study_id on image "
            f"'{rows[at][0]}'") as info:
        convert_with_val_split(ann_csv, out, meta_csv=meta)
    assert [p.line for p in info.value.problems] == [line]
    assert not osp.exists(out)
    # with other bad rows, one error lists them all, in line order
    bad = next(i for i, r in enumerate(rows) if i > at and r[5])
    rows[bad][5] = 'x'
    write_csv(tmp_path / 'train.csv', rows)
    with pytest.raises(AnnotationCSVError) as info:
        convert_with_val_split(ann_csv, out, meta_csv=meta)
    assert [p.line for p in info.value.problems] == [line, bad + 2]
    # skip_invalid keeps going: the image is a group of its own, listed
    rows[bad][5] = '10'
    write_csv(tmp_path / 'train.csv', rows)
    convert_with_val_split(ann_csv, out, meta_csv=meta, skip_invalid=True)
    report = load(tmp_path / 'out' / SPLIT_REPORT)
    assert report['images_without_study'] == [rows[at][0]]
    val = load(tmp_path / 'out' / VAL_JSON)
    train = load(out)
    assert sum(i['study_id'] == ''
               for i in train['images'] + val['images']) == 1


def test_refuses_the_test_split_and_bad_fractions(tmp_path):
    rows, _ = make_table(5)
    meta = write_meta(tmp_path / 'meta.csv', rows)
    test_csv = write_csv(tmp_path / 'test.csv', rows)
    with pytest.raises(ValueError, match='looks like the test split'):
        convert_with_val_split(
            test_csv, str(tmp_path / 'test.json'), meta_csv=meta)
    train_csv = write_csv(tmp_path / 'train.csv', rows)
    for fraction in (0, 1, -0.1):
        with pytest.raises(ValueError, match='val_fraction'):
            convert_with_val_split(
                train_csv,
                str(tmp_path / 'train.json'),
                fraction,
                meta_csv=meta)
    assert not osp.exists(tmp_path / 'train.json')


def test_stratified_split_edge_cases():
    labels = {f'g{i}': {'a'} if i % 3 else set() for i in range(30)}
    assert stratified_split(labels, 0.0) == set()
    assert stratified_split({}, 0.1) == set()
    assert len(stratified_split(labels, 1.0)) == 30
    # rounding would pick nothing: one group still goes to val
    assert len(stratified_split({'x': {'a'}, 'y': {'a'}}, 0.1)) == 1
    assert stratified_split({'x': {'a'}}, 0.1) == set()
    with pytest.raises(ValueError, match='fraction'):
        stratified_split(labels, 1.5)
    # the unlabelled groups fill the val side up
    picked = stratified_split(labels, 0.2, seed=3)
    assert len(picked) == 6
    assert sum(bool(labels[g]) for g in picked) == 4


def run_cli(*args):
    return subprocess.run(
        [sys.executable, 'tools/dataset_converters/spinexr2coco.py', *args],
        cwd=REPO_ROOT,
        env=dict(PYTHONPATH=REPO_ROOT, PATH='/usr/bin:/bin'),
        capture_output=True,
        text=True)


def test_cli(tmp_path):
    rows, labels = make_table(40)
    ann_csv = write_csv(tmp_path / 'train.csv', rows)
    meta = write_meta(tmp_path / 'meta.csv', rows)
    ann_dir = tmp_path / 'annotations'
    done = run_cli(ann_csv, str(ann_dir / 'train.json'), '--meta-csv', meta,
                   '--val-fraction', '0.25', '--val-seed', '7', '--val-out',
                   str(tmp_path / 'other_val.json'))
    assert done.returncode == 0, done.stderr
    assert 'validation split (fraction 0.25, seed 7)' in done.stdout
    report = load(ann_dir / SPLIT_REPORT)
    assert (report['val_fraction'], report['val_seed']) == (0.25, 7)
    val = load(tmp_path / 'other_val.json')
    assert report['val_studies'] == sorted(
        {i['study_id']
         for i in val['images']})
    assert (ann_dir / CLS_VAL_CSV).is_file()
    # 0: today's behaviour, all of the CSV in OUT_JSON and nothing else
    plain = tmp_path / 'plain'
    done = run_cli(ann_csv, str(plain / 'train.json'), '--meta-csv', meta,
                   '--val-fraction', '0')
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in plain.iterdir()) == ['train.json']
    assert len(load(plain /
                    'train.json')['images']) == len({r[0]
                                                     for r in rows})
    # a bad row: exit code 1 and the row named
    rows[2][1] = ''
    write_csv(tmp_path / 'train.csv', rows)
    done = run_cli(ann_csv, str(tmp_path / 'bad' / 'train.json'), '--meta-csv',
                   meta)
    assert done.returncode == 1
    assert 'train.csv:4: empty study_id' in done.stderr
