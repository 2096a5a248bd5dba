"""Dataset metadata: validation errors always name the field."""

from __future__ import annotations

import pytest

from datasets.errors import MetadataError
from datasets.metadata import (
    DatasetMetadata,
    check_doi,
    check_licence,
    check_registry_id,
    normalise_doi,
)

VALID = {
    "title": "Trial",
    "description": "About the trial.",
    "licence": "CC0-1.0",
}


def problems_for(**changes):
    with pytest.raises(MetadataError) as err:
        DatasetMetadata.from_dict({**VALID, **changes})
    return {p["field"]: p["message"] for p in err.value.problems}


def test_minimal_metadata_is_valid_and_round_trips():
    meta = DatasetMetadata.from_dict(VALID)
    assert meta.level == "participant"
    assert DatasetMetadata.from_dict(meta.to_dict()) == meta


def test_required_fields():
    with pytest.raises(MetadataError) as err:
        DatasetMetadata.from_dict({"title": "x"})
    assert {p["field"] for p in err.value.problems} == {"description", "licence"}


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"licence": "CC-BY-NC-4.0"}, "licence"),
        ({"licence": ""}, "licence"),
        ({"level": "summary"}, "level"),
        ({"n_participants": -1}, "n_participants"),
        ({"n_participants": "12"}, "n_participants"),
        ({"registry_ids": ["NCT123"]}, "registry_ids"),
        ({"registry_ids": ["trial 7"]}, "registry_ids"),
        ({"doi": "10.1/x"}, "doi"),
        ({"contact": "someone"}, "contact"),
        ({"study_design": "anecdote"}, "study_design"),
        ({"conditions": "asthma"}, "conditions"),
        ({"sources": [{"title": "x", "path": "not a url"}]}, "sources"),
        ({"colour": "blue"}, "colour"),
        ({"title": "x" * 301}, "title"),
    ],
)
def test_each_invalid_field_is_named(changes, field):
    assert field in problems_for(**changes)


def test_all_problems_are_reported_at_once():
    found = problems_for(licence="GPL", doi="nope", level="x")
    assert set(found) == {"licence", "doi", "level"}


@pytest.mark.parametrize(
    "rid",
    [
        "NCT01234567",
        "nct01234567",
        "ISRCTN12345678",
        "2004-123456-12",
        "2022-500001-23-00",
        "ACTRN12610000123456",
        "CTRI/2020/01/123456",
        "DRKS00012345",
        "CRD42019123456",
        "ChiCTR2000029308",
    ],
)
def test_registry_ids_accepted(rid):
    assert check_registry_id(rid) is None


def test_registry_id_errors_say_which_registry_was_meant():
    assert "ClinicalTrials.gov" in check_registry_id("NCT1234")
    assert "not a recognised" in check_registry_id("XYZ-1")


def test_doi_forms():
    assert normalise_doi("https://doi.org/10.1056/NEJMoa1111103") == "10.1056/NEJMoa1111103"
    assert normalise_doi("doi:10.1200/JCO.1989.7.10.1447") == "10.1200/JCO.1989.7.10.1447"
    assert check_doi("10.1056/NEJMoa1111103") is None
    assert check_doi("11.1056/x") is not None
    meta = DatasetMetadata.from_dict({**VALID, "doi": "https://dx.doi.org/10.1000/ABC"})
    assert meta.doi == "10.1000/ABC"


def test_licence_expressions():
    assert check_licence("GPL-2.0-only OR GPL-3.0-only") is None
    assert check_licence("GPL-2.0-only OR Proprietary") is not None
    meta = DatasetMetadata.from_dict({**VALID, "licence": "ODbL-1.0"})
    assert meta.licences()[0].url.startswith("https://opendatacommons.org/")
