"""mmspine as a DICOM node: spine radiographs in by C-STORE, findings back
to the PACS as DICOM SRs.

    python tools/serve.py --det CFG CKPT --dest ORTHANC@127.0.0.1:4242 \\
        --spool /var/spool/mmspine --allow-ae ORTHANC

``--status SPOOL`` prints what a spool holds and what its node reports.
"""
import argparse
import json
import logging
import signal
import sys

from mmspine.cli import add_model_options, model_kwargs
from mmspine.node import (DEFAULT_BODY_PARTS, DEFAULT_MAX_INSTANCE_BYTES,
                          DEFAULT_MODALITIES, DicomNode, Router,
                          SpoolLockedError, spool_status)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument(
        '--status',
        metavar='SPOOL',
        help='print the status of the node on SPOOL and exit')
    models = parser.add_argument_group('models (as tools/infer.py)')
    add_model_options(models, det_required=False)
    models.add_argument(
        '--threads', type=int, help='torch threads per worker process')
    node = parser.add_argument_group('node')
    node.add_argument('--ae-title', default='MMSPINE')
    node.add_argument('--port', type=int, default=11112)
    node.add_argument(
        '--bind',
        default='127.0.0.1',
        help='address to listen on (default loopback only)')
    node.add_argument('--dest', help='where SRs go: AET@HOST:PORT (the PACS)')
    node.add_argument('--spool', help='spool folder (the node\'s state)')
    node.add_argument(
        '--workers', type=int, default=1, help='inference processes')
    node.add_argument(
        '--allow-ae',
        nargs='+',
        default=[],
        metavar='AET',
        help='calling AE titles accepted (default: any)')
    node.add_argument(
        '--modalities',
        nargs='+',
        default=list(DEFAULT_MODALITIES),
        help='modalities processed (default: %(default)s)')
    node.add_argument(
        '--body-parts',
        nargs='+',
        default=list(DEFAULT_BODY_PARTS),
        help='Body Part Examined values processed, or ANY (default: '
        '%(default)s)')
    node.add_argument(
        '--max-instance-mb',
        type=float,
        default=DEFAULT_MAX_INSTANCE_BYTES / 2**20,
        help='refuse larger instances (default: %(default)s MiB)')
    node.add_argument(
        '--max-attempts',
        type=int,
        default=8,
        help='failed sends of one SR before it goes to dead/')
    node.add_argument(
        '--retry-base',
        type=float,
        default=1.,
        help='seconds before the first retry, doubled per failure')
    node.add_argument(
        '--retry-max', type=float, default=60., help='longest retry wait')
    node.add_argument(
        '--timeout',
        type=float,
        default=30.,
        help='seconds for an association and each response')
    node.add_argument(
        '--no-fsync',
        action='store_true',
        help='do not flush received instances to the disk before the '
        'answer (survives kill -9, not a power cut)')
    node.add_argument('--log-level', default='INFO')
    args = parser.parse_args(argv)
    if args.status is None:
        missing = [
            name
            for name, value in (('--det', args.det), ('--dest', args.dest),
                                ('--spool', args.spool)) if not value
        ]
        if missing:
            parser.error(f'{", ".join(missing)} required to serve')
    return args


def inferencer_kwargs(args: argparse.Namespace) -> dict:
    """``SpineInferencer`` arguments; options not given keep its defaults,
    as in tools/infer.py."""
    kwargs = model_kwargs(args)
    if args.threads:
        kwargs['speed'] = dict(threads=args.threads)
    return kwargs


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.status:
        try:
            print(json.dumps(spool_status(args.status), indent=1))
        except FileNotFoundError as exc:
            print(f'serve.py: {exc}', file=sys.stderr)
            return 1
        return 0
    logging.basicConfig(
        level=args.log_level.upper(),
        format='%(asctime)s %(levelname)s %(message)s',
        stream=sys.stderr)
    # pynetdicom logs every PDU at INFO
    logging.getLogger('pynetdicom').setLevel(logging.WARNING)
    body_parts = [] if [b.upper() for b in args.body_parts
                        ] == ['ANY'] else args.body_parts
    node = DicomNode(
        args.spool,
        inferencer_kwargs(args),
        args.dest,
        ae_title=args.ae_title,
        port=args.port,
        bind=args.bind,
        allow_ae=args.allow_ae,
        router=Router(args.modalities, body_parts),
        max_instance_bytes=int(args.max_instance_mb * 2**20),
        workers=args.workers,
        threads=args.threads,
        max_attempts=args.max_attempts,
        retry_base=args.retry_base,
        retry_max=args.retry_max,
        timeout=args.timeout,
        fsync=not args.no_fsync)
    try:
        node.start()
    except SpoolLockedError as exc:
        print(f'serve.py: {exc}', file=sys.stderr)
        return 1
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: node.stop())
    try:
        node.serve_forever()
    except RuntimeError as exc:
        print(f'serve.py: {exc}', file=sys.stderr)
        return 1
    finally:
        node.close()
    return 0


if __name__ == '__main__':
    sys.exit(main())
