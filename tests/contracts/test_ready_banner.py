"""Once ``make run`` listens it says where to go and how to get a token, after the startup logs
instead of among them (issue 7, point 7)."""

from __future__ import annotations

import shlex
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import uvicorn
from fastapi import FastAPI

from sme_common.auth.keys import ensure_signing_key
from sme_common.devstack import free_port
from sme_embedded.banner import AnnouncingServer, ready_banner
from sme_embedded.platform import SERVICES, PlatformSettings


def test_the_banner_names_the_url_every_services_docs_and_a_token_command_that_works(
    tmp_path: Path,
) -> None:
    settings = PlatformSettings(state_dir=tmp_path / "var", host="127.0.0.1", port=8123)
    ensure_signing_key(settings.auth_dir)
    banner = ready_banner(settings, scripts_dir=Path(sys.executable).parent)

    assert "SME platform ready on http://127.0.0.1:8123" in banner
    for module in SERVICES:
        assert f"http://127.0.0.1:8123/api/{module.definition.name}/docs" in banner
    [line] = [line.strip() for line in banner.splitlines() if "sme-token mint" in line]
    assert line.startswith("TOKEN=$(") and line.endswith(")")
    command = shlex.split(line.removeprefix("TOKEN=$(").removesuffix(")"))
    assert command[command.index("--role") + 1] == "province_officer"
    token = subprocess.run(command, check=True, capture_output=True, text=True).stdout.strip()
    assert token.count(".") == 2, "a compact JWS"


def test_the_server_announces_itself_only_once_its_port_answers() -> None:
    port = free_port()
    answered: list[bool] = []
    ready = threading.Event()

    def on_ready() -> None:
        with socket.create_connection(("127.0.0.1", port), timeout=5):
            answered.append(True)
        ready.set()
        server.should_exit = True

    server = AnnouncingServer(
        uvicorn.Config(FastAPI(), host="127.0.0.1", port=port, log_config=None, lifespan="off"),
        on_ready=on_ready,
    )
    thread = threading.Thread(target=server.run)
    thread.start()
    assert ready.wait(30)
    thread.join(30)
    assert answered == [True] and server.started


def test_a_server_that_cannot_bind_does_not_announce_itself() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        announced: list[bool] = []
        server = AnnouncingServer(
            uvicorn.Config(FastAPI(), host="127.0.0.1", port=port, log_config=None, lifespan="off"),
            on_ready=lambda: announced.append(True),
        )
        with pytest.raises(SystemExit):  # uvicorn's way to say it could not bind
            server.run()
    assert announced == [] and not server.started
