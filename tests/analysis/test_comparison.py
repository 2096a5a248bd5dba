"""Comparing two runs' results: each pooled number and each study's weight, old and new."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import analysis
from analysis.comparison import NUMBERS, compare_results

BCG = pd.DataFrame(
    {
        "study": [str(i) for i in range(1, 7)],
        "ai": [4, 6, 3, 62, 33, 180],
        "n1i": [123, 306, 231, 13598, 5069, 1541],
        "ci": [11, 29, 11, 248, 47, 372],
        "n2i": [139, 303, 220, 12867, 5808, 1451],
    }
)
COLUMNS = {r: r for r in ("ai", "n1i", "ci", "n2i")}


def results(frame: pd.DataFrame, measure: str = "RR", method: str = "REML") -> dict:
    spec = analysis.RunSpec.from_options(
        kind="aggregate",
        measure=measure,
        method=method,
        datasets=["d"],
        harmonisation={"columns": COLUMNS, "study": "study"},
    )
    return analysis.execute(spec, {"d": frame}, primary_only=True).results


def test_a_run_compared_with_itself_changed_nothing():
    same = results(BCG)
    diff = compare_results(same, same)
    assert not diff.changed and diff.comparable
    assert all(c.change in (0, None) for c in diff.numbers)
    assert [c.key for c in diff.numbers] == [key for key, _, _ in NUMBERS]


def test_a_new_study_changes_the_numbers_by_new_minus_old_on_the_reported_scale():
    old, new = results(BCG.iloc[:5]), results(BCG)
    diff = compare_results(old, new)
    numbers = {c.key: c for c in diff.numbers}
    estimate = numbers["estimate"]
    assert estimate.old == pytest.approx(old["pooled"]["estimate_exp"])  # RR, not log RR
    assert estimate.new == pytest.approx(new["pooled"]["estimate_exp"])
    assert estimate.change == pytest.approx(estimate.new - estimate.old)
    assert estimate.relative == pytest.approx(estimate.change / abs(estimate.old))
    assert (numbers["k"].old, numbers["k"].new, numbers["k"].change) == (5, 6, 1)
    assert numbers["tau2"].old == pytest.approx(old["pooled"]["tau2"])
    assert diff.added == ("6",) and diff.removed == ()
    weights = {w.key: w for w in diff.weights}
    assert weights["6"].old is None and weights["6"].new == pytest.approx(
        new["pooled"]["studies"][5]["weight"]
    )
    assert sum(w.new for w in diff.weights) == pytest.approx(100)
    body = diff.to_dict()
    assert body["studies_added"] == ["6"] and body["changed"] is True
    assert body["numbers"][0]["key"] == "estimate"


def test_a_model_without_a_prediction_interval_compares_as_missing_not_as_zero():
    diff = compare_results(results(BCG, method="REML"), results(BCG, method="FE"))
    numbers = {c.key: c for c in diff.numbers}
    assert numbers["tau2"].new == 0
    assert numbers["pi_low"].change is None or math.isfinite(numbers["pi_low"].change)


def test_different_measures_are_flagged_as_not_comparable():
    diff = compare_results(results(BCG, "RR"), results(BCG, "OR"))
    assert not diff.comparable and diff.to_dict()["comparable"] is False


def test_an_older_run_without_a_number_compares_it_as_missing():
    new = results(BCG)
    old = {"pooled": {k: v for k, v in new["pooled"].items() if k not in ("i2", "studies")}}
    numbers = {c.key: c for c in compare_results(old, new).numbers}
    assert numbers["i2"].old is None and numbers["i2"].change is None
    assert compare_results({}, new).numbers[0].old is None


finite = st.floats(-1e6, 1e6, allow_nan=False)


@given(st.dictionaries(st.sampled_from([k for k, _, _ in NUMBERS]), finite), st.data())
def test_comparing_the_other_way_round_negates_every_change(before, data):
    after = {k: data.draw(finite) for k in before}
    forward = compare_results({"pooled": before}, {"pooled": after})
    backward = compare_results({"pooled": after}, {"pooled": before})
    for f, b in zip(forward.numbers, backward.numbers, strict=True):
        if f.change is None:
            assert b.change is None
        else:
            assert f.change == pytest.approx(-b.change)
