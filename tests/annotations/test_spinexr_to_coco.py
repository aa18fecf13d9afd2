"""Tests of the VinDr-SpineXR annotation CSV -> COCO conversion."""
import json
import os.path as osp
import subprocess
import sys

import cv2
import numpy as np
import pytest
from pycocotools.coco import COCO

from mmspine.annotations import (CATEGORY_IDS, AnnotationCSVError,
                                 convert_spinexr_to_coco, load_size_csv,
                                 original_to_png_boxes, png_to_original_boxes,
                                 read_png_size, resolve_image_sizes,
                                 spinexr_to_coco)
from mmspine.dicom import convert_folder
from mmspine.dicom.convert import REPORT_COLUMNS
from mmspine.dicom.writer import build_dataset, write_dicom
from mmspine.metainfo import RARE_LESION_TYPES, SPINEXR_CLASSES

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
HEADER = 'image_id,study_id,series_id,rad_id,lesion_type,xmin,ymin,xmax,ymax'

# Original (DICOM) sizes, width x height.
SIZES = {'img_a': (200, 100), 'img_b': (300, 400), 'img_n': (50, 60)}


def write(path, lines) -> str:
    with open(path, 'w') as f:
        f.write('\n'.join(lines) + '\n')
    return str(path)


def row(image_id, lesion, box=('', '', '', ''), rad='R1') -> str:
    study, series = f's_{image_id}', f'se_{image_id}'
    return ','.join([image_id, study, series, rad, lesion, *map(str, box)])


def write_meta(tmp_path, sizes=SIZES) -> str:
    lines = ['image_id,rows,columns,modality']
    lines += [f'{k},{h},{w},DX' for k, (w, h) in sizes.items()]
    return write(tmp_path / 'meta.csv', lines)


def write_pngs(tmp_path, sizes) -> str:
    image_dir = tmp_path / 'pngs'
    image_dir.mkdir()
    for image_id, (w, h) in sizes.items():
        cv2.imwrite(
            str(image_dir / f'{image_id}.png'), np.zeros((h, w), np.uint8))
    return str(image_dir)


@pytest.fixture
def basic_csv(tmp_path) -> str:
    return write(tmp_path / 'train.csv', [
        HEADER,
        row('img_a', 'Osteophytes', (10, 20, 30, 60)),
        row('img_n', 'No finding'),
        row('img_a', 'Surgical implant', (0.5, 1.5, 100.25, 99), rad='R2'),
        row('img_b', 'Fracture', (5, 5, 50, 50)),
        row('img_b', 'Other lesions', (1, 2, 3, 4)),
        row('img_b', 'Ankylosis', (7, 8, 9, 10)),
    ])


def anns_of(coco, file_name):
    image = next(i for i in coco['images'] if i['file_name'] == file_name)
    return image, [
        a for a in coco['annotations'] if a['image_id'] == image['id']
    ]


def test_categories_in_class_order(basic_csv, tmp_path):
    coco, _ = spinexr_to_coco(basic_csv, meta_csv=write_meta(tmp_path))
    assert [c['name'] for c in coco['categories']] == list(SPINEXR_CLASSES)
    assert [c['id'] for c in coco['categories']] == list(range(1, 8))
    assert CATEGORY_IDS['Osteophytes'] == 1
    assert CATEGORY_IDS['Other lesions'] == 7


