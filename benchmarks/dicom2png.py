"""Benchmark DICOM to PNG conversion: images/s and peak memory per mode.

Builds radiograph-sized DICOMs (2500 x 1600, 12 bits stored, by default)
with the DICOM writer, then converts them with each pixel mode, once with
one worker (images/s per worker) and once with ``--workers`` workers
(images/s in total). Each run is a fresh process, so peak resident memory
is that run's own. A per-stage timing of one image (decode, pixel mode,
PNG encode) shows where the time goes. First, in this process, the CPU
time per image (``time.process_time``) of ``convert_file`` against a plain
implementation of the reference formula (pydicom, the published numpy
expressions on the whole image, ``cv2.imwrite``), interleaved file by file
so that both see the same machine load, with every pair of PNGs decoded
and compared pixel for pixel. Example:

    python benchmarks/dicom2png.py --num-images 12 --workers 2
"""
import argparse
import multiprocessing
import os
import os.path as osp
import resource
import shutil
import tempfile
import time
from typing import Dict, List

import cv2
import numpy as np
from pydicom.uid import UID, ExplicitVRLittleEndian

from benchmarks._common import add_radiograph_args
from mmspine.dicom.convert import convert_file, convert_folder, read_pixels
from mmspine.dicom.png import encode_png_gray8
from mmspine.dicom.voi import PIXEL_MODES, to_uint8
from mmspine.dicom.writer import build_dataset, write_dicom
from tests._reference import recipe


def radiograph(rows: int, cols: int, bits: int, seed: int) -> np.ndarray:
    """Smooth anatomy-like structure plus noise, filling most of the range.

    PNG encode time depends on content; pure noise or flat images would
    misstate it.
    """
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:rows, 0:cols].astype(np.float32)
    body = np.exp(-((xx - cols / 2) / (cols / 3))**2)
    spine = np.exp(-((xx - cols / 2) / (cols / 12))**2)
    blocks = 0.5 + 0.5 * np.cos(yy / rows * 2 * np.pi * 9)
    img = 0.15 + 0.45 * body + 0.3 * spine * blocks
    img += rng.normal(0, 0.01, img.shape).astype(np.float32)
    top = 2**bits - 1
    return np.clip(img * top, 0, top).astype(np.uint16)


def make_inputs(folder: str, num: int, rows: int, cols: int, bits: int,
                syntax: str) -> None:
    windows = [None, (2**bits * 0.5, 2**bits * 0.6)]
    for i in range(num):
        ds = build_dataset(
            radiograph(rows, cols, bits, i),
            bits_stored=bits,
            photometric=('MONOCHROME1', 'MONOCHROME2')[i % 2],
            window=windows[i % 2],
            transfer_syntax=syntax)
        write_dicom(osp.join(folder, f'img{i:04d}.dicom'), ds)


def _run(in_dir: str, out_dir: str, mode: str, workers: int, queue) -> None:
    # A spawned process inherits 'spawn' as its start method; the converter
    # is measured with the platform's usual one (fork on Linux).
    if 'fork' in multiprocessing.get_all_start_methods():
        multiprocessing.set_start_method('fork', force=True)
    start = time.perf_counter()
    summary = convert_folder(
        in_dir,
        out_dir,
        workers=workers,
        mode=mode,
        resume=False,
        progress=False)
    elapsed = time.perf_counter() - start
    # ru_maxrss is in KiB on Linux.
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    queue.put(
        dict(
            seconds=elapsed,
            images=len(summary.rows),
            failed=summary.failed,
            peak_mib=own if workers <= 1 else kids,
            main_mib=own))


def run_config(in_dir: str, out_dir: str, mode: str, workers: int) -> Dict:
    ctx = multiprocessing.get_context('spawn')
    queue = ctx.Queue()
    proc = ctx.Process(
        target=_run, args=(in_dir, out_dir, mode, workers, queue))
    proc.start()
    result = queue.get()
    proc.join()
    shutil.rmtree(out_dir, ignore_errors=True)
    return result


def reference_convert(src: str, out: str) -> None:
    """The reference formula written out plainly (the tests' independent
    reference, tests/_reference.py), fallback included, to a PNG."""
    cv2.imwrite(out, recipe(src))


