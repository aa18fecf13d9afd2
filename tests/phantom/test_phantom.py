import csv
import filecmp
import os
import os.path as osp

import numpy as np
import pydicom
import pytest

from mmspine.dicom import available_transfer_syntaxes
from mmspine.metainfo import NO_FINDING, RARE_LESION_TYPES, SPINEXR_CLASSES
from mmspine.phantom import (CSV_COLUMNS, LESION_SPECS, apply_lesions,
                             generate_image, make_phantom, plan_split,
                             render_anatomy, render_phantom, sample_anatomy)
from mmspine.phantom.anatomy import render_background, render_texture

SIZE = 256


@pytest.fixture(scope='module')
def phantom(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('phantom'))
    rows = make_phantom(root, 14, 6, seed=3, size=SIZE)
    return root, rows


def _read_csv(path):
    with open(path, newline='') as f:
        reader = csv.reader(f)
        header = next(reader)
        return header, list(reader)


def test_layout_and_csv(phantom):
    root, rows = phantom
    for split, num in (('train', 14), ('test', 6)):
        files = sorted(os.listdir(osp.join(root, f'{split}_images')))
        assert len(files) == num
        assert all(f.endswith('.dicom') for f in files)
        header, table = _read_csv(
            osp.join(root, 'annotations', f'{split}.csv'))
        assert tuple(header) == CSV_COLUMNS
        stems = {f[:-len('.dicom')] for f in files}
        assert {r[0] for r in table} == stems
        for row in table:
            assert len(row) == 9
            if row[4] == NO_FINDING:
                assert row[5:] == [''] * 4
            else:
                assert row[4] in SPINEXR_CLASSES + RARE_LESION_TYPES
                xmin, ymin, xmax, ymax = map(float, row[5:])
                assert 0 <= xmin < xmax and 0 <= ymin < ymax
            assert row[3].startswith('rad')
        # A normal image has a single 'No finding' row and nothing else.
        by_image = {}
        for row in table:
            by_image.setdefault(row[0], []).append(row[4])
        for types in by_image.values():
            assert NO_FINDING not in types or types == [NO_FINDING]
    train = [r['lesion_type'] for r in rows['train']]
    assert set(SPINEXR_CLASSES) <= set(train)
    assert set(train) & set(RARE_LESION_TYPES)
    assert NO_FINDING in train


def test_dicoms_valid_and_varied(phantom):
    root, rows = phantom
    boxes = {}
    for row in rows['train'] + rows['test']:
        # The detector's classes must not be tiny; rare types may be.
        if row['lesion_type'] in SPINEXR_CLASSES:
            boxes.setdefault(row['image_id'], []).append(
                [float(row[k]) for k in CSV_COLUMNS[5:]])
    seen = dict(
        photometric=set(),
        bits=set(),
        syntax=set(),
        voi=set(),
        rescale=set(),
        size=set(),
        spacing=set())
    for split in ('train', 'test'):
        folder = osp.join(root, f'{split}_images')
        for name in os.listdir(folder):
            ds = pydicom.dcmread(osp.join(folder, name))
            for keyword in ('SOPClassUID', 'SOPInstanceUID', 'PatientID',
                            'StudyInstanceUID', 'SeriesInstanceUID',
                            'PixelSpacing', 'BodyPartExamined', 'PatientSex',
                            'PatientAge', 'Manufacturer', 'Modality'):
                assert keyword in ds, keyword
            pixels = ds.pixel_array
            assert pixels.shape == (ds.Rows, ds.Columns)
            assert max(ds.Rows, ds.Columns) <= SIZE
            assert pixels.max() < 2**ds.BitsStored
            h, w = ds.Rows, ds.Columns
            for box in boxes.get(name[:-len('.dicom')], []):
                assert box[2] <= w and box[3] <= h
                assert max(box[2] - box[0],
                           box[3] - box[1]) >= 0.04 * max(h, w)
            seen['photometric'].add(ds.PhotometricInterpretation)
            seen['bits'].add(ds.BitsStored)
            seen['syntax'].add(ds.file_meta.TransferSyntaxUID)
            seen['voi'].add('VOILUTSequence' in ds)
            seen['voi'].add('window' if 'WindowCenter' in ds else None)
            seen['rescale'].add('RescaleSlope' in ds)
            seen['size'].add((ds.Rows, ds.Columns))
            seen['spacing'].add(float(ds.PixelSpacing[0]))
    assert seen['photometric'] == {'MONOCHROME1', 'MONOCHROME2'}
    assert seen['bits'] == {12, 14, 16}
    assert seen['syntax'] == set(
        available_transfer_syntaxes()) - {'1.2.840.10008.1.2.4.80'}
    assert seen['voi'] == {True, False, 'window', None}
    assert seen['rescale'] == {True, False}
    assert len(seen['size']) >= 3 and len(seen['spacing']) >= 3


