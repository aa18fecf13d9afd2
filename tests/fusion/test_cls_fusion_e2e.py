"""Train and test tiny classifiers on generated images, test the shared
tiny detector on them, then ensemble and fuse the saved outputs with the
tools."""
import csv
import glob
import json
import os
import os.path as osp

import cv2
import numpy as np
import pytest
from conftest import cfg_options_to_argv, run_tool, run_tool_in_process
from sklearn.metrics import roc_auc_score

from mmspine.metainfo import NO_FINDING, SPINEXR_CLASSES

# one pytest-xdist worker trains the shared detector for these tests
# one thread: the models are tiny and the CPU is shared
pytestmark = [
    pytest.mark.xdist_group('tiny_detector'),
    pytest.mark.usefixtures('one_thread')
]

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SIZE = 64


def make_split(root, split, num_images, seed):
    """Half the images get a bright class-coded square (a lesion)."""
    rng = np.random.default_rng(seed)
    os.makedirs(osp.join(root, f'{split}_images'), exist_ok=True)
    images, anns, rows = [], [], []
    for i in range(num_images):
        image_id = f'{split}{i:03d}'
        img = rng.integers(0, 40, (SIZE, SIZE), dtype=np.uint8)
        if i % 2 == 0:
            label = (i // 2) % len(SPINEXR_CLASSES)
            w, h = rng.integers(16, 32, 2)
            x, y = rng.integers(0, SIZE - w), rng.integers(0, SIZE - h)
            img[y:y + h, x:x + w] = 120 + 15 * label
            anns.append(
                dict(
                    id=len(anns) + 1,
                    image_id=i + 1,
                    category_id=label + 1,
                    bbox=[float(x), float(y),
                          float(w), float(h)],
                    area=float(w * h),
                    iscrowd=0))
            rows.append([image_id, SPINEXR_CLASSES[label], x, y, x + w, y + h])
        else:
            rows.append([image_id, NO_FINDING, '', '', '', ''])
        cv2.imwrite(osp.join(root, f'{split}_images', f'{image_id}.png'), img)
        images.append(
            dict(
                id=i + 1, file_name=f'{image_id}.png', width=SIZE,
                height=SIZE))
    os.makedirs(osp.join(root, 'annotations'), exist_ok=True)
    with open(
            osp.join(root, 'annotations', f'{split}.csv'), 'w',
            newline='') as f:
        writer = csv.writer(f)
        writer.writerow([
            'image_id', 'study_id', 'series_id', 'rad_id', 'lesion_type',
            'xmin', 'ymin', 'xmax', 'ymax'
        ])
        for image_id, kind, *box in rows:
            writer.writerow([image_id, 'st', 'se', 'R1', kind] + box)
    coco = dict(
        images=images,
        annotations=anns,
        categories=[
            dict(id=k + 1, name=n) for k, n in enumerate(SPINEXR_CLASSES)
        ])
    with open(osp.join(root, 'annotations', f'{split}.json'), 'w') as f:
        json.dump(coco, f)


@pytest.fixture(scope='module')
def root(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('phantom_cls'))
    make_split(root, 'train', 24, seed=0)
    make_split(root, 'test', 16, seed=1)
    # the classifier's train and val CSVs, as the converters split them
    with open(osp.join(root, 'annotations', 'train.csv')) as f:
        header, *rows = f.readlines()
    for name, part in (('cls_train', rows[:16]), ('cls_val', rows[16:])):
        with open(osp.join(root, 'annotations', f'{name}.csv'), 'w') as f:
            f.writelines([header, *part])
    return root


def cls_options(iters=8):
    """Explicit keys of the classifier configs, for a tiny run at 64 px
    (with --data-root)."""
    opts = {
        'train_cfg.max_iters': iters,
        'train_cfg.val_interval': iters,
        'default_hooks.checkpoint.interval': iters,
        'default_hooks.logger.interval': 4,
        'param_scheduler.0.end': iters,
        'param_scheduler.0.milestones': [iters - 2],
        'randomness.seed': 0,
        'val_evaluator.num_bootstrap': 100,
        'test_evaluator.num_bootstrap': 500,
    }
    for where in ('train_pipeline', 'test_pipeline',
                  'train_dataloader.dataset.pipeline',
                  'val_dataloader.dataset.pipeline',
                  'test_dataloader.dataset.pipeline'):
        opts[f'{where}.1.scale'] = (64, 64)
    for split in ('train', 'val', 'test'):
        opts[f'{split}_dataloader.batch_size'] = 8
        opts[f'{split}_dataloader.num_workers'] = 0
        opts[f'{split}_dataloader.persistent_workers'] = False
    return opts


def newest(pattern):
    found = sorted(glob.glob(pattern), key=osp.getmtime)
    assert found, pattern
    return found[-1]


@pytest.fixture(scope='module')
def tool_classifier(root, tmp_path_factory):
    """DenseNet phantom config through tools/train.py and tools/test.py (in
    this process: the detector's tests run the tools as subprocesses)."""
    work = str(tmp_path_factory.mktemp('cls_tools'))
    config = 'configs/spine_cls/densenet121_phantom.py'
    opts = ['--data-root', root, *cfg_options_to_argv(cls_options())]
    run_tool_in_process('train.py', config, '--work-dir', work, *opts)
    ckpt = osp.join(work, 'iter_8.pth')
    assert osp.isfile(ckpt)
    run_tool_in_process('test.py', config, ckpt, '--work-dir', work, *opts)
    log = newest(osp.join(work, '*', '*.log'))
    return dict(
        work=work,
        log=open(log).read(),
        csv=osp.join(osp.dirname(log), 'predictions.csv'))


@pytest.fixture(scope='module')
def runner_classifier(root, tmp_path_factory):
    """A ResNet-18 (base 8) classifier trained with the Runner in-process."""
    from mmspine.apis import build_runner, load_config
    from mmspine.utils import register_all_modules

    register_all_modules(init_default_scope=False)
    work = str(tmp_path_factory.mktemp('cls_runner'))
    cfg = load_config(
        osp.join(REPO, 'configs/spine_cls/resnet50.py'),
        cls_options(iters=6),
        work,
        data_root=root)
    cfg.model.backbone.update(depth=18, base_channels=8, init_cfg=None)
    cfg.model.head.in_channels = 64
    runner = build_runner(cfg)
    runner.train()
    metrics = runner.test()
    return dict(
        metrics=metrics, csv=osp.join(runner.log_dir, 'predictions.csv'))


@pytest.fixture(scope='module')
def detector(root, tiny_detector, tmp_path_factory):
    """The shared tiny Faster R-CNN tested on these images; its JSON and
    pickle."""
    from mmspine.apis import (add_dump_results, build_runner, load_config,
                              setup_test)
    from mmspine.utils import register_all_modules

    register_all_modules(init_default_scope=False)
    work = str(tmp_path_factory.mktemp('det'))
    opts = {
        **tiny_detector.cfg_options,
        **{
            k: (96, 64)
            for k in tiny_detector.cfg_options if k.endswith('.scale')
        },
        # every proposal scores something: the rule has boxes to act on
        'model.test_cfg.rcnn.score_thr': 0.,
        'model.test_cfg.rcnn.max_per_img': 20,
        'test_evaluator.outfile_prefix': osp.join(work, 'det'),
    }
    cfg = load_config(tiny_detector.config, opts, work, data_root=root)
    runner = build_runner(setup_test(cfg, tiny_detector.checkpoint))
    pkl = osp.join(work, 'det.pkl')
    add_dump_results(runner, pkl)
    metrics = runner.test()
    return dict(
        json=osp.join(work, 'det.bbox.json'),
        pkl=pkl,
        ann=osp.join(root, 'annotations/test.json'),
        metrics=metrics)


def test_classifier_through_tools(tool_classifier):
    ids, logits, labels = __import__(
        'mmspine.evaluation',
        fromlist=['x']).load_cls_predictions(tool_classifier['csv'])
    assert len(ids) == 16 and labels.sum() == 8
    auroc = roc_auc_score(labels, logits)
    assert f'spinexr_cls/auroc: {auroc:.4f}' in tool_classifier['log']
    assert osp.isfile(osp.join(osp.dirname(tool_classifier['csv']), 'roc.png'))
    print(f'\nphantom DenseNet (8 iterations) AUROC {auroc:.4f}')


def test_ensemble_tool(tool_classifier, runner_classifier, tmp_path):
    from mmspine.evaluation import load_cls_predictions
    from mmspine.fusion import ensemble_logits, sigmoid

    files = [tool_classifier['csv'], runner_classifier['csv']]
    out = run_tool('ensemble_cls.py', *files, '--out-dir', str(tmp_path),
                   '--num-bootstrap', '500')
    ids, mean_logits, labels = ensemble_logits(files)
    a_ids, a, _ = load_cls_predictions(files[0])
    b_ids, b, _ = load_cls_predictions(files[1])
    b = b[[b_ids.index(i) for i in a_ids]]
    np.testing.assert_allclose(mean_logits, (a + b) / 2)
    auroc = roc_auc_score(labels, sigmoid(mean_logits))
    row = next(line for line in out.splitlines() if 'ensemble of 2' in line)
    assert row.split('|')[2].strip() == f'{100 * auroc:.2f}'
    saved_ids, saved, _ = load_cls_predictions(
        str(tmp_path / 'predictions.csv'))
    assert saved_ids == ids
    np.testing.assert_allclose(saved, mean_logits, rtol=1e-6)
    assert (tmp_path / 'roc.png').is_file()
    print('\n' + out)


def test_fuse_tool_json_and_pickle(detector, tool_classifier, tmp_path):
    from mmspine.evaluation import load_cls_predictions
    from mmspine.fusion import (DetectionEvaluator, fuse, load_detections,
                                load_rule, sigmoid)

    assert osp.isfile(detector['json']) and osp.isfile(detector['pkl'])
    cls_csv = tool_classifier['csv']
    from_json = fuse(
        detector['json'], cls_csv, detector['ann'], num_bootstrap=0)
    from_pkl = fuse(detector['pkl'], cls_csv, detector['ann'], num_bootstrap=0)
    ids, logits, labels = load_cls_predictions(cls_csv)
    # c maximises Youden's J = sensitivity + specificity - 1, counted here
    # by hand over every candidate threshold
    probs = sigmoid(logits)

    def youden_j(t):
        called = probs >= t
        return called[labels == 1].mean() + (~called[labels == 0]).mean() - 1

    best = max(youden_j(t) for t in probs)
    assert youden_j(from_json['c']) == pytest.approx(best)
    assert from_json['c'] in probs
    # The detector's own evaluation and ours agree on the same boxes.
    assert from_json['before']['bbox_mAP_50'] == pytest.approx(
        detector['metrics']['spinexr/bbox_mAP_50'])
    for key in ('before', 'after'):
        assert from_pkl[key]['bbox_mAP_50'] == pytest.approx(
            from_json[key]['bbox_mAP_50'], abs=1e-3)
    assert len(from_pkl['fused']) == len(from_json['fused'])
    # every box the rule dropped scored < k on an image called normal
    dets = load_detections(detector['json'],
                           DetectionEvaluator(detector['ann']).coco)
    assert dets
    probs = dict(zip(ids, sigmoid(logits)))
    stem = {i + 1: f'test{i:03d}' for i in range(16)}
    kept = {json.dumps(d, sort_keys=True) for d in from_json['fused']}
    for d in dets:
        normal = probs[stem[d['image_id']]] < from_json['c']
        dropped = json.dumps(d, sort_keys=True) not in kept
        assert dropped == (normal and d['score'] < 0.5)

    out_json = str(tmp_path / 'fused.json')
    rule_json = str(tmp_path / 'rule.json')
    out = run_tool('fuse.py', detector['pkl'], cls_csv, detector['ann'],
                   '--out', out_json, '--reverse', '--sweep', '--c-grid',
                   '0.2', '0.5', '0.8', '--k-grid', '0.3', '0.5',
                   '--num-bootstrap', '200', '--rule-out', rule_json)
    fused = json.load(open(out_json))
    assert len(fused) == len(from_pkl['fused'])
    for name in SPINEXR_CLASSES:
        assert name in out
    assert 'best pair: c = ' in out and 'reverse direction' in out
    c, k = load_rule(rule_json)
    assert f'best pair: c = {c:g}, k = {k:g}' in out
    # the rule tuned on one split, applied to another: its c and k
    applied = fuse(
        detector['pkl'],
        cls_csv,
        detector['ann'],
        rule=rule_json,
        num_bootstrap=0)
    assert (applied['c'], applied['k']) == (c, k)
    assert f'from {rule_json}' in applied['report']
    with pytest.raises(ValueError, match='not both'):
        fuse(detector['pkl'], cls_csv, detector['ann'], c=0.5, rule=rule_json)
    print('\n' + out)
