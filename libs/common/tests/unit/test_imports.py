"""Each entry point imports on its own in a fresh interpreter (``python -m sme_<service>`` starts
from ``sme_common.runtime``; a cycle between modules shows only when it is imported first)."""

from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.mark.parametrize(
    "module",
    ["sme_common.runtime", "sme_common.auth", "sme_common.audit.recorder"],
)
def test_module_imports_first_in_a_fresh_interpreter(module: str) -> None:
    result = subprocess.run(
        [sys.executable, "-c", f"import {module}"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
