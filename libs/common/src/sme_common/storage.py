"""Where uploaded documents' contents are kept (evidence of applications and subsidy projects),
behind a small interface: put bytes under a key, read them back.

- ``LocalDiskStorage``: the default, under the service's state directory (``SME_STATE_DIR``,
  default ``var/``), used by the embedded run and most tests.
- ``S3Storage``: an S3-compatible object store (MinIO, Alibaba OSS, Tencent COS, Huawei OBS…) for
  production, where several API processes must see the same documents. ``boto3`` is an optional
  dependency (``pip install sme-common[s3]``); it is imported only when this storage is chosen.

Settings (``StorageSettings``, nested under a service's settings as ``storage``):
``SME_<SERVICE>_STORAGE__KIND=s3``, ``…__S3_ENDPOINT_URL``, ``…__S3_BUCKET``, ``…__S3_PREFIX``,
``…__S3_REGION``, ``…__S3_ACCESS_KEY_ID``, ``…__S3_SECRET_ACCESS_KEY``.

The metadata (file name, content type, size, SHA-256, who and when) is in the service's database,
written in the same transaction as the change it belongs to; the content is written first, so a
failed transaction can leave an unreferenced object behind, never a row without its content.
"""

from __future__ import annotations

import asyncio
import os
import re
import secrets
from pathlib import Path
from typing import Any, Literal, Protocol

from pydantic import BaseModel, Field, SecretStr

_KEY = re.compile(r"^[A-Za-z0-9_-]{1,64}(/[A-Za-z0-9_-]{1,64}){0,3}$")


class DocumentNotStored(LookupError):
    """The storage has nothing under the key (a row whose content is gone)."""


class DocumentStorage(Protocol):
    async def put(self, key: str, content: bytes) -> None: ...

    async def get(self, key: str) -> bytes: ...


def _checked(key: str) -> str:
    if not _KEY.fullmatch(key):  # keys are ours (ids), never a caller's file name
        raise ValueError(f"not a storage key: {key!r}")
    return key


class LocalDiskStorage:
    """Files under ``root``, one per key; written to a temporary name and renamed, so a reader
    never sees half a file."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        return self.root / _checked(key)

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
            raise DocumentNotStored(key) from None

    async def put(self, key: str, content: bytes) -> None:
        await asyncio.to_thread(self._write, key, content)

    async def get(self, key: str) -> bytes:
        return await asyncio.to_thread(self._read, key)


class StorageSettings(BaseModel):
    kind: Literal["local", "s3"] = "local"
    s3_endpoint_url: str | None = None
    """The object store's address (``https://oss-cn-lanzhou.aliyuncs.com``, a MinIO URL…); empty
    for AWS itself."""
    s3_bucket: str | None = None
    s3_prefix: str = Field(default="", pattern=r"^([A-Za-z0-9_-]+/)*$")
    """Put before every key (``certification/``), so services can share a bucket."""
    s3_region: str = "us-east-1"
    s3_access_key_id: SecretStr | None = None
    s3_secret_access_key: SecretStr | None = None


class S3Storage:
    """Objects in an S3-compatible bucket, one per key (a PUT is atomic: a reader sees the whole
    object or none). The SHA-256 the caller stored in its metadata is what proves the content."""

    def __init__(self, settings: StorageSettings, *, client: Any = None) -> None:
        if not settings.s3_bucket:
            raise ValueError("S3 storage needs a bucket (storage.s3_bucket)")
        self.bucket = settings.s3_bucket
        self.prefix = settings.s3_prefix
        self._client = client or _s3_client(settings)

    def _name(self, key: str) -> str:
        return f"{self.prefix}{_checked(key)}"

    def _put(self, key: str, content: bytes) -> None:
        self._client.put_object(Bucket=self.bucket, Key=self._name(key), Body=content)

    def _get(self, key: str) -> bytes:
        try:
            answer = self._client.get_object(Bucket=self.bucket, Key=self._name(key))
        except self._client.exceptions.NoSuchKey:
            raise DocumentNotStored(key) from None
        body: bytes = answer["Body"].read()
        return body

    async def put(self, key: str, content: bytes) -> None:
        await asyncio.to_thread(self._put, key, content)

    async def get(self, key: str) -> bytes:
        return await asyncio.to_thread(self._get, key)


def _s3_client(settings: StorageSettings) -> Any:
    try:
        import boto3
    except ImportError as exc:  # pragma: no cover - depends on the installation
        raise RuntimeError("S3 storage needs boto3: pip install 'sme-common[s3]'") from exc

    def secret(value: SecretStr | None) -> str | None:
        return value.get_secret_value() if value is not None else None

    return boto3.client(
        "s3",
        endpoint_url=settings.s3_endpoint_url,
        region_name=settings.s3_region,
        aws_access_key_id=secret(settings.s3_access_key_id),
        aws_secret_access_key=secret(settings.s3_secret_access_key),
    )


def document_storage(settings: StorageSettings, local_root: Path) -> DocumentStorage:
    """The storage the settings choose: the local disk under ``local_root`` by default."""
    if settings.kind == "s3":
        return S3Storage(settings)
    return LocalDiskStorage(local_root)
