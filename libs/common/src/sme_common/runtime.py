"""How a service is assembled and run: the FastAPI app, its background workers, and its CLI.

Each service describes itself once with a ``ServiceDefinition``; ``create_service_app`` builds the
app (nothing happens at import time), ``Workers`` runs its outbox relay and consumers, and
``service_cli`` gives it ``serve``, ``worker``, ``migrate``, ``replay-dlt``, ``outbox parked|resend``,
``directory-digest``, ``audit verify``, the rebuild command a consumer declares
(``rebuild-directory``) and the service's own commands (``extra_commands``: a plain function of the
settings, or an ``ExtraCommand`` with options of its own).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import signal
import socket
import sys
from collections.abc import AsyncIterator, Callable, Coroutine, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import structlog
from fastapi import APIRouter, Depends, FastAPI
from starlette.middleware import Middleware

from sme_common.api import reject_unknown_query_parameters
from sme_common.audit.router import audit_router
from sme_common.audit.verify import ChainReport, parse_head, verify_chain
from sme_common.auth.dependencies import Authenticator
from sme_common.auth.verify import JwtVerifier
from sme_common.db.engine import Database
from sme_common.db.migrations import ensure_database, upgrade
from sme_common.directory.consumers import ENTERPRISE_TOPIC
from sme_common.directory.convergence import directory_digest, register_digest
from sme_common.errors import install_problem_handlers
from sme_common.events.catalog import asyncapi_router, event_schemas_router
from sme_common.events.consumer import ConsumerRunner, ConsumerSpec, rebuild_command
from sme_common.events.outbox import outbox_status, parked_rows, release_parked_rows
from sme_common.events.relay import OutboxRelay
from sme_common.events.topics import dead_letter_topic, ensure_topics
from sme_common.health import health_router
from sme_common.observability.logging import configure_logging
from sme_common.observability.middleware import ObservabilityMiddleware
from sme_common.openapi import complete_openapi, route_id
from sme_common.progress import CommandProgress
from sme_common.request_guard import RequestGuardMiddleware
from sme_common.settings import Environment, ServiceSettings

log = structlog.get_logger(__name__)

# The collector's thresholds once the start-up objects are frozen (Python's default: 700, 10,
# 10). A request allocates thousands of objects that reference counting frees; at 700 the
# youngest generation was collected several times a request, its survivors walked again and
# again (4 % of a delta pull's CPU under a burst, perf). 20,000: a collection every few requests;
# each older generation after 20 of the one below it (docs/benchmarks.md, finance matching).
GC_THRESHOLDS = (20_000, 20, 20)

# A service's own long-running job (e.g. registry's import workers): runs beside the relay and the
# consumers, and returns once ``stop`` is set.
BackgroundTask = Callable[[ServiceSettings, Database, asyncio.Event], Coroutine[Any, Any, None]]


@dataclass(frozen=True)
class ExtraCommand:
    """A service's own CLI command with options of its own: ``add_arguments`` declares them on the
    command's subparser, ``run`` gets the settings and the parsed options. Calling it directly
    (``command(settings, ["--tier", "specialised"])``) parses ``argv`` the same way."""

    run: Callable[[ServiceSettings, argparse.Namespace], int]
    add_arguments: Callable[[argparse.ArgumentParser], None] | None = None
    help: str | None = None
    description: str | None = None

    def configure(self, parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
        if self.add_arguments is not None:
            self.add_arguments(parser)
        return parser

    def __call__(self, settings: ServiceSettings, argv: Sequence[str] = ()) -> int:
        parser = self.configure(argparse.ArgumentParser(description=self.description))
        return self.run(settings, parser.parse_args(list(argv)))


def extra_command(command: ExtraCommand | Callable[[ServiceSettings], int]) -> ExtraCommand:
    """A plain ``function(settings) -> int`` as a command that takes no options."""
    if isinstance(command, ExtraCommand):
        return command
    return ExtraCommand(run=lambda settings, _options: command(settings), help=command.__doc__)


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
    # The service's own commands: ``function(settings) -> int`` (no options) or an ``ExtraCommand``.
    extra_commands: dict[str, ExtraCommand | Callable[[ServiceSettings], int]] = field(
        default_factory=dict
    )
    background_tasks: Sequence[BackgroundTask] = ()
    # ASGI middleware run inside the request id, the access log and the request guard, before
    # FastAPI's routing: a service's shortcut for a route every client polls
    # (``sme_common.fast_route``).
    inner_middleware: Sequence[Middleware] = ()

    @property
    def api_prefix(self) -> str:
        return f"/api/{self.name}"


def outbox_relay(
    definition: ServiceDefinition, settings: ServiceSettings, database: Database
) -> OutboxRelay:
    return OutboxRelay(
        service=definition.name,
        database=database,
        kafka=settings.kafka,
        topics=definition.produced_topics,
    )


async def prepare_broker(definition: ServiceDefinition, settings: ServiceSettings) -> None:
    """What the workers do first when they start, done ahead of them: create the topics the
    service produces and consumes (dead-letter topics included), and let its relay check that the
    broker kept its log (queueing every row again if not, docs/adr/0009). ``make run`` does it
    before it says it is ready, so that these lines come before its banner, not after."""
    database = Database.from_url(
        settings.database_url.get_secret_value(), pool_size=1, role=settings.database_role
    )
    try:
        consumed = [
            topic
            for spec in definition.consumers
            for topic in (*spec.topics, dead_letter_topic(spec.name))
        ]
        await ensure_topics(settings.kafka, [*definition.produced_topics, *consumed])
        await outbox_relay(definition, settings, database).check_broker_epoch()
    finally:
        await database.dispose()


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
        relay = outbox_relay(self.definition, self.settings, self.database)
        self._tasks.append(asyncio.create_task(relay.run(self._stop), name="outbox-relay"))
        for runner in self.consumer_runners():
            self._tasks.append(asyncio.create_task(runner.run(self._stop), name=runner.spec.name))
        for task in self.definition.background_tasks:
            coroutine = task(self.settings, self.database, self._stop)
            self._tasks.append(asyncio.create_task(coroutine, name=task.__name__))

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


async def refuse_superuser_login(settings: ServiceSettings, database: Database) -> None:
    """Outside dev and test a service never logs in as a superuser: it could rewrite the audit
    (docs/audit.md). The embedded run and the tests share one login and ``SET ROLE sme_app``."""
    if settings.environment in (Environment.DEV, Environment.TEST):
        return
    if await database.logs_in_as_superuser():
        raise RuntimeError(
            "the service logs in to PostgreSQL as a superuser; give it the application role "
            "(sme_app) in its database URL"
        )


def create_service_app(
    definition: ServiceDefinition,
    settings: ServiceSettings,
    *,
    database: Database | None = None,
) -> FastAPI:
    """Build one service's app. ``database`` lets tests bind it to an isolated transaction."""
    db = database or Database.from_url(
        settings.database_url.get_secret_value(),
        pool_size=settings.database_pool_size,
        role=settings.database_role,
    )
    db.public_base_url = settings.public_base_url

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        workers = Workers(definition, settings, db) if settings.run_workers else None
        try:
            await refuse_superuser_login(settings, db)
            if workers:
                await workers.start()
            # Everything built so far (SQLAlchemy and Pydantic metadata, the OpenAPI, the app)
            # lives as long as the process: moved out of the collector's reach, a full collection
            # no longer walks it and stops the event loop for 100–200 ms (docs/benchmarks.md,
            # finance matching's delta pulls: p99 88–276 ms → 18.7 ms).
            gc.collect()
            gc.freeze()
            gc.set_threshold(*GC_THRESHOLDS)
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
        generate_unique_id_function=route_id,
    )
    app.openapi = lambda: complete_openapi(app, protected_prefix=f"{prefix}/v1/")  # type: ignore[method-assign]
    app.state.settings = settings
    app.state.database = db
    app.state.definition = definition
    app.state.authenticator = Authenticator(JwtVerifier(settings.auth))
    install_problem_handlers(app)
    # Each added middleware wraps those added before it: the service's own go innermost.
    for middleware in reversed(definition.inner_middleware):
        app.add_middleware(middleware.cls, *middleware.args, **middleware.kwargs)
    # Added next, so it runs inside the observability middleware (its answers carry request ids)
    # and outside the service's own.
    app.add_middleware(
        RequestGuardMiddleware,
        authenticator=app.state.authenticator,
        protected_prefix=f"{prefix}/v1/",
        open_prefix=f"{prefix}/v1/public/",
        max_body_bytes=settings.max_body_bytes,
        body_limits=settings.body_limits,
    )
    app.add_middleware(ObservabilityMiddleware, service=definition.name)
    app.include_router(health_router(prefix))
    app.include_router(
        asyncapi_router(
            prefix=prefix,
            service=definition.name,
            title=definition.title,
            produced_topics=definition.produced_topics,
            consumers=definition.consumers,
            public_base_url=settings.public_base_url,
        )
    )
    shared = [
        audit_router(definition.name),
        event_schemas_router(definition.name, public_base_url=settings.public_base_url),
    ]
    for router in [*definition.routers, *shared]:
        app.include_router(
            router,
            prefix=f"{prefix}/v1",
            dependencies=[Depends(reject_unknown_query_parameters)],
        )
    return app


