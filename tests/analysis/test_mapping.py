"""The builder's first guess of a mapping, and the one check every mapping passes."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

import analysis
from analysis.mapping import check_mapping, suggest_aggregate, suggest_participant


def fields(*names: str, **roles: str) -> list[dict]:
    """Schema fields named ``names``; ``role=name`` gives a column its dictionary role."""
    role_of = {name: role for role, name in roles.items()}
    return [{"name": n, **({"role": role_of[n]} if n in role_of else {})} for n in names]


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        (
            ("study", "year", "events_treat", "n_treat", "events_ctrl", "n_ctrl"),
            {"ai": "events_treat", "n1i": "n_treat", "ci": "events_ctrl", "n2i": "n_ctrl"},
        ),
        (("ai", "n1i", "ci", "n2i"), {"ai": "ai", "n1i": "n1i", "ci": "ci", "n2i": "n2i"}),
        (
            ("Trial", "mean_t", "sd_t", "n_t", "mean_c", "sd_c", "n_c"),
            {
                "m1i": "mean_t",
                "sd1i": "sd_t",
                "n1i": "n_t",
                "m2i": "mean_c",
                "sd2i": "sd_c",
                "n2i": "n_c",
            },
        ),
        (("EventsTreatment", "TotalTreatment", "EventsControl", "TotalControl"), None),
    ],
)
def test_aggregate_columns_are_recognised_by_their_names(names, expected):
    guess = suggest_aggregate(fields(*names))
    if expected is None:
        expected = {
            "ai": "EventsTreatment",
            "n1i": "TotalTreatment",
            "ci": "EventsControl",
            "n2i": "TotalControl",
        }
    assert guess["columns"] == expected


def test_the_study_and_year_come_from_the_dictionary_role_then_the_name():
    guess = suggest_aggregate(fields("Trial name", "Year", "x", study_id="Trial name"))
    assert (guess["study"], guess["year"]) == ("Trial name", "Year")
    assert guess["columns"] == {}  # nothing recognisable: nothing guessed


def test_a_half_recognised_outcome_is_left_unmapped_rather_than_stop_the_next_step():
    assert suggest_aggregate(fields("events_treat", "n_treat", "events_ctrl"))["columns"] == {}


def test_two_candidates_for_one_role_are_not_guessed_between():
    guess = suggest_aggregate(
        fields("events_treat", "deaths_treat", "n_treat", "events_ctrl", "n_ctrl")
    )
    assert "ai" not in guess["columns"]


def test_participant_roles_come_from_the_data_dictionary_and_values_from_the_top_values():
    guess = suggest_participant(
        fields("id", "rx", "status", "age", "site", arm="rx", outcome="status", covariate="age"),
        {"rx": ["Placebo", "Aspirin"], "status": ["yes", "no"]},
    )
    assert guess["arm"] == "rx" and guess["outcome"] == "status"
    assert (guess["treatment"], guess["control"]) == ("Aspirin", "Placebo")
    assert guess["outcome_type"] == "binary" and guess["event_values"] == ["yes"]
    assert guess["covariates"] == {"age": "age"}
    assert guess["study"] == "site"  # by name: no study_id role


def test_time_and_event_columns_suggest_a_time_to_event_outcome():
    guess = suggest_participant(fields("arm", "futime", "dead", time="futime", event="dead"))
    assert guess["outcome_type"] == "time-to-event"
    assert (guess["time"], guess["event"]) == ("futime", "dead")


BCG = ["Study", "BCGTB", "BCGVacc", "NoVaccTB", "NoVacc", "Year"]
BCG_COLUMNS = {"ai": "BCGTB", "n1i": "BCGVacc", "ci": "NoVaccTB", "n2i": "NoVacc"}


def refused(kind: str, h: dict, columns: dict) -> analysis.AnalysisInputError:
    with pytest.raises(analysis.AnalysisInputError) as caught:
        check_mapping(kind, h, columns)
    return caught.value


def test_a_complete_aggregate_mapping_passes():
    check_mapping("aggregate", {"columns": BCG_COLUMNS, "study": "Study"}, {"bcg": BCG})


@pytest.mark.parametrize(
    ("h", "field", "words"),
    [
        ({}, "columns", "choose the columns of the outcome"),
        ({"columns": {"ai": "", "n1i": None}}, "columns", "choose the columns"),
        ({"columns": {**BCG_COLUMNS, "n2i": ""}}, "n2i", "Total, control (n2i)"),
        ({"columns": {**BCG_COLUMNS, "ai": "TB"}}, "ai", "column 'TB' chosen for Events"),
        ({"columns": BCG_COLUMNS, "year": "When"}, "year", "column 'When' chosen for year"),
        ({"columns": {**BCG_COLUMNS, "ci": "BCGTB"}}, "ci", "chosen for both"),
        ({"columns": {"m1i": "BCGTB"}}, "sd1i", "SD, treatment"),
        ({"columns": {"zi": "BCGTB"}}, "columns", "'zi' is not a role"),
    ],
)
def test_an_aggregate_mapping_that_could_not_run_is_refused_naming_the_field(h, field, words):
    error = refused("aggregate", h, {"bcg": BCG})
    assert (error.study, error.field) == ("bcg", field)
    assert words in error.reason


TRIAL = ["id", "arm", "outcome", "age"]


def participant(**changes) -> dict:
    mapping = {"arm": "arm", "treatment": "a", "control": "b", "outcome": "outcome"}
    mapping.update(changes)
    return {"outcome_type": "binary", "datasets": {"t1": mapping}}


@pytest.mark.parametrize(
    ("h", "field", "words"),
    [
        (participant(arm=""), "arm", "no column mapped for 'arm'"),
        (participant(treatment=""), "treatment", "choose the treatment value"),
        (participant(outcome="died"), "outcome", "column 'died' chosen for outcome"),
        (participant(outcome=None), "outcome", "choose the outcome column"),
        (participant(covariates={"age": "AGE"}), "covariates", "'AGE'"),
        ({**participant(), "outcome_type": ""}, "outcome_type", "choose the outcome type"),
    ],
)
def test_a_participant_mapping_that_could_not_run_is_refused_naming_the_dataset(h, field, words):
    error = refused("participant", h, {"t1": TRIAL})
    assert error.field == field and words in error.reason
    if field != "outcome_type":
        assert error.study == "t1"


def test_a_covariate_mapped_in_one_dataset_must_be_mapped_in_every_one():
    h = participant(covariates={"age": "age"})
    h["datasets"]["t2"] = dict(h["datasets"]["t1"], covariates={})
    error = refused("participant", h, {"t1": TRIAL, "t2": TRIAL})
    assert (error.study, error.field) == ("t2", "covariates")


names = st.lists(
    st.sampled_from(
        ["study", "year", "events_treat", "n_treat", "events_ctrl", "n_ctrl", "ai", "n1i",
         "ci", "n2i", "mean_t", "sd_t", "n_t", "mean_c", "sd_c", "n_c", "x", "Trial"]
    ),
    unique=True,
)  # fmt: skip


@given(names)
def test_a_guess_names_only_columns_that_exist_and_a_guessed_outcome_always_passes(columns):
    guess = suggest_aggregate(fields(*columns))
    chosen = [c for c in [*guess["columns"].values(), guess["study"], guess["year"]] if c]
    assert set(chosen) <= set(columns)
    if guess["columns"]:
        check_mapping("aggregate", guess, {"d": columns})
