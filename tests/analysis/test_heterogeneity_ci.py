"""Q-profile confidence intervals for tau^2, I^2 and H^2 (metafor's ``confint(rma)``)."""

from __future__ import annotations

import numpy as np
import pytest
from analysis_reference_data import bcg
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from analysis.effect_sizes import effect_sizes_from_estimates, effect_sizes_from_table
from analysis.heterogeneity import tau2_confint
from analysis.pooling import meta_analysis, pool

BCG_COLUMNS = {"ai": "tpos", "n1i": "n1", "ci": "cpos", "n2i": "n2"}


@pytest.fixture(scope="module")
def bcg_rr():
    return effect_sizes_from_table(bcg(), "RR", BCG_COLUMNS, study="trial")


def slow_q_profile(yi, vi, level=0.95):
    """Obviously-correct reference: Q(tau^2) = y'Py with explicit k x k matrices, each bound
    found by plain bisection to machine precision."""
    y, v = np.asarray(yi, float), np.asarray(vi, float)
    k = len(y)
    X = np.ones((k, 1))

    def q(tau2):
        W = np.diag(1 / (v + tau2))
        P = W - W @ X @ np.linalg.inv(X.T @ W @ X) @ X.T @ W
        return float(y @ P @ y)

    def solve(target):
        if q(0.0) < target:
            return 0.0
        lo, hi = 0.0, 100.0
        for _ in range(200):
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if q(mid) > target else (lo, mid)
        return (lo + hi) / 2

    alpha = 1 - level
    return solve(stats.chi2.isf(alpha / 2, k - 1)), solve(stats.chi2.ppf(alpha / 2, k - 1))


def test_bcg_reml_matches_metafor_documentation(bcg_rr):
    # metafor's confint() example on dat.bcg (log risk ratios, REML):
    # tau^2 = 0.3132, 95% CI [0.1197, 1.1115]
    result = pool(bcg_rr, "REML")
    assert round(result.tau2, 4) == 0.3132
    ci = result.heterogeneity_ci
    assert (round(ci.tau2_low, 4), round(ci.tau2_high, 4)) == (0.1197, 1.1115)
    assert ci.tau2_low < result.tau2 < ci.tau2_high
    assert ci.i2_low < result.i2 < ci.i2_high and ci.h2_low < result.h2 < ci.h2_high
    # I^2 and H^2 bounds are the tau^2 bounds through the same typical variance s^2
    s2 = result.tau2 * (100 - result.i2) / result.i2
    assert ci.i2_low == pytest.approx(100 * ci.tau2_low / (s2 + ci.tau2_low), rel=1e-10)
    assert ci.h2_high == pytest.approx(ci.tau2_high / s2 + 1, rel=1e-10)
    data = result.to_dict()
    assert data["tau2_ci_low"] == ci.tau2_low and data["heterogeneity_ci_method"] == "Q-profile"


def test_the_interval_does_not_depend_on_the_tau2_estimator(bcg_rr):
    # Q-profile inverts Q(tau^2); the estimator only moves the point estimate
    bounds = {m: pool(bcg_rr, m).heterogeneity_ci for m in ("REML", "DL", "PM")}
    assert bounds["DL"].tau2_low == bounds["REML"].tau2_low == bounds["PM"].tau2_low
    assert bounds["DL"].tau2_high == bounds["REML"].tau2_high
    assert pool(bcg_rr, "FE").heterogeneity_ci is None


def test_agrees_with_the_slow_reference(bcg_rr):
    low, high = slow_q_profile(bcg_rr.yi, bcg_rr.vi)
    ci = tau2_confint(bcg_rr.yi, bcg_rr.vi, tau2=0.3132)
    # uniroot at metafor's tolerance (eps^0.25 ~ 1.2e-4) ...
    assert ci.tau2_low == pytest.approx(low, abs=2.5e-4)
    assert ci.tau2_high == pytest.approx(high, abs=2.5e-4)
    # ... and to machine precision when asked for it
    tight = tau2_confint(bcg_rr.yi, bcg_rr.vi, tau2=0.3132, control={"tol": 1e-13})
    assert tight.tau2_low == pytest.approx(low, abs=1e-10)
    assert tight.tau2_high == pytest.approx(high, abs=1e-10)


