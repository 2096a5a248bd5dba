"""The network meta-analysis against metafor's rma.mv (tests/analysis/reference/network.R)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from analysis.network import Arm, Contrast, NetworkResult, network_from_arms, network_from_contrasts

REFERENCE = Path(__file__).parents[1] / "reference"
REL = 1e-6
NETWORKS = {
    "senn2013_MD": ("senn2013", "MD", "placebo", "good"),
    "hasselblad1998_OR": ("hasselblad1998", "OR", "no_contact", "bad"),
    "hasselblad1998_RR": ("hasselblad1998", "RR", "no_contact", "bad"),
    "hasselblad1998_RD": ("hasselblad1998", "RD", "self_help", "bad"),
}


def rows(name: str) -> list[dict[str, str]]:
    with (REFERENCE / name).open() as handle:
        return list(csv.DictReader(handle))


def number(text: str) -> float | None:
    return None if text == "NA" else float(text)


def close(actual: float | None, expected: float | None, rel: float = REL) -> bool:
    if expected is None or actual is None:
        return actual is None and expected is None
    return actual == pytest.approx(expected, rel=rel, abs=1e-10)


def arms(dataset: str) -> list[Arm]:
    return [
        Arm(
            r["study"],
            r["treatment"],
            n=float(r["n"]),
            events=number(r["events"]),
            mean=number(r["mean"]),
            sd=number(r["sd"]),
        )
        for r in rows("network_arms.csv")
        if r["dataset"] == dataset
    ]


def fitted(name: str) -> NetworkResult:
    if name == "senn2013_two_arm":
        given = [
            Contrast(r["study"], r["treatment"], r["baseline"], float(r["yi"]), float(r["vi"]))
            for r in rows("network_contrasts.csv")
        ]
        return network_from_contrasts(given, measure="MD", reference="placebo")
    dataset, measure, reference, small = NETWORKS[name]
    return network_from_arms(arms(dataset), measure, reference=reference, small_values=small)


ALL = [*NETWORKS, "senn2013_two_arm"]


@pytest.fixture(scope="module", params=ALL)
def case(request: pytest.FixtureRequest) -> tuple[str, NetworkResult]:
    return request.param, fitted(request.param)


def test_tau2_loglik_and_q_decomposition(case: tuple[str, NetworkResult]) -> None:
    name, result = case
    (ref,) = [r for r in rows("network_summary.csv") if r["dataset"] == name]
    assert close(result.tau2, float(ref["tau2"]))
    assert close(result.loglik, float(ref["loglik"]))
    d = result.decomposition
    assert close(d.total.q, float(ref["q_total"]))
    assert d.total.df == int(ref["df_total"])
    assert close(d.within_designs.q, float(ref["q_within"]))
    assert d.within_designs.df == int(ref["df_within"])
    assert close(d.between_designs.q, float(ref["q_between"]))
    assert d.between_designs.df == int(ref["df_between"])
    assert close(d.between_designs.pvalue, float(ref["p_between"]))


def test_league_table_holds_every_pairwise_contrast(case: tuple[str, NetworkResult]) -> None:
    name, result = case
    index = {t: i for i, t in enumerate(result.treatments)}
    expected = [r for r in rows("network_league.csv") if r["dataset"] == name]
    assert len(expected) == len(result.treatments) * (len(result.treatments) - 1)
    for r in expected:
        cell = result.league[index[r["first"]]][index[r["second"]]]
        assert cell is not None
        for attr in ("estimate", "se", "ci_low", "ci_high", "pvalue"):
            assert close(getattr(cell, attr), float(r[attr])), (r["first"], r["second"], attr)
    assert all(result.league[i][i] is None for i in range(len(result.treatments)))


def test_pscores_follow_netmeta(case: tuple[str, NetworkResult]) -> None:
    name, result = case
    expected = {
        r["treatment"]: float(r["pscore"])
        for r in rows("network_pscores.csv")
        if r["dataset"] == name
    }
    assert set(expected) == set(result.pscores)
    for treatment, value in expected.items():
        assert close(result.pscores[treatment], value), treatment
    assert sum(result.pscores.values()) == pytest.approx(len(result.treatments) / 2)
    assert result.ranking[0] == max(expected, key=lambda t: expected[t])


def test_direct_and_back_calculated_indirect_evidence(case: tuple[str, NetworkResult]) -> None:
    name, result = case
    expected = {
        (r["first"], r["second"]): r for r in rows("network_splits.csv") if r["dataset"] == name
    }
    assert {(s.first, s.second) for s in result.splits} == set(expected)
    assert {(e.first, e.second, e.n_studies) for e in result.edges} == {
        (a, b, int(r["n_studies"])) for (a, b), r in expected.items()
    }
    for split in result.splits:
        r = expected[(split.first, split.second)]
        assert split.n_studies == int(r["n_studies"])
        for attr in (
            "direct",
            "direct_se",
            "indirect",
            "indirect_se",
            "proportion_direct",
            "pvalue",
        ):
            assert close(getattr(split, attr), number(r[attr])), (split.first, split.second, attr)


def test_effects_against_the_reference_are_the_league_column() -> None:
    result = fitted("senn2013_MD")
    ref = result.treatments.index("placebo")
    column = [row[ref] for i, row in enumerate(result.league) if i != ref]
    assert list(result.effects) == column
    assert result.to_dict()["ranking"] == list(result.ranking)


def test_the_bounded_search_reaches_the_same_optimum(monkeypatch: pytest.MonkeyPatch) -> None:
    """Should scoring stall at its iteration limit, the fallback search still finds REML."""
    from analysis import _rma_mv

    monkeypatch.setattr(_rma_mv, "_MAX_ITER", 2)
    result = fitted("hasselblad1998_OR")
    (ref,) = [r for r in rows("network_summary.csv") if r["dataset"] == "hasselblad1998_OR"]
    assert close(result.tau2, float(ref["tau2"]))
    assert close(result.loglik, float(ref["loglik"]))
