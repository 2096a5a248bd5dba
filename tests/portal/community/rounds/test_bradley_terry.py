"""The Bradley-Terry fit: hand-worked examples and a reference fit by statsmodels."""

from __future__ import annotations

import math

import numpy as np
import pytest
import statsmodels.api as sm

from portal.community.rounds import bradley_terry as bt


def expand(record: dict[tuple[int, int], int]) -> tuple[list[int], list[int]]:
    """{(winner, loser): times} -> winners, losers."""
    winners, losers = [], []
    for (winner, loser), times in record.items():
        winners += [winner] * times
        losers += [loser] * times
    return winners, losers


def test_two_items_the_strength_gap_is_the_log_odds_of_winning():
    # A beat B 3 times out of 4: P(A over B) = 3/4, so b_A - b_B = log(3).
    winners, losers = expand({(0, 1): 3, (1, 0): 1})
    b = bt.fit(2, winners, losers)
    assert b == pytest.approx([math.log(3) / 2, -math.log(3) / 2], abs=1e-9)
    assert bt.win_probability(b, 0, 1) == pytest.approx(0.75)


def test_three_items_hand_worked_from_zermelos_equations():
    # Strengths 4 : 2 : 1 fit these records exactly: for every item, its wins equal the
    # wins the model expects, sum_j n_ij p_i / (p_i + p_j):
    #   A: 3 * 4/6 + 5 * 4/5 = 2 + 4 = 6 = wins of A (2 over B, 4 over C)
    #   B: 3 * 2/6 + 3 * 2/3 = 1 + 2 = 3 = wins of B (1 over A, 2 over C)
    #   C: 3 * 1/3 + 5 * 1/5 = 1 + 1 = 2 = wins of C (1 over B, 1 over A)
    # so log-strengths, centred, are (log 2, 0, -log 2).
    winners, losers = expand({(0, 1): 2, (1, 0): 1, (1, 2): 2, (2, 1): 1, (0, 2): 4, (2, 0): 1})
    b = bt.fit(3, winners, losers)
    assert b == pytest.approx([math.log(2), 0.0, -math.log(2)], abs=1e-9)
    assert list(bt.ranks(b)) == [1, 2, 3]


def test_a_balanced_cycle_gives_equal_strengths():
    winners, losers = expand({(0, 1): 2, (1, 0): 1, (1, 2): 2, (2, 1): 1, (2, 0): 2, (0, 2): 1})
    assert bt.fit(3, winners, losers) == pytest.approx([0, 0, 0], abs=1e-9)


def simulated(n_items: int, n_comparisons: int, seed: int):
    rng = np.random.default_rng(seed)
    truth = rng.normal(size=n_items)
    first = rng.integers(0, n_items, n_comparisons)
    second = (first + rng.integers(1, n_items, n_comparisons)) % n_items
    first_wins = rng.random(n_comparisons) < 1 / (1 + np.exp(truth[second] - truth[first]))
    winners = np.where(first_wins, first, second)
    losers = np.where(first_wins, second, first)
    return winners, losers, rng


def statsmodels_reference(n_items, winners, losers, weights=None):
    """The same model as a logistic GLM without intercept on the comparison design:
    +1 for the preferred item, -1 for the other, outcome 1; item 0 is the reference."""
    design = np.zeros((len(winners), n_items))
    design[np.arange(len(winners)), winners] = 1
    design[np.arange(len(winners)), losers] = -1
    model = sm.GLM(
        np.ones(len(winners)), design[:, 1:], family=sm.families.Binomial(), freq_weights=weights
    )
    coefficients = np.concatenate([[0.0], model.fit().params])
    return coefficients - coefficients.mean()


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_matches_a_logistic_glm_fitted_by_statsmodels(seed):
    winners, losers, _ = simulated(n_items=7, n_comparisons=500, seed=seed)
    assert bt.fit(7, winners, losers) == pytest.approx(
        statsmodels_reference(7, winners, losers), abs=1e-7
    )


def test_weighted_fit_matches_statsmodels_with_frequency_weights():
    winners, losers, rng = simulated(n_items=5, n_comparisons=300, seed=4)
    weights = rng.uniform(0.2, 3.0, size=winners.size)
    assert bt.fit(5, winners, losers, weights) == pytest.approx(
        statsmodels_reference(5, winners, losers, weights), abs=1e-7
    )


