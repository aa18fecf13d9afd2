"""``SpineInferencer``: radiographs in, lesion findings out.

Detectors (one or more, fused by Weighted Boxes Fusion), optional
horizontal-flip TTA, an optional classifier ensemble and the paper's
decision rule, with every box mapped back to the source's pixel grid.
mmdet's ``DetInferencer`` is the model for the interface; the difference is
that preprocessing starts from the DICOM, as training did.
"""
import copy
import os.path as osp
import time
from dataclasses import dataclass
from typing import Dict, Iterator, List, Optional, Sequence, Tuple, Union

import cv2
import numpy as np
import torch
from mmcv.transforms import Compose
from mmdet.structures.bbox import bbox_flip
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.registry import init_default_scope
from mmengine.runner import load_state_dict
from scipy.special import expit

from ..dicom.convert import InputError, resize_to_max
from ..fusion import (WBF_IOU_THR, WBF_SKIP_BOX_THR, fuse_boxes_wbf, gate_mask,
                      load_rule)
from ..jobs import describe_error
from ..metainfo import config_classes
from ..thresholds import FINDINGS_SCORE_THR, RULE_C, RULE_K
from ..utils.precision import autocast_features, resolve_precision
from .config import configure, load_config
from .findings import boxes_to_original, failed_result, make_result
from .inputs import (DEFAULT_PREPROCESS, InferenceInput, LoadedImage,
                     collect_inputs, load_input)
from .speed import apply_speed, resolve_speed

#: Defaults of c, k and the findings' score threshold (named in
#: :mod:`mmspine.thresholds`).
DEFAULT_C = RULE_C
DEFAULT_K = RULE_K
DEFAULT_SCORE_THR = FINDINGS_SCORE_THR

ModelSpec = Union[Tuple[Union[str, Config], Optional[str]], Sequence]


@dataclass
class LoadedModel:
    """A model ready for inference, with what it needs around it.

    Attributes:
        name (str): Config file stem.
        cfg (Config): Its config.
        model (torch.nn.Module): The model, in eval mode on the device.
        pipeline (Compose): The config's test pipeline, minus loading.
        mode (str): DICOM pixel mode of its training data.
        max_size (int, optional): Long side of its training PNGs.
        classes (tuple[str]): Detector classes (empty for classifiers).
    """
    name: str
    cfg: Config
    model: torch.nn.Module
    pipeline: Compose
    mode: str
    max_size: Optional[int]
    classes: Tuple[str, ...] = ()


def inference_pipeline(cfg: Config) -> Compose:
    """The test pipeline of ``cfg`` for in-memory images.

    Transforms that load (``LoadImageFromFile``, ``LoadAnnotations``, ...)
    are dropped: the inferencer hands over the converted pixels.
    """
    steps = [
        t for t in cfg.test_dataloader.dataset.pipeline
        if not t['type'].split('.')[-1].startswith('Load')
    ]
    return Compose(steps)


def preprocess_of(cfg: Config) -> dict:
    """DICOM pixel mode and max size the model was trained with.

    A config that trains from DICOMs says so in its test pipeline's
    ``LoadSpineDICOM``; one trained on PNGs in its ``preprocess`` dict
    (how ``dicom2png`` made them).
    """
    for step in cfg.test_dataloader.dataset.pipeline:
        if step['type'].split('.')[-1] == 'LoadSpineDICOM':
            return dict(
                mode=step.get('mode', 'reference'),
                max_size=step.get('max_size'))
    return dict(DEFAULT_PREPROCESS, **cfg.get('preprocess', {}))


def load_model_config(config: Union[str, Config],
                      cfg_options: Optional[dict] = None,
                      data_root: Optional[str] = None) -> Config:
    """The config :func:`build_model` builds from: a file loaded by
    :func:`~mmspine.apis.load_config`, or a copy of a loaded one, with the
    options merged and every dataset and evaluator at ``data_root``."""
    if not isinstance(config, Config):
        return load_config(config, cfg_options, data_root=data_root)
    return configure(copy.deepcopy(config), cfg_options, data_root)


