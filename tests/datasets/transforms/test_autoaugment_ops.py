"""The AutoAugment detection ops on their own, without mmdet."""
import subprocess
import sys

import numpy as np
import pytest

from mmspine.datasets.transforms import autoaugment_ops as ops

H, W = 200, 300
# A bright rectangle on black, away from the borders: x1, y1, x2, y2.
RECT = (100, 60, 160, 120)


def rect_image(rect=RECT, size=(H, W)):
    img = np.zeros(size + (3, ), np.uint8)
    x1, y1, x2, y2 = rect
    img[y1:y2, x1:x2] = 255
    return img, np.array([rect], np.float32)


def bright_bounds(img):
    """x1, y1, x2, y2 of the pixels of the moved rectangle (value 255)."""
    ys, xs = np.nonzero(img[..., 0] == 255)
    return np.array([xs.min(), ys.min(), xs.max() + 1, ys.max() + 1])


def textured_image(seed=0, size=(120, 160)):
    """Random grey levels in [40, 200] per channel: no op is a no-op."""
    rng = np.random.default_rng(seed)
    return rng.integers(40, 201, size + (3, ), dtype=np.uint8)


def some_boxes():
    return np.array([[10, 10, 70, 60], [80, 40, 150, 110]], np.float32)


def grey_image(seed=0, size=(120, 160)):
    rng = np.random.default_rng(seed)
    grey = rng.integers(0, 256, size, dtype=np.uint8)
    return np.repeat(grey[..., None], 3, axis=2)


# Whole-image geometric ops and the argument that moves the rectangle
# well inside the image, as (op, function, argument).
GEOMETRIC_CASES = [
    ('TranslateX_BBox', ops.translate_x_bbox, 100.),
    ('TranslateX_BBox', ops.translate_x_bbox, -75.),
    ('TranslateY_BBox', ops.translate_y_bbox, 50.),
    ('TranslateY_BBox', ops.translate_y_bbox, -50.),
    ('ShearX_BBox', ops.shear_x_bbox, 0.3),
    ('ShearX_BBox', ops.shear_x_bbox, -0.3),
    ('ShearY_BBox', ops.shear_y_bbox, 0.18),
    ('ShearY_BBox', ops.shear_y_bbox, -0.18),
    ('Rotate_BBox', ops.rotate_bbox, 30.),
    ('Rotate_BBox', ops.rotate_bbox, -24.),
]


@pytest.mark.parametrize('name,func,arg', GEOMETRIC_CASES)
def test_geometric_box_follows_pixels(name, func, arg):
    img, boxes = rect_image()
    out, out_boxes = func(img, boxes, arg)
    assert out.shape == img.shape and out_boxes.shape == (1, 4)
    moved = bright_bounds(out)
    # The rectangle did move, and the box moved with it.
    assert not np.array_equal(moved, np.array(RECT))
    np.testing.assert_allclose(out_boxes[0], moved, atol=2)


@pytest.mark.parametrize('name', ops.GEOMETRIC_OPS)
@pytest.mark.parametrize('sign', [1, -1])
def test_geometric_via_level_and_sign(name, sign):
    # The policy path: level 4 and a fixed sign give the function's argument.
    img, boxes = rect_image()
    (arg, ) = ops.level_to_arg(name, 4, sign)
    func = dict((n, f) for n, f, _ in GEOMETRIC_CASES)[name]
    out, out_boxes = func(img, boxes, arg)
    np.testing.assert_allclose(out_boxes[0], bright_bounds(out), atol=2)


@pytest.mark.parametrize('func,arg', [(ops.translate_x_bbox, 60.),
                                      (ops.translate_y_bbox, -40.),
                                      (ops.rotate_bbox, 30.)])
def test_geometric_box_clipped_to_image(func, arg):
    # A rectangle near the corner partly leaves the image.
    img, boxes = rect_image(rect=(200, 10, 280, 70))
    out, out_boxes = func(img, boxes, arg)
    box = out_boxes[0]
    assert box[0] >= 0 and box[1] >= 0 and box[2] <= W and box[3] <= H
    np.testing.assert_allclose(box, bright_bounds(out), atol=2)


def test_geometric_fill_and_empty_boxes():
    img = textured_image()
    out, out_boxes = ops.translate_x_bbox(img, np.zeros((0, 4)), 30.)
    assert out_boxes.shape == (0, 4)
    assert (out[:, :30] == ops.FILL).all()
    np.testing.assert_array_equal(out[:, 30:], img[:, :-30])
    out, _ = ops.rotate_bbox(img, None, 30., fill=7)
    assert (out[0, 0] == 7).all()


