"""The one reader of results files: mmdet's label numbering, every format
to the same COCO results, errors that name the file, row and classes."""
import csv
import json
import pickle

import numpy as np
import pytest

from mmspine.evaluation.detections import (label_cat_ids, read_detections,
                                           read_findings_csv)
from mmspine.metainfo import config_classes

# the file lists its categories in another order than the classes
CATEGORIES = [
    dict(id=7, name='screw'),
    dict(id=3, name='cyst'),
    dict(id=5, name='other')
]


def _coco():
    return dict(
        images=[
            dict(
                id=1,
                file_name='a.png',
                width=50,
                height=40,
                original_width=100,
                original_height=80),
            dict(id=2, file_name='sub/b.png', width=50, height=40)
        ],
        annotations=[
            dict(
                id=1,
                image_id=1,
                category_id=3,
                bbox=[1, 2, 10, 10],
                area=100,
                iscrowd=0)
        ],
        categories=CATEGORIES)


def test_labels_numbered_as_mmdet_coco_dataset(tmp_path, mmdet_registry):
    """Label i is mmdet's CocoDataset.cat_ids[i] for the same classes."""
    from mmdet.datasets import CocoDataset
    ann_file = tmp_path / 'ann.json'
    ann_file.write_text(json.dumps(_coco()))
    classes = ('cyst', 'screw')
    dataset = CocoDataset(
        ann_file=str(ann_file),
        data_prefix=dict(img=''),
        metainfo=dict(classes=classes),
        pipeline=[],
        test_mode=True)
    dataset.full_init()
    assert label_cat_ids(_coco(), classes) == list(dataset.cat_ids) == [7, 3]
    assert label_cat_ids(_coco()) == [7, 3, 5]
    with pytest.raises(KeyError, match=r"lacks the classes \['bone'\]"):
        label_cat_ids(_coco(), ('cyst', 'bone'))


def test_every_format_gives_the_same_results(tmp_path):
    coco = _coco()
    # a tools/test.py pickle: labels index ('cyst', 'screw') as numbered
    # by the dataset, i.e. 0 -> screw (7), 1 -> cyst (3)
    pkl = tmp_path / 'preds.pkl'
    with open(pkl, 'wb') as f:
        pickle.dump([
            dict(
                img_id=1,
                img_path='/x/a.png',
                pred_instances=dict(
                    bboxes=np.array([[1., 2., 11., 12.], [0., 0., 5., 5.]]),
                    scores=np.array([.9, .2]),
                    labels=np.array([1, 0])))
        ], f)
    from_pkl = read_detections(str(pkl), coco, ('cyst', 'screw'))
    expected = [
        dict(image_id=1, category_id=3, bbox=[1., 2., 10., 10.], score=.9),
        dict(image_id=1, category_id=7, bbox=[0., 0., 5., 5.], score=.2)
    ]
    assert from_pkl.detections == expected
    assert from_pkl.image_paths == {1: '/x/a.png'} and not from_pkl.problems

    results = tmp_path / 'results.json'
    results.write_text(json.dumps(expected))
    assert read_detections(str(results), coco).detections == expected

    # findings on the original grid, twice the PNG size
    findings = tmp_path / 'findings.json'
    findings.write_text(
        json.dumps(
            dict(results=[
                dict(
                    image_id='a',
                    status='ok',
                    rows=80,
                    columns=100,
                    findings=[
                        dict(
                            lesion_type='cyst', score=.9, bbox=[2, 4, 22, 24]),
                        dict(
                            lesion_type='screw', score=.2, bbox=[0, 0, 10, 10])
                    ]),
                dict(image_id='b', status='failed', reason='not DICOM')
            ])))
    read = read_detections(str(findings), coco)
    assert read.detections == expected
    assert read.problems == ['results[1] (b): inference failed (not DICOM)']

    table = tmp_path / 'findings.csv'
    with open(table, 'w', newline='') as f:
        writer = csv.DictWriter(f, [
            'image_id', 'lesion_type', 'xmin', 'ymin', 'xmax', 'ymax', 'score'
        ])
        writer.writeheader()
        writer.writerow(dict(image_id='b', lesion_type='No finding'))
        for d, name in zip(read.detections, ('cyst', 'screw')):
            x, y, w, h = d['bbox']
            writer.writerow(
                dict(
                    image_id='a',
                    lesion_type=name,
                    xmin=2 * x,
                    ymin=2 * y,
                    xmax=2 * (x + w),
                    ymax=2 * (y + h),
                    score=d['score']))
    from_csv = read_detections(str(table), coco)
    assert from_csv.detections == expected and not from_csv.problems


def test_unknown_class_names_file_row_and_classes(tmp_path):
    table = tmp_path / 'findings.csv'
    table.write_text('image_id,lesion_type,xmin,ymin,xmax,ymax,score\n'
                     'a,cyst,0,0,4,4,0.5\n'
                     'a,Osteophytes,0,0,4,4,0.5\n')
    with pytest.raises(ValueError) as e:
        read_findings_csv(str(table), _coco())
    assert str(e.value) == (
        f"{table}:3: unknown lesion_type 'Osteophytes' (image 'a'); the "
        "known classes are ['screw', 'cyst', 'other']")
    results = tmp_path / 'results.json'
    results.write_text(
        json.dumps(
            [dict(image_id=1, category_id=9, bbox=[0, 0, 1, 1], score=1)]))
    with pytest.raises(
            ValueError,
            match=r'results.json: result 0 has '
            r'category_id 9; the known categories are'):
        read_detections(str(results), _coco())
    pkl = tmp_path / 'preds.pkl'
    with open(pkl, 'wb') as f:
        pickle.dump([
            dict(
                img_id=1,
                pred_instances=dict(
                    bboxes=np.zeros((1, 4)),
                    scores=np.ones(1),
                    labels=np.array([2])))
        ], f)
    with pytest.raises(
            ValueError,
            match=r"sample 0 has label 2, but the "
            r"classes are \['screw', 'cyst'\]"):
        read_detections(str(pkl), _coco(), ('cyst', 'screw'))


def test_config_classes(mmdet_registry):
    """The config's metainfo, through wrappers, else its dataset type's."""
    wrapped = dict(
        test_dataloader=dict(
            dataset=dict(
                type='ClassBalancedDataset',
                dataset=dict(
                    type='SpineXRDataset', metainfo=dict(classes=['a'])))))
    assert config_classes(wrapped) == ('a', )
    plain = dict(val_dataloader=dict(dataset=dict(type='CocoDataset')))
    from mmdet.datasets import CocoDataset
    assert config_classes(plain) == tuple(CocoDataset.METAINFO['classes'])
    with pytest.raises(ValueError, match='no classes'):
        config_classes(dict(model=dict(type='FasterRCNN')))
