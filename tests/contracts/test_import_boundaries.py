"""The boundaries `make lint` holds with import-linter (pyproject.toml, AGENTS.md), and proof that
the linter fails when one is crossed: each case copies the packages, adds one wrong import to the
copy, and runs `lint-imports` against it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.harness import REPO

PACKAGES = {
    "sme_common": REPO / "libs/common/src/sme_common",
    "sme_registry": REPO / "services/registry/src/sme_registry",
    "sme_certification": REPO / "services/certification/src/sme_certification",
    "sme_funding": REPO / "services/funding/src/sme_funding",
    "sme_finance_matching": REPO / "services/finance-matching/src/sme_finance_matching",
    "sme_complaints": REPO / "services/complaints/src/sme_complaints",
    "sme_embedded": REPO / "deploy/embedded/src/sme_embedded",
}
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint(source_root: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    if source_root is not None:
        # Ahead of the editable installs (their .pth entries come after PYTHONPATH).
        env["PYTHONPATH"] = str(source_root)
    return subprocess.run(
        [str(LINT_IMPORTS), "--config", str(REPO / "pyproject.toml"), "--no-cache"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_the_tree_keeps_every_boundary() -> None:
    result = lint()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "4 kept, 0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "wrong_import", "contract"),
    [
        (
            "sme_registry/facts/domain.py",
            "import sqlalchemy",
            "Domain modules are pure",
        ),
        (
            "sme_registry/flags/router.py",
            "from sme_registry.flags import models",
            "Routers speak HTTP only",
        ),
        (
            "sme_funding/app.py",
            "import sme_registry.enterprises.domain",
            "Services never import each other",
        ),
        (
            "sme_common/money.py",
            "import sme_registry",
            "libs/common imports no service",
        ),
    ],
)
def test_a_crossed_boundary_fails_the_lint(
    tmp_path: Path, module: str, wrong_import: str, contract: str
) -> None:
    for name, source in PACKAGES.items():
        shutil.copytree(source, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
    target = tmp_path / module
    target.write_text(target.read_text(encoding="utf-8") + f"\n{wrong_import}  # noqa\n")
    result = lint(tmp_path)
    assert result.returncode != 0, result.stdout
    broken = [line for line in result.stdout.splitlines() if line.endswith("BROKEN")]
    # That contract, and only that one, is reported broken.
    assert len(broken) == 1 and broken[0].startswith(contract), result.stdout
