import os.path as osp

from mmspine.datasets import SpineXRDataset
from mmspine.metainfo import SPINEXR_CLASSES


def _dataset(root, test_mode, filter_empty):
    return SpineXRDataset(
        data_root=root,
        ann_file='annotations/train.json',
        data_prefix=dict(img='train_images/'),
        test_mode=test_mode,
        filter_cfg=dict(filter_empty_gt=filter_empty, min_size=1),
        pipeline=[])


def test_classes_and_palette(tiny_coco_root, mmdet_registry):
    ds = _dataset(tiny_coco_root, test_mode=True, filter_empty=True)
    assert ds.metainfo['classes'] == SPINEXR_CLASSES
    assert len(ds.metainfo['palette']) == len(SPINEXR_CLASSES)
    assert len(set(ds.metainfo['palette'])) == len(SPINEXR_CLASSES)


def test_empty_images_kept_in_test_mode(tiny_coco_root, mmdet_registry):
    ds = _dataset(tiny_coco_root, test_mode=True, filter_empty=True)
    assert len(ds) == 14
    empty = [d for d in ds if not d['instances']]
    assert len(empty) == 2
    assert all(osp.isfile(d['img_path']) for d in ds)


def test_empty_images_filterable_for_training(tiny_coco_root, mmdet_registry):
    kept = _dataset(tiny_coco_root, test_mode=False, filter_empty=False)
    filtered = _dataset(tiny_coco_root, test_mode=False, filter_empty=True)
    assert len(kept) == 14
    assert len(filtered) == 12
    assert all(d['instances'] for d in filtered)


def test_labels_follow_class_order(tiny_coco_root, mmdet_registry):
    ds = _dataset(tiny_coco_root, test_mode=True, filter_empty=False)
    labels = [d['instances'][0]['bbox_label'] for d in ds if d['instances']]
    # make_tiny_coco gives image i the class i mod 7
    assert labels == [i % 7 for i in range(12)]
