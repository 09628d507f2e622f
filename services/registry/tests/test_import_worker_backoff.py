"""While the database is away the import workers wait with growing, capped waits (one warning each)
and stop at once when told to, mid-wait."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from services.registry.tests.bulk_support import bulk_settings
from sme_common.db import Database
from sme_common.devstack import free_port
from sme_registry.bulk import worker


async def test_import_workers_back_off_while_the_database_is_away_and_stop_mid_wait(
    auth_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    waits: list[float] = []
    announce = worker._worker_failed

    def failed(exc: BaseException, retry_in_s: float) -> None:
        waits.append(retry_in_s)
        announce(exc, retry_in_s)  # the warning itself

    monkeypatch.setattr(worker, "_worker_failed", failed)
    nowhere = f"postgresql://postgres@127.0.0.1:{free_port()}/registry"
    settings = bulk_settings(nowhere, auth_dir, tmp_path, import_concurrency=1)
    database = Database.from_url(nowhere)
    stop = asyncio.Event()
    try:
        workers = asyncio.create_task(worker.import_workers(settings, database, stop))
        await asyncio.sleep(2.5)  # waits of ~0.5, ~1 and ~2 s (plus jitter)
        stopped_at = time.monotonic()
        stop.set()
        await asyncio.wait_for(workers, timeout=5)
        took = time.monotonic() - stopped_at
    finally:
        await database.dispose()
    assert 2 <= len(waits) <= 3, waits
    assert waits == sorted(waits) and waits[0] < 1 and waits[1] >= 2 * 0.5, waits
    assert took < 1.0, f"the workers took {took:.1f}s to stop"
