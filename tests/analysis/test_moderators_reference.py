"""Meta-regression against metafor 3.8-1 (fixtures written by reference/moderators.R):
coefficients, QM, R^2, tau^2 and its SE, predictions and permutation p-values."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analysis import effect_sizes_from_estimates
from analysis.moderators import analyse_moderators

HERE = Path(__file__).parent / "reference"
STUDIES = pd.read_csv(HERE / "moderators_studies.csv", keep_default_na=False, na_values=["NA"])
FITS = pd.read_csv(HERE / "moderators_fits.csv", na_values=["NA"])
COEFS = pd.read_csv(HERE / "moderators_coefficients.csv", na_values=["NA"])
PREDS = pd.read_csv(HERE / "moderators_predict.csv", na_values=["NA"], keep_default_na=False)
PERMS = pd.read_csv(HERE / "moderators_permutest.csv", na_values=["NA"])
MODELS = {
    "x": (["x"], []),
    "g": (["g"], ["g"]),
    "xg": (["x", "g"], ["g"]),
    "xx2": (["x", "x2"], []),
}
RTOL = 1e-6


def close(ours: float | None, theirs: float, rtol: float = RTOL) -> bool:
    if theirs is None or (isinstance(theirs, float) and math.isnan(theirs)):
        return ours is None or not math.isfinite(ours)
    return ours is not None and math.isclose(ours, theirs, rel_tol=rtol, abs_tol=1e-10)


def fit(dataset: str, model: str, method: str, test: str, **options):
    s = STUDIES[STUDIES.dataset == dataset]
    effects = effect_sizes_from_estimates(s.yi.to_numpy(), s.vi.to_numpy())
    mods, categorical = MODELS[model]
    data = {"x": list(s.x), "x2": list(s.x2), "g": [str(g) for g in s.g]}
    return analyse_moderators(effects, data, mods, categorical, method=method, test=test, **options)


@pytest.mark.parametrize(
    "row",
    FITS.to_dict("records"),
    ids=lambda r: "/".join(str(r[c]) for c in ("dataset", "model", "method", "test")),
)
def test_model_matches_metafor(row):
    result = fit(row["dataset"], row["model"], row["method"], row["test"])
    f = result.fit
    assert f.k == row["k"]
    for ours, name in [
        (f.tau2, "tau2"),
        (f.tau2_se, "se_tau2"),
        (f.i2, "i2"),
        (f.h2, "h2"),
        (result.r2, "r2"),
        (f.qe, "qe"),
        (f.qe_pvalue, "qe_p"),
        (f.qm, "qm"),
        (f.qm_pvalue, "qm_p"),
    ]:
        if row["method"] == "FE" and name == "se_tau2":
            continue
        assert close(ours, row[name]), (name, ours, row[name])
    assert f.qm_df == row["qm_df"]
    coefs = COEFS[
        (COEFS.dataset == row["dataset"])
        & (COEFS.model == row["model"])
        & (COEFS.method == row["method"])
        & (COEFS.test == row["test"])
    ].sort_values("position")
    for i, c in enumerate(coefs.to_dict("records")):
        for ours, name in [
            (f.coefficients[i], "estimate"),
            (f.se[i], "se"),
            (f.statistic[i], "stat"),
            (f.pvalue[i], "pval"),
            (f.ci_low[i], "ci_low"),
            (f.ci_high[i], "ci_high"),
        ]:
            assert close(ours, c[name]), (i, name, ours, c[name])


def _at(row: dict) -> dict:
    at = {}
    for key, name in (("at_x", "x"), ("at_x2", "x2"), ("at_g", "g")):
        value = row[key]
        if value not in ("NA", "") and not (isinstance(value, float) and math.isnan(value)):
            at[name] = value if name == "g" else float(value)
    return at


@pytest.mark.parametrize(
    "key",
    sorted({tuple(r) for r in PREDS[["dataset", "model", "method", "test"]].to_numpy()}),
    ids="/".join,
)
def test_predictions_match_metafor(key):
    dataset, model, method, test = key
    rows = PREDS[
        (PREDS.dataset == dataset)
        & (PREDS.model == model)
        & (PREDS.method == method)
        & (PREDS.test == test)
    ].to_dict("records")
    result = fit(dataset, model, method, test, predict_at=[_at(r) for r in rows])
    for p, row in zip(result.predictions, rows, strict=True):
        for name in ("estimate", "se", "ci_low", "ci_high", "pi_low", "pi_high"):
            theirs = row["pred" if name == "estimate" else name]
            theirs = float("nan") if theirs in ("NA", "") else float(theirs)
            if method == "FE" and name.startswith("pi"):
                # metafor gives the CI as the PI of a fixed-effect model; none is shown here
                assert getattr(p, name) is None
                continue
            assert close(getattr(p, name), theirs), (name, getattr(p, name), theirs)


EXACT = PERMS[PERMS.exact]


@pytest.mark.parametrize(
    "key",
    sorted({tuple(r) for r in EXACT[["dataset", "model", "method", "test"]].to_numpy()}),
    ids="/".join,
)
def test_exact_permutation_test_matches_metafor(key):
    dataset, model, method, test = key
    rows = EXACT[
        (EXACT.dataset == dataset)
        & (EXACT.model == model)
        & (EXACT.method == method)
        & (EXACT.test == test)
    ].sort_values("position")
    result = fit(dataset, model, method, test, permutations=5000)
    perm = result.permutation
    assert perm is not None and perm.exact and perm.seed is None
    assert perm.iterations == rows.iterations.iloc[0]
    assert close(perm.qm_pvalue, rows.qm_p.iloc[0])
    for ours, theirs in zip(perm.pvalues, rows.pval, strict=True):
        assert close(ours, theirs)


def test_random_permutation_test_agrees_with_metafor_in_distribution():
    """R's and numpy's generators differ, so the two 1000-permutation p-values are two
    draws around the same exact value: they must agree within binomial error."""
    row = PERMS[~PERMS.exact & (PERMS.position == 2)].iloc[0]
    result = fit("bcg", "x", "REML", "z", permutations=1000, seed=7)
    perm = result.permutation
    assert perm is not None and not perm.exact and perm.seed == 7 and perm.iterations == 1000
    p = max(row.qm_p, 1 / 1000)
    spread = 4 * math.sqrt(2 * p * (1 - p) / 1000) + 2 / 1000
    assert abs(perm.qm_pvalue - row.qm_p) <= spread
    # the same seed gives the same p-values
    again = fit("bcg", "x", "REML", "z", permutations=1000, seed=7).permutation
    assert again == perm


def test_permutation_p_value_is_close_to_the_exact_one_with_many_draws():
    """On a set small enough to enumerate, random permutations converge on the exact
    p-value (a binomial check, not a fixed number)."""
    exact = fit("bcg7", "x", "DL", "z", permutations=5000).permutation
    drawn = fit("bcg7", "x", "DL", "z", permutations=2000, seed=3).permutation
    assert exact is not None and drawn is not None and not drawn.exact
    p = exact.qm_pvalue
    assert abs(drawn.qm_pvalue - p) <= 4 * math.sqrt(p * (1 - p) / 2000) + 1 / 2000
    assert stats.binomtest(round(drawn.qm_pvalue * 2000), 2000, p).pvalue > 1e-4
    assert np.isfinite(drawn.pvalues).all()
