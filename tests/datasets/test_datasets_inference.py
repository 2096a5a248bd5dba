"""Inferring the data dictionary (a Table Schema) from the whole file."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from datasets.inference import MISSING_CANDIDATES, profile
from datasets.reading import open_table
from datasets.schema import check_schema
from datasets.validation import validate


def infer(write, text: str, name: str = "t.csv"):
    return profile(open_table(write(name, text)))


def field(prof, name):
    return next(f for f in prof.schema["fields"] if f["name"] == name)


def test_type_comes_from_the_whole_file_not_the_first_rows(write):
    text = "x\n" + "7\n" * 5000 + "4.5\n" + "8\n" * 10
    prof = infer(write, text)
    assert field(prof, "x")["type"] == "number"
    summary = prof.report.column("x")
    assert summary.count == 5011 and summary.max == 8 and summary.min == 4.5


def test_a_late_word_makes_a_column_text(write):
    text = "x\n" + "1\n" * 200_000 + "unknown\n"
    assert field(infer(write, text), "x")["type"] == "string"


@pytest.mark.parametrize("code", ["NA", "", ".", "N/A", "NULL", "-", "?", "None"])
def test_missing_value_codes_are_recognised(write, code):
    prof = infer(write, f"age,x\n34,a\n{code},b\n51,c\n")
    assert field(prof, "age")["type"] == "integer"
    assert code in prof.schema["missingValues"]
    assert prof.report.column("age").missing == 1


def test_ambiguous_codes_stay_values_in_text_columns(write):
    prof = infer(write, "smoking,dose\nNone,1\n-,-\nHeavy,3\nNone,4\n")
    smoking = field(prof, "smoking")
    assert field(prof, "dose")["type"] == "integer"
    assert "-" in prof.schema["missingValues"]  # for dose
    assert smoking["type"] == "string"
    # "-" is missing in dose but a value here, so the field overrides the list.
    assert smoking["missingValues"] == [""]
    summary = prof.report.column("smoking")
    assert dict(summary.top) == {"None": 2, "-": 1, "Heavy": 1} and summary.missing == 0
    report = validate(open_table(write("t.csv", "smoking,dose\nNone,1\n-,-\n")), prof.schema)
    assert report.valid and report.column("smoking").missing == 0
    assert report.column("dose").missing == 1


def test_leading_zeros_keep_codes_as_text(write):
    prof = infer(write, "postcode,phone,n\n01234,07700900123,1\n90210,07700900456,2\n")
    assert field(prof, "postcode")["type"] == "string"
    assert field(prof, "phone")["type"] == "string"
    assert field(prof, "n")["type"] == "integer"


def test_very_long_digit_strings_are_identifiers_not_integers(write):
    prof = infer(write, "code\n1234567890123456789012\n12\n")
    assert field(prof, "code")["type"] == "string"


@pytest.mark.parametrize(
    ("values", "ftype", "fmt"),
    [
        (["2020-01-31", "1999-12-01"], "date", None),
        (["31/01/2020", "01/12/1999"], "date", "%d/%m/%Y"),
        (["01/31/2020", "12/01/1999"], "date", "%m/%d/%Y"),
        (["21APR1988", "01jan2001"], "date", "%d%b%Y"),
        (["31.01.2020", "1.2.1999"], "date", "%d.%m.%Y"),
        (["2020-01-31T10:00:00", "2020-02-01T23:59:59Z"], "datetime", None),
        (["2020-01-31 10:00:00", "2020-02-01 23:59:59"], "datetime", "%Y-%m-%d %H:%M:%S"),
        (["2020-02-30", "2020-01-01"], "string", None),  # no 30 February
        (["true", "False", "TRUE"], "boolean", None),
        (["1", "0", "1"], "integer", None),
        (["-3", "+4", "0"], "integer", None),
        (["1e3", "-0.5", ".25"], "number", None),
        (["abc", "12"], "string", None),
    ],
)
def test_types_and_formats(write, values, ftype, fmt):
    prof = infer(write, "v\n" + "\n".join(values) + "\n")
    f = field(prof, "v")
    assert f["type"] == ftype
    assert f.get("format") == fmt


def test_ambiguous_day_month_order_is_noted(write):
    prof = infer(write, "d\n01/02/2020\n03/04/2021\n")
    assert field(prof, "d")["format"] == "%d/%m/%Y"
    assert any(n.code == "inference" and "day first" in n.message for n in prof.notes)


def test_yes_no_booleans_declare_their_values(write):
    f = field(infer(write, "smoker\nyes\nNo\nYES\n"), "smoker")
    assert f["type"] == "boolean"
    assert "Yes" in f["trueValues"] and "NO" in f["falseValues"]


def test_decimal_comma_in_semicolon_files(write):
    prof = infer(write, "id;weight\n1;70,5\n2;81\n3;64,25\n")
    f = field(prof, "weight")
    assert (f["type"], f["decimalChar"]) == ("number", ",")
    assert prof.report.column("weight").max == 81
    assert validate(open_table(write("t.csv", "id;weight\n1;70,5\n")), prof.schema).valid


def test_blank_and_duplicate_headers_get_usable_names_and_errors(write):
    prof = infer(write, "a,,a\n1,2,3\n")
    assert [f["name"] for f in prof.schema["fields"]] == ["a", "field2", "a2"]
    assert prof.report.error_counts == {"blank-label": 1, "duplicate-label": 1}


def test_inferred_schema_is_plain_json_and_a_valid_table_schema(write):
    prof = infer(write, "id,x,d\n1,NA,2020-01-01\n2,3.5,\n")
    assert json.loads(json.dumps(prof.schema)) == prof.schema
    assert check_schema(prof.schema) == []


def test_inferred_schema_is_accepted_by_frictionless(write):
    frictionless = pytest.importorskip("frictionless")
    prof = infer(write, "id,arm,x,d\n1,A,NA,2020-01-01\n2,B,3.5,\n")
    schema = frictionless.Schema.from_descriptor(prof.schema)
    assert [f.type for f in schema.fields] == ["integer", "string", "number", "date"]
    report = frictionless.validate(frictionless.Schema.to_descriptor(schema))
    assert report.valid, report.flatten(["type", "note"])


def test_parquet_declared_types_are_kept(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "p.parquet"
    pq.write_table(pa.table({"n": pa.array([1.0, 2.0]), "s": pa.array(["1", "2"])}), path)
    prof = profile(open_table(path))
    assert [f["type"] for f in prof.schema["fields"]] == ["number", "integer"]


# ------------------------------------------------ against a reference --


def reference_type(values: list[str]) -> str:
    """The obvious, slow definition of the inferred type."""
    present = [v for v in values if v not in MISSING_CANDIDATES]
    if not present:
        return "string"
    if all(v in ("true", "false", "True", "False", "TRUE", "FALSE") for v in present):
        return "boolean"

    def plain(v: str) -> bool:  # no leading zeros, no spaces or underscores
        digits = v.lstrip("+-")
        return (
            not (len(digits) > 1 and digits[0] == "0" and digits[1].isdigit())
            and not any(c in v for c in " _")
            and v.lower() not in ("inf", "nan")
        )

    def is_int(v: str) -> bool:
        try:
            int(v)
        except ValueError:
            return False
        return plain(v) and len(v.lstrip("+-")) <= 18

    def is_float(v: str) -> bool:
        if re.fullmatch(r"[+-]?\d{19,}", v):
            return False  # a long run of digits is a code, not a quantity
        try:
            return plain(v) and math.isfinite(float(v)) and not re.search(r"[a-df-zA-DF-Z]", v)
        except ValueError:
            return False

    def is_date(v: str) -> bool:
        try:
            return re.fullmatch(r"\d{4}-\d{2}-\d{2}", v) is not None and bool(
                dt.date.fromisoformat(v)
            )
        except ValueError:
            return False

    if all(is_int(v) for v in present):
        return "integer"
    if all(is_float(v) for v in present):
        return "number"
    if all(is_date(v) for v in present):
        return "date"
    return "string"


cells = st.one_of(
    st.integers(-(10**6), 10**6).map(str),
    st.floats(allow_nan=False, allow_infinity=False, width=32).map(repr),
    st.dates(dt.date(1900, 1, 1), dt.date(2099, 12, 31)).map(str),
    st.sampled_from(["true", "False", "NA", "", ".", "0042", "2020-02-30", "x", "1.2.3"]),
)


@settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    columns=st.lists(st.lists(cells, min_size=1, max_size=40), min_size=1, max_size=4).filter(
        lambda cols: len({len(c) for c in cols}) == 1
    )
)
def test_inferred_types_match_the_reference_and_the_file_validates(tmp_path_factory, columns):
    path = Path(tmp_path_factory.mktemp("inf")) / "t.csv"
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow([f"c{i}" for i in range(len(columns))])
    writer.writerows(zip(*columns, strict=True))
    path.write_text(buf.getvalue())
    table = open_table(path)
    prof = profile(table)
    got = [f["type"] for f in prof.schema["fields"]]
    assert got == [reference_type(c) for c in columns]
    report = validate(table, prof.schema)
    assert report.valid, report.errors[:3]
    assert [c.to_dict() for c in report.columns] == [c.to_dict() for c in prof.report.columns]
