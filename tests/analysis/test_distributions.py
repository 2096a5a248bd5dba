"""analysis._distributions gives scipy.stats' numbers to the last bit, without its import."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from analysis import _distributions as dist

values = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False) | st.sampled_from(
    [0.0, -0.0, np.inf, -np.inf, np.nan]
)
probabilities = st.floats(min_value=0.0, max_value=1.0) | st.sampled_from([np.nan, 1e-300])
degrees = st.integers(min_value=-1, max_value=500).map(float) | st.floats(
    min_value=0.01, max_value=1e4
)


def same(ours: object, theirs: object) -> bool:
    return np.array_equal(np.asarray(ours), np.asarray(theirs), equal_nan=True) and type(
        ours
    ) is type(theirs)


@given(values, probabilities)
def test_normal(x, q):
    assert same(dist.norm_sf(x), stats.norm.sf(x))
    assert same(dist.norm_isf(q), stats.norm.isf(q))


@given(values, probabilities, degrees)
def test_chi_squared(x, q, df):
    assert same(dist.chi2_sf(x, df), stats.chi2.sf(x, df))
    assert same(dist.chi2_isf(q, df), stats.chi2.isf(q, df))
    assert same(dist.chi2_ppf(q, df), stats.chi2.ppf(q, df))


@given(values, probabilities, degrees)
def test_student_t(x, q, df):
    assert same(dist.t_sf(x, df), stats.t.sf(x, df))
    assert same(dist.t_isf(q, df), stats.t.isf(q, df))


@given(values, degrees, degrees)
def test_f(x, dfn, dfd):
    assert same(dist.f_sf(x, dfn, dfd), stats.f.sf(x, dfn, dfd))


def test_arrays_give_arrays():
    x = np.linspace(-5, 40, 101)
    assert same(dist.t_sf(np.abs(x), 9), stats.t.sf(np.abs(x), 9))
    assert same(dist.chi2_sf(x, 3), stats.chi2.sf(x, 3))
