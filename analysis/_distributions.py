"""The few tail probabilities and quantiles the pooling code needs, from scipy.special.

These are the very formulas scipy.stats' distributions evaluate (``norm.sf(x)`` is
``ndtr(-x)``, ``chi2.sf(x, df)`` is ``chdtrc(df, x)`` ...), so the numbers are the
same to the last bit (tests/analysis/test_distributions.py), but importing
scipy.stats takes longer than a whole meta-analysis of ten studies on the command line.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import special

__all__ = ["chi2_isf", "chi2_ppf", "chi2_sf", "f_sf", "norm_isf", "norm_sf", "t_isf", "t_sf"]


def _degrees_checked(value: Any, *degrees: Any) -> Any:
    # scipy.stats answers NaN for degrees of freedom that are not positive, where
    # some of the special functions answer a limit instead (chdtrc(0, x) is 0).
    valid = np.logical_and.reduce([np.asarray(df, dtype=np.float64) > 0 for df in degrees])
    return np.where(valid, value, np.nan)[()]


def _at_least_zero(x: Any) -> Any:
    # Below the support of a chi-squared or F variable the upper tail is 1, as
    # scipy.stats says, where the special functions answer NaN.
    return np.maximum(np.asarray(x, dtype=np.float64), 0.0)


def norm_sf(x: Any) -> Any:
    """Upper tail of the standard normal: ``scipy.stats.norm.sf(x)``."""
    return special.ndtr(-np.asarray(x, dtype=np.float64))


def norm_isf(q: Any) -> Any:
    """The standard normal's upper ``q`` quantile: ``scipy.stats.norm.isf(q)``."""
    return -special.ndtri(q)


def chi2_sf(x: Any, df: Any) -> Any:
    """``scipy.stats.chi2.sf(x, df)``."""
    return _degrees_checked(special.chdtrc(df, _at_least_zero(x)), df)


def chi2_isf(q: Any, df: Any) -> Any:
    """``scipy.stats.chi2.isf(q, df)``."""
    return _degrees_checked(special.chdtri(df, q), df)


def chi2_ppf(p: Any, df: Any) -> Any:
    """``scipy.stats.chi2.ppf(p, df)``."""
    return _degrees_checked(2 * special.gammaincinv(np.asarray(df, dtype=np.float64) / 2, p), df)


def t_sf(x: Any, df: Any) -> Any:
    """``scipy.stats.t.sf(x, df)``."""
    return _degrees_checked(special.stdtr(df, -np.asarray(x, dtype=np.float64)), df)


def t_isf(q: Any, df: Any) -> Any:
    """``scipy.stats.t.isf(q, df)``."""
    return _degrees_checked(
        np.where(q == 0, np.inf, np.where(q == 1, -np.inf, -special.stdtrit(df, q))), df
    )


def f_sf(x: Any, dfn: Any, dfd: Any) -> Any:
    """``scipy.stats.f.sf(x, dfn, dfd)``."""
    return _degrees_checked(special.fdtrc(dfn, dfd, _at_least_zero(x)), dfn, dfd)
