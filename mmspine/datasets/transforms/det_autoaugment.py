"""AutoAugment for object detection as an mmdet 3.x pipeline transform."""
from typing import Optional, Sequence, Tuple, Union

import numpy as np
from mmcv.transforms import BaseTransform
from mmdet.registry import TRANSFORMS
from mmdet.structures.bbox import BaseBoxes

from .autoaugment_ops import FILL, MAX_LEVEL, OP_NAMES, apply_op

__all__ = [
    'DetAutoAugment', 'POLICIES', 'POLICY_V0', 'POLICY_V1', 'POLICY_V2',
    'POLICY_V3'
]

PolicyEntry = Tuple[str, float, float]
Policy = Sequence[Sequence[PolicyEntry]]

# The learned policies of Zoph et al., "Learning Data Augmentation
# Strategies for Object Detection" (ECCV 2020): one sub-policy is drawn per
# image, then each (op, probability, level) entry runs in turn.
# yapf: disable
POLICY_V0: Policy = (
    (('TranslateX_BBox', 0.6, 4), ('Equalize', 0.8, 10)),
    (('TranslateY_Only_BBoxes', 0.2, 2), ('Cutout', 0.8, 8)),
    (('Sharpness', 0.0, 8), ('ShearX_BBox', 0.4, 0)),
    (('ShearY_BBox', 1.0, 2), ('TranslateY_Only_BBoxes', 0.6, 6)),
    (('Rotate_BBox', 0.6, 10), ('Color', 1.0, 6)),
)
POLICY_V1: Policy = POLICY_V0 + (
    (('Color', 0.0, 0), ('ShearX_Only_BBoxes', 0.8, 4)),
    (('ShearY_Only_BBoxes', 0.8, 2), ('Flip_Only_BBoxes', 0.0, 10)),
    (('Equalize', 0.6, 10), ('TranslateX_BBox', 0.2, 2)),
    (('Color', 1.0, 10), ('TranslateY_Only_BBoxes', 0.4, 6)),
    (('Rotate_BBox', 0.8, 10), ('Contrast', 0.0, 10)),
    (('Cutout', 0.2, 2), ('Brightness', 0.8, 10)),
    (('Color', 1.0, 6), ('Equalize', 1.0, 2)),
    (('Cutout_Only_BBoxes', 0.4, 6), ('TranslateY_Only_BBoxes', 0.8, 2)),
    (('Color', 0.2, 8), ('Rotate_BBox', 0.8, 10)),
    (('Sharpness', 0.4, 4), ('TranslateY_Only_BBoxes', 0.0, 4)),
    (('Sharpness', 1.0, 4), ('SolarizeAdd', 0.4, 4)),
    (('Rotate_BBox', 1.0, 8), ('Sharpness', 0.2, 8)),
    (('ShearY_BBox', 0.6, 10), ('Equalize_Only_BBoxes', 0.6, 8)),
    (('ShearX_BBox', 0.2, 6), ('TranslateY_Only_BBoxes', 0.2, 10)),
    (('SolarizeAdd', 0.6, 8), ('Brightness', 0.8, 10)),
)
POLICY_V2: Policy = (
    (('Color', 0.0, 6), ('Cutout', 0.6, 8), ('Sharpness', 0.4, 8)),
    (('Rotate_BBox', 0.4, 8), ('Sharpness', 0.4, 2),
     ('Rotate_BBox', 0.8, 10)),
    (('TranslateY_BBox', 1.0, 8), ('AutoContrast', 0.8, 2)),
    (('AutoContrast', 0.4, 6), ('ShearX_BBox', 0.8, 8),
     ('Brightness', 0.0, 10)),
    (('SolarizeAdd', 0.2, 6), ('Contrast', 0.0, 10),
     ('AutoContrast', 0.6, 0)),
    (('Cutout', 0.2, 0), ('Solarize', 0.8, 8), ('Color', 1.0, 4)),
    (('TranslateY_BBox', 0.0, 4), ('Equalize', 0.6, 8),
     ('Solarize', 0.0, 10)),
    (('TranslateY_BBox', 0.2, 2), ('ShearY_BBox', 0.8, 8),
     ('Rotate_BBox', 0.8, 8)),
    (('Cutout', 0.8, 8), ('Brightness', 0.8, 8), ('Cutout', 0.2, 2)),
    (('Color', 0.8, 4), ('TranslateY_BBox', 1.0, 6),
     ('Rotate_BBox', 0.6, 6)),
    (('Rotate_BBox', 0.6, 10), ('BBox_Cutout', 1.0, 4),
     ('Cutout', 0.2, 8)),
    (('Rotate_BBox', 0.0, 0), ('Equalize', 0.6, 6),
     ('ShearY_BBox', 0.6, 8)),
    (('Brightness', 0.8, 8), ('AutoContrast', 0.4, 2),
     ('Brightness', 0.2, 2)),
    (('TranslateY_BBox', 0.4, 8), ('Solarize', 0.4, 6),
     ('SolarizeAdd', 0.2, 10)),
    (('Contrast', 1.0, 10), ('SolarizeAdd', 0.2, 8), ('Equalize', 0.2, 4)),
)
POLICY_V3: Policy = (
    (('Posterize', 0.8, 2), ('TranslateX_BBox', 1.0, 8)),
    (('BBox_Cutout', 0.2, 10), ('Sharpness', 1.0, 8)),
    (('Rotate_BBox', 0.6, 8), ('Rotate_BBox', 0.8, 10)),
    (('Equalize', 0.8, 10), ('AutoContrast', 0.2, 10)),
    (('SolarizeAdd', 0.2, 2), ('TranslateY_BBox', 0.2, 8)),
    (('Sharpness', 0.0, 2), ('Color', 0.4, 8)),
    (('Equalize', 1.0, 8), ('TranslateY_BBox', 1.0, 8)),
    (('Posterize', 0.6, 2), ('Rotate_BBox', 0.0, 10)),
    (('AutoContrast', 0.6, 0), ('Rotate_BBox', 1.0, 6)),
    (('Equalize', 0.0, 4), ('Cutout', 0.8, 10)),
    (('Brightness', 1.0, 2), ('TranslateY_BBox', 1.0, 6)),
    (('Contrast', 0.0, 2), ('ShearY_BBox', 0.8, 0)),
    (('AutoContrast', 0.8, 10), ('Contrast', 0.2, 10)),
    (('Rotate_BBox', 1.0, 10), ('Cutout', 1.0, 10)),
    (('SolarizeAdd', 0.8, 6), ('Equalize', 0.8, 8)),
)
# yapf: enable
POLICIES = dict(v0=POLICY_V0, v1=POLICY_V1, v2=POLICY_V2, v3=POLICY_V3)


