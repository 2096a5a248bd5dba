"""Trim and fill, the rank correlation test and fail-safe N equal metafor 3.8-1's.

Reference: ``reference/toolbox.R`` (``trimfill(rma(...), estimator=, side=)``,
``ranktest(yi, vi)``, ``fsn(yi, vi, type=, alpha=, target=, weighted=)``) on dat.bcg,
dat.molloy2014, dat.pritz1997, dat.linde2005 and two small made-up sets; values in
``reference/toolbox_{trimfill,ranktest,fsn}.csv``.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from analysis_reference_data import bcg
from hypothesis import example, given, settings
from hypothesis import strategies as st
from metafor_reference import case_id, cases, studies

from analysis import RunSpec, execute
from analysis.effect_sizes import effect_sizes_from_estimates
from analysis.errors import AnalysisInputError, ConvergenceError
from analysis.publication_bias import fail_safe_n, rank_correlation_test, trim_and_fill

REL = 1e-10  # agreement is to about 1e-14 in practice

TRIMFILL = cases("trimfill")
RANKTEST = cases("ranktest")
FSN = cases("fsn")


def effects(dataset: str):
    yi, vi, _ = studies(dataset)
    return effect_sizes_from_estimates(yi, vi)


def close(ours: float | None, theirs: float, rel: float = REL) -> bool:
    if ours is None or math.isnan(ours):
        return math.isnan(theirs)
    return ours == pytest.approx(theirs, rel=rel, abs=1e-12)


@pytest.mark.parametrize(
    "row",
    TRIMFILL,
    ids=[case_id(r, "dataset", "method", "estimator", "side_asked") for r in TRIMFILL],
)
def test_trim_and_fill_equals_metafor(row):
    side = None if row["side_asked"] == "auto" else row["side_asked"]
    tf = trim_and_fill(
        effects(row["dataset"]), row["method"], estimator=row["estimator"], side=side
    )
    assert (tf.side, tf.k0, tf.model.k) == (row["side"], row["k0"], row["k"])
    assert close(tf.se_k0, row["se_k0"]) and close(tf.p_k0, row["p_k0"])
    for name in ("estimate", "se", "pvalue", "ci_low", "ci_high", "tau2"):
        assert close(getattr(tf.model, name), row[name]), name
    filled = [float(x) for x in str(row["filled"]).split(";") if x]
    assert tf.filled_yi == pytest.approx(filled, rel=1e-10, abs=1e-12)


@pytest.mark.parametrize("row", RANKTEST, ids=[r["dataset"] for r in RANKTEST])
def test_rank_correlation_equals_metafor(row):
    rt = rank_correlation_test(effects(row["dataset"]))
    assert rt.tau == pytest.approx(row["tau"], rel=1e-12, abs=1e-15)
    assert rt.pvalue == pytest.approx(row["pvalue"], rel=1e-9)


def test_rank_correlation_with_ties_uses_the_normal_approximation():
    assert not rank_correlation_test(effects("ties")).exact
    assert rank_correlation_test(effects("bcg")).exact


@pytest.mark.parametrize(
    "row",
    FSN,
    ids=[case_id(r, "dataset", "type", "alpha", "target_asked", "weighted") for r in FSN],
)
def test_fail_safe_n_equals_metafor(row):
    target = None if math.isnan(row["target_asked"]) else row["target_asked"]
    f = fail_safe_n(
        effects(row["dataset"]),
        row["type"],
        alpha=row["alpha"],
        target=target,
        weighted=bool(row["weighted"]),
    )
    assert f.fsnum == row["fsnum"]
    assert close(f.pvalue, row["pvalue"], 1e-10)
    assert close(f.mean_effect, row["meanes"], 1e-12)
    assert close(f.target, row["target"], 1e-12)


def test_when_k0_alternates_it_says_so_as_metafor_stops():
    """metafor 3.8-1: trimfill(rma(y, v, method="HE")) on these studies alternates between
    1 and 2 missing studies and stops with "Trim and fill algorithm did not converge"."""
    y = [1.9041554420660187, 0.22183941744241142, -2.4524990922412684, -2.2200309429899772]
    y += [0.83769206565954057, 2.6368414164997134, 2.714778159663858, -0.22107083791350579]
    y += [-1.826176417708596, -0.71157540052024437, 0.52132290948780025, 2.1239138565503319]
    v = [0.14935474782018698, 2.7541315789368177, 3.3243528415731389, 0.31853369753700811]
    v += [4.8550386181095204, 4.7931158253114816, 4.405704583928439, 4.670348601144453]
    v += [0.77240394341533525, 4.5739327377511998, 1.6039018754393781, 1.8408564427998049]
    with pytest.raises(ConvergenceError, match=r"keeps changing \(1 and 2\)"):
        trim_and_fill(effect_sizes_from_estimates(y, v), "HE")


def test_orwin_with_a_zero_target_is_unbounded():
    f = fail_safe_n(effects("bcg"), "Orwin", target=0)
    assert f.fsnum is None and f.to_dict()["fsnum"] is None


def test_bad_options_name_their_field():
    for call, field in (
        (lambda: trim_and_fill(effects("bcg"), estimator="Q1"), "estimator"),
        (lambda: trim_and_fill(effects("bcg"), side="up"), "side"),
        (lambda: fail_safe_n(effects("bcg"), "REM2"), "type"),
        (lambda: fail_safe_n(effects("bcg"), alpha=5), "alpha"),
    ):
        with pytest.raises(AnalysisInputError) as error:
            call()
        assert error.value.field == field


def test_a_run_reports_them_next_to_egger():
    spec = RunSpec.from_options(
        kind="aggregate",
        measure="RR",
        method="REML",
        datasets=["bcg"],
        harmonisation={"columns": {"ai": "tpos", "n1i": "n1", "ci": "cpos", "n2i": "n2"}},
    )
    results = execute(spec, {"bcg": bcg()}).results
    tf = next(
        r
        for r in TRIMFILL
        if (r["dataset"], r["method"], r["estimator"], r["side_asked"])
        == ("bcg", "REML", "L0", "auto")
    )
    assert results["trimfill"]["k0"] == tf["k0"]
    assert close(results["trimfill"]["estimate"], tf["estimate"])
    assert close(results["ranktest"]["tau"], RANKTEST[0]["tau"])
    assert set(results["fsn"]) == {"rosenthal", "orwin", "rosenberg"}
    assert "egger" in results


def test_a_run_of_two_studies_says_why_there_is_no_trim_and_fill():
    spec = RunSpec.from_options(
        kind="aggregate",
        measure="RR",
        method="DL",
        datasets=["bcg"],
        harmonisation={"columns": {"ai": "tpos", "n1i": "n1", "ci": "cpos", "n2i": "n2"}},
    )
    results = execute(spec, {"bcg": bcg().head(2)}).results
    for name in ("trimfill", "ranktest", "fsn"):
        assert "at least 3 studies" in results[name]["unavailable"]


@st.composite
def study_sets(draw):
    k = draw(st.integers(3, 25))
    y = draw(st.lists(st.floats(-4, 4, allow_nan=False), min_size=k, max_size=k))
    v = draw(st.lists(st.floats(1e-3, 5.0, allow_nan=False), min_size=k, max_size=k))
    return np.array(y), np.array(v)


@settings(max_examples=120, deadline=None)
@given(
    study_sets(),
    st.sampled_from(("FE", "DL", "REML", "PM", "ML", "EB", "SJ", "HE", "HS")),
    st.sampled_from(("L0", "R0")),
)
@example(
    (
        np.array([2.375, 1.0, 0.5, 3.0, 3.0, 4.0, 1.0, 0.0, 2.0, 2.0, 2.0, 3.25, 0.75]),
        np.array([2**-7, 2.0, 1.0, 3.0, 0.25, 3.0, 2.0, 1.0, 2.0, 2.0, 2**-8, 2.0, 0.75]),
    ),
    "ML",
    "L0",
)
def test_trim_and_fill_never_raises_on_valid_input(data, method, estimator):
    """Any studies with positive variances: at most k - 1 filled, mirrored about the
    trimmed estimate, and a finite filled model."""
    y, v = data
    try:
        tf = trim_and_fill(effect_sizes_from_estimates(y, v), method, estimator=estimator)
    except ConvergenceError as error:
        # k0 alternating for ever is metafor's "did not converge" too (see below); and
        # the model with the filled studies can defeat ML's Fisher scoring, as it
        # defeats metafor's (trimfill on the example above stops with "Fisher scoring
        # algorithm did not converge" in metafor 3.8-1)
        assert "keeps changing" in str(error) or "did not converge" in str(error)
        return
    assert 0 <= tf.k0 < len(y) and len(tf.filled_yi) == tf.k0
    assert tf.model.k == len(y) + tf.k0 and math.isfinite(tf.model.estimate)
    assert tf.to_dict()["k0"] == tf.k0


@settings(max_examples=120, deadline=None)
@given(study_sets())
def test_rank_test_and_fail_safe_n_never_raise_on_valid_input(data):
    """They answer, or (estimates or variances all equal) refuse in plain words."""
    y, v = data
    es = effect_sizes_from_estimates(y, v)
    try:
        rt = rank_correlation_test(es)
        assert -1 <= rt.tau <= 1 and 0 <= rt.pvalue <= 1
    except AnalysisInputError as error:
        assert "differ" in error.reason
    for kind in ("Rosenthal", "Orwin", "Rosenberg"):
        f = fail_safe_n(es, kind)
        assert f.fsnum is None or (f.fsnum >= 0 and f.fsnum == int(f.fsnum))


def test_many_studies_use_the_normal_approximation_quickly():
    rng = np.random.default_rng(6)
    k = 2000
    es = effect_sizes_from_estimates(rng.normal(0, 0.3, k), rng.uniform(0.01, 0.5, k))
    rt = rank_correlation_test(es)
    assert not rt.exact and 0 <= rt.pvalue <= 1 and rt.k == k
