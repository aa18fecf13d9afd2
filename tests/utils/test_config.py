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
    assert 'unused_knob = 7 is not used' in problems(det_cfg(unused_knob=7))
    assert 'flag = True' in problems(det_cfg(flag=True))


def test_pipelines_data_root_and_classes_must_reach_the_loaders():
    cfg = det_cfg()
    cfg.train_pipeline = [dict(type='LoadImageFromFile')]
    assert 'train_pipeline differs' in problems(cfg)
    cfg = det_cfg(data_root='elsewhere/')
    assert "data_root is 'elsewhere/'" in problems(cfg)
    cfg = det_cfg(metainfo=dict(classes=('a', 'b', 'c')))
    text = problems(cfg)
    assert "metainfo names the classes ('a', 'b', 'c')" in text
    cfg = det_cfg()
    cfg.model.roi_head.bbox_head[1].num_classes = 5
    assert 'bbox_head.1.num_classes is 5' in problems(cfg)


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
