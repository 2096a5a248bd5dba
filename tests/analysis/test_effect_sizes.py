"""Per-study effect sizes behave like metafor::escalc."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from analysis_reference_data import (
    BORENSTEIN,
    BORENSTEIN_SMD_VI_LS,
    BORENSTEIN_SMD_VI_UB,
    BORENSTEIN_SMD_YI,
    FINE_C2I,
    FINE_E2I,
    FINE_NCI,
    FINE_NEI,
    bcg,
    results_meta,
)
from numpy.testing import assert_allclose
from scipy.special import gamma
from statsmodels.duration.hazard_regression import PHReg
from statsmodels.stats.meta_analysis import effectsize_2proportions, effectsize_smd

from analysis import AnalysisInputError
from analysis.effect_sizes import (
    binary_effect_sizes,
    continuous_effect_sizes,
    cox_log_hazard_ratio,
    effect_sizes_from_estimates,
    effect_sizes_from_table,
    hazard_ratio_effect_sizes,
    hedges_correction,
)


class TestBinaryAgainstMetafor:
    """escalc(measure=..., ai=e2i, n1i=nei, ci=c2i, n2i=nci, data=dat.fine1993) [SM]."""

    @pytest.mark.parametrize(
        "measure, yname, vname",
        [("OR", "y_or", "v_or"), ("RR", "y_rr", "v_rr"), ("RD", "y_rd", "v_rd")],
    )
    def test_fine1993(self, measure, yname, vname):
        es = binary_effect_sizes(FINE_E2I, FINE_NEI, FINE_C2I, FINE_NCI, measure)
        assert_allclose(es.yi, getattr(results_meta.eff_prop1, yname), rtol=1e-12)
        assert_allclose(es.vi, getattr(results_meta.eff_prop1, vname), rtol=1e-12)

    def test_bcg_log_risk_ratios_match_metafor_readme(self):
        """yi/vi columns printed by escalc(measure="RR", data=dat.bcg) in metafor's README [MR]."""
        d = bcg()
        es = binary_effect_sizes(d.tpos, d.n1, d.cpos, d.n2, "RR")
        assert_allclose(
            es.yi.round(4),
            [
                -0.8893,
                -1.5854,
                -1.3481,
                -1.4416,
                -0.2175,
                -0.7861,
                -1.6209,
                0.0120,
                -0.4694,
                -1.3713,
                -0.3394,
                0.4459,
                -0.0173,
            ],
        )
        assert_allclose(
            es.vi.round(4),
            [
                0.3256,
                0.1946,
                0.4154,
                0.0200,
                0.0512,
                0.0069,
                0.2230,
                0.0040,
                0.0564,
                0.0730,
                0.0124,
                0.5325,
                0.0714,
            ],
        )

    @pytest.mark.parametrize(
        "measure, statistic", [("OR", "odds-ratio"), ("RR", "risk-ratio"), ("RD", "diff")]
    )
    def test_agrees_with_statsmodels_without_zero_cells(self, measure, statistic):
        d = bcg()
        es = binary_effect_sizes(d.tpos, d.n1, d.cpos, d.n2, measure)
        y, v = effectsize_2proportions(
            d.tpos.to_numpy(),
            d.n1.to_numpy(),
            d.cpos.to_numpy(),
            d.n2.to_numpy(),
            statistic=statistic,
        )
        assert_allclose(es.yi, y, rtol=1e-12)
        assert_allclose(es.vi, v, rtol=1e-12)


class TestContinuityCorrection:
    """escalc defaults: add=1/2 to every cell of a study with a zero cell (to="only0")."""

    def test_only_the_study_with_a_zero_cell_is_corrected(self):
        es = binary_effect_sizes([0, 5], [10, 10], [3, 4], [10, 10], "OR")
        assert es.corrected.tolist() == [True, False]
        a, b, c, d = 0.5, 10.5, 3.5, 7.5
        assert es.yi[0] == pytest.approx(np.log(a * d / (b * c)), rel=1e-14)
        assert es.vi[0] == pytest.approx(1 / a + 1 / b + 1 / c + 1 / d, rel=1e-14)
        assert es.yi[1] == pytest.approx(np.log(5 * 6 / (5 * 4)), rel=1e-14)

    @pytest.mark.parametrize("measure", ["OR", "RR", "RD"])
    def test_correction_also_applies_to_rr_and_rd(self, measure):
        es = binary_effect_sizes([0], [20], [4], [20], measure)
        p1, p2 = 0.5 / 21, 4.5 / 21
        expected = {
            "OR": np.log(p1 / (1 - p1)) - np.log(p2 / (1 - p2)),
            "RR": np.log(p1 / p2),
            "RD": p1 - p2,
        }[measure]
        assert es.yi[0] == pytest.approx(expected, rel=1e-13)

    def test_double_zero_studies_are_kept_with_correction_by_default(self):
        es = binary_effect_sizes([0, 3], [10, 12], [0, 5], [15, 11], "RR")
        assert np.isfinite(es.yi).all()
        assert es.yi[0] == pytest.approx(np.log((0.5 / 11) / (0.5 / 16)))
        assert any("both arms kept" in note for note in es.notes)

    def test_drop00_removes_double_zero_and_double_all_studies(self):
        es = binary_effect_sizes(
            [0, 10, 3], [10, 10, 12], [0, 15, 5], [15, 15, 11], "OR", drop00=True
        )
        assert es.included.tolist() == [False, False, True]

    def test_to_all_and_if0all(self):
        all_ = binary_effect_sizes([2, 3], [10, 10], [4, 0], [10, 10], "OR", to="all")
        assert all_.corrected.all()
        if0 = binary_effect_sizes([2, 3], [10, 10], [4, 5], [10, 10], "OR", to="if0all")
        assert not if0.corrected.any()
        if0 = binary_effect_sizes([2, 3], [10, 10], [4, 0], [10, 10], "OR", to="if0all")
        assert if0.corrected.all()

    def test_no_correction_with_a_zero_cell_is_an_error_naming_the_cell(self):
        with pytest.raises(AnalysisInputError) as err:
            binary_effect_sizes(
                [0, 3], [10, 10], [4, 5], [10, 10], "OR", to="none", labels=["Smith", "Jones"]
            )
        assert err.value.study == "Smith"
        assert err.value.field == "ai"


