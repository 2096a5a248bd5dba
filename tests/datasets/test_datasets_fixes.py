"""De-identification fixes are pure: a new file, an updated schema and a record."""

from __future__ import annotations

import csv
import io
import json
import zipfile

import pytest

from datasets.errors import FixError
from datasets.export import export_datapackage
from datasets.fixes import (
    DatesToDays,
    DatesToYear,
    DropColumn,
    FirstCharacters,
    RenameColumn,
    TopCodeAges,
    UkOutwardCodes,
    ZipsTo3,
    apply_fixes,
    fix_from_dict,
    fix_to_dict,
    offer,
)
from datasets.inference import profile
from datasets.reading import open_table
from datasets.screening import screen
from datasets.validation import validate

TEXT = (
    "id,name,age,zip,randomised,died,note\n"
    "1,Ann Lee,45,SW1A 1AA,2020-01-10,2020-03-01,a\n"
    "2,Raj Patel,92,EC1A 1BB,2020-02-01,NA,b\n"
    "3,Zoe Martin,90,021,2019-12-31,2021-01-01,c\n"
    "4,Tom Hall,NA,,2020-02-29,2020-02-28,d\n"
)


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.reader(fh))


@pytest.fixture
def source(write):
    return write("in.csv", TEXT)


def test_each_fix_transforms_only_its_column_and_says_what_it_did(source, tmp_path):
    before = source.read_bytes()
    out = tmp_path / "out.csv"
    result = apply_fixes(
        source,
        [
            DropColumn("name"),
            TopCodeAges("age"),
            UkOutwardCodes("zip"),
            DatesToDays("died", reference="randomised"),
            DatesToYear("randomised"),
        ],
        out,
    )
    assert source.read_bytes() == before  # the input is never touched
    assert read_csv(out) == [
        ["id", "age", "zip", "randomised", "died", "note"],
        ["1", "45", "SW1A", "2020", "51", "a"],
        ["2", "90", "EC1A", "2020", "NA", "b"],
        ["3", "90", "", "2019", "367", "c"],
        ["4", "NA", "", "2020", "-1", "d"],
    ]
    assert [(r.fix, r.column, r.cells_changed, r.cells_cleared) for r in result.records] == [
        ("drop_column", "name", 0, 0),
        ("top_code_ages", "age", 1, 0),
        ("uk_outward_codes", "zip", 2, 1),
        ("dates_to_days", "died", 3, 0),
        ("dates_to_year", "randomised", 4, 0),
    ]
    assert "1 value(s) that are not UK postcodes were left empty" in result.records[2].description
    assert "days since 'randomised'" in result.records[3].description
    assert result.rows == 4 and len(result.sha256) == 64 and result.size == out.stat().st_size


def test_the_schema_follows_the_fixes_and_the_new_file_validates(source, tmp_path):
    schema = profile(open_table(source)).schema
    out = tmp_path / "out.csv"
    result = apply_fixes(
        source,
        [
            DropColumn("name"),
            TopCodeAges("age"),
            UkOutwardCodes("zip"),
            DatesToDays("died", "randomised"),
            DatesToYear("randomised"),
        ],
        out,
        schema=schema,
    )
    fields = {f["name"]: f for f in result.schema["fields"]}
    assert "name" not in fields
    assert fields["age"]["type"] == "integer"
    assert "Values of 90 and over recorded as 90." in fields["age"]["description"]
    assert [t["fix"] for t in fields["age"]["transformations"]] == ["top_code_ages"]
    assert (
        "values of 90 and over recorded as 90" in fields["age"]["transformations"][0]["description"]
    )
    assert [t["fix"] for t in fields["zip"]["transformations"]] == ["uk_outward_codes"]
    assert (fields["died"]["type"], fields["died"]["unit"]) == ("integer", "days")
    assert fields["randomised"]["type"] == "integer"
    assert result.schema["primaryKey"] == ["id"]
    assert validate(out, result.schema).valid
    assert not screen(out, result.schema).blocking


