"""Properties of the network fit on random networks: it either fits or says clearly why not,
and the numbers do not depend on choices the model is invariant to."""

from __future__ import annotations

import random

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from analysis.errors import AnalysisInputError
from analysis.network import Arm, network_from_arms
from analysis.pooling import meta_analysis

TREATMENTS = ["A", "B", "C", "D"]


@st.composite
def networks(draw: st.DrawFn) -> list[Arm]:
    arms = []
    for s in range(draw(st.integers(1, 8))):
        chosen = draw(st.lists(st.sampled_from(TREATMENTS), min_size=2, max_size=3, unique=True))
        for t in chosen:
            n = draw(st.integers(1, 200))
            arms.append(Arm(f"s{s}", t, n=n, events=draw(st.integers(0, n))))
    return arms


@settings(max_examples=80, deadline=None)
@given(networks(), st.sampled_from(["OR", "RR", "RD"]))
def test_random_networks_fit_or_fail_clearly(arms: list[Arm], measure: str) -> None:
    try:
        result = network_from_arms(arms, measure)
    except AnalysisInputError as exc:
        assert str(exc)
        return
    t = len(result.treatments)
    assert result.tau2 >= 0
    assert sum(result.pscores.values()) == pytest.approx(t / 2)
    for i in range(t):
        for j in range(t):
            if i != j:
                a, b = result.league[i][j], result.league[j][i]
                assert a is not None and b is not None
                assert a.estimate == pytest.approx(-b.estimate, abs=1e-9)
    d = result.decomposition
    assert d.within_designs.q + d.between_designs.q == pytest.approx(d.total.q, abs=1e-6)
    # node-splits and the interaction test give numbers or say why not, never raise
    assert {(s.first, s.second) for s in result.nodesplits} == {
        (e.first, e.second) for e in result.edges
    }
    for split in result.nodesplits:
        if split.estimable:
            assert split.direct is not None and split.indirect is not None
            assert split.direct - split.indirect == pytest.approx(split.difference, abs=1e-8)
            assert split.pvalue is not None and 0 <= split.pvalue <= 1
            assert split.tau2 is not None and split.tau2 >= 0
        else:
            assert split.note
    dbt = result.design_by_treatment
    assert dbt is not None and dbt.df == d.between_designs.df
    if dbt.wald is None:
        assert dbt.note and dbt.lrt is None
    else:
        assert dbt.wald >= -1e-9 and dbt.pvalue is not None and 0 <= dbt.pvalue <= 1
        # the likelihood-ratio test gives a number or a note, and never fails the run
        if dbt.lrt is None:
            assert dbt.lrt_note
        else:
            assert dbt.lrt >= 0 and dbt.lrt_pvalue is not None and 0 <= dbt.lrt_pvalue <= 1
            assert dbt.loglik_interaction_ml is not None
            assert dbt.loglik_consistency_ml is not None
            # ML nests: the interaction model fits at least as well (to the search's tolerance)
            assert dbt.loglik_interaction_ml >= dbt.loglik_consistency_ml - 1e-6