def test_homogeneous_studies_give_zero_bounds():
    yi = np.array([0.1, 0.1001, 0.0999, 0.1, 0.1002])
    vi = np.full(5, 0.04)
    ci = meta_analysis(yi, vi, method="REML").heterogeneity_ci
    assert (ci.tau2_low, ci.tau2_high, ci.i2_low, ci.h2_low) == (0.0, 0.0, 0.0, 1.0)


def test_lower_bound_zero_upper_positive():
    yi = np.array([0.0, 0.3, -0.2, 0.25, 0.1])
    vi = np.full(5, 0.04)
    q0 = float(np.sum((yi - yi.mean()) ** 2 / vi))
    assert stats.chi2.ppf(0.025, 4) < q0 < stats.chi2.isf(0.025, 4)
    ci = meta_analysis(yi, vi, method="DL").heterogeneity_ci
    assert ci.tau2_low == 0.0 and ci.tau2_high > 0
    assert ci.tau2_high == pytest.approx(slow_q_profile(yi, vi)[1], abs=2.5e-4)


def test_one_study_has_no_interval():
    result = meta_analysis([0.2], [0.1], method="REML")
    assert result.heterogeneity_ci is None
    assert result.to_dict()["tau2_ci_low"] is None


@settings(max_examples=40, deadline=None)
@given(
    st.integers(2, 12).flatmap(
        lambda k: st.tuples(
            st.lists(st.floats(-2, 2), min_size=k, max_size=k),
            st.lists(st.floats(0.01, 1), min_size=k, max_size=k),
        )
    ),
    st.sampled_from([0.9, 0.95, 0.99]),
)
def test_bounds_solve_the_q_profile_equations(data, level):
    yi, vi = map(np.asarray, data)
    ci = tau2_confint(yi, vi, tau2=0.0, level=level, control={"tol": 1e-12})
    low, high = slow_q_profile(yi, vi, level)
    assert 0 <= ci.tau2_low <= ci.tau2_high
    assert ci.tau2_low == pytest.approx(low, abs=1e-8)
    assert ci.tau2_high == pytest.approx(high, abs=1e-8)


def test_a_tau2_outside_its_interval_is_explained():
    """DL's tau^2 below its own Q-profile interval, as metafor gives it
    (reference/tau2_outside_interval.R), with a note in plain words; PM, built on the
    interval's statistic, lies inside and needs none."""
    yi = [1.509, -0.279, 0.006, -0.136, -0.53, 0.408, 0.504]
    vi = [0.0432, 0.3727, 0.0002, 0.0127, 0.0263, 0.1255, 0.0002]
    dl = pool(effect_sizes_from_estimates(yi, vi), "DL")
    assert dl.tau2 == pytest.approx(0.131459132501563, rel=1e-9)
    assert dl.heterogeneity_ci.tau2_low == pytest.approx(0.144291487125125, rel=1e-6)
    assert dl.heterogeneity_ci.tau2_high == pytest.approx(2.16845750806847, rel=1e-6)
    (note,) = [n for n in dl.notes if "not an error" in n]
    assert "lies below its 95% interval" in note and "metafor gives the same" in note
    assert "not an error" in " ".join(dl.to_dict()["notes"])
    pm = pool(effect_sizes_from_estimates(yi, vi), "PM")
    assert not any("not an error" in n for n in pm.notes)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.floats(-3, 3), st.floats(1e-3, 2)),
        min_size=2,
        max_size=12,
    ),
    st.sampled_from([0.8, 0.9, 0.95, 0.99]),
)
def test_the_paule_mandel_estimate_always_lies_inside_the_interval(studies, level):
    """What the note promises readers."""
    yi, vi = zip(*studies, strict=True)
    pm = pool(effect_sizes_from_estimates(yi, vi), "PM", level=level)
    ci = pm.heterogeneity_ci
    slack = 1e-8 * max(1.0, pm.tau2)
    assert ci.tau2_low - slack <= pm.tau2 <= ci.tau2_high + slack
    assert not any("not an error" in n for n in pm.notes)
