"""Node-splitting and the random-effects design-by-treatment test against metafor's rma.mv
(tests/analysis/reference/network_inconsistency.R)."""

from __future__ import annotations

import pytest

from analysis.network import Arm, NetworkResult, network_from_arms
from tests.analysis.network.test_network_reference import NETWORKS, arms, close, number, rows

CASES = {
    **{name: NETWORKS[name] for name in ("senn2013_MD", "hasselblad1998_OR", "hasselblad1998_RD")},
    "pagliaro1992_OR": ("pagliaro1992", "OR", "control", "good"),
}


def fitted(name: str) -> NetworkResult:
    dataset, measure, reference, small = CASES[name]
    if dataset == "pagliaro1992":
        given = [
            Arm(r["study"], r["treatment"], n=float(r["n"]), events=float(r["events"]))
            for r in rows("network_inconsistency_arms.csv")
        ]
    else:
        given = arms(dataset)
    return network_from_arms(given, measure, reference=reference, small_values=small)


@pytest.fixture(scope="module", params=list(CASES))
def case(request: pytest.FixtureRequest) -> tuple[str, NetworkResult]:
    return request.param, fitted(request.param)


def test_node_splits_match_rma_mv_with_a_split_column(case: tuple[str, NetworkResult]) -> None:
    name, result = case
    expected = {
        (r["first"], r["second"]): r for r in rows("network_nodesplit.csv") if r["dataset"] == name
    }
    assert {(s.first, s.second) for s in result.nodesplits} == set(expected)
    for split in result.nodesplits:
        r = expected[(split.first, split.second)]
        assert split.n_studies == int(r["n_studies"])
        assert split.estimable == (r["estimable"] == "TRUE")
        if not split.estimable:
            assert split.note and split.shifted is None
            continue
        assert split.shifted == r["shifted"]
        for attr in (
            "direct",
            "direct_se",
            "indirect",
            "indirect_se",
            "difference",
            "difference_se",
            "ci_low",
            "ci_high",
            "pvalue",
            "tau2",
        ):
            assert close(getattr(split, attr), number(r[attr])), (split.first, split.second, attr)


def test_the_interaction_model_matches_rma_mv(case: tuple[str, NetworkResult]) -> None:
    name, result = case
    (r,) = [r for r in rows("network_dbt.csv") if r["dataset"] == name]
    dbt = result.design_by_treatment
    assert dbt is not None and not dbt.note
    assert close(dbt.tau2_consistency, float(r["tau2_consistency"]))
    assert close(result.tau2, dbt.tau2_consistency)
    assert close(dbt.tau2_interaction, float(r["tau2_interaction"]))
    assert dbt.n_parameters == int(r["n_cells"])
    assert dbt.df == int(r["df"])
    assert close(dbt.wald, float(r["wald"]))
    assert close(dbt.pvalue, float(r["pvalue"]))
    # the same degrees of freedom as the fixed-effect Q between designs
    assert dbt.df == result.decomposition.between_designs.df


def test_splits_without_indirect_evidence_agree_with_the_back_calculation() -> None:
    result = fitted("senn2013_MD")
    back = {(s.first, s.second): s for s in result.splits}
    for split in result.nodesplits:
        assert split.estimable == (back[(split.first, split.second)].indirect is not None)


def test_a_network_of_one_design_has_nothing_to_split_or_test() -> None:
    given = [
        Arm(f"s{i}", t, n=50, mean=m + 0.1 * i, sd=1.0)
        for i in range(4)
        for t, m in (("a", 0.0), ("b", 0.5))
    ]
    result = network_from_arms(given, "MD")
    (split,) = result.nodesplits
    assert not split.estimable and "no indirect evidence" in split.note
    dbt = result.design_by_treatment
    assert dbt is not None and dbt.wald is None and dbt.df == 0 and dbt.note
    assert result.to_dict()["nodesplits"][0]["note"] == split.note
