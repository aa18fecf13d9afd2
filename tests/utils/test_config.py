"""check_config on small hand-made configs: each rule, and its message."""
import pytest
from mmengine.config import Config

from mmspine.utils import ConfigSettingError, check_config, palette_for
from mmspine.utils.config import find


def det_cfg(**top) -> Config:
    """A detector-shaped config whose names all agree."""
    pipeline = [dict(type='LoadImageFromFile'), dict(type='PackDetInputs')]
    meta = dict(classes=('a', 'b'))

    def loader(ann):
        return dict(
            batch_size=2,
            dataset=dict(
                type='ClassBalancedDataset',
                dataset=dict(
                    data_root='d/',
                    metainfo=meta,
                    ann_file=ann,
                    pipeline=pipeline)))

    cfg = dict(
        data_root='d/',
        metainfo=meta,
        train_pipeline=pipeline,
        model=dict(
            type='X', roi_head=dict(bbox_head=[dict(num_classes=2)] * 3)),
        train_dataloader=loader('train.json'),
        val_dataloader=loader('val.json'),
        val_evaluator=dict(type='M', ann_file='d/val.json'))
    cfg.update(top)
    return Config(cfg)


def problems(cfg) -> str:
    with pytest.raises(ConfigSettingError) as err:
        check_config(cfg, 'cfg.py')
    return str(err.value)


def test_an_agreeing_config_passes():
    check_config(det_cfg())
    # a helper variable whose value is used is fine
    check_config(det_cfg(my_root='d/'))


def test_names_that_nothing_reads_fail_with_what_to_write():
    text = problems(det_cfg(train_batch_size=4))
    assert 'cfg.py' in text
    assert 'train_batch_size = 4' in text
    assert 'train_dataloader = dict(batch_size=4)' in text
    # consistent with where it is written: fine
    check_config(det_cfg(train_batch_size=2))
    assert 'num_classes = 3' in problems(det_cfg(num_classes=3))
    # a place in a list is named, not rewritten as a dict
    text = problems(det_cfg(lr_steps=[5]))
    assert 'nothing in the config is at param_scheduler' in text
    cfg = det_cfg(num_classes=3)
    text = problems(cfg)
    assert 'model.roi_head.bbox_head.0.num_classes = 3 (restate' in text


def test_helper_variables_are_left_alone():
    """mmdet's own configs keep helpers at the top: used values, booleans,
    names used inside comprehensions."""
    cfg = det_cfg(
        with_cp=True,
        img_scales=[(1333, 800), (666, 400)],
        my_root='d/',
        custom_keys={'backbone': dict(lr_mult=0.1)})
    cfg.model.backbone = dict(with_cp=cfg.with_cp)
    check_config(cfg)


def test_pipelines_data_root_and_classes_must_reach_the_loaders():
    cfg = det_cfg()
    cfg.train_pipeline = [dict(type='LoadImageFromFile')]
    assert 'train_pipeline differs' in problems(cfg)
    cfg = det_cfg(data_root='elsewhere/')
    assert "data_root is 'elsewhere/'" in problems(cfg)
    cfg = det_cfg(metainfo=dict(classes=('a', 'b', 'c')))
    text = problems(cfg)
    assert "train_dataloader has the classes ('a', 'b') but the config " \
        "names ('a', 'b', 'c')" in text
    assert 'bbox_head.0.num_classes is 2 but the data has 3' in text
    cfg = det_cfg()
    cfg.model.roi_head.bbox_head[1].num_classes = 5
    assert 'bbox_head.1.num_classes is 5' in problems(cfg)
    # classes restated in one loader only: the others keep their type's
    cfg = det_cfg()
    del cfg.val_dataloader.dataset.dataset.metainfo
    assert "val_dataloader's dataset names no classes" in problems(cfg)


def test_loaders_over_several_datasets_may_differ():
    cfg = det_cfg()
    inner = cfg.train_dataloader.dataset.dataset
    cfg.train_dataloader.dataset = dict(
        type='ConcatDataset',
        datasets=[inner, dict(inner, data_root='e/', pipeline=[])])
    check_config(cfg)


def test_tta_pipeline_follows_test_pipeline():
    test = [
        dict(type='LoadImageFromFile'),
        dict(type='Resize', scale=(320, 256)),
        dict(type='PackDetInputs')
    ]
    tta = dict(type='TestTimeAug', transforms=[])
    # mmdet's own layout: loading, then TestTimeAug
    check_config(Config(dict(test_pipeline=test, tta_pipeline=[test[0], tta])))
    stale = [test[0], dict(type='Resize', scale=(1333, 800)), tta]
    with pytest.raises(ConfigSettingError, match="tta_pipeline's Resize"):
        check_config(Config(dict(test_pipeline=test, tta_pipeline=stale)))


def test_evaluator_reads_its_loaders_annotations():
    cfg = det_cfg()
    cfg.val_evaluator.ann_file = 'd/test.json'
    assert "val_evaluator.ann_file is 'd/test.json'" in problems(cfg)


def test_preprocess_matches_the_dicom_loader():
    cfg = det_cfg(preprocess=dict(mode='reference', max_size=512))
    cfg.train_dataloader.dataset.dataset.pipeline = cfg.train_pipeline = [
        dict(type='LoadSpineDICOM', mode='reference', max_size=None)
    ]
    assert 'preprocess.max_size is 512' in problems(cfg)


def test_find_paths():
    cfg = det_cfg()
    assert [w for w, _ in find(cfg, 'model.**.num_classes')] == [
        'model.roi_head.bbox_head.0.num_classes',
        'model.roi_head.bbox_head.1.num_classes',
        'model.roi_head.bbox_head.2.num_classes'
    ]
    found = find(cfg, 'train_dataloader.**.pipeline.[PackDetInputs]')
    assert [w for w, _ in found
            ] == ['train_dataloader.dataset.dataset.pipeline.1']
    assert find(cfg, 'no.such.key') == []


def test_palette_fits_the_classes():
    seven = dict(classes=tuple('abcdefg'), palette=[(1, 2, 3)] * 7)
    assert palette_for(seven) == [(1, 2, 3)] * 7
    two = palette_for(dict(classes=('a', 'b'), palette=seven['palette']))
    assert len(two) == 2 and two[0] != two[1]
    assert all(0 <= c <= 255 for rgb in two for c in rgb)
