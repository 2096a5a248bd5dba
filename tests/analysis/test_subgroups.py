"""Subgroup analysis and the meta-regression behind the common-tau^2 test."""

from __future__ import annotations

import json

import numpy as np
import pytest
import statsmodels.api as sm
from analysis_reference_data import bcg
from scipy import stats

from analysis import AnalysisInputError
from analysis.effect_sizes import binary_effect_sizes
from analysis.pooling import meta_analysis, meta_regression
from analysis.subgroups import subgroup_analysis


def effects():
    d = bcg()
    return binary_effect_sizes(d.tpos, d.n1, d.cpos, d.n2, "RR", labels=d.trial)


def approx4(value):
    return pytest.approx(value, abs=5e-5)


class TestMetaRegression:
    def test_latitude_moderator_matches_metafor(self):
        """rma(yi, vi, mods = ~ ablat, data=dat) on dat.bcg [MV]: tau2 0.0764, I2 68.39%,
        H2 3.16, QE(11) 30.7331 (p 0.0012), QM(1) 16.3571, intercept 0.2515 (se 0.2491,
        CI -0.2368..0.7397), ablat -0.0291 (se 0.0072, z -4.0444)."""
        fit = meta_regression(effects().yi, effects().vi, bcg().ablat, names=["ablat"])
        assert fit.tau2 == approx4(0.0764)
        assert fit.i2 == pytest.approx(68.39, abs=5e-3)
        assert fit.h2 == pytest.approx(3.16, abs=5e-3)
        assert (fit.qe, fit.qe_df, fit.qe_pvalue) == (approx4(30.7331), 11, approx4(0.0012))
        assert (fit.qm, fit.qm_df) == (approx4(16.3571), 1)
        intercept, ablat = fit.coefficient("intercept"), fit.coefficient("ablat")
        assert (intercept["estimate"], intercept["se"]) == (approx4(0.2515), approx4(0.2491))
        assert (intercept["ci_low"], intercept["ci_high"]) == (approx4(-0.2368), approx4(0.7397))
        assert (ablat["estimate"], ablat["se"], ablat["statistic"]) == (
            approx4(-0.0291),
            approx4(0.0072),
            approx4(-4.0444),
        )

    def test_latitude_moderator_with_knapp_hartung_matches_metafor_readme(self):
        """rma(yi, vi, mods = ~ ablat, test="knha") [MR]: F(1, 11) = 12.5905, p 0.0046;
        intercept 0.2515 se 0.2839 t 0.8857; ablat -0.0291 se 0.0082 t -3.5483,
        CI [-0.0472, -0.0111]."""
        fit = meta_regression(effects().yi, effects().vi, bcg().ablat, names=["ablat"], hk=True)
        assert (fit.qm, fit.qm_pvalue, fit.df) == (approx4(12.5905), approx4(0.0046), 11)
        intercept, ablat = fit.coefficient("intercept"), fit.coefficient("ablat")
        assert (intercept["se"], intercept["statistic"]) == (approx4(0.2839), approx4(0.8857))
        assert (ablat["se"], ablat["statistic"]) == (approx4(0.0082), approx4(-3.5483))
        assert (ablat["ci_low"], ablat["ci_high"]) == (approx4(-0.0472), approx4(-0.0111))

    def test_fixed_effect_regression_equals_weighted_least_squares(self):
        es = effects()
        fit = meta_regression(es.yi, es.vi, bcg().ablat, method="FE")
        wls = sm.WLS(es.yi, sm.add_constant(bcg().ablat.to_numpy()), weights=1 / es.vi).fit(
            cov_type="fixed scale"
        )
        np.testing.assert_allclose(fit.coefficients, wls.params, rtol=1e-12)
        np.testing.assert_allclose(fit.se, wls.bse, rtol=1e-12)
        assert fit.qe == pytest.approx(np.sum((es.yi - wls.fittedvalues) ** 2 / es.vi), rel=1e-12)

    def test_collinear_moderators_are_rejected(self):
        x = bcg().ablat.to_numpy()
        with pytest.raises(AnalysisInputError, match="collinear"):
            meta_regression(effects().yi, effects().vi, np.column_stack([x, 2 * x]))


class TestSubgroups:
    def test_separate_tau2_is_a_fixed_effect_test_of_subgroup_estimates(self):
        es = effects()
        alloc = bcg().alloc.tolist()
        out = subgroup_analysis(es, alloc, "REML")
        assert out.groups == ("random", "alternate", "systematic")
        assert [r.k for r in out.results] == [7, 2, 4]
        # each subgroup is an ordinary analysis of its studies
        random = es.subset(np.array([a == "random" for a in alloc]))
        assert out.result("random").estimate == pytest.approx(
            meta_analysis(random.yi, random.vi).estimate, rel=1e-14
        )
        # Q between = metafor's rma(estimate, sei=se, mods = ~ group, method="FE") QM
        est = np.array([r.estimate for r in out.results])
        se = np.array([r.se for r in out.results])
        dummies = np.array([[0, 0], [1, 0], [0, 1]], dtype=float)
        fe = meta_regression(est, se**2, dummies, method="FE")
        assert out.q_between == pytest.approx(fe.qm, rel=1e-10)
        assert out.df == 2
        assert out.pvalue == pytest.approx(stats.chi2.sf(out.q_between, 2), rel=1e-12)
        assert out.overall.k == 13

    def test_common_tau2_uses_the_mixed_effects_moderator_test(self):
        es = effects()
        alloc = bcg().alloc.tolist()
        out = subgroup_analysis(es, alloc, "REML", tau2="common")
        dummies = np.column_stack(
            [[a == "alternate" for a in alloc], [a == "systematic" for a in alloc]]
        ).astype(float)
        fit = meta_regression(es.yi, es.vi, dummies)
        assert out.q_between == pytest.approx(fit.qm, rel=1e-12)
        assert out.test == "chi2" and out.df == 2
        hk = subgroup_analysis(es, alloc, "REML", tau2="common", hk=True)
        assert hk.test == "F"

    def test_mantel_haenszel_subgroups(self):
        out = subgroup_analysis(effects(), bcg().alloc.tolist(), "MH")
        assert all(r.method == "MH" for r in out.results)
        with pytest.raises(AnalysisInputError):
            subgroup_analysis(effects(), bcg().alloc.tolist(), "MH", tau2="common")

    def test_bad_groupings(self):
        with pytest.raises(AnalysisInputError, match="at least 2"):
            subgroup_analysis(effects(), ["a"] * 13)
        with pytest.raises(AnalysisInputError) as err:
            subgroup_analysis(effects(), ["a"] * 12 + [None])
        assert (err.value.study, err.value.field) == ("13", "groups")

    def test_to_dict(self):
        out = subgroup_analysis(effects(), bcg().alloc.tolist(), "DL")
        data = json.loads(json.dumps(out.to_dict(), allow_nan=False))
        assert data["test_for_subgroup_differences"]["df"] == 2
        assert [g["group"] for g in data["subgroups"]] == ["random", "alternate", "systematic"]
