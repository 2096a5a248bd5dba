"""Weighted least squares and the traces of its residual projection
``P = W - W X (X'WX)^-1 X'W``, in ``O(k p^2)`` operations (no ``k x k`` matrices)."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike


def design(k: int, mods: ArrayLike | None = None) -> np.ndarray:
    """Intercept plus optional moderators as a ``k x p`` float matrix."""
    if mods is None:
        return np.ones((k, 1))
    m = np.asarray(mods, dtype=float)
    if m.ndim == 1:
        m = m[:, None]
    return np.column_stack([np.ones(k), m])


def _is_intercept_only(X: np.ndarray) -> bool:
    return X.shape[1] == 1 and bool(np.all(X[:, 0] == 1.0))


def _prepare(
    y: ArrayLike, v: ArrayLike, X: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    y = np.asarray(y, dtype=float)
    v = np.asarray(v, dtype=float)
    X = design(len(y)) if X is None else np.asarray(X, dtype=float)
    return y, v, X


def _centered(y: np.ndarray, X: np.ndarray) -> np.ndarray:
    # metafor mean-centres y for tau^2 computations; P annihilates the intercept,
    # so this changes nothing mathematically but matches its rounding
    if np.any(np.all(X == 1.0, axis=0)):
        return np.asarray(y - y.mean(), dtype=float)
    return y


def wls(y: np.ndarray, w: np.ndarray, X: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Coefficients, ``(X'WX)^-1`` and residuals of a weighted least-squares fit."""
    if _is_intercept_only(X):
        sw = w.sum()
        beta = np.array([np.dot(w, y) / sw])
        return beta, np.array([[1.0 / sw]]), y - beta[0]
    xtw = X.T * w
    inv = np.linalg.inv(xtw @ X)
    beta = inv @ (xtw @ y)
    return beta, inv, y - X @ beta


def _others(x: np.ndarray) -> np.ndarray:
    """For each i the sum of every x_j but x_i, summed from both ends rather than as
    ``sum(x) - x_i``, which rounds to nothing when x_i dwarfs the rest."""
    before = np.concatenate(([0.0], np.cumsum(x[:-1])))
    after = np.concatenate((np.cumsum(x[:0:-1])[::-1], [0.0]))
    return before + after


# With an intercept alone P = W - w w'/sum(w): P_ii = w_i r_i / s and P_ij = -w_i w_j / s,
# with r_i the sum of the other weights. The traces below are written as sums of those
# non-negative terms. The general expansions subtract numbers as large as the largest
# weight squared, so one study with a tiny sampling variance (weights 1e8 apart) leaves
# them zero or negative.


def _intercept_trace_pd(w: np.ndarray, d: np.ndarray | None) -> float:
    """``tr(P D)`` with an intercept alone (``D = I`` for None)."""
    terms = w * _others(w)
    return float((terms.sum() if d is None else np.dot(terms, d)) / w.sum())


def _intercept_trace_pdpd(w: np.ndarray, d1: np.ndarray | None, d2: np.ndarray | None) -> float:
    """``tr(P D1 P D2)`` with an intercept alone (``I`` for None):
    ``sum_i P_ii^2 d1_i d2_i + sum_(i != j) w_i^2 w_j^2 d1_j d2_i / s^2``."""
    one = np.ones_like(w)
    d1 = one if d1 is None else d1
    d2 = one if d2 is None else d2
    w2 = w * w
    diagonal = (w * _others(w)) ** 2 * d1 * d2
    off = w2 * d2 * _others(w2 * d1)
    return float((np.sum(diagonal) + np.sum(off)) / w.sum() ** 2)


def _trace_p(w: np.ndarray, X: np.ndarray, inv: np.ndarray) -> float:
    if _is_intercept_only(X):
        return _intercept_trace_pd(w, None)
    # tr(P) = sum(w) - tr((X'WX)^-1 X'W^2 X)
    xw2x = (X.T * w**2) @ X
    return float(w.sum() - np.trace(inv @ xw2x))


def _trace_pp(w: np.ndarray, X: np.ndarray, inv: np.ndarray) -> float:
    if _is_intercept_only(X):
        return _intercept_trace_pdpd(w, None, None)
    # tr(PP) = sum(w^2) - 2 tr(A X'W^3X) + tr(A X'W^2X A X'W^2X),  A = (X'WX)^-1
    xw2x = (X.T * w**2) @ X
    xw3x = (X.T * w**3) @ X
    a2 = inv @ xw2x
    return float((w**2).sum() - 2 * np.trace(inv @ xw3x) + np.trace(a2 @ a2))


def _trace_pd(w: np.ndarray, X: np.ndarray, inv: np.ndarray, d: np.ndarray) -> float:
    if _is_intercept_only(X):
        return _intercept_trace_pd(w, d)
    # tr(P D) = sum(w d) - tr(A X' diag(w^2 d) X) for a diagonal D
    return float(np.dot(w, d) - np.trace(inv @ ((X.T * (w**2 * d)) @ X)))


def _trace_pdpd(
    w: np.ndarray, X: np.ndarray, inv: np.ndarray, d1: np.ndarray, d2: np.ndarray
) -> float:
    """``tr(P D1 P D2)`` for diagonal ``D1``, ``D2`` without forming ``P`` (k x k):
    ``sum(w^2 d1 d2) - 2 tr(A X'diag(w^3 d1 d2)X) + tr(A X'diag(w^2 d1)X A X'diag(w^2 d2)X)``
    with ``A = (X'WX)^-1``.  ``tr(PP)``, metafor's ``sum(P * P)``, is ``d1 = d2 = 1``;
    ``sum(PV * t(PV))`` is ``d1 = d2 = v``; ``sum(PV * P)`` is ``d1 = 1, d2 = v``."""
    if _is_intercept_only(X):
        return _intercept_trace_pdpd(w, d1, d2)
    a1 = inv @ ((X.T * (w**2 * d1)) @ X)
    a2 = inv @ ((X.T * (w**2 * d2)) @ X)
    w3 = inv @ ((X.T * (w**3 * d1 * d2)) @ X)
    return float(np.sum(w**2 * d1 * d2) - 2 * np.trace(w3) + np.trace(a1 @ a2))
