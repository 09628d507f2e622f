"""Reading import files row by row (CSV in UTF-8 with or without BOM, or GB18030; XLSX)."""

from __future__ import annotations

import csv
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from python_calamine import CalamineWorkbook

from sme_registry.bulk.columns import IMPORT_COLUMNS, REQUIRED_COLUMNS

# A row the reader could not split into cells: the row number gets this error, the rest goes on.
UNREADABLE_ROW = "__unreadable__"


class FileFormatError(ValueError):
    """The file as a whole cannot be imported; ``code`` becomes the job's failure_code."""

    def __init__(self, detail: str, detail_zh: str, *, code: str = "file_unreadable") -> None:
        super().__init__(detail)
        self.code, self.detail, self.detail_zh = code, detail, detail_zh


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
            f"unknown columns: {', '.join(unknown)[:500]}",
            f"无法识别的列：{', '.join(unknown)[:500]}",
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
    """(row number as a spreadsheet shows it, values by column). A record the csv module refuses
    (a cell over its 131,072-character limit) is yielded as ``{UNREADABLE_ROW: reason}``."""
    encoding = _encoding(path)
    with path.open(encoding=encoding, newline="") as handle:
        reader = csv.reader(handle)
        try:
            header = _check_header(next(reader))
        except StopIteration:
            raise FileFormatError("the file is empty", "文件为空") from None
        except csv.Error as exc:
            raise FileFormatError(f"the header row cannot be read: {exc}", "无法读取表头") from None
        except UnicodeDecodeError:
            raise _not_text(encoding, 1) from None
        number = 1
        while True:
            number += 1
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                yield number, {UNREADABLE_ROW: str(exc)}
                continue
            except UnicodeDecodeError:
                raise _not_text(encoding, number) from None
            if not any(c.strip() for c in cells):
                continue
            yield number, dict(zip(header, cells, strict=False))


def _not_text(encoding: str, row: int) -> FileFormatError:
    return FileFormatError(
        f"row {row} is not valid {encoding} text; save the file as UTF-8 CSV",
        f"第 {row} 行不是有效的 {encoding} 文本，请另存为 UTF-8 编码的 CSV",
    )


def check_xlsx_size(path: Path, limit: int) -> None:
    """Refuse a workbook whose parts declare more than ``limit`` bytes uncompressed (a zip bomb),
    before anything is inflated."""
    try:
        with zipfile.ZipFile(path) as archive:
            declared = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise FileFormatError(
            "not a readable XLSX file (not a zip archive)", "无法读取该 XLSX 文件"
        ) from exc
    if declared > limit:
        raise FileFormatError(
            f"the workbook unpacks to {declared} bytes, more than the {limit} allowed",
            f"该工作簿解压后为 {declared} 字节，超过上限 {limit} 字节",
            code="file_too_large",
        )


def read_xlsx(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    try:
        workbook = CalamineWorkbook.from_path(str(path))
        sheet = workbook.get_sheet_by_index(0)
    except Exception as exc:
        # calamine's own errors (a broken workbook) are the file's fault, not ours.
        raise FileFormatError("not a readable XLSX file", "无法读取该 XLSX 文件") from exc
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
    return sum(1 for _ in read_rows(path, file_format))
