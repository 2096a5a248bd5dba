"""Reading tables as batches of text columns with frictionless-style row
numbers: CSV through both readers, the limits, stored dialects."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from datasets.errors import (
    CellTooLargeError,
    DatasetError,
    RowTooLargeError,
    TooManyColumnsError,
)
from datasets.limits import MIB, Limits
from datasets.reading import open_table


def test_header_is_row_1_and_data_starts_at_row_2(write, read_rows):
    table = open_table(write("a.csv", "id,x\n1,a\n2,b\n"))
    rows, issues = read_rows(table)
    assert rows == [(2, ["1", "a"]), (3, ["2", "b"])]
    assert issues == []


def test_a_quoted_cell_spanning_lines_is_one_row(write, read_rows):
    table = open_table(write("m.csv", 'id,note\n1,"two\nlines"\n2,"x ""quoted"" y"\n3,z\n'))
    rows, _ = read_rows(table)
    assert rows == [(2, ["1", "two\nlines"]), (3, ["2", 'x "quoted" y']), (4, ["3", "z"])]


def test_ragged_rows_are_reported_with_row_and_column_and_left_out(write, read_rows):
    text = "a,b,c\n1,2,3\n4,5\n\n6,7,8,9\n10,11,12\n"
    rows, issues = read_rows(open_table(write("r.csv", text)))
    assert [r[0] for r in rows] == [2, 4, 6]  # row 4 is the blank line
    assert rows[1] == (4, ["", "", ""])
    assert issues == [("missing-cell", 3, 3), ("extra-cell", 5, 4)]


def test_unclosed_quote_is_reported_with_its_line(write, read_rows):
    table = open_table(write("q.csv", 'a,b\n1,"oops\n2,3\n'))
    rows, _ = read_rows(table)
    assert rows == [(2, ["1", "oops\n2,3\n"])]  # as any CSV reader would see it
    (issue,) = [w for w in table.warnings if w.code == "unclosed-quote"]
    assert "line 2" in issue.message


def test_batches_can_be_read_again_and_for_selected_columns(write, read_rows):
    table = open_table(write("s.csv", "a,b,c\n1,2,3\n4,5,6\n"))
    assert read_rows(table) == read_rows(table)
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
def test_fast_reader_matches_the_csv_module_reference(tmp_path_factory, doc, read_rows):
    path = Path(tmp_path_factory.mktemp("ref")) / "doc.csv"
    path.write_text(doc, encoding="utf-8", newline="")
    fast = open_table(path)
    slow = open_table(path, dialect=fast.dialect, engine="python")
    assert fast.header == slow.header
    assert read_rows(fast) == read_rows(slow)


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


def test_long_rows_are_handed_on_in_batches_bounded_in_bytes(write):
    row = ",".join(["x" * 200] * 5) + "\n"
    path = write("long.csv", "a,b,c,d,e\n" + row * 20_000)  # 20 MB, 20,000 rows
    table = open_table(path, limits=Limits(max_batch_bytes=2 * MIB))
    sizes = [sum(c.nbytes for c in batch.columns) for batch in table.batches()]
    assert sum(sizes) > 20_000 * 1_000
    # Each batch stops at the first parser block (1 MiB) that takes it past the budget.
    assert max(sizes) < 4 * MIB
