"""How a service is assembled and run: the FastAPI app, its background workers, and its CLI.

Each service describes itself once with a ``ServiceDefinition``; ``create_service_app`` builds the
app (nothing happens at import time), ``Workers`` runs its outbox relay and consumers, and
``service_cli`` gives it ``serve``, ``worker``, ``migrate``, ``replay-dlt`` and the rebuild command
a consumer declares (``rebuild-directory``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
import sys
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import structlog
from fastapi import APIRouter, Depends, FastAPI

from sme_common.api import reject_unknown_query_parameters
from sme_common.auth.dependencies import Authenticator
from sme_common.auth.verify import JwtVerifier
from sme_common.db.engine import Database
from sme_common.db.migrations import ensure_database, upgrade
from sme_common.errors import PROBLEM_RESPONSES, install_problem_handlers
from sme_common.events.consumer import ConsumerRunner, ConsumerSpec, rebuild_command
from sme_common.events.relay import OutboxRelay
from sme_common.health import health_router
from sme_common.observability.logging import configure_logging
from sme_common.observability.middleware import ObservabilityMiddleware
from sme_common.settings import ServiceSettings

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class ServiceDefinition:
    name: str  # path segment and event source: "registry", "finance-matching"
    package: str  # Python package holding ``migrations``: "sme_registry"
    title: str
    routers: Sequence[APIRouter]
    settings_factory: Callable[[], ServiceSettings]
    consumers: Sequence[ConsumerSpec] = ()
    produced_topics: Sequence[str] = ()
    description: str = ""
    extra_commands: dict[str, Callable[[ServiceSettings], int]] = field(default_factory=dict)

    @property
    def api_prefix(self) -> str:
        return f"/api/{self.name}"


class Workers:
    """The outbox relay and the consumers of one service, as asyncio tasks."""

    def __init__(
        self, definition: ServiceDefinition, settings: ServiceSettings, database: Database
    ):
        self.definition = definition
        self.settings = settings
        self.database = database
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    def consumer_runners(self) -> list[ConsumerRunner]:
        return [
            ConsumerRunner(spec=spec, database=self.database, kafka=self.settings.kafka)
            for spec in self.definition.consumers
        ]

    async def start(self) -> None:
        relay = OutboxRelay(
            service=self.definition.name,
            database=self.database,
            kafka=self.settings.kafka,
            topics=self.definition.produced_topics,
        )
        self._tasks.append(asyncio.create_task(relay.run(self._stop), name="outbox-relay"))
        for runner in self.consumer_runners():
            self._tasks.append(asyncio.create_task(runner.run(self._stop), name=runner.spec.name))

    async def stop(self, timeout_s: float = 10.0) -> None:
        self._stop.set()
        if not self._tasks:
            return
        _done, pending = await asyncio.wait(self._tasks, timeout=timeout_s)
        for task in pending:
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.gather(*pending, return_exceptions=True)
        self._tasks.clear()


def create_service_app(
    definition: ServiceDefinition,
    settings: ServiceSettings,
    *,
    database: Database | None = None,
) -> FastAPI:
    """Build one service's app. ``database`` lets tests bind it to an isolated transaction."""
    db = database or Database.from_url(
        settings.database_url.get_secret_value(), pool_size=settings.database_pool_size
    )

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        workers = Workers(definition, settings, db) if settings.run_workers else None
        if workers:
            await workers.start()
        try:
            yield
        finally:
            if workers:
                await workers.stop()
            if database is None:
                await db.dispose()

    prefix = definition.api_prefix
    app = FastAPI(
        title=definition.title,
        description=definition.description,
        version="1",
        openapi_url=f"{prefix}/openapi.json",
        docs_url=f"{prefix}/docs",
        redoc_url=None,
        lifespan=lifespan,
        responses=PROBLEM_RESPONSES,
    )
    app.state.settings = settings
    app.state.database = db
    app.state.definition = definition
    app.state.authenticator = Authenticator(JwtVerifier(settings.auth))
    install_problem_handlers(app)
    app.add_middleware(ObservabilityMiddleware, service=definition.name)
    app.include_router(health_router(prefix))
    for router in definition.routers:
        app.include_router(
            router,
            prefix=f"{prefix}/v1",
            dependencies=[Depends(reject_unknown_query_parameters)],
        )
    return app


def migrate(definition: ServiceDefinition, settings: ServiceSettings) -> None:
    url = settings.database_url.get_secret_value()
    ensure_database(url)
    upgrade(definition.package, url)


async def run_workers_until_signalled(
    definition: ServiceDefinition, settings: ServiceSettings
) -> None:
    database = Database.from_url(settings.database_url.get_secret_value())
    workers = Workers(definition, settings, database)
    stopped = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stopped.set)
    await workers.start()
    log.info("workers_started", service=definition.name)
    await stopped.wait()
    await workers.stop()
    await database.dispose()


async def replay_dead_letters(
    definition: ServiceDefinition, settings: ServiceSettings, consumer_name: str
) -> dict[str, Any]:
    database = Database.from_url(settings.database_url.get_secret_value())
    try:
        specs = {spec.name: spec for spec in definition.consumers}
        if consumer_name not in specs:
            raise SystemExit(f"unknown consumer {consumer_name!r}; known: {sorted(specs)}")
        runner = ConsumerRunner(spec=specs[consumer_name], database=database, kafka=settings.kafka)
        report = await runner.replay_dead_letters()
        return report.__dict__
    finally:
        await database.dispose()


def service_cli(
    definition: ServiceDefinition,
    create_app: Callable[[ServiceSettings], FastAPI],
    argv: list[str] | None = None,
) -> int:
    parser = argparse.ArgumentParser(prog=f"python -m {definition.package}")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the API (and, unless disabled, the workers)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    sub.add_parser("worker", help="run the outbox relay and consumers only")
    sub.add_parser("migrate", help="create the database if needed and apply migrations")
    replay = sub.add_parser(
        "replay-dlt", help="feed a consumer's dead-letter topic through it again"
    )
    replay.add_argument("--consumer", required=True)
    for name in definition.extra_commands:
        sub.add_parser(name)
    rebuilds = {c.rebuild_command: c for c in definition.consumers if c.rebuild_command}
    for name, spec in rebuilds.items():
        sub.add_parser(
            name, help=f"re-read {', '.join(spec.topics)} from the start into {spec.name}"
        )
    args = parser.parse_args(argv)
    settings = definition.settings_factory()
    configure_logging(settings.log_level)
    if args.command == "serve":
        import uvicorn

        uvicorn.run(create_app(settings), host=args.host, port=args.port, log_config=None)
    elif args.command == "worker":
        asyncio.run(run_workers_until_signalled(definition, settings))
    elif args.command == "migrate":
        migrate(definition, settings)
    elif args.command == "replay-dlt":
        report = asyncio.run(replay_dead_letters(definition, settings, args.consumer))
        print(json.dumps(report))
        return 0 if report["error"] is None else 1
    elif args.command in rebuilds:
        return rebuild_command(rebuilds[args.command], settings)
    else:
        return definition.extra_commands[args.command](settings)
    return 0


def main_for(
    definition: ServiceDefinition, create_app: Callable[[ServiceSettings], FastAPI]
) -> None:
    sys.exit(service_cli(definition, create_app))
