"""Every tau^2 estimator, its standard error and the t test equal metafor 3.8-1's.

Reference: ``reference/toolbox.R`` (``rma(yi, vi, method=, test=)`` and ``predict()``
on dat.bcg, with and without ``mods = ~ ablat``, dat.molloy2014, dat.pritz1997,
dat.linde2005 and two small made-up sets), values in ``reference/toolbox_tau2.csv``.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from analysis_reference_data import bcg
from click.testing import CliRunner
from hypothesis import example, given, settings
from hypothesis import strategies as st
from metafor_reference import case_id, cases, studies

from analysis import RunSpec, execute
from analysis.commands import meta
from analysis.effect_sizes import effect_sizes_from_estimates
from analysis.errors import AnalysisInputError, ConvergenceError
from analysis.heterogeneity import estimate_tau2, tau2_standard_error
from analysis.pooling import meta_analysis, meta_regression
from analysis.sensitivity import leave_one_out
from analysis.vocabulary import METHOD_LABELS, CoefficientTest, Method

BCG_COLUMNS = {"ai": "tpos", "n1i": "n1", "ci": "cpos", "n2i": "n2"}

REL = 1e-10  # every value below agrees to about 1e-14 in practice
NEW_METHODS = ("ML", "HE", "SJ", "EB", "HS", "HSK")

TAU2_CASES = cases("tau2")


def close(ours: float | None, theirs: float, rel: float = REL) -> bool:
    if ours is None:
        return math.isnan(theirs)
    if math.isnan(theirs):
        return False
    return ours == pytest.approx(theirs, rel=rel, abs=1e-12)


@pytest.mark.parametrize(
    "row", TAU2_CASES, ids=[case_id(r, "dataset", "mods", "method", "test") for r in TAU2_CASES]
)
def test_model_equals_metafor(row):
    yi, vi, ablat = studies(row["dataset"])
    method = str(row["method"]).upper()
    test = str(row["test"])
    if row["mods"] == "none":
        r = meta_analysis(yi, vi, method=method, test=test)
        ours = {
            "estimate": r.estimate,
            "se": r.se,
            "statistic": r.statistic,
            "pvalue": r.pvalue,
            "ci_low": r.ci_low,
            "ci_high": r.ci_high,
            "pi_low": r.pi_low,
            "pi_high": r.pi_high,
            "tau2_se": r.tau2_se,
            "q": r.q,
        }
    else:
        m = meta_regression(yi, vi, ablat, names=["ablat"], method=method, test=test)
        c = m.coefficient("ablat")
        ours = {**c, "tau2_se": m.tau2_se, "q": m.qe}
        r = m  # type: ignore[assignment]
    assert close(r.tau2, row["tau2"]), "tau2"
    assert close(ours["tau2_se"], row["se_tau2"]), "se.tau2"
    for name in ("estimate", "se", "statistic", "pvalue", "ci_low", "ci_high", "q"):
        assert close(ours[name], row[name]), name
    for name in ("pi_low", "pi_high"):
        if name in ours and not math.isnan(row[name]):
            assert close(ours[name], row[name]), name
    assert close(r.i2, row["i2"]) and close(r.h2, row["h2"])
    assert r.test == test


def test_the_t_test_uses_k_minus_p_degrees_of_freedom_without_rescaling():
    yi, vi, _ = studies("bcg")
    z = meta_analysis(yi, vi, method="REML")
    t = meta_analysis(yi, vi, method="REML", test="t")
    assert t.df == len(yi) - 1 and t.statistic_name == "t"
    assert t.se == z.se and t.statistic == z.statistic
    assert t.pvalue > z.pvalue and t.ci_low < z.ci_low
    assert t.options["test"] == "t" and not t.options["hk"]


def test_hk_and_another_test_together_are_refused():
    with pytest.raises(AnalysisInputError) as error:
        meta_analysis([0.1, 0.3, 0.2], [0.1, 0.1, 0.2], method="DL", hk=True, test="t")
    assert error.value.field == "test"
    with pytest.raises(AnalysisInputError):
        meta_analysis([0.1, 0.3, 0.2], [0.1, 0.1, 0.2], test="wald")


def test_every_estimator_has_a_plain_words_label_and_is_random_effects():
    for name in NEW_METHODS:
        method = Method(name)
        assert method.estimates_tau2 and method.is_inverse_variance
        assert METHOD_LABELS[method].startswith("Random effects, ")


def test_one_study_gives_tau2_zero_and_no_standard_error():
    for method in NEW_METHODS:
        est = estimate_tau2(method, [0.4], [0.1])
        assert est.tau2 == 0 and est.se is None


def test_fixed_effect_has_no_tau2_standard_error():
    assert tau2_standard_error("FE", [0.1, 0.2, 0.4], [0.1, 0.1, 0.1], 0.0) is None


@st.composite
def study_sets(draw):
    k = draw(st.integers(2, 30))
    y = draw(st.lists(st.floats(-4, 4, allow_nan=False), min_size=k, max_size=k))
    v = draw(st.lists(st.floats(1e-3, 5.0, allow_nan=False), min_size=k, max_size=k))
    return np.array(y), np.array(v)


# metafor 3.8-1's rma(y, v, method="EB") stops here too: "Fisher scoring algorithm did
# not converge" (with control=list(maxiter=1000) it reaches tau^2 = 0.001503)
EB_SLOW = (
    np.array([0.0] * 6 + [4.0, 0, 0, 0, 4, 3, 0.5, 2, 3, 0, 0, 0, 2, 3, 4, 0, 0, 0, 0, 0]),
    np.array(
        [0.125]
        + [0.03125] * 5
        + [4.0, 1, 1, 1, 4, 3, 1, 2, 3]
        + [0.03125] * 3
        + [2.0, 3, 4, 1, 1, 1, 0.125, 0.03125]
    ),
)


@settings(max_examples=150, deadline=None)
@given(study_sets(), st.sampled_from(NEW_METHODS), st.sampled_from(("z", "t", "knha")))
@example(EB_SLOW, "EB", "z")
def test_never_raises_on_valid_input(data, method, test):
    """Any set of estimates with positive variances gives a finite, non-negative tau^2,
    a finite standard error and a finite model, whatever the estimator and test, or
    the iterative estimators' 'did not converge' with its remedy, where metafor's own
    iteration stops too."""
    y, v = data
    try:
        r = meta_analysis(y, v, method=method, test=test)
    except ConvergenceError as error:
        assert method in ("ML", "EB") and "did not converge" in str(error)
        assert "maxiter" in str(error)
        return
    assert r.tau2 >= 0 and math.isfinite(r.tau2)
    assert r.tau2_se is not None and math.isfinite(r.tau2_se) and r.tau2_se >= 0
    assert math.isfinite(r.estimate) and r.se >= 0
    assert 0 <= r.i2 < 100


def reference_row(dataset: str, method: str, test: str, mods: str = "none") -> dict[str, object]:
    (row,) = [
        r
        for r in TAU2_CASES
        if (r["dataset"], r["method"], r["test"], r["mods"]) == (dataset, method, test, mods)
    ]
    return row


@pytest.mark.parametrize("method, test", [("SJ", "t"), ("ML", "z"), ("HSk", "knha")])
def test_portal_meta_offers_the_estimators_and_tests(tmp_path, method, test):
    """``portal meta --method SJ --test t`` prints metafor's rma(method="SJ", test="t")."""
    path = tmp_path / "bcg.csv"
    bcg().to_csv(path, index=False)
    args = [str(path), "--measure", "RR", "--method", method, "--test", test]
    args += ["--columns", "ai=tpos,n1i=n1,ci=cpos,n2i=n2", "--study", "trial", "--json"]
    result = CliRunner().invoke(meta, args)
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    row = reference_row("bcg", method, test)
    assert out["method"] == method.upper() and out["test"] == test
    for name in ("tau2", "estimate", "se", "pvalue", "ci_low", "ci_high", "pi_low", "pi_high"):
        assert close(out[name], row[name]), name
    assert close(out["tau2_se"], row["se_tau2"])
    text = CliRunner().invoke(meta, args[:-1]).output
    assert f"tau^2 estimator: {method.upper()}" in text and "SE = " in text


