"""Train a detector or classifier from a config."""
import argparse

from mmspine.apis import (AMP_DTYPES, SPEED_LEVERS, build_runner,
                          load_config_of, parse_config_args, setup_speed,
                          setup_train)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('config', help='train config file path')
    parser.add_argument(
        '--amp', action='store_true', help='automatic mixed precision')
    parser.add_argument(
        '--amp-dtype',
        choices=AMP_DTYPES,
        default='auto',
        help='with --amp: bf16 (no loss scaling), fp16 (dynamic loss scale) '
        'or auto: bf16 where the device supports it')
    parser.add_argument(
        '--speed',
        nargs='+',
        choices=SPEED_LEVERS,
        default=[],
        help='training speed levers to switch on')
    parser.add_argument(
        '--auto-scale-lr',
        action='store_true',
        help='scale the LR with the total batch size')
    parser.add_argument(
        '--resume',
        nargs='?',
        type=str,
        const='auto',
        help='resume from this checkpoint, or with no value from the newest '
        'one in the work dir')
    parser.add_argument(
        '--tensorboard',
        action='store_true',
        help='also write TensorBoard event files (losses, LR, metrics)')
    return parse_config_args(parser)


def main() -> None:
    args = parse_args()
    cfg = setup_train(
        load_config_of(args),
        args.amp,
        args.auto_scale_lr,
        args.resume,
        amp_dtype=args.amp_dtype,
        tensorboard=args.tensorboard)
    cfg = setup_speed(cfg, args.speed)
    build_runner(cfg).train()


if __name__ == '__main__':
    main()
