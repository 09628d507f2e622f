"""The embedded broker (``make run``, tests) has no authentication, so it must not be reachable from
another machine: it listens on the loopback interface only."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from sme_common.devstack import EmbeddedKafka, free_port

LISTEN = "0A"


def listening_addresses(pid: int) -> set[str]:
    """Local addresses of the process's listening TCP sockets, from /proc (Linux)."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except FileNotFoundError:  # closed since the directory was listed
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    found = set()
    for table in ("tcp", "tcp6"):
        for line in Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == LISTEN and fields[9] in inodes:
                address = fields[1].split(":")[0]
                found.add(address)
    return found


@pytest.mark.skipif(not Path("/proc/self/net/tcp").exists(), reason="needs Linux /proc")
def test_the_embedded_broker_listens_on_loopback_only() -> None:
    broker = EmbeddedKafka(port=free_port())
    broker.start()
    try:
        assert broker._process is not None
        addresses = listening_addresses(broker._process.pid)
    finally:
        broker.stop()
    # 127.0.0.1 in /proc's little-endian hex; 0.0.0.0 or :: would mean every interface.
    assert addresses == {"0100007F"}
