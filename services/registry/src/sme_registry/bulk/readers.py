"""Reading import files row by row (CSV in UTF-8 with or without BOM, or GB18030; XLSX)."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from python_calamine import CalamineWorkbook

from sme_registry.bulk.columns import IMPORT_COLUMNS, REQUIRED_COLUMNS


class FileFormatError(ValueError):
    def __init__(self, detail: str, detail_zh: str) -> None:
        super().__init__(detail)
        self.detail, self.detail_zh = detail, detail_zh


def _check_header(header: list[str]) -> list[str]:
    names = [str(h).strip().lower() for h in header]
    missing = [c for c in REQUIRED_COLUMNS if c not in names]
    if missing:
        raise FileFormatError(
            f"header lacks the columns {', '.join(missing)}", f"表头缺少列：{', '.join(missing)}"
        )
    unknown = [n for n in names if n and n not in IMPORT_COLUMNS]
    if unknown:
        raise FileFormatError(
            f"unknown columns: {', '.join(unknown)}", f"无法识别的列：{', '.join(unknown)}"
        )
    return names


def _encoding(path: Path) -> str:
    with path.open("rb") as handle:
        sample = handle.read(1 << 16)
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A multi-byte character cut at the sample's end is still UTF-8.
        if exc.start < len(sample) - 4:
            return "gb18030"
    return "utf-8-sig"


def read_csv(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """(row number as a spreadsheet shows it, values by column)."""
    with path.open(encoding=_encoding(path), newline="") as handle:
        reader = csv.reader(handle)
        try:
            header = _check_header(next(reader))
        except StopIteration:
            raise FileFormatError("the file is empty", "文件为空") from None
        for number, cells in enumerate(reader, start=2):
            if not any(c.strip() for c in cells):
                continue
            yield number, dict(zip(header, cells, strict=False))


def read_xlsx(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    try:
        workbook = CalamineWorkbook.from_path(str(path))
        sheet = workbook.get_sheet_by_index(0)
    except Exception as exc:
        raise FileFormatError(f"not a readable XLSX file: {exc}", "无法读取该 XLSX 文件") from exc
    rows = iter(sheet.iter_rows())
    try:
        header = _check_header([str(c) for c in next(rows)])
    except StopIteration:
        raise FileFormatError("the sheet is empty", "工作表为空") from None
    for number, cells in enumerate(rows, start=2):
        if number == 2 and cells and str(cells[0]).strip() == "统一社会信用代码":
            continue  # the template's Chinese title line
        if not any(str(c).strip() for c in cells):
            continue
        yield number, dict(zip(header, cells, strict=False))


def read_rows(path: Path, file_format: str) -> Iterator[tuple[int, dict[str, Any]]]:
    return read_xlsx(path) if file_format == "xlsx" else read_csv(path)


def count_rows(path: Path, file_format: str) -> int:
    if file_format == "xlsx":
        return sum(1 for _ in read_xlsx(path))
    with path.open("rb") as handle:
        return max(
            sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 20), b"")) - 1, 0
        )
