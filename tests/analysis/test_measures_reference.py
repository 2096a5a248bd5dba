"""ROM, COR, ZCOR, PR, PLO, PAS, IRR and IRD against R: ``reference/measures.R`` wrote
escalc's per-study values and rma's (FE, DL, REML) and rma.mh's (IRR, IRD) pooled values
from metafor's example data sets and small tables with zeros; each is matched to 1e-6."""

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

from analysis import AnalysisInputError, Measure, StudyTable
from analysis.commands import meta
from analysis.effect_sizes import effect_sizes_from_table, required_roles
from analysis.pooling import pool

HERE = Path(__file__).parent / "reference"
REL = 1e-6
NEW = ("ROM", "COR", "ZCOR", "PR", "PLO", "PAS", "IRR", "IRD")


@cache
def table(name: str) -> pd.DataFrame:
    return pd.read_csv(HERE / f"measures_{name}.csv", keep_default_na=False, na_values=["NA"])


def studies(measure: str, dataset: str) -> pd.DataFrame:
    rows = table("effects")
    rows = rows[(rows.measure == measure) & (rows.dataset == dataset)].sort_values("study")
    return rows.reset_index(drop=True)


def effects(measure: str, dataset: str):
    rows = studies(measure, dataset)
    roles = required_roles(measure)
    return effect_sizes_from_table(rows, measure, {r: r for r in roles}, study="study")


def close(ours: float | None, theirs: float) -> bool:
    if theirs is None or (isinstance(theirs, float) and math.isnan(theirs)):
        return ours is None or (isinstance(ours, float) and math.isnan(ours))
    return ours == pytest.approx(theirs, rel=REL, abs=1e-12)


SETS = sorted({(r["measure"], r["dataset"]) for r in table("effects").to_dict("records")})
POOLED = table("pooled").to_dict("records")


@pytest.mark.parametrize("measure, dataset", SETS, ids=["-".join(s) for s in SETS])
def test_effect_sizes_equal_escalc(measure, dataset):
    rows = studies(measure, dataset)
    es = effects(measure, dataset)
    assert es.measure == measure and es.k == len(rows)
    np.testing.assert_allclose(es.yi, rows.yi.to_numpy(float), rtol=REL, atol=1e-12)
    np.testing.assert_allclose(es.vi, rows.vi.to_numpy(float), rtol=REL, atol=1e-12)


@pytest.mark.parametrize(
    "row", POOLED, ids=[f"{r['measure']}-{r['dataset']}-{r['method']}" for r in POOLED]
)
def test_pooled_equals_rma_and_rma_mh(row):
    es = effects(row["measure"], row["dataset"])
    result = pool(es, row["method"])
    for name in ("estimate", "se", "statistic", "pvalue", "ci_low", "ci_high", "tau2", "q"):
        assert close(getattr(result, name), row[name]), name
    assert close(result.q_pvalue, row["q_pvalue"])
    assert close(result.i2, row["i2"])
    if row["measure"] == "IRR" and row["method"] == "MH":
        assert close(result.extra["mh"], row["mh"])
        assert close(result.extra["mh_pvalue"], row["mh_pvalue"])


def test_every_new_measure_has_a_table_roles_and_a_plain_label():
    for code in NEW:
        measure = Measure(code)
        assert measure.table is not None and measure.roles == measure.table.roles
        assert measure.label and measure.label != code
    assert Measure.IRR.is_ratio and Measure.ROM.is_ratio and not Measure.PLO.is_ratio
    assert {m for t in StudyTable for m in t.measures} >= set(NEW)


def test_mh_refuses_measures_without_tables_and_names_irr_ird():
    es = effects("COR", "mcdaniel1994")
    with pytest.raises(AnalysisInputError, match="IRR or IRD"):
        pool(es, "MH")