def test_run_spec_keeps_the_t_test_and_gives_it_back():
    spec = RunSpec.from_options(
        kind="aggregate",
        measure="RR",
        method="eb",
        datasets=["bcg"],
        harmonisation={"columns": BCG_COLUMNS, "study": "trial", "year": "year"},
        options={"test": "t", "level": 0.95},
    )
    assert spec.method is Method.EB and spec.test is CoefficientTest.T and not spec.hk
    assert spec.options() == {"hk": False, "level": 0.95, "test": "t"}
    again = RunSpec.from_options(
        kind="aggregate",
        measure="RR",
        method="EB",
        datasets=["bcg"],
        harmonisation=spec.harmonisation,
        options=spec.options(),
    )
    assert again == spec
    results = execute(spec, {"bcg": bcg()}).results
    row = reference_row("bcg", "EB", "t")
    assert close(results["pooled"]["estimate"], row["estimate"])
    assert close(results["pooled"]["tau2_se"], row["se_tau2"])
    # the sensitivity analyses refit the same model: t tests, k - 2 df when one is left out
    assert {r["df"] for r in results["leave_one_out"]["rows"]} == {len(bcg()) - 2}
    assert results["egger"]["statistic_name"] == "t"


def test_hk_is_the_knha_test_and_not_a_t_test():
    common = dict(kind="aggregate", measure="RR", datasets=["bcg"], harmonisation={})
    assert (
        RunSpec.from_options(method="DL", options={"hk": True}, **common).test
        is CoefficientTest.KNHA
    )
    assert RunSpec.from_options(method="DL", options={"test": "knha"}, **common).hk
    for options, field in (({"hk": True, "test": "t"}, "test"), ({"test": "f"}, "test")):
        with pytest.raises(AnalysisInputError) as error:
            RunSpec.from_options(method="DL", options=options, **common)
        assert error.value.field == field
    with pytest.raises(AnalysisInputError, match="z tests"):
        RunSpec.from_options(method="MH", options={"test": "t"}, **common)


