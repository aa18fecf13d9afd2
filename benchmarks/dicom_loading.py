"""Benchmark loading a training image: PNG against DICOM, per worker.

Times one data-loader worker's loading step at radiograph size (2500 x 1600,
12 bits stored, by default): mmcv's ``LoadImageFromFile`` on the PNG that
dicom2png writes, against ``LoadSpineDICOM`` on the DICOM (uncompressed and
JPEG 2000 lossless), and ``LoadSpineDICOM`` with its ``.npy`` cache warm.
Figures are CPU seconds (``time.process_time``) per image, median of the
images, each loaded ``--repeat`` times (best of the repeats). Example:

    python benchmarks/dicom_loading.py --num-images 4
"""
import argparse
import os
import os.path as osp
import shutil
import tempfile
import time
from typing import Callable, List

import numpy as np
from mmcv.transforms import LoadImageFromFile
from pydicom.uid import ExplicitVRLittleEndian, JPEG2000Lossless

from benchmarks._common import add_radiograph_args
from benchmarks.dicom2png import make_inputs
from mmspine.datasets.transforms import LoadSpineDICOM
from mmspine.dicom.convert import convert_folder

NAMES = {
    ExplicitVRLittleEndian: 'uncompressed',
    JPEG2000Lossless: 'JPEG 2000 lossless'
}


def cpu_ms(load: Callable, paths: List[str], repeat: int) -> float:
    """Median over images of the best-of-``repeat`` CPU ms per load."""
    per_image = []
    for path in paths:
        best = float('inf')
        for _ in range(repeat):
            t0 = time.process_time()
            load(dict(img_path=path))
            best = min(best, time.process_time() - t0)
        per_image.append(best)
    return 1000 * float(np.median(per_image))


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    add_radiograph_args(parser, num_images=4)
    parser.add_argument('--repeat', type=int, default=3)
    parser.add_argument('--mode', default='reference')
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    work = tempfile.mkdtemp(prefix='dicom_loading_bench_')
    try:
        print(f'{args.num_images} images {args.rows} x {args.cols}, '
              f'{args.bits} bits stored, mode {args.mode}; '
              f'{os.cpu_count()} CPUs, load average '
              f'{os.getloadavg()[0]:.1f}')
        print(f'{"loader":<36}{"CPU ms/image":>14}{"vs PNG":>8}')
        png_ms = None
        for syntax in (ExplicitVRLittleEndian, JPEG2000Lossless):
            src = osp.join(work, syntax)
            os.makedirs(src)
            make_inputs(src, args.num_images, args.rows, args.cols, args.bits,
                        syntax)
            dicoms = sorted(osp.join(src, n) for n in os.listdir(src))
            if png_ms is None:
                png_dir = osp.join(work, 'png')
                convert_folder(src, png_dir, mode=args.mode, progress=False)
                pngs = [
                    osp.join(png_dir,
                             osp.splitext(osp.basename(p))[0] + '.png')
                    for p in dicoms
                ]
                png_ms = cpu_ms(LoadImageFromFile(), pngs, args.repeat)
                print(f'{"LoadImageFromFile, PNG":<36}{png_ms:>14.1f}'
                      f'{1:>8.1f}')
            name = NAMES[syntax]
            rows = [(f'LoadSpineDICOM, {name}', LoadSpineDICOM(mode=args.mode))
                    ]
            cache = osp.join(work, 'cache')
            cached = LoadSpineDICOM(mode=args.mode, cache_dir=cache)
            for path in dicoms:  # warm the cache
                cached(dict(img_path=path))
            rows.append(('  + .npy cache (warm)', cached))
            for label, load in rows:
                ms = cpu_ms(load, dicoms, args.repeat)
                print(f'{label:<36}{ms:>14.1f}{ms / png_ms:>8.1f}')
            shutil.rmtree(cache)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == '__main__':
    main()
