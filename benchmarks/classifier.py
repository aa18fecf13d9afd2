"""Seconds per training iteration of a classifier config on this machine.

Random weights and random uint8 images at the config's size and batch;
data loading is excluded. Example::

    python benchmarks/classifier.py configs/spine_cls/densenet121.py \
        --iters 3
"""
import argparse
import time

import torch
from mmengine.config import Config
from mmengine.structures import BaseDataElement


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('config', help='classifier config')
    parser.add_argument('--iters', type=int, default=3, help='timed steps')
    parser.add_argument('--warmup', type=int, default=1, help='untimed')
    parser.add_argument('--batch-size', type=int, help='default: config')
    parser.add_argument('--img-size', type=int, help='default: config')
    parser.add_argument('--threads', type=int, help='torch CPU threads')
    return parser.parse_args()


def main() -> None:
    from mmdet.registry import MODELS
    from mmengine.optim import build_optim_wrapper

    from mmspine.utils import register_all_modules

    args = parse_args()
    register_all_modules()
    if args.threads:
        torch.set_num_threads(args.threads)
    cfg = Config.fromfile(args.config)
    batch = args.batch_size or cfg.train_dataloader.batch_size
    resize = [t for t in cfg.train_pipeline if t['type'] == 'Resize']
    size = args.img_size or resize[0]['scale'][0]
    cfg.model.backbone.init_cfg = None
    if cfg.model.backbone.type == 'MonaiDenseNet':
        cfg.model.backbone.pretrained = False
    model = MODELS.build(cfg.model).train()
    optim = build_optim_wrapper(model, cfg.optim_wrapper)
    data = dict(
        inputs=[
            torch.randint(0, 256, (3, size, size), dtype=torch.uint8)
            for _ in range(batch)
        ],
        data_samples=[
            BaseDataElement(gt_label=torch.tensor([float(i % 2)]))
            for i in range(batch)
        ])
    times = []
    for i in range(args.warmup + args.iters):
        start = time.perf_counter()
        model.train_step(data, optim)
        if i >= args.warmup:
            times.append(time.perf_counter() - start)
    print(f'{args.config}: batch {batch}, {size} px, '
          f'{torch.get_num_threads()} threads: '
          f'{sum(times) / len(times):.2f} s/iter '
          f'(min {min(times):.2f}, max {max(times):.2f}, {len(times)} iters)')


if __name__ == '__main__':
    main()
