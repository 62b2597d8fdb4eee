"""Reading CSV files as spreadsheets really write them: encodings, delimiters, quoting, blank lines."""

from __future__ import annotations

import codecs

import pytest

from magnet.errors import MagnetError
from magnet.formats.spreadsheet import NotText, read_sheet

ROSTER = 'Name,Zone,Notes\r\nAnn Lee,B,"Has a generator, 5 kW"\r\nJosé Núñez,C,"two\r\nlines"\r\n'


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (ROSTER.encode("utf-8"), "utf-8"),
        (codecs.BOM_UTF8 + ROSTER.encode("utf-8"), "utf-8-sig"),
        (ROSTER.encode("utf-16"), "utf-16"),  # Excel's "Unicode text": BOM + UTF-16LE
        (ROSTER.encode("utf-16-le"), "utf-16-le"),  # no BOM at all
        (ROSTER.encode("utf-16-be"), "utf-16-be"),
        (ROSTER.encode("cp1252"), "cp1252"),  # Excel on Windows, "CSV (Comma delimited)"
    ],
)
def test_every_encoding_spreadsheets_write_reads_the_same(data: bytes, encoding: str) -> None:
    sheet = read_sheet(data, "roster.csv")
    assert sheet.encoding == encoding
    assert sheet.headers == ("Name", "Zone", "Notes")
    assert [r.cells for r in sheet.rows] == [
        ("Ann Lee", "B", "Has a generator, 5 kW"),
        ("José Núñez", "C", "two\r\nlines"),
    ]


def test_bytes_cp1252_leaves_undefined_fall_back_to_latin1() -> None:
    sheet = read_sheet(b"Name\r\nAnn\x81\r\n", "roster.csv")
    assert sheet.encoding == "latin-1"
    assert sheet.rows[0].cells == ("Ann\x81",)


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_the_delimiter_is_sniffed(delimiter: str) -> None:
    text = delimiter.join(["Name", "Zone", "Phone"]) + "\n"
    text += delimiter.join(["Ann, the elder", "B", "555-0101"]) + "\n" if delimiter != "," else ""
    text += delimiter.join(["Bob", "C", "555-0102"]) + "\n"
    sheet = read_sheet(text.encode(), "x.csv")
    assert sheet.delimiter == delimiter
    assert sheet.rows[-1].cells == ("Bob", "C", "555-0102")


def test_excel_sep_line_names_the_delimiter_and_keeps_line_numbers() -> None:
    sheet = read_sheet(b"sep=;\r\nName;Zone\r\nAnn;B\r\n", "x.csv")
    assert sheet.delimiter == ";"
    assert sheet.headers == ("Name", "Zone")
    assert sheet.rows[0].line == 3


def test_line_numbers_count_blank_lines_and_lines_inside_quotes() -> None:
    text = 'Name,Notes\n\nAnn,"one\ntwo\nthree"\n,\n  \nBob,x\n'
    sheet = read_sheet(text.encode(), "x.csv")
    assert [(r.line, r.cells[0]) for r in sheet.rows] == [(3, "Ann"), (8, "Bob")]


def test_leading_blank_lines_before_the_header_are_skipped() -> None:
    sheet = read_sheet(b"\n\n,,\nName,Zone\nAnn,B\n", "x.csv")
    assert sheet.headers == ("Name", "Zone")
    assert sheet.rows[0].line == 5


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"PK\x03\x04\x14\x00\x06\x00rest-of-a-zip", "workbook (.xlsx/.ods); save it as CSV"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "old Excel workbook"),
        (b"%PDF-1.7\n", "PDF"),
        (bytes(range(256)) * 4, "not a text file"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not a text file"),
    ],
)
def test_a_file_that_is_not_text_is_a_clear_error(data: bytes, expected: str) -> None:
    with pytest.raises(NotText, match=r"roster\.bin") as caught:
        read_sheet(data, "roster.bin")
    assert expected in str(caught.value)


def test_an_unclosed_quote_is_reported_with_its_line_not_swallowed() -> None:
    with pytest.raises(MagnetError, match=r"line 3: a quoted cell is never closed"):
        read_sheet(b'Name,Notes\nAnn,ok\nBob,"oops\nCarl,fine\n', "x.csv")


def test_a_giant_cell_is_reported_not_a_crash() -> None:
    with pytest.raises(MagnetError, match=r"line 2: a cell is longer than"):
        read_sheet(b"Name,Notes\nAnn," + b"x" * 200_000 + b"\n", "x.csv")


def test_an_empty_file_says_so() -> None:
    with pytest.raises(MagnetError, match="empty"):
        read_sheet(b"\n\n", "x.csv")