class TestContinuous:
    def test_hedges_g_matches_metafor_exactly(self):
        """escalc("SMD") yi and vi (default vtype "LS") from [SM] test_meta.py."""
        d = BORENSTEIN
        es = continuous_effect_sizes(d.m1, d.sd1, d.n1, d.m2, d.sd2, d.n2, "SMD")
        assert_allclose(es.yi, BORENSTEIN_SMD_YI, rtol=1e-13)
        assert_allclose(es.vi, BORENSTEIN_SMD_VI_LS, rtol=1e-13)

    def test_unbiased_variance_matches_metafor(self):
        """escalc("SMD", vtype="UB") from [SM] test_meta.py."""
        d = BORENSTEIN
        es = continuous_effect_sizes(d.m1, d.sd1, d.n1, d.m2, d.sd2, d.n2, "SMD", vtype="UB")
        assert_allclose(es.vi, BORENSTEIN_SMD_VI_UB, rtol=1e-13)

    def test_ls2_variances_match_borenstein_table(self):
        """vtype "LS2" (Borenstein's formula): vi to 4 decimals as listed in [BO]."""
        d = BORENSTEIN
        es = continuous_effect_sizes(d.m1, d.sd1, d.n1, d.m2, d.sd2, d.n2, "SMD", vtype="LS2")
        assert_allclose(es.vi.round(4), [0.0329, 0.0307, 0.0499, 0.0105, 0.0427, 0.0234])

    def test_statsmodels_uses_an_approximate_correction(self):
        """statsmodels' effectsize_smd uses J ~ 1 - 3/(4N - 9); agreement only to ~1e-5."""
        d = BORENSTEIN
        es = continuous_effect_sizes(d.m1, d.sd1, d.n1, d.m2, d.sd2, d.n2, "SMD")
        y, _ = effectsize_smd(
            d.m1.to_numpy(),
            d.sd1.to_numpy(),
            d.n1.to_numpy(),
            d.m2.to_numpy(),
            d.sd2.to_numpy(),
            d.n2.to_numpy(),
        )
        assert_allclose(es.yi, y, rtol=1e-5)

    def test_exact_correction_factor(self):
        m = np.array([2.0, 5.0, 10.0, 38.0, 300.0])
        direct = gamma(m / 2) / (np.sqrt(m / 2) * gamma((m - 1) / 2))
        assert_allclose(hedges_correction(m), direct, rtol=1e-12)
        # stays finite where the gamma function overflows
        assert hedges_correction(np.array([5000.0]))[0] == pytest.approx(
            1 - 3 / (4 * 5000 - 1), rel=1e-7
        )
        assert np.isnan(hedges_correction(np.array([1.0]))[0])

    def test_mean_difference_variances(self):
        es = continuous_effect_sizes([10], [2], [20], [8], [3], [30], "MD")
        assert es.yi[0] == 2
        assert es.vi[0] == pytest.approx(4 / 20 + 9 / 30)
        ho = continuous_effect_sizes([10], [2], [20], [8], [3], [30], "MD", vtype="HO")
        sp2 = (19 * 4 + 29 * 9) / 48
        assert ho.vi[0] == pytest.approx(sp2 * (1 / 20 + 1 / 30))


