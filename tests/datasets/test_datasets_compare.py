"""Comparing two versions cell by cell, checked against a slow, obvious reference."""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from datasets.compare import CompareError, Side, compare, default_key
from datasets.ingest import ingest

DIALECT = {"format": "csv", "encoding": "utf-8", "delimiter": ",", "quote_char": '"'}


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
    return path


def schema_of(header: list[str], types: dict[str, str], key: str = "id") -> dict[str, Any]:
    return {
        "fields": [
            {
                "name": name,
                "type": types.get(name, "string"),
                **({"role": "participant_id"} if name == key else {}),
            }
            for name in header
        ],
        "missingValues": ["", "NA"],
    }


# -- the reference ------------------------------------------------------------------


def naive(
    old: tuple[list[str], list[list[str]], dict[str, Any]],
    new: tuple[list[str], list[list[str]], dict[str, Any]],
    key: str,
) -> dict[str, Any]:
    """Row by row in plain Python: the rules of datasets.compare, written the obvious way."""

    def types(schema: dict[str, Any]) -> dict[str, str]:
        return {f["name"]: f["type"] for f in schema["fields"]}

    def value(cell: str) -> str | None:
        cell = cell.strip()
        return None if cell in ("", "NA") else cell

    def records(header: list[str], rows: list[list[str]], label: str) -> dict[str, dict[str, str]]:
        out: dict[str, dict[str, str]] = {}
        for row in rows:
            record = dict(zip(header, row, strict=True))
            k = value(record[key])
            if k is None:
                raise CompareError(f"{label} missing key")
            if k in out:
                raise CompareError(f"{label} repeated key")
            out[k] = record
        return out

    (oh, orows, os_), (nh, nrows, ns) = old, new
    before, after = records(oh, orows, "old"), records(nh, nrows, "new")
    ot, nt = types(os_), types(ns)
    shared = [c for c in nh if c in oh and c != key]
    matched = [k for k in after if k in before]

    def as_numbers(column: str) -> bool:
        if not (ot[column] in ("integer", "number") and nt[column] in ("integer", "number")):
            return False
        for k in matched:
            for record in (before[k], after[k]):
                v = value(record[column])
                if v is not None:
                    try:
                        float(v)
                    except ValueError:
                        return False
        return True

    cells = []
    counts = dict.fromkeys(shared, 0)
    changed_rows = set()
    numeric = {c: as_numbers(c) for c in shared}
    for k in matched:  # the new file's row order
        for column in shared:
            a, b = value(before[k][column]), value(after[k][column])
            if numeric[column] and a is not None and b is not None:
                fa, fb = float(a), float(b)
                same = fa == fb or (math.isnan(fa) and math.isnan(fb))
            else:
                same = a == b
            if not same:
                counts[column] += 1
                changed_rows.add(k)
                cells.append((k, column, before[k][column] or None, after[k][column] or None))
    return {
        "added": [k for k in after if k not in before],
        "removed": [k for k in before if k not in after],
        "changed": len(changed_rows),
        "counts": counts,
        "cells": cells,
        "columns_added": [c for c in nh if c not in oh],
        "columns_removed": [c for c in oh if c not in nh],
    }


# -- random tables ------------------------------------------------------------------

CELLS = st.sampled_from(["", "NA", "1", "1.0", " 2", "2", "x", "y", "-3", "nan", "=1+1"])
TYPES = st.sampled_from(["string", "integer", "number"])


@st.composite
def version(draw: st.DrawFn) -> tuple[list[str], list[list[str]], dict[str, Any]]:
    others = draw(st.lists(st.sampled_from(["a", "b", "c", "d"]), unique=True, max_size=4))
    header = draw(st.permutations(["id", *others]))
    keys = draw(st.lists(st.integers(0, 30), unique=True, max_size=25))
    rows = []
    for k in keys:
        row = {name: draw(CELLS) for name in others}
        row["id"] = draw(st.sampled_from([str(k), f" {k}"]))
        rows.append([row[name] for name in header])
    types = {name: draw(TYPES) for name in others}
    return list(header), rows, schema_of(list(header), types)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(old=version(), new=version())
