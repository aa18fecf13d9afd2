"""The demo pipeline end to end, at toy size."""
import glob
import json
import os.path as osp

from mmspine.apis import run_demo


def test_run_demo_tiny(tmp_path, mmdet_registry):
    metrics = run_demo(
        str(tmp_path),
        num_train=8,
        num_test=4,
        image_size=256,
        max_size=192,
        workers=0,
        # no validation at the last iteration: the test run follows
        cfg_options={
            'train_cfg.max_iters': 2,
            'train_cfg.val_begin': 3
        })
    assert 'spinexr/bbox_AP50_Vertebral collapse' in metrics
    assert osp.isfile(tmp_path / 'train' / 'iter_2.pth')
    pngs = glob.glob(str(tmp_path / 'data' / 'test_images' / '*.png'))
    overlays = glob.glob(str(tmp_path / 'test' / '*' / 'overlays' / '*.png'))
    assert len(pngs) == len(overlays) == 4
    # it ends with tools/infer.py's outputs for the test DICOMs
    results = json.load(open(tmp_path / 'infer' / 'findings.json'))
    assert [r['status'] for r in results['results']] == ['ok'] * 4
    assert len(glob.glob(str(tmp_path / 'infer' / 'overlays' / '*.png'))) == 4
    assert len(glob.glob(str(tmp_path / 'infer' / 'sr' / '*.dcm'))) == 4
    report = (tmp_path / 'report.html').read_text()
    assert 'data-figure="froc"' in report and 'phantom test set' in report
