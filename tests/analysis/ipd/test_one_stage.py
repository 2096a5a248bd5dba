"""One-stage models checked against statsmodels fitted directly and against two-stage
pooling of the same participants, on simulated trials and on real ones (see conftest).
Single trials are split into "studies" by a variable so that the study stratum matters.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from statsmodels.duration.hazard_regression import PHReg

from analysis import AnalysisInputError
from analysis.ipd import HarmonisedData, one_stage, two_stage

from .simulated import coded, harmonisation


def _frame(d: HarmonisedData) -> pd.DataFrame:
    return d.frame.assign(study=d.frame["study"].astype(str))


class TestOnSimulatedTrials:
    def test_logistic_with_study_fixed_effects(self, trials):
        data = harmonisation("binary").apply(trials["raw"])
        out = one_stage(data, covariates=["age"])
        f = data.frame
        fit = sm.GLM.from_formula(
            "y ~ treat + C(study) + age", f, family=sm.families.Binomial()
        ).fit()
        assert out.estimate == pytest.approx(fit.params["treat"], rel=1e-8)
        assert out.se == pytest.approx(fit.bse["treat"], rel=1e-7)
        assert out.measure == "OR" and out.n == len(f) and out.n_studies == 3

    def test_linear_with_study_fixed_effects(self, trials):
        data = harmonisation("continuous").apply(trials["raw"])
        out = one_stage(data)
        fit = sm.OLS.from_formula("y ~ treat + C(study)", data.frame).fit()
        assert out.estimate == pytest.approx(fit.params["treat"], rel=1e-10)
        assert out.pvalue == pytest.approx(fit.pvalues["treat"], rel=1e-8)
        assert out.df == fit.df_resid

    def test_cox_stratified_by_study(self, trials):
        data = harmonisation("time-to-event").apply(trials["raw"])
        out = one_stage(data)
        f = data.frame
        fit = PHReg(
            f.time.to_numpy(),
            f[["treat"]].to_numpy(float),
            status=f.event.to_numpy(),
            strata=f.study.to_numpy(),
            ties="efron",
        ).fit()
        assert out.estimate == pytest.approx(fit.params[0], rel=1e-10)
        assert out.measure == "HR"
        assert json.loads(json.dumps(out.to_dict()))["estimate_exp"] == pytest.approx(
            np.exp(out.estimate)
        )

    def test_plain_frames_need_an_outcome_type(self, trials):
        with pytest.raises(AnalysisInputError):
            one_stage(coded(trials, "binary").frame)
        out = one_stage(coded(trials, "binary").frame, outcome_type="binary")
        assert out.measure == "OR"

    def test_plain_frames_must_have_both_arms_in_every_study(self, trials):
        frame = coded(trials, "binary").frame
        frame = frame[~((frame.study == "B") & (frame.treat == 0))]
        with pytest.raises(AnalysisInputError, match="both arms") as err:
            two_stage(frame, "OR", outcome_type="binary")
        assert (err.value.study, err.value.field) == ("B", "treat")


class TestAgainstStatsmodels:
    def test_stratified_cox_with_a_categorical_covariate(self, colon):
        out = one_stage(colon, covariates=["age", "sex"])
        f = colon.frame
        exog = np.column_stack([f.treat, f.age, (f.sex == "1").astype(float)])
        fit = PHReg(
            f.time.to_numpy(float),
            exog,
            status=f.event.to_numpy(float),
            strata=f.study.to_numpy(),
            ties="efron",
        ).fit()
        assert out.estimate == pytest.approx(fit.params[0], rel=1e-8)
        assert out.se == pytest.approx(fit.bse[0], rel=1e-6)
        assert out.events == int(f.event.sum()) == 291
        assert out.n == len(f) and out.n_studies == 2
        assert set(out.coefficients) == {"treat", "age", "sex[1]"}
        assert "stratified by study" in out.model and "adjusted for age, sex" in out.model

    def test_logistic_with_categorical_covariates_matches_the_formula_interface(self, indo):
        out = one_stage(indo, covariates=["age", "gender", "risk"])
        fit = sm.GLM.from_formula(
            "y ~ treat + age + C(gender) + risk + C(study)",
            _frame(indo),
            family=sm.families.Binomial(),
        ).fit()
        assert out.estimate == pytest.approx(fit.params["treat"], rel=1e-7)
        assert out.se == pytest.approx(fit.bse["treat"], rel=1e-6)
        assert out.pvalue == pytest.approx(fit.pvalues["treat"], rel=1e-5)
        low, high = fit.conf_int().loc["treat"]
        assert (out.ci_low, out.ci_high) == pytest.approx((low, high), rel=1e-6)
        assert out.events == int(indo.frame.y.sum())
        assert out.coefficients["gender[2_male]"] == pytest.approx(
            fit.params["C(gender)[T.2_male]"], rel=1e-6
        )

    def test_linear_fixed_and_random_study_intercept(self, strep):
        cont = HarmonisedData(strep.frame.assign(y=strep.frame.rad), "continuous", ())
        fixed = one_stage(cont)
        ols = sm.OLS.from_formula("y ~ treat + C(study)", _frame(cont)).fit()
        assert fixed.estimate == pytest.approx(ols.params["treat"], rel=1e-10)
        assert fixed.df == ols.df_resid and fixed.study_effect == "fixed"

        random = one_stage(cont, study_effect="random")
        mixed = sm.MixedLM.from_formula("y ~ treat", _frame(cont), groups="study").fit(reml=True)
        assert random.estimate == pytest.approx(mixed.fe_params["treat"], rel=1e-6)
        assert random.tau2 == pytest.approx(float(mixed.cov_re.iloc[0, 0]), rel=1e-3)
        # the SE is lme4's vcov(): sigma2 (X' V^-1 X)^-1 at the REML variances (statsmodels'
        # bse_fe comes from the joint Hessian and differs in the 4th digit)
        f = _frame(cont)
        codes = pd.Categorical(f.study).codes
        V = np.eye(len(f)) + mixed.cov_re.iloc[0, 0] / mixed.scale * (
            codes[:, None] == codes[None, :]
        )
        X = np.column_stack([np.ones(len(f)), f.treat])
        vcov = mixed.scale * np.linalg.inv(X.T @ np.linalg.solve(V, X))
        assert random.se == pytest.approx(np.sqrt(vcov[1, 1]), rel=1e-5)
        assert random.se == pytest.approx(mixed.bse_fe["treat"], rel=1e-3)
        assert random.df is None and "random study intercept" in random.model
        assert random.to_dict()["study_effect"] == "random"


class TestAgainstTwoStage:
    """With a common effect the two approaches estimate the same thing: they agree to a
    small fraction of a standard error (they differ by design, not by bug)."""

    @pytest.mark.parametrize("covariates", [(), ("age", "sex")])
    def test_colon(self, colon, covariates):
        one = one_stage(colon, covariates=covariates)
        two = two_stage(colon, "HR", "FE", covariates=covariates).pooled
        assert abs(one.estimate - two.estimate) < 0.05 * one.se
        assert one.se == pytest.approx(two.se, rel=0.02)

    def test_strep_tb(self, strep):
        one = one_stage(strep)
        two = two_stage(strep, "OR", "FE").pooled
        assert abs(one.estimate - two.estimate) < 0.1 * one.se
        assert one.se == pytest.approx(two.se, rel=0.02)

    @pytest.mark.parametrize("covariates", [(), ("age", "gender", "risk")])
    def test_indo_rct_without_the_three_patient_site(self, indo, covariates):
        data = indo.filtered(["study not in 4_Case"])  # one gender only, no events
        one = one_stage(data, covariates=covariates)
        two = two_stage(data, "OR", "FE", covariates=covariates).pooled
        assert two.k == 3
        assert abs(one.estimate - two.estimate) < 0.05 * one.se
        assert one.se == pytest.approx(two.se, rel=0.02)


class TestBadInput:
    def test_one_arm_only(self, indo):
        with pytest.raises(AnalysisInputError, match="arm is empty") as err:
            one_stage(indo, filters=["treat == 1"])
        assert err.value.field == "treat"

    def test_no_events(self, indo):
        frame = indo.frame.assign(y=0.0)
        with pytest.raises(AnalysisInputError, match="no participant had the event") as err:
            one_stage(frame, outcome_type="binary")
        assert err.value.field == "y"

    def test_no_events_in_one_arm(self, indo):
        frame = indo.frame.assign(y=np.where(indo.frame.treat == 1, 0.0, indo.frame.y))
        with pytest.raises(AnalysisInputError, match="treatment arm"):
            one_stage(frame, outcome_type="binary")

    def test_collinear_covariates_name_the_culprit(self, indo):
        frame = indo.frame.assign(age_months=indo.frame.age * 12)
        with pytest.raises(AnalysisInputError, match="collinear") as err:
            one_stage(frame, outcome_type="binary", covariates=["age", "age_months"])
        assert err.value.field == "age_months"

    def test_a_covariate_constant_within_each_study_is_collinear(self, colon):
        frame = colon.frame.assign(site_code=colon.frame.study.astype(float) * 3 + 1)
        with pytest.raises(AnalysisInputError, match="collinear") as err:
            one_stage(frame, outcome_type="time-to-event", covariates=["site_code"])
        assert err.value.field == "site_code"

    def test_random_intercept_at_the_boundary_gives_the_fixed_intercept_model(self):
        # no between-study variation: REML tau2 is 0 and the model is OLS with one intercept
        rng = np.random.default_rng(5)
        frame = pd.DataFrame(
            {"study": np.repeat(["a", "b", "c"], 40), "treat": np.tile([0.0, 1.0], 60)}
        )
        frame["y"] = 2 + 0.5 * frame.treat + rng.normal(0, 1, len(frame))
        frame.loc[frame.study == "a", "y"] -= frame.loc[frame.study == "a", "y"].mean() - 2.25
        out = one_stage(frame, outcome_type="continuous", study_effect="random")
        ols = sm.OLS.from_formula("y ~ treat", frame).fit()
        assert out.tau2 == 0
        assert out.estimate == pytest.approx(ols.params["treat"], rel=1e-10)
        assert out.se == pytest.approx(ols.bse["treat"], rel=1e-10)

    def test_random_intercept_for_binary_is_a_mixed_logistic_regression(self, indo):
        out = one_stage(indo, study_effect="random")
        assert out.measure == "OR" and "mixed logistic regression" in out.model
        assert out.tau2 is not None and out.loglik is not None and out.converged

    def test_separated_covariate_level_is_reported_not_hidden(self, strep):
        # every patient in good baseline condition improved, in both arms
        out = one_stage(strep, covariates=["condition"])
        assert any("not estimable" in note for note in out.notes)
        without = one_stage(strep, covariates=["condition"], filters=["condition != 1_Good"])
        assert out.estimate == pytest.approx(without.estimate, abs=1e-6)
        assert not any("not estimable" in note for note in without.notes)

    def test_single_level_categorical_in_a_study_names_the_study(self, indo):
        with pytest.raises(AnalysisInputError, match="single level") as err:
            two_stage(indo, "OR", "FE", covariates=["gender"])
        assert (err.value.study, err.value.field) == ("4_Case", "gender")
