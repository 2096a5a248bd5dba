"""Properties every meta-analysis must satisfy, checked on generated data."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, reject, settings
from hypothesis import strategies as st
from statsmodels.stats.meta_analysis import combine_effects

from analysis.effect_sizes import binary_effect_sizes, continuous_effect_sizes
from analysis.errors import ConvergenceError
from analysis.pooling import meta_analysis, pool
from analysis.sensitivity import leave_one_out

RE_METHODS = ("DL", "REML", "PM")


@st.composite
def studies(draw, min_k=2, max_k=25):
    k = draw(st.integers(min_k, max_k))
    y = draw(st.lists(st.floats(-3, 3, allow_nan=False), min_size=k, max_size=k))
    v = draw(st.lists(st.floats(0.01, 2.0, allow_nan=False), min_size=k, max_size=k))
    return np.array(y), np.array(v)


@st.composite
def tables(draw, min_k=2, max_k=12):
    k = draw(st.integers(min_k, max_k))
    n1 = np.array(draw(st.lists(st.integers(1, 300), min_size=k, max_size=k)))
    n2 = np.array(draw(st.lists(st.integers(1, 300), min_size=k, max_size=k)))
    a = np.array([draw(st.integers(0, int(n))) for n in n1])
    c = np.array([draw(st.integers(0, int(n))) for n in n2])
    return a, n1, c, n2


common = settings(max_examples=60, deadline=None)


def fit(y, v, **options):
    """``meta_analysis``, where REML's Fisher scoring stopping at its iteration limit
    is not a counter-example: metafor stops on the same studies (see
    ``test_reml_stops_where_metafor_stops``), and the error names the remedy."""
    try:
        return meta_analysis(y, v, **options)
    except ConvergenceError as error:
        assert "maxiter" in str(error)
        reject()


# Drawn by the property tests: metafor 3.8-1's rma(y, v, method="REML",
# test="knha") stops with "Fisher scoring algorithm did not converge"; with
# control=list(maxiter=1000) it gives tau^2 = 0, estimate 0.1083148, SE 0.1725341.
STUCK_Y = [0, 0.5, 0, 0.75, 0, 0, 2.84375, 0, 0.5, -1, 0, 2.5625, -2.5625, 0, 2.125]
STUCK_V = [
    2,
    1.5,
    0.046875,
    0.3125,
    0.1875,
    0.046875,
    1.15625,
    1,
    1.5,
    1,
    1.5,
    1.1875,
    1.15625,
    2,
    1.0625,
]


def test_reml_stops_where_metafor_stops():
    y, v = np.array(STUCK_Y), np.array(STUCK_V)
    with pytest.raises(ConvergenceError, match="maxiter"):
        meta_analysis(y, v, method="REML", hk=True)
    r = meta_analysis(y, v, method="REML", hk=True, control={"maxiter": 1000})
    assert r.tau2 == pytest.approx(0.0, abs=1e-10)
    assert r.estimate == pytest.approx(0.1083148, rel=1e-6)
    assert r.se == pytest.approx(0.1725341, rel=1e-6)


@common
@given(studies(), st.sampled_from(RE_METHODS))
def test_tau2_is_never_negative_and_i2_is_a_percentage(data, method):
    y, v = data
    r = fit(y, v, method=method)
    assert r.tau2 >= 0
    assert 0 <= r.i2 < 100
    assert r.h2 >= 1 - 1e-12
    assert r.ci_low <= r.estimate <= r.ci_high
    assert r.pi_low <= r.ci_low and r.ci_high <= r.pi_high


@st.composite
def homogeneous_studies(draw):
    """Studies rescaled around their weighted mean so that Q < k - 1."""
    y, v = draw(studies(min_k=3))
    w = 1 / v
    mean = np.sum(w * y) / np.sum(w)
    q = np.sum(w * (y - mean) ** 2)
    target = draw(st.floats(0, 0.95)) * (len(y) - 1)
    scale = np.sqrt(target / q) if q > 0 else 0.0
    return mean + (y - mean) * scale, v


@common
@given(homogeneous_studies(), st.sampled_from(RE_METHODS))
def test_random_effects_equals_fixed_effect_when_tau2_is_zero(data, method):
    y, v = data
    r = fit(y, v, method=method)
    if method != "REML":  # DL and PM are 0 whenever Q <= k - 1
        assert r.tau2 == 0
    assume(r.tau2 == 0)
    fe = meta_analysis(y, v, method="FE")
    assert r.estimate == pytest.approx(fe.estimate, rel=1e-12, abs=1e-12)
    assert r.se == pytest.approx(fe.se, rel=1e-12)


@common
@given(studies(), st.sampled_from(("FE",) + RE_METHODS), st.randoms(use_true_random=False))
def test_invariant_to_study_order(data, method, rnd):
    y, v = data
    order = list(range(len(y)))
    rnd.shuffle(order)
    a = fit(y, v, method=method)
    b = fit(y[order], v[order], method=method)
    assert b.estimate == pytest.approx(a.estimate, rel=1e-9, abs=1e-11)
    assert b.tau2 == pytest.approx(a.tau2, rel=1e-8, abs=1e-11)
    assert b.q == pytest.approx(a.q, rel=1e-9, abs=1e-11)
    assert b.i2 == pytest.approx(a.i2, rel=1e-8, abs=1e-9)


@common
@given(studies(), st.sampled_from(("FE",) + RE_METHODS), st.floats(-50, 50))
def test_shifting_all_estimates_shifts_the_pooled_estimate(data, method, shift):
    y, v = data
    a = fit(y, v, method=method)
    b = fit(y + shift, v, method=method)
    assert b.estimate == pytest.approx(a.estimate + shift, abs=1e-8)
    assert b.tau2 == pytest.approx(a.tau2, rel=1e-6, abs=1e-9)


@common
@given(studies(min_k=3))
def test_dersimonian_laird_matches_statsmodels_when_positive(data):
    y, v = data
    with np.errstate(divide="ignore", invalid="ignore"):  # inside statsmodels, for Q = 0
        theirs = combine_effects(y, v, method_re="chi2")
    assume(theirs.tau2 > 1e-8)
    ours = meta_analysis(y, v, method="DL")
    assert ours.tau2 == pytest.approx(theirs.tau2, rel=1e-9)
    assert ours.estimate == pytest.approx(theirs.mean_effect_re, rel=1e-9, abs=1e-12)
    assert ours.se == pytest.approx(theirs.sd_eff_w_re, rel=1e-9)


@common
@given(studies())
def test_hartung_knapp_uses_t_with_k_minus_1_df(data):
    y, v = data
    r = fit(y, v, method="REML", hk=True)
    assert r.df == len(y) - 1 and r.statistic_name == "t"


@common
@given(tables(), st.sampled_from(("OR", "RR", "RD")))
def test_swapping_arms_negates_the_effect(data, measure):
    a, n1, c, n2 = data
    ab = binary_effect_sizes(a, n1, c, n2, measure)
    ba = binary_effect_sizes(c, n2, a, n1, measure)
    np.testing.assert_allclose(ba.yi, -ab.yi, atol=1e-12)
    np.testing.assert_allclose(ba.vi, ab.vi, rtol=1e-12)


@common
@given(tables(min_k=2), st.sampled_from(("OR", "RR", "RD")))
def test_mantel_haenszel_is_antisymmetric_in_the_arms(data, measure):
    a, n1, c, n2 = data
    try:
        ab = pool(binary_effect_sizes(a, n1, c, n2, measure), "MH")
    except ValueError:  # MH undefined, e.g. no events anywhere
        assume(False)
    ba = pool(binary_effect_sizes(c, n2, a, n1, measure), "MH")
    assert ba.estimate == pytest.approx(-ab.estimate, abs=1e-10)
    assert ba.se == pytest.approx(ab.se, rel=1e-9, abs=1e-15)


@common
@given(st.integers(3, 10), st.integers(0, 2**32 - 1))
def test_standardised_mean_difference_is_antisymmetric(k, seed):
    rng = np.random.default_rng(seed)
    m1, m2 = rng.normal(0, 5, k), rng.normal(0, 5, k)
    s1, s2 = rng.uniform(0.5, 5, k), rng.uniform(0.5, 5, k)
    n1, n2 = rng.integers(2, 100, k), rng.integers(2, 100, k)
    ab = continuous_effect_sizes(m1, s1, n1, m2, s2, n2, "SMD")
    ba = continuous_effect_sizes(m2, s2, n2, m1, s1, n1, "SMD")
    np.testing.assert_allclose(ba.yi, -ab.yi, atol=1e-12)
    np.testing.assert_allclose(ba.vi, ab.vi, rtol=1e-12)


@settings(max_examples=20, deadline=None)
@given(studies(min_k=3, max_k=10))
def test_leave_one_out_refits_on_k_minus_1_studies(data):
    y, v = data
    from analysis.effect_sizes import effect_sizes_from_estimates

    out = leave_one_out(effect_sizes_from_estimates(y, v), "DL")
    assert len(out) == len(y)
    for i in range(len(out)):
        alone = meta_analysis(np.delete(y, i), np.delete(v, i), method="DL")
        assert out.row(i)["estimate"] == pytest.approx(alone.estimate, rel=1e-10, abs=1e-12)
