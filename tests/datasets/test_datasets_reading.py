"""Reading files as batches of text columns with frictionless-style row numbers."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from datasets.errors import (
    CellTooLargeError,
    DatasetError,
    RowTooLargeError,
    TooManyColumnsError,
    ZipBombError,
)
from datasets.limits import Limits
from datasets.reading import open_table


def rows_of(table, engine_rows=None):
    """[(row number, [cells])] and issues, read through the public API."""
    out, issues = [], []
    for batch in table.batches():
        cols = [c.to_pylist() for c in batch.columns]
        for i, number in enumerate(batch.row_numbers.tolist()):
            out.append((number, [c[i] for c in cols]))
        issues.extend((i.code, i.row, i.column) for i in batch.issues)
    return out, sorted(issues, key=lambda t: t[1])


def test_header_is_row_1_and_data_starts_at_row_2(write):
    table = open_table(write("a.csv", "id,x\n1,a\n2,b\n"))
    rows, issues = rows_of(table)
    assert rows == [(2, ["1", "a"]), (3, ["2", "b"])]
    assert issues == []


def test_a_quoted_cell_spanning_lines_is_one_row(write):
    table = open_table(write("m.csv", 'id,note\n1,"two\nlines"\n2,"x ""quoted"" y"\n3,z\n'))
    rows, _ = rows_of(table)
    assert rows == [(2, ["1", "two\nlines"]), (3, ["2", 'x "quoted" y']), (4, ["3", "z"])]


def test_ragged_rows_are_reported_with_row_and_column_and_left_out(write):
    text = "a,b,c\n1,2,3\n4,5\n\n6,7,8,9\n10,11,12\n"
    rows, issues = rows_of(open_table(write("r.csv", text)))
    assert [r[0] for r in rows] == [2, 4, 6]  # row 4 is the blank line
    assert rows[1] == (4, ["", "", ""])
    assert issues == [("missing-cell", 3, 3), ("extra-cell", 5, 4)]


def test_unclosed_quote_is_reported_with_its_line(write):
    table = open_table(write("q.csv", 'a,b\n1,"oops\n2,3\n'))
    rows, _ = rows_of(table)
    assert rows == [(2, ["1", "oops\n2,3\n"])]  # as any CSV reader would see it
    (issue,) = [w for w in table.warnings if w.code == "unclosed-quote"]
    assert "line 2" in issue.message


def test_batches_can_be_read_again_and_for_selected_columns(write):
    table = open_table(write("s.csv", "a,b,c\n1,2,3\n4,5,6\n"))
    assert rows_of(table) == rows_of(table)
    batch = next(table.batches(columns=[2]))
    assert batch.columns[0] is None and batch.columns[2].to_pylist() == ["3", "6"]


def test_10000_columns_are_refused_with_the_default_limit(write):
    header = ",".join(f"c{i}" for i in range(10_000))
    with pytest.raises(TooManyColumnsError, match="10,000 columns"):
        open_table(write("wide.csv", header + "\n" + ",".join("1" * 10_000) + "\n"))


def test_10000_columns_can_be_read_when_the_limit_allows(write):
    header = ",".join(f"c{i}" for i in range(10_000))
    table = open_table(
        write("wide.csv", header + "\n" + ",".join(["7"] * 10_000) + "\n"),
        limits=Limits(max_columns=10_000),
    )
    batch = next(table.batches())
    assert batch.columns[9_999].to_pylist() == ["7"]


def test_a_1_mb_cell_is_refused_naming_row_and_column(write):
    big = "x" * 1_000_000
    with pytest.raises(CellTooLargeError) as err:
        list(open_table(write("cell.csv", f"id,text\n1,short\n2,{big}\n")).batches())
    assert (err.value.row, err.value.column, err.value.field) == (3, 2, "text")


def test_the_cell_limit_is_configurable(write):
    path = write("cell.csv", "id,text\n1," + "y" * 200_000 + "\n")
    limits = Limits(max_cell_bytes=300_000)
    batch = next(open_table(path, limits=limits).batches())
    assert len(batch.columns[1][0].as_py()) == 200_000


def test_a_huge_header_cell_is_refused(write):
    with pytest.raises(CellTooLargeError):
        open_table(write("h.csv", "id," + "h" * 200_000 + "\n1,2\n"))


def test_a_row_longer_than_the_row_limit_is_refused(write):
    limits = Limits(max_row_bytes=1 << 16, max_cell_bytes=1 << 20)
    path = write("long.csv", "a,b\n1," + "z" * 200_000 + "\n")
    with pytest.raises((RowTooLargeError, CellTooLargeError)):
        list(open_table(path, limits=limits).batches())


def test_row_limit(write):
    path = write("rows.csv", "a\n" + "1\n" * 100)
    with pytest.raises(DatasetError, match="more than 50"):
        list(open_table(path, limits=Limits(max_rows=50)).batches())


# ----------------------------------------------------------- reference --

# Text as people type it: any printable character plus the ones CSV must
# quote (control characters make a file binary by design).
cell = st.text(
    alphabet=st.characters(
        codec="utf-8", exclude_categories=("Cc", "Cs"), include_characters='\n\t,"'
    ),
    max_size=12,
)


@st.composite
def csv_documents(draw):
    width = draw(st.integers(1, 5))
    header = [f"h{i}" for i in range(width)]
    body = draw(st.lists(st.lists(cell, min_size=width, max_size=width), max_size=30))
    ragged = draw(st.lists(st.tuples(st.integers(0, 30), st.integers(0, width + 2)), max_size=3))
    for pos, n in ragged:
        body.insert(min(pos, len(body)), [f"r{i}" for i in range(n)])
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    for row in body:
        if row == []:
            buf.write("\n")
        else:
            writer.writerow(row)
    return buf.getvalue()


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(doc=csv_documents())
def test_fast_reader_matches_the_csv_module_reference(tmp_path_factory, doc):
    path = Path(tmp_path_factory.mktemp("ref")) / "doc.csv"
    path.write_text(doc, encoding="utf-8", newline="")
    fast = open_table(path)
    slow = open_table(path, dialect=fast.dialect, engine="python")
    assert fast.header == slow.header
    assert rows_of(fast) == rows_of(slow)


# -------------------------------------------------------------- Excel --


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


def test_xlsx_cells_are_read_as_csv_like_text_with_sheet_row_numbers(tmp_path):
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
    rows, issues = rows_of(table)
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
    with pytest.raises(ZipBombError, match="expand"):
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


# ------------------------------------------------------------ Parquet --


def test_parquet_columns_are_read_as_text_with_declared_types(tmp_path):
    path = tmp_path / "p.parquet"
    pq.write_table(
        pa.table(
            {
                "id": pa.array([1, 2, 3]),
                "dose": pa.array([1.5, None, float("nan")]),
                "ok": pa.array([True, False, None]),
                "day": pa.array([dt.date(2020, 1, 1), None, dt.date(2021, 5, 6)]),
                "arm": pa.array(["A", "B", "A"]).dictionary_encode(),
            }
        ),
        path,
    )
    table = open_table(path)
    assert table.dialect.format == "parquet"
    assert table.declared_types == {0: "integer", 1: "number", 2: "boolean", 3: "date"}
    rows, _ = rows_of(table)
    assert rows == [
        (2, ["1", "1.5", "true", "2020-01-01", "A"]),
        (3, ["2", "", "false", "", "B"]),
        (4, ["3", "", "", "2021-05-06", "A"]),
    ]


def test_parquet_nested_columns_are_refused(tmp_path):
    path = tmp_path / "n.parquet"
    pq.write_table(pa.table({"l": pa.array([[1, 2], [3]])}), path)
    with pytest.raises(DatasetError, match="flat columns"):
        open_table(path)


def test_a_stored_dialect_is_reused_but_the_file_is_still_checked(write):
    path = write("d.csv", 'a;b\n1;"open\n')
    dialect = open_table(path).dialect.to_dict()
    again = open_table(path, dialect=dialect)
    assert again.dialect.delimiter == ";" and again.sha256
    assert [w.code for w in again.warnings] == ["unclosed-quote"]
    forced = open_table(write("e.csv", "a;b\n1;2\n"), dialect={**dialect, "delimiter": ","})
    assert forced.header == ["a;b"]


def test_a_stored_utf8_dialect_on_a_non_utf8_file_is_an_error(write):
    from datasets.errors import EncodingError

    path = write("w.csv", "a\nMálaga\n".encode("cp1252"))
    with pytest.raises(EncodingError):
        open_table(path, dialect={"format": "csv", "encoding": "utf-8", "delimiter": ","})
