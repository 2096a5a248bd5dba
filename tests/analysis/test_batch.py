"""The batched fits equal one-by-one fits of the same subsets (the reference is :func:`pool`)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis import batch
from analysis.effect_sizes import effect_sizes_from_estimates
from analysis.pooling import pool
from analysis.sensitivity import _ROW_FIELDS, cumulative, leave_one_out


@st.composite
def studies(draw, min_k=2, max_k=30):
    k = draw(st.integers(min_k, max_k))
    y = np.array(draw(st.lists(st.floats(-3, 3), min_size=k, max_size=k)))
    v = np.array(draw(st.lists(st.floats(0.005, 2.0), min_size=k, max_size=k)))
    # Some studies without a usable estimate, as drop00 leaves them.
    missing = draw(st.lists(st.booleans(), min_size=k, max_size=k))
    if sum(missing) < k - 1:
        y[np.array(missing)] = np.nan
    return y, v


def with_missing(y, v):
    """Effect sizes where NaN marks a study without a usable estimate (as drop00 leaves)."""
    es = effect_sizes_from_estimates(np.nan_to_num(y), v)
    return replace(es, yi=y)


def one_by_one(es, masks, method, hk):
    rows = []
    for keep in masks:
        try:
            r = pool(es.subset(keep), method, hk=hk)
        except Exception as error:  # the batch must refuse the same subsets
            rows.append(type(error))
            continue
        rows.append({"k": r.k, "df": r.df, **{n: getattr(r, n) for n in _ROW_FIELDS}})
    return rows


def assert_rows_equal(out, expected, method):
    # REML stops within metafor's threshold of the root; both sides take the same steps.
    rtol = 1e-7 if method in ("REML", "ML", "EB") else 1e-9
    for i, want in enumerate(expected):
        got = out.row(i)
        assert got["k"] == want["k"] and got["df"] == want["df"]
        for name in _ROW_FIELDS:
            assert got[name] == pytest.approx(want[name], rel=rtol, abs=1e-10, nan_ok=True), (
                i,
                name,
            )


@settings(max_examples=80, deadline=None)
@given(studies(), st.sampled_from(list(batch.BATCH_METHODS)), st.booleans())
def test_leave_one_out_batch_equals_refitting_each_subset(data, method, hk):
    y, v = data
    es = with_missing(y, v)
    masks = [np.arange(es.k) != i for i in range(es.k)]
    expected = one_by_one(es, masks, method, hk)
    if any(isinstance(e, type) for e in expected):
        with pytest.raises(Exception):  # noqa: B017 - the same refusal as a single fit
            leave_one_out(es, method, hk=hk)
        return
    assert_rows_equal(leave_one_out(es, method, hk=hk), expected, method)


@settings(max_examples=60, deadline=None)
@given(studies(min_k=3), st.sampled_from(["DL", "REML", "ML", "EB", "SJ", "HS"]))
def test_cumulative_batch_equals_refitting_each_prefix(data, method):
    y, v = data
    y = np.where(np.isnan(y), 0.5, y)  # a cumulative first step must be usable
    es = effect_sizes_from_estimates(y, v)
    expected = one_by_one(es, [np.arange(es.k) < n for n in range(1, es.k + 1)], method, False)
    assert_rows_equal(cumulative(es, method=method), expected, method)


def test_blocks_of_rows_give_the_same_numbers(monkeypatch):
    rng = np.random.default_rng(3)
    y, v = rng.normal(0, 0.5, 40), rng.uniform(0.01, 0.3, 40)
    es = effect_sizes_from_estimates(y, v)
    whole = leave_one_out(es, "REML").to_frame()
    monkeypatch.setattr(batch, "ROW_BUDGET", 7 * 40)  # blocks of 7 subsets
    blocked = leave_one_out(es, "REML").to_frame()
    assert list(whole.study) == list(blocked.study)
    # the same sums, grouped differently by the matrix product: equal to rounding
    np.testing.assert_allclose(
        whole.drop(columns="study").to_numpy(), blocked.drop(columns="study").to_numpy(), rtol=1e-12
    )


def test_rows_the_batch_leaves_are_fitted_one_by_one():
    # PM is not batched: every row comes from pool() and still fills every column.
    rng = np.random.default_rng(4)
    es = effect_sizes_from_estimates(rng.normal(0, 0.5, 8), rng.uniform(0.01, 0.3, 8))
    out = leave_one_out(es, "PM")
    expected = one_by_one(es, [np.arange(8) != i for i in range(8)], "PM", False)
    assert_rows_equal(out, expected, "PM")
    _, fitted = batch.fit_subsets(es.yi, es.vi, lambda lo, hi: np.ones((hi - lo, 8), bool), 3, "PM")
    assert not fitted.any()
