"""Compare the loss curves of training runs that differ only in precision.

Reads ``detector_speed.py --trace`` JSONs of runs with the same seed (so
the same initial weights and the same batches) and prints, per window of
iterations, each run's mean loss and its paired difference from the first
run (the reference, fp32) with the standard error of that difference. A
window passes when the difference is within 3 standard errors or 5 % of the
reference's mean loss; a run passes when every window does and its logged
grad norms are all finite.

Example::

    python benchmarks/amp_compare.py fp32.json bf16.json fp16.json \\
        --window 50 --out amp_compare.json
"""
import argparse
import json
import math
import statistics
from typing import Dict, List

from _common import write_json


def load_trace(path: str) -> Dict:
    with open(path) as f:
        run = json.load(f)
    if 'trace' not in run:
        raise KeyError(f'{path}: no "trace"; run detector_speed.py --trace')
    return run


def compare(runs: List[Dict], names: List[str], window: int = 50) -> Dict:
    """Windowed mean losses and paired differences against ``runs[0]``."""
    ref = [r.get('loss', math.nan) for r in runs[0]['trace']]
    result = dict(window=window, runs={})
    for name, run in zip(names, runs):
        losses = [r.get('loss', math.nan) for r in run['trace']]
        norms = [r['grad_norm'] for r in run['trace'] if r.get('grad_norm')]
        n = min(len(ref), len(losses))
        windows = []
        for start in range(0, n, window):
            mine = losses[start:start + window]
            base = ref[start:start + window]
            diffs = [a - b for a, b in zip(mine, base)]
            row = dict(
                iters=f'{start}-{start + len(mine) - 1}',
                mean_loss=statistics.fmean(mine),
                ref_mean_loss=statistics.fmean(base))
            if len(diffs) > 1:
                se = statistics.stdev(diffs) / math.sqrt(len(diffs))
                diff = statistics.fmean(diffs)
                row.update(
                    diff=diff,
                    diff_se=se,
                    within_noise=bool(
                        abs(diff) <= max(3 * se, 0.05 * row['ref_mean_loss'])))
            windows.append(row)
        result['runs'][name] = dict(
            iterations=len(losses),
            losses_finite=all(math.isfinite(v) for v in losses),
            grad_norms_logged=len(norms),
            grad_norms_finite=all(math.isfinite(v) for v in norms),
            grad_norm_median=statistics.median(norms) if norms else None,
            skipped_steps=run['trace'][-1].get('skipped_steps', 0)
            if run['trace'] else 0,
            s_per_iter=run.get('s_per_iter'),
            windows=windows)
        summary = result['runs'][name]
        summary['passes'] = (
            summary['losses_finite'] and summary['grad_norms_finite']
            and summary['grad_norms_logged'] > 0
            and all(w.get('within_noise', True) for w in windows))
    return result


def print_table(result: Dict) -> None:
    names = list(result['runs'])
    print(f'mean loss per window of {result["window"]} iterations '
          f'(difference from {names[0]} +- standard error)')
    rows = zip(*(result['runs'][n]['windows'] for n in names))
    print(f'{"iterations":>12} ' + ' '.join(f'{n:>24}' for n in names))
    for row in rows:
        cells = []
        for i, w in enumerate(row):
            cell = f'{w["mean_loss"]:.3f}'
            if i and 'diff' in w:
                cell += f' ({w["diff"]:+.3f}+-{w["diff_se"]:.3f})'
            cells.append(f'{cell:>24}')
        print(f'{row[0]["iters"]:>12} ' + ' '.join(cells))
    for name in names:
        r = result['runs'][name]
        print(f'{name}: {r["iterations"]} iterations, losses finite '
              f'{r["losses_finite"]}, {r["grad_norms_logged"]} grad norms '
              f'logged (finite {r["grad_norms_finite"]}, median '
              f'{r["grad_norm_median"]}), {r["skipped_steps"]:.0f} skipped '
              f'steps, passes {r["passes"]}')


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument('traces', nargs='+', help='the first is the reference')
    parser.add_argument('--names', nargs='+', help='default: the file names')
    parser.add_argument('--window', type=int, default=50)
    parser.add_argument('--out', help='write the comparison to this JSON')
    args = parser.parse_args()
    names = args.names or args.traces
    if len(names) != len(args.traces):
        parser.error('--names needs one name per trace')
    result = compare([load_trace(p) for p in args.traces], names, args.window)
    print_table(result)
    write_json(result, args.out)


if __name__ == '__main__':
    main()
