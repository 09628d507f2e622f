"""A long command (here ``audit verify``) draws a progress bar on a terminal, and keeps its output
clean in a pipe: the result alone on stdout, no bar and no escape codes on stderr (issue 7,
point 7)."""

from __future__ import annotations

import asyncio
import errno
import os
import re
import subprocess
import sys

import pytest

from sme_certification.app import DEFINITION
from sme_common.testing.plugin import DatabaseFactory
from tests.contracts.test_audit_chain import write_records

RECORDS = 7
ESCAPE = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
# Variables that make rich treat any output as a terminal (or never as one).
TERMINAL_OVERRIDES = ("FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE", "NO_COLOR")


@pytest.fixture
def audited_database(database_factory: DatabaseFactory) -> str:
    url = database_factory.create("progress", DEFINITION.package)
    asyncio.run(write_records(url, RECORDS))
    return url


def command_environment(url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in TERMINAL_OVERRIDES}
    return {**env, "SME_CERTIFICATION_DATABASE_URL": url, "TERM": "xterm-256color"}


VERIFY = [sys.executable, "-m", DEFINITION.package, "audit", "verify"]


def test_in_a_pipe_audit_verify_prints_its_result_and_nothing_of_a_progress_bar(
    audited_database: str,
) -> None:
    result = subprocess.run(
        VERIFY,
        env=command_environment(audited_database),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    [line] = result.stdout.splitlines()
    assert line.startswith(f"audit chain OK: {RECORDS} records checked; head {RECORDS}:")
    for output in (result.stdout, result.stderr):
        assert not ESCAPE.search(output) and "\r" not in output
    assert "━" not in result.stderr and "audit verify" not in result.stderr


def read_terminal(master: int) -> str:
    chunks = []
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError as exc:  # Linux says EIO once the other side is closed
            if exc.errno != errno.EIO:
                raise
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks).decode(errors="replace")


def test_on_a_terminal_audit_verify_draws_a_bar_up_to_every_record(
    audited_database: str,
) -> None:
    master, terminal = os.openpty()  # stderr is a real pseudo-terminal: nothing is forced
    try:
        process = subprocess.Popen(
            VERIFY,
            env={**command_environment(audited_database), "COLUMNS": "120"},
            stdout=subprocess.PIPE,
            stderr=terminal,
        )
    finally:
        os.close(terminal)
    try:
        shown = read_terminal(master)
        stdout, _ = process.communicate(timeout=120)
    finally:
        os.close(master)
    assert process.returncode == 0, shown
    plain = ESCAPE.sub("", shown)
    assert ESCAPE.search(shown), "drawn with the terminal's escape codes"
    assert "audit verify" in plain and f"{RECORDS}/{RECORDS}" in plain and "records" in plain
    assert stdout.decode().startswith(f"audit chain OK: {RECORDS} records checked")
