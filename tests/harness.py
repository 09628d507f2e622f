"""Starting the platform for cross-service tests, in both topologies, on real PostgreSQL and Kafka.

(a) embedded: every service in this process, mounted by the same dispatcher ``make run`` uses;
(b) gateway: each service in its own uvicorn process, behind nginx configured from deploy/gateway/.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psycopg
import uvicorn
from sqlalchemy.engine import make_url

from sme_common.audit.migrations import APP_ROLE
from sme_common.db.engine import to_sync_url
from sme_common.devstack import free_port, wait_for_port
from sme_common.settings import AuthSettings, KafkaSettings, ServiceSettings
from sme_common.testing.plugin import DatabaseFactory
from sme_embedded.platform import SERVICES, ServiceModule, build_platform_app, prepare

REPO = Path(__file__).resolve().parents[1]
GATEWAY_TEMPLATE = REPO / "deploy" / "gateway" / "nginx.conf.template"
CONSUMING_SERVICES = ["certification", "funding", "finance-matching", "complaints"]


@dataclass
class Platform:
    base_url: str
    database_urls: dict[str, str]
    kafka: KafkaSettings
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def query(self, service: str, sql: str, *params: object) -> list[tuple[object, ...]]:
        with psycopg.connect(to_sync_url(self.database_urls[service])) as conn:
            return list(conn.execute(sql, params).fetchall())  # type: ignore[arg-type]


def service_settings(
    module: ServiceModule, database_url: str, kafka: KafkaSettings, auth_dir: Path
) -> ServiceSettings:
    return module.settings_class(
        database_url=database_url,  # type: ignore[arg-type]
        database_role=APP_ROLE,
        kafka=kafka,
        auth=AuthSettings(jwks_file=auth_dir / "jwks.json"),
    )


def prepare_databases(
    factory: DatabaseFactory, kafka: KafkaSettings, auth_dir: Path
) -> dict[str, ServiceSettings]:
    settings = {}
    for module in SERVICES:
        url = factory.create(module.definition.name)
        service = service_settings(module, url, kafka, auth_dir)
        prepare(service, module)
        settings[module.definition.name] = service
    return settings


@contextlib.asynccontextmanager
async def embedded_platform(
    factory: DatabaseFactory, kafka: KafkaSettings, auth_dir: Path
) -> AsyncIterator[Platform]:
    settings = prepare_databases(factory, kafka, auth_dir)
    app = build_platform_app(settings, auth_dir)
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, lifespan="on")
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.05)
    try:
        yield Platform(
            base_url=f"http://127.0.0.1:{port}",
            database_urls={n: s.database_url.get_secret_value() for n, s in settings.items()},
            kafka=kafka,
        )
    finally:
        server.should_exit = True
        await task


def service_environment(settings: ServiceSettings) -> dict[str, str]:
    """The environment variables that give a service process these settings."""
    prefix = str(type(settings).model_config.get("env_prefix"))
    kafka = settings.kafka
    env = {
        f"{prefix}DATABASE_URL": settings.database_url.get_secret_value(),
        f"{prefix}KAFKA__BOOTSTRAP_SERVERS": kafka.bootstrap_servers,
        f"{prefix}KAFKA__TOPIC_PREFIX": kafka.topic_prefix,
        f"{prefix}KAFKA__SESSION_TIMEOUT_MS": str(kafka.session_timeout_ms),
        f"{prefix}KAFKA__HEARTBEAT_INTERVAL_MS": str(kafka.heartbeat_interval_ms),
        f"{prefix}KAFKA__REQUEST_TIMEOUT_MS": str(kafka.request_timeout_ms),
        f"{prefix}ENVIRONMENT": "test",
    }
    if settings.database_role is not None:
        env[f"{prefix}DATABASE_ROLE"] = settings.database_role
    if not settings.run_workers:
        env[f"{prefix}RUN_WORKERS"] = "false"
    if settings.auth.jwks_file is not None:
        env[f"{prefix}AUTH__JWKS_FILE"] = str(settings.auth.jwks_file)
    return env


def start_service_process(
    module: ServiceModule, settings: ServiceSettings, command: list[str], log_path: Path
) -> subprocess.Popen[bytes]:
    log = open(log_path, "ab")
    return subprocess.Popen(
        [sys.executable, "-m", module.definition.package, *command],
        env={**os.environ, **service_environment(settings)},
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def render_gateway_config(upstreams: dict[str, str], listen: str, workdir: Path) -> str:
    """Fill deploy/gateway/nginx.conf.template, the same file docker-compose.yml mounts."""
    values = {
        f"{name.upper().replace('-', '_')}_UPSTREAM": addr for name, addr in upstreams.items()
    }
    values.update(
        {
            "GATEWAY_LISTEN": listen,
            "NGINX_TEMP_DIR": str(workdir),
            "NGINX_PID_FILE": str(workdir / "nginx.pid"),
            "NGINX_ERROR_LOG": str(workdir / "error.log"),
            "NGINX_ACCESS_LOG": str(workdir / "access.log"),
        }
    )
    text = GATEWAY_TEMPLATE.read_text()

    def substitute(match: re.Match[str]) -> str:
        return values.get(match.group(1), match.group(0))

    rendered = re.sub(r"\$\{([A-Z_]+)\}", substitute, text)
    missing = re.findall(r"\$\{([A-Z_]+)\}", rendered)
    if missing:
        raise KeyError(f"gateway template needs {missing}")
    return rendered


@contextlib.contextmanager
def gateway_platform(
    factory: DatabaseFactory, kafka: KafkaSettings, auth_dir: Path, workdir: Path
) -> Iterator[Platform]:
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    settings = prepare_databases(factory, kafka, auth_dir)
    processes: dict[str, subprocess.Popen[bytes]] = {}
    upstreams: dict[str, str] = {}
    try:
        for module in SERVICES:
            name = module.definition.name
            port = free_port()
            upstreams[name] = f"127.0.0.1:{port}"
            processes[name] = start_service_process(
                module, settings[name], ["serve", "--port", str(port)], workdir / f"{name}.log"
            )
        for address in upstreams.values():
            wait_for_port("127.0.0.1", int(address.rsplit(":", 1)[1]), timeout_s=60)
        gateway_port = free_port()
        config = workdir / "nginx.conf"
        config.write_text(render_gateway_config(upstreams, f"127.0.0.1:{gateway_port}", workdir))
        subprocess.run(
            [nginx, "-t", "-c", str(config), "-e", str(workdir / "error.log")],
            check=True,
            capture_output=True,
        )
        gateway = subprocess.Popen(
            [nginx, "-c", str(config), "-e", str(workdir / "error.log"), "-g", "daemon off;"]
        )
        processes["gateway"] = gateway
        wait_for_port("127.0.0.1", gateway_port)
        platform = Platform(
            base_url=f"http://127.0.0.1:{gateway_port}",
            database_urls={n: s.database_url.get_secret_value() for n, s in settings.items()},
            kafka=kafka,
            processes=processes,
        )
        wait_until_ready(platform)
        yield platform
    finally:
        for process in processes.values():
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(signal.SIGTERM)
        for process in processes.values():
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()


def wait_until_ready(platform: Platform, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    pending = {m.definition.name for m in SERVICES}
    while pending and time.monotonic() < deadline:
        for name in list(pending):
            with contextlib.suppress(httpx.HTTPError):
                if (
                    httpx.get(f"{platform.base_url}/api/{name}/readyz", timeout=5).status_code
                    == 200
                ):
                    pending.discard(name)
        time.sleep(0.2)
    if pending:
        raise TimeoutError(f"not ready: {sorted(pending)}")


async def eventually(check: object, timeout_s: float = 60.0, interval_s: float = 0.2) -> None:
    """Wait until ``check()`` (sync or async) returns truthy; fail with its last value."""
    deadline = time.monotonic() + timeout_s
    last: object = None
    while time.monotonic() < deadline:
        result = check()  # type: ignore[operator]
        if asyncio.iscoroutine(result):
            result = await result
        last = result
        if result:
            return
        await asyncio.sleep(interval_s)
    raise AssertionError(f"condition not met within {timeout_s}s (last: {last!r})")


def database_name(url: str) -> str:
    return str(make_url(url).database)
