"""The HTML report from a real tiny training run, opened in Chromium.

The shared tiny detector (tests/conftest.py) is trained with TensorBoard
switched on and tested with ``tools/test.py --out``; the report is built
from those.
"""
import glob
import json
import os
import os.path as osp
import re
import runpy
import subprocess
import sys

import numpy as np
import pytest
from _tools import require_tool

from mmspine.evaluation.functional import save_cls_predictions
from mmspine.visualization import write_report
from mmspine.visualization.report import DETECTION_FIGURES

# one pytest-xdist worker trains the shared detector for these tests
pytestmark = pytest.mark.xdist_group('tiny_detector')

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
MAX_REPORT_BYTES = 15 * 2**20


@pytest.fixture(scope='module')
def tiny_run(tiny_detector, tiny_detector_test):
    """The shared detector's run (TensorBoard on) and its predictions
    dumped by ``tools/test.py --out``."""
    scalars = glob.glob(
        osp.join(tiny_detector.work_dir, '*', 'vis_data', 'scalars.json'))
    with open(scalars[0]) as f:
        metrics = [json.loads(line) for line in f][-1]
    return dict(
        work_dir=tiny_detector.work_dir,
        config=tiny_detector.config,
        checkpoint=tiny_detector.checkpoint,
        preds=tiny_detector_test.preds,
        metrics=metrics,
        ann_file=tiny_detector_test.ann_file)


def test_tensorboard_events_hold_loss_lr_and_metrics(tiny_run):
    from tensorboard.backend.event_processing.event_accumulator import \
        EventAccumulator
    files = glob.glob(
        osp.join(tiny_run['work_dir'], '*', 'vis_data',
                 'events.out.tfevents.*'))
    assert files, 'no TensorBoard event file'
    tags = set()
    for f in files:
        acc = EventAccumulator(f)
        acc.Reload()
        tags |= set(acc.Tags()['scalars'])
    assert {'loss', 'lr', 'spinexr/bbox_mAP_50',
            'spinexr/froc_sens@1fp'} <= tags, tags


def test_report_from_real_run(tiny_run, tmp_path):
    metrics = tiny_run['metrics']
    cls_csv = str(tmp_path / 'predictions.csv')
    rng = np.random.default_rng(0)
    labels = np.array([1] * 7 + [0])
    save_cls_predictions(cls_csv, [f'test_{i:03d}' for i in range(8)],
                         rng.normal(labels * 1.5, 1.), labels)
    out = str(tmp_path / 'report.html')
    report = write_report(
        out,
        tiny_run['preds'],
        tiny_run['ann_file'],
        cls_predictions=cls_csv,
        sweep=True,
        config=tiny_run['config'],
        checkpoint=tiny_run['checkpoint'],
        num_bootstrap=200,
        c_grid=(0.3, 0.6),
        k_grid=(0.5, ))
    # the run's own validation metrics and the report agree
    assert report.metrics['bbox_mAP_50'] == pytest.approx(
        metrics['spinexr/bbox_mAP_50'], nan_ok=True)
    assert report.metrics['froc_sens@1fp'] == pytest.approx(
        metrics['spinexr/froc_sens@1fp'])
    assert set(DETECTION_FIGURES) | {'roc', 'sweep'} <= set(report.figures)
    text = open(out, encoding='utf-8').read()
    assert 'data-thumb=' in text  # an untrained model errs: a gallery
    assert re.search(r'checkpoint sha256</td><td>[0-9a-f]{64}<', text)


def _check_offline(text: str) -> None:
    """Every src is a data URI; no href, script, link or url()."""
    srcs = re.findall(r'\bsrc\s*=\s*"([^"]*)"', text)
    assert srcs and all(s.startswith('data:image/') for s in srcs)
    assert not re.search(r'\bhref\s*=|<script|<link|url\(|@import', text)
    assert not re.search(r'(src|href)\s*=\s*["\']?\s*(https?:)?//', text)