def test_deterministic_by_seed(phantom, tmp_path):
    root, _ = phantom
    again = str(tmp_path / 'again')
    make_phantom(again, 14, 6, seed=3, size=SIZE, workers=2)
    for sub in ('train_images', 'test_images', 'annotations'):
        names = sorted(os.listdir(osp.join(root, sub)))
        assert names == sorted(os.listdir(osp.join(again, sub)))
        match, mismatch, errors = filecmp.cmpfiles(
            osp.join(root, sub), osp.join(again, sub), names, shallow=False)
        assert not mismatch and not errors
    other = str(tmp_path / 'other')
    make_phantom(other, 3, 1, seed=4, size=SIZE)
    assert (_read_csv(osp.join(other, 'annotations', 'train.csv'))[1]
            != _read_csv(osp.join(root, 'annotations', 'train.csv'))[1][:3])
    assert not set(os.listdir(osp.join(other, 'train_images'))) & set(
        os.listdir(osp.join(root, 'train_images')))


@pytest.mark.parametrize('lesion_type', sorted(LESION_SPECS))
def test_each_lesion_type_is_drawn(lesion_type):
    rng = np.random.default_rng(0)
    image = render_phantom(rng, 320, 208, [lesion_type])
    assert [les.lesion_type for les in image.lesions] == [lesion_type]


@pytest.mark.parametrize('seed', range(6))
def test_boxes_are_true(seed):
    rng = np.random.default_rng(seed)
    types = [SPINEXR_CLASSES[i] for i in rng.permutation(7)[:3]]
    h, w = 400, 260
    image = render_phantom(rng, h, w, types + [RARE_LESION_TYPES[seed]])
    assert image.lesions
    for lesion in image.lesions:
        x0, y0, x1, y1 = lesion.box
        assert 0 <= x0 < x1 <= w and 0 <= y0 < y1 <= h
        ys, xs = np.nonzero(lesion.mask)
        # The box bounds exactly the pixels the lesion changed...
        assert (xs.min(), ys.min(), xs.max() + 1, ys.max() + 1) == (x0, y0, x1,
                                                                    y1)
        # ...and the final image shows it there: inside the box it differs
        # from the lesion-free render far more than the noise does.
        x0, y0, x1, y1 = map(int, lesion.box)
        inside = lesion.mask[y0:y1, x0:x1]
        diff = np.abs(image.density - image.normal)[y0:y1, x0:x1]
        assert diff[inside].mean() > 0.06
    # Outside all boxes only noise (and the marker) separates the two.
    outside = np.ones((h, w), bool)
    for lesion in image.lesions:
        x0, y0, x1, y1 = map(int, lesion.box)
        outside[y0:y1, x0:x1] = False
    diff = np.abs(image.density - image.normal)[outside]
    assert np.median(diff) < 0.03


def test_lesions_change_only_their_box():
    """With all lesions drawn, removing one changes pixels only in its box."""
    rng = np.random.default_rng(11)
    anatomy = sample_anatomy(rng, 400, 260)
    from mmspine.phantom import sample_lesion
    lesions, taken = [], frozenset()
    for t in SPINEXR_CLASSES:
        lesion = sample_lesion(rng, anatomy, t, taken)
        if lesion is not None:
            lesions.append(lesion)
            taken |= lesion.claims
    assert len(lesions) >= 3
    bg, tex = render_background(anatomy), render_texture(anatomy)
    full = render_anatomy(apply_lesions(anatomy, lesions), bg, tex)
    normal = render_anatomy(anatomy, bg, tex)
    for k, lesion in enumerate(lesions):
        alone = render_anatomy(apply_lesions(anatomy, [lesion]), bg, tex)
        mask = np.abs(alone - normal) > 0.02
        ys, xs = np.nonzero(mask)
        others = lesions[:k] + lesions[k + 1:]
        without = render_anatomy(apply_lesions(anatomy, others), bg, tex)
        changed = np.abs(full - without) > 0.02
        box = np.zeros_like(mask)
        box[ys.min():ys.max() + 1, xs.min():xs.max() + 1] = True
        assert changed.any() and not (changed & ~box).any()


def test_generate_image_matches_csv(phantom):
    root, rows = phantom
    job = next(j for j in plan_split('train', 14, 3, SIZE) if j.lesion_types)
    image, ds = generate_image(job)
    written = [[float(r[k]) for k in CSV_COLUMNS[5:]] for r in rows['train']
               if r['image_id'] == job.image_id]
    assert written == [list(les.box) for les in image.lesions]
    stored = pydicom.dcmread(
        osp.join(root, 'train_images', f'{job.image_id}.dicom')).pixel_array
    np.testing.assert_array_equal(stored, ds.pixel_array)


def test_one_drawn_lesion_then_one_that_draws_nothing(monkeypatch):
    """Regression: with exactly one lesion drawn, the image was the render
    of the *last placed* lesion; when that one changed no pixel, the image
    lacked the lesion the CSV labels."""
    from mmspine.phantom import generator

    def osteophytes_draw_nothing(anatomy, lesions):
        # a lesion that renders to nothing: what a tiny one at a low
        # contrast does
        kept = [les for les in lesions if les.lesion_type != 'Osteophytes']
        return apply_lesions(anatomy, kept)

    monkeypatch.setattr(generator, 'apply_lesions', osteophytes_draw_nothing)
    rng = np.random.default_rng(0)
    image = render_phantom(
        rng, 320, 208, ['Vertebral collapse', 'Osteophytes'], noise=(0., 0.))
    assert [les.lesion_type for les in image.lesions] == ['Vertebral collapse']
    lesion = image.lesions[0]
    diff = np.abs(image.density - image.normal)[lesion.mask]
    assert diff.mean() > 0.06
