"""Exports: formula-safe CSV, Frictionless Data Package and schema.org JSON-LD."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from datasets.cells import csv_text, neutral_cell
from datasets.errors import MetadataError
from datasets.export import (
    dataset_jsonld,
    export_csv,
    export_datapackage,
    is_dangerous,
    neutralise_formulas,
)
from datasets.inference import profile
from datasets.reading import open_table

PAYLOAD = "=cmd|' /C calc'!A0"

META = {
    "title": "Trial of X",
    "description": "A test trial.",
    "licence": "CC-BY-4.0",
    "conditions": ["Asthma"],
    "interventions": ["X"],
    "comparator": "Placebo",
    "outcomes": ["FEV1"],
    "study_design": "randomised-controlled-trial",
    "registry_ids": ["NCT01234567"],
    "doi": "https://doi.org/10.1000/xyz123",
    "keywords": ["asthma"],
    "sources": [{"title": "Original", "path": "https://example.org/data"}],
}


@pytest.fixture
def hostile(write):
    text = io.StringIO()
    w = csv.writer(text, lineterminator="\n")
    w.writerows(
        [
            ["id", "note", "value"],
            ["1", PAYLOAD, "-5"],
            ["2", "+SUM(A1:A2)", "+3.5"],
            ["3", '@HYPERLINK("http://x")', "1e3"],
            ["4", "\tleading tab", "0"],
            ["5", "-", "-"],
            ["6", "plain, with comma", "7"],
        ]
    )
    return write("hostile.csv", text.getvalue())


def test_formulas_are_never_exported_raw(hostile, tmp_path):
    out = tmp_path / "safe.csv"
    result = export_csv(hostile, out)
    raw = out.read_text(encoding="utf-8")
    assert PAYLOAD not in raw.replace("'" + PAYLOAD, "")
    rows = list(csv.reader(io.StringIO(raw)))
    assert rows[1:] == [
        ["1", "'" + PAYLOAD, "-5"],
        ["2", "'+SUM(A1:A2)", "+3.5"],
        ["3", '\'@HYPERLINK("http://x")', "1e3"],
        ["4", "'\tleading tab", "0"],
        ["5", "'-", "'-"],
        ["6", "plain, with comma", "7"],
    ]
    assert result.cells_neutralised == 6 and result.rows == 6
    assert result.sha256 == hashlib.sha256(out.read_bytes()).hexdigest()


def test_neutralising_can_be_switched_off_and_a_bom_added(hostile):
    buf = io.BytesIO()
    export_csv(hostile, buf, neutralise=False, bom=True)
    assert buf.getvalue().startswith(b"\xef\xbb\xbfid,note,value\n1,")
    assert PAYLOAD.encode() in buf.getvalue()


@settings(deadline=None)
@given(st.text(max_size=30))
def test_fast_neutralisation_matches_the_rule(value):
    cells, n = neutralise_formulas(pa.array([value]))
    assert cells[0].as_py() == ("'" + value if is_dangerous(value) else value)
    assert n == int(is_dangerous(value))


@settings(deadline=None)
@given(
    st.lists(
        st.one_of(st.text(max_size=12), st.floats(allow_nan=False), st.integers(), st.none()),
        min_size=1,
        max_size=5,
    )
)
def test_the_small_csv_writer_neutralises_text_keeps_numbers_and_reads_back(row):
    header = [f"={i}" for i in range(len(row))]
    text = csv_text(header, [row])
    back = list(csv.reader(io.StringIO(text, newline="")))
    assert back[0] == ["'" + h for h in header]
    expected = [
        "" if v is None else str(v) if not isinstance(v, str) else neutral_cell(v) for v in row
    ]
    assert back[1] == expected


def test_export_round_trips_other_formats(tmp_path):
    import openpyxl

    wb = openpyxl.Workbook()
    wb.active.append(["a", "b"])
    wb.active.append([1, "x,y"])
    wb.save(tmp_path / "w.xlsx")
    buf = io.BytesIO()
    export_csv(tmp_path / "w.xlsx", buf)
    assert buf.getvalue() == b'a,b\n1,"x,y"\n'


def test_data_package_zip(hostile, tmp_path):
    schema = profile(open_table(hostile)).schema
    out = tmp_path / "pkg.zip"
    result = export_datapackage(hostile, out, schema=schema, metadata=META, version="1.0.0")
    with zipfile.ZipFile(out) as zf:
        assert sorted(zf.namelist()) == ["data/trial-of-x.csv", "datapackage.json"]
        data = zf.read("data/trial-of-x.csv")
        dp = json.loads(zf.read("datapackage.json"))
    assert PAYLOAD.encode() not in data.replace(b"'" + PAYLOAD.encode(), b"")
    res = dp["resources"][0]
    assert (
        res["hash"]
        == "sha256:" + hashlib.sha256(data).hexdigest()
        == "sha256:" + result.data_sha256
    )
    assert res["bytes"] == len(data) and res["schema"] == schema
    assert dp["licenses"] == [
        {
            "name": "CC-BY-4.0",
            "path": "https://creativecommons.org/licenses/by/4.0/",
            "title": "Creative Commons Attribution 4.0 International",
        }
    ]
    assert dp["sources"] == META["sources"] and dp["version"] == "1.0.0"
    assert dp["trial"]["registry_ids"] == ["NCT01234567"]
    assert dp["trial"]["doi"] == "10.1000/xyz123"
    assert result.sha256 == hashlib.sha256(out.read_bytes()).hexdigest()


def test_data_package_is_valid_for_frictionless(write, tmp_path):
    frictionless = pytest.importorskip("frictionless")
    path = write("t.csv", "id,arm,x,when\n1,A,NA,2020-01-01\n2,B,3.5,\n")
    schema = profile(open_table(path)).schema
    export_datapackage(path, tmp_path / "p.zip", schema=schema, metadata=META)
    with zipfile.ZipFile(tmp_path / "p.zip") as zf:
        zf.extractall(tmp_path / "p")
    report = frictionless.validate(str(tmp_path / "p" / "datapackage.json"))
    assert report.valid, report.flatten(["type", "note"])


def test_data_package_refuses_bad_metadata_naming_fields(hostile, tmp_path):
    schema = profile(open_table(hostile)).schema
    with pytest.raises(MetadataError) as err:
        export_datapackage(
            hostile,
            tmp_path / "p.zip",
            schema=schema,
            metadata={**META, "licence": "proprietary", "doi": "nope"},
        )
    assert {p["field"] for p in err.value.problems} == {"licence", "doi"}


def test_jsonld_dataset(write):
    path = write("t.csv", "id,weight_kg\n1,70\n")
    schema = profile(open_table(path)).schema
    doc = dataset_jsonld(
        META,
        schema=schema,
        url="https://portal.example/d/1",
        download_url="https://portal.example/d/1.csv",
        sha256="ab" * 32,
        size=10,
        date_published="2024-05-01",
        version="1",
    )
    assert doc["@context"] == "https://schema.org/" and doc["@type"] == "Dataset"
    assert doc["license"] == "https://creativecommons.org/licenses/by/4.0/"
    assert doc["identifier"] == ["https://doi.org/10.1000/xyz123", "NCT01234567"]
    assert doc["mainEntity"]["@type"] == "MedicalTrial"
    assert doc["mainEntity"]["trialDesign"] == "https://schema.org/RandomizedTrial"
    assert doc["variableMeasured"][1] == {
        "@type": "PropertyValue",
        "name": "weight_kg",
        "alternateName": "Weight kg",
        "unitText": "kg",
    }
    assert doc["distribution"][0]["contentUrl"].endswith("1.csv")
    assert json.loads(json.dumps(doc)) == doc
