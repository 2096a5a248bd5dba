"""REML and ML fits of the linear model with known sampling covariance and variance components.

The marginal covariance is ``M = V + sum_k sigma2_k G_k`` with known ``V`` (the
sampling covariance, block-diagonal by study) and known structure matrices ``G_k``
(a study indicator, the identity, a compound-symmetric block); this is what
metafor's ``rma.mv`` fits for the models used here.  The estimates are found by
Fisher scoring projected onto ``sigma2 >= 0`` with step halving on the likelihood,
so every step climbs and a component whose gradient points below zero stays on the
boundary (where metafor's log-scale search drifts towards zero).  The restricted
log-likelihood is metafor's, including its ``+ log|X'X| / 2`` term; the unrestricted
one (``method="ML"``, what likelihood-ratio tests of different coefficients need) is
``-(n log 2 pi + log|M| + r' M^-1 r) / 2`` at the GLS residuals ``r``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from scipy import linalg

from ._distributions import chi2_sf
from .errors import AnalysisInputError, ConvergenceError

_MAX_ITER = 200
METHODS = ("REML", "ML")
_TOL = 1e-11


@dataclass(frozen=True)
class MVFit:
    beta: np.ndarray
    cov: np.ndarray
    sigma2: np.ndarray
    loglik: float
    #: test of residual heterogeneity: Q = r' V^-1 r at the fixed-effect solution
    q: float
    q_df: int
    q_pvalue: float
    iterations: int
    method: str = "REML"


def _gls(
    y: np.ndarray, X: np.ndarray, M: np.ndarray
) -> tuple[Any, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Cholesky of ``M``, ``M^-1 X``, ``(X' M^-1 X)^-1``, beta and ``P y``."""
    c = linalg.cho_factor(M, lower=True)
    mi_x = linalg.cho_solve(c, X)
    mi_y = linalg.cho_solve(c, y)
    xtmx = X.T @ mi_x
    xtmx_inv = np.linalg.inv(xtmx)
    beta = xtmx_inv @ (X.T @ mi_y)
    py = mi_y - mi_x @ beta
    return c, mi_x, xtmx, xtmx_inv, beta, py


def _restricted_loglik(y: np.ndarray, X: np.ndarray, M: np.ndarray, logdet_xx: float) -> float:
    c, _, xtmx, _, _, py = _gls(y, X, M)
    n, p = X.shape
    logdet_m = 2.0 * float(np.sum(np.log(np.diag(c[0]))))
    logdet_xtmx = float(np.linalg.slogdet(xtmx)[1])
    rss = float(y @ py)
    constant = -0.5 * (n - p) * float(np.log(2 * np.pi))
    return float(constant + 0.5 * logdet_xx - 0.5 * (logdet_m + logdet_xtmx + rss))


def _ml_loglik(y: np.ndarray, X: np.ndarray, M: np.ndarray) -> float:
    c, _, _, _, _, py = _gls(y, X, M)
    logdet_m = 2.0 * float(np.sum(np.log(np.diag(c[0]))))
    rss = float(y @ py)
    return float(-0.5 * (len(y) * float(np.log(2 * np.pi)) + logdet_m + rss))


def _check(y: np.ndarray, V: np.ndarray, X: np.ndarray) -> None:
    n, p = X.shape
    if n <= p:
        raise AnalysisInputError(
            f"{n} estimates cannot fit {p} coefficients and a variance: add studies",
            field="yi",
        )
    if not (np.all(np.isfinite(y)) and np.all(np.isfinite(V))):
        raise AnalysisInputError("estimates and variances must be finite numbers", field="yi")
    if np.linalg.matrix_rank(X) < p:
        raise AnalysisInputError(
            "the coefficients cannot all be estimated from these data (the design is singular)",
            field="mods",
        )
    try:
        np.linalg.cholesky(V)
    except np.linalg.LinAlgError:
        raise AnalysisInputError(
            "the sampling variances must be positive (and covariances valid)", field="vi"
        ) from None


def _bounded_search(loglik: Callable[[np.ndarray], float], start: np.ndarray) -> np.ndarray:
    """A quasi-Newton search within ``sigma2 >= 0`` for the rare likelihood on which the
    scoring steps creep (they stall at the iteration limit rather than fail)."""

    def objective(sig: np.ndarray) -> float:
        try:
            return -loglik(sig)
        except (np.linalg.LinAlgError, ValueError):
            return np.inf

    # Imported here: the rare fallback is its only user, and scipy.optimize takes a
    # fifth of a second to import in every process that builds the web app.
    from scipy import optimize

    best = optimize.minimize(
        objective,
        start,
        method="L-BFGS-B",
        bounds=[(0.0, None)] * len(start),
        options={"ftol": 1e-15, "gtol": 1e-12, "maxiter": 2000},
    )
    if not np.all(np.isfinite(best.x)) or objective(best.x) > objective(start):
        raise ConvergenceError(f"the fit did not converge in {_MAX_ITER} iterations")
    return np.asarray(best.x, dtype=float)


