"""Third-party command-line tools that some tests run (dcmtk, chromium).

Such a test skips where its tool is absent, except when the environment
variable ``MMSPINE_REQUIRE_TOOLS`` is ``1`` (CI sets it after installing the
tools): there a missing tool fails the test, so that a broken install cannot
pass as a row of skips.
"""
import os
import shutil

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
