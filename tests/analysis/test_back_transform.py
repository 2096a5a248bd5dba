"""PLO, ZCOR and PAS read back as proportions and correlations, against R:
``reference/back_transform.R`` wrote metafor's ``predict(res, transf=...)`` and
``summary(escalc(...), transf=...)`` on the data of ``measures.R``; matched to 1e-6."""

from __future__ import annotations

import json
import math
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis import transforms
from analysis.commands import meta
from analysis.effect_sizes import effect_sizes_from_table, required_roles
from analysis.plots import forest_plot, subgroup_forest_plot
from analysis.pooling import pool
from analysis.subgroups import subgroup_analysis

HERE = Path(__file__).parent / "reference"


@cache
def table(name: str) -> pd.DataFrame:
    return pd.read_csv(HERE / f"back_transform_{name}.csv", keep_default_na=False, na_values=["NA"])


def effects(measure: str, dataset: str):
    rows = table("studies")
    rows = rows[(rows.measure == measure) & (rows.dataset == dataset)].sort_values("study")
    roles = required_roles(measure)
    return effect_sizes_from_table(rows.reset_index(drop=True), measure, {r: r for r in roles})


def close(ours: float | None, theirs: float) -> bool:
    if isinstance(theirs, float) and math.isnan(theirs):
        return ours is None
    return ours == pytest.approx(theirs, rel=1e-6, abs=1e-12)


POOLED = table("pooled").to_dict("records")


@pytest.mark.parametrize(
    "row", POOLED, ids=[f"{r['measure']}-{r['dataset']}-{r['method']}" for r in POOLED]
)
def test_pooled_values_on_the_natural_scale_equal_predict_with_transf(row):
    result = pool(effects(row["measure"], row["dataset"]), row["method"]).to_dict()
    assert result["back_transform"] == transforms.back_transform_name(row["measure"])
    for name in ("estimate", "ci_low", "ci_high", "pi_low", "pi_high"):
        assert close(result[f"{name}_natural"], row[f"{name}_natural"]), name
    theirs = table("studies")
    theirs = theirs[(theirs.measure == row["measure"]) & (theirs.dataset == row["dataset"])]
    for ours, (_, r) in zip(result["studies"], theirs.sort_values("study").iterrows(), strict=True):
        for name in ("yi", "ci_low", "ci_high"):
            assert close(ours[f"{name}_natural"], r[f"{name}_natural"]), name


def test_measures_read_on_their_own_scale_are_not_back_transformed():
    rows = pd.DataFrame({"xi": [3, 5, 9], "ni": [20, 25, 30]})
    out = pool(effect_sizes_from_table(rows, "PR", {"xi": "xi", "ni": "ni"}), "DL").to_dict()
    assert out["back_transform"] is None and out["natural_scale"] is None
    assert out["estimate_natural"] is None and out["studies"][0]["yi_natural"] is None


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(["PLO", "ZCOR", "PAS"]), st.floats(-30, 30, allow_nan=False))
def test_back_transforms_stay_on_the_natural_scale_and_invert(measure, x):
    value = transforms.back_transform(measure, x)
    assert value is not None
    assert (-1 <= value <= 1) if measure == "ZCOR" else (0 <= value <= 1)
    inside = {"PLO": abs(x) < 15, "ZCOR": abs(x) < 5, "PAS": 0.01 < x < math.pi / 2 - 0.01}
    if inside[measure]:
        back = transforms.forward_transform_array(measure, np.array([value]))[0]
        assert back == pytest.approx(x, abs=1e-6)


def test_cli_prints_and_returns_the_proportion(tmp_path):
    path = tmp_path / "props.csv"
    pd.DataFrame({"study": list("abcd"), "x": [4, 10, 7, 12], "n": [40, 52, 33, 60]}).to_csv(
        path, index=False
    )
    runner = CliRunner()
    args = [str(path), "--measure", "PLO", "--method", "DL", "--columns", "xi=x,ni=n"]
    args += ["--study", "study"]
    out = json.loads(runner.invoke(meta, [*args, "--json"]).output)
    assert out["natural_scale"] == "proportion"
    assert out["estimate_natural"] == pytest.approx(1 / (1 + math.exp(-out["estimate"])))
    text = runner.invoke(meta, args).output
    assert "As a proportion (ilogit)" in text


@pytest.mark.parametrize("measure", ["PLO", "PAS", "ZCOR"])
def test_forest_plot_labels_its_axis_on_the_natural_scale(measure):
    if measure == "ZCOR":
        rows = pd.DataFrame({"ri": [0.2, 0.35, 0.1, 0.5], "ni": [40, 52, 33, 60]})
        es = effect_sizes_from_table(rows, measure, {"ri": "ri", "ni": "ni"})
    else:
        rows = pd.DataFrame({"xi": [4, 10, 7, 12], "ni": [40, 52, 33, 60]})
        es = effect_sizes_from_table(rows, measure, {"xi": "xi", "ni": "ni"})
    fig = forest_plot(pool(es, "REML"))
    ax = fig.axes[1]
    assert ax.get_xlabel().startswith("Correlation" if measure == "ZCOR" else "Proportion")
    labels = [float(t.get_text()) for t in ax.get_xticklabels() if t.get_text()]
    low = -1 if measure == "ZCOR" else 0
    assert labels and all(low < v < 1 for v in labels)


def test_the_forest_plot_by_subgroup_reads_proportions_too():
    rows = pd.DataFrame({"xi": [4, 10, 7, 12, 3, 9], "ni": [40, 52, 33, 60, 20, 45]})
    es = effect_sizes_from_table(rows, "PLO", {"xi": "xi", "ni": "ni"})
    stored = subgroup_analysis(es, ["a", "a", "a", "b", "b", "b"], "REML").to_dict()
    fig = subgroup_forest_plot(stored)
    ax = fig.axes[1]
    assert ax.get_xlabel() == "Proportion (drawn on the log-odds scale)"
    texts = [t.get_text() for a in fig.axes for t in a.texts]
    overall = stored["overall"]
    assert any(t.startswith(f"{overall['estimate_natural']:.2f} [") for t in texts)
