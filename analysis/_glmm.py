"""Maximum-likelihood fit of the random-intercept logistic model
``logit P(y = 1) = X b + sd * u_study``, ``u_study ~ N(0, 1)``.

statsmodels offers only a variational Bayes approximation of this model, whose
numbers are not those of ``lme4::glmer``.  With one random effect per study the
marginal likelihood is a product of one-dimensional integrals, which adaptive
Gauss–Hermite quadrature evaluates as lme4 does with ``nAGQ > 1``: each study's
integrand is centred on its mode and scaled by its curvature there, so a handful
of nodes suffice (one node is the Laplace approximation, lme4's default).
The outer maximisation over ``(b, sd)`` is a quasi-Newton search; the likelihood
is symmetric in the sign of ``sd``, so the search needs no bound.  Standard errors
come from the numerical Hessian in ``(sd, b)`` jointly, as lme4's ``vcov``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import optimize, special

from .errors import AnalysisInputError

DEFAULT_NODES = 7
# The tolerance of the outer search on the gradient of the log-likelihood.
_GTOL = 1e-7


@dataclass(frozen=True)
class LogisticRandomInterceptFit:
    params: np.ndarray
    cov: np.ndarray
    sd: float
    loglik: float
    converged: bool
    nodes: int
    iterations: int


def _log_bernoulli(y: np.ndarray, eta: np.ndarray) -> np.ndarray:
    return np.asarray(y * eta - np.logaddexp(0.0, eta))


def _modes(
    offset: np.ndarray, y: np.ndarray, groups: np.ndarray, k: int, sd: float
) -> tuple[np.ndarray, np.ndarray]:
    """Each study's mode of ``sum log p(y | offset + sd u) - u^2 / 2`` and the curvature
    there.  The function is strictly concave, so safeguarded Newton steps converge."""
    u = np.zeros(k)

    def objective(u: np.ndarray) -> np.ndarray:
        eta = offset + sd * u[groups]
        return np.asarray(np.bincount(groups, _log_bernoulli(y, eta), minlength=k) - 0.5 * u * u)

    current = objective(u)
    for _ in range(200):
        p = special.expit(offset + sd * u[groups])
        grad = sd * np.bincount(groups, y - p, minlength=k) - u
        curv = sd * sd * np.bincount(groups, p * (1 - p), minlength=k) + 1.0
        step = grad / curv
        for _ in range(60):
            trial = objective(u + step)
            worse = trial < current - 1e-12 * np.abs(current)
            if not worse.any():
                break
            step = np.where(worse, step / 2, step)
        u, current = u + step, trial
        if np.max(np.abs(step)) < 1e-11:
            break
    p = special.expit(offset + sd * u[groups])
    curv = sd * sd * np.bincount(groups, p * (1 - p), minlength=k) + 1.0
    return u, curv


def loglik(
    params: np.ndarray,
    X: np.ndarray,
    y: np.ndarray,
    groups: np.ndarray,
    nodes: int = DEFAULT_NODES,
) -> float:
    """The adaptive Gauss–Hermite log-likelihood at ``params = (b..., sd)``."""
    beta, sd = params[:-1], float(params[-1])
    k = int(groups.max()) + 1
    offset = X @ beta
    mode, curv = _modes(offset, y, groups, k, sd)
    scale = 1.0 / np.sqrt(curv)
    x, w = np.polynomial.hermite.hermgauss(nodes)
    # u at each node: (studies, nodes)
    u = mode[:, None] + math.sqrt(2.0) * scale[:, None] * x[None, :]
    eta = offset[:, None] + sd * u[groups]
    terms = _log_bernoulli(y[:, None], eta)
    per_study = np.column_stack(
        [np.bincount(groups, terms[:, j], minlength=k) for j in range(nodes)]
    )
    log_terms = per_study - 0.5 * u * u + np.log(w)[None, :] + (x * x)[None, :]
    log_li = (
        special.logsumexp(log_terms, axis=1)
        + np.log(scale)
        + 0.5 * math.log(2.0)
        - 0.5 * math.log(2 * math.pi)
    )
    return float(log_li.sum())


def _steps(params: np.ndarray) -> np.ndarray:
    return np.asarray(1e-4 * np.maximum(1.0, np.abs(params)))


def _gradient(f: Callable[[np.ndarray], float], params: np.ndarray) -> np.ndarray:
    h = _steps(params)
    grad = np.empty(len(params))
    for i in range(len(params)):
        e = np.zeros(len(params))
        e[i] = h[i]
        grad[i] = (f(params + e) - f(params - e)) / (2 * h[i])
    return grad


def _hessian(f: Callable[[np.ndarray], float], params: np.ndarray) -> np.ndarray:
    h = _steps(params)
    m = len(params)
    hess = np.empty((m, m))
    f0 = f(params)
    for i in range(m):
        ei = np.zeros(m)
        ei[i] = h[i]
        hess[i, i] = (f(params + ei) - 2 * f0 + f(params - ei)) / (h[i] * h[i])
        for j in range(i):
            ej = np.zeros(m)
            ej[j] = h[j]
            hess[i, j] = hess[j, i] = (
                f(params + ei + ej)
                - f(params + ei - ej)
                - f(params - ei + ej)
                + f(params - ei - ej)
            ) / (4 * h[i] * h[j])
    return hess


def fit_logistic_random_intercept(
    X: np.ndarray, y: np.ndarray, groups: np.ndarray, *, nodes: int = DEFAULT_NODES
) -> LogisticRandomInterceptFit:
    """Fit by maximum likelihood; ``X`` holds the intercept column, ``groups`` codes
    studies ``0..k-1``."""
    if nodes < 1:
        raise AnalysisInputError("the number of quadrature nodes must be at least 1", field="nodes")
    X = np.asarray(X, float)
    y = np.asarray(y, float)
    groups = np.asarray(groups, np.intp)

    def negll(theta: np.ndarray) -> float:
        return -loglik(theta, X, y, groups, nodes)

    def grad(theta: np.ndarray) -> np.ndarray:
        return _gradient(negll, theta)

    # start from the logistic fit without study effects and a moderate spread
    start_beta = np.zeros(X.shape[1])
    mean = float(np.clip(y.mean(), 0.01, 0.99))
    start_beta[0] = math.log(mean / (1 - mean))
    start = np.append(start_beta, 0.5)
    result = optimize.minimize(
        negll, start, jac=grad, method="BFGS", options={"gtol": _GTOL, "maxiter": 500}
    )
    theta = np.asarray(result.x, float)
    theta[-1] = abs(theta[-1])
    final_grad = grad(theta)
    converged = bool(np.max(np.abs(final_grad)) < 1e-4)
    hess = _hessian(negll, theta)
    p = X.shape[1]
    cov = _beta_covariance(hess, p)
    if cov is None:
        raise AnalysisInputError(
            "the mixed logistic regression has no finite standard errors (the information "
            "matrix is singular: the outcome may be separated by a covariate)",
            field="y",
        )
    return LogisticRandomInterceptFit(
        params=theta[:p],
        cov=cov,
        sd=float(theta[-1]),
        loglik=-float(result.fun) if result.success else -negll(theta),
        converged=converged,
        nodes=nodes,
        iterations=int(result.nit),
    )


def _beta_covariance(hess: np.ndarray, p: int) -> np.ndarray | None:
    """The fixed effects' block of the inverse joint Hessian; at a spread of zero (a
    boundary, where the likelihood is flat in ``sd``) the block for ``b`` alone."""
    for block in (hess, hess[:p, :p]):
        if not np.all(np.isfinite(block)):
            continue
        try:
            np.linalg.cholesky(block)
        except np.linalg.LinAlgError:
            continue
        return np.asarray(np.linalg.inv(block)[:p, :p])
    return None
