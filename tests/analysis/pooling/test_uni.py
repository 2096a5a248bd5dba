"""Pooled estimates agree with metafor's rma (and, where one table of BCG results covers
every method, rma.mh and rma.peto)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from analysis_reference_data import (
    BORENSTEIN,
    FINE_C2I,
    FINE_E2I,
    FINE_NCI,
    FINE_NEI,
    KACKER_V,
    KACKER_Y,
    bcg,
    results_meta,
)
from scipy import stats
from statsmodels.stats.meta_analysis import combine_effects

from analysis import AnalysisInputError, MetaAnalysisResult
from analysis.effect_sizes import binary_effect_sizes, continuous_effect_sizes
from analysis.pooling import meta_analysis, peto, pool

from . import approx4, bcg_effects

ALL_KEYS = {
    "k",
    "estimate",
    "se",
    "ci_low",
    "ci_high",
    "tau2",
    "i2",
    "q",
    "q_pvalue",
    "estimate_exp",
    "ci_low_exp",
    "ci_high_exp",
    "pi_low",
    "pi_high",
    "method",
    "measure",
    "level",
    "test",
    "df",
    "statistic",
    "pvalue",
    "studies",
    "options",
    "software",
}


class TestKackerFullPrecision:
    """rma() results for the Kacker data computed with metafor by statsmodels [SM]."""

    @pytest.mark.parametrize(
        "method, hk, ref",
        [
            ("FE", False, results_meta.exk1_fe),
            ("FE", True, results_meta.exk1_fe_hksj),
            ("DL", False, results_meta.exk1_dl),
            ("DL", True, results_meta.exk1_dl_hksj),
        ],
    )
    def test_fixed_and_dersimonian_laird(self, method, hk, ref):
        # metafor works with k x k matrices; agreement is to rounding error (~1e-11)
        r = meta_analysis(KACKER_Y, KACKER_V, method=method, hk=hk)
        assert r.estimate == pytest.approx(ref.b, rel=1e-13)
        assert r.se == pytest.approx(ref.se, rel=1e-10)
        assert r.statistic == pytest.approx(ref.zval, rel=1e-10)
        assert r.ci_low == pytest.approx(ref.ci_lb, rel=1e-12)
        assert r.ci_high == pytest.approx(ref.ci_ub, rel=1e-12)
        assert r.tau2 == pytest.approx(ref.tau2, rel=1e-10, abs=1e-14)
        assert r.q == pytest.approx(ref.QE, rel=1e-10)
        assert r.q_pvalue == pytest.approx(ref.QEp, rel=1e-9)
        assert r.i2 == pytest.approx(ref.I2, rel=1e-10)
        assert r.h2 == pytest.approx(ref.H2, rel=1e-10)
        if hk:
            assert r.df == 8 and r.statistic_name == "t"
            assert r.pvalue == pytest.approx(ref.pval, rel=1e-6)

    def test_paule_mandel(self):
        ref = results_meta.exk1_metafor
        r = meta_analysis(KACKER_Y, KACKER_V, method="PM", control={"tol": 1e-9})
        assert r.estimate == pytest.approx(ref.b, rel=1e-12)
        assert r.se == pytest.approx(ref.se, rel=1e-10)
        assert r.ci_low == pytest.approx(ref.ci_lb, rel=1e-12)
        assert r.ci_high == pytest.approx(ref.ci_ub, rel=1e-12)
        assert r.tau2 == pytest.approx(ref.tau2, rel=1e-10)
        assert r.i2 == pytest.approx(ref.I2, rel=1e-10)
        assert r.h2 == pytest.approx(ref.H2, rel=1e-10)
        assert r.q == pytest.approx(ref.QE, rel=1e-10)


class TestBCG:
    def test_reml_log_risk_ratio(self):
        """REML -0.7145, se 0.1798, tau2 0.3132, I2 92.22%, Q 152.2330 (published);
        tau2 0.313243325980895 and QE 152.233008082373 ([MT] test_misc_influence.r);
        predicted RR 0.4894 [0.3441, 0.6962], PI [0.1546, 1.5490] (metafor predict())."""
        r = pool(bcg_effects("RR"), "REML")
        assert r.estimate == approx4(-0.7145)
        assert r.se == approx4(0.1798)
        assert r.tau2 == pytest.approx(0.313243325980895, rel=1e-13)
        assert r.i2 == pytest.approx(92.22, abs=5e-3)
        assert r.q == pytest.approx(152.233008082373, rel=1e-13)
        assert r.q_df == 12
        assert (r.estimate_exp, r.ci_low_exp, r.ci_high_exp) == (
            approx4(0.4894),
            approx4(0.3441),
            approx4(0.6962),
        )
        assert math.exp(r.pi_low) == approx4(0.1546)
        assert math.exp(r.pi_high) == approx4(1.5490)
        assert r.extra["prediction_interval_distribution"] == "normal"

    def test_reml_with_knapp_hartung_matches_metafor_readme(self):
        """rma(yi, vi, data=dat, test="knha"): -0.7145, se 0.1808, t -3.9522, df 12,
        p 0.0019, CI [-1.1084, -0.3206]; predict(transf=exp): 0.49 [0.33, 0.73],
        PI [0.14, 1.76] (t-based) [MR]."""
        r = pool(bcg_effects("RR"), "REML", hk=True)
        assert (r.estimate, r.se, r.statistic) == (
            approx4(-0.7145),
            approx4(0.1808),
            approx4(-3.9522),
        )
        assert r.df == 12
        assert r.pvalue == approx4(0.0019)
        assert (r.ci_low, r.ci_high) == (approx4(-1.1084), approx4(-0.3206))
        assert [
            round(math.exp(v), 2) for v in (r.estimate, r.ci_low, r.ci_high, r.pi_low, r.pi_high)
        ] == [0.49, 0.33, 0.73, 0.14, 1.76]
        assert r.extra["prediction_interval_distribution"] == "t"

    @pytest.mark.parametrize(
        "measure, method, ref",
        [
            # [MT] test_misc_metan_vs_rma.uni_with_dat.bcg.r:
            # estimate, ci.lb, ci.ub, zval, QE/tau2/I2
            (
                "RR",
                "FE",
                {
                    "estimate": -0.4303,
                    "ci_low": -0.5097,
                    "ci_high": -0.3509,
                    "statistic": -10.6247,
                    "q": 152.2330,
                },
            ),
            (
                "RR",
                "DL",
                {
                    "estimate": -0.7141,
                    "ci_low": -1.0644,
                    "ci_high": -0.3638,
                    "statistic": -3.9952,
                    "tau2": 0.3088,
                    "i2": 92.1173,
                },
            ),
            (
                "OR",
                "FE",
                {
                    "estimate": -0.4361,
                    "ci_low": -0.5190,
                    "ci_high": -0.3533,
                    "statistic": -10.3190,
                    "q": 163.1649,
                },
            ),
            (
                "OR",
                "DL",
                {
                    "estimate": -0.7474,
                    "ci_low": -1.1242,
                    "ci_high": -0.3706,
                    "statistic": -3.8873,
                    "tau2": 0.3663,
                    "i2": 92.6455,
                },
            ),
            (
                "RD",
                "FE",
                {
                    "estimate": -0.0009,
                    "ci_low": -0.0014,
                    "ci_high": -0.0005,
                    "statistic": -4.0448,
                    "q": 276.4737,
                },
            ),
            (
                "RD",
                "DL",
                {
                    "estimate": -0.0071,
                    "ci_low": -0.0101,
                    "ci_high": -0.0040,
                    "statistic": -4.5128,
                    "tau2": 0.0000,
                    "i2": 95.6596,
                },
            ),
            # [MT] test_misc_metan_vs_rma.mh_with_dat.bcg.r
            (
                "RR",
                "MH",
                {
                    "estimate": -0.4537,
                    "ci_low": -0.5308,
                    "ci_high": -0.3766,
                    "statistic": -11.5338,
                    "q": 152.5676,
                },
            ),
            (
                "OR",
                "MH",
                {
                    "estimate": -0.4734,
                    "ci_low": -0.5538,
                    "ci_high": -0.3930,
                    "statistic": -11.5444,
                    "q": 163.9426,
                },
            ),
            (
                "RD",
                "MH",
                {
                    "estimate": -0.0033,
                    "ci_low": -0.0039,
                    "ci_high": -0.0027,
                    "statistic": -11.4708,
                    "q": 386.7759,
                },
            ),
            # [MT] test_misc_metan_vs_rma.peto_with_dat.bcg.r
            (
                "OR",
                "PETO",
                {
                    "estimate": -0.4744,
                    "ci_low": -0.5541,
                    "ci_high": -0.3948,
                    "statistic": -11.6689,
                    "q": 167.7302,
                },
            ),
        ],
    )
    def test_published_four_decimal_results(self, measure, method, ref):
        r = pool(bcg_effects(measure), method)
        for name, value in ref.items():
            assert getattr(r, name) == approx4(value), name

    def test_or_reml_summary(self):
        """summary(rma(measure="OR")) on dat.bcg [CN]: -0.7452, se 0.1860, z -4.0057,
        CI [-1.1098, -0.3806], tau2 0.3378, I2 92.07%, H2 12.61."""
        r = pool(bcg_effects("OR"), "REML")
        assert (r.estimate, r.se, r.statistic) == (
            approx4(-0.7452),
            approx4(0.1860),
            approx4(-4.0057),
        )
        assert (r.ci_low, r.ci_high) == (approx4(-1.1098), approx4(-0.3806))
        assert r.tau2 == approx4(0.3378)

    def test_paule_mandel_estimate(self):
        """PM on dat.bcg log RR: tau2 0.318094, estimate -0.714970 [TP]."""
        r = pool(bcg_effects("RR"), "PM")
        assert r.tau2 == pytest.approx(0.318094, abs=5e-7)
        assert r.estimate == pytest.approx(-0.714970, abs=5e-7)

    def test_mh_and_peto_weights(self):
        d = bcg()
        mh = pool(bcg_effects("OR"), "MH")
        b, c = d.n1 - d.tpos, d.cpos
        w = b * c / (d.n1 + d.n2)
        assert np.allclose(mh.weights, 100 * w / w.sum())
        assert sum(pool(bcg_effects("OR"), "PETO").weights) == pytest.approx(100)


class TestContinuousPooling:
    def test_borenstein_dersimonian_laird(self):
        """Borenstein Table 14.1, escalc vtype "LS2", rma(method="DL") [BO]: 0.3582, se 0.1052,
        z 3.4038, CI [0.1520, 0.5645], tau2 0.0373, I2 58.34%, H2 2.40, Q 12.0033."""
        d = BORENSTEIN
        es = continuous_effect_sizes(
            d.m1, d.sd1, d.n1, d.m2, d.sd2, d.n2, "SMD", vtype="LS2", labels=d.study
        )
        r = pool(es, "DL")
        assert (r.estimate, r.se, r.statistic) == (
            approx4(0.3582),
            approx4(0.1052),
            approx4(3.4038),
        )
        assert (r.ci_low, r.ci_high) == (approx4(0.1520), approx4(0.5645))
        assert r.tau2 == approx4(0.0373)
        assert r.i2 == pytest.approx(58.34, abs=5e-3)
        assert r.h2 == pytest.approx(2.40, abs=5e-3)
        assert r.q == approx4(12.0033)
        fe = pool(es, "FE")
        assert [round(v, 2) for v in (fe.estimate, fe.ci_low, fe.ci_high)] == [0.41, 0.29, 0.54]


class TestAgainstStatsmodelsCombineEffects:
    @pytest.mark.parametrize("method, method_re", [("DL", "chi2"), ("PM", "iterated")])
    def test_random_effects(self, method, method_re):
        es = bcg_effects("OR")
        ours = pool(es, method, control={"tol": 1e-12})
        theirs = combine_effects(es.yi, es.vi, method_re=method_re, atol=1e-12)
        assert ours.tau2 == pytest.approx(theirs.tau2, rel=1e-7, abs=1e-12)
        assert ours.estimate == pytest.approx(theirs.mean_effect_re, rel=1e-8)
        assert ours.se == pytest.approx(theirs.sd_eff_w_re, rel=1e-8)
        assert ours.q == pytest.approx(theirs.q, rel=1e-12)

    def test_statsmodels_does_not_truncate_negative_dl_estimates(self):
        """fine1993: Q = 16.18 < df = 16, so the DL moment estimate is negative; metafor
        (and we) report tau^2 = 0, statsmodels keeps the negative value."""
        es = binary_effect_sizes(FINE_E2I, FINE_NEI, FINE_C2I, FINE_NCI, "OR")
        theirs = combine_effects(es.yi, es.vi, method_re="chi2")
        ours = pool(es, "DL")
        assert theirs.tau2 < 0 and ours.tau2 == 0
        assert ours.q == pytest.approx(theirs.q, rel=1e-12)

    def test_hartung_knapp_and_meta_package_results(self):
        """R meta::metabin(method.tau="DL", hakn=TRUE) results stored in [SM]."""
        ref = results_meta.results_or_dl_hk
        es = binary_effect_sizes(ref.event_e, ref.n_e, ref.event_c, ref.n_c, "OR")
        r = pool(es, "DL", hk=True)
        assert r.estimate == pytest.approx(ref.TE_random, rel=1e-12)
        assert r.se == pytest.approx(ref.seTE_random, rel=1e-12)
        assert (r.ci_low, r.ci_high) == (
            pytest.approx(ref.lower_random, rel=1e-12),
            pytest.approx(ref.upper_random, rel=1e-10),
        )
        assert r.tau2 == pytest.approx(ref.tau2, rel=1e-10)
        assert r.i2 == pytest.approx(100 * ref.I2, rel=1e-10)
        fe = pool(es, "FE")
        assert (fe.estimate, fe.se) == (
            pytest.approx(ref.TE_fixed, rel=1e-13),
            pytest.approx(ref.seTE_fixed, rel=1e-13),
        )


class TestEdgeCases:
    def test_one_study(self):
        r = meta_analysis([0.5], [0.04], method="REML")
        assert r.estimate == 0.5 and r.se == pytest.approx(0.2)
        assert (r.tau2, r.q, r.q_df, r.q_pvalue, r.i2, r.h2) == (0.0, 0.0, 0, 1.0, 0.0, 1.0)
        assert any("one study" in n.lower() for n in r.notes)
        with pytest.raises(AnalysisInputError, match="Hartung-Knapp"):
            meta_analysis([0.5], [0.04], method="REML", hk=True)

    def test_two_studies(self):
        r = meta_analysis([0.1, 0.9], [0.04, 0.05], method="REML", hk=True)
        assert r.df == 1 and r.tau2 > 0
        assert r.ci_high - r.ci_low > 2 * stats.norm.isf(0.025) * r.se  # t(1) is wide

    def test_identical_studies(self):
        for method in ("DL", "REML", "PM"):
            r = meta_analysis([0.3] * 4, [0.1, 0.2, 0.05, 0.1], method=method)
            assert r.tau2 == 0.0 and r.i2 == 0.0 and r.q == 0.0
            assert r.estimate == pytest.approx(0.3)
        r = meta_analysis([0.3] * 4, [0.1, 0.2, 0.05, 0.1], method="DL", hk=True)
        assert r.se == 0.0 and any("zero" in n for n in r.notes)

    def test_tau2_zero_makes_random_equal_fixed(self):
        y, v = [0.10, 0.12, 0.09, 0.11], [0.04, 0.05, 0.06, 0.05]
        fe = meta_analysis(y, v, method="FE")
        for method in ("DL", "REML", "PM"):
            re = meta_analysis(y, v, method=method)
            assert re.tau2 == 0
            assert (re.estimate, re.se) == (
                pytest.approx(fe.estimate, rel=1e-14),
                pytest.approx(fe.se, rel=1e-14),
            )
            assert (re.pi_low, re.pi_high) == (pytest.approx(re.ci_low), pytest.approx(re.ci_high))
        assert fe.pi_low is None and fe.pi_high is None

    def test_zero_events_in_one_arm(self):
        es = binary_effect_sizes([0, 4, 6], [20, 20, 30], [3, 8, 9], [20, 21, 30], "OR")
        iv = pool(es, "FE")
        assert iv.studies[0].included and es.corrected.tolist() == [True, False, False]
        mh = pool(es, "MH")
        assert mh.extra["k_q"] == 3 and mh.k == 3

    def test_zero_events_in_both_arms(self):
        """IV keeps the corrected study (escalc drop00=FALSE); MH/Peto leave it out of Q."""
        es = binary_effect_sizes([0, 4, 6], [20, 20, 30], [0, 8, 9], [20, 21, 30], "OR")
        assert pool(es, "REML").k == 3
        for method in ("MH", "PETO"):
            r = pool(es, method)
            assert r.k == 3 and r.extra["k_q"] == 2 and r.q_df == 1
            assert r.studies[0].weight == 0 and not r.studies[0].included
        dropped = binary_effect_sizes(
            [0, 4, 6], [20, 20, 30], [0, 8, 9], [20, 21, 30], "OR", drop00=True
        )
        r = pool(dropped, "REML")
        assert r.k == 2 and not r.studies[0].included and r.studies[0].yi is None

    def test_mh_undefined_when_no_events_anywhere(self):
        es = binary_effect_sizes([0, 0], [10, 15], [0, 0], [10, 30], "RR")
        with pytest.raises(AnalysisInputError, match="no events"):
            pool(es, "MH")
        with pytest.raises(AnalysisInputError, match="never occurred"):
            peto([0, 0], [10, 15], [0, 0], [10, 30])
        assert (
            pool(binary_effect_sizes([0, 0], [10, 15], [0, 0], [10, 30], "RD"), "MH").estimate == 0
        )

    def test_invalid_combinations(self):
        es = bcg_effects("RR")
        with pytest.raises(AnalysisInputError, match="Hartung-Knapp") as err:
            pool(es, "MH", hk=True)
        assert err.value.field == "hk"
        with pytest.raises(AnalysisInputError, match="odds ratios"):
            pool(es, "PETO")
        with pytest.raises(AnalysisInputError) as err:
            pool(es, "XYZ")
        assert err.value.field == "method"
        d = BORENSTEIN
        smd = continuous_effect_sizes(d.m1, d.sd1, d.n1, d.m2, d.sd2, d.n2)
        with pytest.raises(AnalysisInputError, match="2x2"):
            pool(smd, "MH")

    def test_level_accepts_fraction_or_percent(self):
        a = pool(bcg_effects("RR"), "DL", level=0.9)
        b = pool(bcg_effects("RR"), "DL", level=90)
        assert a.ci_low == b.ci_low and a.level == 0.9


class TestSerialisation:
    def test_to_dict_schema_is_stable_and_strict_json(self):
        r = pool(bcg_effects("RR"), "REML", hk=True)
        data = json.loads(json.dumps(r.to_dict(), allow_nan=False))
        assert set(data) >= ALL_KEYS
        assert data["i2"] == pytest.approx(r.i2) and data["scale"] == "log"
        assert data["estimate_exp"] == pytest.approx(math.exp(r.estimate))
        assert data["options"]["method"] == "REML" and data["options"]["hk"] is True
        assert data["options"]["effect_sizes"]["to"] == "only0"
        assert data["options"]["control"]["threshold"] == 1e-5
        assert {"numpy", "scipy", "statsmodels", "analysis"} <= set(data["software"])
        assert len(data["studies"]) == 13 and {"ai", "bi", "ci", "di"} <= set(data["studies"][0])

    def test_non_ratio_measures_have_null_exponentiated_values(self):
        d = BORENSTEIN
        r = pool(continuous_effect_sizes(d.m1, d.sd1, d.n1, d.m2, d.sd2, d.n2), "FE")
        data = r.to_dict()
        assert data["estimate_exp"] is None and data["pi_low"] is None
        assert set(data) == set(pool(bcg_effects("OR"), "MH").to_dict())

    def test_result_type(self):
        assert isinstance(pool(bcg_effects("RR")), MetaAnalysisResult)
