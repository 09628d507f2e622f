"""A streaming XLSX writer: a workbook produced as bytes, chunk by chunk, while its rows arrive.

Why not xlsxwriter: it spends ≈70 µs of CPU a row of twelve text cells, this writer ≈8 (a list
snapshot of 150,000 enterprises took 12 s, docs/benchmarks.md "Finance matching: list push"),
and it needs a temporary file that is streamed only once the workbook is closed. A workbook of
plain cells needs only five small parts and one worksheet part a sheet; a worksheet is written
row by row into a ZIP entry (``zipfile`` on an unseekable sink, which writes data descriptors),
so memory stays that of one chunk of rows whatever the number of rows.

What a cell holds (ECMA-376 Part 1, §18.3.1.4 ``c``, §18.3.1.53 ``is``):

- ``str``: an inline string (``t="inlineStr"``: no shared-string table, which would have to be
  kept whole in memory), XML-escaped. Characters XML 1.0 does not allow (C0 controls other than
  TAB, LF and CR, U+FFFE, U+FFFF, lone surrogates) are removed: Excel refuses a file that holds
  them; a CR is written as a character reference (a reader turns a raw one into LF). Text that
  reads as Excel's own ``_xHHHH_`` escape gets its underscore escaped (``_x005F_``), so Excel
  shows it as written (openpyxl, which does not undo that escape, reads ``_x005F_x…``). Text
  longer than Excel's 32,767 characters a cell is cut there. An empty string is an empty cell.
  Text is never read as a formula: an inline string is not evaluated.
- ``bool``: a boolean cell; ``int``, ``float``, ``Decimal``: a number (finite only);
- ``date``, naive ``datetime``: a date serial with a ``yyyy-mm-dd`` (``yyyy-mm-dd hh:mm:ss``)
  number format, on the 1900 date system (1900-01-01 onwards);
- ``None``: an empty cell.

Limits: 1,048,576 rows and 16,384 columns a sheet (Excel's), 31 characters a sheet name (and
none of ``[]:*?/\\``); a worksheet part stays under 2 GiB of XML (its ZIP entry is started
without ZIP64, its size unknown; ``zipfile`` raises beyond).
"""

from __future__ import annotations

import math
import re
import zipfile
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import IO, Any

MAX_ROWS = 1_048_576
MAX_COLUMNS = 16_384
MAX_TEXT = 32_767
_SHEET_NAME_REFUSED = re.compile(r"[\[\]:*?/\\]")
# What XML 1.0 refuses in text (§2.2 Char): C0 controls but TAB, LF and CR, lone surrogates,
# U+FFFE and U+FFFF.
_REFUSED = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_XML_SPACE = " \t\n\r"
_PRESERVE = ' xml:space="preserve"'
_SHORT = MAX_TEXT // 2  # at most 32,766 UTF-16 units whatever the characters
# Excel reads _xHHHH_ in any text as an escaped character (ECMA-376 Part 1, §22.9.2.19 ST_Xstring).
_EXCEL_ESCAPE = re.compile(r"_(x[0-9A-Fa-f]{4}_)")
_EPOCH = date(1899, 12, 30)
_LEAP_BUG_FROM = date(1900, 3, 1)
_FIRST_DATE = date(1900, 1, 1)
_DATE_STYLE = 1
_DATETIME_STYLE = 2

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType='
    '"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/styles.xml" ContentType='
    '"application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
    "{sheets}</Types>"
)
_SHEET_CONTENT_TYPE = (
    '<Override PartName="/xl/worksheets/sheet{n}.xml" ContentType='
    '"application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
)
_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    "<sheets>{sheets}</sheets></workbook>"
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    "{sheets}"
    '<Relationship Id="rIdStyles" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/styles" Target="styles.xml"/></Relationships>'
)
_SHEET_REL = (
    '<Relationship Id="rId{n}" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/worksheet" Target="worksheets/sheet{n}.xml"/>'
)
# The minimum Excel accepts (one font, the two required fills, one border), and the two date
# formats; cellXfs 0 is the default, 1 a date, 2 a date and time.
_STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<numFmts count="2"><numFmt numFmtId="164" formatCode="yyyy\\-mm\\-dd"/>'
    '<numFmt numFmtId="165" formatCode="yyyy\\-mm\\-dd\\ hh:mm:ss"/></numFmts>'
    '<fonts count="1"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    "</cellXfs>"
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)
_SHEET_HEAD = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    b"<sheetData>"
)
_SHEET_TAIL = b"</sheetData></worksheet>"


def _attribute(value: str) -> str:
    return (
        value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    )


