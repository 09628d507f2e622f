"""``make run`` says it is ready last: the start-up lines (topics created, each relay's check of the
broker, uvicorn's steps) come before the banner or not at all, and an idle platform prints nothing
after it (issue 7, point 7: ~16 relay lines used to follow it)."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from sme_common.devstack import free_port

REPO = Path(__file__).resolve().parents[2]
BANNER_END = "Ctrl-C stops."
IDLE_S = 8.0


def test_an_idle_platform_prints_nothing_after_its_ready_banner(state_dir: Path) -> None:
    env = {
        **os.environ,
        # as root PostgreSQL runs as another user: the session's state directory is reachable
        "SME_STATE_DIR": str(state_dir / f"quiet-{free_port()}"),
        "SME_PORT": str(free_port()),
        "SME_EMBEDDED_PG_PORT": str(free_port()),
        "SME_EMBEDDED_KAFKA_PORT": str(free_port()),
        "SME_EMBEDDED_PG_FAST": "1",
    }
    run = subprocess.Popen(
        [sys.executable, "-m", "sme_embedded", "run"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=REPO,
        start_new_session=True,
    )
    lines: queue.Queue[str | None] = queue.Queue()

    def read() -> None:
        assert run.stdout is not None
        for line in run.stdout:
            lines.put(line.rstrip("\n"))
        lines.put(None)

    threading.Thread(target=read, daemon=True).start()
    before: list[str] = []
    after: list[str] = []
    try:
        deadline = time.monotonic() + 120
        while not before or BANNER_END not in before[-1]:
            line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
            assert line is not None, "the run ended before its banner:\n" + "\n".join(before)
            before.append(line)
        quiet_until = time.monotonic() + IDLE_S
        while (left := quiet_until - time.monotonic()) > 0:
            try:
                line = lines.get(timeout=left)
            except queue.Empty:
                break
            if line is None:
                break
            if line.strip():
                after.append(line)
    finally:
        os.killpg(run.pid, signal.SIGTERM)
        run.wait(60)
    assert run.poll() is not None
    assert after == [], f"printed after the banner within {IDLE_S:g}s: {after}"
    printed = "\n".join(before)
    assert "relay_epoch_started" in printed, "the relays' start-up lines come before the banner"
