"""The ``meta`` command: scriptable JSON, a readable table, and clean errors."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from analysis_reference_data import BORENSTEIN, bcg
from click.testing import CliRunner

from analysis.commands import meta

BINARY_COLUMNS = "ai=tpos,n1i=n1,ci=cpos,n2i=n2"
REQUIRED_KEYS = {
    "k",
    "estimate",
    "se",
    "ci_low",
    "ci_high",
    "tau2",
    "i2",
    "q",
    "q_pvalue",
    "estimate_exp",
    "ci_low_exp",
    "ci_high_exp",
}


@pytest.fixture
def bcg_csv(tmp_path):
    path = tmp_path / "bcg.csv"
    bcg().to_csv(path, index=False)
    return str(path)


def run(*args):
    return CliRunner().invoke(meta, [str(a) for a in args])


def assert_clean_error(result, *fragments):
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert isinstance(result.exception, SystemExit)
    for fragment in fragments:
        assert fragment in result.output


class TestJson:
    def test_reml_on_bcg_matches_metafor(self, bcg_csv):
        """REML on dat.bcg log RR: tau2 0.313243325980895, QE 152.233008082373 ([MT]),
        estimate -0.7145, I2 92.22% (published metafor output)."""
        result = run(
            bcg_csv,
            "--measure",
            "RR",
            "--method",
            "REML",
            "--columns",
            BINARY_COLUMNS,
            "--study",
            "trial",
            "--json",
        )
        assert result.exit_code == 0, result.output
        out = json.loads(result.output)
        assert set(out) >= REQUIRED_KEYS
        assert out["k"] == 13
        assert out["tau2"] == pytest.approx(0.313243325980895, rel=1e-13)
        assert out["q"] == pytest.approx(152.233008082373, rel=1e-13)
        assert out["estimate"] == pytest.approx(-0.7145, abs=5e-5)
        assert out["i2"] == pytest.approx(92.22, abs=5e-3)  # percent, as metafor
        assert out["estimate_exp"] == pytest.approx(math.exp(out["estimate"]))
        assert out["ci_low_exp"] == pytest.approx(math.exp(out["ci_low"]))
        assert out["studies"][0]["study"] == "1"
        assert out["options"]["input"]["columns"]["ai"] == "tpos"

    @pytest.mark.parametrize(
        "method, hk, expected",
        [("MH", False, -0.4537), ("PETO", False, -0.4744), ("DL", True, -0.7474)],
    )
    def test_methods(self, bcg_csv, method, hk, expected):
        args = [
            bcg_csv,
            "--measure",
            "OR" if method != "MH" else "RR",
            "--method",
            method,
            "--columns",
            BINARY_COLUMNS,
            "--json",
        ]
        if hk:
            args.append("--hk")
        out = json.loads(run(*args).output)
        assert out["estimate"] == pytest.approx(expected, abs=5e-5)
        assert out["test"] == ("knha" if hk else "z")

    def test_case_insensitive_choices(self, bcg_csv):
        result = run(
            bcg_csv, "--measure", "rr", "--method", "reml", "--columns", BINARY_COLUMNS, "--json"
        )
        assert result.exit_code == 0

    def test_continuous_measures(self, tmp_path):
        path = tmp_path / "smd.csv"
        BORENSTEIN.to_csv(path, index=False)
        result = run(
            path,
            "--measure",
            "SMD",
            "--method",
            "DL",
            "--columns",
            "m1i=m1,sd1i=sd1,n1i=n1,m2i=m2,sd2i=sd2,n2i=n2",
            "--study",
            "study",
            "--json",
        )
        out = json.loads(result.output)
        assert out["measure"] == "SMD" and out["estimate_exp"] is None
        assert out["studies"][3]["study"] == "Donat"


class TestTable:
    def test_readable_summary(self, bcg_csv):
        result = run(bcg_csv, "--measure", "RR", "--method", "REML", "--columns", BINARY_COLUMNS)
        assert result.exit_code == 0
        text = result.output
        assert "Random-effects model (tau^2 estimator: REML), k = 13" in text
        assert "tau^2 = 0.3132" in text and "I^2 = 92.22%" in text
        assert "Q(df = 12) = 152.2330, p < .0001" in text
        assert "RR = 0.4894 [95% CI 0.3441, 0.6962]" in text


class TestErrors:
    """Bad input exits non-zero with a message naming the study (row) and field."""

    def test_unknown_column(self, bcg_csv):
        result = run(bcg_csv, "--measure", "OR", "--columns", "ai=tpos,n1i=n1,ci=cases,n2i=n2")
        assert_clean_error(result, "cases", "does not exist")

    def test_non_numeric_counts(self, tmp_path):
        frame = bcg()
        frame["tpos"] = frame["tpos"].astype(object)
        frame.loc[2, "tpos"] = "seven"
        path = tmp_path / "bad.csv"
        frame.to_csv(path, index=False)
        result = run(path, "--measure", "OR", "--columns", BINARY_COLUMNS, "--study", "trial")
        assert_clean_error(result, "study '3'", "ai (tpos)", "'seven'")

    def test_events_greater_than_totals(self, tmp_path):
        frame = bcg()
        frame.loc[4, "cpos"] = frame.loc[4, "n2"] + 1
        path = tmp_path / "bad.csv"
        frame.to_csv(path, index=False)
        result = run(path, "--measure", "RR", "--columns", BINARY_COLUMNS)
        assert_clean_error(result, "row 5", "ci (cpos)", "exceed")

    def test_negative_standard_deviation(self, tmp_path):
        frame = BORENSTEIN.copy()
        frame.loc[1, "sd2"] = -22
        path = tmp_path / "bad.csv"
        frame.to_csv(path, index=False)
        result = run(
            path,
            "--measure",
            "MD",
            "--columns",
            "m1i=m1,sd1i=sd1,n1i=n1,m2i=m2,sd2i=sd2,n2i=n2",
            "--study",
            "study",
        )
        assert_clean_error(result, "Grant", "sd2i (sd2)", "negative")

    def test_empty_arm(self, tmp_path):
        frame = bcg()
        frame.loc[0, ["cpos", "n2"]] = 0
        path = tmp_path / "bad.csv"
        frame.to_csv(path, index=False)
        result = run(path, "--measure", "OR", "--columns", BINARY_COLUMNS, "--study", "trial")
        assert_clean_error(result, "study '1'", "n2i (n2)", "empty")

    def test_missing_roles_and_bad_syntax(self, bcg_csv):
        assert_clean_error(
            run(bcg_csv, "--measure", "OR", "--columns", "ai=tpos,n1i=n1"), "ci", "n2i"
        )
        assert_clean_error(
            run(bcg_csv, "--measure", "OR", "--columns", "tpos,n1,cpos,n2"), "ROLE=COLUMN"
        )
        assert_clean_error(
            run(bcg_csv, "--measure", "OR", "--columns", BINARY_COLUMNS + ",x=y"), "unknown role"
        )

    def test_method_not_available_for_measure(self, bcg_csv):
        assert_clean_error(
            run(bcg_csv, "--measure", "RR", "--method", "PETO", "--columns", BINARY_COLUMNS),
            "odds ratios",
        )
        assert_clean_error(
            run(bcg_csv, "--measure", "OR", "--method", "MH", "--hk", "--columns", BINARY_COLUMNS),
            "Hartung-Knapp",
        )

    def test_unreadable_file(self, tmp_path):
        path = tmp_path / "empty.csv"
        path.write_text("")
        assert_clean_error(run(path, "--measure", "OR", "--columns", BINARY_COLUMNS), "cannot read")

    def test_unknown_measure_is_a_usage_error(self, bcg_csv):
        result = run(bcg_csv, "--measure", "HR", "--columns", BINARY_COLUMNS)
        assert result.exit_code == 2 and "Traceback" not in result.output


def test_runs_standalone(bcg_csv):
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "analysis.commands",
            bcg_csv,
            "--measure",
            "OR",
            "--method",
            "DL",
            "--columns",
            BINARY_COLUMNS,
            "--json",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(proc.stdout)["tau2"] == pytest.approx(0.3663, abs=5e-5)
    bad = subprocess.run(
        [
            sys.executable,
            "-m",
            "analysis.commands",
            bcg_csv,
            "--measure",
            "OR",
            "--columns",
            "ai=nope,n1i=n1,ci=cpos,n2i=n2",
        ],
        capture_output=True,
        text=True,
    )
    assert bad.returncode == 1 and "Traceback" not in bad.stderr and "nope" in bad.stderr


def test_can_be_attached_to_another_click_group(bcg_csv):
    import click

    @click.group()
    def portal():
        pass

    portal.add_command(meta)
    result = CliRunner().invoke(
        portal, ["meta", bcg_csv, "--measure", "RR", "--columns", BINARY_COLUMNS, "--json"]
    )
    assert result.exit_code == 0
    assert pd.notna(json.loads(result.output)["estimate"])


class TestMetaRegression:
    """``--mods``: metafor's rma(yi, vi, mods = ~ ablat + factor(alloc)) on dat.bcg, with
    the values reference/moderators.R wrote."""

    FITS = pd.read_csv(Path(__file__).parent / "reference" / "moderators_fits.csv")

    def args(self, bcg_csv, *more):
        return (
            bcg_csv,
            "--measure",
            "RR",
            "--columns",
            BINARY_COLUMNS,
            "--study",
            "trial",
            "--mods",
            "ablat,alloc",
            "--categorical",
            "alloc",
            *more,
        )

    def test_json_matches_metafor_and_keeps_the_seed(self, bcg_csv):
        result = run(
            *self.args(
                bcg_csv,
                "--test",
                "t",
                "--permutations",
                "30",
                "--seed",
                "5",
                "--predict",
                "ablat=20;alloc=random",
                "--json",
            )
        )
        assert result.exit_code == 0, result.output
        mr = json.loads(result.output)["meta_regression"]
        ref = self.FITS[
            (self.FITS.dataset == "bcg")
            & (self.FITS.model == "xg")
            & (self.FITS.method == "REML")
            & (self.FITS.test == "t")
        ].iloc[0]
        assert mr["qm"] == pytest.approx(ref.qm, rel=1e-6)
        assert mr["r2"] == pytest.approx(ref.r2, rel=1e-6)
        assert mr["tau2_se"] == pytest.approx(ref.se_tau2, rel=1e-6)
        assert mr["permutation"]["seed"] == 5 and mr["permutation"]["iterations"] == 30
        assert mr["predictions"][0]["at"] == {"ablat": "20", "alloc": "random"}
        assert set(mr["in_plain_words"]) >= {"qm", "r2", "residual", "ablat", "permutation"}

    def test_text_prints_the_table_and_the_plain_words(self, bcg_csv):
        result = run(*self.args(bcg_csv))
        assert result.exit_code == 0, result.output
        assert "Test of moderators: QM(df = 3)" in result.output
        assert "alloc: systematic" in result.output
        assert "Each one-unit increase in ablat multiplies the ratio by" in result.output

    def test_a_moderator_that_is_not_a_column_is_a_clean_error(self, bcg_csv):
        args = list(self.args(bcg_csv))
        args[args.index("ablat,alloc")] = "ablat,nowhere"
        assert_clean_error(run(*args), "nowhere")

    def test_a_prediction_at_an_unknown_category_is_a_clean_error(self, bcg_csv):
        result = run(*self.args(bcg_csv, "--predict", "alloc=sideways"))
        assert_clean_error(result, "sideways", "alternate")
