"""``python -m sme_common.contracts generate|check``: the event schemas from the models."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sme_common.contracts.generate import contracts_root, drift, write_all


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m sme_common.contracts",
        description="Generate the committed event JSON Schemas from their Pydantic models.",
    )
    parser.add_argument("command", choices=["generate", "check"])
    parser.add_argument(
        "--root",
        type=Path,
        default=None,
        help="the contracts/events folder (default: the one in sme_common's source tree)",
    )
    args = parser.parse_args(argv)
    root = args.root or contracts_root()
    if args.command == "generate":
        written = write_all(root)
        for path in written:
            print(f"wrote {path.relative_to(root)}")
        print(f"{len(written)} schema file(s) written")
        orphans = [d for d in drift(root) if d.problem == "orphaned"]
        for orphan in orphans:
            print(f"no model generates {orphan.path.relative_to(root)}; remove it or add a model")
        return 1 if orphans else 0
    problems = drift(root)
    for problem in problems:
        print(f"{problem.problem}: {problem.path.relative_to(root)}")
    if problems:
        print("run: python -m sme_common.contracts generate", file=sys.stderr)
        return 1
    print("every event schema matches its model")
    return 0


if __name__ == "__main__":
    sys.exit(main())
