"""A ready-to-train phantom data set: DICOMs, PNGs and COCO JSON in one go."""
import json
import os
import os.path as osp
import shutil
from typing import Dict, Optional

from ..annotations import (DEFAULT_VAL_FRACTION, convert_spinexr_to_coco,
                           convert_with_val_split)
from ..dicom import convert_folder
from ..fileio import atomic_write
from .generator import make_phantom

SPLITS = ('train', 'test')

#: The options a phantom was prepared with, under ``root``.
PHANTOM_RECORD = 'phantom.json'


def prepare_phantom_dataset(root: str,
                            num_train: int,
                            num_test: int,
                            seed: int = 0,
                            size: Optional[int] = None,
                            max_size: Optional[int] = None,
                            workers: int = 1,
                            progress: bool = False,
                            val_fraction: float = DEFAULT_VAL_FRACTION,
                            val_seed: int = 0) -> Dict[str, dict]:
    """Generate a phantom and run it through the real preprocessing.

    The same path a user takes with VinDr-SpineXR: ``make_phantom`` writes
    ``root/dicom/{train,test}_images/*.dicom`` and the annotation CSVs;
    ``convert_folder`` turns them into ``root/{split}_images/*.png``; the
    CSVs are copied to ``root/annotations/`` and converted to COCO,
    scaling boxes when ``max_size`` shrank the PNGs. The training CSV is
    split by study as ``spinexr2coco.py`` splits it: ``train.json`` and
    ``cls_train.csv`` hold the train part, ``val.json`` and ``cls_val.csv``
    the val part (images in ``train_images/``), ``split.json`` records it;
    ``test.json`` and ``test.csv`` the test split. ``root/phantom.json``
    records the options, for :func:`phantom_is_prepared`.

    Args:
        root (str): Output data root.
        num_train (int): Training images, val included: about
            ``val_fraction`` of them (by study) go to val.
        num_test (int): Test images.
        seed (int): Phantom seed.
        size (int, optional): Long side of the generated DICOMs.
        max_size (int, optional): Downscale PNGs to this long side.
        workers (int): Worker processes for generation and conversion.
        progress (bool): Show progress bars.
        val_fraction (float): Share of the training studies in val; 0
            writes no val split (``train.json`` and ``train.csv`` then hold
            all training images).
        val_seed (int): Seed of the split.

    Returns:
        dict: Per split, the conversion and COCO summaries.

    Raises:
        RuntimeError: If any DICOM failed to convert.
    """
    record = osp.join(root, PHANTOM_RECORD)
    if osp.exists(record):
        # a half rewritten data set must not pass for the recorded one
        os.remove(record)
    dicom_root = osp.join(root, 'dicom')
    make_phantom(dicom_root, num_train, num_test, seed, size, workers)
    ann_dir = osp.join(root, 'annotations')
    os.makedirs(ann_dir, exist_ok=True)
    summaries = {}
    for split in SPLITS:
        png_dir = osp.join(root, f'{split}_images')
        converted = convert_folder(
            osp.join(dicom_root, f'{split}_images'),
            png_dir,
            workers=workers,
            max_size=max_size,
            progress=progress)
        if converted.failed:
            raise RuntimeError(f'{converted.failed} phantom DICOMs '
                               f'failed to convert, see {converted.report}')
        csv_path = osp.join(ann_dir, f'{split}.csv')
        shutil.copyfile(
            osp.join(dicom_root, 'annotations', f'{split}.csv'), csv_path)
        options = dict(meta_csv=converted.report, image_dir=png_dir)
        out_json = osp.join(ann_dir, f'{split}.json')
        if split == 'train' and val_fraction > 0:
            coco = convert_with_val_split(csv_path, out_json, val_fraction,
                                          val_seed, **options)
        else:
            coco = convert_spinexr_to_coco(csv_path, out_json, **options)
        summaries[split] = dict(conversion=converted, coco=coco)
    with atomic_write(record, 'w') as f:
        json.dump(
            phantom_options(num_train, num_test, seed, size, max_size,
                            val_fraction, val_seed), f)
    return summaries


def phantom_options(num_train: int,
                    num_test: int,
                    seed: int = 0,
                    size: Optional[int] = None,
                    max_size: Optional[int] = None,
                    val_fraction: float = DEFAULT_VAL_FRACTION,
                    val_seed: int = 0) -> dict:
    """The options that decide a prepared phantom's files."""
    return dict(
        num_train=num_train,
        num_test=num_test,
        seed=seed,
        size=size,
        max_size=max_size,
        val_fraction=val_fraction,
        val_seed=val_seed)


def phantom_is_prepared(root: str, **options) -> bool:
    """Whether ``root`` holds a phantom prepared with these options.

    ``options`` are those of :func:`phantom_options`. A data set prepared
    with other options, by an older version (no record) or not to the end
    is not.
    """
    try:
        with open(osp.join(root, PHANTOM_RECORD)) as f:
            recorded = json.load(f)
    except (OSError, ValueError):
        return False
    return recorded == phantom_options(**options)
