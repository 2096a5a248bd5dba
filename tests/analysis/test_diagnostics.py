"""Baujat, radial, L'Abbé and GOSH coordinates equal metafor 3.8-1's.

Reference: ``reference/diagnostics.R`` (``baujat``, ``radial``, ``labbe`` and ``gosh``
of ``rma(...)``) on dat.bcg, dat.molloy2014, dat.pritz1997, dat.linde2005 and a small
made-up set of tables with zero cells; values in ``reference/diagnostics_*.csv``.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.diagnostics import (
    GOSH_LISTED_SUBSETS,
    GOSH_MAX_SUBSETS,
    LABBE_SCALES,
    all_coordinates,
    baujat,
    gosh,
    gosh_masks,
    labbe,
    radial,
)
from analysis.errors import AnalysisInputError
from analysis.pooling import meta_analysis

REL = 1e-6
REFERENCE = Path(__file__).parent / "reference"


def _read(name: str) -> pd.DataFrame:
    return pd.read_csv(
        REFERENCE / f"diagnostics_{name}.csv", na_values=["NA"], dtype={"subset": str}
    )


STUDIES = _read("studies")
TABLES = _read("tables")


def _studies(dataset: str) -> tuple[np.ndarray, np.ndarray]:
    s = STUDIES[STUDIES.dataset == dataset].sort_values("study")
    return s.yi.to_numpy(), s.vi.to_numpy()


def _groups(frame: pd.DataFrame, *keys: str) -> list[tuple[tuple[str, ...], pd.DataFrame]]:
    return [
        (key, part.sort_values(part.columns[len(keys)])) for key, part in frame.groupby(list(keys))
    ]


BAUJAT = _groups(_read("baujat"), "dataset", "method")
RADIAL = _groups(_read("radial"), "dataset", "method")
LABBE = _groups(_read("labbe"), "dataset", "measure")
GOSH = _groups(_read("gosh"), "dataset", "method")


def _ids(groups):
    return ["-".join(key) for key, _ in groups]


@pytest.mark.parametrize(("key", "rows"), BAUJAT, ids=_ids(BAUJAT))
def test_baujat_equals_metafor(key, rows):
    dataset, method = key
    yi, vi = _studies(dataset)
    ours = baujat(yi, vi, estimate=rows.estimate.iloc[0], tau2=rows.tau2.iloc[0], method=method)
    np.testing.assert_allclose(ours.x, rows.x, rtol=REL, atol=1e-12)
    np.testing.assert_allclose(ours.y, rows.y, rtol=REL, atol=1e-12)


@pytest.mark.parametrize(("key", "rows"), RADIAL, ids=_ids(RADIAL))
def test_radial_equals_metafor(key, rows):
    dataset, _ = key
    yi, vi = _studies(dataset)
    ours = radial(yi, vi, estimate=rows.estimate.iloc[0], tau2=rows.tau2.iloc[0])
    np.testing.assert_allclose(ours.x, rows.x, rtol=REL)
    np.testing.assert_allclose(ours.z, rows.z, rtol=REL)


@pytest.mark.parametrize(("key", "rows"), LABBE, ids=_ids(LABBE))
def test_labbe_equals_metafor(key, rows):
    dataset, measure = key
    t = TABLES[TABLES.dataset == dataset].sort_values("study")
    ours = labbe(t.ai, t.bi, t.ci, t.di, measure=measure, estimate=rows.estimate.iloc[0])
    np.testing.assert_allclose(ours.control, rows.control, rtol=REL)
    np.testing.assert_allclose(ours.treatment, rows.treatment, rtol=REL)


@pytest.mark.parametrize(("key", "rows"), GOSH, ids=_ids(GOSH))
def test_gosh_over_all_subsets_equals_metafor(key, rows):
    dataset, method = key
    yi, vi = _studies(dataset)
    ours = gosh(yi, vi, method=method)
    assert ours.complete and len(ours.masks) == len(rows) == 2 ** len(yi) - 1
    theirs = rows.set_index("subset")
    order = ["".join("1" if x else "0" for x in m) for m in ours.masks]
    theirs = theirs.loc[order]
    np.testing.assert_allclose(ours.estimate, theirs.estimate, rtol=REL, atol=1e-12)
    np.testing.assert_allclose(ours.i2, theirs.i2, rtol=REL, atol=1e-8)
    np.testing.assert_allclose(ours.q, theirs.q, rtol=REL, atol=1e-10)
    np.testing.assert_allclose(ours.tau2, theirs.tau2, rtol=REL, atol=1e-10)


def test_gosh_samples_distinct_subsets_with_a_seed_when_there_are_too_many():
    masks = gosh_masks(12, max_subsets=300, seed=7)
    assert masks.shape == (300, 12) and masks.any(axis=1).all()
    assert len({m.tobytes() for m in masks}) == 300
    assert np.array_equal(masks, gosh_masks(12, max_subsets=300, seed=7))
    assert len(gosh_masks(10)) == 2**10 - 1 <= GOSH_MAX_SUBSETS


def test_bad_input_names_its_field():
    with pytest.raises(AnalysisInputError) as error:
        labbe([1], [2], [3], [4], measure="SMD", estimate=0.0)
    assert error.value.field == "measure"
    with pytest.raises(AnalysisInputError) as error:
        baujat([0.1], [0.01], estimate=0.1, tau2=0.0)
    assert error.value.field == "k"
    with pytest.raises(AnalysisInputError) as error:
        radial([0.1, 0.2], [0.01, 0.0], estimate=0.1, tau2=0.0)
    assert error.value.field == "vi"


@st.composite
def study_sets(draw):
    k = draw(st.integers(2, 12))
    y = draw(st.lists(st.floats(-4, 4, allow_nan=False), min_size=k, max_size=k))
    v = draw(st.lists(st.floats(1e-3, 5.0, allow_nan=False), min_size=k, max_size=k))
    return np.array(y), np.array(v)


@settings(max_examples=40, deadline=None)
@given(study_sets(), st.sampled_from(("FE", "DL", "REML", "PM")))
def test_baujat_radial_and_gosh_never_raise_on_valid_input(data, method):
    y, v = data
    b = baujat(y, v, estimate=float(np.mean(y)), tau2=0.1, method=method)
    r = radial(y, v, estimate=float(np.mean(y)), tau2=0.1)
    g = gosh(y, v, method=method, max_subsets=64)
    assert (b.x >= 0).all() and np.isfinite(r.x).all() and np.isfinite(r.z).all()
    assert (
        len(g.masks) == min(64, 2 ** len(y) - 1)
        and np.isfinite(g.estimate[g.masks.sum(axis=1) == 1]).all()
    )
    i2 = g.i2[np.isfinite(g.i2)]
    assert ((i2 >= 0) & (i2 <= 100)).all()


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(*(st.integers(0, 200),) * 4).filter(
            lambda c: c[0] + c[1] > 0 and c[2] + c[3] > 0
        ),
        min_size=1,
        max_size=15,
    ),
    st.sampled_from(tuple(LABBE_SCALES)),
)
def test_labbe_never_raises_on_valid_input(tables, measure):
    ai, bi, ci, di = (np.array(c, dtype=float) for c in zip(*tables, strict=True))
    out = labbe(ai, bi, ci, di, measure=measure, estimate=0.0)
    assert len(out.control) == len(out.treatment) <= len(tables)
    assert np.isfinite(out.control).all() and np.isfinite(out.treatment).all()
    assert math.isfinite(out.estimate)


@pytest.mark.parametrize(("key", "rows"), BAUJAT, ids=_ids(BAUJAT))
def test_a_runs_stored_coordinates_are_metafors(key, rows):
    """What the JSON, the CSV and the API carry: each plot's numbers by study name, GOSH
    summarised from the same subsets as the plot."""
    dataset, method = key
    y, v = _studies(dataset)
    labels = [f"study {i + 1}" for i in range(len(y))]
    result = meta_analysis(y, v, method=method, labels=labels)
    out = all_coordinates(result)
    json.dumps(out, allow_nan=False)
    baujat_rows = out["baujat"]["studies"]
    assert [r["study"] for r in baujat_rows] == labels
    np.testing.assert_allclose([r["x"] for r in baujat_rows], rows.x, rtol=REL)
    np.testing.assert_allclose([r["y"] for r in baujat_rows], rows.y, rtol=REL)
    radial_rows = RADIAL[_ids(RADIAL).index("-".join(key))][1]
    np.testing.assert_allclose([r["z"] for r in out["radial"]["studies"]], radial_rows.z, rtol=REL)
    assert "2x2 table" in out["labbe"]["unavailable"]
    g = out["gosh"]
    assert g["subsets"] == min(2 ** len(y) - 1, GOSH_MAX_SUBSETS)
    assert g["complete"] == (2 ** len(y) - 1 <= GOSH_MAX_SUBSETS)
    assert (g["subset_rows"] is None) == (g["subsets"] > GOSH_LISTED_SUBSETS)
    spread = g["spread"]["estimate"]
    assert spread["min"] <= spread["median"] <= spread["max"]
    assert all(r["subsets_with"] > 0 for r in g["studies"])
    if len(y) <= 7:
        theirs = GOSH[_ids(GOSH).index("-".join(key))][1] if "-".join(key) in _ids(GOSH) else None
        if theirs is not None:
            ours = sorted(r["estimate"] for r in g["subset_rows"])
            np.testing.assert_allclose(ours, np.sort(theirs.estimate.to_numpy()), rtol=REL)


def test_one_study_has_no_diagnostic_plots_and_says_why():
    out = all_coordinates(meta_analysis([0.2], [0.1], method="FE"))
    assert all("at least 2 studies" in plot["unavailable"] for plot in out.values())
