from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from sme_common.ids import make_uscc


@pytest.fixture
def workdir(tmp_path: Path) -> Iterator[Path]:
    tmp_path.chmod(0o777)  # nginx workers run as an unprivileged user
    yield tmp_path


@pytest.fixture(scope="session")
def require_nginx() -> None:
    if shutil.which("nginx") is None and not Path("/usr/sbin/nginx").exists():
        pytest.fail("nginx is not installed; `make test` installs it (Debian package nginx)")


def uscc_for(serial: int, region: str = "620102") -> str:
    """Distinct valid codes: body is a zero-padded serial with an MA prefix."""
    return make_uscc(region=region, body=f"MA{serial:06d}")