def test_report_in_headless_chromium(tiny_run, tmp_path, monkeypatch, capsys):
    chromium = require_tool('chromium')
    out = str(tmp_path / 'report.html')
    # through the tool, as a user runs it
    monkeypatch.setattr(sys, 'argv', [
        'report.py', tiny_run['preds'], tiny_run['ann_file'], '--out', out,
        '--dataset-stats', tiny_run['ann_file']
    ])
    runpy.run_path(
        osp.join(REPO_ROOT, 'tools', 'analysis_tools', 'report.py'),
        run_name='__main__')
    assert f'report written to {out}' in capsys.readouterr().out
    text = open(out, encoding='utf-8').read()
    _check_offline(text)
    assert os.path.getsize(out) < MAX_REPORT_BYTES
    # any request would go to a proxy that is not there and be logged
    common = [
        chromium, '--headless', '--no-sandbox', '--disable-gpu',
        '--proxy-server=http://127.0.0.1:9', '--host-resolver-rules=MAP * ~'
        'NOTFOUND', '--enable-logging=stderr', '--v=0',
        f'--user-data-dir={tmp_path / "profile"}'
    ]
    url = 'file://' + out
    shot = str(tmp_path / 'shot.png')
    proc = subprocess.run(
        common + [f'--screenshot={shot}', '--window-size=1200,2400', url],
        capture_output=True,
        text=True,
        timeout=120)
    assert osp.isfile(shot), proc.stderr[-3000:]
    dom = subprocess.run(
        common + ['--dump-dom', url],
        capture_output=True,
        text=True,
        timeout=120)
    assert dom.returncode == 0, dom.stderr[-3000:]
    for log in (proc.stderr, dom.stderr):
        assert 'ERR_PROXY' not in log and 'ERR_NAME' not in log, log[-3000:]
    # every figure made it into the rendered DOM
    written = set(re.findall(r'data-figure="([^"]+)"', text))
    shown = set(re.findall(r'data-figure="([^"]+)"', dom.stdout))
    assert shown == written >= set(DETECTION_FIGURES) | {'dataset_classes'}
    # and each one decoded: the browser knows its pixel size
    assert dom.stdout.count('data:image/png;base64,') == len(written)
    import cv2
    img = cv2.imread(shot)
    assert img is not None and img.shape[1] == 1200
    non_white = np.mean(img.min(axis=2) < 200)
    assert non_white > 0.02, f'screenshot nearly blank ({non_white:.4f})'
    assert img.std() > 20


def test_findings_json_is_read_on_the_original_grid(tiny_run, tmp_path):
    """tools/infer.py findings (boxes on the DICOM grid, here twice the PNG
    size) give back the pickle's detections on the PNG grid."""
    from mmspine.evaluation.functional import as_coco
    from mmspine.visualization import load_report_detections
    coco = as_coco(tiny_run['ann_file'])
    dets, paths, problems = load_report_detections(tiny_run['preds'], coco)
    assert dets and len(paths) == len(coco.dataset['images'])
    assert problems == []
    names = {c['id']: c['name'] for c in coco.dataset['categories']}
    results = []
    for img in coco.dataset['images']:
        findings = [
            dict(
                label=d['category_id'] - 1,
                lesion_type=names[d['category_id']],
                score=d['score'],
                bbox=[
                    2 * d['bbox'][0], 2 * d['bbox'][1],
                    2 * (d['bbox'][0] + d['bbox'][2]),
                    2 * (d['bbox'][1] + d['bbox'][3])
                ]) for d in dets if d['image_id'] == img['id']
        ]
        results.append(
            dict(
                image_id=osp.splitext(img['file_name'])[0],
                rows=2 * img['height'],
                columns=2 * img['width'],
                findings=findings))
    path = tmp_path / 'findings.json'
    path.write_text(json.dumps(dict(results=results)))
    back, _, problems = load_report_detections(str(path), coco)
    assert problems == []
    assert len(back) == len(dets)
    key = lambda d: (d['image_id'], -d['score'], d['category_id'])  # noqa
    for a, b in zip(sorted(dets, key=key), sorted(back, key=key)):
        assert a['category_id'] == b['category_id']
        np.testing.assert_allclose(a['bbox'], b['bbox'], atol=1e-4)
    # an image the annotation file lacks is left out and listed
    results[0]['image_id'] = 'nope'
    path.write_text(json.dumps(dict(results=results)))
    back, _, problems = load_report_detections(str(path), coco)
    assert len(back) == len(dets) - len(results[0]['findings'])
    assert problems == [
        'results[0] (nope): no image of the annotation '
        'file has this file stem'
    ]
