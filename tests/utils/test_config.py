"""The hoisted-names resolver on small hand-made configs."""
import pytest
from mmengine import Config

from mmspine.utils import HoistedConfigError, apply_hoisted, palette_for
from mmspine.utils.config import find_places


def base_cfg(**names) -> Config:
    """A base that built its loader from ``root`` and ``bs``, then a child
    that set ``names``."""
    cfg = Config(
        dict(
            root='a/',
            bs=16,
            loader=dict(
                batch_size=16,
                dataset=dict(
                    type='Wrapper',
                    dataset=dict(
                        data_root='a/',
                        pipeline=[
                            dict(type='Load'),
                            dict(type='Resize', scale=(16, 8))
                        ]))),
            evaluator=[dict(ann_file='a/x.json')],
            _hoisted_data_=dict(
                values=dict(root='a/', bs=16),
                places={
                    'loader.batch_size': 'bs',
                    'loader.dataset.**.data_root': 'root',
                    '{loader.dataset.**,nothing}.pipeline.[Resize].scale':
                    '(bs, bs // 2)',
                    'evaluator.**.ann_file': "join(root, 'x.json')",
                })))
    cfg.merge_from_dict(names)
    return cfg


def test_child_names_reach_every_place():
    cfg = base_cfg(root='/my/data/', bs=2)
    changed = apply_hoisted(cfg)
    inner = cfg.loader.dataset.dataset
    assert cfg.loader.batch_size == 2
    assert inner.data_root == '/my/data/'
    assert tuple(inner.pipeline[1].scale) == (2, 1)
    assert cfg.evaluator[0].ann_file == '/my/data/x.json'
    assert len(changed) == 4
    assert apply_hoisted(cfg) == []  # settled


def test_unchanged_names_keep_explicit_places():
    cfg = base_cfg(**{'loader.batch_size': 4})
    assert apply_hoisted(cfg) == []
    assert cfg.loader.batch_size == 4


def test_explicit_place_and_changed_name_conflict():
    cfg = base_cfg(**{'bs': 2, 'loader.batch_size': 4})
    with pytest.raises(HoistedConfigError) as err:
        apply_hoisted(cfg)
    msg = str(err.value)
    # names the key, both values and the override to write
    assert 'loader.batch_size is set to 4' in msg
    assert 'bs = 2' in msg and 'loader.batch_size=2' in msg


def test_missing_name_is_an_error():
    cfg = base_cfg()
    cfg._hoisted_data_['values']['other'] = 1
    with pytest.raises(HoistedConfigError, match="'other'"):
        apply_hoisted(cfg)


def test_paths():
    cfg = base_cfg()
    found = find_places(cfg, 'loader.dataset.**.pipeline.[Resize].scale')
    assert [where for _, _, where in found
            ] == ['loader.dataset.dataset.pipeline.1.scale']
    assert find_places(cfg, 'evaluator.0.ann_file')[0][1] == 'ann_file'
    assert len(find_places(cfg, '{loader,evaluator}.**.data_root')) == 1
    assert find_places(cfg, 'loader.no.such.key') == []


def test_palette_fits_the_classes():
    seven = dict(classes=tuple('abcdefg'), palette=[(1, 2, 3)] * 7)
    assert palette_for(seven) == [(1, 2, 3)] * 7
    two = palette_for(dict(classes=('a', 'b'), palette=seven['palette']))
    assert len(two) == 2 and two[0] != two[1]
    assert all(0 <= c <= 255 for rgb in two for c in rgb)
