"""Running statsmodels fits so that numerical trouble names the study.

A non-converged or separated fit must not produce a number silently (nor a
stray warning that a web request would swallow); it becomes an
:class:`AnalysisInputError` that says which study could not be fitted.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
from statsmodels.tools.sm_exceptions import (
    ConvergenceWarning,
    HessianInversionWarning,
    PerfectSeparationWarning,
)

from .errors import AnalysisInputError

_NUMERICAL_WARNINGS = (
    ConvergenceWarning,
    HessianInversionWarning,
    PerfectSeparationWarning,
    RuntimeWarning,
)


@contextmanager
def fitting(study: str | None, what: str, field: str) -> Iterator[None]:
    with warnings.catch_warnings():
        for category in _NUMERICAL_WARNINGS:
            warnings.simplefilter("error", category)
        try:
            yield
        except (*_NUMERICAL_WARNINGS, np.linalg.LinAlgError, ValueError) as exc:
            if isinstance(exc, AnalysisInputError):
                raise
            raise AnalysisInputError(
                f"{what} could not be fitted: {exc}", study=study, field=field
            ) from None
