"""Receiving an import file: the multipart body is streamed to a file under the import directory
as it arrives (never held whole in memory, never in the machine-wide temp folder), with a size limit.

Parsing happens in the route after authentication, so an anonymous upload is refused before a
byte of it is stored.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from python_multipart.multipart import MultipartParser, parse_options_header

from sme_common.errors import DomainError, InvalidInput
from sme_common.text import TextError, clean_text


class PayloadTooLarge(DomainError):
    status = 413
    title = "Payload too large"


def payload_too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(
        "payload_too_large",
        f"the upload is larger than {limit} bytes",
        f"上传文件超过 {limit} 字节的上限",
        field="file",
    )


def _upload_invalid(detail: str, detail_zh: str) -> InvalidInput:
    return InvalidInput("upload_invalid", detail, detail_zh, field="file")


@dataclass(frozen=True)
class StoredUpload:
    file_name: str
    sha256: str
    size: int


class _FilePart:
    """Callbacks of the multipart parser: the part named ``file`` goes to ``target``."""

    def __init__(self, target: Path) -> None:
        self.target = target
        self.file_name: str | None = None
        self.digest = hashlib.sha256()
        self.size = 0
        self._handle: BinaryIO | None = None
        self._header_field = b""
        self._header_value = b""
        self._headers: dict[bytes, bytes] = {}

    def callbacks(self) -> dict[str, object]:
        return {
            "on_part_begin": self._part_begin,
            "on_header_field": self._header_field_data,
            "on_header_value": self._header_value_data,
            "on_header_end": self._header_end,
            "on_headers_finished": self._headers_finished,
            "on_part_data": self._part_data,
            "on_part_end": self._part_end,
        }

    def _part_begin(self) -> None:
        self._headers = {}

    def _header_field_data(self, data: bytes, start: int, end: int) -> None:
        self._header_field += data[start:end]

    def _header_value_data(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def _header_end(self) -> None:
        self._headers[self._header_field.strip().lower()] = self._header_value.strip()
        self._header_field, self._header_value = b"", b""

    def _headers_finished(self) -> None:
        _kind, options = parse_options_header(self._headers.get(b"content-disposition", b""))
        if options.get(b"name") != b"file":
            return  # other form fields are ignored
        if self.file_name is not None:
            raise _upload_invalid("send exactly one file", "每次只能上传一个文件")
        raw = options.get(b"filename", b"").decode("utf-8", errors="replace")
        try:
            self.file_name = clean_text(Path(raw.replace("\\", "/")).name)[:200] or "upload"
        except TextError as exc:
            raise InvalidInput(exc.code, exc.detail, exc.detail_zh, field="file") from None
        self._handle = self.target.open("wb")

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        if self._handle is not None:
            chunk = data[start:end]
            self.digest.update(chunk)
            self._handle.write(chunk)
            self.size += len(chunk)

    def _part_end(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None

    def discard(self) -> None:
        self.close()
        self.target.unlink(missing_ok=True)


def copy_file(source: Path, target: Path) -> StoredUpload:
    """A local file stored as if uploaded (blocking: run it in a thread)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    with source.open("rb") as reader, target.open("wb") as writer:
        for block in iter(lambda: reader.read(1 << 20), b""):
            digest.update(block)
            writer.write(block)
            size += len(block)
    return StoredUpload(source.name, digest.hexdigest(), size)


async def receive(
    content_type: str | None,
    content_length: str | None,
    body: AsyncIterator[bytes],
    *,
    target: Path,
    limit: int,
) -> StoredUpload:
    """Write the ``file`` part of a multipart/form-data body to ``target``; remove it on failure."""
    kind, options = parse_options_header(content_type or "")
    boundary = options.get(b"boundary")
    if kind != b"multipart/form-data" or not boundary:
        raise _upload_invalid(
            "send the file as multipart/form-data in a field named file",
            "请以 multipart/form-data 格式上传，字段名为 file",
        )
    if content_length and content_length.isdigit() and int(content_length) > limit:
        raise payload_too_large(limit)
    await asyncio.to_thread(target.parent.mkdir, parents=True, exist_ok=True)
    part = _FilePart(target)
    parser = MultipartParser(boundary, part.callbacks())  # type: ignore[arg-type]
    received = 0
    try:
        async for chunk in body:
            received += len(chunk)
            if received > limit:
                raise payload_too_large(limit)
            # Disk writes happen in a thread so that a large upload never blocks the event loop.
            await asyncio.to_thread(parser.write, chunk)
        parser.finalize()
    except DomainError:
        await asyncio.to_thread(part.discard)
        raise
    except Exception as exc:
        # A malformed multipart body is the caller's, whatever the parser called it.
        await asyncio.to_thread(part.discard)
        raise _upload_invalid(
            "the multipart body cannot be read", "无法解析上传的 multipart 内容"
        ) from exc
    part.close()
    if part.file_name is None:
        await asyncio.to_thread(part.discard)
        raise InvalidInput(
            "file_required",
            "send the file in a field named file",
            "缺少文件字段 file",
            field="file",
        )
    return StoredUpload(part.file_name, part.digest.hexdigest(), part.size)
