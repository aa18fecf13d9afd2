import argparse

import pytest

from mmspine.cli import add_classes_option, add_model_options, model_kwargs


def test_model_kwargs_pass_what_was_given_by_keyword():
    parser = argparse.ArgumentParser()
    add_model_options(parser)
    add_classes_option(parser)
    args = parser.parse_args([
        '--det', 'a.py', 'a.pth', '--det', 'b.py', 'b.pth', '--k', '0.7',
        '--wbf-iou-thr', '0.6', '--cfg-options', 'a.b=1', '--classes', 'x'
    ])
    assert model_kwargs(args) == dict(
        detectors=[['a.py', 'a.pth'], ['b.py', 'b.pth']],
        classifiers=[],
        device='cpu',
        k=0.7,
        tta=False,
        wbf_iou_thr=0.6,
        cfg_options={'a.b': 1},
        precision='auto')
    assert args.classes == ['x']
    args = parser.parse_args(['--det', 'a.py', 'a.pth', '--precision', 'fp32'])
    assert model_kwargs(args)['precision'] == 'fp32'


def test_precision_choices_are_the_libraries():
    from mmspine.cli import PRECISIONS
    from mmspine.utils.precision import PRECISIONS as LIBRARY
    assert PRECISIONS == LIBRARY


def test_det_is_required_unless_the_tool_checks_it():
    parser = argparse.ArgumentParser()
    add_model_options(parser)
    with pytest.raises(SystemExit) as exc:
        parser.parse_args([])
    assert exc.value.code == 2
    lenient = argparse.ArgumentParser()
    add_model_options(lenient, det_required=False)
    assert model_kwargs(lenient.parse_args([]))['detectors'] == []
