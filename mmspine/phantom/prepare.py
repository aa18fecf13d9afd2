"""A ready-to-train phantom data set: DICOMs, PNGs and COCO JSON in one go."""
import os
import os.path as osp
import shutil
from typing import Dict, Optional

from ..annotations import convert_spinexr_to_coco
from ..dicom import convert_folder
from .generator import make_phantom

SPLITS = ('train', 'test')


def prepare_phantom_dataset(root: str,
                            num_train: int,
                            num_test: int,
                            seed: int = 0,
                            size: Optional[int] = None,
                            max_size: Optional[int] = None,
                            workers: int = 1,
                            progress: bool = False) -> Dict[str, dict]:
    """Generate a phantom and run it through the real preprocessing.

    The same path a user takes with VinDr-SpineXR: ``make_phantom`` writes
    ``root/dicom/{train,test}_images/*.dicom`` and the annotation CSVs;
    ``convert_folder`` turns them into ``root/{split}_images/*.png``;
    ``convert_spinexr_to_coco`` writes ``root/annotations/{split}.json``,
    scaling boxes when ``max_size`` shrank the PNGs. The CSVs are copied to
    ``root/annotations/`` for the image-level classifier.

    Args:
        root (str): Output data root.
        num_train (int): Training images.
        num_test (int): Test images.
        seed (int): Phantom seed.
        size (int, optional): Long side of the generated DICOMs.
        max_size (int, optional): Downscale PNGs to this long side.
        workers (int): Worker processes for generation and conversion.
        progress (bool): Show progress bars.

    Returns:
        dict: Per split, the conversion and COCO summaries.

    Raises:
        RuntimeError: If any DICOM failed to convert.
    """
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
        coco = convert_spinexr_to_coco(
            csv_path,
            osp.join(ann_dir, f'{split}.json'),
            meta_csv=converted.report,
            image_dir=png_dir)
        summaries[split] = dict(conversion=converted, coco=coco)
    return summaries
