"""tau^2 estimators, Q, I^2 and H^2 follow metafor's definitions and iterations."""

from __future__ import annotations

import numpy as np
import pytest
from analysis_reference_data import KACKER_V, KACKER_Y, bcg, results_meta
from numpy.testing import assert_allclose
from scipy.optimize import brentq
from statsmodels.stats.meta_analysis import _fit_tau_iterative, _fit_tau_mm

from analysis._rootfind import R_DEFAULT_TOL, uniroot
from analysis.effect_sizes import binary_effect_sizes
from analysis.errors import AnalysisInputError
from analysis.heterogeneity import (
    cochran_q,
    estimate_tau2,
    heterogeneity,
    resolve_control,
    tau2_dersimonian_laird,
    tau2_hedges,
    tau2_paule_mandel,
    tau2_reml,
)


def bcg_rr():
    d = bcg()
    return binary_effect_sizes(d.tpos, d.n1, d.cpos, d.n2, "RR")


class TestKacker:
    """rma(y, v, method=..., control=list(tol=1e-9)) on the Kacker (2004) data [SM]."""

    def test_dersimonian_laird(self):
        res = results_meta.exk1_dl
        # metafor forms k x k projection matrices; agreement is to rounding (~1e-11)
        assert tau2_dersimonian_laird(KACKER_Y, KACKER_V).tau2 == pytest.approx(res.tau2, rel=1e-10)
        het = heterogeneity(KACKER_Y, KACKER_V, res.tau2, method="DL")
        assert het.q == pytest.approx(res.QE, rel=1e-10)
        assert het.q_pvalue == pytest.approx(res.QEp, rel=1e-9)
        assert het.i2 == pytest.approx(res.I2, rel=1e-10)
        assert het.h2 == pytest.approx(res.H2, rel=1e-10)

    def test_paule_mandel_with_tight_tolerance(self):
        res = results_meta.exk1_metafor
        est = tau2_paule_mandel(KACKER_Y, KACKER_V, control={"tol": 1e-9})
        assert est.tau2 == pytest.approx(res.tau2, rel=1e-9)

    def test_i2_uses_the_typical_within_study_variance_for_random_effects(self):
        """PM's I^2 (83.72%) is tau^2 / (tau^2 + s^2), not (Q - df) / Q (67.74%) [SM]."""
        res = results_meta.exk1_metafor
        het = heterogeneity(KACKER_Y, KACKER_V, res.tau2, method="PM")
        assert het.i2 == pytest.approx(res.I2, rel=1e-10)
        assert het.h2 == pytest.approx(res.H2, rel=1e-10)
        w = 1 / KACKER_V
        typical = (len(w) - 1) / (w.sum() - (w**2).sum() / w.sum())
        assert het.typical_variance == pytest.approx(typical, rel=1e-14)

    def test_fixed_effect_i2_and_h2_come_from_q(self):
        res = results_meta.exk1_fe
        het = heterogeneity(KACKER_Y, KACKER_V, 0.0, method="FE")
        assert het.i2 == pytest.approx(res.I2, rel=1e-10)
        assert het.h2 == pytest.approx(res.H2, rel=1e-10)

    def test_agrees_with_statsmodels_moment_and_iterative_estimators(self):
        dl = _fit_tau_mm(KACKER_Y, KACKER_V, 1 / KACKER_V)
        assert tau2_dersimonian_laird(KACKER_Y, KACKER_V).tau2 == pytest.approx(dl, rel=1e-12)
        pm, converged = _fit_tau_iterative(KACKER_Y, KACKER_V, tau2_start=0.1, atol=1e-12)
        assert converged
        tight = tau2_paule_mandel(KACKER_Y, KACKER_V, control={"tol": 1e-12}).tau2
        assert tight == pytest.approx(pm, rel=1e-8)