def build_model(config: Union[str, Config],
                checkpoint: Optional[str],
                device: str = 'cpu',
                cfg_options: Optional[dict] = None,
                data_root: Optional[str] = None) -> LoadedModel:
    """Build a model from its config and load its weights.

    Checkpoints load with ``torch.load(weights_only=True)`` and the types
    :func:`mmspine.utils.allow_mmengine_checkpoint_types` allows, never as
    plain pickles.

    Args:
        config (str | Config): Model config.
        checkpoint (str, optional): Weights; None initialises the model as
            its config says (for benchmarks; set pretrained ``init_cfg`` to
            None to avoid downloads).
        device (str): 'cpu' or 'cuda[:n]'.
        cfg_options (dict, optional): Overrides merged into the config.
        data_root (str, optional): Points every dataset and evaluator of
            the config at this folder (``--data-root``).
    """
    from ..utils import register_all_modules
    register_all_modules(init_default_scope=False)
    cfg = load_model_config(config, cfg_options, data_root)
    name = osp.splitext(osp.basename(cfg.filename or 'model'))[0]
    init_default_scope(cfg.get('default_scope', 'mmdet'))
    from mmdet.registry import MODELS
    model = MODELS.build(cfg.model)
    meta = {}
    if checkpoint is not None:
        ckpt = torch.load(checkpoint, map_location='cpu', weights_only=True)
        state = ckpt.get('state_dict', ckpt)
        state = {
            k[len('module.'):] if k.startswith('module.') else k: v
            for k, v in state.items()
        }
        load_state_dict(model, state, strict=True)
        meta = ckpt.get('meta') or {}
    else:
        # the config's initialisation (e.g. Sparse R-CNN's whole-image
        # proposal boxes); plain random weights give degenerate boxes
        model.init_weights()
    model.to(device).eval()
    preprocess = preprocess_of(cfg)
    classes = tuple((meta.get('dataset_meta') or {}).get('classes') or ())
    return LoadedModel(name, cfg, model, inference_pipeline(cfg),
                       preprocess['mode'], preprocess['max_size'], classes)


def _as_spec(spec: ModelSpec) -> tuple:
    """``(config, checkpoint[, cfg_options])`` as three values."""
    if len(spec) not in (2, 3):
        raise ValueError('a model is (config, checkpoint) or (config, '
                         f'checkpoint, cfg_options), got {spec!r}')
    return spec[0], spec[1], spec[2] if len(spec) == 3 else None


