from typing import Optional

from mmdet.datasets import CocoDataset
from mmdet.registry import DATASETS

from ..metainfo import SPINEXR_CLASSES, SPINEXR_PALETTE
from ..utils.config import palette_for


@DATASETS.register_module()
class SpineXRDataset(CocoDataset):
    """VinDr-SpineXR lesion detection in COCO form.

    Images without boxes ("No finding") stay in the data list. Whether they
    are used for training is decided by ``filter_cfg``: with
    ``filter_cfg=dict(filter_empty_gt=True)`` they are dropped from the
    training set, as the reference recipe does. Validation and test sets
    (``test_mode=True``) are never filtered, so normal images count as
    sources of false positives in evaluation.
    """

    METAINFO = {
        'classes': SPINEXR_CLASSES,
        'palette': SPINEXR_PALETTE,
    }

    def __init__(self, *args, metainfo: Optional[dict] = None, **kwargs):
        # own classes without a palette of their own: one colour each,
        # instead of the VinDr palette's first colours
        if metainfo is not None and metainfo.get('classes') is not None:
            metainfo = dict(metainfo, palette=palette_for(metainfo))
        super().__init__(*args, metainfo=metainfo, **kwargs)