def against_reference(in_dir: str,
                      work: str,
                      repeat: int = 2) -> Dict[str, float]:
    """CPU ms per image, best of ``repeat``, of the reference and of ours.

    Raises:
        AssertionError: If any pair of PNGs differs in a pixel.
    """
    # One OpenCV thread, as in the converter's worker processes.
    threads = cv2.getNumThreads()
    cv2.setNumThreads(1)
    ref_dir, our_dir = osp.join(work, 'ref_png'), osp.join(work, 'our_png')
    for d in (ref_dir, our_dir):
        os.makedirs(d, exist_ok=True)
    ref, ours = [], []
    for name in sorted(os.listdir(in_dir)):
        src = osp.join(in_dir, name)
        ref_png = osp.join(ref_dir, osp.splitext(name)[0] + '.png')
        times = dict(ref=[], ours=[])
        for _ in range(repeat):
            t0 = time.process_time()
            reference_convert(src, ref_png)
            t1 = time.process_time()
            row = convert_file(src, our_dir)
            t2 = time.process_time()
            times['ref'].append(t1 - t0)
            times['ours'].append(t2 - t1)
        assert row['status'] == 'converted', row
        a = cv2.imread(ref_png, cv2.IMREAD_UNCHANGED)
        b = cv2.imread(row['output'], cv2.IMREAD_UNCHANGED)
        assert a.shape == b.shape and np.array_equal(a, b), src
        ref.append(min(times['ref']))
        ours.append(min(times['ours']))
    shutil.rmtree(ref_dir)
    shutil.rmtree(our_dir)
    cv2.setNumThreads(threads)
    return dict(
        ref_ms=1000 * float(np.median(ref)),
        ours_ms=1000 * float(np.median(ours)),
        ref_total=sum(ref),
        ours_total=sum(ours))


def stage_times(path: str, mode: str, repeat: int = 3) -> Dict[str, float]:
    """Median milliseconds of decode, pixel mode and PNG encode."""
    times: Dict[str, List[float]] = dict(
        decode=[], pixels=[], encode=[], cv2_encode=[])
    for _ in range(repeat):
        t0 = time.perf_counter()
        ds, arr = read_pixels(path)
        t1 = time.perf_counter()
        img = to_uint8(ds, mode, arr).image
        t2 = time.perf_counter()
        encode_png_gray8(img)
        t3 = time.perf_counter()
        cv2.imencode('.png', img)
        t4 = time.perf_counter()
        times['decode'].append(t1 - t0)
        times['pixels'].append(t2 - t1)
        times['encode'].append(t3 - t2)
        times['cv2_encode'].append(t4 - t3)
    return {k: 1000 * float(np.median(v)) for k, v in times.items()}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    add_radiograph_args(parser, num_images=12)
    parser.add_argument(
        '--workers',
        type=int,
        default=min(4,
                    os.cpu_count() or 1),
        help='workers of the parallel run')
    parser.add_argument(
        '--syntax',
        default=ExplicitVRLittleEndian,
        help='transfer syntax UID of the inputs (e.g. 1.2.840.10008.1.2.5 '
        'for RLE)')
    parser.add_argument(
        '--repeat',
        type=int,
        default=3,
        help='conversions of each file against the reference (best kept)')
    parser.add_argument(
        '--modes', nargs='+', default=sorted(PIXEL_MODES), help='modes')
    parser.add_argument(
        '--work-dir', help='keep inputs here (default: a temporary folder)')
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    work = args.work_dir or tempfile.mkdtemp(prefix='dicom2png_bench_')
    in_dir = osp.join(work, 'dicom')
    os.makedirs(in_dir, exist_ok=True)
    try:
        t0 = time.perf_counter()
        make_inputs(in_dir, args.num_images, args.rows, args.cols, args.bits,
                    args.syntax)
        print(f'{args.num_images} DICOMs {args.rows} x {args.cols}, '
              f'{args.bits} bits stored, {UID(args.syntax).name}, built in '
              f'{time.perf_counter() - t0:.1f} s; {os.cpu_count()} CPUs')
        first = osp.join(in_dir, 'img0001.dicom')
        load = os.getloadavg()[0]
        res = against_reference(in_dir, work, args.repeat)
        print(
            f'CPU per image, reference mode, 1 process (load average '
            f'{load:.1f} before, {os.getloadavg()[0]:.1f} after): '
            f'reference formula {res["ref_ms"]:.1f} ms, ours '
            f'{res["ours_ms"]:.1f} ms, {res["ref_ms"] / res["ours_ms"]:.2f}x '
            f'(totals {res["ref_total"]:.2f} s / {res["ours_total"]:.2f} s, '
            f'{res["ref_total"] / res["ours_total"]:.2f}x); all '
            f'{args.num_images} PNG pairs equal pixel for pixel')
        stages = stage_times(first, 'reference')
        print('stages ms, reference mode: ' +
              ', '.join(f'{k} {v:.1f}' for k, v in stages.items()))
        header = (f'{"mode":<11}{"workers":>8}{"img/s":>9}'
                  f'{"img/s/worker":>14}{"peak MiB/worker":>17}'
                  '   stages ms (decode / pixels / encode)')
        print(header)
        for mode in args.modes:
            stages = stage_times(first, mode)
            stage_text = ' / '.join(f'{stages[k]:.0f}'
                                    for k in ('decode', 'pixels', 'encode'))
            for workers in sorted({1, args.workers}):
                res = run_config(in_dir, osp.join(work, f'png_{mode}'), mode,
                                 workers)
                rate = res['images'] / res['seconds']
                print(f'{mode:<11}{workers:>8}{rate:>9.2f}'
                      f'{rate / workers:>14.2f}{res["peak_mib"]:>17.0f}'
                      f'   {stage_text}' +
                      (f'  ({res["failed"]} failed)' if res['failed'] else ''))
    finally:
        if not args.work_dir:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == '__main__':
    main()