def test_basic_conversion(basic_csv, tmp_path):
    coco, summary = spinexr_to_coco(basic_csv, meta_csv=write_meta(tmp_path))
    names = [i['file_name'] for i in coco['images']]
    assert names == ['img_a.png', 'img_b.png', 'img_n.png']
    assert [i['id'] for i in coco['images']] == [1, 2, 3]
    image, anns = anns_of(coco, 'img_a.png')
    assert (image['width'], image['height']) == (200, 100)
    assert (image['original_width'], image['original_height']) == (200, 100)
    assert image['study_id'] == 's_img_a'
    assert image['series_id'] == 'se_img_a'
    assert image['abnormal'] is True
    # annotations keep the CSV order within an image
    assert [a['category_id'] for a in anns] == [1, 2]
    assert anns[0]['bbox'] == [10, 20, 20, 40]
    assert anns[0]['area'] == 800
    assert anns[0]['iscrowd'] == 0
    assert anns[1]['rad_id'] == 'R2'
    assert anns[1]['bbox'] == pytest.approx([0.5, 1.5, 99.75, 97.5])
    assert [a['id'] for a in coco['annotations']] == [1, 2, 3]
    assert summary.num_images == 3
    assert summary.boxes_per_class['Osteophytes'] == 1
    assert summary.num_boxes == 3
    assert 'images: 3 (1 normal, 1 without boxes)' in summary.format()


def test_no_finding_image_without_boxes(basic_csv, tmp_path):
    coco, summary = spinexr_to_coco(basic_csv, meta_csv=write_meta(tmp_path))
    image, anns = anns_of(coco, 'img_n.png')
    assert anns == []
    assert image['abnormal'] is False
    assert (image['width'], image['height']) == (50, 60)
    assert summary.num_normal == 1


def test_rare_types_dropped_by_default(basic_csv, tmp_path):
    coco, summary = spinexr_to_coco(basic_csv, meta_csv=write_meta(tmp_path))
    _, anns = anns_of(coco, 'img_b.png')
    assert [a['lesion_type'] for a in anns] == ['Other lesions']
    assert summary.dropped_types == {'Fracture': 1, 'Ankylosis': 1}
    assert not summary.folded_types
    assert 'Ankylosis 1, Fracture 1' in summary.format()


def test_rare_types_folded(basic_csv, tmp_path):
    coco, summary = spinexr_to_coco(
        basic_csv, meta_csv=write_meta(tmp_path), fold_rare=True)
    _, anns = anns_of(coco, 'img_b.png')
    assert [a['category_id'] for a in anns] == [7, 7, 7]
    assert [a['lesion_type']
            for a in anns] == ['Fracture', 'Other lesions', 'Ankylosis']
    assert summary.folded_types == {'Fracture': 1, 'Ankylosis': 1}
    assert not summary.dropped_types
    assert summary.boxes_per_class['Other lesions'] == 3


def test_image_with_only_rare_lesions_is_abnormal_and_kept(tmp_path):
    csv = write(tmp_path / 'a.csv', [HEADER] +
                [row('img_a', t, (1, 1, 5, 5)) for t in RARE_LESION_TYPES])
    coco, summary = spinexr_to_coco(csv, meta_csv=write_meta(tmp_path))
    assert len(coco['images']) == 1 and coco['annotations'] == []
    assert coco['images'][0]['abnormal'] is True
    assert summary.num_normal == 0 and summary.num_without_boxes == 1
    assert sum(summary.dropped_types.values()) == 6


def test_boxes_scaled_to_resized_png_and_back(tmp_path):
    csv = write(tmp_path / 'a.csv', [
        HEADER,
        row('img_a', 'Osteophytes', (10.5, 20.25, 199, 100)),
        row('img_b', 'Vertebral collapse', (3, 7, 281.5, 333)),
    ])
    png_sizes = {'img_a': (100, 50), 'img_b': (96, 128)}
    coco, _ = spinexr_to_coco(
        csv,
        meta_csv=write_meta(tmp_path),
        image_dir=write_pngs(tmp_path, png_sizes))
    for image_id, orig_box in (('img_a', [10.5, 20.25, 199,
                                          100]), ('img_b', [3, 7, 281.5,
                                                            333])):
        image, (ann, ) = anns_of(coco, f'{image_id}.png')
        png_wh = (image['width'], image['height'])
        orig_wh = (image['original_width'], image['original_height'])
        assert png_wh == png_sizes[image_id]
        assert orig_wh == SIZES[image_id]
        sx, sy = png_wh[0] / orig_wh[0], png_wh[1] / orig_wh[1]
        x, y, w, h = ann['bbox']
        assert [x, y, x + w, y + h] == pytest.approx([
            orig_box[0] * sx, orig_box[1] * sy, orig_box[2] * sx,
            orig_box[3] * sy
        ],
                                                     abs=1e-9)
        back = png_to_original_boxes([[x, y, x + w, y + h]], png_wh, orig_wh)
        np.testing.assert_allclose(back[0], orig_box, atol=1e-6)


