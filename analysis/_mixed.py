"""REML fit of the random-intercept linear model ``y = X b + u_study + e``.

statsmodels' ``MixedLM`` optimises all variance parameters numerically and,
with few studies and a between-study variance near zero, often stops with a
convergence warning.  With one random intercept the REML likelihood depends
on a single ratio ``gamma = tau2 / sigma2`` once ``sigma2`` is profiled out,
and each study's covariance ``I + gamma J`` has a closed-form inverse and
determinant, so the optimum is found by a bounded one-dimensional search
(including the boundary ``gamma = 0``).  At the optimum the numbers are those of
``MixedLM(reml=True)`` and ``lme4::lmer(REML = TRUE)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize


@dataclass(frozen=True)
class RandomInterceptFit:
    params: np.ndarray
    cov: np.ndarray
    sigma2: float
    tau2: float


def _sums(
    X: np.ndarray, y: np.ndarray, groups: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-group sizes, column sums of ``X`` and sums of ``y``."""
    k = int(groups.max()) + 1
    n = np.bincount(groups, minlength=k).astype(float)
    sx = np.zeros((k, X.shape[1]))
    np.add.at(sx, groups, X)
    sy = np.bincount(groups, weights=y, minlength=k)
    return n, sx, sy


def fit_random_intercept(X: np.ndarray, y: np.ndarray, groups: np.ndarray) -> RandomInterceptFit:
    """``groups`` are integer codes 0..k-1.  Raises ``np.linalg.LinAlgError`` on a singular
    design."""
    N, p = X.shape
    n, sx, sy = _sums(X, y, groups)
    xtx, xty, yty = X.T @ X, X.T @ y, float(y @ y)

    def parts(gamma: float) -> tuple[np.ndarray, np.ndarray, float]:
        c = gamma / (1.0 + n * gamma)  # V_i^-1 = I - c_i J
        a = xtx - (sx * c[:, None]).T @ sx
        b = xty - (sx * c[:, None]).T @ sy
        beta = np.linalg.solve(a, b)
        # r' V^-1 r = y'V^-1 y - b' beta at the GLS solution
        rss = yty - float(np.sum(c * sy * sy)) - float(b @ beta)
        return a, beta, rss

    def neg_loglik(gamma: float) -> float:
        a, _, rss = parts(gamma)
        logdet_v = float(np.sum(np.log1p(n * gamma)))
        logdet_a = float(np.linalg.slogdet(a)[1])
        return float(0.5 * ((N - p) * np.log(rss / (N - p)) + logdet_v + logdet_a))

    # a coarse log-spaced grid then a bounded refinement around its best point
    grid = np.concatenate([[0.0], np.logspace(-8, 4, 61)])
    values = np.array([neg_loglik(g) for g in grid])
    i = int(np.argmin(values))
    if i == 0:
        low, high = 0.0, grid[1]
    else:
        low, high = grid[i - 1], grid[min(i + 1, len(grid) - 1)]
    best = optimize.minimize_scalar(
        neg_loglik, bounds=(low, high), method="bounded", options={"xatol": 1e-12 * max(high, 1)}
    )
    gamma = float(best.x) if best.fun <= values[i] else float(grid[i])
    if neg_loglik(0.0) <= neg_loglik(gamma):
        gamma = 0.0
    a, beta, rss = parts(gamma)
    sigma2 = rss / (N - p)
    return RandomInterceptFit(
        params=beta, cov=sigma2 * np.linalg.inv(a), sigma2=sigma2, tau2=gamma * sigma2
    )
