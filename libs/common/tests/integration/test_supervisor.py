"""The embedded run's PostgreSQL and Tansu are watched: one that dies is restarted on the same port,
and one that keeps dying stops the run instead of leaving it 503 forever (issue 6, defect 13)."""

from __future__ import annotations

import os
import signal
import socket
import time
from pathlib import Path

import psycopg

from sme_common.devstack import (
    EmbeddedKafka,
    EmbeddedPostgres,
    Supervisor,
    free_port,
)


def listens(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        return sock.connect_ex((host, port)) == 0


def kill(kafka: EmbeddedKafka) -> None:
    process = kafka._process
    assert process is not None
    process.send_signal(signal.SIGKILL)
    process.wait(10)


def test_a_dead_broker_is_restarted_on_its_port_and_one_that_keeps_dying_stops_the_run(
    tmp_path: Path,
) -> None:
    kafka = EmbeddedKafka(port=free_port(), log_file=tmp_path / "tansu.log")
    kafka.start()
    gave_up: list[str] = []
    supervisor = Supervisor([kafka], gave_up.append, max_restarts=3, clock=lambda: 0.0)
    try:
        supervisor.check()
        assert supervisor.restarts == {"kafka": 0}, "a live broker is left alone"

        first_pid = kafka.pid
        kill(kafka)
        assert not listens(kafka.host, kafka.port)
        supervisor.check()
        assert kafka.is_alive() and kafka.pid != first_pid
        assert listens(kafka.host, kafka.port), "back on the same port"
        assert supervisor.restarts == {"kafka": 1}

        kill(kafka)
        supervisor.check()
        assert supervisor.restarts == {"kafka": 2}
        assert gave_up == []

        kill(kafka)
        supervisor.check()
        assert gave_up == ["kafka"], "the third death within the window gives up"
        assert supervisor.restarts == {"kafka": 2}
        assert not kafka.is_alive()
    finally:
        kafka.stop()


def test_deaths_outside_the_window_are_forgiven(tmp_path: Path) -> None:
    kafka = EmbeddedKafka(port=free_port(), log_file=tmp_path / "tansu.log")
    kafka.start()
    now = [0.0]
    gave_up: list[str] = []
    supervisor = Supervisor([kafka], gave_up.append, window_s=60.0, clock=lambda: now[0])
    try:
        for minute in range(4):
            now[0] = minute * 61.0
            kill(kafka)
            supervisor.check()
        assert gave_up == []
        assert supervisor.restarts == {"kafka": 4}
        assert kafka.is_alive()
    finally:
        kafka.stop()


def test_a_dead_postgres_is_restarted_on_its_port_with_its_data(state_dir: Path) -> None:
    # Under the session's state directory, not tmp_path: pytest resets its own base directory to
    # 0700 (any concurrent pytest run does), which locks out the unprivileged postgres user.
    postgres = EmbeddedPostgres(data_dir=state_dir / f"supervised-{free_port()}", port=free_port())
    postgres.start()
    gave_up: list[str] = []
    supervisor = Supervisor([postgres], gave_up.append, clock=lambda: 0.0)
    try:
        with psycopg.connect(postgres.url, autocommit=True) as conn:
            conn.execute("CREATE TABLE kept (n int)")
            conn.execute("INSERT INTO kept VALUES (42)")
        pid = int((postgres.data_dir / "postmaster.pid").read_text().split("\n", 1)[0])
        os.kill(pid, signal.SIGKILL)
        for _ in range(100):
            if not postgres.is_alive():
                break
            time.sleep(0.05)
        supervisor.check()
        assert postgres.is_alive(), "restarted"
        with psycopg.connect(postgres.url) as conn:
            assert conn.execute("SELECT n FROM kept").fetchall() == [(42,)]
        assert supervisor.restarts == {"postgres": 1}
        assert gave_up == []
    finally:
        postgres.stop()
