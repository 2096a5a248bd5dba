"""Egger's regression test as metafor's regtest()."""

from __future__ import annotations

import json

import numpy as np
import pytest
import statsmodels.api as sm
from analysis_reference_data import bcg

from analysis import AnalysisInputError
from analysis.effect_sizes import binary_effect_sizes
from analysis.publication_bias import egger_test


def effects(measure):
    d = bcg()
    return binary_effect_sizes(d.tpos, d.n1, d.cpos, d.n2, measure)


def approx4(value):
    return pytest.approx(value, abs=5e-5)


def test_default_is_metafors_mixed_effects_regression_on_the_standard_error():
    """regtest(rma(measure="OR")) on dat.bcg: z = -0.7743, p = 0.4388 [CN]."""
    out = egger_test(effects("OR"))
    assert (out.model, out.method, out.statistic_name) == ("rma", "REML", "z")
    assert out.statistic == approx4(-0.7743)
    assert out.pvalue == approx4(0.4388)


def test_knapp_hartung_version_matches_metafor_readme():
    """regtest(rma(yi, vi, test="knha")) on dat.bcg log RR [MR]: t = -0.7812, df = 11,
    p = 0.4512; limit estimate b = -0.5104 (CI -1.2123, 0.1915)."""
    out = egger_test(effects("RR"), hk=True)
    assert (out.statistic, out.df, out.pvalue) == (approx4(-0.7812), 11, approx4(0.4512))
    assert (out.limit_estimate, out.limit_ci_low, out.limit_ci_high) == (
        approx4(-0.5104),
        approx4(-1.2123),
        approx4(0.1915),
    )


def test_classic_egger_is_the_intercept_of_the_standard_normal_deviate_regression():
    """Egger et al. (1997): regress y/se on 1/se; test the intercept (t, k-2 df)."""
    es = effects("RR")
    out = egger_test(es, model="lm")
    se = np.sqrt(es.vi)
    classic = sm.OLS(es.yi / se, sm.add_constant(1 / se)).fit()
    assert out.statistic == pytest.approx(classic.tvalues[0], rel=1e-10)
    assert out.pvalue == pytest.approx(classic.pvalues[0], rel=1e-10)
    assert out.df == 11 and out.statistic_name == "t"
    assert out.limit_estimate == pytest.approx(classic.params[1], rel=1e-10)


def test_mh_and_peto_analyses_use_a_fixed_effect_regression():
    out = egger_test(effects("OR"), "MH")
    assert out.method == "FE"


def test_needs_three_studies_with_different_precision():
    es = effects("RR")
    with pytest.raises(AnalysisInputError, match="at least 3"):
        egger_test(es.subset([0, 1]))
    same = binary_effect_sizes([3, 5, 7], [20, 20, 20], [4, 5, 6], [20, 20, 20], "RD")
    with pytest.raises(AnalysisInputError):
        egger_test(same.subset([1, 1, 1]))


def test_to_dict():
    data = json.loads(json.dumps(egger_test(effects("RR")).to_dict(), allow_nan=False))
    assert data["model"] == "rma" and "limit_estimate" in data