@settings(max_examples=30, deadline=None)
@given(networks(), st.randoms(use_true_random=False))
@example(
    [
        Arm(f"s{s}", t, n=n, events=e)
        for s, counts in enumerate([(15, 13, 7, 3), (1, 0, 1, 0), (1, 0, 1, 0), (2, 0, 1, 0)])
        for t, n, e in (("A", *counts[:2]), ("B", *counts[2:]))
    ]
    + [Arm("s4", "A", n=1, events=0), Arm("s4", "B", n=1, events=0)],
    random.Random(1),
)
def test_arm_order_and_reference_do_not_change_the_contrasts(arms: list[Arm], rnd) -> None:
    try:
        first = network_from_arms(arms, "OR")
    except AnalysisInputError:
        return
    shuffled = list(arms)
    rnd.shuffle(shuffled)
    second = network_from_arms(shuffled, "OR", reference=first.treatments[-1])
    # A few studies of one or two patients without events leave the restricted likelihood
    # flat to rounding along tau^2; the search then stops a little apart on that ridge
    # (1e-5 relative on the example below), where nothing in the data tells the two apart.
    assert second.tau2 == pytest.approx(first.tau2, rel=1e-4, abs=1e-8)
    for row_a, row_b in zip(first.league, second.league, strict=True):
        for a, b in zip(row_a, row_b, strict=True):
            if a is not None and b is not None:
                assert a.estimate == pytest.approx(b.estimate, rel=1e-5, abs=1e-7)
    # the arm a split shifts follows the treatments' names, not the reference or arm order
    for x, y in zip(first.nodesplits, second.nodesplits, strict=True):
        assert (x.first, x.second, x.shifted) == (y.first, y.second, y.shifted)
        if x.difference is not None and y.difference is not None:
            assert x.difference == pytest.approx(y.difference, rel=1e-4, abs=1e-6)


def test_two_treatments_is_the_ordinary_random_effects_model() -> None:
    rng = np.random.default_rng(3)
    arms = []
    for s in range(7):
        for t in ("A", "B"):
            n = int(rng.integers(40, 200))
            arms.append(Arm(f"s{s}", t, n=n, events=int(rng.integers(5, n - 5))))
    result = network_from_arms(arms, "OR")
    yi, vi = [], []
    for s in range(7):
        (a,) = [x for x in arms if x.study == f"s{s}" and x.treatment == "A"]
        (b,) = [x for x in arms if x.study == f"s{s}" and x.treatment == "B"]
        assert a.events is not None and b.events is not None
        yi.append(np.log(b.events / (b.n - b.events)) - np.log(a.events / (a.n - a.events)))
        vi.append(1 / a.events + 1 / (a.n - a.events) + 1 / b.events + 1 / (b.n - b.events))
    plain = meta_analysis(yi, vi, method="REML", control={"threshold": 1e-12})
    (effect,) = result.effects
    assert effect.estimate == pytest.approx(plain.estimate, rel=1e-6)
    assert result.tau2 == pytest.approx(plain.tau2, rel=1e-6)


def test_a_disconnected_network_names_its_parts() -> None:
    arms = [
        Arm("s1", "A", n=50, events=10),
        Arm("s1", "B", n=50, events=12),
        Arm("s2", "C", n=50, events=10),
        Arm("s2", "D", n=50, events=20),
    ]
    with pytest.raises(AnalysisInputError, match="A, B; C, D"):
        network_from_arms(arms, "OR")


def test_bad_arms_are_named() -> None:
    arms = [Arm("s1", "A", n=50, events=60), Arm("s1", "B", n=50, events=12)]
    with pytest.raises(AnalysisInputError) as caught:
        network_from_arms(arms, "OR")
    assert caught.value.study == "s1" and caught.value.field == "events"
    with pytest.raises(AnalysisInputError, match="reference"):
        network_from_arms(
            [Arm("s1", "A", n=5, events=1), Arm("s1", "B", n=5, events=2)], "OR", reference="Z"
        )


def test_network_plot_draws_every_treatment_and_comparison() -> None:
    from analysis.plots import network_plot, to_svg

    arms = [
        Arm("s1", "aspirin", n=100, events=10),
        Arm("s1", "placebo", n=100, events=20),
        Arm("s2", "aspirin", n=80, events=9),
        Arm("s2", "placebo", n=80, events=15),
        Arm("s3", "heparin", n=60, events=5),
        Arm("s3", "placebo", n=60, events=11),
        Arm("s3", "aspirin", n=60, events=7),
    ]
    result = network_from_arms(arms, "OR", reference="placebo")
    svg = to_svg(network_plot(result, title="Network"))
    for text in ("aspirin", "heparin", "placebo", ">3<", ">1<", "Network"):
        assert text in svg
    assert svg == to_svg(network_plot(result, title="Network"))
