"""Where evidence documents' contents are kept, behind a small interface.

A copy of certification's ``storage.py`` (a service owns its code; nothing in ``sme_common`` holds
it yet). ``EvidenceStorage`` is what the subsidy projects module needs: put bytes under a key, read
them back. ``LocalDiskStorage`` (the default, under the service's state directory:
``SME_STATE_DIR``, default ``var/``, then ``funding/evidence``) is what the embedded run and the
tests use. Production (issue 8: "S3-compatible in production") implements the same two methods
on an S3-compatible object store (MinIO, OSS, COS…); that implementation is not written yet: only
the interface and the local one exist.

The metadata (file name, content type, size, SHA-256, who and when) is in the database
(``project_evidence``), written in the same transaction as the project's change; the content
is written first, so a failed transaction can leave an unreferenced file behind, never a row
without its content.
"""

from __future__ import annotations

import asyncio
import os
import re
import secrets
from pathlib import Path
from typing import Protocol

_KEY = re.compile(r"^[A-Za-z0-9_-]{1,64}(/[A-Za-z0-9_-]{1,64}){0,3}$")


class EvidenceNotStored(LookupError):
    """The storage has nothing under the key (a row whose content is gone)."""


class EvidenceStorage(Protocol):
    async def put(self, key: str, content: bytes) -> None: ...

    async def get(self, key: str) -> bytes: ...


class LocalDiskStorage:
    """Files under ``root``, one per key; written to a temporary name and renamed, so a reader
    never sees half a file."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        if not _KEY.fullmatch(key):  # keys are ours (ids), never a caller's file name
            raise ValueError(f"not a storage key: {key!r}")
        return self.root / key

    def _write(self, key: str, content: bytes) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
        with open(temporary, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)

    def _read(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            raise EvidenceNotStored(key) from None

    async def put(self, key: str, content: bytes) -> None:
        await asyncio.to_thread(self._write, key, content)

    async def get(self, key: str) -> bytes:
        return await asyncio.to_thread(self._read, key)
