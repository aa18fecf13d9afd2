"""The DICOM node against offline inference, on the same images in one run.

Writes ``--num-images`` phantom radiographs (``make_phantom``, long side
``--size``), then measures, with the phantom Faster R-CNN (random weights
unless ``--det`` gives a checkpoint):

* offline: ``infer_to_dir`` with SRs, what ``tools/infer.py --sr`` runs,
  models loaded beforehand (images per minute);
* the node: ``tools/serve.py`` next to a throwaway Orthanc on loopback,
  every image pushed at once over 4 associations; images per minute from
  the first receipt to the last SR stored in Orthanc, and latency from
  each image's receipt to its SR's acknowledgement by Orthanc (p50, p95),
  from the node's ``sent/`` records;
* idle latency: images pushed one at a time, each after the previous SR
  is in Orthanc, against one offline inference + 2 s (the target).

The same torch threads and worker count for both sides (``--threads``,
``--workers``). Example::

    python benchmarks/node.py --num-images 60 --threads 2 --out node.json
"""
import argparse
import json
import os
import os.path as osp
import platform
import statistics
import subprocess
import sys
import tempfile
import time

from _common import write_json

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
# the tests' node process, pushing PACS and Orthanc lookup
sys.path[:0] = [osp.join(REPO, 'tests'), osp.join(REPO, 'tests', 'node')]
DET = osp.join(REPO, 'configs', 'spine', 'phantom',
               'faster_rcnn_r18_phantom.py')


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--num-images', type=int, default=40)
    parser.add_argument('--idle-images', type=int, default=8)
    parser.add_argument('--size', type=int, default=512)
    parser.add_argument(
        '--det', nargs=2, metavar=('CONFIG', 'CKPT'), help='a trained one')
    parser.add_argument('--threads', type=int, default=1)
    parser.add_argument('--workers', type=int, default=1)
    parser.add_argument('--work-dir', help='kept (default: a temporary one)')
    parser.add_argument('--out', help='write the figures as JSON')
    return parser.parse_args()


def random_detector(work: str):
    """The phantom config with initial weights, saved as a checkpoint."""
    import torch

    from mmspine.apis.inferencer import build_model
    model = build_model(
        DET, None, cfg_options={'model.backbone.init_cfg': None})
    ckpt = osp.join(work, 'phantom_det_init.pth')
    torch.save(dict(state_dict=model.model.state_dict(), meta={}), ckpt)
    config = osp.join(work, 'phantom_det.py')
    model.cfg.dump(config)
    return config, ckpt


def offline(files, det, threads, out_dir):
    """images/min of infer_to_dir with SRs; seconds of one image."""
    from mmspine.apis import SpineInferencer, infer_to_dir
    # tools/infer.py's and tools/serve.py's default precision
    inferencer = SpineInferencer(
        detectors=[tuple(det)], speed=dict(threads=threads), precision='auto')
    infer_to_dir(
        inferencer,
        files[:2],
        out_dir + '_warm',
        overlays=False,
        sr=True,
        progress=False)
    start = time.perf_counter()
    infer_to_dir(
        inferencer,
        files,
        out_dir,
        overlays=False,
        sr=True,
        resume=False,
        progress=False)
    seconds = time.perf_counter() - start
    return 60 * len(files) / seconds, seconds / len(files)


def sent_records(spool):
    folder = osp.join(spool, 'sent')
    out = []
    for name in os.listdir(folder):
        if name.endswith('.json'):
            with open(osp.join(folder, name)) as f:
                out.append(json.load(f))
    return out


def pct(values, q):
    ordered = sorted(values)
    return ordered[max(0, int(round(q * len(ordered) + 0.5)) - 1)]


def main():
    args = parse_args()
    from _node import NodeProcess, orthanc_executable, push, wait_for

    from mmspine.node.orthanc import OrthancProcess, free_port
    from mmspine.phantom import make_phantom
    work = args.work_dir or tempfile.mkdtemp(prefix='mmspine_node_bench_')
    os.makedirs(work, exist_ok=True)
    make_phantom(
        osp.join(work, 'phantom'),
        0,
        args.num_images + args.idle_images,
        seed=0,
        size=args.size)
    folder = osp.join(work, 'phantom', 'test_images')
    files = sorted(osp.join(folder, n) for n in os.listdir(folder))
    load_files, idle_files = files[:args.num_images], files[args.num_images:]
    det = args.det or random_detector(work)

    # offline before and after the node: the machine may be shared
    rates = [offline(load_files, det, args.threads, osp.join(work, 'off0'))]
    print(f'offline: {rates[0][0]:.1f} images/min')

    port = free_port()
    orthanc = OrthancProcess(
        osp.join(work, 'orthanc'), port, executable=orthanc_executable())
    orthanc.start()
    spool = osp.join(work, 'spool')
    node = NodeProcess(spool, [
        '--det', *det, '--dest', orthanc.dest, '--threads',
        str(args.threads), '--workers',
        str(args.workers)
    ], osp.join(work, 'node.log'), port)
    try:
        node.start()
        # idle: one at a time
        for path in idle_files:
            before = len(sent_records(spool))
            push([path], port, associations=1)
            wait_for(lambda: len(sent_records(spool)) > before, 120, 'the SR')
        idle = [r['latency'] for r in sent_records(spool)]
        # load: all at once
        done_before = {r['id'] for r in sent_records(spool)}
        push(load_files, port, associations=4, timeout=3600)
        wait_for(
            lambda: len(sent_records(spool)) >= len(done_before) + len(
                load_files), 3600, 'every SR')
        load = [r for r in sent_records(spool) if r['id'] not in done_before]
        span = max(r['sent_at'] for r in load) - min(r['received_at']
                                                     for r in load)
        node_rate = 60 * len(load) / span
        latencies = [r['latency'] for r in load]
        srs = orthanc.find_instances(dict(Modality='SR'))
    finally:
        node.stop()
        orthanc.stop()
    rates.append(
        offline(load_files, det, args.threads, osp.join(work, 'off1')))
    off_rate = statistics.mean(r[0] for r in rates)
    off_one = statistics.mean(r[1] for r in rates)
    cpu = subprocess.run(['lscpu'], capture_output=True, text=True).stdout
    model = next(
        (line.split(':', 1)[1].strip()
         for line in cpu.splitlines() if line.startswith('Model name')),
        platform.processor())
    figures = dict(
        cpu=model,
        cpus=os.cpu_count(),
        load_average=os.getloadavg(),
        images=len(load_files),
        size=args.size,
        threads=args.threads,
        workers=args.workers,
        offline_images_per_min=round(off_rate, 1),
        offline_runs_images_per_min=[round(r[0], 1) for r in rates],
        offline_seconds_per_image=round(off_one, 3),
        node_images_per_min=round(node_rate, 1),
        node_vs_offline=round(node_rate / off_rate, 3),
        load_latency_p50=round(pct(latencies, 0.5), 3),
        load_latency_p95=round(pct(latencies, 0.95), 3),
        idle_latency_p50=round(statistics.median(idle), 3),
        idle_latency_max=round(max(idle), 3),
        idle_target=round(off_one + 2, 3),
        srs_in_orthanc=len(srs))
    print(json.dumps(figures, indent=1))
    write_json(figures, args.out, indent=1)


if __name__ == '__main__':
    main()
