"""The GRADE-style summary of findings drafted from a run's stored results: each rule
on hand-made results at and around its thresholds, then on a real run's results."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from analysis import AnalysisInputError, RunSpec, execute
from analysis.certainty import (
    Domain,
    Rating,
    apply_edits,
    check_edit,
    draft,
    optimal_information_size,
)


def results(
    *,
    measure="RR",
    estimate=-0.3,
    ci=(-0.5, -0.1),
    i2=0.0,
    tau2=0.0,
    pi=None,
    k=5,
    egger=None,
    rank=None,
    studies=None,
):
    pooled = {
        "measure": measure,
        "estimate": estimate,
        "ci_low": ci[0],
        "ci_high": ci[1],
        "i2": i2,
        "tau2": tau2,
        "pi_low": None if pi is None else pi[0],
        "pi_high": None if pi is None else pi[1],
        "k": k,
    }
    if studies is None:
        studies = [{"ci": 100, "n2i": 1000, "ai": 80, "n1i": 1000, "included": True}] * 3
    out = {"pooled": pooled, "effect_sizes": {"studies": studies}}
    if egger is not None:
        out["egger"] = {"pvalue": egger}
    if rank is not None:
        out["ranktest"] = {"pvalue": rank}
    return out


def rating(res, domain):
    return draft(res).rating(domain).rating


def test_risk_of_bias_and_indirectness_wait_for_the_analyst():
    s = draft(results())
    assert rating(results(), Domain.RISK_OF_BIAS) is Rating.NOT_ASSESSED
    assert rating(results(), Domain.INDIRECTNESS) is Rating.NOT_ASSESSED
    assert s.to_dict()["provisional"] and s.not_assessed == ["Risk of bias", "Indirectness"]


def test_the_binary_ois_is_the_sample_of_one_trial_powered_for_a_25_percent_reduction():
    studies = [{"ci": 100, "n2i": 1000, "included": True}]
    p2, p1 = 0.1, 0.075
    z = 1.959963984540054 + 0.8416212335729143
    per_arm = z**2 * (p1 * (1 - p1) + p2 * (1 - p2)) / (p1 - p2) ** 2
    assert optimal_information_size("OR", studies) == 2 * math.ceil(per_arm)
    assert optimal_information_size("SMD", studies) == 2 * math.ceil(2 * z**2 / 0.04)
    assert optimal_information_size("MD", studies) == 400
    assert optimal_information_size("COR", studies) is None


def test_imprecision_serious_when_the_interval_includes_no_effect():
    big = [{"ci": 1000, "n2i": 5000, "ai": 800, "n1i": 5000, "included": True}]
    assert rating(results(studies=big), Domain.IMPRECISION) is Rating.NOT_SERIOUS
    crossing = results(ci=(-0.2, 0.05), studies=big)
    assert rating(crossing, Domain.IMPRECISION) is Rating.SERIOUS
    assert "includes no effect" in draft(crossing).rating(Domain.IMPRECISION).reason


def test_imprecision_serious_when_short_of_the_optimal_information_size():
    small = [{"ci": 10, "n2i": 100, "ai": 5, "n1i": 100, "included": True}]
    res = results(studies=small)
    assert rating(res, Domain.IMPRECISION) is Rating.SERIOUS
    assert "200 participants against an optimal information size" in (
        draft(res).rating(Domain.IMPRECISION).reason
    )


def test_a_correlation_pooled_as_fishers_z_is_quoted_as_a_correlation():
    res = results(measure="ZCOR", ci=(math.atanh(-0.1), math.atanh(0.3)))
    reason = draft(res).rating(Domain.IMPRECISION).reason
    assert "from -0.1 to 0.3" in reason and "includes no effect" in reason


def test_imprecision_very_serious_when_a_ratio_includes_benefit_and_harm():
    res = results(ci=(math.log(0.6), math.log(1.4)))
    assert rating(res, Domain.IMPRECISION) is Rating.VERY_SERIOUS
    # the same width on a difference scale has no appreciable thresholds: serious only
    assert rating(results(measure="MD", ci=(-2, 2)), Domain.IMPRECISION) is Rating.SERIOUS


def test_single_group_proportions_leave_imprecision_to_the_analyst():
    assert rating(results(measure="PLO", ci=(-1, 1)), Domain.IMPRECISION) is Rating.NOT_ASSESSED


@pytest.mark.parametrize(
    "i2, pi, expected",
    [
        (10, (-0.6, -0.05), Rating.NOT_SERIOUS),
        (49.9, None, Rating.NOT_SERIOUS),
        (50, None, Rating.SERIOUS),
        (30, (-0.8, 0.2), Rating.SERIOUS),  # a new study could find no effect
        (80, (-0.9, 0.3), Rating.VERY_SERIOUS),
        (80, (-0.9, -0.01), Rating.SERIOUS),  # considerable, but all on one side
        (80, None, Rating.VERY_SERIOUS),  # a fixed-effect model has no prediction interval
    ],
)
def test_inconsistency_from_i2_and_the_prediction_interval(i2, pi, expected):
    res = results(i2=i2, pi=pi)
    assert rating(res, Domain.INCONSISTENCY) is expected
    assert f"I² = {i2:.0f}%" in draft(res).rating(Domain.INCONSISTENCY).reason


def test_one_study_is_not_inconsistent():
    assert rating(results(k=1, i2=0), Domain.INCONSISTENCY) is Rating.NOT_SERIOUS


@pytest.mark.parametrize(
    "k, egger, rank, expected",
    [
        (12, 0.03, 0.4, Rating.SERIOUS),
        (12, 0.4, 0.09, Rating.SERIOUS),
        (12, 0.10, 0.2, Rating.NOT_SERIOUS),
        (9, 0.001, 0.001, Rating.NOT_SERIOUS),  # too few studies for the tests to rate it
    ],
)
def test_publication_bias_from_the_small_study_tests(k, egger, rank, expected):
    res = results(k=k, egger=egger, rank=rank)
    assert rating(res, Domain.PUBLICATION_BIAS) is expected
    if k < 10:
        assert "fewer than 10" in draft(res).rating(Domain.PUBLICATION_BIAS).reason


def test_certainty_drops_a_level_per_serious_and_two_per_very_serious_concern():
    assert draft(results()).certainty == "High"
    assert draft(results(i2=60)).certainty == "Moderate"
    s = draft(results(i2=80, pi=(-1, 0.5), ci=(math.log(0.5), math.log(1.5))))
    assert s.certainty == "Very low" and s.level == 1  # four levels down, floored at very low


def test_edits_replace_the_draft_with_the_analysts_rating_and_reason():
    s = draft(results())
    edited = apply_edits(
        s, {"risk_of_bias": {"rating": "very serious", "reason": "No allocation concealment."}}
    )
    row = edited.rating(Domain.RISK_OF_BIAS)
    assert row.rating is Rating.VERY_SERIOUS and not row.drafted
    assert row.to_dict()["source"] == "analyst" and edited.certainty == "Low"
    # an edit that does not check (no reason, unknown rating) leaves the draft
    kept = apply_edits(s, {"indirectness": {"rating": "serious", "reason": " "}})
    assert kept.rating(Domain.INDIRECTNESS).rating is Rating.NOT_ASSESSED


@pytest.mark.parametrize(
    "domain, rating_, reason, field",
    [
        ("bias", "serious", "x", "domain"),
        ("imprecision", "awful", "x", "rating_imprecision"),
        ("imprecision", "serious", "  ", "reason_imprecision"),
        ("imprecision", "serious", "x" * 1001, "reason_imprecision"),
    ],
)
def test_an_edit_that_cannot_be_kept_names_its_field(domain, rating_, reason, field):
    with pytest.raises(AnalysisInputError) as caught:
        check_edit(domain, rating_, reason)
    assert caught.value.field == field


def test_a_run_without_a_pooled_estimate_has_nothing_to_grade():
    with pytest.raises(AnalysisInputError, match="pooled estimate"):
        draft({"one_stage": {}})


def test_a_real_runs_results_are_drafted():
    frame = pd.DataFrame(
        {
            "study": list("ABCDEFGHIJKL"),
            "ai": [4, 6, 3, 62, 33, 180, 8, 505, 29, 17, 186, 5],
            "n1i": [123, 306, 231, 13598, 5069, 1541, 2545, 88391, 7499, 1716, 50634, 2498],
            "ci": [11, 29, 11, 248, 47, 372, 10, 499, 45, 65, 141, 3],
            "n2i": [139, 303, 220, 12867, 5808, 1451, 629, 88391, 7277, 1665, 27338, 2341],
        }
    )
    spec = RunSpec.from_options(
        kind="aggregate",
        measure="RR",
        method="REML",
        datasets=["bcg"],
        harmonisation={"columns": {r: r for r in ("ai", "n1i", "ci", "n2i")}, "study": "study"},
    )
    out = execute(spec, {"bcg": frame}).results
    s = draft(out)
    assert s.participants == int(frame[["n1i", "n2i"]].to_numpy().sum())
    assert s.rating(Domain.INCONSISTENCY).rating is Rating.VERY_SERIOUS  # I² above 90%
    assert s.rating(Domain.PUBLICATION_BIAS).rating in (Rating.SERIOUS, Rating.NOT_SERIOUS)
    assert s.to_dict()["domains"][0]["label"] == "Risk of bias"
