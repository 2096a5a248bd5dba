"""The Cox proportional hazards fit, by the iteration R's ``coxph`` uses.

statsmodels' ``PHReg`` computes the partial likelihood, its gradient and Hessian
(Breslow or Efron ties, strata) exactly as ``survival`` does, but its default
Newton step has no safeguard: on a covariate level held by very few patients the
first full step overshoots and the fit stops "failed to converge" where ``coxph``
gives an answer. This module keeps statsmodels' likelihood and drives it with
``coxfit6``'s algorithm: Newton–Raphson from zero, halving the step back towards
the last point whenever the log-likelihood falls, stopping when it changes by less
than ``eps`` relatively (``coxph.control(eps = 1e-9, iter.max = 20)``). The same
path from the same start gives R's coefficients, not merely a nearby optimum.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import AnalysisInputError

#: ``coxph.control()``'s defaults: relative change of the log-likelihood that ends
#: the iteration, most Newton steps, and the bound beyond which a coefficient
#: still moving at convergence is reported as possibly infinite.
EPS = 1e-9
ITER_MAX = 20
TOLER_INF = EPS**0.5


@dataclass(frozen=True)
class CoxFit:
    params: np.ndarray
    cov: np.ndarray
    loglik: float
    iterations: int
    notes: tuple[str, ...]


def fit_cox(
    time: np.ndarray,
    event: np.ndarray,
    exog: np.ndarray,
    *,
    strata: np.ndarray | None = None,
    ties: str = "efron",
    names: Sequence[str] = (),
) -> CoxFit:
    """Fit a (stratified) Cox model; ``names`` label the columns in messages."""
    from statsmodels.duration.hazard_regression import PHReg

    model = PHReg(time, exog, status=event, strata=strata, ties=ties)
    labels = list(names) or [f"x{i + 1}" for i in range(exog.shape[1])]
    # A trial step can overflow exp(x'b); the loop treats a non-finite likelihood as
    # a step too far and halves it, as coxph does, so the warnings carry no news.
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        return _fit(model, exog, labels)


def _fit(model: Any, exog: np.ndarray, labels: list[str]) -> CoxFit:
    beta = np.zeros(exog.shape[1])
    loglik = float(model.loglike(beta))
    step = _newton_step(model, beta, labels)
    trial = beta + step
    halving = False
    for iteration in range(1, ITER_MAX + 1):
        new = float(model.loglike(trial))
        if np.isfinite(new) and abs(1 - loglik / new) <= EPS and not halving:
            beta, loglik = trial, new
            break
        if iteration == ITER_MAX:
            raise AnalysisInputError(
                f"the Cox model did not converge in {ITER_MAX} steps; a covariate level "
                "with very few patients or events may have an infinite coefficient "
                f"({_largest(trial, labels)})",
                field="time",
            )
        if not np.isfinite(new) or new < loglik:
            halving = True
            trial = (trial + beta) / 2
        else:
            halving = False
            loglik = new
            beta = trial
            step = _newton_step(model, beta, labels)
            trial = beta + step
    information = -np.asarray(model.hessian(beta))
    cov = np.linalg.inv(information)
    return CoxFit(
        params=beta,
        cov=cov,
        loglik=loglik,
        iterations=iteration,
        notes=_infinite_notes(model, beta, cov, labels),
    )


def _newton_step(model: object, beta: np.ndarray, labels: list[str]) -> np.ndarray:
    score = np.asarray(model.score(beta))  # type: ignore[attr-defined]
    information = -np.asarray(model.hessian(beta))  # type: ignore[attr-defined]
    try:
        return np.linalg.solve(information, score)
    except np.linalg.LinAlgError:
        raise AnalysisInputError(
            "the Cox model's information matrix is singular: a covariate is constant "
            f"or a copy of another among {', '.join(labels)}",
            field="time",
        ) from None


def _largest(beta: np.ndarray, labels: list[str]) -> str:
    i = int(np.argmax(np.abs(beta)))
    return f"{labels[i]} reached {beta[i]:.3g}"


def _infinite_notes(
    model: object, beta: np.ndarray, cov: np.ndarray, labels: list[str]
) -> tuple[str, ...]:
    # coxph.fit's check: a coefficient whose remaining Newton step is still large
    # relative to itself when the log-likelihood has converged is heading to infinity
    remaining = np.abs(np.asarray(model.score(beta)) @ cov)  # type: ignore[attr-defined]
    flagged = (remaining > EPS) & (remaining > TOLER_INF * np.abs(beta))
    return tuple(
        f"The log-likelihood converged before {label!r}: its coefficient may be infinite "
        "(a level with no events, or events only), so its estimate and interval are "
        "not reliable."
        for label, bad in zip(labels, flagged, strict=True)
        if bad
    )
