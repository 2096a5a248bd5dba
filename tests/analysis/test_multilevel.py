"""Three-level meta-analysis against metafor's rma.mv (tests/analysis/reference/network.R)."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.errors import AnalysisInputError
from analysis.multilevel import multilevel_meta_analysis

REFERENCE = Path(__file__).parent / "reference"


def rows(name: str) -> list[dict[str, str]]:
    with (REFERENCE / name).open() as handle:
        return list(csv.DictReader(handle))


@pytest.mark.parametrize("dataset", ["konstantopoulos2011", "assink2016"])
@pytest.mark.parametrize("mods", ["none", "mod"])
def test_matches_rma_mv(dataset: str, mods: str) -> None:
    data = [r for r in rows("multilevel_studies.csv") if r["dataset"] == dataset]
    result = multilevel_meta_analysis(
        [float(r["yi"]) for r in data],
        [float(r["vi"]) for r in data],
        [r["study"] for r in data],
        mods=[float(r["mod"]) for r in data] if mods == "mod" else None,
    )
    expected = [r for r in rows("multilevel.csv") if r["dataset"] == dataset and r["mods"] == mods]
    assert len(result.coefficients) == len(expected)
    first = expected[0]
    for name, attr in [
        ("sigma2_study", "sigma2_study"),
        ("sigma2_within", "sigma2_within"),
        ("q", "q"),
        ("q_pval", "q_pvalue"),
        ("loglik", "loglik"),
        ("i2_total", "i2_total"),
        ("i2_study", "i2_study"),
        ("i2_within", "i2_within"),
    ]:
        assert getattr(result, attr) == pytest.approx(float(first[name]), rel=1e-6), attr
    assert result.q_df == int(first["q_df"])
    if mods == "none":
        assert result.pi_low == pytest.approx(float(first["pi_low"]), rel=1e-6)
        assert result.pi_high == pytest.approx(float(first["pi_high"]), rel=1e-6)
    for coefficient, r in zip(result.coefficients, expected, strict=True):
        for name, attr in [
            ("estimate", "estimate"),
            ("se", "se"),
            ("zval", "statistic"),
            ("pval", "pvalue"),
            ("ci_low", "ci_low"),
            ("ci_high", "ci_high"),
        ]:
            assert getattr(coefficient, attr) == pytest.approx(float(r[name]), rel=1e-6), attr


def test_one_effect_per_study_gives_the_ordinary_reml_tau2() -> None:
    # with one effect per study the two variances are confounded: only their sum is
    # estimable, and it is the REML tau^2 of the ordinary random-effects model
    # (R: rma(yi, vi, control = list(threshold = 1e-12))$tau2; the default threshold
    # of 1e-5 stops at 0.103908933574)
    yi = [0.1, 0.5, -0.2, 0.3, 0.9, 0.0]
    vi = [0.02, 0.03, 0.05, 0.01, 0.04, 0.02]
    result = multilevel_meta_analysis(yi, vi, ["a", "b", "c", "d", "e", "f"])
    assert result.sigma2_study + result.sigma2_within == pytest.approx(0.103908626358, rel=1e-6)


def test_bad_rows_are_named() -> None:
    with pytest.raises(AnalysisInputError) as caught:
        multilevel_meta_analysis([0.1, 0.2, 0.3], [0.1, -0.1, 0.2], ["a", "b", "b"])
    assert caught.value.study == "b" and caught.value.field == "vi"
    with pytest.raises(AnalysisInputError, match="same length"):
        multilevel_meta_analysis([0.1, 0.2], [0.1, 0.1], ["a"])


effects = st.lists(
    st.tuples(
        st.integers(0, 5),
        st.floats(-3, 3, allow_nan=False),
        st.floats(1e-3, 2, allow_nan=False),
    ),
    min_size=1,
    max_size=25,
)


@settings(max_examples=60, deadline=None)
@given(effects)
def test_never_raises_anything_but_a_clear_error(data: list[tuple[int, float, float]]) -> None:
    study = [f"s{s}" for s, _, _ in data]
    yi = [y for _, y, _ in data]
    vi = [v for _, _, v in data]
    try:
        result = multilevel_meta_analysis(yi, vi, study)
    except AnalysisInputError as exc:
        assert str(exc)
        return
    assert result.sigma2_study >= 0 and result.sigma2_within >= 0
    assert np.isfinite(result.estimate) and result.coefficients[0].se > 0
    assert min(yi) - 1e-9 <= result.estimate <= max(yi) + 1e-9
