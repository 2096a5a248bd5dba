"""Validating a file against a (possibly edited) schema: every problem, with
its row (header = row 1) and column, capped per kind, plus summary statistics."""

from __future__ import annotations

import csv
import io
import statistics
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from datasets.errors import SchemaError
from datasets.reading import open_table
from datasets.validation import validate

SCHEMA = {
    "fields": [
        {"name": "id", "type": "integer", "constraints": {"required": True, "unique": True}},
        {"name": "arm", "type": "string", "constraints": {"enum": ["A", "B"]}},
        {"name": "age", "type": "integer", "constraints": {"minimum": 18, "maximum": 89}},
        {"name": "visit", "type": "date"},
        {
            "name": "code",
            "type": "string",
            "constraints": {"pattern": "[A-Z]{2}[0-9]+", "maxLength": 5},
        },
        {"name": "bmi", "type": "number", "constraints": {"required": True}},
        {"name": "smoker", "type": "boolean", "trueValues": ["y"], "falseValues": ["n"]},
    ],
    "missingValues": ["", "NA"],
    "primaryKey": ["id"],
}

GOOD = [
    "1,A,34,2020-01-05,AB1,22.5,y",
    "2,B,51,2020-02-10,CD22,25,n",
]


def run(write, rows, schema=SCHEMA, header="id,arm,age,visit,code,bmi,smoker", **kw):
    path = write("v.csv", header + "\n" + "\n".join(rows) + "\n")
    return validate(path, schema, **kw)


def issues(report):
    return [(e.code, e.row, e.column, e.constraint) for e in report.errors]


def test_a_valid_file_gets_a_full_report(write):
    report = run(write, ["1,A,34,2020-01-05,AB1,22.5,y", "2,B,51,2020-02-10,CD22,25,n"])
    assert report.valid and report.errors == []
    assert (report.row_count, report.column_count) == (2, 7)
    age = report.column("age")
    assert (age.type, age.count, age.missing, age.min, age.max, age.mean) == (
        "integer",
        2,
        0,
        34,
        51,
        42.5,
    )
    assert report.column("visit").min == "2020-01-05"
    assert report.column("arm").top == [("A", 1), ("B", 1)]
    assert report.column("code").max_length == 4
    assert report.to_dict()["columns"][0]["name"] == "id"


def test_every_kind_of_cell_problem_is_reported_with_row_and_column(write):
    report = run(
        write,
        GOOD
        + [
            "3,C,17,2020-02-30,ab1,x,maybe",  # row 4: enum, min, bad date, pattern, type, type
            "3,A,90,2021-01-01,ABCDEF,,y",  # row 5: dup id, max, pattern+length, required
            ",A,40,2021-01-01,AB1,20,y",  # row 6: required id, missing key
        ],
    )
    assert not report.valid
    assert issues(report) == [
        ("constraint-error", 4, 2, "enum"),
        ("constraint-error", 4, 3, "minimum"),
        ("type-error", 4, 4, None),
        ("constraint-error", 4, 5, "pattern"),
        ("type-error", 4, 6, None),
        ("type-error", 4, 7, None),
        ("primary-key", 5, None, None),
        ("unique-error", 5, 1, "unique"),
        ("constraint-error", 5, 3, "maximum"),
        ("constraint-error", 5, 5, "maxLength"),
        ("constraint-error", 5, 5, "pattern"),
        ("constraint-error", 5, 6, "required"),
        ("primary-key", 6, None, None),
        ("constraint-error", 6, 1, "required"),
    ]
    by_code = {(e.code, e.row, e.column): e for e in report.errors}
    assert by_code[("type-error", 4, 4)].value == "2020-02-30"
    assert "repeats row 4" in by_code[("unique-error", 5, 1)].message
    assert report.column("age").invalid == 0 and report.column("bmi").invalid == 1


def test_structural_problems(write):
    header = "id,arm,,arm"
    schema = {"fields": [{"name": "id", "type": "integer"}, {"name": "group"}, {"name": "x"}]}
    report = run(write, ["1,A,1,2", "2,B", "", "3,C,3,3,9"], schema=schema, header=header)
    assert issues(report) == [
        ("incorrect-label", 1, 2, None),
        ("blank-label", 1, 3, None),
        ("duplicate-label", 1, 4, None),
        ("extra-label", 1, 4, None),
        ("missing-cell", 3, 3, None),
        ("extra-cell", 5, 5, None),
    ]
    assert [(w.code, w.row) for w in report.warnings] == [("blank-row", 4)]
    assert report.row_count == 4


def test_schema_field_without_a_column(write):
    schema = {"fields": [{"name": "id", "type": "integer"}, {"name": "extra"}]}
    report = run(write, ["1"], schema=schema, header="id")
    assert issues(report) == [("missing-label", 1, 2, None)]
    assert [c.name for c in report.columns] == ["id", "extra"]


def test_composite_primary_key(write):
    schema = {
        "fields": [{"name": "id", "type": "integer"}, {"name": "visit", "type": "integer"}],
        "primaryKey": ["id", "visit"],
    }
    report = run(write, ["1,1", "1,2", "2,1", "1,2"], schema=schema, header="id,visit")
    assert issues(report) == [("primary-key", 5, None, None)]
    assert "row 3" in report.errors[0].message