def migrate(definition: ServiceDefinition, settings: ServiceSettings) -> None:
    url = settings.migration_url()
    ensure_database(url)
    upgrade(definition.package, url)


async def run_workers_until_signalled(
    definition: ServiceDefinition, settings: ServiceSettings
) -> None:
    database = Database.from_url(
        settings.database_url.get_secret_value(), role=settings.database_role
    )
    database.public_base_url = settings.public_base_url
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
    database = Database.from_url(
        settings.database_url.get_secret_value(), role=settings.database_role
    )
    database.public_base_url = settings.public_base_url  # a replayed event may publish others
    try:
        specs = {spec.name: spec for spec in definition.consumers}
        if consumer_name not in specs:
            raise SystemExit(f"unknown consumer {consumer_name!r}; known: {sorted(specs)}")
        runner = ConsumerRunner(spec=specs[consumer_name], database=database, kafka=settings.kafka)
        with CommandProgress(f"{consumer_name} dead letters", unit="records") as progress:
            report = await runner.replay_dead_letters(
                progress=lambda r, left: progress.update(r.replayed, r.replayed + left)
            )
        return asdict(report)
    finally:
        await database.dispose()


async def list_parked(settings: ServiceSettings) -> list[dict[str, object]]:
    database = Database.from_url(settings.database_url.get_secret_value())
    try:
        return [row.as_json() for row in await parked_rows(database)]
    finally:
        await database.dispose()


