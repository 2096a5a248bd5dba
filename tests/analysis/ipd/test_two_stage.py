"""Two-stage pooling equals a meta-analysis of the per-study estimates."""

from __future__ import annotations

import json

import numpy as np
import pytest
import statsmodels.api as sm
from statsmodels.duration.hazard_regression import PHReg

from analysis import AnalysisInputError
from analysis.effect_sizes import binary_effect_sizes, continuous_effect_sizes
from analysis.ipd import two_stage
from analysis.pooling import pool

from .simulated import harmonisation


class TestTwoStage:
    def test_binary_equals_meta_analysis_of_the_2x2_tables(self, trials):
        data = harmonisation("binary").apply(trials["raw"])
        out = two_stage(data, "OR", "REML")
        tables = [
            (
                d.y[d.treat == 1].sum(),
                (d.treat == 1).sum(),
                d.y[d.treat == 0].sum(),
                (d.treat == 0).sum(),
            )
            for d in trials["coded"].values()
        ]
        a, n1, c, n2 = (np.array(x) for x in zip(*tables, strict=True))
        direct = pool(binary_effect_sizes(a, n1, c, n2, "OR", labels=["A", "B", "C"]), "REML")
        assert out.pooled.estimate == pytest.approx(direct.estimate, rel=1e-12)
        assert out.pooled.tau2 == pytest.approx(direct.tau2, abs=1e-14)
        assert out.stage1 == "2x2 table per study"
        mh = two_stage(data, "OR", "MH")
        assert mh.pooled.method == "MH"

    def test_continuous_equals_meta_analysis_of_arm_summaries(self, trials):
        data = harmonisation("continuous").apply(trials["raw"])
        out = two_stage(data, "SMD", "DL")
        rows = [(d.score[d.treat == 1], d.score[d.treat == 0]) for d in trials["coded"].values()]
        es = continuous_effect_sizes(
            [t.mean() for t, _ in rows],
            [t.std() for t, _ in rows],
            [len(t) for t, _ in rows],
            [c.mean() for _, c in rows],
            [c.std() for _, c in rows],
            [len(c) for _, c in rows],
            "SMD",
        )
        assert out.pooled.estimate == pytest.approx(pool(es, "DL").estimate, rel=1e-12)

    def test_covariate_adjusted_binary_uses_logistic_regression_per_study(self, trials):
        data = harmonisation("binary").apply(trials["raw"])
        out = two_stage(data, "OR", "FE", covariates=["age"])
        d = trials["coded"]["B"]
        fit = sm.GLM(
            d.y.to_numpy(),
            sm.add_constant(np.column_stack([d.treat, d.age])),
            family=sm.families.Binomial(),
        ).fit()
        assert out.effects.yi[1] == pytest.approx(fit.params[1], rel=1e-8)
        assert out.effects.vi[1] == pytest.approx(fit.cov_params()[1, 1], rel=1e-8)
        assert out.adjusted_for == ("age",)
        with pytest.raises(AnalysisInputError, match="odds ratios"):
            two_stage(data, "RR", "FE", covariates=["age"])

    def test_covariate_adjusted_continuous_uses_linear_regression(self, trials):
        data = harmonisation("continuous").apply(trials["raw"])
        out = two_stage(data, "MD", "REML", covariates=["age"])
        d = trials["coded"]["A"]
        fit = sm.OLS(d.score.to_numpy(), sm.add_constant(np.column_stack([d.treat, d.age]))).fit()
        assert out.effects.yi[0] == pytest.approx(fit.params[1], rel=1e-10)

    def test_time_to_event_uses_a_cox_model_per_study(self, trials):
        data = harmonisation("time-to-event").apply(trials["raw"])
        out = two_stage(data, "HR", "REML")
        d = trials["coded"]["C"]
        fit = PHReg(
            d.time.to_numpy(), d[["treat"]].to_numpy(float), status=d.event.to_numpy(), ties="efron"
        ).fit()
        assert out.effects.yi[2] == pytest.approx(fit.params[0], rel=1e-10)
        assert out.pooled.measure == "HR" and out.pooled.is_ratio
        assert -0.7 < out.pooled.estimate < -0.1  # simulated log HR is -0.4

    def test_measure_must_fit_the_outcome(self, trials):
        data = harmonisation("binary").apply(trials["raw"])
        with pytest.raises(AnalysisInputError) as err:
            two_stage(data, "MD")
        assert err.value.field == "measure"

    def test_to_dict(self, trials):
        out = two_stage(harmonisation("binary").apply(trials["raw"]), "OR")
        data = json.loads(json.dumps(out.to_dict(), allow_nan=False))
        assert data["pooled"]["options"]["ipd"]["stage"] == "two-stage"
