"""One vocabulary: every measure, method and outcome type is a string with a label, and
each kind of analysis offers the measures its models estimate."""

from __future__ import annotations

import json

import pytest

from analysis import (
    MEASURE_LABELS,
    METHOD_LABELS,
    OUTCOME_TYPE_LABELS,
    ROLE_LABELS,
    STAGE_LABELS,
    STUDY_EFFECT_LABELS,
    Kind,
    Measure,
    Method,
    OutcomeType,
    Stage,
    StudyEffect,
    StudyTable,
)
from analysis.vocabulary import TEST_LABELS, CoefficientTest


@pytest.mark.parametrize(
    "words, labels",
    [
        (Measure, MEASURE_LABELS),
        (Method, METHOD_LABELS),
        (OutcomeType, OUTCOME_TYPE_LABELS),
        (Stage, STAGE_LABELS),
        (StudyEffect, STUDY_EFFECT_LABELS),
        (CoefficientTest, TEST_LABELS),
    ],
)
def test_every_word_is_its_text_and_has_a_label(words, labels):
    assert set(labels) == set(words)
    for word in words:
        assert word == word.value and isinstance(word, str)
        assert json.loads(json.dumps({"x": word})) == {"x": word.value}
        assert word.label == labels[word.value]  # stored text finds the label too


def test_the_measures_each_kind_of_analysis_offers():
    assert Kind.AGGREGATE.measures == (
        *("OR", "RR", "RD", "MD", "SMD", "ROM", "COR", "ZCOR", "PLO", "PR", "PAS", "IRR", "IRD"),
    )
    # participant-level data give two-arm outcomes only: no correlations, rates or proportions
    assert Kind.PARTICIPANT.measures == ("OR", "RR", "RD", "MD", "SMD", "HR")
    assert Stage.ONE_STAGE.measures == ("OR", "MD", "HR")
    assert [t.default_measure for t in OutcomeType] == ["OR", "MD", "HR"]


def test_measures_know_their_outcome_roles_and_scale():
    assert Measure.RR.roles == ("ai", "n1i", "ci", "n2i")
    assert Measure.SMD.roles == ("m1i", "sd1i", "n1i", "m2i", "sd2i", "n2i")
    assert Measure.HR.roles == () and Measure.HR.outcome_type == OutcomeType.TIME_TO_EVENT
    assert {m for m in Measure if m.is_ratio} == {"OR", "RR", "HR", "ROM", "IRR"}
    assert set(ROLE_LABELS) == {r for m in Measure for r in m.roles}
    assert Measure.IRR.roles == ("x1i", "t1i", "x2i", "t2i") and Measure.IRR.outcome_type is None
    assert Measure.PLO.table == StudyTable.PROPORTIONS and Measure.ZCOR.roles == ("ri", "ni")


def test_methods_are_inverse_variance_or_work_on_tables():
    assert [m for m in Method if not m.is_inverse_variance] == ["MH", "PETO"]
    assert [m for m in Method if m.estimates_tau2] == [
        "DL",
        "REML",
        "PM",
        "ML",
        "HE",
        "SJ",
        "EB",
        "HS",
        "HSK",
        "GENQ",
    ]
