"""The streaming XLSX writer: what a spreadsheet reads back is what was written (text cleaned of
what XML refuses), the file is a valid package, and it comes out chunk by chunk."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from enum import IntEnum, StrEnum
from typing import Any
from xml.etree import ElementTree

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sme_common.xlsx import MAX_COLUMNS, MAX_TEXT, XlsxStream

MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"


def workbook(sheets: dict[str, Sequence[Sequence[Any]]]) -> bytes:
    book = XlsxStream(list(sheets))
    out = b""
    for name, rows in sheets.items():
        out += book.sheet(name) + book.rows(rows)
    return out + book.close()


def read(data: bytes) -> dict[str, list[tuple[Any, ...]]]:
    book = openpyxl.load_workbook(io.BytesIO(data))
    return {sheet.title: list(sheet.iter_rows(values_only=True)) for sheet in book.worksheets}


def excel_text(xml_text: str) -> str:
    """What Excel shows for a cell's text: it undoes the _xHHHH_ escape (openpyxl does not)."""
    return re.sub(r"_x([0-9A-Fa-f]{4})_", lambda m: chr(int(m.group(1), 16)), xml_text)


def part(data: bytes, name: str) -> ElementTree.Element:
    """One part of the package, parsed (the writer's own output, not untrusted input)."""
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        return ElementTree.fromstring(package.read(name))  # noqa: S314


def sheet_texts(data: bytes) -> list[str]:
    """The text of every inline string of the first worksheet, as the XML holds it."""
    return [t.text or "" for t in part(data, "xl/worksheets/sheet1.xml").iter(f"{MAIN}t")]


class Tier(StrEnum):
    SPECIALISED = "specialised"


class Count(IntEnum):
    THREE = 3


def test_cells_read_back_as_written_text_numbers_dates_and_gaps() -> None:
    rows = [
        ("uscc", "名称", "金额", "比率", "日期", "时间", "有效", "备注"),
        ("91620102MA00000001", "兰州示例（集团）有限公司", 30_000_000, 0.035, date(2026, 1, 10),
         datetime(2026, 11, 26, 8, 30, 15), True, None),
        ("91620102MA00000002", None, -5, Decimal("12.50"), None, None, False, "末列"),
        (Tier.SPECIALISED, "", Count.THREE, 1e-7, date(1900, 1, 1), date(1900, 3, 1)),
        (),
        (None, None, "only the third"),
    ]  # fmt: skip
    got = read(workbook({"enterprises": rows}))["enterprises"]
    assert got[0] == rows[0]
    assert got[1] == (
        "91620102MA00000001",
        "兰州示例（集团）有限公司",
        30_000_000,
        0.035,
        datetime(2026, 1, 10),
        datetime(2026, 11, 26, 8, 30, 15),
        True,
        None,
    )
    assert got[2] == ("91620102MA00000002", None, -5, 12.5, None, None, False, "末列")
    assert got[3][:4] == ("specialised", None, 3, 1e-7)
    # Excel's 1900 date system: 1 January 1900 is day 1, 1 March 1900 day 61 (it counts a
    # 29 February 1900).
    assert got[3][4:6] == (datetime(1900, 1, 1), datetime(1900, 3, 1))
    assert all(value is None for value in got[4])
    assert got[5][:3] == (None, None, "only the third")


def test_text_is_escaped_and_what_xml_refuses_is_removed() -> None:
    values = [
        "A&B <b>粗体</b> \"引号\" '单引号'",
        "兰州\x00示例\x01\x08\x0b\x0c\x1f有限公司",
        "non\ufffecharacters\uffff and a lone \ud800surrogate",
        "  leading and trailing blanks  ",
        "line one\nline two\ttabbed\r\n",
        "=SUM(A1:A9)",
        "🐉 outside the BMP",
        "\x01\x02",
        "end",
    ]
    data = workbook({"text": [values]})
    assert read(data)["text"] == [
        (
            "A&B <b>粗体</b> \"引号\" '单引号'",
            "兰州示例有限公司",
            "noncharacters and a lone surrogate",
            "  leading and trailing blanks  ",
            "line one\nline two\ttabbed\r\n",
            "=SUM(A1:A9)",  # an inline string is text, never a formula
            "🐉 outside the BMP",
            None,  # nothing left: an empty cell
            "end",
        )
    ]
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        xml = package.read("xl/worksheets/sheet1.xml").decode()
    assert "A&amp;B &lt;b&gt;" in xml and "<f>" not in xml
    assert '<t xml:space="preserve">  leading' in xml


def test_text_that_reads_as_excels_escape_shows_as_written() -> None:
    values = ["_x0041_", "a_x00e9_b_X0041_", "_x004", "_x_"]
    data = workbook({"text": [values]})
    assert [excel_text(t) for t in sheet_texts(data)] == values
    assert sheet_texts(data)[0] == "_x005F_x0041_"


