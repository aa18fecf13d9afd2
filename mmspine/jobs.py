"""What mmspine's batch jobs share: one summary of what a job did, printed
one way, and the command-line parts of the scripts that run them.

Every job (DICOM to PNG, metadata, CSV to COCO, inference, fusion, the
report, the phantom) returns or builds a :class:`JobSummary`; its script
prints it with :func:`print_summary` and exits with its ``exit_code``:
1 when any item failed. The scripts pass their options to the library by
explicit keywords. Free of torch and mmdet (standard library only),
so the preprocessing jobs can use it.
"""
import argparse
import sys
from dataclasses import dataclass, field
from typing import IO, Any, Dict, List, Optional, Sequence

#: The status of an item that failed; any makes the exit code 1.
FAILED = 'failed'
#: The status of an item whose main result was kept but a secondary output
#: was not written (e.g. an SR); without failures the exit code is 3.
PARTIAL = 'partial'
#: Exit code of a job with partial items and no failed one.
EXIT_PARTIAL = 3


@dataclass
class JobSummary:
    """What a batch job did.

    Attributes:
        job (str): The job's name, the first word printed.
        unit (str): What the items are ('files', 'inputs', 'rows').
        counts (dict[str, int]): Items per status; only statuses that
            occurred.
        statuses (Sequence[str]): Statuses printed even at 0, in this
            order, before any other in ``counts``.
        failures (list[str]): ``'item: reason'`` of each failed item.
        partial (list[str]): ``'item: reason'`` of each partial item.
        outputs (dict[str, str]): What was written -> its path; each is
            an attribute too (``summary.report``).
        notes (list[str]): Further lines: per-class counts, figures.
        rows (list[dict]): The per-item report rows.
        results (list): Per-item results kept in memory (inference).
        stats (Any): Job-specific figures, e.g. the CSV to COCO counters.
    """
    job: str
    unit: str = 'files'
    counts: Dict[str, int] = field(default_factory=dict)
    statuses: Sequence[str] = ()
    failures: List[str] = field(default_factory=list)
    partial: List[str] = field(default_factory=list)
    outputs: Dict[str, str] = field(default_factory=dict)
    notes: List[str] = field(default_factory=list)
    rows: List[Dict[str, Any]] = field(default_factory=list)
    results: List[Any] = field(default_factory=list)
    stats: Any = None

    def __getattr__(self, name: str) -> str:
        # an output by its name: ``summary.report``, ``summary.csv``
        outputs = self.__dict__.get('outputs', {})
        if name in outputs:
            return outputs[name]
        raise AttributeError(
            f'{type(self).__name__} of {self.__dict__.get("job")!r} has no '
            f'attribute or output {name!r}')

    def count(self, status: str, n: int = 1) -> None:
        """Add ``n`` items of ``status``."""
        self.counts[status] = self.counts.get(status, 0) + n

    def add_rows(self, rows: Sequence[Dict[str, Any]], item: str) -> None:
        """Keep report ``rows``, counted by their ``'status'``; a failed one
        or partial one is listed by its ``item`` column and ``'reason'``."""
        for row in rows:
            self.rows.append(row)
            self.count(row['status'])
            listed = {FAILED: self.failures, PARTIAL: self.partial}
            if row['status'] in listed:
                listed[row['status']].append(
                    f'{row[item] or row.get("image_id")}: {row["reason"]}')

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def failed(self) -> int:
        """Items that failed."""
        return self.counts.get(FAILED, 0)

    @property
    def exit_code(self) -> int:
        """1 when an item failed, else :data:`EXIT_PARTIAL` when an item is
        partial, else 0."""
        if self.failed:
            return 1
        return EXIT_PARTIAL if self.counts.get(PARTIAL) else 0

    def format(self, max_listed: int = 10) -> str:
        """A few lines: counts, notes, the first failures, the outputs."""
        order = list(self.statuses) + [
            s for s in self.counts if s not in self.statuses
        ]
        line = f'{self.job}:'
        if order:
            parts = ', '.join(f'{self.counts.get(s, 0)} {s}' for s in order)
            line += f' {self.total} {self.unit}: {parts}'
        lines = [line] + self.notes
        for title, listed in (('failed', self.failures), ('partial',
                                                          self.partial)):
            if listed:
                lines.append(f'{title}:')
                lines.extend(f'  {f}' for f in listed[:max_listed])
                if len(listed) > max_listed:
                    lines.append(f'  ... and {len(listed) - max_listed} more')
        width = max((len(k) for k in self.outputs), default=0) + 1
        lines.extend(f'{k + ":":<{width}} {v}'
                     for k, v in self.outputs.items())
        return '\n'.join(lines)

    __str__ = format


def print_summary(summary: JobSummary, file: Optional[IO] = None) -> int:
    """Print ``summary`` (stdout by default) and return its exit code."""
    print(summary.format(), file=file or sys.stdout)
    return summary.exit_code


def describe_error(exc: BaseException) -> str:
    """One line naming an exception: its type and first message line."""
    lines = str(exc).strip().splitlines()
    # pydicom appends advice after ' - '; the first clause says what broke.
    msg = lines[0].split(' - ')[0] if lines else ''
    name = type(exc).__name__
    return f'{name}: {msg}' if msg else name


def log_line(message: str, progress: bool = True) -> None:
    """Print one line to stderr without breaking a progress bar."""
    if progress:
        # tqdm only here: the rest of this module is standard library
        from tqdm import tqdm
        tqdm.write(message, file=sys.stderr)
    else:
        print(message, file=sys.stderr)


# ---------------------------------------------------------------------------
# Command-line parts of the job scripts under tools/


def job_parser(doc: Optional[str]) -> argparse.ArgumentParser:
    """A parser whose help is the script's docstring, as written."""
    return argparse.ArgumentParser(
        description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)


def add_workers(parser: argparse.ArgumentParser, default: int = 1) -> None:
    """``--workers``: worker processes of a job."""
    parser.add_argument(
        '--workers',
        type=int,
        default=default,
        help=f'worker processes (default {default})')


def add_phantom_args(parser: argparse.ArgumentParser, num_train: int,
                     num_test: int, workers: int) -> None:
    """The size and seed of a generated phantom data set, and --workers."""
    parser.add_argument('--num-train', type=int, default=num_train)
    parser.add_argument('--num-test', type=int, default=num_test)
    parser.add_argument('--seed', type=int, default=0)
    add_workers(parser, workers)


__all__ = [
    'EXIT_PARTIAL', 'FAILED', 'PARTIAL', 'JobSummary', 'add_phantom_args',
    'add_workers', 'describe_error', 'job_parser', 'log_line',
    'print_summary'
]
