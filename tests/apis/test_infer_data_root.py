"""``tools/infer.py --data-root``: every dataset and evaluator of the loaded
detector and classifier configs points at the folder (no model built)."""
import importlib.util
import os.path as osp

import pytest

from mmspine.apis import load_config
from mmspine.apis.inferencer import load_model_config
from mmspine.utils import ConfigSettingError, config_file

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIGS = ('spine/sparse_rcnn_r50.py', 'spine/efficientdet_d0.py',
           'spine_cls/densenet121.py')


def roots(cfg) -> list:
    """Every dataset's data_root and every evaluator's ann_file."""
    found = []

    def walk(node, where):
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ('data_root', 'ann_file') and isinstance(value, str):
                    found.append((f'{where}.{key}', value))
                walk(value, f'{where}.{key}')
        elif isinstance(node, list):
            for i, value in enumerate(node):
                walk(value, f'{where}.{i}')

    for split in ('train', 'val', 'test'):
        walk(cfg[f'{split}_dataloader'].to_dict(), f'{split}_dataloader')
        if cfg.get(f'{split}_evaluator'):
            walk(cfg[f'{split}_evaluator'], f'{split}_evaluator')
    return found


@pytest.mark.parametrize('config', CONFIGS)
@pytest.mark.parametrize('as_loaded', [False, True])
def test_data_root_reaches_every_dataset_and_evaluator(config, as_loaded,
                                                       tmp_path):
    path = config_file(config)
    data_root = str(tmp_path / 'my data')
    source = load_config(path) if as_loaded else path
    cfg = load_model_config(source, data_root=data_root)
    found = roots(cfg)
    data_roots = [v for k, v in found if k.endswith('.data_root')]
    # a train, val and test dataset at least
    assert len(data_roots) >= 3
    assert all(v == osp.join(data_root, '') for v in data_roots), found
    ann_files = [v for k, v in found if '_evaluator' in k]
    if 'spine_cls' not in config:  # the classifier's metric reads no file
        assert ann_files
    assert all(v.startswith(osp.join(data_root, '')) for v in ann_files)
    # without data_root the config's own folder stays
    assert all('my data' not in v for _, v in roots(load_model_config(path)))


@pytest.mark.parametrize('as_loaded', [False, True])
def test_options_apply_to_a_loaded_config_too(as_loaded):
    path = config_file('spine/phantom/faster_rcnn_r18_phantom.py')
    source = load_config(path) if as_loaded else path
    cfg = load_model_config(source, {'test_dataloader.batch_size': 4})
    assert cfg.test_dataloader.batch_size == 4
    if as_loaded:  # the caller's config is left as it was
        assert source.test_dataloader.batch_size == 1


def test_options_that_leave_a_name_behind_fail():
    """A test scale set in the loader only: test_pipeline says otherwise."""
    path = config_file('spine/phantom/faster_rcnn_r18_phantom.py')
    with pytest.raises(ConfigSettingError, match='test_pipeline differs'):
        load_model_config(
            path, {'test_dataloader.dataset.pipeline.1.scale': (64, 64)})


def test_infer_cli_passes_data_root_to_the_inferencer(tmp_path):
    spec = importlib.util.spec_from_file_location(
        'infer_tool', osp.join(REPO, 'tools', 'infer.py'))
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    args = tool.parse_args([
        'x.dcm', '--det', 'det.py', 'det.pth', '--cls', 'cls.py', 'cls.pth',
        '--data-root',
        str(tmp_path)
    ])
    assert args.data_root == str(tmp_path) and args.cfg_options is None

    # main passes it on by keyword
    seen = {}

    def inferencer(**kwargs):
        seen.update(kwargs)
        raise SystemExit(0)

    tool.SpineInferencer = inferencer
    with pytest.raises(SystemExit):
        tool.main([
            'x.dcm', '--det', 'det.py', 'det.pth', '--data-root',
            str(tmp_path)
        ])
    assert seen['data_root'] == str(tmp_path)
    # options not given are not passed: the inferencer's defaults apply
    assert 'cfg_options' not in seen and 'score_thr' not in seen
    assert seen['detectors'] == [['det.py', 'det.pth']]
