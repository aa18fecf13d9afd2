"""Command-line options that several tools share, each defined once.

The options of the models behind ``tools/infer.py`` and ``tools/serve.py``
(:func:`add_model_options`) and the ``SpineInferencer`` arguments they set
(:func:`model_kwargs`, by explicit keywords), ``--data-root`` and
``--cfg-options`` of every tool that loads configs, and a detector's
``--classes``. Free of torch (mmengine's ``DictAction`` and
:mod:`mmspine.thresholds` only), so that the node's main process and
``serve.py --status`` start quickly.
"""
import argparse
from typing import Any, Dict

from mmengine.config import DictAction

from .thresholds import FINDINGS_SCORE_THR, RULE_C, RULE_K


def add_config_options(parser: argparse.ArgumentParser) -> None:
    """``--data-root`` and ``--cfg-options``, for every tool that loads
    configs (train, test, infer, serve)."""
    parser.add_argument(
        '--data-root',
        help='data folder (the converters\' layout) for every dataset and '
        'evaluator')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config keys, key=value (a.b=1, a.c=[1,2], '
        'train_dataloader.batch_size=2), as mmengine merges them')


#: ``--precision``'s choices: :data:`mmspine.utils.precision.PRECISIONS`,
#: written here so that this module imports no torch (a test keeps them
#: equal).
PRECISIONS = ('fp32', 'bf16', 'auto')


def add_model_options(parser: argparse.ArgumentParser,
                      det_required: bool = True) -> None:
    """The models and how their results are fused and kept: ``--det``,
    ``--cls``, ``--rule``, ``--c``, ``--k``, ``--tta``, ``--score-thr``,
    ``--wbf-*``, ``--device``, ``--precision`` and
    :func:`add_config_options`.

    Options not given stay ``None``: :func:`model_kwargs` leaves them out,
    so the inferencer's defaults (:mod:`mmspine.thresholds`) apply.

    Args:
        parser: A parser or an argument group.
        det_required (bool): Whether argparse requires ``--det``; a tool
            with modes that need no model checks it itself.
    """
    parser.add_argument(
        '--det',
        nargs=2,
        action='append',
        required=det_required,
        default=[],
        metavar=('CONFIG', 'CKPT'),
        help='a detector; repeat for an ensemble fused by WBF')
    parser.add_argument(
        '--cls',
        nargs=2,
        action='append',
        default=[],
        metavar=('CONFIG', 'CKPT'),
        help='an abnormal-vs-normal classifier; repeat for an ensemble')
    parser.add_argument(
        '--rule', help='JSON with c and k (tools/fuse.py --rule-out)')
    parser.add_argument(
        '--c', type=float, help=f'classifier threshold (default {RULE_C})')
    parser.add_argument(
        '--k',
        type=float,
        help=f'box score kept on images called normal (default {RULE_K})')
    parser.add_argument(
        '--tta', action='store_true', help='also infer flipped images')
    parser.add_argument(
        '--score-thr',
        type=float,
        help=f'drop findings scoring lower (default {FINDINGS_SCORE_THR})')
    parser.add_argument('--wbf-weights', type=float, nargs='+')
    parser.add_argument('--wbf-iou-thr', type=float)
    parser.add_argument('--wbf-skip-box-thr', type=float)
    # for every model config, e.g. --cfg-options preprocess.max_size=512
    add_config_options(parser)
    parser.add_argument('--device', default='cpu')
    parser.add_argument(
        '--precision',
        choices=PRECISIONS,
        default='auto',
        help='auto (default): bf16 where the device computes it natively '
        '(AMX/AVX512-BF16 CPU, CUDA >= 8.0), else fp32; bf16: backbones and '
        'necks under bfloat16 autocast (2.1x end to end on an AMX CPU, '
        'phantom mAP@0.5 within 1e-4, see benchmarks/README.md)')


def model_kwargs(args: argparse.Namespace) -> Dict[str, Any]:
    """The ``SpineInferencer`` arguments of :func:`add_model_options`'s
    options, without those not given (the inferencer's defaults apply, and
    the node's model key names only what was set)."""
    kwargs = dict(
        detectors=args.det,
        classifiers=args.cls,
        device=args.device,
        rule=args.rule,
        c=args.c,
        k=args.k,
        tta=args.tta,
        score_thr=args.score_thr,
        wbf_weights=args.wbf_weights,
        wbf_iou_thr=args.wbf_iou_thr,
        wbf_skip_box_thr=args.wbf_skip_box_thr,
        cfg_options=args.cfg_options,
        data_root=args.data_root,
        precision=args.precision)
    return {key: value for key, value in kwargs.items() if value is not None}


def add_classes_option(parser: argparse.ArgumentParser) -> None:
    """``--classes``: a detector's classes, for the tools that read its
    results."""
    parser.add_argument(
        '--classes',
        nargs='+',
        help="the detector's classes (its config's metainfo), numbering a "
        "pickle's labels and evaluated where the tool evaluates (default: "
        'every category of the annotation file)')


__all__ = [
    'add_classes_option', 'add_config_options', 'add_model_options',
    'model_kwargs'
]
