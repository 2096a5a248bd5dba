"""Participant-level pooling: harmonisation, two-stage and one-stage models."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from statsmodels.duration.hazard_regression import PHReg

from analysis import AnalysisInputError
from analysis.effect_sizes import binary_effect_sizes, continuous_effect_sizes
from analysis.ipd import DatasetMapping, Harmonisation, HarmonisedData, one_stage, two_stage
from analysis.pooling import pool


def simulate(seed: int, n: int, *, log_or=-0.5, md=1.5, log_hr=-0.4) -> pd.DataFrame:
    """Standard-coded participant data: treat 1/0, binary y, continuous score, survival."""
    rng = np.random.default_rng(seed)
    treat = rng.integers(0, 2, n)
    age = rng.normal(60, 10, n)
    p = 1 / (1 + np.exp(-(-1 + log_or * treat + 0.02 * (age - 60))))
    time = rng.exponential(1 / np.exp(log_hr * treat), n)
    censor = rng.exponential(2.0, n)
    return pd.DataFrame(
        {
            "treat": treat,
            "y": (rng.random(n) < p).astype(int),
            "age": age,
            "score": 50 + md * treat + 0.1 * age + rng.normal(0, 5, n),
            "time": np.minimum(time, censor).round(3),
            "event": (time <= censor).astype(int),
        }
    )


@pytest.fixture(scope="module")
def trials() -> dict[str, pd.DataFrame]:
    """Three trials coded differently, as they arrive on the portal."""
    a = simulate(1, 300)
    b = simulate(2, 500)
    c = simulate(3, 400)
    raw = {
        # trial A: text codes
        "A": pd.DataFrame(
            {
                "arm": np.where(a.treat == 1, "Active", "Placebo"),
                "died": np.where(a.y == 1, "yes", "no"),
                "age_years": a.age,
                "score": a.score,
                "fu": a.time,
                "dead": a.event,
            }
        ),
        # trial B: 1 = treatment, 2 = control; event as 1/0
        "B": pd.DataFrame(
            {
                "group": np.where(b.treat == 1, 1, 2),
                "event": b.y,
                "AGE": b.age,
                "outcome": b.score,
                "t": b.time,
                "status": b.event,
            }
        ),
        # trial C: boolean outcome, three arms of which one is not analysed
        "C": pd.DataFrame(
            {
                "allocation": np.where(c.treat == 1, "drug", "control"),
                "bad": c.y.astype(bool),
                "age": c.age,
                "score": c.score,
                "time": c.time,
                "event": c.event,
            }
        ),
    }
    extra_arm = raw["C"].iloc[:25].assign(allocation="low dose")
    raw["C"] = pd.concat([raw["C"], extra_arm], ignore_index=True)
    return {"raw": raw, "coded": {"A": a, "B": b, "C": c}}


def harmonisation(outcome_type: str) -> Harmonisation:
    survival = outcome_type == "time-to-event"
    return Harmonisation(
        outcome_type,
        {
            "A": DatasetMapping(
                arm="arm",
                treatment="Active",
                control="Placebo",
                event="dead" if survival else "died",
                event_values=None if survival else "yes",
                non_event_values=None if survival else "no",
                outcome="score",
                time="fu",
                covariates={"age": "age_years"},
            ),
            "B": DatasetMapping(
                arm="group",
                treatment=1,
                control=2,
                event="status" if survival else "event",
                outcome="outcome",
                time="t",
                covariates={"age": "AGE"},
            ),
            "C": DatasetMapping(
                arm="allocation",
                treatment="drug",
                control="control",
                event="event" if survival else "bad",
                outcome="score",
                time="time",
                covariates={"age": "age"},
            ),
        },
        covariates=("age",),
    )


def coded(trials, outcome_type: str) -> HarmonisedData:
    """The same data, already in the standard coding."""
    frames = []
    for name, d in trials["coded"].items():
        f = pd.DataFrame(
            {"dataset": name, "study": name, "treat": d.treat.astype(float), "age": d.age}
        )
        if outcome_type == "binary":
            f["y"] = d.y.astype(float)
        elif outcome_type == "continuous":
            f["y"] = d.score
        else:
            f["time"], f["event"] = d.time, d.event.astype(float)
        frames.append(f)
    return HarmonisedData(pd.concat(frames, ignore_index=True), outcome_type, ("age",))


class TestHarmonisation:
    @pytest.mark.parametrize("outcome_type", ["binary", "continuous", "time-to-event"])
    def test_differently_coded_datasets_pool_like_the_standard_coding(self, trials, outcome_type):
        h = harmonisation(outcome_type).apply(trials["raw"])
        reference = coded(trials, outcome_type)
        pd.testing.assert_frame_equal(h.frame, reference.frame[h.frame.columns], check_dtype=False)
        assert any("neither arm" in n for n in h.notes)  # the low-dose arm of C

    def test_absent_arm_value_names_the_study_and_field(self, trials):
        h = harmonisation("binary")
        broken = Harmonisation(
            "binary",
            {
                **h.datasets,
                "B": DatasetMapping(
                    arm="group", treatment=1, control=0, event="event", covariates={"age": "AGE"}
                ),
            },
            covariates=("age",),
        )
        with pytest.raises(AnalysisInputError, match="control arm is empty") as err:
            broken.apply(trials["raw"])
        assert (err.value.study, err.value.field) == ("B", "arm")
        assert "values present" in str(err.value)

    def test_unknown_column(self, trials):
        bad = Harmonisation(
            "continuous",
            {
                "A": DatasetMapping(
                    arm="arm", treatment="Active", control="Placebo", outcome="scroe"
                )
            },
        )
        with pytest.raises(AnalysisInputError, match="does not exist") as err:
            bad.apply(trials["raw"])
        assert (err.value.study, err.value.field) == ("A", "outcome")

    def test_event_codes_must_be_declared(self, trials):
        bad = Harmonisation(
            "binary",
            {"A": DatasetMapping(arm="arm", treatment="Active", control="Placebo", event="died")},
        )
        with pytest.raises(AnalysisInputError, match="0/1") as err:
            bad.apply(trials["raw"])
        assert (err.value.study, err.value.field) == ("A", "event")

    def test_missing_values_error_or_drop(self, trials):
        raw = {"A": trials["raw"]["A"].copy()}
        raw["A"].loc[3, "score"] = np.nan
        mapping = {
            "A": DatasetMapping(arm="arm", treatment="Active", control="Placebo", outcome="score")
        }
        with pytest.raises(AnalysisInputError, match="row 4") as err:
            Harmonisation("continuous", mapping).apply(raw)
        assert (err.value.study, err.value.field) == ("A", "y")
        dropped = Harmonisation("continuous", mapping, missing="drop").apply(raw)
        assert len(dropped.frame) == 299 and any("missing" in n for n in dropped.notes)

    def test_several_studies_in_one_dataset(self, trials):
        raw = trials["raw"]["B"].assign(site=lambda f: np.where(f.index % 2 == 0, "B1", "B2"))
        h = Harmonisation(
            "continuous",
            {
                "B": DatasetMapping(
                    arm="group", treatment=1, control=2, outcome="outcome", study="site"
                )
            },
        ).apply({"B": raw})
        assert h.studies == ("B1", "B2")

    def test_round_trips_through_a_dict(self):
        h = harmonisation("binary")
        again = Harmonisation.from_dict(json.loads(json.dumps(h.to_dict())))
        assert again == h

    def test_dataset_must_be_supplied(self, trials):
        with pytest.raises(AnalysisInputError) as err:
            harmonisation("binary").apply({"A": trials["raw"]["A"]})
        assert (err.value.study, err.value.field) == ("B", "dataset")


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


class TestOneStage:
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
