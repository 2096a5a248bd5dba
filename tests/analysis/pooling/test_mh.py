"""Mantel-Haenszel estimates agree with metafor's rma.mh and statsmodels' StratifiedTable."""

from __future__ import annotations

import math

import numpy as np
import pytest
from analysis_reference_data import ROTHMAN_15_1, ROTHMAN_15_5, bcg
from statsmodels.stats.contingency_tables import StratifiedTable

from analysis.pooling import mantel_haenszel, pool

from . import approx4, bcg_effects


class TestMantelHaenszelAgainstStatsmodels:
    """statsmodels' StratifiedTable implements the same MH estimators."""

    def tables(self):
        d = bcg()
        return [
            np.array([[a, n1 - a], [c, n2 - c]])
            for a, n1, c, n2 in zip(d.tpos, d.n1, d.cpos, d.n2, strict=True)
        ]

    def test_odds_ratio_and_robins_breslow_greenland_se(self):
        st = StratifiedTable(self.tables())
        r = pool(bcg_effects("OR"), "MH")
        assert r.estimate == pytest.approx(st.logodds_pooled, rel=1e-12)
        assert r.se == pytest.approx(st.logodds_pooled_se, rel=1e-12)
        bd = st.test_equal_odds(adjust=False)
        assert r.extra["breslow_day"] == pytest.approx(bd.statistic, rel=1e-8)

    def test_risk_ratio(self):
        st = StratifiedTable(self.tables())
        r = pool(bcg_effects("RR"), "MH")
        assert math.exp(r.estimate) == pytest.approx(st.riskratio_pooled, rel=1e-12)


class TestRothman:
    """Rothman et al. (2008) chapter 15 tables, level 90% ([MT] rothman2008)."""

    def run(self, table, measure):
        t = table
        return mantel_haenszel(
            t["ai"], t["ai"] + t["bi"], t["ci"], t["ci"] + t["di"], measure, level=90, correct=False
        )

    def test_risk_difference(self):
        r = self.run(ROTHMAN_15_1, "RD")
        assert (r.estimate, r.ci_low, r.ci_high) == (
            approx4(0.0349),
            approx4(-0.0176),
            approx4(0.0874),
        )
        assert (r.q, r.q_pvalue) == (approx4(0.0017), approx4(0.9669))

    def test_risk_ratio(self):
        r = self.run(ROTHMAN_15_1, "RR")
        assert (r.estimate, r.ci_low, r.ci_high) == (
            approx4(0.2818),
            approx4(-0.1442),
            approx4(0.7078),
        )
        assert (r.q, r.q_pvalue) == (approx4(0.4472), approx4(0.5037))
        assert [r.estimate_exp, r.ci_low_exp, r.ci_high_exp] == [
            approx4(1.3256),
            approx4(0.8658),
            approx4(2.0296),
        ]

    def test_odds_ratio_with_association_and_homogeneity_tests(self):
        r = self.run(ROTHMAN_15_1, "OR")
        assert (r.estimate, r.ci_low, r.ci_high) == (
            approx4(0.3387),
            approx4(-0.1731),
            approx4(0.8505),
        )
        assert (r.q, r.q_pvalue) == (approx4(0.3474), approx4(0.5556))
        x = r.extra
        assert (x["cochran"], x["cochran_pvalue"]) == (approx4(1.1976), approx4(0.2738))
        assert (x["cmh"], x["cmh_pvalue"]) == (approx4(1.1914), approx4(0.2750))
        assert (x["tarone"], x["tarone_pvalue"]) == (approx4(0.3489), approx4(0.5547))

    def test_sparse_table(self):
        r = self.run(ROTHMAN_15_5, "OR")
        assert (r.estimate, r.ci_low, r.ci_high) == (
            approx4(1.3300),
            approx4(0.3579),
            approx4(2.3021),
        )
        assert (r.q, r.q_pvalue) == (approx4(0.1378), approx4(0.7105))
        x = r.extra
        assert (x["cochran"], x["cochran_pvalue"]) == (approx4(5.8248), approx4(0.0158))
        assert (x["cmh"], x["cmh_pvalue"]) == (approx4(5.8092), approx4(0.0159))
        assert (x["tarone"], x["tarone_pvalue"]) == (approx4(0.1391), approx4(0.7092))