class TestInputErrors:
    """Every problem names the study and the field."""

    def test_events_greater_than_totals(self):
        with pytest.raises(AnalysisInputError, match="exceed") as err:
            binary_effect_sizes([5, 12], [10, 10], [3, 4], [10, 10], labels=["A", "B"])
        assert (err.value.study, err.value.field) == ("B", "ai")
        assert "B" in str(err.value) and "ai" in str(err.value)

    def test_negative_counts(self):
        with pytest.raises(AnalysisInputError) as err:
            binary_effect_sizes([5], [10], [-1], [10], labels=["A"])
        assert (err.value.study, err.value.field) == ("A", "ci")

    def test_empty_arm(self):
        with pytest.raises(AnalysisInputError, match="control arm is empty") as err:
            binary_effect_sizes([5], [10], [0], [0], labels=["A"])
        assert (err.value.study, err.value.field) == ("A", "n2i")
        # refused where metafor's escalc computes a number, so the message says why
        assert "continuity correction" in str(err.value)

    def test_negative_standard_deviation(self):
        with pytest.raises(AnalysisInputError, match="negative") as err:
            continuous_effect_sizes(
                [1, 2], [1, 1], [10, 10], [1, 1], [1, -2], [10, 10], labels=["A", "B"]
            )
        assert (err.value.study, err.value.field) == ("B", "sd2i")

    def test_non_numeric_value(self):
        with pytest.raises(AnalysisInputError, match="expected a number") as err:
            binary_effect_sizes([5, "five"], [10, 10], [3, 4], [10, 10], labels=["A", "B"])
        assert (err.value.study, err.value.field) == ("B", "ai")

    def test_missing_value(self):
        with pytest.raises(AnalysisInputError, match="missing") as err:
            binary_effect_sizes([5, None], [10, 10], [3, 4], [10, 10])
        assert (err.value.study, err.value.field) == ("study 2", "ai")

    def test_unknown_column(self):
        frame = pd.DataFrame({"a": [1], "n1": [5], "c": [2], "n2": [5]})
        with pytest.raises(AnalysisInputError, match="does not exist") as err:
            effect_sizes_from_table(frame, "OR", {"ai": "a", "n1i": "n1", "ci": "cc", "n2i": "n2"})
        assert err.value.field == "cc"

    def test_table_rows_are_labelled_by_row_or_study_column(self):
        frame = pd.DataFrame(
            {"name": ["X", "Y"], "a": [1, "x"], "n1": [5, 5], "c": [2, 2], "n2": [5, 5]}
        )
        cols = {"ai": "a", "n1i": "n1", "ci": "c", "n2i": "n2"}
        with pytest.raises(AnalysisInputError) as err:
            effect_sizes_from_table(frame, "OR", cols)
        assert err.value.study == "row 2"
        with pytest.raises(AnalysisInputError) as err:
            effect_sizes_from_table(frame, "OR", cols, study="name")
        assert err.value.study == "Y"
        assert err.value.field == "ai (a)"

    def test_is_a_value_error(self):
        assert issubclass(AnalysisInputError, ValueError)

    def test_estimates_need_positive_variances(self):
        with pytest.raises(AnalysisInputError) as err:
            effect_sizes_from_estimates([0.1, 0.2], [0.1, 0.0], labels=["A", "B"])
        assert (err.value.study, err.value.field) == ("B", "vi")


class TestHazardRatios:
    def _trial(self, seed, n=200, log_hr=-0.5):
        rng = np.random.default_rng(seed)
        treat = rng.integers(0, 2, n)
        time = rng.exponential(1 / np.exp(log_hr * treat))
        censor = rng.exponential(2.0, n)
        return pd.DataFrame(
            {
                "time": np.minimum(time, censor).round(2),  # rounding creates ties
                "event": (time <= censor).astype(int),
                "treat": treat,
            }
        )

    def test_matches_statsmodels_phreg_with_efron_ties(self):
        d = self._trial(1)
        beta, var = cox_log_hazard_ratio(d.time, d.event, d.treat)
        fit = PHReg(
            d.time.to_numpy(), d[["treat"]].to_numpy(float), status=d.event.to_numpy(), ties="efron"
        ).fit()
        assert beta == pytest.approx(fit.params[0], rel=1e-12)
        assert var == pytest.approx(fit.cov_params()[0, 0], rel=1e-12)

    def test_per_study_log_hazard_ratios(self):
        frames = [self._trial(s).assign(study=f"T{s}") for s in range(3)]
        es = hazard_ratio_effect_sizes(
            pd.concat(frames), study="study", time="time", event="event", treatment="treat"
        )
        assert es.measure == "HR" and es.is_ratio
        assert es.labels == ("T0", "T1", "T2")
        beta, _ = cox_log_hazard_ratio(frames[1].time, frames[1].event, frames[1].treat)
        assert es.yi[1] == pytest.approx(beta)

    def test_no_events_in_an_arm_is_an_error(self):
        d = self._trial(2)
        d.loc[d.treat == 0, "event"] = 0
        with pytest.raises(AnalysisInputError, match="no events in the control arm") as err:
            cox_log_hazard_ratio(d.time, d.event, d.treat, study="T9")
        assert (err.value.study, err.value.field) == ("T9", "event")


def test_to_dict_is_json_serialisable_and_drops_nan():
    es = binary_effect_sizes(
        [0, 3], [10, 12], [0, 5], [15, 11], "OR", drop00=True, labels=["A", "B"]
    )
    data = json.loads(json.dumps(es.to_dict(), allow_nan=False))
    assert data["measure"] == "OR" and data["scale"] == "log"
    assert data["studies"][0]["yi"] is None and data["studies"][0]["included"] is False
    assert data["options"] == {"add": 0.5, "to": "only0", "drop00": True, "vtype": "LS"}
