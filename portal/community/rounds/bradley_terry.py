"""The Bradley-Terry model for pairwise comparisons, on plain arrays.

Each item i has a log-strength b_i, and P(i is preferred to j) = 1 / (1 + exp(b_j - b_i)).
``fit`` finds the b that maximise the (optionally weighted) likelihood by Newton's
method, which is the same model as a logistic regression without intercept on a
design with +1 for the preferred item and -1 for the other (the tests check this
against statsmodels). Only differences are identified, so strengths are returned
centred on zero.

Nothing here knows about Flask or the database: it takes integer item indices.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

FloatArray = NDArray[np.float64]


def wins_matrix(
    n_items: int, winners: ArrayLike, losers: ArrayLike, weights: ArrayLike | None = None
) -> FloatArray:
    """W[i, j] = total weight of the comparisons in which i was preferred to j."""
    winners = np.asarray(winners, dtype=np.intp)
    losers = np.asarray(losers, dtype=np.intp)
    if winners.shape != losers.shape or winners.ndim != 1:
        raise ValueError("winners and losers must be one-dimensional and of equal length")
    if winners.size and (
        min(winners.min(), losers.min()) < 0 or max(winners.max(), losers.max()) >= n_items
    ):
        raise ValueError("item index out of range")
    if np.any(winners == losers):
        raise ValueError("an item cannot be compared with itself")
    w = np.ones(winners.size) if weights is None else np.asarray(weights, dtype=float)
    if w.shape != winners.shape or np.any(w < 0) or not np.all(np.isfinite(w)):
        raise ValueError("weights must be finite, non-negative and one per comparison")
    matrix = np.zeros((n_items, n_items))
    np.add.at(matrix, (winners, losers), w)
    return matrix


def has_finite_mle(wins: FloatArray) -> bool:
    """Whether the unpenalised maximum exists (Zermelo 1929, Ford 1957).

    It does exactly when the "beat" graph is strongly connected: however the items
    are split in two, each side has beaten the other at least once. Otherwise an
    item that never lost would have an infinite strength.
    """
    n = wins.shape[0]
    beats = wins > 0

    def reachable(adjacency: NDArray[np.bool_]) -> int:
        seen = {0}
        stack = [0]
        while stack:
            node = stack.pop()
            for nxt in np.flatnonzero(adjacency[node]):
                if int(nxt) not in seen:
                    seen.add(int(nxt))
                    stack.append(int(nxt))
        return len(seen)

    return n <= 1 or (reachable(beats) == n and reachable(beats.T) == n)


def _log_likelihood(b: FloatArray, wins: FloatArray, ridge: float) -> float:
    diff = b[:, None] - b[None, :]
    # log sigmoid(x) = -log(1 + exp(-x)), computed without overflow.
    return float(-(wins * np.logaddexp(0.0, -diff)).sum() - 0.5 * ridge * b @ b)


def fit(
    n_items: int,
    winners: ArrayLike,
    losers: ArrayLike,
    weights: ArrayLike | None = None,
    *,
    ridge: float = 0.0,
    tol: float = 1e-10,
    max_iter: int = 200,
) -> FloatArray:
    """Log-strengths (mean zero) maximising the weighted Bradley-Terry likelihood.

    ``ridge`` > 0 adds a Gaussian prior (precision ``ridge``) on each log-strength:
    the fit then always exists, and a question that never lost gets a large but
    finite strength. With ``ridge`` == 0 it is the plain maximum-likelihood fit and
    raises ValueError when that does not exist.
    """
    if ridge < 0:
        raise ValueError("ridge must be non-negative")
    wins = wins_matrix(n_items, winners, losers, weights)
    if n_items <= 1:
        return np.zeros(n_items)
    if ridge == 0 and not has_finite_mle(wins):
        raise ValueError(
            "no finite maximum-likelihood fit: some items were never preferred to (or "
            "never beaten by) the rest; use ridge > 0"
        )
    # Without a prior only differences are identified: pin item 0 at zero.
    free = np.arange(n_items) if ridge > 0 else np.arange(1, n_items)
    totals = wins + wins.T
    b = np.zeros(n_items)
    current = _log_likelihood(b, wins, ridge)
    for _ in range(max_iter):
        p = 1.0 / (1.0 + np.exp(-(b[:, None] - b[None, :])))  # P(i preferred to j)
        gradient = (wins * (1 - p)).sum(axis=1) - (wins.T * p).sum(axis=1) - ridge * b
        v = totals * p * (1 - p)
        information = np.diag(v.sum(axis=1)) - v + ridge * np.eye(n_items)
        step = np.zeros(n_items)
        step[free] = np.linalg.solve(information[np.ix_(free, free)], gradient[free])
        # Newton on a concave likelihood; halve the step in the rare case it overshoots.
        scale = 1.0
        while scale > 1e-8:
            candidate = b + scale * step
            value = _log_likelihood(candidate, wins, ridge)
            if value >= current - 1e-12:
                break
            scale /= 2
        b, current = candidate, value
        if np.max(np.abs(scale * step)) < tol:
            break
    return b - b.mean()


def win_probability(strengths: FloatArray, i: int, j: int) -> float:
    return float(1.0 / (1.0 + np.exp(strengths[j] - strengths[i])))


def ranks(strengths: FloatArray) -> NDArray[np.intp]:
    """Rank 1 for the strongest item; ties keep the items' order."""
    order = np.argsort(-strengths, kind="stable")
    result = np.empty_like(order)
    result[order] = np.arange(1, strengths.size + 1)
    return result


