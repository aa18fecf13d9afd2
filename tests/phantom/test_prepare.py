"""The phantom prepared as a user prepares VinDr-SpineXR, val split included.
"""
import csv
import json
import os
import os.path as osp
import subprocess
import sys

import pytest

from mmspine.phantom import phantom_is_prepared, prepare_phantom_dataset

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SIZE = 96
NUM_TRAIN, NUM_TEST = 24, 3


def load(path):
    with open(path) as f:
        return json.load(f)


def csv_images(path):
    with open(path, newline='') as f:
        return {r['image_id'] for r in csv.DictReader(f)}


@pytest.fixture(scope='module')
def prepared(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('prepared'))
    prepare_phantom_dataset(root, NUM_TRAIN, NUM_TEST, seed=2, size=SIZE)
    return root


def test_writes_the_files_the_configs_read(prepared):
    ann = osp.join(prepared, 'annotations')
    assert {
        'train.json', 'val.json', 'test.json', 'cls_train.csv', 'cls_val.csv',
        'test.csv', 'split.json'
    } <= set(os.listdir(ann))
    train, val = load(osp.join(ann,
                               'train.json')), load(osp.join(ann, 'val.json'))
    test = load(osp.join(ann, 'test.json'))
    # val is carved out of train, by study; test is left whole
    assert len(train['images']) + len(val['images']) == NUM_TRAIN
    assert val['images'] and len(test['images']) == NUM_TEST
    assert not ({i['study_id']
                 for i in train['images']}
                & {i['study_id']
                   for i in val['images']})
    # val images are PNGs in the training image folder
    for image in val['images']:
        assert osp.isfile(
            osp.join(prepared, 'train_images', image['file_name']))
    for name, coco in (('cls_train.csv', train), ('cls_val.csv', val)):
        assert csv_images(osp.join(ann, name)) == {
            i['file_name'][:-len('.png')]
            for i in coco['images']
        }
    assert csv_images(osp.join(ann, 'test.csv')) == {
        i['file_name'][:-len('.png')]
        for i in test['images']
    }
    report = load(osp.join(ann, 'split.json'))
    assert (report['val_fraction'], report['val_seed']) == (0.1, 0)
    assert report['counts']['val']['num_images'] == len(val['images'])


def test_prepared_record(prepared):
    options = dict(num_train=NUM_TRAIN, num_test=NUM_TEST, seed=2, size=SIZE)
    assert phantom_is_prepared(prepared, **options)
    assert not phantom_is_prepared(prepared, **dict(options, num_train=41))
    assert not phantom_is_prepared(prepared, **dict(options, val_seed=1))
    assert not phantom_is_prepared(osp.join(prepared, 'nothing'), **options)


def test_without_val_split(tmp_path):
    root = str(tmp_path)
    prepare_phantom_dataset(root, 4, 1, seed=2, size=SIZE, val_fraction=0)
    ann = osp.join(root, 'annotations')
    assert sorted(os.listdir(ann)) == [
        'test.csv', 'test.json', 'train.csv', 'train.json'
    ]
    assert len(load(osp.join(ann, 'train.json'))['images']) == 4
    assert phantom_is_prepared(
        root, num_train=4, num_test=1, seed=2, size=SIZE, val_fraction=0)


def test_make_phantom_cli_prepare(tmp_path):
    out = tmp_path / 'phantom'
    done = subprocess.run([
        sys.executable, 'tools/dataset_converters/make_phantom.py',
        str(out), '--num-train', '10', '--num-test', '2', '--size',
        str(SIZE), '--prepare', '--max-size', '64', '--val-fraction', '0.2',
        '--val-seed', '3'
    ],
                          cwd=REPO_ROOT,
                          env=dict(PYTHONPATH=REPO_ROOT, PATH='/usr/bin:/bin'),
                          capture_output=True,
                          text=True)
    assert done.returncode == 0, done.stderr
    assert 'validation split (fraction 0.2, seed 3)' in done.stdout
    report = load(out / 'annotations' / 'split.json')
    assert (report['val_fraction'], report['val_seed']) == (0.2, 3)
    assert len(os.listdir(out / 'dicom' / 'train_images')) == 10
    assert phantom_is_prepared(
        str(out),
        num_train=10,
        num_test=2,
        size=SIZE,
        max_size=64,
        val_fraction=0.2,
        val_seed=3)