def _column_letters(count: int) -> list[str]:
    letters = []
    for number in range(1, count + 1):
        name = ""
        while number:
            number, rest = divmod(number - 1, 26)
            name = chr(65 + rest) + name
        letters.append(name)
    return letters


def _text(value: str) -> str | None:
    """An inline string's ``<is>`` element, the value cleaned, cut and escaped; None for a value
    that cleaning leaves empty (an empty cell)."""
    if _REFUSED.search(value):
        value = _REFUSED.sub("", value)
        if not value:
            return None
    if len(value) > _SHORT:
        # Excel counts UTF-16 units; a character outside the BMP is two of them.
        units = value.encode("utf-16-le")
        if len(units) > 2 * MAX_TEXT:
            value = units[: 2 * MAX_TEXT].decode("utf-16-le", "ignore")
    value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    preserve = _PRESERVE if value.strip(_XML_SPACE) != value else ""
    # A reader turns a raw CR into LF (XML 1.0 §2.11); a character reference stays CR.
    value = value.replace("\r", "&#13;")
    if "_x" in value:
        value = _EXCEL_ESCAPE.sub(r"_x005F_\1", value)
    return f"<is><t{preserve}>{value}</t></is>"


def _number(value: float | Decimal) -> str:
    if not math.isfinite(value):
        raise ValueError(f"an XLSX number is finite, not {value}")
    return repr(value) if isinstance(value, float) else str(value)


def _serial(value: date) -> str:
    day = value.date() if isinstance(value, datetime) else value
    if day < _FIRST_DATE:
        raise ValueError(f"an XLSX date is on or after 1900-01-01, not {value.isoformat()}")
    serial: float = (day - _EPOCH).days
    if day < _LEAP_BUG_FROM:
        serial -= 1  # Excel's 1900 date system counts a 29 February 1900 that never was.
    if not isinstance(value, datetime):
        return str(serial)
    if value.tzinfo is not None:
        raise ValueError("an XLSX date and time has no time zone: convert it first")
    seconds = value.hour * 3600 + value.minute * 60 + value.second + value.microsecond / 1e6
    return repr(serial + seconds / 86_400)