async def resend_parked(
    settings: ServiceSettings, ids: Sequence[int] | None, wait_s: float
) -> dict[str, Any]:
    """Release parked rows to the running relay and wait (up to ``wait_s``) to see each one
    published or parked again. Run it after fixing the cause (e.g. a raised
    ``KAFKA__MAX_REQUEST_SIZE`` on the service, restarted)."""
    database = Database.from_url(settings.database_url.get_secret_value())
    try:
        released = await release_parked_rows(database, ids)
        deadline = asyncio.get_running_loop().time() + wait_s
        with CommandProgress("outbox resend", unit="rows") as progress:
            while True:
                status = await outbox_status(database, released)
                settled = [verdict for verdict in status.values() if verdict != "pending"]
                progress.update(
                    len(settled), len(released), note=f"{settled.count('parked')} parked again"
                )
                if len(settled) == len(status) or asyncio.get_running_loop().time() >= deadline:
                    break
                await asyncio.sleep(0.5)
        return {"released": released, "status": {str(k): v for k, v in sorted(status.items())}}
    finally:
        await database.dispose()


async def digest_of(definition: ServiceDefinition, settings: ServiceSettings) -> dict[str, Any]:
    """This service's side of the convergence check: the register it produces, or its directory."""
    database = Database.from_url(settings.database_url.get_secret_value())
    try:
        async with database.sessionmaker() as session:
            report: dict[str, Any] = {"service": definition.name}
            if ENTERPRISE_TOPIC in definition.produced_topics:
                report["register"] = (await register_digest(session)).as_json()
            if any(spec.name.endswith(".enterprise-directory") for spec in definition.consumers):
                report["directory"] = (await directory_digest(session)).as_json()
            return report
    finally:
        await database.dispose()


async def verify_audit(
    settings: ServiceSettings, expect_head: tuple[int, str] | None
) -> ChainReport:
    database = Database.from_url(settings.database_url.get_secret_value(), pool_size=1)
    try:
        with CommandProgress("audit verify", unit="records") as progress:
            return await verify_chain(database, expect_head=expect_head, progress=progress.update)
    finally:
        await database.dispose()