def test_numeric_enum_and_date_range(write):
    schema = {
        "fields": [
            {"name": "dose", "type": "number", "constraints": {"enum": [0, 2.5, 5]}},
            {
                "name": "d",
                "type": "date",
                "format": "%d/%m/%Y",
                "constraints": {"minimum": "01/01/2020"},
            },
        ]
    }
    report = run(write, ["2.50,01/02/2020", "3,31/12/2019"], schema=schema, header="dose,d")
    assert issues(report) == [
        ("constraint-error", 3, 1, "enum"),
        ("constraint-error", 3, 2, "minimum"),
    ]


def test_errors_are_capped_per_kind_but_counted(write):
    rows = [f"{i},A,x,2020-01-01,AB1,1,y" for i in range(1, 5001)]
    report = run(write, rows, max_errors_per_code=100)
    assert report.error_counts == {"type-error": 5000}
    assert len(report.errors) == 100 and report.truncated
    assert report.to_dict()["error_count"] == 5000


def test_many_distinct_errors_across_batches_keep_exact_counts(write):
    rows = [f"{i},{'A' if i % 3 else 'Z'},40,2020-01-01,AB1,1,y" for i in range(1, 300_001)]
    report = run(write, rows, max_errors_per_code=10)
    assert report.error_counts == {"constraint-error": 100_000}
    assert [e.row for e in report.errors] == [4, 7, 10, 13, 16, 19, 22, 25, 28, 31]


def test_an_unusable_schema_is_refused_with_every_problem(write):
    with pytest.raises(SchemaError) as err:
        run(
            write,
            GOOD,
            schema={
                "fields": [{"name": "id", "type": "int"}, {"name": "x", "constraints": {"max": 1}}]
            },
        )
    assert {p["field"] for p in err.value.problems} == {"id", "x"}


def test_field_level_missing_values_override_the_schema(write):
    schema = {
        "fields": [{"name": "n", "type": "integer", "missingValues": ["-99"]}],
        "missingValues": [""],
    }
    report = run(write, ["1", "-99", ""], schema=schema, header="n")
    assert issues(report) == [("type-error", 4, 1, None)]
    assert report.column("n").missing == 1


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    values=st.lists(
        st.one_of(
            st.floats(-1e6, 1e6, allow_nan=False).map(repr), st.sampled_from(["", "NA", "oops"])
        ),
        min_size=1,
        max_size=300,
    )
)
def test_statistics_match_a_reference(tmp_path_factory, values):
    path = Path(tmp_path_factory.mktemp("st")) / "s.csv"
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows([["x"]] + [[v] for v in values])
    path.write_text(buf.getvalue())
    schema = {"fields": [{"name": "x", "type": "number"}], "missingValues": ["", "NA"]}
    col = validate(path, schema).column("x")
    numbers = [float(v) for v in values if v not in ("", "NA", "oops")]
    assert col.count == len(numbers)
    assert col.missing == sum(v in ("", "NA") for v in values)
    assert col.invalid == values.count("oops")
    if numbers:
        assert col.min == min(numbers) and col.max == max(numbers)
        assert col.mean == pytest.approx(statistics.fmean(numbers), rel=1e-9, abs=1e-6)
    if len(numbers) > 1:
        assert col.sd == pytest.approx(statistics.stdev(numbers), rel=1e-6, abs=1e-6)


def test_statistics_are_stable_across_batches(write):
    rng = np.random.default_rng(1)
    numbers = rng.normal(1e6, 3.0, 200_000)
    path = write("big.csv", "x\n" + "\n".join(f"{v:.6f}" for v in numbers) + "\n")
    col = validate(path, {"fields": [{"name": "x", "type": "number"}]}).column("x")
    exact = np.array([float(f"{v:.6f}") for v in numbers])
    assert col.mean == pytest.approx(exact.mean(), rel=1e-12)
    assert col.sd == pytest.approx(exact.std(ddof=1), rel=1e-9)


def test_validate_accepts_an_open_table_and_a_dialect(write):
    path = write("v.csv", "id;arm\n1;A\n")
    table = open_table(path)
    assert validate(table, {"fields": [{"name": "id"}, {"name": "arm"}]}).valid
    again = validate(
        path, {"fields": [{"name": "id"}, {"name": "arm"}]}, dialect=table.dialect.to_dict()
    )
    assert again.valid


def test_a_header_without_data_is_valid_with_a_warning(write):
    path = write("h.csv", "id,arm\n")
    report = validate(path, {"fields": [{"name": "id", "type": "integer"}, {"name": "arm"}]})
    assert report.valid and report.row_count == 0
    assert [w.code for w in report.warnings] == ["no-data"]
    assert report.column("id").count == 0


def test_wide_files_track_fewer_distinct_values_per_column():
    from datasets.stats import MAX_TRACKED_DISTINCT, distinct_cap

    assert distinct_cap(20) == MAX_TRACKED_DISTINCT
    assert distinct_cap(2_000) == 500
    assert distinct_cap(100_000) == 100
