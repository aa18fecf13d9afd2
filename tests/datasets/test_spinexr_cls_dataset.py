import csv

import cv2
import numpy as np
import pytest
import torch

from mmspine.metainfo import ALL_LESION_TYPES

ROWS = [
    # image_id, lesion_type
    ('a', 'Osteophytes'),
    ('a', 'Fracture'),
    ('b', 'No finding'),
    ('c', 'Ankylosis'),
    ('d', 'No finding'),
]


@pytest.fixture(scope='module', autouse=True)
def registry():
    from mmspine.utils import register_all_modules
    register_all_modules(init_default_scope=True)


def write_root(root):
    (root / 'annotations').mkdir()
    (root / 'train_images').mkdir()
    with open(root / 'annotations' / 'train.csv', 'w', newline='') as f:
        w = csv.writer(f)
        w.writerow([
            'image_id', 'study_id', 'series_id', 'rad_id', 'lesion_type',
            'xmin', 'ymin', 'xmax', 'ymax'
        ])
        for image_id, kind in ROWS:
            box = ['', '', '', ''] if kind == 'No finding' else [1, 2, 9, 9]
            w.writerow([image_id, 's', 'r', 'rad1', kind] + box)
    rng = np.random.default_rng(0)
    for image_id in 'abcd':
        cv2.imwrite(
            str(root / 'train_images' / f'{image_id}.png'),
            rng.integers(0, 255, (40, 30), dtype=np.uint8))
    return str(root)


def build(root, **kwargs):
    from mmdet.registry import DATASETS
    return DATASETS.build(
        dict(
            type='SpineXRClsDataset',
            data_root=root,
            ann_file='annotations/train.csv',
            data_prefix=dict(img='train_images/'),
            **kwargs))


def test_labels_from_csv(tmp_path):
    ds = build(write_root(tmp_path))
    assert ds.metainfo['classes'] == ('abnormal', )
    assert [d['img_id'] for d in ds] == list('abcd')
    assert ds.get_abnormal_labels().tolist() == [1, 0, 1, 0]
    assert ds[0]['img_path'].endswith('train_images/a.png')

    multi = build(str(tmp_path), multi_label=True)
    assert multi.metainfo['classes'] == ('abnormal', ) + ALL_LESION_TYPES
    label = multi[0]['gt_label']
    assert label.shape == (14, )
    names = [ALL_LESION_TYPES[i - 1] for i in np.flatnonzero(label[1:]) + 1]
    assert label[0] == 1 and sorted(names) == ['Fracture', 'Osteophytes']


def test_unknown_lesion_type(tmp_path):
    root = write_root(tmp_path)
    with open(tmp_path / 'annotations' / 'train.csv', 'a') as f:
        f.write('e,s,r,rad1,Broken spine,1,1,2,2\n')
    with pytest.raises(ValueError, match='Broken spine'):
        build(root)


def test_pipeline_packs_resized_flipped_image(tmp_path):
    ds = build(
        write_root(tmp_path),
        pipeline=[
            dict(type='LoadImageFromFile'),
            dict(type='Resize', scale=(24, 24), keep_ratio=False),
            dict(type='RandomFlip', prob=1.0),
            dict(type='PackSpineClsInputs')
        ])
    item = ds[2]
    assert item['inputs'].shape == (3, 24, 24)
    assert item['inputs'].dtype == torch.uint8
    sample = item['data_samples']
    assert sample.img_id == 'c' and sample.flip
    torch.testing.assert_close(sample.gt_label, torch.tensor([1.]))
    assert 'PackSpineClsInputs' in repr(ds.pipeline)


def test_dicom_base_reads_the_dicoms(tmp_path):
    """The DICOM dataset base: same CSV, images read from <id>.dicom."""
    import os.path as osp

    from mmdet.registry import DATASETS
    from mmengine import Config

    from mmspine.dicom.convert import dicom_to_uint8
    from mmspine.dicom.writer import build_dataset, write_dicom
    root = write_root(tmp_path)
    rng = np.random.default_rng(1)
    for image_id in 'abcd':
        write_dicom(
            str(tmp_path / 'train_images' / f'{image_id}.dicom'),
            build_dataset(rng.integers(0, 4096, (40, 30))))
    base = osp.join(
        osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))),
        'configs', '_base_', 'datasets', 'spinexr_classification_dicom.py')
    cfg = Config.fromfile(base).train_dataloader.dataset
    cfg.update(
        data_root=root,
        ann_file='annotations/train.csv',
        pipeline=cfg.pipeline[:1])
    ds = DATASETS.build(cfg)
    item = ds[0]
    assert item['img_path'].endswith(osp.join('train_images', 'a.dicom'))
    want = dicom_to_uint8(item['img_path']).image
    assert item['img'].shape == (40, 30, 3)
    for channel in range(3):
        np.testing.assert_array_equal(item['img'][..., channel], want)


def test_failed_conversions_left_out_and_reported(tmp_path):
    """The dicom2png report is the one source of truth, as for detection:
    an image whose conversion failed is not trained on as a missing PNG."""
    from mmspine.dicom.convert import REPORT_COLUMNS, REPORT_NAME
    root = write_root(tmp_path)
    with open(tmp_path / 'train_images' / REPORT_NAME, 'w', newline='') as f:
        w = csv.DictWriter(f, fieldnames=REPORT_COLUMNS)
        w.writeheader()
        for image_id in 'abcd':
            failed = image_id == 'b'
            w.writerow(
                dict(
                    image_id=image_id,
                    status='failed' if failed else 'ok',
                    reason='no pixel data' if failed else '',
                    rows=40,
                    columns=30,
                    out_rows=40,
                    out_columns=30))
    (tmp_path / 'train_images' / 'b.png').unlink()
    ds = build(root)
    assert [d['img_id'] for d in ds] == list('acd')
    assert list(ds.left_out) == ['b']
    assert 'no pixel data' in ds.left_out['b']
