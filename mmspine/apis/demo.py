"""The whole pipeline on the synthetic phantom, as ``make demo`` runs it."""
import os.path as osp
from typing import Dict, Optional

from mmengine.config import Config

from ..phantom import prepare_phantom_dataset
from ..utils.config import config_file
from .launch import build_runner, load_config, setup_test

DEMO_CONFIG = config_file('spine/phantom/faster_rcnn_r18_phantom.py')


def run_demo(work_dir: str,
             config: str = DEMO_CONFIG,
             num_train: int = 240,
             num_test: int = 60,
             image_size: int = 640,
             max_size: int = 512,
             seed: int = 0,
             workers: int = 2,
             cfg_options: Optional[dict] = None) -> Dict[str, float]:
    """Phantom -> PNG -> COCO -> train -> test -> overlays.

    Args:
        work_dir (str): Gets ``data/`` (the phantom, reused when complete),
            ``train/`` (logs, checkpoints) and ``test/`` (metrics, and
            predictions drawn beside ground truth under ``test/overlays``).
        config (str): Detector config.
        num_train (int): Phantom training images (half are 'No finding').
        num_test (int): Phantom test images.
        image_size (int): Long side of the generated DICOMs.
        max_size (int): Long side of the PNGs.
        seed (int): Phantom and training seed.
        workers (int): Processes for data preparation and loading.
        cfg_options (dict, optional): Config overrides for both runs.

    Returns:
        dict: The test metrics (``spinexr/bbox_mAP_50`` and the rest).
    """
    data_root = osp.join(work_dir, 'data')
    if not osp.isfile(osp.join(data_root, 'annotations', 'test.json')):
        prepare_phantom_dataset(data_root, num_train, num_test, seed,
                                image_size, max_size, max(workers, 1))

    def configured(sub_dir: str) -> Config:
        options = dict(num_workers=workers, randomness=dict(seed=seed))
        options.update(cfg_options or {})
        return load_config(
            config, options, osp.join(work_dir, sub_dir), data_root=data_root)

    train_cfg = configured('train')
    build_runner(train_cfg).train()
    checkpoint = osp.join(train_cfg.work_dir,
                          f'iter_{train_cfg.train_cfg.max_iters}.pth')
    test_cfg = setup_test(configured('test'), checkpoint, show_dir='overlays')
    return build_runner(test_cfg).test()