def fit_reml(
    y: np.ndarray, V: np.ndarray, X: np.ndarray, components: Sequence[np.ndarray]
) -> MVFit:
    """REML estimates of ``sigma2`` and the GLS coefficients at them."""
    return fit(y, V, X, components, "REML")


def fit_ml(y: np.ndarray, V: np.ndarray, X: np.ndarray, components: Sequence[np.ndarray]) -> MVFit:
    """Maximum-likelihood estimates of ``sigma2`` and the GLS coefficients at them."""
    return fit(y, V, X, components, "ML")


def fit(
    y: np.ndarray,
    V: np.ndarray,
    X: np.ndarray,
    components: Sequence[np.ndarray],
    method: Literal["REML", "ML"] = "REML",
) -> MVFit:
    """``sigma2`` by ``method`` and the GLS coefficients (with ``(X' M^-1 X)^-1``, as
    metafor) at them."""
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    y = np.asarray(y, dtype=float)
    V = np.asarray(V, dtype=float)
    X = np.asarray(X, dtype=float)
    _check(y, V, X)
    n, p = X.shape
    G = [np.asarray(g, dtype=float) for g in components]
    logdet_xx = float(np.linalg.slogdet(X.T @ X)[1])
    restricted = method == "REML"

    def likelihood(M: np.ndarray) -> float:
        if restricted:
            return _restricted_loglik(y, X, M, logdet_xx)
        return _ml_loglik(y, X, M)

    # fixed-effect fit: the heterogeneity test and a moment-type starting value
    _, _, _, _, _, py0 = _gls(y, X, V)
    q = float(y @ py0)
    excess = max(q - (n - p), 0.0) / max(float(np.trace(V)) / n, 1e-300) / (n - p)
    start = max(excess * float(np.trace(V)) / n, 1e-4 * float(np.trace(V)) / n)
    s = np.full(len(G), start / max(len(G), 1))

    def marginal(sig: np.ndarray) -> np.ndarray:
        out = V.copy()
        for sk, gk in zip(sig, G, strict=True):
            out += sk * gk
        return out

    ll = likelihood(marginal(s))
    iterations = 0
    while iterations < _MAX_ITER:
        iterations += 1
        c, mi_x, _, xtmx_inv, _, py = _gls(y, X, marginal(s))
        # P G_k with P = M^-1 - M^-1 X (X'M^-1X)^-1 X'M^-1 (REML), or M^-1 G_k (ML); the
        # quadratic term is the same in both, as P y = M^-1 r
        pg = []
        for g in G:
            mi_g = linalg.cho_solve(c, g)
            pg.append(mi_g - mi_x @ (xtmx_inv @ (mi_x.T @ g)) if restricted else mi_g)
        grad = np.array([0.5 * (py @ g @ py - np.trace(pgk)) for g, pgk in zip(G, pg, strict=True)])
        info = np.array([[0.5 * np.sum(a * b.T) for b in pg] for a in pg])
        free = ~((s <= 0) & (grad <= 0))
        step = np.zeros_like(s)
        if free.any():
            sub = info[np.ix_(free, free)]
            step[free] = np.linalg.lstsq(sub, grad[free], rcond=None)[0]
        h = 1.0
        accepted = None
        for _ in range(60):
            trial = np.maximum(s + h * step, 0.0)
            ll_trial = likelihood(marginal(trial))
            if ll_trial >= ll - 1e-13 * abs(ll):
                accepted = trial, ll_trial
                break
            h /= 2
        if accepted is None:
            break  # no ascent direction left: at the optimum
        change = np.abs(accepted[0] - s)
        gain = accepted[1] - ll
        s, ll = accepted
        # the second test ends a walk along a flat ridge (a level that the data cannot
        # tell apart from another), where the likelihood no longer changes
        if np.all(change <= _TOL * (1.0 + np.abs(s))) or gain <= 1e-15 * (1.0 + abs(ll)):
            break
    else:
        s = _bounded_search(lambda sig: likelihood(marginal(sig)), s)

    M = marginal(s)
    _, _, _, xtmx_inv, beta, _ = _gls(y, X, M)
    return MVFit(
        beta=beta,
        cov=xtmx_inv,
        sigma2=s,
        loglik=likelihood(M),
        q=q,
        q_df=n - p,
        q_pvalue=float(chi2_sf(q, n - p)) if n > p else float("nan"),
        iterations=iterations,
        method=method,
    )


def fixed_effect(y: np.ndarray, V: np.ndarray, X: np.ndarray) -> MVFit:
    """GLS with the sampling covariance alone (no variance components)."""
    y = np.asarray(y, dtype=float)
    V = np.asarray(V, dtype=float)
    X = np.asarray(X, dtype=float)
    n, p = X.shape
    _, _, _, xtmx_inv, beta, py = _gls(y, X, V)
    q = float(y @ py)
    return MVFit(
        beta=beta,
        cov=xtmx_inv,
        sigma2=np.zeros(0),
        loglik=float("nan"),
        q=q,
        q_df=n - p,
        q_pvalue=float(chi2_sf(q, n - p)) if n > p else float("nan"),
        iterations=0,
    )