def test_box_mapping_round_trip():
    rng = np.random.default_rng(0)
    xy = rng.uniform(0, 2000, (50, 2))
    boxes = np.concatenate([xy, xy + rng.uniform(0, 500, (50, 2))], 1)
    png, orig = (817, 1333), (1606, 2455)
    mapped = original_to_png_boxes(boxes, png, orig)
    assert mapped.shape == boxes.shape
    np.testing.assert_allclose(mapped[:, 2], boxes[:, 2] * 817 / 1606)
    np.testing.assert_allclose(mapped[:, 3], boxes[:, 3] * 1333 / 2455)
    np.testing.assert_allclose(
        png_to_original_boxes(mapped, png, orig), boxes, atol=1e-6)
    assert png_to_original_boxes(np.zeros((0, 4)), png, orig).shape == (0, 4)


def test_boxes_clipped_to_image(tmp_path):
    csv = write(tmp_path / 'a.csv', [
        HEADER,
        row('img_a', 'Osteophytes', (-5, -3, 250, 40)),
        row('img_a', 'Osteophytes', (10, 10, 20, 20)),
    ])
    coco, summary = spinexr_to_coco(csv, meta_csv=write_meta(tmp_path))
    assert coco['annotations'][0]['bbox'] == [0, 0, 200, 40]
    assert coco['annotations'][0]['area'] == 8000
    assert coco['annotations'][1]['bbox'] == [10, 10, 10, 10]
    assert summary.num_clipped == 1


def test_degenerate_boxes_skipped_and_reported(tmp_path):
    csv = write(
        tmp_path / 'a.csv',
        [
            HEADER,
            row('img_a', 'Osteophytes', (10, 10, 10, 30)),  # zero width
            row('img_a', 'Osteophytes', (10, 10, 30, 10.0001)),  # 1e-4 high
            row('img_a', 'Osteophytes', (250, 10, 260, 30)),  # outside
            row('img_a', 'Osteophytes', (10, 10, 30, 30)),
        ])
    coco, summary = spinexr_to_coco(csv, meta_csv=write_meta(tmp_path))
    assert len(coco['annotations']) == 1
    assert [p.line for p in summary.degenerate] == [2, 3, 4]
    assert all(p.path == csv for p in summary.degenerate)
    assert "degenerate 'Osteophytes' box on image 'img_a'" in str(
        summary.degenerate[0])
    assert 'dropped (degenerate): 3' in summary.format()
    assert summary.num_without_boxes == 0


