"""The generalised Q estimator of tau^2 (metafor's ``method="GENQ"`` with ``weights``)
against R: ``reference/genq.R`` fitted dat.bcg, dat.molloy2014 and dat.pritz1997 with
four weighting schemes, z and t tests, and a moderator; matched to 1e-6."""

from __future__ import annotations

import math
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis import AnalysisInputError
from analysis.heterogeneity import design, estimate_tau2, tau2_generalised_q
from analysis.pooling import meta_analysis
from analysis.pooling.uni import fit_inverse_variance

HERE = Path(__file__).parent / "reference"


@cache
def table(name: str) -> pd.DataFrame:
    return pd.read_csv(HERE / f"genq_{name}.csv", keep_default_na=False, na_values=["NA"])


def data(dataset: str, scheme: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    rows = table("studies")
    rows = rows[rows.dataset == dataset].sort_values("study")
    y, v = rows.yi.to_numpy(float), rows.vi.to_numpy(float)
    weights = {
        "inverse_se": 1 / np.sqrt(v),
        "equal": np.ones_like(v),
        "inverse_variance": 1 / v,
        "arbitrary": rows.arbitrary.to_numpy(float),
    }[scheme]
    return y, v, weights, rows.ablat.to_numpy(float)


def close(ours, theirs) -> bool:
    if isinstance(theirs, float) and math.isnan(theirs):
        return ours is None
    return ours == pytest.approx(theirs, rel=1e-6, abs=1e-10)


FITS = table("fits").to_dict("records")


@pytest.mark.parametrize(
    "row",
    FITS,
    ids=[
        f"{r['dataset']}-{r['weights']}-{r['test']}-{'mods' if r['mods'] else 'int'}" for r in FITS
    ],
)
def test_equals_metafor(row):
    y, v, a, ablat = data(row["dataset"], row["weights"])
    if row["mods"]:
        X = design(len(y), ablat)
        tau = tau2_generalised_q(y, v, a, X)
        fit = fit_inverse_variance(y, v, X, "GENQ", False, 0.95, None, row["test"], weights=a)
        assert close(tau.tau2, row["tau2"]) and close(tau.se, row["tau2_se"])
        for name in ("estimate", "se", "statistic", "pvalue", "ci_low", "ci_high"):
            key = {"estimate": "beta", "statistic": "stat", "pvalue": "pval"}.get(name, name)
            assert close(float(fit[key][0]), row[name]), name
        assert close(fit["het"].i2, row["i2"]) and close(fit["het"].q, row["q"])
        return
    result = meta_analysis(y, v, method="GENQ", weights=a, test=row["test"])
    for name in ("estimate", "se", "statistic", "pvalue", "ci_low", "ci_high", "tau2"):
        assert close(getattr(result, name), row[name]), name
    for name in ("tau2_se", "i2", "h2", "q", "pi_low", "pi_high"):
        assert close(getattr(result, name), row[name]), name
    assert close(result.weights[0], row["weight_first"])
    assert result.model == "random-effects" and result.heterogeneity_ci is None


def test_inverse_variance_and_equal_weights_give_dl_and_he():
    y, v, _, _ = data("bcg", "equal")
    dl = estimate_tau2("DL", y, v)
    he = estimate_tau2("HE", y, v)
    genq_dl = tau2_generalised_q(y, v, 1 / v)
    genq_he = tau2_generalised_q(y, v, np.ones_like(v))
    assert genq_dl.tau2 == pytest.approx(dl.tau2) and genq_dl.se == pytest.approx(dl.se)
    assert genq_he.tau2 == pytest.approx(he.tau2) and genq_he.se == pytest.approx(he.se)


@pytest.mark.parametrize(
    "weights, message",
    [([1.0, 2.0], "one weight per study"), ([1, 0, 1, 1], "positive"), ([1, 1, np.nan, 1], "pos")],
)
def test_bad_weights_are_refused_naming_the_field(weights, message):
    with pytest.raises(AnalysisInputError, match=message) as error:
        meta_analysis([0.1, 0.3, -0.2, 0.5], [0.1, 0.2, 0.1, 0.3], method="GENQ", weights=weights)
    assert error.value.field == "weights"


def test_without_weights_the_studies_are_weighted_by_one_over_their_se():
    y, v, a, _ = data("bcg", "inverse_se")
    row = next(r for r in FITS if r["dataset"] == "bcg" and r["weights"] == "inverse_se")
    result = meta_analysis(y, v, method="GENQ")
    assert close(result.tau2, row["tau2"]) and close(result.estimate, row["estimate"])
    assert close(estimate_tau2("GENQ", y, v).se, row["tau2_se"])


def test_hartung_knapp_is_refused_with_the_analysts_weights():
    with pytest.raises(AnalysisInputError) as error:
        meta_analysis([0.1, 0.3, -0.2], [0.1, 0.2, 0.1], method="GENQ", weights=[1, 1, 1], hk=True)
    assert error.value.field == "test"


@settings(max_examples=150, deadline=None)
@given(
    st.integers(1, 15).flatmap(
        lambda k: st.tuples(
            st.lists(st.floats(-5, 5), min_size=k, max_size=k),
            st.lists(st.floats(1e-4, 10), min_size=k, max_size=k),
            st.lists(st.floats(1e-3, 1e3), min_size=k, max_size=k),
        )
    ),
    st.sampled_from(("z", "t")),
)
def test_never_raises_on_valid_input(data, test):
    y, v, a = (np.array(x) for x in data)
    try:
        result = meta_analysis(y, v, method="GENQ", weights=a, test=test)
    except AnalysisInputError as error:
        assert error.reason and len(y) == 1 and test == "t"
        return
    assert result.tau2 >= 0 and math.isfinite(result.estimate) and result.se > 0
    assert 0 <= result.i2 <= 100 and math.isclose(sum(result.weights), 100)
