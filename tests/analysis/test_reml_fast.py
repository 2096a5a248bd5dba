"""The vectorised intercept-only Fisher scoring (REML, ML, EB) against the general k x p
iteration (the slow, obviously-correct reference it replaced on the hot path)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.heterogeneity import (
    design,
    resolve_control,
    tau2_reml,
)
from analysis.heterogeneity.estimators import _fisher_scoring_general, _fisher_scoring_intercept


def both(yi, vi, stepadj=1.0, method="REML"):
    y, v = np.asarray(yi, float), np.asarray(vi, float)
    ymc, con = y - y.mean(), resolve_control(None)
    return (
        _fisher_scoring_intercept(method, ymc, v, con, stepadj),
        _fisher_scoring_general(method, ymc, v, design(len(y)), con, stepadj),
    )


@settings(max_examples=60, deadline=None)
@given(
    st.integers(2, 40).flatmap(
        lambda k: st.tuples(
            st.lists(st.floats(-3, 3), min_size=k, max_size=k),
            st.lists(st.floats(1e-3, 2), min_size=k, max_size=k),
        )
    ),
    st.sampled_from([1.0, 0.5]),
    st.sampled_from(["REML", "ML", "EB"]),
)
def test_same_iterates_within_1e_10(data, stepadj, method):
    """Both stop at the same iteration with the same verdict and, when they converged,
    at the same tau^2. When neither converged (the iteration limit ran out while the
    steps still oscillate) the last iterates carry no meaning, and the two sum in
    different orders: only the verdict must agree, and the caller then retries with a
    shorter step or reports that REML did not converge."""
    (fast, n_fast, ok_fast), (slow, n_slow, ok_slow) = both(*data, stepadj=stepadj, method=method)
    assert (n_fast, ok_fast) == (n_slow, ok_slow)
    if ok_fast:
        assert fast == pytest.approx(slow, abs=1e-10, rel=1e-10)


def test_ten_thousand_studies():
    rng = np.random.default_rng(20240401)
    vi = rng.uniform(0.005, 0.5, 10_000)
    yi = rng.normal(-0.3, np.sqrt(0.1 + vi))
    (fast, n, _), (slow, m, _) = both(yi, vi)
    assert n == m and abs(fast - slow) < 1e-10
    assert tau2_reml(yi, vi).tau2 == pytest.approx(slow, abs=1e-10)
