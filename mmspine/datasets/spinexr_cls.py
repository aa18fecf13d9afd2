import csv
import logging
import os.path as osp
from collections import OrderedDict
from typing import Dict, List, Optional, Sequence

import numpy as np
from mmdet.registry import DATASETS
from mmengine.dataset import BaseDataset
from mmengine.fileio import get_local_path
from mmengine.logging import print_log

from ..annotations import unusable_images
from ..dicom.convert import REPORT_NAME
from ..metainfo import ALL_LESION_TYPES, NO_FINDING

#: Name of the image-level output that every classifier has first.
ABNORMAL = 'abnormal'


@DATASETS.register_module()
class SpineXRClsDataset(BaseDataset):
    """VinDr-SpineXR abnormal-vs-normal image labels from the VinDr CSV.

    An image is abnormal when any of its rows names one of ``lesion_types``
    (by default all 13) and normal when its rows are 'No finding'. Each data
    info has ``img_path``, ``img_id`` (the CSV's image_id), ``abnormal``
    (0/1) and ``gt_label``: ``[abnormal]``, or in multi-label mode
    ``[abnormal, has lesion type 1, ...]``.

    Args:
        ann_file (str): The VinDr CSV (image_id, lesion_type, ... columns).
        lesion_types (Sequence[str]): Lesion types that make an image
            abnormal, and the extra outputs in multi-label mode. Defaults to
            all 13.
        multi_label (bool): One label per lesion type besides 'abnormal'.
            Defaults to False.
        img_suffix (str): Image file suffix. Defaults to '.png'.
        conversion_report (str, optional): ``tools/dataset_converters/
            dicom2png.py``'s report; images whose conversion failed are left
            out, reported in the log and kept in :attr:`left_out` (id ->
            reason), as the detection JSON leaves them out. Defaults to
            ``conversion_report.csv`` in the image folder, if there is one.
        **kwargs: Passed to :class:`BaseDataset` (data_root, data_prefix
            with key 'img', pipeline, test_mode, ...).
    """

    METAINFO = {'classes': (ABNORMAL, )}

    def __init__(self,
                 ann_file: str,
                 lesion_types: Sequence[str] = ALL_LESION_TYPES,
                 multi_label: bool = False,
                 img_suffix: str = '.png',
                 conversion_report: Optional[str] = None,
                 metainfo: Optional[dict] = None,
                 backend_args: Optional[dict] = None,
                 **kwargs) -> None:
        self.lesion_types = tuple(lesion_types)
        self.multi_label = multi_label
        self.img_suffix = img_suffix
        self.backend_args = backend_args
        self.conversion_report = conversion_report
        self.left_out: Dict[str, str] = {}
        classes = (ABNORMAL, ) + (self.lesion_types if multi_label else ())
        metainfo = dict(metainfo or {})
        metainfo.setdefault('classes', classes)
        super().__init__(ann_file=ann_file, metainfo=metainfo, **kwargs)

    def load_data_list(self) -> List[dict]:
        """One data info per image of the CSV, in order of appearance."""
        lesions = OrderedDict()
        with get_local_path(self.ann_file, self.backend_args) as path:
            with open(path, newline='') as f:
                for row in csv.DictReader(f):
                    found = lesions.setdefault(row['image_id'], set())
                    kind = row['lesion_type'].strip()
                    if kind in self.lesion_types:
                        found.add(kind)
                    elif kind != NO_FINDING and \
                            kind not in ALL_LESION_TYPES:
                        raise ValueError(
                            f'unknown lesion_type {kind!r} in {path}')
        img_dir = self.data_prefix.get('img', '')
        report = self.conversion_report or osp.join(img_dir, REPORT_NAME)
        if osp.isfile(report):
            unusable = unusable_images(report)
            self.left_out = {i: unusable[i] for i in lesions if i in unusable}
            for image_id, reason in self.left_out.items():
                print_log(
                    f'{path}: left out image {image_id}: {reason}',
                    'current',
                    level=logging.WARNING)
        data_list = []
        for image_id, found in lesions.items():
            if image_id in self.left_out:
                continue
            abnormal = int(bool(found))
            label = [abnormal]
            if self.multi_label:
                label += [int(t in found) for t in self.lesion_types]
            data_list.append(
                dict(
                    img_path=osp.join(img_dir, image_id + self.img_suffix),
                    img_id=image_id,
                    abnormal=abnormal,
                    gt_label=np.asarray(label, dtype=np.float32)))
        return data_list

    def get_abnormal_labels(self) -> np.ndarray:
        """The 0/1 abnormal label of every image, in index order."""
        return np.array(
            [self.get_data_info(i)['abnormal'] for i in range(len(self))])
