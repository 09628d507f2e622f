"""``python -m sme_embedded run``: start PostgreSQL and Tansu (unless given), migrate every service,
load reference data, and serve all five services on one port, restarting PostgreSQL or Tansu if one
dies and stopping (exit 1) if one keeps dying.

``python -m sme_embedded check-convergence``: compare every directory with the register of a running
platform; exit 1 on any difference."""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
from types import FrameType

import uvicorn
from sqlalchemy.exc import OperationalError

from sme_common.observability.logging import configure_logging
from sme_embedded.banner import AnnouncingServer, ready_banner
from sme_embedded.platform import (
    SERVICES,
    PlatformSettings,
    build_platform_app,
    configure,
    infrastructure,
    prepare,
    prepare_broker_for_all,
    server_url_of,
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sme_embedded")
    parser.add_argument("command", choices=["run", "prepare", "check-convergence"])
    args = parser.parse_args(argv)
    settings = PlatformSettings()
    configure_logging("INFO")
    if args.command == "check-convergence":
        return check_convergence(settings)
    gave_up: list[str] = []

    def give_up(component: str) -> None:
        # Called from the supervisor's thread: stop uvicorn the way a SIGTERM does, so that the
        # services shut down and the infrastructure is stopped on the way out.
        gave_up.append(component)
        os.kill(os.getpid(), signal.SIGTERM)

    def exit_on_signal(signum: int, _frame: FrameType | None) -> None:
        if gave_up:
            print(
                f"SME platform stopped: embedded {gave_up[0]} keeps dying (see its log in "
                f"{settings.state_dir})",
                file=sys.stderr,
                flush=True,
            )
            raise SystemExit(1)
        raise SystemExit(128 + signum)

    # Also while preparing: a SIGTERM (or giving up) then stops PostgreSQL and Tansu on the way out.
    # uvicorn re-raises the signal that stopped it, which lands here too.
    signal.signal(signal.SIGTERM, exit_on_signal)
    with infrastructure(settings, on_give_up=give_up) as (server_url, bootstrap):
        all_settings = configure(settings, server_url, bootstrap)
        for module in SERVICES:
            prepare(all_settings[module.definition.name], module)
        # The relays' and consumers' start-up lines (topics created, relay epoch) come here,
        # before the banner, rather than right after it.
        asyncio.run(prepare_broker_for_all(all_settings))
        if args.command == "prepare":
            return 0
        app = build_platform_app(all_settings, settings.auth_dir)
        server = AnnouncingServer(
            uvicorn.Config(app, host=settings.host, port=settings.port, log_config=None),
            on_ready=lambda: print(ready_banner(settings), flush=True),
        )
        server.run()  # exits 3 itself if it cannot bind
    return 0


def check_convergence(settings: PlatformSettings) -> int:
    from sme_embedded.convergence import convergence_report, render

    try:
        register, directories = asyncio.run(convergence_report(server_url_of(settings)))
    except (OSError, OperationalError) as exc:
        print(f"cannot reach the platform's PostgreSQL ({exc}); is it running?", file=sys.stderr)
        return 2
    lines, converged = render(register, directories)
    print("\n".join(lines))
    return 0 if converged else 1


if __name__ == "__main__":
    sys.exit(main())
