"""``python -m sme_embedded run``: start PostgreSQL and Tansu (unless given), migrate every service,
load reference data, and serve all five services on one port."""

from __future__ import annotations

import argparse
import signal
import sys
from types import FrameType

import uvicorn

from sme_common.observability.logging import configure_logging
from sme_embedded.platform import (
    SERVICES,
    PlatformSettings,
    build_platform_app,
    configure,
    infrastructure,
    prepare,
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sme_embedded")
    parser.add_argument("command", choices=["run", "prepare"])
    args = parser.parse_args(argv)
    settings = PlatformSettings()
    configure_logging("INFO")
    with infrastructure(settings) as (server_url, bootstrap):
        all_settings = configure(settings, server_url, bootstrap)
        for module in SERVICES:
            prepare(all_settings[module.definition.name], module)
        if args.command == "prepare":
            return 0
        app = build_platform_app(all_settings, settings.auth_dir)
        # uvicorn re-raises the signal that stopped it; turn it into SystemExit so that the
        # embedded PostgreSQL and Tansu are stopped on the way out.
        signal.signal(signal.SIGTERM, _exit_on_signal)
        print(f"SME platform serving on http://{settings.host}:{settings.port}", flush=True)
        uvicorn.run(app, host=settings.host, port=settings.port, log_config=None)
    return 0


def _exit_on_signal(signum: int, _frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


if __name__ == "__main__":
    sys.exit(main())