def test_top_coding_keeps_ages_numeric_and_screening_accepts_it(source, tmp_path):
    out = tmp_path / "o.csv"
    schema = profile(open_table(source)).schema
    result = apply_fixes(source, [TopCodeAges("age")], out, schema=schema)
    assert [r[2] for r in read_csv(out)[1:]] == ["45", "90", "90", "NA"]
    assert next(f for f in result.schema["fields"] if f["name"] == "age")["type"] == "integer"
    ages = [f for f in screen(out, result.schema).findings if f.column == "age"]
    assert [f.kind for f in ages] == ["age"]  # a quasi-identifier, no longer an identifier
    # A file merely holding 90, without the record that it is top-coded, is still flagged.
    assert any(f.kind == "age-over-89" for f in screen(out).findings)


@pytest.mark.parametrize(
    ("values", "expected", "cleared"),
    [
        # With or without the space, any case: the outward code is what precedes
        # the last three characters, never the first three.
        (
            ["M1 1AE", "M11AE", "m1 1ae", " sw1a 1aa ", "EC1A1BB"],
            ["M1", "M1", "M1", "SW1A", "EC1A"],
            0,
        ),
        (
            ["B33 8TH", "CR2 6XH", "DN55 1PT", "W1A 0AX", "GIR 0AA"],
            ["B33", "CR2", "DN55", "W1A", "GIR"],
            0,
        ),
        # Outward codes alone are already as coarse as allowed.
        (["M1", "sw1a", "NA"], ["M1", "SW1A", "NA"], 0),
        # Not postcodes: emptied and counted, never cut into something that looks like one.
        (["M1 1AE", "12345", "QQ1 1AA", "hello world"], ["M1", "", "", ""], 3),
    ],
)
def test_uk_postcodes_to_the_outward_code(write, tmp_path, values, expected, cleared):
    path = write("p.csv", "id,postcode\n" + "".join(f"{i},{v}\n" for i, v in enumerate(values)))
    schema = {
        "fields": [{"name": "id", "type": "integer"}, {"name": "postcode", "type": "string"}],
        "missingValues": ["", "NA"],
    }
    result = apply_fixes(path, [UkOutwardCodes("postcode")], tmp_path / "o.csv", schema=schema)
    assert [row[1] for row in read_csv(tmp_path / "o.csv")[1:]] == expected
    assert result.records[0].cells_cleared == cleared
    assert "outward code" in result.records[0].description


def test_the_generic_cut_says_what_it_does(write, tmp_path):
    path = write("p.csv", "id,code\n1,75008 Paris\n2,1010\n3,\n")
    result = apply_fixes(path, [FirstCharacters("code", 2)], tmp_path / "o.csv")
    assert [row[1] for row in read_csv(tmp_path / "o.csv")[1:]] == ["75", "10", ""]
    assert "first 2 character(s)" in result.records[0].description
    assert "no country's postcode rule" in offer(fix_to_dict(FirstCharacters("code", 2)))


def test_earlier_fix_names_mean_the_corrected_fixes():
    assert fix_from_dict({"fix": "ages_to_90_plus", "column": "age", "label": "90+"}) == (
        TopCodeAges("age")
    )
    assert fix_from_dict({"fix": "postcodes_to_3", "column": "pc"}) == FirstCharacters("pc", 3)
    assert "M1 1AE' becomes 'M1'" in offer({"fix": "uk_outward_codes", "column": "pc"})


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        # Text: ZIP and ZIP+4; 036 and 893 hold 20,000 people or fewer.
        (["02139", "10001-1234", "03601", "89301", "NA"], ["021", "100", "000", "000", "NA"]),
        # Already three digits, a ZIP+4 without its dash, and what no ZIP code is.
        (["021", "100011234", "M1 1AE", "123456"], ["021", "100", "", ""]),
        # Whole numbers lost their leading zeros.
        (["2139", "10001", "94110", "94110", "60614"], ["021", "100", "941", "941", "606"]),
    ],
)
def test_zip_codes_to_three_digits_under_safe_harbor(write, tmp_path, values, expected):
    path = write("z.csv", "id,area\n" + "".join(f"{i},{v}\n" for i, v in enumerate(values)))
    result = apply_fixes(path, [ZipsTo3("area")], tmp_path / "o.csv")
    assert [row[1] for row in read_csv(tmp_path / "o.csv")[1:]] == expected
    assert result.schema["fields"][1]["type"] == "string"
    assert "ZIP code(s)" in result.records[0].description
    assert screen(tmp_path / "o.csv", result.schema).blocking is False