def equal_group_weights(groups: ArrayLike) -> FloatArray:
    """Weights that give every group the same total, whatever its size.

    Each comparison in group g weighs N / (G * N_g): the groups then count equally
    and the total weight stays N, the number of comparisons.
    """
    groups = np.asarray(groups)
    if groups.size == 0:
        return np.zeros(0)
    labels, inverse, counts = np.unique(groups, return_inverse=True, return_counts=True)
    return groups.size / (labels.size * counts[inverse].astype(float))


@dataclass(frozen=True)
class RankIntervals:
    low: NDArray[np.intp]
    high: NDArray[np.intp]
    samples: int


def bootstrap_rank_intervals(
    n_items: int,
    winners: ArrayLike,
    losers: ArrayLike,
    clusters: ArrayLike,
    *,
    groups: ArrayLike | None = None,
    ridge: float = 0.1,
    samples: int = 200,
    level: float = 0.95,
    seed: int = 0,
) -> RankIntervals:
    """Percentile intervals of each item's rank over bootstrap refits.

    Comparisons by one person are not independent, so whole clusters (people) are
    resampled with replacement. With ``groups`` the equal-group weights are
    recomputed in every resample, as they are for the point estimate.
    """
    winners = np.asarray(winners, dtype=np.intp)
    losers = np.asarray(losers, dtype=np.intp)
    clusters = np.asarray(clusters)
    group_array = None if groups is None else np.asarray(groups)
    labels = np.unique(clusters)
    members = [np.flatnonzero(clusters == label) for label in labels]
    rng = np.random.default_rng(seed)
    all_ranks = np.empty((samples, n_items), dtype=np.intp)
    for s in range(samples):
        chosen: np.ndarray | list[int] = (
            rng.integers(0, labels.size, size=labels.size) if labels.size else []
        )
        rows = (
            np.concatenate([members[k] for k in chosen])
            if len(chosen)
            else np.zeros(0, dtype=np.intp)
        )
        weights = None if group_array is None else equal_group_weights(group_array[rows])
        strengths = fit(n_items, winners[rows], losers[rows], weights, ridge=ridge)
        all_ranks[s] = ranks(strengths)
    tail = (1 - level) / 2 * 100
    low = np.percentile(all_ranks, tail, axis=0, method="lower").astype(np.intp)
    high = np.percentile(all_ranks, 100 - tail, axis=0, method="higher").astype(np.intp)
    return RankIntervals(low=low, high=high, samples=samples)