def test_level_to_arg_mapping():
    for level in (0, 1, 2, 5, 8, 10):
        f = level / 10
        for sign in (1, -1):
            assert ops.level_to_arg('Rotate_BBox', level, sign) == \
                pytest.approx((sign * f * 30, ))
            assert ops.level_to_arg('Rotate_Only_BBoxes', level, sign) == \
                pytest.approx((sign * f * 30, ))
            for name in ('ShearX_BBox', 'ShearY_BBox', 'ShearX_Only_BBoxes',
                         'ShearY_Only_BBoxes'):
                assert ops.level_to_arg(name, level, sign) == \
                    pytest.approx((sign * f * 0.3, ))
            for name in ('TranslateX_BBox', 'TranslateY_BBox'):
                assert ops.level_to_arg(name, level, sign) == \
                    pytest.approx((sign * f * 250, ))
            for name in ('TranslateX_Only_BBoxes', 'TranslateY_Only_BBoxes'):
                assert ops.level_to_arg(name, level, sign) == \
                    pytest.approx((sign * f * 120, ))
        for name in ('Color', 'Contrast', 'Brightness', 'Sharpness'):
            assert ops.level_to_arg(name, level) == \
                pytest.approx((f * 1.8 + 0.1, ))
        assert ops.level_to_arg('Solarize', level) == (int(f * 256), )
        assert ops.level_to_arg('Solarize_Only_BBoxes',
                                level) == (int(f * 256), )
        assert ops.level_to_arg('SolarizeAdd', level) == (int(f * 110), )
        assert ops.level_to_arg('Posterize', level) == (int(f * 4), )
        assert ops.level_to_arg('Cutout', level) == (int(f * 100), )
        assert ops.level_to_arg('BBox_Cutout', level) == \
            pytest.approx((f * 0.75, ))
        assert ops.level_to_arg('Cutout_Only_BBoxes', level) == \
            (int(f * 50), )
        for name in ('AutoContrast', 'Equalize', 'Flip_Only_BBoxes',
                     'Equalize_Only_BBoxes'):
            assert ops.level_to_arg(name, level) == ()
    with pytest.raises(KeyError, match='unknown AutoAugment op'):
        ops.level_to_arg('Mixup', 5)


def test_all_ops_of_the_issue_exist():
    expected = {
        'AutoContrast', 'Equalize', 'Posterize', 'Solarize', 'SolarizeAdd',
        'Color', 'Contrast', 'Brightness', 'Sharpness', 'Cutout',
        'BBox_Cutout', 'TranslateX_BBox', 'TranslateY_BBox', 'ShearX_BBox',
        'ShearY_BBox', 'Rotate_BBox', 'Rotate_Only_BBoxes',
        'ShearX_Only_BBoxes', 'ShearY_Only_BBoxes', 'TranslateX_Only_BBoxes',
        'TranslateY_Only_BBoxes', 'Flip_Only_BBoxes', 'Solarize_Only_BBoxes',
        'Equalize_Only_BBoxes', 'Cutout_Only_BBoxes'
    }
    assert set(ops.OP_NAMES) == expected
    assert set(ops.BBOX_ONLY_OPS) == {n for n in expected if 'Only' in n}


# Levels at which each op changes the textured image for sure.
CHANGING_LEVEL = {name: 10 for name in ops.OP_NAMES}
CHANGING_LEVEL.update(Solarize=5, Solarize_Only_BBoxes=5)


@pytest.mark.parametrize('name', ops.OP_NAMES)
def test_prob_zero_is_identity(name):
    img, boxes = textured_image(), some_boxes()
    for seed in range(5):
        rng = np.random.default_rng(seed)
        out, out_boxes = ops.apply_op(name, img, boxes, 0., 10, rng)
        np.testing.assert_array_equal(out, img)
        np.testing.assert_array_equal(out_boxes, boxes)


@pytest.mark.parametrize(
    'name', [n for n in ops.OP_NAMES if n not in ops.BBOX_ONLY_OPS])
def test_prob_one_always_applies(name):
    img, boxes = textured_image(), some_boxes()
    before = img.copy()
    for seed in range(5):
        rng = np.random.default_rng(seed)
        out, _ = ops.apply_op(name, img, boxes, 1., CHANGING_LEVEL[name], rng)
        assert out.shape == img.shape and out.dtype == np.uint8
        assert not np.array_equal(out, img)
    # The input is never modified.
    np.testing.assert_array_equal(img, before)