@pytest.mark.parametrize('bad_row, message', [
    (row('img_a', 'Osteophytes', ('', 1, 2, 3)), 'missing xmin'),
    (row('img_a', 'Osteophytes', (0, 'nan', 2, 3)), "invalid ('nan') ymin"),
    (row('img_a', 'Osteophytes', (0, 1, 'abc', 3)), "invalid ('abc') xmax"),
    (row('img_a', 'Osteophytes', (0, 1, 2, 'inf')), "invalid ('inf') ymax"),
    (row('img_a', 'Osteophytes', (5, 1, 2, 3)), 'xmax (2) < xmin (5)'),
    (row('img_a', 'Osteophytes', (0, 4, 2, 3)), 'ymax (3) < ymin (4)'),
    (row('img_a', 'Bone spur', (0, 1, 2, 3)), "unknown lesion_type"),
    (row('img_a', 'Osteophytes', (0, 1, 2, 3)) + ',x', 'expected 9 fields'),
    ('img_a,s,se,R1,Osteophytes,0,1', 'expected 9 fields, got 7'),
    (row('', 'No finding'), 'empty image_id'),
    (row('img_zz', 'No finding'), "unknown image 'img_zz': no usable size in"),
])
def test_malformed_row_line_number(tmp_path, bad_row, message):
    csv = write(tmp_path / 'a.csv', [
        HEADER,
        row('img_a', 'Osteophytes', (0, 1, 2, 3)),
        row('img_n', 'No finding'),
        bad_row,
        row('img_b', 'Osteophytes', (0, 1, 2, 3)),
    ])
    meta = write_meta(tmp_path)
    with pytest.raises(AnnotationCSVError) as info:
        spinexr_to_coco(csv, meta_csv=meta)
    assert f'{csv}:4: {message}' in str(info.value)
    assert [p.line for p in info.value.problems] == [4]

    # skip_invalid: the row is skipped, reported, and the rest converted.
    coco, summary = spinexr_to_coco(csv, meta_csv=meta, skip_invalid=True)
    assert [p.line for p in summary.skipped] == [4]
    assert len(coco['annotations']) == 2
    assert 'skipped (invalid rows): 1' in summary.format()


def test_all_problems_listed_in_one_error_with_cap(tmp_path):
    bad = row('img_a', 'Osteophytes', (5, 1, 2, 3))
    csv = write(tmp_path / 'a.csv', [HEADER] + [bad] * 30)
    with pytest.raises(AnnotationCSVError) as info:
        spinexr_to_coco(csv, meta_csv=write_meta(tmp_path), max_errors=5)
    text = str(info.value)
    assert len(info.value.problems) == 30
    assert '30 invalid row(s)' in text and f'{csv}:6:' in text
    assert f'{csv}:7:' not in text and '... and 25 more' in text


def test_quoted_multiline_field_and_blank_lines(tmp_path):
    csv = write(tmp_path / 'a.csv', [
        HEADER,
        'img_a,s_img_a,se_img_a,"R\n1",Osteophytes,0,1,2,3',
        '',
        row('img_a', 'Osteophytes', (5, 1, 2, 3)),
    ])
    with pytest.raises(AnnotationCSVError, match=f'{csv}:5: xmax'):
        spinexr_to_coco(csv, meta_csv=write_meta(tmp_path))


def test_no_finding_row_with_coordinates_is_fine(tmp_path):
    csv = write(tmp_path / 'a.csv',
                [HEADER, row('img_n', 'No finding', (1, 2, 3, 4))])
    coco, _ = spinexr_to_coco(csv, meta_csv=write_meta(tmp_path))
    assert coco['annotations'] == [] and len(coco['images']) == 1


def test_missing_column(tmp_path):
    csv = write(tmp_path / 'a.csv', [
        'image_id,study_id,series_id,lesion_type,xmin,ymin,xmax,ymax',
        'img_a,s,se,Osteophytes,0,1,2,3'
    ])
    with pytest.raises(
            AnnotationCSVError, match=r'a\.csv:1: missing '
            r'column\(s\) rad_id'):
        spinexr_to_coco(csv, meta_csv=write_meta(tmp_path), skip_invalid=True)


def test_inconsistent_study_id(tmp_path):
    csv = write(tmp_path / 'a.csv', [
        HEADER,
        row('img_a', 'Osteophytes', (0, 1, 2, 3)),
        'img_a,other,se_img_a,R1,Osteophytes,0,1,2,3',
    ])
    with pytest.raises(AnnotationCSVError, match=r':3: image .* line 2'):
        spinexr_to_coco(csv, meta_csv=write_meta(tmp_path))


