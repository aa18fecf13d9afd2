"""Evaluate a trained model on the test split of its config."""
import argparse

from mmspine.apis import (add_config_args, add_dump_results, build_runner,
                          load_config, set_local_rank, setup_test)
from mmspine.utils import register_all_modules


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
    add_config_args(parser)
    args = parser.parse_args()
    set_local_rank(args)
    return args


def main() -> None:
    args = parse_args()
    register_all_modules(init_default_scope=False)
    cfg = load_config(args.config, args.cfg_options, args.work_dir,
                      args.launcher, args.data_root)
    cfg = setup_test(cfg, args.checkpoint, args.show_dir, args.show,
                     args.wait_time, args.tta)
    runner = build_runner(cfg)
    if args.out:
        add_dump_results(runner, args.out)
    runner.test()


if __name__ == '__main__':
    main()
