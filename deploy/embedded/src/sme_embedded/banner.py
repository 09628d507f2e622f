"""What ``make run`` prints once it listens: where to go, and how to get in.

The one line that said so ("serving on …") used to scroll away among the startup logs; this block
comes after them, when the port answers."""

from __future__ import annotations

import os
import shlex
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import uvicorn

from sme_embedded.platform import SERVICES, PlatformSettings


def _shown(path: Path) -> str:
    """``path`` as a person would type it from here (relative when it is below the current
    directory)."""
    absolute = path.absolute()
    try:
        return str(absolute.relative_to(Path.cwd()))
    except ValueError:
        return str(absolute)


def ready_banner(settings: PlatformSettings, scripts_dir: Path | None = None) -> str:
    base = f"http://{settings.host}:{settings.port}"
    scripts = scripts_dir if scripts_dir is not None else Path(sys.executable).parent
    width = max(len(m.definition.name) for m in SERVICES)
    mint = shlex.join(
        [
            _shown(scripts / "sme-token"),
            "mint",
            "--dir",
            _shown(settings.auth_dir),
            "--sub",
            "officer-1",
            "--role",
            "province_officer",
            "--region",
            "620000",
        ]
    )
    lines = [
        "",
        f"SME platform ready on {base}",
        "",
        "API documentation:",
        *(
            f"  {m.definition.name:<{width}}  {base}{m.definition.api_prefix}/docs"
            for m in SERVICES
        ),
        "",
        "A bearer token for a province officer of Gansu (620000), valid 60 minutes:",
        f"  TOKEN=$({mint})",
        f'  curl -H "Authorization: Bearer $TOKEN" {base}'
        f"{SERVICES[0].definition.api_prefix}/v1/enterprises",
        "",
        f"State (database, broker log, signing key) in {_shown(settings.state_dir)}; Ctrl-C stops.",
        "",
    ]
    return os.linesep.join(lines)


class AnnouncingServer(uvicorn.Server):
    """uvicorn's server calling ``on_ready`` once its sockets listen (not when it failed to bind)."""

    def __init__(self, config: uvicorn.Config, on_ready: Callable[[], None]) -> None:
        super().__init__(config)
        self.on_ready = on_ready

    async def startup(self, sockets: Any = None) -> None:
        await super().startup(sockets)
        if self.started:
            self.on_ready()
