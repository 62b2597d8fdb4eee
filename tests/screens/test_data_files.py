"""The file rules behind the Data modals: dated names, paths as typed, atomic writes, reports in the app's words."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pytest

from magnet.errors import MagnetError
from magnet.formats.csv_import import CsvImportSummary
from magnet.formats.export import slug, write_export
from screens.data_files import (
    EXPORT_BY_ID,
    SPREADSHEET_SUFFIXES,
    csv_report,
    default_path,
    import_candidates,
    shown,
    typed_path,
)


def test_default_names_are_dated_and_safe_on_any_stick(tmp_path: Path) -> None:
    assert slug("Sample Street MAG") == "sample-street-mag"
    assert slug("Élan / Rue #3") == "elan-rue-3"
    assert slug("!!!") == "group"
    path = default_path(EXPORT_BY_ID["binder-html"], "Maple St", date(2026, 3, 1), tmp_path)
    assert path == tmp_path / "magnet-maple-st-binder-2026-03-01.html"
    assert default_path(EXPORT_BY_ID["csv-members"], "Maple St", date(2026, 3, 1), tmp_path).name == (
        "magnet-maple-st-members-2026-03-01.csv"
    )


def test_paths_as_typed_start_in_the_home_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    assert typed_path("~/x.csv") == tmp_path / "x.csv"
    assert typed_path("  roster.csv ") == tmp_path / "roster.csv"
    assert typed_path("/media/stick/a.mgb") == Path("/media/stick/a.mgb")
    assert shown(tmp_path / "a" / "b.csv") == "~/a/b.csv"
    assert shown(Path("/media/stick")) == "/media/stick"
    with pytest.raises(MagnetError, match="type where the file is"):
        typed_path("   ")


def test_a_failed_write_leaves_no_part_file_and_says_why(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("x")
    with pytest.raises(MagnetError, match="cannot write"):
        write_export(tmp_path / "a-file" / "out.mgb", b"data")
    write_export(tmp_path / "out.mgb", "a roster")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file", "out.mgb"]
    assert (tmp_path / "out.mgb").stat().st_mode & 0o077 == 0


def test_a_refused_spreadsheet_offers_its_good_rows() -> None:
    summary = CsvImportSummary("r.csv", "members", guessed=True, rows=5, bad_rows=2, unchanged=1)
    summary.failed = ["line 3: joined: bad", "line 5: status: bad"]
    report = csv_report(summary)
    assert not report.ok and not report.changed and report.good_rows == 3
    assert report.headline == "Nothing imported: 2 of 5 rows in r.csv have problems"
    assert report.lines[0].startswith("Read as members, guessed")
    assert "--kind" not in " ".join(report.lines) and "--skip-invalid" not in " ".join(report.lines)


def test_files_found_nearby_are_the_wanted_kind_newest_first(tmp_path: Path) -> None:
    for age, name in enumerate(["new.csv", "old.CSV", ".hidden.csv", "stick.mgb", "notes.pdf"]):
        (tmp_path / name).write_text("x")
        os.utime(tmp_path / name, (1_000_000 - age, 1_000_000 - age))
    (tmp_path / "folder.csv").mkdir()
    found = import_candidates([tmp_path, tmp_path / "missing"], SPREADSHEET_SUFFIXES)
    assert [p.name for p in found] == ["new.csv", "old.CSV"]
    assert [p.name for p in import_candidates([tmp_path], (".mgb",))] == ["stick.mgb"]