@pytest.mark.parametrize("method", ["REML", "ML", "SJ"])
def test_leave_one_out_with_t_tests_equals_single_fits(method):
    yi, vi, _ = studies("molloy2014")
    effects = effect_sizes_from_estimates(yi, vi, measure="GEN")
    loo = leave_one_out(effects, method, test="t")
    for i in range(len(yi)):
        keep = np.arange(len(yi)) != i
        single = meta_analysis(yi[keep], vi[keep], method=method, test="t")
        row = loo.row(i)
        assert row["df"] == single.df
        for name in ("estimate", "se", "pvalue", "ci_low", "ci_high", "tau2"):
            assert row[name] == pytest.approx(getattr(single, name), rel=1e-9, abs=1e-12)


def test_variances_eight_orders_apart_give_metafors_numbers_without_a_warning():
    """Ratio of means with a zero SD: sampling variances 7.8e-9 and 1. Written as
    sum(w) - sum(w^2)/sum(w) ..., the traces of P cancel to zero or below (a division by
    zero in REML's scoring, the square root of a negative SE); as sums of non-negative
    terms they give metafor 3.8-1's numbers (tests/analysis/reference: printed by
    rma(yi, vi, method=m) on escalc("ROM", ...) of this table)."""
    import warnings

    from analysis.effect_sizes import effect_sizes_from_table, required_roles
    from analysis.pooling import pool

    frame = pd.DataFrame(
        {
            "m1i": [1.0, 1.0],
            "sd1i": [0.0, 1.0],
            "n1i": [1, 1],
            "m2i": [5676.0, 1.0],
            "sd2i": [1.0, 0.0],
            "n2i": [4, 1],
        }
    )
    es = effect_sizes_from_table(frame, "ROM", {r: r for r in required_roles("ROM")})
    metafor = {
        "DL": (36.85939, 52.83415, -4.379845),
        "REML": (36.85939, 52.83415, -4.379845),
        "HE": (36.85939, 52.83415, -4.379845),
        "SJ": (36.38545, 50.80404, -4.380588),
        "PM": (36.85939, 52.82469, -4.379845),
    }
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for method, (tau2, se, estimate) in metafor.items():
            result = pool(es, method)
            assert result.tau2 == pytest.approx(tau2, rel=1e-6)
            assert result.tau2_se == pytest.approx(se, rel=1e-6)
            assert result.estimate == pytest.approx(estimate, rel=1e-6)