class SpineInferencer:
    """Findings for radiographs from detectors, classifiers and the rule.

    Args:
        detectors (Sequence): ``(config, checkpoint)`` pairs, at least one;
            a third item, a dict, overrides that model's config.
        classifiers (Sequence): ``(config, checkpoint)`` pairs (or
            triples) of abnormal-vs-normal classifiers; their logits are
            averaged.
        device (str): 'cpu' or 'cuda'. Defaults to 'cpu'.
        rule (str, optional): JSON with ``c`` and ``k`` (``tools/fuse.py
            --sweep --rule-out``); ``c`` and ``k`` override it.
        c (float, optional): Classifier threshold; defaults to the rule
            file's, else :data:`DEFAULT_C`.
        k (float, optional): Box score that an image called normal still
            needs; defaults to the rule file's, else 0.5 (the paper).
        tta (bool): Also run each detector on the horizontally flipped
            image and fuse both views by WBF.
        score_thr (float): Findings scoring lower are dropped (after
            fusion, before the rule).
        wbf_weights (Sequence[float], optional): One weight per detector.
        wbf_iou_thr (float): IoU above which WBF fuses two boxes.
        wbf_skip_box_thr (float): Boxes scoring lower are ignored by WBF.
        batch_size (int): Images per forward pass.
        cfg_options (dict, optional): Overrides for every config (e.g.
            ``{'preprocess.max_size': 512}``).
        data_root (str, optional): Points every dataset and evaluator of
            every config at this folder (``tools/infer.py --data-root``).
        speed (dict, optional): Speed levers, see
            :data:`mmspine.apis.speed.SPEED_DEFAULTS`: BatchNorm folded
            into the convolutions and backbone + neck in channels-last
            layout by default, ``compile=True`` for ``torch.compile`` of
            backbone and neck, ``threads`` for ``torch.set_num_threads``.
            Each leaves the scores equal up to float rounding and falls
            back to the plain model where it cannot be applied
            (:attr:`speed_report` says what is on).
        channels_last (bool, optional): Shorthand for
            ``speed['channels_last']``.
        precision (str): 'fp32', 'bf16' (backbones and necks of every
            detector and classifier under bfloat16 autocast, features
            back in float32 for the heads) or 'auto' (bf16 where the device
            computes it natively: AMX or AVX512-BF16 CPUs, CUDA from
            compute capability 8.0; else fp32). :attr:`precision` says what
            was picked. See :mod:`mmspine.utils.precision`.

    With a single detector and no TTA, the detector's boxes are taken as
    they are: WBF of one set of boxes would still merge overlapping boxes.
    """

    def __init__(self,
                 detectors: Sequence[ModelSpec],
                 classifiers: Sequence[ModelSpec] = (),
                 device: str = 'cpu',
                 rule: Optional[str] = None,
                 c: Optional[float] = None,
                 k: Optional[float] = None,
                 tta: bool = False,
                 score_thr: float = DEFAULT_SCORE_THR,
                 wbf_weights: Optional[Sequence[float]] = None,
                 wbf_iou_thr: float = WBF_IOU_THR,
                 wbf_skip_box_thr: float = WBF_SKIP_BOX_THR,
                 batch_size: int = 1,
                 cfg_options: Optional[dict] = None,
                 speed: Optional[dict] = None,
                 channels_last: Optional[bool] = None,
                 data_root: Optional[str] = None,
                 precision: str = 'fp32') -> None:
        if not detectors:
            raise ValueError('SpineInferencer needs at least one detector')
        if wbf_weights is not None and len(wbf_weights) != len(detectors):
            raise ValueError(f'{len(wbf_weights)} WBF weights for '
                             f'{len(detectors)} detectors')
        # a bad rule file fails before minutes of model loading
        file_c, file_k = load_rule(rule) if rule else (None, None)
        #: 'fp32' or 'bf16': what ``precision`` resolved to on ``device``.
        self.precision = resolve_precision(precision, device)
        self.speed = resolve_speed(speed, channels_last=channels_last)
        if self.speed['threads']:
            torch.set_num_threads(int(self.speed['threads']))
        self.device = device
        self.detectors = [
            self._build(s, device, cfg_options, data_root) for s in detectors
        ]
        self.classifiers = [
            self._build(s, device, cfg_options, data_root) for s in classifiers
        ]
        #: Per model, which speed levers are on.
        self.speed_report = [
            dict(model=m.name, **apply_speed(m.model, self.speed))
            for m in self.detectors + self.classifiers
        ]
        if self.precision == 'bf16':
            for m in self.detectors + self.classifiers:
                # after the levers: autocast around a compiled backbone too
                autocast_features(m.model, torch.device(device).type)
        self.c = c if c is not None else (
            file_c if file_c is not None else DEFAULT_C)
        self.k = k if k is not None else (
            file_k if file_k is not None else DEFAULT_K)
        self.rule_file = rule
        self.tta = tta
        self.score_thr = score_thr
        self.wbf_weights = (
            list(wbf_weights) if wbf_weights is not None else [1.] *
            len(detectors))
        self.wbf_iou_thr = wbf_iou_thr
        self.wbf_skip_box_thr = wbf_skip_box_thr
        self.batch_size = max(1, int(batch_size))
        # the checkpoint's dataset_meta, else the config's dataset classes
        classes = [
            tuple(det.classes) or config_classes(det.cfg)
            for det in self.detectors
        ]
        self.classes = classes[0]
        for det, theirs in zip(self.detectors[1:], classes[1:]):
            if theirs != self.classes:
                raise ValueError(f'detector {det.name} has classes '
                                 f'{theirs}, {self.detectors[0].name} '
                                 f'{self.classes}')
        self.modes = sorted(
            {m.mode
             for m in self.detectors + self.classifiers})
        #: Seconds spent per stage since construction (for benchmarks).
        self.timings: Dict[str, float] = dict.fromkeys(
            ('read', 'classifier', 'detector', 'fusion', 'writing'), 0.)

    @staticmethod
    def _build(spec: ModelSpec, device: str, cfg_options: Optional[dict],
               data_root: Optional[str]) -> LoadedModel:
        config, checkpoint, own = _as_spec(spec)
        options = dict(cfg_options or {}, **(own or {}))
        return build_model(config, checkpoint, device, options or None,
                           data_root)

    # ------------------------------------------------------------------
    @property
    def rule(self) -> Optional[Tuple[float, float]]:
        """``(c, k)``, or None without classifiers."""
        return (self.c, self.k) if self.classifiers else None

    @property
    def model_names(self) -> dict:
        """Names of the models, as in a result's ``model``."""
        return dict(
            detectors=[m.name for m in self.detectors],
            classifiers=[m.name for m in self.classifiers])

    def settings(self) -> dict:
        """Everything that decides the results (for resuming a batch)."""
        return dict(
            model=self.model_names,
            rule=self.rule,
            tta=self.tta,
            precision=self.precision,
            score_thr=self.score_thr,
            wbf=[self.wbf_weights, self.wbf_iou_thr, self.wbf_skip_box_thr],
            preprocess=[[m.mode, m.max_size]
                        for m in self.detectors + self.classifiers])

    # ------------------------------------------------------------------
    def __call__(self, inputs: Sequence[Union[str, np.ndarray]]) -> List[dict]:
        """Results for paths (files or folders) or arrays, in order.

        Inputs that cannot be read, and batches whose forward pass fails,
        get results with status 'failed' naming the reason.
        """
        return [
            result for batch in self.iter_batches(collect_inputs(inputs))
            for _, _, result in batch
        ]

    def iter_batches(
        self, items: Sequence[InferenceInput]
    ) -> Iterator[List[Tuple[InferenceInput, Optional[LoadedImage], dict]]]:
        """Per batch of ``batch_size`` inputs, ``(item, image, result)`` of
        each: ``image`` None where the input could not be read. A failure
        to read an input or to run a batch becomes failed results, never an
        exception."""
        for start in range(0, len(items), self.batch_size):
            chunk = items[start:start + self.batch_size]
            images, results = [], []
            for item in chunk:
                try:
                    images.append(self.load(item))
                    results.append(None)
                except Exception as exc:
                    images.append(None)
                    reason = str(exc) if isinstance(
                        exc, InputError) else describe_error(exc)
                    results.append(
                        failed_result(item.source, item.image_id, reason))
            good = [k for k, image in enumerate(images) if image is not None]
            try:
                predicted = self._predict_batch([chunk[k] for k in good],
                                                [images[k] for k in good])
            except Exception as exc:
                reason = f'inference failed: {describe_error(exc)}'
                predicted = [
                    failed_result(chunk[k].source, chunk[k].image_id, reason)
                    for k in good
                ]
            for k, result in zip(good, predicted):
                results[k] = result
            yield list(zip(chunk, images, results))

    def load(self, item: InferenceInput) -> LoadedImage:
        """Read one input and make its pixels (timed as 'read')."""
        start = time.perf_counter()
        try:
            return load_input(item, self.modes)
        finally:
            self.timings['read'] += time.perf_counter() - start

    # ------------------------------------------------------------------
    def _inputs(self,
                model: LoadedModel,
                loaded: Sequence[LoadedImage],
                cache: dict,
                flip: bool = False) -> Tuple[list, list]:
        """Run ``model``'s pipeline on each image; also the image shapes."""
        data, shapes = [], []
        for i, image in enumerate(loaded):
            key = (i, model.mode, model.max_size)
            if key not in cache:
                # the image the model saw in training: dicom2png --max-size
                img, _ = resize_to_max(image.pixels[model.mode],
                                       model.max_size)
                # LoadImageFromFile reads the grey PNGs as 3-channel BGR
                cache[key] = cv2.cvtColor(img, cv2.COLOR_GRAY2BGR)
            img = cache[key]
            if flip:
                img = np.ascontiguousarray(img[:, ::-1])
            shapes.append(img.shape[:2])
            data.append(
                model.pipeline(
                    dict(
                        img=img,
                        img_id=i,
                        img_path='',
                        img_shape=img.shape[:2],
                        ori_shape=img.shape[:2])))
        return data, shapes

    def _forward(self, model: LoadedModel, data: list) -> list:
        with torch.inference_mode():
            return model.model.test_step(pseudo_collate(data))

    def _p_abnormal(self, loaded: Sequence[LoadedImage],
                    cache: dict) -> Optional[np.ndarray]:
        if not self.classifiers:
            return None
        start = time.perf_counter()
        logits = []
        for clf in self.classifiers:
            data, _ = self._inputs(clf, loaded, cache)
            samples = self._forward(clf, data)
            logits.append([
                float(s.pred_logit.detach().float().reshape(-1)[0].cpu())
                for s in samples
            ])
        self.timings['classifier'] += time.perf_counter() - start
        return expit(np.mean(np.asarray(logits, dtype=np.float64), axis=0))

    def _detections(self, loaded: Sequence[LoadedImage],
                    cache: dict) -> List[list]:
        """Per image, per (detector, view): boxes in the original grid,
        scores, labels and the detector's WBF weight."""
        start = time.perf_counter()
        per_image: List[list] = [[] for _ in loaded]
        for det, weight in zip(self.detectors, self.wbf_weights):
            for flip in ((False, True) if self.tta else (False, )):
                data, shapes = self._inputs(det, loaded, cache, flip)
                samples = self._forward(det, data)
                for i, (sample, shape) in enumerate(zip(samples, shapes)):
                    pred = sample.pred_instances
                    boxes = pred.bboxes.detach().float()
                    if flip:
                        boxes = bbox_flip(boxes, shape, 'horizontal')
                    boxes = boxes.cpu().numpy().astype(np.float64).reshape(
                        -1, 4)
                    header = loaded[i].header
                    boxes = boxes_to_original(boxes, shape,
                                              (header['rows'],
                                               header['columns']))
                    per_image[i].append(
                        (boxes, pred.scores.detach().float().cpu().numpy(),
                         pred.labels.detach().cpu().numpy(), weight))
        self.timings['detector'] += time.perf_counter() - start
        return per_image

    def _predict_batch(self, items: Sequence[InferenceInput],
                       loaded: Sequence[LoadedImage]) -> List[dict]:
        cache: dict = {}
        probs = self._p_abnormal(loaded, cache)
        detections = self._detections(loaded, cache)
        start = time.perf_counter()
        results = []
        for i, (item, image) in enumerate(zip(items, loaded)):
            sets = detections[i]
            if len(sets) == 1:
                boxes, scores, labels, _ = sets[0]
            else:
                boxes, scores, labels = fuse_boxes_wbf(
                    [s[0] for s in sets], [s[1] for s in sets],
                    [s[2] for s in sets],
                    (image.header['columns'], image.header['rows']),
                    weights=[s[3] for s in sets],
                    iou_thr=self.wbf_iou_thr,
                    skip_box_thr=self.wbf_skip_box_thr)
            keep = np.asarray(scores) >= self.score_thr
            p = None if probs is None else float(probs[i])
            if p is not None:
                keep &= gate_mask(scores, p, self.c, self.k)
            results.append(
                make_result(
                    item.source,
                    item.image_id,
                    image.header,
                    boxes[keep],
                    np.asarray(scores)[keep],
                    np.asarray(labels)[keep],
                    self.classes,
                    p_abnormal=p,
                    rule=self.rule,
                    model=self.model_names))
        self.timings['fusion'] += time.perf_counter() - start
        return results


__all__ = [
    'DEFAULT_C', 'DEFAULT_K', 'DEFAULT_SCORE_THR', 'LoadedModel',
    'SpineInferencer', 'build_model', 'inference_pipeline',
    'load_model_config', 'preprocess_of'
]