def test_rename_and_dict_form(source, tmp_path):
    fixes = [
        {"fix": "rename_column", "column": "note", "new_name": "comment"},
        {"fix": "drop_column", "column": "id"},
    ]
    result = apply_fixes(source, fixes, tmp_path / "o.csv")
    assert result.header[-1] == "comment" and "id" not in result.header
    assert "primaryKey" not in result.schema
    assert fix_to_dict(fix_from_dict(fixes[0])) == fixes[0]


def test_fixes_can_write_to_a_stream(source):
    buf = io.BytesIO()
    apply_fixes(source, [DropColumn("name")], buf)
    assert buf.getvalue().startswith(b"id,age,zip")


@pytest.mark.parametrize(
    ("fixes", "message"),
    [
        ([DropColumn("nope")], "no column"),
        ([DatesToYear("age")], "not a date"),
        ([TopCodeAges("name")], "not numeric"),
        ([FirstCharacters("name", 0)], "from 1 to 50"),
        ([DatesToDays("died", "note")], "not a date"),
        ([DropColumn("age"), TopCodeAges("age")], "more than one fix"),
        ([RenameColumn("id", "note")], "already used"),
        ([{"fix": "shred", "column": "id"}], "Unknown fix"),
        ([{"fix": "drop_column", "colum": "id"}], "Bad parameters"),
    ],
)
def test_bad_fixes_are_refused_before_anything_is_written(source, tmp_path, fixes, message):
    out = tmp_path / "o.csv"
    with pytest.raises(FixError, match=message):
        apply_fixes(source, fixes, out)
    assert not out.exists()


def test_unreadable_dates_are_emptied_and_counted(write, tmp_path):
    path = write("d.csv", "d\n2020-01-01\nsoon\n")
    schema = {"fields": [{"name": "d", "type": "date"}]}
    out = tmp_path / "o.csv"
    result = apply_fixes(path, [DatesToYear("d")], out, schema=schema)
    assert read_csv(out)[1:] == [["2020"], [""]]
    assert result.records[0].cells_cleared == 1 and "emptied" in result.records[0].description


def test_a_fixed_version_is_still_a_valid_data_package(source, tmp_path):
    frictionless = pytest.importorskip("frictionless")
    out = tmp_path / "o.csv"
    schema = profile(open_table(source)).schema
    result = apply_fixes(source, [TopCodeAges("age"), UkOutwardCodes("zip")], out, schema=schema)
    meta = {"title": "Fixed", "description": "A fixed table.", "licence": "CC0-1.0"}
    export_datapackage(out, tmp_path / "p.zip", schema=result.schema, metadata=meta)
    with zipfile.ZipFile(tmp_path / "p.zip") as zf:
        zf.extractall(tmp_path / "p")
        descriptor = json.loads(zf.read("datapackage.json"))
    fields = {f["name"]: f for f in descriptor["resources"][0]["schema"]["fields"]}
    assert fields["age"]["transformations"][0]["fix"] == "top_code_ages"
    report = frictionless.validate(str(tmp_path / "p" / "datapackage.json"))
    assert report.valid, report.flatten(["type", "note"])