def test_unknown_image_from_png_dir(tmp_path):
    csv = write(tmp_path / 'a.csv', [
        HEADER,
        row('img_a', 'Osteophytes', (0, 1, 2, 3)),
        row('img_b', 'Osteophytes', (0, 1, 2, 3)),
        row('img_b', 'No finding'),
    ])
    image_dir = write_pngs(tmp_path, {'img_a': (20, 10)})
    with pytest.raises(AnnotationCSVError) as info:
        spinexr_to_coco(csv, image_dir=image_dir)
    assert [p.line for p in info.value.problems] == [3, 4]
    assert 'img_b.png does not exist' in str(info.value)
    coco, summary = spinexr_to_coco(
        csv, image_dir=image_dir, skip_invalid=True)
    assert [i['file_name'] for i in coco['images']] == ['img_a.png']
    assert len(summary.skipped) == 2


def test_sizes_from_png_dir_only(tmp_path):
    sizes, reasons = resolve_image_sizes(['img_a', 'img_x'],
                                         image_dir=write_pngs(
                                             tmp_path, {'img_a': (37, 21)}))
    assert sizes['img_a'].width == 37 and sizes['img_a'].height == 21
    assert sizes['img_a'].original_width == 37
    assert 'img_x' in reasons


def test_read_png_size(tmp_path):
    path = str(tmp_path / 'x.png')
    cv2.imwrite(path, np.zeros((13, 29, 3), np.uint8))
    assert read_png_size(path) == (29, 13)
    not_png = write(tmp_path / 'y.png', ['hello'])
    with pytest.raises(ValueError, match='not a PNG'):
        read_png_size(not_png)


def write_dicoms(folder, sizes) -> str:
    rng = np.random.default_rng(0)
    for image_id, (w, h) in sizes.items():
        write_dicom(
            str(folder / f'{image_id}.dicom'),
            build_dataset(rng.integers(0, 4096, (h, w))))
    return str(folder)


def test_sizes_from_dicom2png_report(tmp_path):
    """A real dicom2png report, PNGs downscaled, no image_dir."""
    src = tmp_path / 'dicoms'
    write_dicoms(src, {'img_a': (200, 100), 'img_b': (300, 400)})
    out = str(tmp_path / 'pngs')
    summary = convert_folder(str(src), out, max_size=100, progress=False)
    assert summary.counts == {'converted': 2}
    csv = write(tmp_path / 'a.csv', [
        HEADER,
        row('img_a', 'Osteophytes', (10, 20, 30, 40)),
        row('img_b', 'Vertebral collapse', (40, 80, 120, 200)),
    ])
    coco, _ = spinexr_to_coco(csv, meta_csv=summary.report)
    image, (ann, ) = anns_of(coco, 'img_a.png')
    assert (image['width'], image['height']) == (100, 50)
    assert (image['original_width'], image['original_height']) == (200, 100)
    assert ann['bbox'] == [5, 10, 10, 10]
    image, (ann, ) = anns_of(coco, 'img_b.png')
    assert (image['width'], image['height']) == (75, 100)
    assert (image['original_width'], image['original_height']) == (300, 400)
    assert ann['bbox'] == [10, 20, 20, 30]
    # the sizes are those of the PNGs written
    for image in coco['images']:
        assert read_png_size(osp.join(out,
                                      image['file_name'])) == (image['width'],
                                                               image['height'])