def _check_policy(policy: Policy) -> Tuple[Tuple[PolicyEntry, ...], ...]:
    """Validate a list of sub-policies and freeze it into tuples."""
    if len(policy) == 0:
        raise ValueError('an AutoAugment policy needs a sub-policy')
    checked = []
    for sub in policy:
        entries = []
        for entry in sub:
            if len(entry) != 3:
                raise ValueError('a policy entry is (op, probability, '
                                 f'level), got {entry!r}')
            name, prob, level = entry
            if name not in OP_NAMES:
                raise KeyError(f'unknown AutoAugment op {name!r}; '
                               f'choose from {", ".join(OP_NAMES)}')
            if not 0 <= prob <= 1 or not 0 <= level <= MAX_LEVEL:
                raise ValueError(f'{entry!r}: probability must be in [0, 1] '
                                 f'and level in [0, {MAX_LEVEL:g}]')
            entries.append((name, float(prob), float(level)))
        checked.append(tuple(entries))
    return tuple(checked)


@TRANSFORMS.register_module()
class DetAutoAugment(BaseTransform):
    """AutoAugment for detection: learned policies of image and box ops.

    Per image, one sub-policy is drawn uniformly and its ``(op, prob,
    level)`` entries run in turn (see
    :mod:`mmspine.datasets.transforms.autoaugment_ops`). Geometric ops move
    the boxes with the image; boxes are clipped to the image and instances
    whose box becomes smaller than ``min_size`` are removed together with
    their label and ignore flag. Masks and segmentation maps are not
    supported. Put it before resizing, as the policy levels are in pixels
    of the loaded image.

    Randomness comes from a ``numpy.random.Generator``. With ``seed=None``
    it is drawn per image from NumPy's global random state, which
    mmengine's ``randomness=dict(seed=...)`` seeds in the main process and,
    differently, in every data worker, so seeded training reproduces and
    workers do not repeat each other. With an integer ``seed`` the
    transform keeps one generator of its own; every worker then receives a
    copy of the same stream, which suits tests and debugging.

    Required Keys:

    - img
    - gt_bboxes (BaseBoxes[torch.float32] | np.float32) (optional)
    - gt_bboxes_labels (np.int64) (optional)
    - gt_ignore_flags (bool) (optional)

    Modified Keys:

    - img
    - gt_bboxes
    - gt_bboxes_labels
    - gt_ignore_flags

    Added Keys:

    - autoaugment_policy (int): index of the sub-policy drawn.

    Args:
        policy (str | list): ``'v0'``, ``'v1'``, ``'v2'`` or ``'v3'``, or
            a list of sub-policies, each a list of ``(op, probability,
            level)`` with level in 0-10. Defaults to ``'v2'``.
        fill (int): Grey of the pixels that geometric ops uncover and that
            cutouts set. Defaults to 128.
        min_size (float): Instances whose clipped box is narrower or
            shorter than this many pixels are removed. Defaults to 1.
        seed (int, optional): Seed of a generator owned by the transform.
            Defaults to None (use NumPy's global random state).
    """

    def __init__(self,
                 policy: Union[str, Policy] = 'v2',
                 fill: int = FILL,
                 min_size: float = 1.,
                 seed: Optional[int] = None) -> None:
        if isinstance(policy, str):
            if policy not in POLICIES:
                raise KeyError(f'unknown AutoAugment policy {policy!r}; '
                               f'choose from {", ".join(POLICIES)} or give '
                               'a list of sub-policies')
            self.policies = POLICIES[policy]
        else:
            self.policies = _check_policy(policy)
        self.policy = policy
        self.fill = fill
        self.min_size = min_size
        self.seed = seed
        self._rng = None if seed is None else np.random.default_rng(seed)

    def _generator(self) -> np.random.Generator:
        if self._rng is not None:
            return self._rng
        return np.random.default_rng(np.random.randint(2**31))

    def transform(self, results: dict) -> dict:
        """Apply one randomly drawn sub-policy to ``results``."""
        for key in ('gt_masks', 'gt_seg_map'):
            if results.get(key) is not None:
                raise NotImplementedError(
                    f'DetAutoAugment does not transform {key}')
        rng = self._generator()
        index = int(rng.integers(len(self.policies)))
        gt_bboxes = results.get('gt_bboxes')
        if isinstance(gt_bboxes, BaseBoxes):
            boxes = gt_bboxes.numpy()
        else:
            boxes = gt_bboxes
        img = results['img']
        boxes = np.zeros((0, 4), np.float32) if boxes is None else boxes
        for name, prob, level in self.policies[index]:
            img, boxes = apply_op(name, img, boxes, prob, level, rng,
                                  self.fill)
        results['img'] = img
        results['autoaugment_policy'] = index
        if gt_bboxes is not None:
            self._update_instances(results, gt_bboxes, boxes, img.shape[:2])
        return results

    def _update_instances(self, results: dict, gt_bboxes: Union[BaseBoxes,
                                                                np.ndarray],
                          boxes: np.ndarray, img_shape: Tuple[int,
                                                              int]) -> None:
        """Clip the boxes and drop the instances whose box vanished."""
        h, w = img_shape
        boxes = boxes.copy()
        boxes[:, 0::2] = boxes[:, 0::2].clip(0, w)
        boxes[:, 1::2] = boxes[:, 1::2].clip(0, h)
        keep = ((boxes[:, 2] - boxes[:, 0] >= self.min_size) &
                (boxes[:, 3] - boxes[:, 1] >= self.min_size))
        if isinstance(gt_bboxes, BaseBoxes):
            results['gt_bboxes'] = type(gt_bboxes)(
                boxes[keep], dtype=gt_bboxes.dtype, device=gt_bboxes.device)
        else:
            results['gt_bboxes'] = boxes[keep].astype(gt_bboxes.dtype)
        for key in ('gt_bboxes_labels', 'gt_ignore_flags'):
            if results.get(key) is not None:
                results[key] = results[key][keep]

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(policy={self.policy!r}, '
                f'fill={self.fill}, min_size={self.min_size}, '
                f'seed={self.seed})')
