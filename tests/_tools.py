"""Third-party command-line tools that some tests run (dcmtk, dicom3tools,
chromium, node with OHIF's SR reader).

Such a test skips where its tool is absent, except when the environment
variable ``MMSPINE_REQUIRE_TOOLS`` is ``1`` (CI sets it after installing the
tools): there a missing tool fails the test, so that a broken install cannot
pass as a row of skips.
"""
import json
import os
import shutil
import subprocess
from typing import List, Sequence

import numpy as np
import pytest

#: Set to '1' to turn a missing tool into a test failure.
REQUIRE_TOOLS_ENV = 'MMSPINE_REQUIRE_TOOLS'


def require_tool(name: str) -> str:
    """Return the path of executable ``name``, or skip/fail without it.

    Raises:
        pytest.skip.Exception: if absent and tools are not required.
        pytest.fail.Exception: if absent and ``MMSPINE_REQUIRE_TOOLS=1``.
    """
    path = shutil.which(name)
    if path:
        return path
    if os.environ.get(REQUIRE_TOOLS_ENV) == '1':
        pytest.fail(f'{name} is not installed but {REQUIRE_TOOLS_ENV}=1 '
                    'requires it (see .ci/run)')
    pytest.skip(f'{name} is not installed')


#: dcmtk 3.6.7's value checker knows no UTF-8: a notice, not an invalid
#: value, printed for every SR with non-Latin-1 text (ISO_IR 192).
DSRDUMP_UTF8_NOTICE = ('W: The VR checker does not support this Specific '
                       'Character Set: ISO_IR 192')


def dsrdump_problems(path: str,
                     source_uid_keywords: Sequence[str] = ()) -> List[str]:
    """What dcmtk's ``dsrdump`` says about SR ``path`` on stderr (and its
    exit code when not 0); empty for a clean file.

    ``source_uid_keywords`` names UID attributes that hold a non-conformant
    source UID the SR must reference as it is: dcmtk's warnings that they
    violate their VR are left out (dcmtk names the attribute, not the value).
    """
    dsrdump = require_tool('dsrdump')
    # +Pc/+Pt: print all codes and template ids, so invalid ones would show
    proc = subprocess.run([dsrdump, '+Pc', '+Pt', path],
                          capture_output=True,
                          text=True,
                          errors='replace',
                          timeout=60)
    problems = [
        line for line in proc.stderr.splitlines()
        if line.strip() and line != DSRDUMP_UTF8_NOTICE and not any(
            line.startswith(f'W: {k} (') and 'violates' in line
            for k in source_uid_keywords)
    ]
    if proc.returncode:
        problems.append(f'exit code {proc.returncode}')
    return problems


def dciodvfy_errors(path: str, source_uids: Sequence[str] = ()) -> List[str]:
    """The ``Error`` lines of dicom3tools' ``dciodvfy`` on ``path``, but for
    those about ``source_uids`` (UIDs of a source that the file must
    reference as they are, conformant or not)."""
    dciodvfy = require_tool('dciodvfy')
    proc = subprocess.run([dciodvfy, path],
                          capture_output=True,
                          text=True,
                          errors='replace',
                          timeout=60)
    lines = (proc.stdout + proc.stderr).splitlines()
    excused = [
        line for line in lines
        if line.startswith('Error') and any(uid and uid in line
                                            for uid in source_uids)
    ]
    return [
        line for line in lines
        if line.startswith('Error') and line not in excused
        # the summary line that follows any value error
        and not (excused and line == DCIODVFY_SUMMARY)
    ]


#: dciodvfy's last line after any invalid value.
DCIODVFY_SUMMARY = ('Error - Dicom dataset contains invalid data values for '
                    'Value Representations')

#: The folder with the OHIF SR reader's package.json (installed by .ci/run
#: with ``npm ci``).
JS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'js')


def ohif_hydrate(paths: Sequence[str]) -> List[dict]:
    """Load SRs through OHIF's SR reader (``tests/js/hydrate.mjs``); one
    dict per file (see the script)."""
    node = require_tool('node')
    if not os.path.isdir(
            os.path.join(JS_DIR, 'node_modules', '@cornerstonejs',
                         'adapters')):
        missing = f'npm packages are not installed in {JS_DIR} (npm ci)'
        if os.environ.get(REQUIRE_TOOLS_ENV) == '1':
            pytest.fail(missing)
        pytest.skip(missing)
    proc = subprocess.run([node, 'hydrate.mjs', *paths],
                          cwd=JS_DIR,
                          capture_output=True,
                          text=True,
                          errors='replace',
                          timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return [json.loads(line) for line in proc.stdout.splitlines()]


def check_sr(path, source_uids=(), source_uid_keywords=()):
    """The checks every SR the tests write passes: dcmtk's dsrdump (exit 0,
    nothing on stderr) and dicom3tools' dciodvfy (no Error line), both but
    for non-conformant source UIDs referenced as they are (``source_uids``,
    and the attributes that hold them)."""
    assert dsrdump_problems(path, source_uid_keywords) == [], path
    assert dciodvfy_errors(path, source_uids) == [], path


def check_ohif(got: dict, result: dict, rows=None, columns=None):
    findings = result['findings']
    rows = rows or result['rows']
    columns = columns or result['columns']
    assert len(got['rectangles']) == len(findings), got['path']
    assert got['other'] == {}
    for rect, finding in zip(got['rectangles'], findings):
        assert rect['label'] == finding['lesion_type']
        assert rect['measurement'] == 'Probability'
        assert rect['score'] == pytest.approx(finding['score'], abs=1e-6)
        x1, y1, x2, y2 = finding['bbox']
        x1, x2 = (min(max(v, 0), columns) for v in (x1, x2))
        y1, y2 = (min(max(v, 0), rows) for v in (y1, y2))
        points = np.array(rect['points'])[:, :2]
        # RectangleROI's handles: top left, top right, bottom left, bottom
        # right
        np.testing.assert_allclose(
            points, [[x1, y1], [x2, y1], [x1, y2], [x2, y2]], atol=0.5)
        assert rect['sopInstanceUid'] == result['sop_instance_uid']