def test_failed_rows_of_dicom2png_report(tmp_path):
    src = tmp_path / 'dicoms'
    write_dicoms(src, {'img_a': (200, 100)})
    # a failed conversion, and a failed duplicate of a converted image id
    (src / 'img_f.dicom').write_text('not a dicom')
    (src / 'sub').mkdir()
    write_dicoms(src / 'sub', {'img_a': (20, 10)})
    summary = convert_folder(
        str(src), str(tmp_path / 'pngs'), max_size=100, progress=False)
    assert summary.counts == {'converted': 1, 'failed': 2}
    csv = write(tmp_path / 'a.csv', [
        HEADER,
        row('img_a', 'Osteophytes', (10, 20, 30, 40)),
        row('img_f', 'No finding'),
    ])
    with pytest.raises(AnnotationCSVError) as info:
        spinexr_to_coco(csv, meta_csv=summary.report)
    assert [p.line for p in info.value.problems] == [3]
    assert "unknown image 'img_f': conversion failed in" in str(info.value)
    assert 'not a DICOM file' in str(info.value)
    coco, summary = spinexr_to_coco(
        csv, meta_csv=summary.report, skip_invalid=True)
    assert [i['file_name'] for i in coco['images']] == ['img_a.png']
    assert len(summary.skipped) == 1
    image, (ann, ) = anns_of(coco, 'img_a.png')
    assert (image['width'], image['height']) == (100, 50)
    assert ann['bbox'] == [5, 10, 10, 10]


def test_report_without_png_size(tmp_path):
    header = ','.join(REPORT_COLUMNS)
    values = dict.fromkeys(REPORT_COLUMNS, '')
    values.update(
        image_id='img_a', status='converted', rows='100', columns='200')
    report = write(tmp_path / 'report.csv',
                   [header, ','.join(values[c] for c in REPORT_COLUMNS)])
    sizes, reasons = resolve_image_sizes(['img_a'], meta_csv=report)
    assert sizes == {}
    assert 'no PNG size (out_columns, out_rows)' in reasons['img_a']
    assert load_size_csv(report) == {}


def test_bad_size_csv(tmp_path):
    meta = write(tmp_path / 'm.csv', ['image_id,height,width', 'img_a,1,2'])
    csv = write(tmp_path / 'a.csv', [HEADER, row('img_a', 'No finding')])
    with pytest.raises(ValueError, match=r'm\.csv:1: need columns'):
        spinexr_to_coco(csv, meta_csv=meta)
    with pytest.raises(ValueError, match='meta_csv, image_dir'):
        spinexr_to_coco(csv)


def test_json_loads_in_pycocotools(basic_csv, tmp_path):
    out = str(tmp_path / 'out' / 'train.json')
    summary = convert_spinexr_to_coco(
        basic_csv, out, meta_csv=write_meta(tmp_path), fold_rare=True)
    assert summary.stats.num_boxes == 5 and summary.json == out
    assert summary.exit_code == 0 and 'boxes: 5' in str(summary)
    coco = COCO(out)
    assert len(coco.getImgIds()) == 3
    assert len(coco.getAnnIds()) == 5
    assert coco.getCatIds(catNms=['Other lesions']) == [7]
    img_n = coco.loadImgs(3)[0]
    assert img_n['file_name'] == 'img_n.png'
    assert coco.getAnnIds(imgIds=[3]) == []
    # a result in PNG pixels evaluates against it
    res = coco.loadRes(
        [dict(image_id=1, category_id=1, bbox=[10, 20, 20, 40], score=0.9)])
    assert len(res.getAnnIds()) == 1


def test_json_loads_in_spinexr_dataset(basic_csv, tmp_path):
    pytest.importorskip('mmdet')
    out = str(tmp_path / 'train.json')
    convert_spinexr_to_coco(basic_csv, out, meta_csv=write_meta(tmp_path))
    from mmspine.utils import register_all_modules
    register_all_modules()
    from mmspine.datasets import SpineXRDataset
    dataset = SpineXRDataset(
        ann_file=out,
        data_prefix=dict(img=str(tmp_path)),
        pipeline=[],
        test_mode=True,
        lazy_init=False)
    assert len(dataset) == 3
    infos = {osp.basename(d['img_path']): d for d in dataset}
    assert infos['img_n.png']['instances'] == []
    labels = [i['bbox_label'] for i in infos['img_a.png']['instances']]
    assert labels == [0, 1]
    assert infos['img_a.png']['instances'][0]['bbox'] == [10, 20, 30, 60]