@pytest.mark.parametrize(
    "measure, frame, field, words",
    [
        ("PR", {"xi": [1, 0], "ni": [10, 0]}, "ni", "empty"),
        ("PLO", {"xi": [11], "ni": [10]}, "xi", "exceed"),
        ("COR", {"ri": [1.2], "ni": [10]}, "ri", "between -1 and 1"),
        ("ZCOR", {"ri": [0.2], "ni": [3]}, "ni", "at least 4"),
        ("IRR", {"x1i": [1], "t1i": [0], "x2i": [2], "t2i": [10]}, "t1i", "person-time"),
        (
            "ROM",
            {"m1i": [-1], "sd1i": [1], "n1i": [5], "m2i": [2], "sd2i": [1], "n2i": [5]},
            "m1i",
            "same sign",
        ),
    ],
)
def test_bad_rows_are_refused_with_the_study_and_column(measure, frame, field, words):
    data = pd.DataFrame(frame)
    data["study"] = [f"S{i}" for i in range(len(data))]
    with pytest.raises(AnalysisInputError, match=words) as caught:
        effect_sizes_from_table(
            data, measure, {r: r for r in required_roles(measure)}, study="study"
        )
    assert caught.value.field == field
    assert caught.value.study is not None


def test_an_empty_arm_is_refused_with_metafors_correction_explained():
    """metafor returns an effect for an arm with n = 0 after adding 1/2; the project
    refuses, and the message says why."""
    data = pd.DataFrame({"ai": [0], "n1i": [0], "ci": [3], "n2i": [10]})
    with pytest.raises(AnalysisInputError, match="added 0.5 alone"):
        effect_sizes_from_table(data, "OR", {r: r for r in required_roles("OR")})


@pytest.mark.parametrize("measure", NEW)
def test_portal_meta_computes_the_new_measures(tmp_path, measure):
    dataset = {"ROM": "dagostino1998", "COR": "mcdaniel1994", "ZCOR": "mcdaniel1994"}.get(
        measure, "nielweise2008" if measure.startswith("IR") else "pritz1997"
    )
    rows = studies(measure, dataset)
    path = tmp_path / "studies.csv"
    rows.to_csv(path, index=False)
    columns = ",".join(f"{r}={r}" for r in required_roles(measure))
    method = "MH" if measure.startswith("IR") else "REML"
    args = [str(path), "--measure", measure, "--method", method, "--columns", columns]
    result = CliRunner().invoke(meta, [*args, "--study", "study", "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    (row,) = [
        r for r in POOLED if (r["measure"], r["dataset"], r["method"]) == (measure, dataset, method)
    ]
    assert close(out["estimate"], row["estimate"]) and close(out["se"], row["se"])


# ---------------------------------------------------------------------------
# never raises on valid input (a clear AnalysisInputError is allowed)

counts = st.integers(0, 500)
positive = st.floats(0.01, 1e4, allow_nan=False)
sds = st.one_of(st.just(0.0), st.floats(0.01, 100))


@st.composite
def tables(draw, measure: str) -> pd.DataFrame:
    k = draw(st.integers(1, 12))
    rows = []
    for _ in range(k):
        if measure == "ROM":
            rows.append(
                {
                    "m1i": draw(positive),
                    "sd1i": draw(sds),
                    "n1i": draw(st.integers(1, 500)),
                    "m2i": draw(positive),
                    "sd2i": draw(sds),
                    "n2i": draw(st.integers(1, 500)),
                }
            )
        elif measure in ("COR", "ZCOR"):
            # correlations as reported (three decimals), and the limits, which are refused
            r = draw(st.one_of(st.floats(-0.999, 0.999), st.sampled_from([-1.0, 1.0])))
            rows.append({"ri": r, "ni": draw(st.integers(2, 2000))})
        elif measure in ("PR", "PLO", "PAS"):
            n = draw(st.integers(1, 1000))
            rows.append({"xi": draw(st.integers(0, n)), "ni": n})
        else:
            rows.append(
                {
                    "x1i": draw(counts),
                    "t1i": draw(positive),
                    "x2i": draw(counts),
                    "t2i": draw(positive),
                }
            )
    return pd.DataFrame(rows)


@pytest.mark.parametrize("measure", NEW)
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_never_raises_on_random_valid_input(measure, data):
    frame = data.draw(tables(measure))
    methods = ["FE", "REML", "DL"] + (["MH"] if measure in ("IRR", "IRD") else [])
    method = data.draw(st.sampled_from(methods))
    try:
        es = effect_sizes_from_table(frame, measure, {r: r for r in required_roles(measure)})
        result = pool(es, method)
    except AnalysisInputError as error:
        assert str(error)
        return
    assert np.isfinite(es.yi[es.included]).all()
    assert math.isfinite(result.estimate) or not es.included.any()
