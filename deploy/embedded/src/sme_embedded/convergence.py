"""``python -m sme_embedded check-convergence``: has every directory caught up with the register?

All databases of the embedded run live on one server, so both sides of
``sme_common.directory.convergence`` are read here and compared (the distributed topology runs
``python -m sme_<service> directory-digest`` per service instead).
"""

from __future__ import annotations

from sme_common.db.engine import Database
from sme_common.directory.convergence import Digest, directory_digest, register_digest
from sme_embedded.platform import SERVICES, database_url_for


async def convergence_report(server_url: str) -> tuple[Digest, dict[str, Digest]]:
    """The register's digest and each consuming service's directory digest."""
    register: Digest | None = None
    directories: dict[str, Digest] = {}
    for module in SERVICES:
        name = module.definition.name
        database = Database.from_url(database_url_for(server_url, name))
        try:
            async with database.sessionmaker() as session:
                if name == "registry":
                    register = await register_digest(session)
                else:
                    directories[name] = await directory_digest(session)
        finally:
            await database.dispose()
    assert register is not None, "the platform has a registry"
    return register, directories


def render(register: Digest, directories: dict[str, Digest]) -> tuple[list[str], bool]:
    lines = [f"{'registry':<17} register   count={register.count:<8} digest={register.digest}"]
    converged = True
    for name, digest in directories.items():
        same = digest == register
        converged &= same
        lines.append(
            f"{name:<17} directory  count={digest.count:<8} digest={digest.digest}  "
            + ("OK" if same else "DIFF")
        )
    return lines, converged
