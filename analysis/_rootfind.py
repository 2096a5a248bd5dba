"""Brent's root finder with R's ``uniroot()`` stopping rule.

metafor's Paule-Mandel estimator calls ``uniroot()`` with a loose default
tolerance (``.Machine$double.eps^0.25``).  To report the same tau^2 metafor
reports (not merely "a" root within that tolerance) we follow the same
iteration: Brent (1973), "Algorithms for Minimization without Derivatives",
ch. 4, as used by R's ``zeroin``.  The iterates depend only on the algorithm,
so the same function values give the same answer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

DOUBLE_EPS = float(np.finfo(float).eps)
R_DEFAULT_TOL = DOUBLE_EPS**0.25


@dataclass(frozen=True)
class RootResult:
    root: float
    iterations: int
    converged: bool
    estimated_precision: float


def uniroot(
    f: Callable[[float], float],
    lower: float,
    upper: float,
    *,
    tol: float = R_DEFAULT_TOL,
    maxiter: int = 1000,
) -> RootResult:
    """Find a root of ``f`` in ``[lower, upper]`` exactly as R's ``uniroot`` does.

    ``f(lower)`` and ``f(upper)`` must have opposite signs (or one be zero).
    """
    f_lower = float(f(lower))
    f_upper = float(f(upper))
    if f_lower * f_upper > 0:
        raise ValueError("f() values at end points not of opposite sign")
    return _zeroin(f, lower, upper, f_lower, f_upper, tol, maxiter)


def _zeroin(
    f: Callable[[float], float],
    ax: float,
    bx: float,
    fa: float,
    fb: float,
    tol: float,
    maxit: int,
) -> RootResult:
    a, b = ax, bx
    c, fc = a, fa
    if fa == 0.0:
        return RootResult(a, 0, True, 0.0)
    if fb == 0.0:
        return RootResult(b, 0, True, 0.0)

    remaining = maxit + 1
    while remaining > 0:
        remaining -= 1
        prev_step = b - a
        # keep b as the best approximation, c on the other side of the root
        if abs(fc) < abs(fb):
            a, b, c = b, c, b
            fa, fb, fc = fb, fc, fb
        tol_act = 2.0 * DOUBLE_EPS * abs(b) + tol / 2.0
        new_step = (c - b) / 2.0

        if abs(new_step) <= tol_act or fb == 0.0:
            return RootResult(b, maxit + 1 - remaining - 1, True, abs(c - b))

        # try interpolation only if the previous step was large enough and
        # moved in the right direction
        if abs(prev_step) >= tol_act and abs(fa) > abs(fb):
            cb = c - b
            if a == c:
                # linear (secant) interpolation
                t1 = fb / fa
                p = cb * t1
                q = 1.0 - t1
            else:
                # inverse quadratic interpolation
                q = fa / fc
                t1 = fb / fc
                t2 = fb / fa
                p = t2 * (cb * q * (q - t1) - (b - a) * (t1 - 1.0))
                q = (q - 1.0) * (t1 - 1.0) * (t2 - 1.0)
            if p > 0:
                q = -q
            else:
                p = -p
            if p < (0.75 * cb * q - abs(tol_act * q) / 2.0) and p < abs(prev_step * q / 2.0):
                new_step = p / q

        if abs(new_step) < tol_act:
            new_step = tol_act if new_step > 0 else -tol_act

        a, fa = b, fb
        b += new_step
        fb = float(f(b))
        if (fb > 0 and fc > 0) or (fb < 0 and fc < 0):
            c, fc = a, fa

    return RootResult(b, maxit, False, float("nan"))
