"""The whole pipeline on the synthetic phantom, as ``make demo`` runs it."""
import glob
import os
import os.path as osp
from typing import Dict, Optional

from mmengine.config import Config

from ..phantom import phantom_is_prepared, prepare_phantom_dataset
from ..utils.config import config_file
from .batch_inference import infer_to_dir
from .config import load_config
from .inferencer import SpineInferencer
from .runner import add_dump_results, build_runner, setup_test

DEMO_CONFIG = config_file('spine/phantom/faster_rcnn_r18_phantom.py')


def run_demo(work_dir: str,
             config: str = DEMO_CONFIG,
             num_train: int = 267,
             num_test: int = 60,
             image_size: int = 640,
             max_size: int = 512,
             seed: int = 0,
             workers: int = 2,
             cfg_options: Optional[dict] = None,
             report: bool = True,
             infer: bool = True) -> Dict[str, float]:
    """Phantom -> PNG -> COCO -> train -> test -> report -> inference.

    Args:
        work_dir (str): Gets ``data/`` (the phantom, reused when complete),
            ``train/`` (logs, checkpoints), ``test/`` (metrics, and
            predictions drawn beside ground truth under ``test/overlays``)
            and ``infer/`` (what ``tools/infer.py`` writes for the test
            DICOMs: findings, overlays and DICOM SRs).
        config (str): Detector config.
        num_train (int): Phantom training images (half are 'No finding'),
            validation ones included: by study, 27 of the default 267 go
            to ``annotations/val.json``, leaving 240 to train on.
        num_test (int): Phantom test images.
        image_size (int): Long side of the generated DICOMs.
        max_size (int): Long side of the PNGs.
        seed (int): Phantom and training seed.
        workers (int): Processes for data preparation and loading.
        cfg_options (dict, optional): Config overrides for both runs.
        report (bool): Dump the test predictions to ``test/preds.pkl`` and
            write the HTML evaluation report ``report.html`` from them.
        infer (bool): End as a user would: the trained detector on the
            test DICOMs through ``SpineInferencer``; prints where the
            outputs are.

    Returns:
        dict: The test metrics (``spinexr/bbox_mAP_50`` and the rest) of
        the checkpoint that scored best on the val split.
    """
    data_root = osp.join(work_dir, 'data')
    # reused only when made with the same options, val split included
    if not phantom_is_prepared(
            data_root,
            num_train=num_train,
            num_test=num_test,
            seed=seed,
            size=image_size,
            max_size=max_size):
        prepare_phantom_dataset(data_root, num_train, num_test, seed,
                                image_size, max_size, max(workers, 1))

    def configured(sub_dir: str) -> Config:
        options = dict(randomness=dict(seed=seed))
        for split in ('train', 'val', 'test'):
            options[f'{split}_dataloader.num_workers'] = workers
            options[f'{split}_dataloader.persistent_workers'] = workers > 0
        options.update(cfg_options or {})
        return load_config(
            config, options, osp.join(work_dir, sub_dir), data_root=data_root)

    train_cfg = configured('train')
    # an earlier run's best checkpoint would compete with this run's
    for stale in glob.glob(osp.join(train_cfg.work_dir, 'best_*.pth')):
        os.remove(stale)
    build_runner(train_cfg).train()
    checkpoint = best_checkpoint(train_cfg.work_dir,
                                 train_cfg.train_cfg.max_iters)
    print(f'\ncheckpoint chosen on the val split: {checkpoint}')
    test_cfg = setup_test(configured('test'), checkpoint, show_dir='overlays')
    runner = build_runner(test_cfg)
    preds = osp.join(work_dir, 'test', 'preds.pkl')
    if report:
        add_dump_results(runner, preds)
    metrics = runner.test()
    if report:
        write_demo_report(work_dir, preds, config, checkpoint)
    print(f'test mAP@0.5 of the val-selected checkpoint '
          f'({osp.basename(checkpoint)}): '
          f'{metrics["spinexr/bbox_mAP_50"]:.4f}')
    if infer:
        # the config the Runner dumped holds cfg_options; the DICOMs are
        # converted as the PNGs were, at max_size
        trained = osp.join(train_cfg.work_dir, osp.basename(config))
        infer_demo(trained, checkpoint,
                   osp.join(data_root, 'dicom', 'test_images'),
                   osp.join(work_dir, 'infer'), max_size)
    return metrics


def best_checkpoint(work_dir: str, max_iters: int) -> str:
    """The checkpoint ``save_best`` kept by the val metric in ``work_dir``,
    else (no validation ran) the last one."""
    best = sorted(glob.glob(osp.join(work_dir, 'best_*.pth')))
    if len(best) > 1:
        raise RuntimeError(f'{work_dir} holds several best checkpoints: '
                           f'{best}')
    return best[0] if best else osp.join(work_dir, f'iter_{max_iters}.pth')


def write_demo_report(work_dir: str, preds: str, config: str,
                      checkpoint: str) -> str:
    """Write ``work_dir/report.html`` from the demo's test predictions."""
    from ..visualization import write_report
    path = osp.join(work_dir, 'report.html')
    write_report(
        path,
        preds,
        osp.join(work_dir, 'data', 'annotations', 'test.json'),
        config=config,
        checkpoint=checkpoint,
        title='mmspine demo: phantom test set')
    return path


def infer_demo(config: str, checkpoint: str, dicom_dir: str, out_dir: str,
               max_size: int) -> None:
    """``tools/infer.py`` on the phantom's test DICOMs; print the outputs."""
    print(f'\ninference, as: python tools/infer.py {dicom_dir} --det '
          f'{config} {checkpoint} --cfg-options preprocess.max_size='
          f'{max_size} --overlays --sr --out-dir {out_dir}')
    # as tools/infer.py by default: bf16 where the CPU or GPU has it natively
    model = (config, checkpoint, {'preprocess.max_size': max_size})
    inferencer = SpineInferencer([model], precision='auto')
    summary = infer_to_dir(inferencer, [dicom_dir], out_dir, sr=True)
    print(summary)
    print(f'overlays:  {osp.join(out_dir, "overlays")}')
    print(f'DICOM SRs: {osp.join(out_dir, "sr")}')