def test_the_comparison_agrees_with_the_reference(tmp_path: Path, old, new) -> None:
    sides = []
    for name, (header, rows, schema) in (("old", old), ("new", new)):
        path = write_csv(tmp_path / f"{name}.csv", header, rows)
        sides.append(Side(path, schema, name, filename=f"{name}.csv", dialect=DIALECT))
    expected = naive(old, new, "id")
    result = compare(*sides, limit=10_000)
    assert result.key == "id"
    assert result.added_keys == expected["added"]
    assert result.removed_keys == expected["removed"]
    assert result.rows_changed == expected["changed"]
    assert result.column_changes == expected["counts"]
    assert [(c.key, c.column, c.old, c.new) for c in result.cells] == expected["cells"]
    assert result.columns_added == expected["columns_added"]
    assert result.columns_removed == expected["columns_removed"]
    assert result.rows_unchanged == len(old[1]) - len(expected["removed"]) - expected["changed"]
    lines = list(csv.reader(io.StringIO("".join(result.csv_lines()))))
    assert len(lines) == 1 + len(expected["cells"]) + len(expected["added"]) + len(
        expected["removed"]
    )


# -- what a researcher sees ---------------------------------------------------------


@pytest.fixture
def survival(tmp_path: Path):
    """A trial file and its correction: two withdrawn participants, five survival times fixed."""
    header = ["patient", "arm", "time", "status"]
    rows = [[f"P{i:03d}", "A" if i % 2 else "B", str(100 + i), str(i % 2)] for i in range(1, 21)]
    corrected = [list(r) for r in rows if r[0] not in ("P004", "P011")]
    for row in corrected:
        if row[0] in ("P002", "P007", "P013", "P016", "P020"):
            row[2] = str(int(row[2]) + 30)
    types = {"time": "integer", "status": "integer"}
    old = write_csv(tmp_path / "v1.csv", header, rows)
    new = write_csv(tmp_path / "v2.csv", header, corrected)
    return (
        Side(old, schema_of(header, types, key="patient"), "Version 1", dialect=DIALECT),
        Side(new, schema_of(header, types, key="patient"), "Version 2", dialect=DIALECT),
    )


def test_five_changed_survival_times_are_found_not_hidden_by_the_row_count(survival) -> None:
    result = compare(*survival)
    assert result.key == "patient"
    assert (result.rows_removed, result.rows_added, result.rows_changed) == (2, 0, 5)
    assert result.removed_keys == ["P004", "P011"]
    assert result.column_changes == {"arm": 0, "time": 5, "status": 0}
    assert [(c.key, c.old, c.new) for c in result.cells] == [
        ("P002", "102", "132"),
        ("P007", "107", "137"),
        ("P013", "113", "143"),
        ("P016", "116", "146"),
        ("P020", "120", "150"),
    ]
    assert result.rows_unchanged == 13


def test_the_shown_cells_are_capped_but_the_download_has_them_all(survival) -> None:
    result = compare(*survival, limit=2)
    assert len(result.cells) == 2 and result.cells_changed == 5
    lines = list(csv.reader(io.StringIO("".join(result.csv_lines()))))
    assert lines[0] == ["key", "change", "column", "old value", "new value"]
    assert sum(1 for line in lines if line[1] == "changed") == 5
    assert ["P004", "row removed", "", "", ""] in lines


def test_the_download_neutralises_formulas(tmp_path: Path) -> None:
    header = ["id", "note"]
    old = write_csv(tmp_path / "a.csv", header, [["1", "fine"]])
    new = write_csv(tmp_path / "b.csv", header, [["1", '=HYPERLINK("http://x","y")']])
    schema = schema_of(header, {})
    result = compare(
        Side(old, schema, "a", dialect=DIALECT), Side(new, schema, "b", dialect=DIALECT)
    )
    text = "".join(result.csv_lines())
    assert "'=HYPERLINK" in text
    assert result.cells[0].new == '=HYPERLINK("http://x","y")'  # the page escapes it itself


def test_missing_codes_spaces_and_number_spelling_are_not_changes(tmp_path: Path) -> None:
    header = ["id", "dose", "site"]
    old = write_csv(tmp_path / "a.csv", header, [["1", "5", "NA"], ["2", "2.50", "north"]])
    new = write_csv(tmp_path / "b.csv", header, [["1", "5.0", ""], ["2", " 2.5", "north "]])
    schema = schema_of(header, {"dose": "number"})
    result = compare(
        Side(old, schema, "a", dialect=DIALECT), Side(new, schema, "b", dialect=DIALECT)
    )
    assert result.identical and result.rows_unchanged == 2