class _Sink:
    """The unseekable file ``zipfile`` writes into; what it holds is taken after every step."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []

    def write(self, data: bytes) -> int:
        self._parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        return None

    def close(self) -> None:
        return None

    def take(self) -> bytes:
        data = b"".join(self._parts)
        self._parts.clear()
        return data


class XlsxStream:
    """One workbook, written in order: ``sheet(name)`` starts the next sheet (its name among
    ``sheet_names``, in their order), ``rows(values)`` appends rows to it, ``close()`` ends the
    workbook. Each call returns the bytes of the file produced so far (possibly none).

    ``compresslevel`` is zlib's: 1 deflates a snapshot's worksheet ≈4× faster than the default 6
    for a file ≈15 % larger."""

    def __init__(self, sheet_names: Sequence[str], *, compresslevel: int = 1) -> None:
        seen: set[str] = set()
        for name in sheet_names:
            if not name or len(name) > 31 or _SHEET_NAME_REFUSED.search(name):
                raise ValueError(f"not a worksheet name: {name!r}")
            if name.casefold() in seen:
                raise ValueError(f"worksheet name used twice: {name!r}")
            seen.add(name.casefold())
        if not sheet_names:
            raise ValueError("a workbook has at least one worksheet")
        self._names = list(sheet_names)
        self._sink = _Sink()
        self._zip = zipfile.ZipFile(
            self._sink, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=compresslevel
        )
        self._entry: IO[bytes] | None = None
        self._sheets_started = 0
        self._row = 0
        self._letters: list[str] = []
        self._closed = False
        self._package()

    def __enter__(self) -> XlsxStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.discard()

    def discard(self) -> None:
        """Drop a workbook left unfinished (the reader went away, a value was refused): its
        parts are closed and nothing more is produced. Nothing happens after ``close()``."""
        if self._closed:
            return
        self._closed = True
        if self._entry is not None:
            self._entry.close()
            self._entry = None
        self._zip.close()
        self._sink.take()

    def _package(self) -> None:
        numbers = range(1, len(self._names) + 1)
        self._put(
            "[Content_Types].xml",
            _CONTENT_TYPES.format(sheets="".join(_SHEET_CONTENT_TYPE.format(n=n) for n in numbers)),
        )
        self._put("_rels/.rels", _ROOT_RELS)
        self._put(
            "xl/workbook.xml",
            _WORKBOOK.format(
                sheets="".join(
                    f'<sheet name="{_attribute(name)}" sheetId="{n}" r:id="rId{n}"/>'
                    for n, name in zip(numbers, self._names, strict=True)
                )
            ),
        )
        self._put(
            "xl/_rels/workbook.xml.rels",
            _WORKBOOK_RELS.format(sheets="".join(_SHEET_REL.format(n=n) for n in numbers)),
        )
        self._put("xl/styles.xml", _STYLES)

    def _put(self, name: str, text: str) -> None:
        self._zip.writestr(name, text.encode())

    def _end_sheet(self) -> None:
        if self._entry is not None:
            self._entry.write(_SHEET_TAIL)
            self._entry.close()
            self._entry = None

    def sheet(self, name: str) -> bytes:
        """End the current worksheet and start ``name``, the next one."""
        if self._closed or self._sheets_started >= len(self._names):
            raise ValueError(f"no worksheet {name!r} left to write")
        expected = self._names[self._sheets_started]
        if name != expected:
            raise ValueError(f"the next worksheet is {expected!r}, not {name!r}")
        self._end_sheet()
        self._sheets_started += 1
        self._row = 0
        self._entry = self._zip.open(f"xl/worksheets/sheet{self._sheets_started}.xml", "w")
        self._entry.write(_SHEET_HEAD)
        return self._sink.take()

    def rows(self, rows: Iterable[Sequence[Any]]) -> bytes:
        """Append ``rows`` (each a sequence of cell values, from column A) to the current sheet."""
        if self._entry is None:
            raise ValueError("start a worksheet before writing rows")
        rows = rows if isinstance(rows, list) else list(rows)
        if not rows:
            return b""
        first = self._row + 1
        if self._row + len(rows) > MAX_ROWS:
            raise ValueError(f"a worksheet holds at most {MAX_ROWS:,} rows")
        widest = max(map(len, rows))
        if widest > len(self._letters):
            if widest > MAX_COLUMNS:
                raise ValueError(f"a worksheet holds at most {MAX_COLUMNS:,} columns")
            self._letters = _column_letters(widest)
        self._entry.write(self._xml(rows, first).encode())
        self._row += len(rows)
        return self._sink.take()

    def _xml(self, rows: list[Sequence[Any]], first: int) -> str:
        # The inner loop of a large export (a list snapshot: 150,000 rows of twelve cells): text
        # that needs nothing but escaping, the usual case, is written here; the rest by _text.
        parts: list[str] = []
        append = parts.append
        letters = self._letters
        for number, values in enumerate(rows, start=first):
            append(f'<row r="{number}">')
            for letter, value in zip(letters, values, strict=False):
                kind = type(value)
                if kind is str:
                    if not value:
                        continue
                    if (
                        value.isprintable()  # no control, format, unassigned or surrogate code
                        and "_x" not in value
                        and value.strip(" ") == value
                        and len(value) <= _SHORT
                    ):
                        if "&" in value or "<" in value or ">" in value:
                            value = (
                                value.replace("&", "&amp;")
                                .replace("<", "&lt;")
                                .replace(">", "&gt;")
                            )
                        append(f'<c r="{letter}{number}" t="inlineStr"><is><t>{value}</t></is></c>')
                    elif (text := _text(value)) is not None:
                        append(f'<c r="{letter}{number}" t="inlineStr">{text}</c>')
                elif value is None:
                    continue
                elif kind is bool:
                    append(f'<c r="{letter}{number}" t="b"><v>{int(value)}</v></c>')
                elif kind is int:
                    append(f'<c r="{letter}{number}"><v>{value}</v></c>')
                elif isinstance(value, float | Decimal):
                    append(f'<c r="{letter}{number}"><v>{_number(value)}</v></c>')
                elif isinstance(value, date):
                    style = _DATETIME_STYLE if isinstance(value, datetime) else _DATE_STYLE
                    append(f'<c r="{letter}{number}" s="{style}"><v>{_serial(value)}</v></c>')
                elif isinstance(value, str):  # a StrEnum
                    if value and (text := _text(str(value))) is not None:
                        append(f'<c r="{letter}{number}" t="inlineStr">{text}</c>')
                elif isinstance(value, int):  # an IntEnum
                    append(f'<c r="{letter}{number}"><v>{int(value)}</v></c>')
                else:
                    raise TypeError(f"no XLSX cell for a {kind.__name__}")
            append("</row>")
        return "".join(parts)

    def close(self) -> bytes:
        """End the last worksheet and the workbook (worksheets never started are written empty)."""
        if self._closed:
            return b""
        started = [
            self.sheet(self._names[n]) for n in range(self._sheets_started, len(self._names))
        ]
        self._end_sheet()
        self._zip.close()
        self._closed = True
        return b"".join(started) + self._sink.take()
