"""Influence diagnostics equal metafor 3.8-1's ``influence_diagnostics(rma(...))``.

Reference: ``reference/toolbox.R`` on dat.bcg, dat.molloy2014, dat.pritz1997,
dat.linde2005 and a homogeneous made-up set, nine tau^2 estimators, z and Hartung-Knapp
tests; values in ``reference/toolbox_influence.csv``.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from analysis_reference_data import bcg
from hypothesis import given, settings
from hypothesis import strategies as st
from metafor_reference import studies, table

import analysis.influence as influence_module
from analysis import RunSpec, execute
from analysis.effect_sizes import binary_effect_sizes, effect_sizes_from_estimates
from analysis.errors import AnalysisInputError
from analysis.influence import COLUMNS, influence_diagnostics
from analysis.pooling import meta_analysis

GROUPS = sorted({(r.dataset, r.method, r.test) for r in table("influence").itertuples()})


@pytest.mark.parametrize("dataset, method, test", GROUPS, ids=["-".join(g) for g in GROUPS])
def test_equals_metafor(dataset, method, test):
    rows = table("influence")
    rows = rows[(rows.dataset == dataset) & (rows.method == method) & (rows.test == test)]
    rows = rows.sort_values("study")
    yi, vi, _ = studies(dataset)
    ours = influence_diagnostics(effect_sizes_from_estimates(yi, vi), method, test=test).to_frame()
    for name in COLUMNS:
        # differences of nearly equal estimates: agreement is to about 1e-11
        np.testing.assert_allclose(
            ours[name], rows[name].to_numpy(float), rtol=1e-9, atol=1e-12, err_msg=name
        )
    assert list(ours.influential) == [bool(x) for x in rows.influential]


def test_each_row_is_the_model_without_that_study():
    es = binary_effect_sizes(*(bcg()[c] for c in ("tpos", "n1", "cpos", "n2")), "RR")
    inf = influence_diagnostics(es, "ML", test="t")
    for i in (0, 6):
        keep = np.arange(es.k) != i
        alone = meta_analysis(es.yi[keep], es.vi[keep], method="ML", test="t")
        assert inf.row(i)["tau2_del"] == pytest.approx(alone.tau2, rel=1e-10)
        assert inf.row(i)["qe_del"] == pytest.approx(alone.q, rel=1e-10)


def test_refuses_what_it_cannot_diagnose():
    es = effect_sizes_from_estimates([0.1, 0.3], [0.1, 0.2])
    with pytest.raises(AnalysisInputError, match="at least 3"):
        influence_diagnostics(es)
    with pytest.raises(AnalysisInputError) as error:
        influence_diagnostics(effect_sizes_from_estimates([0.1, 0.3, 0.2], [0.1, 0.2, 0.1]), "MH")
    assert error.value.field == "method"


def test_a_run_reports_influence():
    spec = RunSpec.from_options(
        kind="aggregate",
        measure="RR",
        method="DL",
        datasets=["bcg"],
        harmonisation={"columns": {"ai": "tpos", "n1i": "n1", "ci": "cpos", "n2i": "n2"}},
        options={"hk": True},
    )
    results = execute(spec, {"bcg": bcg()}).results
    rows = table("influence")
    rows = rows[(rows.dataset == "bcg") & (rows.method == "DL") & (rows.test == "knha")]
    got = results["influence"]["rows"]
    assert len(got) == 13 and results["influence"]["test"] == "knha"
    assert [r["cook_d"] for r in got] == pytest.approx(list(rows.cook_d), rel=1e-8)
    assert [r["influential"] for r in got] == [bool(x) for x in rows.influential]


@st.composite
def study_sets(draw):
    k = draw(st.integers(3, 25))
    y = draw(st.lists(st.floats(-4, 4, allow_nan=False), min_size=k, max_size=k))
    v = draw(st.lists(st.floats(1e-3, 5.0, allow_nan=False), min_size=k, max_size=k))
    return np.array(y), np.array(v)


@settings(max_examples=80, deadline=None)
@given(
    study_sets(),
    st.sampled_from(("FE", "DL", "REML", "PM", "ML", "EB", "SJ", "HE", "HS", "HSK")),
    st.sampled_from(("z", "t", "knha")),
)
def test_never_raises_on_valid_input(data, method, test):
    """Any studies with positive variances: one row each, hats summing to 1, and
    non-negative Cook's distances and leave-one-out tau^2."""
    y, v = data
    inf = influence_diagnostics(effect_sizes_from_estimates(y, v), method, test=test)
    frame = inf.to_frame()
    assert len(frame) == len(y)
    assert frame.hat.sum() == pytest.approx(1.0)
    assert (frame.tau2_del >= 0).all()
    assert all(c >= 0 or math.isnan(c) for c in frame.cook_d)
    assert inf.to_dict()["rows"][0]["study"] == inf.labels[0]


def test_blocks_of_rows_give_the_same_numbers(monkeypatch):
    rng = np.random.default_rng(5)
    es = effect_sizes_from_estimates(rng.normal(0, 0.4, 30), rng.uniform(0.01, 0.3, 30))
    whole = influence_diagnostics(es, "REML", test="knha").to_frame()
    monkeypatch.setattr(influence_module, "ROW_BUDGET", 4 * 30)
    blocked = influence_diagnostics(es, "REML", test="knha").to_frame()
    np.testing.assert_allclose(whole.dfbetas, blocked.dfbetas, rtol=1e-13)
    np.testing.assert_allclose(whole.rstudent, blocked.rstudent, rtol=1e-13)