def _reuse_port_socket(host: str, port: int) -> socket.socket:
    """A listening socket other processes may bind too (Linux SO_REUSEPORT): one event loop is
    one core, and a service that needs more runs more API processes on the same port."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    listener.bind((host, port))
    listener.listen(2048)
    listener.set_inheritable(True)
    return listener


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
    serve.add_argument(
        "--reuse-port",
        action="store_true",
        help="bind with SO_REUSEPORT, so several API processes (each with "
        "SME_<SERVICE>_RUN_WORKERS=false, beside one `worker`) share the port and the kernel "
        "spreads connections over them",
    )
    sub.add_parser("worker", help="run the outbox relay and consumers only")
    sub.add_parser("migrate", help="create the database if needed and apply migrations")
    replay = sub.add_parser(
        "replay-dlt", help="feed a consumer's dead-letter topic through it again"
    )
    replay.add_argument("--consumer", required=True)
    outbox = sub.add_parser("outbox", help="rows the relay parked (refused for good by the broker)")
    outbox_sub = outbox.add_subparsers(dest="outbox_command", required=True)
    outbox_sub.add_parser("parked", help="list parked rows and how many rows wait behind each")
    resend = outbox_sub.add_parser(
        "resend", help="hand parked rows back to the relay, after fixing the cause"
    )
    which = resend.add_mutually_exclusive_group(required=True)
    which.add_argument("--id", type=int, action="append", dest="ids", metavar="N")
    which.add_argument("--all", action="store_true")
    resend.add_argument(
        "--wait", type=float, default=30.0, help="seconds to wait for the relay's verdict"
    )
    sub.add_parser(
        "directory-digest",
        help="count and digest of the register (registry) or of this service's directory",
    )
    audit = sub.add_parser("audit", help="the tamper-evident audit").add_subparsers(
        dest="audit_command", required=True
    )
    verify = audit.add_parser("verify", help="recompute the hash chain; non-zero if broken")
    verify.add_argument(
        "--expect-head", metavar="POSITION:SHA256", help="a head printed by an earlier verify"
    )
    extras = {name: extra_command(c) for name, c in definition.extra_commands.items()}
    for name, command in extras.items():
        summary = command.help.strip().splitlines()[0] if command.help else None
        command.configure(
            sub.add_parser(name, help=summary, description=command.description or command.help)
        )
    rebuilds = {c.rebuild_command: c for c in definition.consumers if c.rebuild_command}
    for name, spec in rebuilds.items():
        sub.add_parser(
            name, help=f"re-read {', '.join(spec.topics)} from the start into {spec.name}"
        )
    args = parser.parse_args(argv)
    settings = definition.settings_factory()
    configure_logging(settings.log_level, environment=settings.environment)
    if args.command == "serve":
        import uvicorn

        # uvicorn's own start-up lines are below WARNING (observability.logging.QUIET_LIBRARIES).
        log.info(
            "service_starting",
            service=definition.name,
            docs=f"http://{args.host}:{args.port}{definition.api_prefix}/docs",
        )
        if args.reuse_port:
            # Handed over as a socket, not ``fd=``: uvicorn takes a descriptor for a Unix socket,
            # and asyncio then leaves Nagle on (TCP_NODELAY is set for TCP sockets only), which
            # with the peer's delayed ACK held answers back ≈40 ms.
            listener = _reuse_port_socket(args.host, args.port)
            server = uvicorn.Server(uvicorn.Config(create_app(settings), log_config=None))
            server.run(sockets=[listener])
        else:
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
    elif args.command == "outbox" and args.outbox_command == "parked":
        print(json.dumps(asyncio.run(list_parked(settings)), ensure_ascii=False, indent=1))
    elif args.command == "outbox":
        ids = None if args.all else args.ids
        result = asyncio.run(resend_parked(settings, ids, args.wait))
        print(json.dumps(result, ensure_ascii=False))
        return 0 if all(v == "published" for v in result["status"].values()) else 1
    elif args.command == "directory-digest":
        print(json.dumps(asyncio.run(digest_of(definition, settings))))
    elif args.command == "audit":
        try:
            head = parse_head(args.expect_head) if args.expect_head else None
        except ValueError as exc:
            parser.error(f"--expect-head: {exc}")
        chain = asyncio.run(verify_audit(settings, head))
        print(chain.summary())
        return 0 if chain.ok else 1
    else:
        return extras[args.command].run(settings, args)
    return 0


def main_for(
    definition: ServiceDefinition, create_app: Callable[[ServiceSettings], FastAPI]
) -> None:
    sys.exit(service_cli(definition, create_app))
