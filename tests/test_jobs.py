"""The one summary type of the batch jobs and the scripts' CLI parts."""
import argparse

import pytest

from mmspine.jobs import (EXIT_PARTIAL, FAILED, PARTIAL, JobSummary,
                          add_phantom_args, describe_error, job_parser,
                          print_summary)

DONE = 'done'


def test_summary_counts_failures_and_outputs(capsys):
    summary = JobSummary(
        'convert',
        statuses=('converted', 'skipped', 'failed'),
        outputs=dict(report='out/report.csv'))
    summary.add_rows([
        dict(source='a.dcm', status='converted', reason=''),
        dict(source='b.dcm', status='failed', reason='not a DICOM file'),
        dict(source=None, image_id='c', status='failed', reason='empty'),
    ], 'source')
    assert summary.counts == {'converted': 1, 'failed': 2}
    assert summary.total == 3 and summary.failed == 2
    assert summary.exit_code == 1
    assert summary.report == 'out/report.csv'
    with pytest.raises(AttributeError, match="'convert' has no .*'csv'"):
        summary.csv
    text = summary.format()
    # statuses at 0 are printed too, in the given order
    assert text.splitlines()[0] == ('convert: 3 files: 1 converted, '
                                    '0 skipped, 2 failed')
    assert '  b.dcm: not a DICOM file' in text
    assert '  c: empty' in text
    assert 'report: out/report.csv' in text
    assert print_summary(summary) == 1
    assert capsys.readouterr().out.strip() == text


def test_summary_lists_at_most_max_listed():
    summary = JobSummary('job', unit='inputs')
    summary.add_rows([
        dict(source=f'{i}.png', status='failed', reason='bad')
        for i in range(12)
    ], 'source')
    summary.notes.append('a note')
    lines = summary.format(max_listed=3).splitlines()
    assert lines[0] == 'job: 12 inputs: 12 failed'
    assert lines[1] == 'a note'
    assert lines[-1] == '  ... and 9 more'
    assert sum(line.endswith(': bad') for line in lines) == 3


def test_summary_partial_items_exit_3():
    summary = JobSummary('infer', statuses=(DONE, PARTIAL, FAILED))
    summary.add_rows([
        dict(source='a.dcm', status=DONE, reason=''),
        dict(source='b.dcm', status=PARTIAL, reason='SR not written: x'),
    ], 'source')
    assert summary.exit_code == EXIT_PARTIAL == 3
    text = summary.format()
    assert text.splitlines()[0] == 'infer: 2 files: 1 done, 1 partial, ' \
        '0 failed'
    assert 'partial:\n  b.dcm: SR not written: x' in text
    # a failure outweighs a partial item
    summary.add_rows([dict(source='c', status=FAILED, reason='bad')], 'source')
    assert summary.exit_code == 1


def test_summary_without_failures_exits_0():
    summary = JobSummary('fuse', notes=['AP table'])
    assert summary.exit_code == 0
    assert summary.format() == 'fuse:\nAP table'


def test_job_parser_parts():
    parser = job_parser('Doc.\n\n    indented example')
    add_phantom_args(parser, num_train=5, num_test=2, workers=3)
    args = parser.parse_args(['--seed', '4'])
    assert isinstance(
        parser.formatter_class(''), argparse.RawDescriptionHelpFormatter)
    assert (args.num_train, args.num_test, args.seed, args.workers) == (5, 2,
                                                                        4, 3)


def test_describe_error_names_type_and_first_clause():
    exc = ValueError('bad header - see the standard\nsecond line')
    assert describe_error(exc) == 'ValueError: bad header'
    assert describe_error(KeyError()) == 'KeyError'