class TestBCG:
    def test_reml_is_identical_to_metafor(self):
        """tau2 = 0.313243325980895 and QE = 152.233008082373 from [MT] test_misc_influence.r.

        Reproducing metafor's Fisher scoring (start, step, threshold 1e-5) gives
        its stopping value, not merely a value near the exact maximiser.
        """
        es = bcg_rr()
        est = tau2_reml(es.yi, es.vi)
        assert est.tau2 == pytest.approx(0.313243325980895, rel=1e-13)
        assert est.iterations > 1
        assert cochran_q(es.yi, es.vi) == pytest.approx(152.233008082373, rel=1e-13)

    def test_dl_and_reml_match_published_values(self):
        """DL 0.3088 [MT metan test], 0.308760 and REML 0.313243 [TP]."""
        es = bcg_rr()
        assert estimate_tau2("DL", es.yi, es.vi).tau2 == pytest.approx(0.308760, abs=5e-7)
        assert estimate_tau2("REML", es.yi, es.vi).tau2 == pytest.approx(0.313243, abs=5e-7)

    def test_paule_mandel_reproduces_metafors_uniroot_stopping_point(self):
        """PM tau^2 = 0.318094 with metafor's default tolerance [TP].

        The exact root of Q(tau^2) = k - 1 is 0.318068: metafor stops R's
        uniroot at tol = .Machine$double.eps^0.25, and so do we by default.
        """
        es = bcg_rr()
        default = tau2_paule_mandel(es.yi, es.vi).tau2
        exact = tau2_paule_mandel(es.yi, es.vi, control={"tol": 1e-13}).tau2
        assert default == pytest.approx(0.318094, abs=5e-7)
        assert exact == pytest.approx(0.318068, abs=5e-7)

    def test_or_reml_i2_and_h2(self):
        """rma(measure="OR") on dat.bcg: I2 92.07269, H2 12.61462, tau2 0.3378 [CN]."""
        d = bcg()
        es = binary_effect_sizes(d.tpos, d.n1, d.cpos, d.n2, "OR")
        tau2 = tau2_reml(es.yi, es.vi).tau2
        het = heterogeneity(es.yi, es.vi, tau2, method="REML")
        assert tau2 == pytest.approx(0.3378, abs=5e-5)
        assert het.i2 == pytest.approx(92.07269, abs=5e-6)
        assert het.h2 == pytest.approx(12.61462, abs=5e-6)
        assert het.q == pytest.approx(163.1649, abs=5e-5)


class TestRemlStepAdjustment:
    """Full Fisher-scoring steps oscillate on this data (found by hypothesis)."""

    Y = np.array([0.0, 0, 0, 0, 0, 1])
    V = np.array([1.0, 1, 1, 1, 1, 0.125])

    def test_metafors_default_fails_like_metafor(self):
        from analysis.errors import ConvergenceError

        with pytest.raises(ConvergenceError, match="did not converge"):
            tau2_reml(self.Y, self.V, control={"stepadj_retries": 0})

    def test_documented_remedy_is_applied_and_reported(self):
        est = tau2_reml(self.Y, self.V)
        assert "stepadj=0.5" in est.notes[0]
        same = tau2_reml(self.Y, self.V, control={"stepadj": 0.5})
        assert est.tau2 == same.tau2
        exact = tau2_reml(self.Y, self.V, control={"stepadj": 0.5, "threshold": 1e-13}).tau2
        assert est.tau2 == pytest.approx(exact, abs=1e-5)


class TestTruncationAndEdges:
    def test_homogeneous_studies_give_tau2_zero_for_every_estimator(self):
        y = np.array([0.10, 0.12, 0.09, 0.11])
        v = np.array([0.04, 0.05, 0.06, 0.05])
        assert tau2_hedges(y, v) < 0  # the raw moment estimate is negative...
        for method in ("DL", "PM", "REML"):
            assert estimate_tau2(method, y, v).tau2 == 0.0  # ...but tau^2 never is

    def test_one_study_has_no_heterogeneity(self):
        assert estimate_tau2("REML", [0.3], [0.1]).tau2 == 0.0
        het = heterogeneity([0.3], [0.1], 0.0, method="REML")
        assert (het.q, het.q_df, het.q_pvalue, het.i2, het.h2) == (0.0, 0, 1.0, 0.0, 1.0)

    def test_identical_estimates(self):
        y = np.full(5, 0.4)
        v = np.array([0.1, 0.2, 0.05, 0.3, 0.1])
        het = heterogeneity(y, v, 0.0, method="FE")
        assert het.q == 0.0 and het.i2 == 0.0

    def test_unknown_estimator_and_control_option(self):
        with pytest.raises(AnalysisInputError) as err:
            estimate_tau2("GENQM", [0.1, 0.2], [0.1, 0.1])
        assert err.value.field == "method"
        with pytest.raises(AnalysisInputError):
            resolve_control({"treshold": 1e-6})


class TestUniroot:
    def test_finds_roots_like_brent(self):
        for f, lo, hi in (
            (lambda x: x**3 - 2 * x - 5, 2, 3),
            (np.cos, 0, 3),
            (lambda x: np.exp(x) - 10, 0, 5),
        ):
            root = uniroot(f, lo, hi, tol=1e-14)
            assert root.converged
            assert root.root == pytest.approx(brentq(f, lo, hi, xtol=1e-14), abs=1e-12)

    def test_default_tolerance_is_r_default(self):
        assert np.finfo(float).eps ** 0.25 == R_DEFAULT_TOL  # .Machine$double.eps^0.25

    def test_requires_a_sign_change(self):
        with pytest.raises(ValueError, match="opposite sign"):
            uniroot(lambda x: x**2 + 1, -1, 1)


def test_kacker_statistics_agree_with_given_design():
    """Passing an explicit intercept-only design gives the same as the default."""
    X = np.ones((len(KACKER_Y), 1))
    assert_allclose(cochran_q(KACKER_Y, KACKER_V, X), cochran_q(KACKER_Y, KACKER_V))