def test_an_item_that_never_lost_has_no_finite_fit_unless_a_prior_is_used():
    winners, losers = expand({(0, 1): 3, (0, 2): 2, (1, 2): 1, (2, 1): 1})
    with pytest.raises(ValueError, match="no finite maximum-likelihood fit"):
        bt.fit(3, winners, losers)
    b = bt.fit(3, winners, losers, ridge=0.1)
    assert np.all(np.isfinite(b)) and bt.ranks(b)[0] == 1


def test_with_a_prior_the_fit_is_the_penalised_optimum():
    winners, losers, _ = simulated(n_items=4, n_comparisons=60, seed=5)
    ridge = 0.5
    b = bt.fit(4, winners, losers, ridge=ridge)
    wins = bt.wins_matrix(4, winners, losers)
    p = 1 / (1 + np.exp(-(b[:, None] - b[None, :])))
    gradient = (wins * (1 - p)).sum(1) - (wins.T * p).sum(1) - ridge * b
    assert gradient == pytest.approx(np.zeros(4), abs=1e-8)
    assert b.sum() == pytest.approx(0.0, abs=1e-9)


def test_items_never_compared_sit_at_the_average_with_a_prior():
    b = bt.fit(4, [0, 1], [1, 0], ridge=0.1)
    assert b[2] == pytest.approx(0.0) and b[3] == pytest.approx(0.0)


@pytest.mark.parametrize(("winners", "losers"), [([0], [0]), ([0], [5]), ([0, 1], [1])])
def test_bad_comparisons_are_refused(winners, losers):
    with pytest.raises(ValueError):
        bt.fit(3, winners, losers, ridge=0.1)


def test_equal_group_weights_give_each_group_the_same_total():
    groups = ["patient"] * 6 + ["carer"] * 3 + ["clinician"] * 1
    weights = bt.equal_group_weights(groups)
    totals = {g: weights[[x == g for x in groups]].sum() for g in set(groups)}
    assert totals == pytest.approx({"patient": 10 / 3, "carer": 10 / 3, "clinician": 10 / 3})
    assert weights.sum() == pytest.approx(len(groups))


def test_equal_weighting_lets_a_small_group_count_as_much_as_a_large_one():
    # 25 comparisons by patients prefer question 0; 5 by clinicians prefer question 1.
    winners = [0] * 25 + [1] * 5
    losers = [1] * 25 + [0] * 5
    groups = ["patient"] * 25 + ["clinician"] * 5
    # Pooled, question 0 wins 25 of 30: b0 - b1 = log(25 / 5).
    assert bt.fit(2, winners, losers) == pytest.approx(
        [math.log(5) / 2, -math.log(5) / 2], abs=1e-9
    )
    # Groups equal, each group weighs 15 in total: a tie.
    assert bt.fit(2, winners, losers, bt.equal_group_weights(groups)) == pytest.approx(
        [0, 0], abs=1e-9
    )


def test_bootstrap_rank_intervals_are_reproducible_and_cover_the_point_ranks():
    winners, losers, rng = simulated(n_items=6, n_comparisons=400, seed=6)
    people = rng.integers(0, 40, size=winners.size)
    first = bt.bootstrap_rank_intervals(6, winners, losers, people, samples=100, seed=7)
    second = bt.bootstrap_rank_intervals(6, winners, losers, people, samples=100, seed=7)
    assert list(first.low) == list(second.low) and list(first.high) == list(second.high)
    point = bt.ranks(bt.fit(6, winners, losers, ridge=0.1))
    assert np.all(first.low <= point) and np.all(point <= first.high)
    assert np.all(first.low >= 1) and np.all(first.high <= 6)


def test_with_overwhelming_evidence_the_ranks_do_not_move():
    winners, losers = expand({(0, 1): 40, (1, 2): 40, (0, 2): 40, (1, 0): 1, (2, 1): 1, (2, 0): 1})
    people = np.arange(len(winners)) % 30
    intervals = bt.bootstrap_rank_intervals(3, winners, losers, people, samples=50)
    assert list(intervals.low) == [1, 2, 3] and list(intervals.high) == [1, 2, 3]
