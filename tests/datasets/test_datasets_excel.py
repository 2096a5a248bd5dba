"""Reading .xlsx workbooks: cells as CSV-like text with the sheet's row
numbers, other sheets mentioned, zip bombs and XML entities refused."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import pytest

from datasets.errors import CellTooLargeError, TooManyColumnsError, ZipBombError
from datasets.limits import Limits
from datasets.reading import open_table


def make_xlsx(path: Path, rows: list[list], sheets: dict[str, list[list]] | None = None) -> Path:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Data"
    for row in rows:
        ws.append(row)
    for name, extra in (sheets or {}).items():
        other = wb.create_sheet(name)
        for row in extra:
            other.append(row)
    wb.save(path)
    return path


def test_xlsx_cells_are_read_as_csv_like_text_with_sheet_row_numbers(tmp_path, read_rows):
    path = make_xlsx(
        tmp_path / "t.xlsx",
        [
            ["id", "dose", "when", "flag", "note"],
            [1, 4.5, dt.datetime(2020, 1, 2), True, "ok"],
            [2, 3.0, dt.datetime(2020, 1, 3, 10, 30), False, None],
            [None, None, None, None, None],
            [3, 7, None, None, "plain"],
        ],
    )
    table = open_table(path)
    assert table.dialect.format == "xlsx" and table.dialect.sheet == "Data"
    rows, issues = read_rows(table)
    assert rows == [
        (2, ["1", "4.5", "2020-01-02", "true", "ok"]),
        (3, ["2", "3", "2020-01-03T10:30:00", "false", ""]),
        (4, ["", "", "", "", ""]),
        (5, ["3", "7", "", "", "plain"]),
    ]
    assert issues == []


def test_xlsx_named_csv_is_read_as_a_workbook_with_a_warning(tmp_path):
    path = make_xlsx(tmp_path / "really.csv", [["a"], [1]])
    table = open_table(path)
    assert table.dialect.format == "xlsx"
    assert any("xlsx" in w.message for w in table.warnings)


def test_xlsx_other_sheets_with_data_are_mentioned(tmp_path):
    path = make_xlsx(tmp_path / "s.xlsx", [["a"], [1]], {"Notes": [["x"], ["y"]]})
    table = open_table(path)
    assert any("Notes" in w.message for w in table.warnings)


def _bomb(path: Path, member_bytes: int) -> Path:
    """A well-formed-looking workbook whose sheet inflates enormously."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/workbook.xml", "<workbook/>")
        with zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as member:
            chunk = b" " * (1 << 20)
            for _ in range(member_bytes >> 20):
                member.write(chunk)
    return path


def test_xlsx_zip_bomb_is_refused_by_compression_ratio(tmp_path):
    path = _bomb(tmp_path / "bomb.xlsx", 64 << 20)
    assert path.stat().st_size < 1 << 20  # 64 MiB of sheet in well under 1 MiB
    with pytest.raises(ZipBombError, match="compressed"):
        open_table(path)


def test_xlsx_zip_bomb_is_refused_by_total_size(tmp_path):
    path = _bomb(tmp_path / "bomb.xlsx", 8 << 20)
    limits = Limits(max_xlsx_uncompressed_bytes=4 << 20, max_compression_ratio=1e9)
    with pytest.raises(ZipBombError, match="unpack to more than 4,194,304 bytes, the limit"):
        open_table(path, limits=limits)


def test_xlsx_with_entity_declarations_is_refused(tmp_path):
    path = make_xlsx(tmp_path / "ok.xlsx", [["a"], [1]])
    evil = tmp_path / "evil.xlsx"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(evil, "w") as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                body = data.split(b"?>", 1)[1] if data.startswith(b"<?xml") else data
                data = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]>' + body
            dst.writestr(info, data)
    with pytest.raises(ZipBombError, match="DOCTYPE"):
        open_table(evil)


def test_xlsx_column_and_cell_limits(tmp_path):
    wide = make_xlsx(tmp_path / "wide.xlsx", [[f"c{i}" for i in range(50)], list(range(50))])
    with pytest.raises(TooManyColumnsError):
        open_table(wide, limits=Limits(max_columns=20))
    big = make_xlsx(tmp_path / "big.xlsx", [["a"], ["x" * 30_000]])
    with pytest.raises(CellTooLargeError) as err:
        list(open_table(big, limits=Limits(max_cell_bytes=10_000)).batches())
    assert err.value.row == 2


def test_xlsx_rows_are_handed_on_in_batches_bounded_in_size(tmp_path, read_rows):
    path = make_xlsx(
        tmp_path / "long.xlsx", [["id", "note"]] + [[n, "x" * 1_000] for n in range(300)]
    )
    table = open_table(path, limits=Limits(max_batch_bytes=50_000))
    sizes = [batch.num_rows for batch in table.batches()]
    assert sum(sizes) == 300
    assert max(sizes) == 50  # 50 rows of 1,001 characters reach the budget
    rows, _ = read_rows(table)
    assert [number for number, _ in rows] == list(range(2, 302))