def test_tool_end_to_end(basic_csv, tmp_path):
    out = str(tmp_path / 'coco.json')
    tool = osp.join(REPO_ROOT, 'tools/dataset_converters/spinexr2coco.py')
    proc = subprocess.run([
        sys.executable, tool, basic_csv, out, '--meta-csv',
        write_meta(tmp_path), '--fold-rare'
    ],
                          capture_output=True,
                          text=True,
                          cwd=REPO_ROOT)
    assert proc.returncode == 0, proc.stderr
    assert 'images: 3 (1 normal, 1 without boxes)' in proc.stdout
    assert 'Other lesions' in proc.stdout
    with open(out) as f:
        assert len(json.load(f)['annotations']) == 5

    bad = write(tmp_path / 'bad.csv',
                [HEADER, row('img_a', 'Osteophytes', (5, 1, 2, 3))])
    proc = subprocess.run(
        [sys.executable, tool, bad, out, '--image-dir',
         str(tmp_path)],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT)
    assert proc.returncode == 1
    assert f'{bad}:2:' in proc.stderr and 'Traceback' not in proc.stderr


def test_no_torch_or_mmdet_imported():
    code = ('import sys, mmspine.annotations; '
            'bad = [m for m in ("torch", "mmdet", "mmengine") '
            'if m in sys.modules]; assert not bad, bad')
    subprocess.run([sys.executable, '-c', code], check=True, cwd=REPO_ROOT)


def test_dicom_file_names_and_max_size_from_metadata(tmp_path):
    """Training from DICOMs: file_name is the DICOM, sizes those that
    LoadSpineDICOM(max_size=...) gives, boxes scaled to them."""
    from mmspine.dicom import parse_folder_metadata
    from mmspine.dicom.convert import dicom_to_uint8
    src = tmp_path / 'dicoms'
    write_dicoms(src, {'img_a': (200, 100), 'img_b': (301, 401)})
    meta = parse_folder_metadata(
        str(src), str(tmp_path / 'meta.csv'), progress=False)
    csv = write(tmp_path / 'a.csv', [
        HEADER,
        row('img_a', 'Osteophytes', (10, 20, 30, 40)),
        row('img_b', 'Vertebral collapse', (40, 80, 120, 200)),
    ])
    for max_size in (None, 150):
        coco, _ = spinexr_to_coco(
            csv, meta_csv=meta.csv, img_suffix='.dicom', max_size=max_size)
        for image in coco['images']:
            path = osp.join(str(src), image['file_name'])
            img = dicom_to_uint8(path, max_size=max_size).image
            assert (image['width'], image['height']) == img.shape[::-1]
        image, (ann, ) = anns_of(coco, 'img_a.dicom')
        assert (image['original_width'], image['original_height']) == (200,
                                                                       100)
        scale = 1 if max_size is None else 0.75
        assert ann['bbox'] == pytest.approx(
            [10 * scale, 20 * scale, 20 * scale, 20 * scale])


def test_report_of_an_older_version_is_still_a_report(tmp_path):
    """Reports written before the 'forced' column keep giving PNG sizes."""
    src = tmp_path / 'dicoms'
    write_dicoms(src, {'img_a': (200, 100)})
    summary = convert_folder(
        str(src), str(tmp_path / 'pngs'), max_size=100, progress=False)
    with open(summary.report) as f:
        lines = f.read().splitlines()
    old = [','.join(line.split(',')[:-1]) for line in lines]
    assert old[0].split(',')[-1] == 'scale'
    report = write(tmp_path / 'old_report.csv', old)
    csv = write(tmp_path / 'a.csv', [HEADER, row('img_a', 'No finding')])
    coco, _ = spinexr_to_coco(csv, meta_csv=report)
    image = coco['images'][0]
    assert (image['width'], image['height']) == (100, 50)
    assert (image['original_width'], image['original_height']) == (200, 100)