def test_a_retyped_column_is_named_and_compared_as_text(tmp_path: Path) -> None:
    header = ["id", "visit"]
    old = write_csv(tmp_path / "a.csv", header, [["1", "3"]])
    new = write_csv(tmp_path / "b.csv", header, [["1", "3.0"]])
    result = compare(
        Side(old, schema_of(header, {"visit": "integer"}), "Version 1", dialect=DIALECT),
        Side(new, schema_of(header, {"visit": "string"}), "Version 2", dialect=DIALECT),
    )
    assert [(r.column, r.old, r.new) for r in result.columns_retyped] == [
        ("visit", "integer", "string")
    ]
    assert "compared as text" in result.notes[0]
    assert result.column_changes == {"visit": 1}


def test_repeated_keys_are_refused_with_examples(tmp_path: Path) -> None:
    header = ["id", "x"]
    old = write_csv(tmp_path / "a.csv", header, [["1", "a"], ["1", "b"], ["2", "c"]])
    schema = schema_of(header, {})
    with pytest.raises(
        CompareError,
        match=r"Version 1 has 1 key value in 'id' used by more than one row \(for example '1'\)",
    ):
        compare(
            Side(old, schema, "Version 1", dialect=DIALECT),
            Side(old, schema, "Version 2", dialect=DIALECT),
        )


def test_keys_with_no_value_are_refused_with_their_rows(tmp_path: Path) -> None:
    header = ["id", "x"]
    good = write_csv(tmp_path / "a.csv", header, [["1", "a"]])
    gaps = write_csv(tmp_path / "b.csv", header, [["1", "a"], ["NA", "b"], ["", "c"]])
    schema = schema_of(header, {})
    with pytest.raises(
        CompareError,
        match=r"Version 2 has 2 rows with no value in the key column 'id' \(rows 3, 4\)",
    ):
        compare(
            Side(good, schema, "Version 1", dialect=DIALECT),
            Side(gaps, schema, "Version 2", dialect=DIALECT),
        )


def test_a_key_column_missing_from_a_version_is_named(tmp_path: Path) -> None:
    old = write_csv(tmp_path / "a.csv", ["id", "x"], [["1", "a"]])
    new = write_csv(tmp_path / "b.csv", ["pid", "x"], [["1", "a"]])
    sides = (
        Side(old, schema_of(["id", "x"], {}), "Version 1", dialect=DIALECT),
        Side(new, schema_of(["pid", "x"], {}, key="pid"), "Version 2", dialect=DIALECT),
    )
    with pytest.raises(CompareError, match="choose the column that identifies a row"):
        compare(*sides)
    with pytest.raises(CompareError, match="Version 2 has no column 'id'"):
        compare(*sides, key="id")
    assert compare(*sides, key="x").rows_unchanged == 1


def test_masked_columns_show_only_masked_values(tmp_path: Path) -> None:
    header = ["id", "email"]
    old = write_csv(tmp_path / "a.csv", header, [["1", "ann@example.org"]])
    new = write_csv(tmp_path / "b.csv", header, [["1", "bob@example.org"]])
    schema = schema_of(header, {})
    result = compare(
        Side(old, schema, "a", dialect=DIALECT),
        Side(new, schema, "b", dialect=DIALECT),
        masked={"email"},
    )
    assert "example" not in "".join(result.csv_lines())
    assert result.cells[0].old.startswith("a")


def test_the_key_comes_from_the_data_dictionary_of_inferred_files(tmp_path: Path) -> None:
    old = write_csv(tmp_path / "a.csv", ["participant_id", "age"], [["1", "50"], ["2", "60"]])
    schema = ingest(old).schema
    assert default_key(schema, schema) == "participant_id"


def test_large_tables_are_compared_without_a_python_loop_per_row(tmp_path: Path) -> None:
    n = 200_000
    header = ["id", "value"]
    old = tmp_path / "a.csv"
    new = tmp_path / "b.csv"
    old.write_text("id,value\n" + "".join(f"{i},{i % 97}\n" for i in range(n)))
    new.write_text("id,value\n" + "".join(f"{i},{(i % 97) + (i % 1000 == 0)}\n" for i in range(n)))
    schema = schema_of(header, {"value": "integer"})
    result = compare(
        Side(old, schema, "a", dialect=DIALECT), Side(new, schema, "b", dialect=DIALECT)
    )
    assert result.cells_changed == n // 1000 and len(result.cells) == 200
