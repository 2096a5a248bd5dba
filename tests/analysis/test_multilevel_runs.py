"""Three-level runs from a study-level table, as the portal and ``portal meta`` compute
them, against metafor (tests/analysis/reference/multilevel_runs.R: escalc's log odds
ratios of dat.bornmann2007 pooled by rma.mv(yi, vi, random = ~ 1 | study / obs))."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from analysis import AnalysisInputError, ConvergenceError, RunSpec, execute
from analysis.commands import meta

REFERENCE = Path(__file__).parent / "reference"
DATA = REFERENCE / "multilevel_runs_data.csv"
COLUMNS = {"ai": "waward", "n1i": "wtotal", "ci": "maward", "n2i": "mtotal"}


def expected() -> dict[str, float]:
    with (REFERENCE / "multilevel_runs.csv").open() as handle:
        return {r["name"]: float(r["value"]) for r in csv.DictReader(handle)}


def spec(harmonisation: dict | None = None, **options) -> RunSpec:
    return RunSpec.from_options(
        kind="aggregate",
        measure="OR",
        method="REML",
        datasets=["grants"],
        harmonisation=harmonisation or {"columns": COLUMNS, "study": "study"},
        options={"multilevel": True, **options},
    )


def check_against_r(stored: dict) -> None:
    want = expected()
    c = stored["coefficients"][0]
    for name, got in [
        ("estimate", c["estimate"]),
        ("se", c["se"]),
        ("ci_low", c["ci_low"]),
        ("ci_high", c["ci_high"]),
        ("pvalue", c["pvalue"]),
        *((n, stored[n]) for n in ("pi_low", "pi_high", "sigma2_study", "sigma2_within")),
        *((n, stored[n]) for n in ("q", "q_pvalue", "i2_total", "i2_study", "i2_within")),
    ]:
        assert got == pytest.approx(want[name], rel=1e-6), name
    assert stored["q_df"] == want["q_df"]
    assert stored["n_studies"] == want["n_studies"] and stored["n_effects"] == want["n_effects"]
    assert stored["estimate_exp"] == pytest.approx(math.exp(want["estimate"]), rel=1e-6)


def test_run_matches_rma_mv() -> None:
    computed = execute(spec(), {"grants": pd.read_csv(DATA)})
    stored = computed.results["multilevel"]
    check_against_r(stored)
    assert "pooled" not in computed.results  # rows are not independent studies
    words = stored["in_plain_words"]
    assert "66 effects from 21 studies" in words["estimate"]
    assert "0.90" in words["estimate"] and "clearly show" in words["estimate"]
    assert words["shares"].startswith("Of all the variation among the effects, 62% comes")
    assert "0.68 and 1.21" in words["prediction"]
    # the effect ids were inferred: rows numbered within their study
    firsts = [e for e in stored["effects"] if e["study"] == "Ackers (2000)"]
    assert [e["effect_id"] for e in firsts] == [str(i) for i in range(1, len(firsts) + 1)]


def test_effect_id_column_names_effects_and_must_not_repeat_in_a_study() -> None:
    frame = pd.read_csv(DATA)
    h = {"columns": COLUMNS, "study": "study", "effect_id": "obs"}
    stored = execute(spec(h), {"grants": frame}).results["multilevel"]
    check_against_r(stored)
    assert stored["effects"][0]["effect_id"] == "1"
    frame.loc[1, "obs"] = frame.loc[0, "obs"]
    with pytest.raises(AnalysisInputError) as caught:
        execute(spec(h), {"grants": frame})
    assert caught.value.field == "effect_id" and caught.value.study == "Ackers (2000)"


def test_options_round_trip_and_conflicts_name_the_field() -> None:
    s = spec()
    assert s.options()["multilevel"] is True
    again = RunSpec.from_options(
        kind="aggregate",
        measure="OR",
        method="REML",
        datasets=["grants"],
        harmonisation=s.harmonisation,
        options=s.options(),
    )
    assert again == s
    cases = [
        ({"method": "DL"}, "method"),
        ({"options": {"hk": True}}, "test"),
        ({"harmonisation": {"columns": COLUMNS}}, "study"),
        ({"harmonisation": {"columns": COLUMNS, "study": "study", "moderators": ["obs"]}}, None),
        ({"options": {"multilevel": "maybe"}}, "multilevel"),
    ]
    for change, field in cases:
        kwargs = {
            "kind": "aggregate",
            "measure": "OR",
            "method": change.get("method", "REML"),
            "datasets": ["grants"],
            "harmonisation": change.get("harmonisation", {"columns": COLUMNS, "study": "study"}),
            "options": {"multilevel": True, **change.get("options", {})},
        }
        with pytest.raises(AnalysisInputError) as caught:
            RunSpec.from_options(**kwargs)
        assert caught.value.field == (field or "moderators"), change
    with pytest.raises(AnalysisInputError) as caught:
        RunSpec.from_options(
            kind="participant",
            measure="OR",
            method="REML",
            datasets=["a"],
            options={"multilevel": True},
        )
    assert caught.value.field == "multilevel"


def test_a_row_without_study_is_named() -> None:
    frame = pd.read_csv(DATA)
    frame.loc[4, "study"] = None
    with pytest.raises(AnalysisInputError, match="missing study label") as caught:
        execute(spec(), {"grants": frame})
    assert (caught.value.study, caught.value.field) == ("row 5", "study")


def test_command_line_matches_rma_mv(tmp_path: Path) -> None:
    columns = ",".join(f"{k}={v}" for k, v in COLUMNS.items())
    args = [str(DATA), "--measure", "OR", "--columns", columns, "--study", "study"]
    result = CliRunner().invoke(meta, [*args, "--multilevel", "--effect-id", "obs", "--json"])
    assert result.exit_code == 0, result.output
    check_against_r(json.loads(result.output))
    text = CliRunner().invoke(meta, [*args, "--multilevel"])
    assert text.exit_code == 0, text.output
    assert "66 effects in 21 studies" in text.output and "between studies" in text.output
    wrong = CliRunner().invoke(meta, [*args, "--multilevel", "--method", "DL"])
    assert wrong.exit_code == 1 and "REML" in wrong.output and "Traceback" not in wrong.output


@st.composite
def arm_counts(draw: st.DrawFn) -> tuple[str, int, int, int, int]:
    """One effect's 2x2 table: events never above the arm's total (empty arms included)."""
    n1, n2 = draw(st.integers(0, 40)), draw(st.integers(0, 40))
    return (
        draw(st.sampled_from(["a", "b", "c", "d"])),
        draw(st.integers(0, n1)),
        n1,
        draw(st.integers(0, n2)),
        n2,
    )


tables = st.lists(arm_counts(), min_size=1, max_size=20)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables)
def test_random_tables_never_raise_anything_but_a_clear_error(rows: list[tuple]) -> None:
    frame = pd.DataFrame(rows, columns=["study", "waward", "wtotal", "maward", "mtotal"])
    try:
        stored = execute(spec(), {"grants": frame}).results["multilevel"]
    except (AnalysisInputError, ConvergenceError) as error:
        assert str(error)
        return
    event(f"fitted {stored['n_effects']} effects")
    assert stored["sigma2_study"] >= 0 and stored["sigma2_within"] >= 0
    assert np.isfinite(stored["coefficients"][0]["estimate"])
    assert 0 <= stored["i2_study"] <= 100 and 0 <= stored["i2_within"] <= 100
