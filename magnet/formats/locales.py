"""Numbers and dates as spreadsheets in other locales write them, decided per column and per file.

`24,5` in a German sheet is twenty-four and a half, `1,250` in an American one twelve hundred and
fifty; `6/18/2026` is month first and `18/06/2026` day first. A single cell often cannot tell, but
a column nearly always can: one cell that reads only one way settles every other cell of that
column. A column with no such cell takes what the file's other columns settled, then what the file
itself says (a semicolon-separated file comes from a decimal-comma locale). What is still open is
refused with the line, the column and both readings, never guessed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from magnet.errors import ValidationError

DAY_FIRST = "day first"
MONTH_FIRST = "month first"
DECIMAL_POINT = "decimal point"
DECIMAL_COMMA = "decimal comma"

# d/m/y, d.m.y or d-m-y (or the other way round), with a 2- or 4-digit year and maybe a time after it.
_DMY = re.compile(r"(\d{1,2})([/.\-])(\d{1,2})\2(\d{4}|\d{2})((?:[ T].*)?)", re.S)
# Spaces, no-break spaces and apostrophes between digit groups: '1 234,5', "1'234.5".
_GROUP_SPACE = re.compile(r"(?<=\d)[ \u00a0\u202f\u2009'’](?=\d{3}(?:\D|$))")
_POINT = re.compile(r"([+-]?)(\d{1,3}(?:,\d{3})+|\d*)(\.\d+)?")
_COMMA = re.compile(r"([+-]?)(\d{1,3}(?:\.\d{3})+|\d*)(,\d+)?")
_NUMBER_AND_REST = re.compile(r"([+-]?[\d.,'’ \u00a0\u202f\u2009]*\d)(.*)", re.S)
_MONTHS = ("", "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def full_year(year: str) -> int:
    """Two-digit years as Excel and LibreOffice read them: 30-99 are 1930-1999, 00-29 are 2000-2029."""
    value = int(year)
    if len(year) == 4:
        return value
    return value + (1900 if value >= 30 else 2000)


def _real(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def date_readings(text: str) -> dict[str, date | None] | None:
    """Both readings of a d/m/y-shaped cell (None where not a real date), or None for other shapes."""
    m = _DMY.fullmatch(text.strip())
    if m is None:
        return None
    first, second, year = int(m[1]), int(m[3]), full_year(m[4])
    return {DAY_FIRST: _real(year, second, first), MONTH_FIRST: _real(year, first, second)}


def number_readings(text: str) -> dict[str, float | None] | None:
    """Both readings of a number cell ('1,250' -> 1250 or 1.25), or None when it is not a number."""
    cleaned = _GROUP_SPACE.sub("", text.strip())
    if not re.search(r"\d", cleaned) or not re.fullmatch(r"[+-]?[\d.,]+", cleaned):
        return None
    found: dict[str, float | None] = {}
    for convention, pattern, group, point in ((DECIMAL_POINT, _POINT, ",", "."), (DECIMAL_COMMA, _COMMA, ".", ",")):
        m = pattern.fullmatch(cleaned)
        if m is None or not (m[2] or m[3]):
            found[convention] = None
            continue
        whole = (m[2] or "0").replace(group, "")
        fraction = (m[3] or "").replace(point, ".")
        found[convention] = float(f"{m[1]}{whole}{fraction}")
    if not any(v is not None for v in found.values()):
        return None
    return found


def split_number(text: str) -> tuple[str, str]:
    """'24,5 kg' -> ('24,5', 'kg'): the number at the start of a cell and what follows it."""
    m = _NUMBER_AND_REST.fullmatch(text.strip())
    if m is None:
        return text.strip(), ""
    return m[1].strip(), m[2].strip()


def _spell(value: date) -> str:
    return f"{value.day} {_MONTHS[value.month]} {value.year}"


def _plain(value: float) -> str:
    return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)


@dataclass(frozen=True)
class Settled:
    """What one column was read as, and what settled it (for the summary)."""

    header: str
    reading: str  # DAY_FIRST, MONTH_FIRST, DECIMAL_POINT, DECIMAL_COMMA, or "" when nothing settled it
    because: str  # "'18/06/2026' on line 3", "the file's other columns", "the semicolon separator"
    ambiguous: int  # cells that needed the decision

    def describe(self) -> str:
        what = "dates" if self.reading in (DAY_FIRST, MONTH_FIRST, "") else "numbers"
        if not self.reading:
            return f"Column {self.header!r}: nothing settles the {what}' order; its ambiguous cells are listed"
        how = {DAY_FIRST: "day first", MONTH_FIRST: "month first"}.get(self.reading, f"with a {self.reading}")
        return f"Column {self.header!r}: {what} read {how} ({self.because} settles it)."


@dataclass
class _Evidence:
    counts: dict[str, int]
    first: dict[str, str]
    ambiguous: int = 0

    def settled(self) -> str | None:
        seen = [reading for reading, count in self.counts.items() if count]
        return seen[0] if len(seen) == 1 else None

    @property
    def mixed(self) -> bool:
        return sum(1 for count in self.counts.values() if count) > 1


def _weigh(
    first: str,
    second: str,
    cells: Iterable[tuple[int, str, object]],
    readings_of: Callable[[str], Mapping[str, object] | None],
    only: Callable[[str], str | None] = lambda text: None,
) -> _Evidence:
    """Count one column's cells that read only one way (or that `only` settles), and the ambiguous ones.

    A cell whose value at the export (`base`) is one of its readings reads that way.
    """
    evidence = _Evidence({first: 0, second: 0}, {})
    for line, text, base in cells:
        readings = readings_of(text)
        if readings is None:
            continue
        one, other = readings[first], readings[second]
        if one == other:
            continue  # 5/5/2026 or 12, or not a value at all: no decision needed
        valid = [r for r, v in readings.items() if v is not None]
        if len(valid) == 2 and base is not None and base in (one, other):
            valid = [first if one == base else second]
        elif len(valid) == 2 and (forced := only(text)) is not None:
            valid = [forced]
        if len(valid) == 2:
            evidence.ambiguous += 1
        elif valid:
            evidence.counts[valid[0]] += 1
            evidence.first.setdefault(valid[0], f"{text.strip()!r} on line {line}")
    return evidence


def _dotted(text: str) -> str | None:
    """No locale writes month.day.year: a dotted date is day first."""
    return DAY_FIRST if _DMY.fullmatch(text.strip())[2] == "." else None  # type: ignore[index]


class Readings:
    """The date order and decimal mark of each date and number column of one file."""

    def __init__(self, delimiter: str) -> None:
        self.delimiter = delimiter
        self.dates: dict[int, _Evidence] = {}
        self.numbers: dict[int, _Evidence] = {}
        self.headers: dict[int, str] = {}
        self.order: dict[int, tuple[str, str]] = {}  # column -> (reading, because)

    # ---- gathering ----------------------------------------------------------------------------

    def add_dates(self, index: int, header: str, cells: Iterable[tuple[int, str, date | None]]) -> None:
        """Cells of one date column as (line, text, the value at the export when known)."""
        self.dates[index] = _weigh(DAY_FIRST, MONTH_FIRST, cells, date_readings, _dotted)
        self.headers[index] = header

    def add_numbers(self, index: int, header: str, cells: Iterable[tuple[int, str, float | None]]) -> None:
        self.numbers[index] = _weigh(
            DECIMAL_POINT, DECIMAL_COMMA, cells, lambda text: number_readings(split_number(text)[0])
        )
        self.headers[index] = header

    def settle(self) -> None:
        """Decide every column: its own cells, else the file's other columns, else the separator."""
        for table, fallback in ((self.dates, None), (self.numbers, self._separator())):
            decided = {i: e.settled() for i, e in table.items()}
            agreed = {r for r in decided.values() if r is not None}
            mixed = any(e.mixed for e in table.values())
            for index, evidence in table.items():
                own = decided[index]
                if own is not None:
                    self.order[index] = (own, evidence.first[own])
                elif not evidence.mixed and len(agreed) == 1 and not mixed:
                    self.order[index] = (next(iter(agreed)), "the file's other columns")
                elif not evidence.mixed and fallback is not None:
                    self.order[index] = fallback

    def _separator(self) -> tuple[str, str] | None:
        if self.delimiter == ";":
            return DECIMAL_COMMA, "the semicolon separator"
        if self.delimiter == ",":
            return DECIMAL_POINT, "the comma separator"
        return None

    def settled(self) -> list[Settled]:
        """Each column whose cells needed a decision, and what was decided."""
        found: list[Settled] = []
        for table in (self.dates, self.numbers):
            for index, evidence in table.items():
                if not evidence.ambiguous and not any(evidence.counts.values()):
                    continue
                if not evidence.ambiguous and evidence.settled() in (DECIMAL_POINT, None) and table is self.numbers:
                    continue  # plain numbers with a decimal point: nothing worth saying
                reading, because = self.order.get(index, ("", ""))
                found.append(Settled(self.headers[index], reading, because, evidence.ambiguous))
        return found

    # ---- reading cells ------------------------------------------------------------------------

    def date_cell(self, index: int, text: str, name: str) -> str:
        """A d/m/y cell rewritten as YYYY-MM-DD (a time after it kept); other shapes as they are."""
        if index not in self.dates:
            return text
        readings = date_readings(text)
        if readings is None:
            return text
        rest = _DMY.fullmatch(text.strip())[5]  # type: ignore[index]
        day, month = readings[DAY_FIRST], readings[MONTH_FIRST]
        valid: dict[str, date] = {r: v for r, v in readings.items() if v is not None}
        if not valid:
            raise ValidationError(name, f"{text!r} is not a real date")
        if day == month or len(valid) == 1:
            chosen = next(iter(valid.values()))
        else:
            reading = self.order.get(index, ("", ""))[0]
            if reading not in valid:
                first, second = valid[DAY_FIRST], valid[MONTH_FIRST]
                raise ValidationError(
                    name,
                    f"{text!r} could be {_spell(first)} (day first) or {_spell(second)} (month first)"
                    f" and nothing in the file settles it; write {first} or {second}",
                )
            chosen = valid[reading]
        return chosen.isoformat() + rest

    def number_cell(self, index: int, text: str, name: str) -> str:
        """A number cell rewritten with a decimal point and no grouping ('1.234,5 kg' -> '1234.5 kg')."""
        if index not in self.numbers:
            return text
        number, rest = split_number(text)
        readings = number_readings(number)
        if readings is None:
            return text
        valid = {r: v for r, v in readings.items() if v is not None}
        point, comma = readings[DECIMAL_POINT], readings[DECIMAL_COMMA]
        if point == comma or len(valid) == 1:
            chosen = next(iter(valid.values()))
        else:
            reading = self.order.get(index, ("", ""))[0]
            if reading not in valid:
                raise ValidationError(
                    name,
                    f"{number!r} could be {_plain(point)} or {_plain(comma)}"  # type: ignore[arg-type]
                    " and nothing in the file settles it; write it without a thousands separator",
                )
            chosen = valid[reading]
        assert chosen is not None
        return " ".join(part for part in (_plain(chosen), rest) if part)
