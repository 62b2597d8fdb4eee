"""Reading a spreadsheet saved as CSV: whatever encoding and delimiter the program chose.

Excel writes UTF-8 with a BOM, UTF-16 ("Unicode text", tab separated), or the Windows code
page; European locales use semicolons; LibreOffice asks. People never know which they picked,
so magnet works it out from the bytes and keeps the line number of every row for error reports.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from dataclasses import dataclass

from magnet.errors import MagnetError

DELIMITERS = (",", ";", "\t", "|")
_SNIFF_LINES = 50
# Signatures of files people pick by mistake, with what to do instead.
_NOT_CSV = (
    (b"PK\x03\x04", "a spreadsheet workbook (.xlsx/.ods); save it as CSV first (File > Save as > CSV)"),
    (b"\xd0\xcf\x11\xe0", "an old Excel workbook (.xls); save it as CSV first (File > Save as > CSV)"),
    (b"%PDF", "a PDF document, not a spreadsheet"),
)


class NotText(MagnetError):
    """The file is not a text spreadsheet at all."""


@dataclass(frozen=True)
class SheetRow:
    """One data row and the line of the file it starts on (quoted cells may span lines)."""

    line: int
    cells: tuple[str, ...]


@dataclass(frozen=True)
class Sheet:
    """A CSV file as a header row and data rows, blank lines left out."""

    headers: tuple[str, ...]
    rows: tuple[SheetRow, ...]
    encoding: str
    delimiter: str


def decode_text(data: bytes, name: str) -> tuple[str, str]:
    """The file's text and the encoding it was in; refuses what is not text."""
    for signature, what in _NOT_CSV:
        if data.startswith(signature):
            raise NotText(f"{name} is {what}")
    if data.startswith(codecs.BOM_UTF8):
        return _decode(data[3:], "utf-8", name), "utf-8-sig"
    if data.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return _decode(data, "utf-32", name), "utf-32"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _decode(data, "utf-16", name), "utf-16"
    guessed = _utf16_without_bom(data)
    if guessed:
        return _decode(data, guessed, name), guessed
    if b"\x00" in data:
        raise NotText(f"{name} is not a text file (it holds binary data); save the spreadsheet as CSV")
    try:
        return _check_text(data.decode("utf-8"), name), "utf-8"
    except UnicodeDecodeError:
        _refuse_mixed(data, name)
    try:
        return _check_text(data.decode("cp1252"), name), "cp1252"
    except UnicodeDecodeError:
        # cp1252 leaves five bytes undefined; latin-1 maps every byte, so this always succeeds.
        return _check_text(data.decode("latin-1"), name), "latin-1"


def _refuse_mixed(data: bytes, name: str) -> None:
    """Lines in UTF-8 beside lines that are not: refused, never turned into mojibake.

    A file pasted together from two programs (one row typed on an old Windows laptop) is not one
    encoding; read as Windows-1252 every accent in the UTF-8 lines would become 'Ã©'. A UTF-8
    character never holds a newline byte, so the file can be judged line by line.
    """
    utf8: list[int] = []
    other: list[int] = []
    for number, line in enumerate(data.split(b"\n"), 1):
        if line.isascii():
            continue
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            other.append(number)
        else:
            utf8.append(number)
    if not utf8:
        return
    fewer, more, what = (other, utf8, "not UTF-8") if len(other) <= len(utf8) else (utf8, other, "UTF-8")
    shown = ", ".join(map(str, fewer[:12])) + (" ..." if len(fewer) > 12 else "")
    lines = f"lines {shown} are" if len(fewer) > 1 else f"line {shown} is"
    raise NotText(
        f"{name} mixes text encodings: {lines} {what}, unlike "
        f"{len(more)} other line{'s' if len(more) > 1 else ''}; nothing was imported. Open it in a spreadsheet "
        "and save it again as CSV UTF-8, or fix those lines"
    )


def _decode(data: bytes, encoding: str, name: str) -> str:
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError:
        raise NotText(f"{name} claims to be {encoding} text but is not; save the spreadsheet as CSV again") from None
    return _check_text(text.lstrip("\ufeff"), name)


def _utf16_without_bom(data: bytes) -> str | None:
    """UTF-16 without a BOM shows as a zero byte beside nearly every ASCII character."""
    sample = data[:4000]
    if len(sample) < 4 or len(sample) % 2:
        return None
    even, odd = sample[0::2], sample[1::2]
    half = len(sample) // 2
    if odd.count(0) > 0.4 * half and even.count(0) < 0.05 * half:
        return "utf-16-le"
    if even.count(0) > 0.4 * half and odd.count(0) < 0.05 * half:
        return "utf-16-be"
    return None


def _check_text(text: str, name: str) -> str:
    controls = sum(1 for ch in text[:20000] if ord(ch) < 32 and ch not in "\t\n\r\f")
    if controls > max(2, len(text[:20000]) // 100):
        raise NotText(f"{name} is not a text file (it holds binary data); save the spreadsheet as CSV")
    return text


def sniff_delimiter(text: str) -> str:
    """The delimiter that splits the first lines into the most, and most consistent, columns."""
    lines = [line for line in text.splitlines()[:_SNIFF_LINES] if line.strip()]
    if not lines:
        return ","
    best, best_score = ",", (0.0, 0)
    sample = "\n".join(lines)
    for delimiter in DELIMITERS:
        try:
            rows = [row for row in csv.reader(io.StringIO(sample), delimiter=delimiter) if row]
        except csv.Error:
            continue
        width = len(rows[0]) if rows else 0
        if width < 2:
            continue
        consistent = sum(1 for row in rows if len(row) == width) / len(rows)
        score = (consistent, width)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def read_sheet(data: bytes, name: str) -> Sheet:
    """Header and rows of a CSV file; blank rows are skipped, short rows padded."""
    text, encoding = decode_text(data, name)
    offset = 0
    # Excel's "sep=;" first line names the delimiter outright.
    first_line = re.match(r"\s*sep=(.)\s*?\r?\n", text[:10])
    if first_line:
        delimiter = first_line.group(1)
        offset = 1
        text = text[first_line.end() :]
    else:
        delimiter = sniff_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    headers: tuple[str, ...] | None = None
    rows: list[SheetRow] = []
    last_line = 0
    try:
        for raw in reader:
            line = last_line + 1 + offset
            last_line = reader.line_num
            cells = tuple(cell.strip() for cell in raw)
            if not any(cells):
                continue
            if headers is None:
                headers = cells
                continue
            rows.append(SheetRow(line, cells))
    except csv.Error as exc:
        at = reader.line_num + offset
        if "end of data" in str(exc):
            raise MagnetError(f"{name}: line {last_line + 1 + offset}: a quoted cell is never closed") from None
        if "field limit" in str(exc):
            limit = csv.field_size_limit()
            raise MagnetError(f"{name}: line {at}: a cell is longer than {limit:,} characters") from None
        raise MagnetError(f"{name}: line {at}: the quoting is broken ({exc})") from None
    if headers is None:
        raise MagnetError(f"{name} is empty: it has no header row")
    return Sheet(headers, tuple(rows), encoding, delimiter)
