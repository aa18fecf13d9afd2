"""Data set statistics from VinDr CSVs and COCO JSON, and the tool."""
import os.path as osp
import runpy
import sys

import numpy as np
import pytest

from mmspine.annotations import dataset_stats, format_dataset_stats
from mmspine.visualization import plot_dataset_stats

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
HEADER = 'image_id,study_id,series_id,rad_id,lesion_type,xmin,ymin,xmax,ymax'


def _write_csv(path, rows):
    with open(path, 'w') as f:
        f.write('\n'.join([HEADER] + rows) + '\n')


@pytest.fixture
def csvs(tmp_path):
    train = str(tmp_path / 'train.csv')
    _write_csv(
        train,
        [
            'a,s1,r1,R1,Osteophytes,10,10,30,50',
            'a,s1,r1,R1,Osteophytes,40,40,60,60',
            'a,s1,r1,R1,Fracture,0,0,5,10',
            'b,s2,r2,R1,No finding,,,,',
            'c,s3,r3,R2,Surgical implant,0,0,100,50',
            'd,s4,r4,R2,Osteophytes,5,5,oops,9',  # invalid: kept going
        ])
    test = str(tmp_path / 'test.csv')
    _write_csv(test, [
        'e,s5,r5,R1,No finding,,,,',
        'f,s6,r6,R1,Osteophytes,0,0,8,8',
    ])
    return train, test


def test_stats_from_csv_by_hand(csvs):
    train, test = dataset_stats(csvs)
    assert (train.name, test.name) == ('train', 'test')
    assert train.num_images == 3 and train.num_normal == 1
    assert train.invalid_rows == 1
    assert dict(train.class_counts) == {
        'Osteophytes': 2,
        'Fracture': 1,
        'Surgical implant': 1
    }
    assert sorted(train.boxes_per_image.tolist()) == [0, 1, 3]
    np.testing.assert_allclose(train.box_sizes['Osteophytes'],
                               [[20, 40], [20, 20]])
    assert test.normal_share == pytest.approx(.5)
    table = format_dataset_stats([train, test])
    assert 'Fracture (rare)' in table and '1 (33.3%)' in table
    assert 'invalid CSV rows' in table


def test_stats_from_coco(tiny_coco_root):
    (stats, ) = dataset_stats(
        [osp.join(tiny_coco_root, 'annotations', 'train.json')])
    # conftest: 14 images, the last 2 empty, class i % 7 on image i
    assert stats.num_images == 14 and stats.num_normal == 2
    assert stats.num_boxes == 12
    assert stats.class_counts['Osteophytes'] == 2
    assert stats.image_sizes.shape == (14, 2)
    figs = plot_dataset_stats([stats])
    assert {
        'dataset_classes', 'dataset_boxes_per_image', 'dataset_box_shapes',
        'dataset_image_sizes'
    } == set(figs)


def test_bad_file_named(tmp_path):
    bad = tmp_path / 'x.json'
    bad.write_text('{"images": []}')
    with pytest.raises(KeyError, match='x.json'):
        dataset_stats([str(bad)])


def test_tool(csvs, tmp_path, monkeypatch, capsys):
    out_dir = tmp_path / 'figs'
    monkeypatch.setattr(sys, 'argv', [
        'dataset_stats.py', *csvs, '--names', 'tr', 'te', '--out-dir',
        str(out_dir)
    ])
    runpy.run_path(
        osp.join(REPO_ROOT, 'tools', 'analysis_tools', 'dataset_stats.py'),
        run_name='__main__')
    printed = capsys.readouterr().out
    assert 'Osteophytes' in printed and '| tr ' in printed
    assert (out_dir / 'dataset_classes.png').stat().st_size > 1000