def test_text_longer_than_a_cell_holds_is_cut_at_excels_limit() -> None:
    data = workbook({"text": [("a" * (MAX_TEXT + 10), "字" * (MAX_TEXT - 1), "🐉" * MAX_TEXT)]})
    long_ascii, long_cjk, astral = read(data)["text"][0]
    assert long_ascii == "a" * MAX_TEXT
    assert long_cjk == "字" * (MAX_TEXT - 1)
    assert astral == "🐉" * (MAX_TEXT // 2)  # two UTF-16 units each


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.one_of(st.none(), st.text(max_size=40)), max_size=6), max_size=8))
def test_any_text_reads_back_without_the_characters_xml_refuses(
    rows: list[list[str | None]],
) -> None:
    refused = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
    data = workbook({"sheet": rows})
    got: dict[str, str] = {}
    for cell in part(data, "xl/worksheets/sheet1.xml").iter(f"{MAIN}c"):
        got[cell.attrib["r"]] = excel_text("".join(t.text or "" for t in cell.iter(f"{MAIN}t")))
    expected = {
        f"{chr(65 + column)}{number}": refused.sub("", value)
        for number, row in enumerate(rows, start=1)
        for column, value in enumerate(row)
        if value and refused.sub("", value)
    }
    # An empty text is an empty cell, and so is a text the cleaning empties.
    assert got == expected


def test_the_package_is_valid_and_its_sheets_are_in_order() -> None:
    data = workbook({"enterprises": [("a",)], "products": [], "manifest": [("m", "s")]})
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        assert package.testzip() is None
        names = package.namelist()
    for name in names:
        part(data, name)  # every part is well-formed XML
    assert names[:5] == [
        "[Content_Types].xml",
        "_rels/.rels",
        "xl/workbook.xml",
        "xl/_rels/workbook.xml.rels",
        "xl/styles.xml",
    ]
    assert read(data) == {"enterprises": [("a",)], "products": [], "manifest": [("m", "s")]}


def test_sheets_never_started_are_written_empty() -> None:
    book = XlsxStream(["first", "second"])
    data = book.sheet("first") + book.rows([("x",)]) + book.close()
    assert read(data) == {"first": [("x",)], "second": []}


def test_the_file_comes_out_while_rows_arrive_not_at_the_end() -> None:
    book = XlsxStream(["rows"])
    parts = [book.sheet("rows")]
    for chunk in range(20):
        rows = [(f"{chunk:02d}-{n:05d}", f"兰州企业{n * 7919 % 100_003}", n) for n in range(1000)]
        parts.append(book.rows(rows))
    parts.append(book.close())
    sizes = [len(p) for p in parts]
    assert sum(1 for size in sizes[1:-1] if size) >= 15  # bytes after most chunks
    assert max(sizes) < 3 * sum(sizes) / len(sizes)  # no chunk holds the rest of the file
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(parts)), read_only=True)["rows"]
    got = list(sheet.iter_rows(values_only=True))
    assert len(got) == 20_000 and got[-1] == ("19-00999", f"兰州企业{999 * 7919 % 100_003}", 999)


@pytest.mark.parametrize(
    "names", [[], [""], ["a" * 32], ["a/b"], ["a[1]"], ["sheet", "SHEET"], ["what?"]]
)
def test_a_sheet_name_excel_refuses_is_refused(names: list[str]) -> None:
    with pytest.raises(ValueError):
        XlsxStream(names)


def test_sheets_are_written_in_the_order_named() -> None:
    book = XlsxStream(["first", "second"])
    with pytest.raises(ValueError, match="start a worksheet"):
        book.rows([("x",)])
    with pytest.raises(ValueError, match="next worksheet is 'first'"):
        book.sheet("second")


@pytest.mark.parametrize("value", [float("nan"), float("inf"), Decimal("NaN")])
def test_a_number_excel_cannot_hold_is_refused(value: float | Decimal) -> None:
    book = XlsxStream(["s"])
    book.sheet("s")
    with pytest.raises(ValueError, match="finite"):
        book.rows([(value,)])


@pytest.mark.parametrize(
    ("value", "error"),
    [
        (date(1899, 12, 31), ValueError),
        (datetime(2026, 1, 1, tzinfo=datetime.now().astimezone().tzinfo), ValueError),
        (object(), TypeError),
        (b"bytes", TypeError),
    ],
)
def test_a_value_without_an_xlsx_cell_is_refused(value: object, error: type[Exception]) -> None:
    book = XlsxStream(["s"])
    book.sheet("s")
    with pytest.raises(error):
        book.rows([(value,)])


def test_a_row_wider_than_a_worksheet_is_refused() -> None:
    book = XlsxStream(["s"])
    book.sheet("s")
    book.rows([["x"] * MAX_COLUMNS])
    with pytest.raises(ValueError, match="columns"):
        book.rows([["x"] * (MAX_COLUMNS + 1)])


def test_a_workbook_left_half_way_is_discarded_and_produces_nothing_more() -> None:
    with pytest.raises(TypeError), XlsxStream(["s", "t"]) as book:
        book.sheet("s")
        book.rows([("written",)])
        book.rows([(object(),)])  # a reader gone, a value refused: the with block ends it
    assert book.close() == b""
    with pytest.raises(ValueError, match="no worksheet"):
        book.sheet("t")
