"""Evaluate a trained model on the test split of its config."""
import argparse

from mmspine.apis import (add_dump_results, build_runner, load_config_of,
                          parse_config_args, setup_precision, setup_test)
from mmspine.utils.precision import PRECISIONS


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument(
        '--out', help='also dump the raw predictions to this .pkl file')
    parser.add_argument(
        '--show', action='store_true', help='show predictions in a window')
    parser.add_argument(
        '--show-dir',
        help='save predictions drawn beside ground truth, under '
        'work_dir/<timestamp>/<show_dir>')
    parser.add_argument(
        '--wait-time', type=float, default=2, help='seconds per shown image')
    parser.add_argument(
        '--tta', action='store_true', help='test-time augmentation')
    parser.add_argument(
        '--split',
        choices=['test', 'val'],
        default='test',
        help='val: predictions on the validation split (to tune the '
        'decision rule there), with the test evaluator\'s settings')
    parser.add_argument(
        '--precision',
        choices=PRECISIONS,
        default='fp32',
        help='bf16: backbone and neck under bfloat16 autocast; auto: bf16 '
        'where the device computes it natively (AMX/AVX512-BF16 CPU, CUDA '
        '>= 8.0), else fp32')
    return parse_config_args(parser)


def main() -> None:
    args = parse_args()
    cfg = setup_test(
        load_config_of(args),
        args.checkpoint,
        show_dir=args.show_dir,
        show=args.show,
        wait_time=args.wait_time,
        tta=args.tta,
        split=args.split)
    setup_precision(cfg, args.precision)
    runner = build_runner(cfg)
    if args.out:
        add_dump_results(runner, args.out)
    runner.test()


if __name__ == '__main__':
    main()