@pytest.mark.parametrize('name', ops.BBOX_ONLY_OPS)
def test_bbox_only_ops_run_per_box_with_prob_over_3(name):
    # A grid of 120 small boxes on a textured image; at prob 0.9 about
    # 0.3 of them change, and only pixels inside boxes change.
    img = textured_image(size=(200, 360))
    xs, ys = np.meshgrid(np.arange(12) * 30, np.arange(10) * 20)
    boxes = np.stack(
        [xs.ravel(), ys.ravel(),
         xs.ravel() + 24,
         ys.ravel() + 16], axis=1).astype(np.float32)
    inside = np.zeros(img.shape[:2], bool)
    for x1, y1, x2, y2 in boxes.astype(int):
        inside[y1:y2, x1:x2] = True
    level = CHANGING_LEVEL[name]
    changed = []
    for seed in range(3):
        rng = np.random.default_rng(seed)
        out, out_boxes = ops.apply_op(name, img, boxes, 0.9, level, rng)
        np.testing.assert_array_equal(out_boxes, boxes)
        diff = (out != img).any(axis=2)
        assert not diff[~inside].any()
        changed += [
            diff[y1:y2, x1:x2].any() for x1, y1, x2, y2 in boxes.astype(int)
        ]
    # 360 draws at p = 0.3: 4.5 standard deviations either side.
    assert 0.3 - 0.11 < np.mean(changed) < 0.3 + 0.11


@pytest.mark.parametrize('name', ops.OP_NAMES)
def test_empty_boxes(name):
    img = textured_image()
    for boxes in (np.zeros((0, 4), np.float32), None):
        rng = np.random.default_rng(0)
        out, out_boxes = ops.apply_op(name, img, boxes, 1., 7, rng)
        assert out.shape == img.shape and out.dtype == np.uint8
        assert out_boxes.shape == (0, 4) and out_boxes.dtype == np.float32


@pytest.mark.parametrize('name', ops.OP_NAMES)
def test_grey_stays_grey(name):
    img, boxes = grey_image(), some_boxes()
    for seed, level in ((0, 10), (1, 6), (2, 3)):
        rng = np.random.default_rng(seed)
        # prob 1 for whole-image ops; prob 3 visits every box of a
        # bbox-only op.
        prob = 3. if name in ops.BBOX_ONLY_OPS else 1.
        out, _ = ops.apply_op(name, img, boxes, prob, level, rng)
        np.testing.assert_array_equal(out[..., 0], out[..., 1])
        np.testing.assert_array_equal(out[..., 0], out[..., 2])


def test_colour_op_semantics():
    img = textured_image()
    levels = img.astype(int)
    np.testing.assert_array_equal(
        ops.solarize(img, None, 128)[0],
        np.where(levels < 128, levels, 255 - levels))
    np.testing.assert_array_equal(
        ops.solarize_add(img, None, 100)[0],
        np.where(levels < 128, np.minimum(levels + 100, 255), levels))
    np.testing.assert_array_equal(
        ops.posterize(img, None, 2)[0], levels & 0b11000000)
    out = ops.auto_contrast(img)[0].reshape(-1, 3)
    assert (out.min(0) == 0).all() and (out.max(0) == 255).all()
    np.testing.assert_array_equal(ops.brightness(img, None, 1.)[0], img)
    np.testing.assert_array_equal(
        ops.brightness(img, None, 0.5)[0],
        np.floor(levels * 0.5 + 0.5).astype(np.uint8))
    assert (ops.contrast(img, None, 0.)[0] == round(img.mean())).all()
    out = ops.equalize(img)[0]
    assert out.min() < 10 and out.max() > 245
    # Flat images are left alone by the histogram ops.
    flat = np.full((8, 8, 3), 77, np.uint8)
    for func in (ops.auto_contrast, ops.equalize):
        np.testing.assert_array_equal(func(flat)[0], flat)


def test_cutout_and_bbox_cutout_fill_a_square():
    img = textured_image(size=(400, 400))
    rng = np.random.default_rng(0)
    out, _ = ops.cutout(img, None, 20, rng)
    filled = (out != img).any(axis=2)
    ys, xs = np.nonzero(filled)
    assert ys.ptp() < 40 and xs.ptp() < 40
    assert (out[filled] == ops.FILL).all()
    box = np.array([[100, 200, 300, 260]], np.float32)
    out, out_boxes = ops.bbox_cutout(img, box, 0.5, rng)
    np.testing.assert_array_equal(out_boxes, box)
    ys, xs = np.nonzero((out != img).any(axis=2))
    # half the box's size, centred inside the box
    assert xs.ptp() + 1 <= 100 and ys.ptp() + 1 <= 30
    assert 100 - 50 <= xs.mean() <= 300 + 50
    assert 200 - 15 <= ys.mean() <= 260 + 15


def test_ops_module_needs_no_torch():
    # Load the file alone, so that the package's mmdet imports do not count.
    code = ('import importlib.util, sys\n'
            f'spec = importlib.util.spec_from_file_location("m", '
            f'{ops.__file__!r})\n'
            'mod = importlib.util.module_from_spec(spec)\n'
            'spec.loader.exec_module(mod)\n'
            'assert "torch" not in sys.modules, "torch imported"\n'
            'assert "mmdet" not in sys.modules, "mmdet imported"\n')
    subprocess.run([sys.executable, '-c', code], check=True)
