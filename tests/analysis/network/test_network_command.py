"""``network`` (and ``portal network``) reads arms from several CSV files as one network."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import pytest
from click.testing import CliRunner

from analysis.network.command import network

REFERENCE = Path(__file__).parents[1] / "reference"


@pytest.fixture
def three_files(tmp_path: Path) -> list[str]:
    """dat.hasselblad1998's arms split over three datasets with their own column names."""
    with (REFERENCE / "network_arms.csv").open() as handle:
        rows = [r for r in csv.DictReader(handle) if r["dataset"] == "hasselblad1998"]
    paths = []
    for part in range(3):
        path = tmp_path / f"part{part}.csv"
        lines = ["trial,trt,xi,ni"] + [
            f"{r['study']},{r['treatment']},{r['events']},{r['n']}"
            for r in rows
            if int(r["study"]) % 3 == part
        ]
        path.write_text("\n".join(lines) + "\n")
        paths.append(str(path))
    return paths


ARGS = ["--measure", "OR", "--reference", "no_contact", "--small-values", "bad"]
COLUMNS = ["--columns", "study=trial,treatment=trt,events=xi,n=ni"]


def test_three_datasets_make_the_network_metafor_fits(three_files: list[str]) -> None:
    out = CliRunner().invoke(network, [*three_files, *ARGS, *COLUMNS, "--json"])
    assert out.exit_code == 0, out.output
    result = json.loads(out.output)
    with (REFERENCE / "network_summary.csv").open() as handle:
        (summary,) = [r for r in csv.DictReader(handle) if r["dataset"] == "hasselblad1998_OR"]
    assert result["tau2"] == pytest.approx(float(summary["tau2"]), rel=1e-6)
    assert result["n_studies"] == 24
    assert result["ranking"] == ["grp_counseling", "ind_counseling", "self_help", "no_contact"]
    with (REFERENCE / "network_pscores.csv").open() as handle:
        for r in csv.DictReader(handle):
            if r["dataset"] == "hasselblad1998_OR":
                assert result["pscores"][r["treatment"]] == pytest.approx(
                    float(r["pscore"]), rel=1e-6
                )


def test_readable_summary_speaks_plainly(three_files: list[str]) -> None:
    out = CliRunner().invoke(network, [*three_files, *ARGS, *COLUMNS])
    assert out.exit_code == 0, out.output
    assert "League table (row against column):" in out.output
    assert (
        "1. grp_counseling: on average 85% likely to be better than another treatment" in out.output
    )
    assert "between designs (inconsistency) = 15.220 (df 7, p = 0.0333)" in out.output


def test_a_missing_column_names_the_file(three_files: list[str]) -> None:
    out = CliRunner().invoke(network, [*three_files, *ARGS])
    assert out.exit_code == 1
    assert "part0.csv has no column 'study' for the study" in out.output
    out = CliRunner().invoke(network, [*three_files, *ARGS, "--columns", "arm=trt"])
    assert out.exit_code == 1 and "'arm=trt' is not role=column" in out.output


def test_bad_counts_name_the_study(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("study,treatment,events,n\nS1,A,5,20\nS1,B,30,20\n")
    out = CliRunner().invoke(network, [str(path), "--measure", "OR"])
    assert out.exit_code == 1
    assert "study 'S1', field 'events'" in out.output
    assert "Traceback" not in out.output


def test_csv_holds_every_table(three_files: list[str]) -> None:
    out = CliRunner().invoke(network, [*three_files, *ARGS, *COLUMNS, "--csv"])
    assert out.exit_code == 0, out.output
    table = list(csv.DictReader(out.output.splitlines()))
    kinds = [r["table"] for r in table]
    assert kinds.count("effect") == 3 and kinds.count("league") == 12
    assert kinds.count("ranking") == 4 and kinds.count("split") == 6 and kinds.count("q") == 3
    (first,) = [r for r in table if r["table"] == "ranking" and r["rank"] == "1"]
    assert first["first"] == "grp_counseling"
    (between,) = [r for r in table if r["table"] == "q" and r["first"] == "between_designs"]
    assert float(between["q"]) == pytest.approx(15.220337020893368, rel=1e-9)


def _reference(name: str) -> list[dict[str, str]]:
    with (REFERENCE / name).open() as handle:
        return [r for r in csv.DictReader(handle) if r["dataset"] == "hasselblad1998_OR"]


def test_node_splits_and_the_interaction_test_in_every_output(three_files: list[str]) -> None:
    (dbt,) = _reference("network_dbt.csv")
    splits = {(r["first"], r["second"]): r for r in _reference("network_nodesplit.csv")}

    out = CliRunner().invoke(network, [*three_files, *ARGS, *COLUMNS, "--json"])
    result = json.loads(out.output)
    assert {(n["first"], n["second"]) for n in result["nodesplits"]} == set(splits)
    for n in result["nodesplits"]:
        r = splits[(n["first"], n["second"])]
        assert n["difference"] == pytest.approx(float(r["difference"]), rel=1e-6)
        assert n["pvalue"] == pytest.approx(float(r["pvalue"]), rel=1e-6)
    assert result["design_by_treatment"]["wald"] == pytest.approx(float(dbt["wald"]), rel=1e-6)
    (lr,) = _reference("network_lrt.csv")
    assert result["design_by_treatment"]["lrt"] == pytest.approx(float(lr["lrt"]), rel=1e-6)
    assert result["design_by_treatment"]["lrt_pvalue"] == pytest.approx(
        float(lr["pvalue"]), rel=1e-6
    )

    out = CliRunner().invoke(network, [*three_files, *ARGS, *COLUMNS, "--csv"])
    table = list(csv.DictReader(out.output.splitlines()))
    nodes = [r for r in table if r["table"] == "nodesplit"]
    assert len(nodes) == len(splits)
    (interaction,) = [
        r for r in table if r["table"] == "design_by_treatment" and r["first"] == "interaction"
    ]
    assert float(interaction["q"]) == pytest.approx(float(dbt["wald"]), rel=1e-6)
    assert float(interaction["tau2"]) == pytest.approx(float(dbt["tau2_interaction"]), rel=1e-6)
    assert interaction["df"] == dbt["df"]
    (ratio_row,) = [
        r for r in table if r["table"] == "design_by_treatment" and r["first"] == "likelihood_ratio"
    ]
    assert float(ratio_row["q"]) == pytest.approx(float(lr["lrt"]), rel=1e-6)
    assert float(ratio_row["pvalue"]) == pytest.approx(float(lr["pvalue"]), rel=1e-6)
    assert ratio_row["df"] == lr["df"]

    out = CliRunner().invoke(network, [*three_files, *ARGS, *COLUMNS])
    assert "Node-splitting" in out.output
    r = splits[("ind_counseling", "no_contact")]
    ratio = f"ratio {math.exp(float(r['difference'])):.3f}"
    assert (
        f"  ind_counseling vs no_contact: direct {math.exp(float(r['direct'])):.3f}" in out.output
    )
    assert ratio in out.output
    assert (
        f"Design-by-treatment interaction (random effects): Wald chi^2 = {float(dbt['wald']):.3f} "
        f"(df {dbt['df']}, p = {float(dbt['pvalue']):.4f})" in out.output
    )
    assert (
        f"  Likelihood-ratio test (ML fits): LRT = {float(lr['lrt']):.3f} (df {lr['df']}, "
        f"p = {float(lr['pvalue']):.4f}); logLik {float(lr['loglik_consistency']):.3f} under "
        f"consistency, {float(lr['loglik_interaction']):.3f} with the interaction" in out.output
    )
