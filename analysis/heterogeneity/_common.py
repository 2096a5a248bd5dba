"""What every tau^2 estimator shares: its result, the methods offered, and the options of
the iterative ones (metafor's ``control``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .._rootfind import R_DEFAULT_TOL
from ..errors import AnalysisInputError
from ..vocabulary import Method

TAU2_METHODS = tuple(m for m in Method if m.estimates_tau2)
FIXED_METHODS = (Method.FE,)

DEFAULT_CONTROL: dict[str, Any] = {
    "threshold": 1e-5,  # REML convergence threshold on the change in tau^2
    "maxiter": 100,  # REML iterations / PM uniroot iterations
    "tol": R_DEFAULT_TOL,  # PM uniroot tolerance; also the REML ll0 check tolerance
    "ll0check": True,  # REML: compare with the restricted likelihood at tau^2 = 0
    "stepadj": 1.0,  # REML: step length factor of Fisher scoring (metafor stepadj)
    "stepadj_retries": 3,  # REML: on non-convergence retry with stepadj halved this often
    "tau2_max": None,  # PM upper bracket; None -> max(100, 10 * mad(y)^2) as metafor
}


def resolve_control(control: Mapping[str, Any] | None) -> dict[str, Any]:
    merged = dict(DEFAULT_CONTROL)
    for key, value in (control or {}).items():
        if key not in DEFAULT_CONTROL:
            raise AnalysisInputError(
                f"unknown control option {key!r}; expected {', '.join(DEFAULT_CONTROL)}",
                field="control",
            )
        merged[key] = value
    return merged


@dataclass(frozen=True)
class Tau2Estimate:
    tau2: float
    method: str
    iterations: int = 0
    converged: bool = True
    notes: tuple[str, ...] = ()
    #: metafor's ``se.tau2``; None where metafor gives NA (fixed effect, one study)
    se: float | None = None
