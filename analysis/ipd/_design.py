"""Covariates as model columns, and the check that every column is estimable."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..errors import AnalysisInputError


def covariate_matrix(
    frame: pd.DataFrame, covariates: Sequence[str], categorical: Sequence[str] = ()
) -> tuple[np.ndarray, list[str]]:
    """Covariates as model columns: numbers as they are, categories as 0/1 dummies.

    A covariate is categorical when listed in ``categorical`` or when its values
    are not numbers.  The reference level is the first in sorted order, as R's
    ``factor`` chooses it, so results match ``glm(y ~ ... + factor(x))``.
    """
    columns, names = [], []
    for cov in covariates:
        series = frame[cov]
        if cov in categorical or not pd.api.types.is_numeric_dtype(series.dtype):
            text = series.astype(str)
            levels = sorted(pd.unique(text))
            if len(levels) < 2:
                raise AnalysisInputError(
                    f"covariate {cov!r} has a single level ({levels[0]!r}) and cannot be "
                    "adjusted for",
                    field=cov,
                )
            for level in levels[1:]:
                columns.append((text == level).to_numpy(float))
                names.append(f"{cov}[{level}]")
        else:
            columns.append(series.to_numpy(float))
            names.append(cov)
    matrix = np.column_stack(columns) if columns else np.empty((len(frame), 0))
    return matrix, names


def first_dependent_column(X: np.ndarray, names: Sequence[str]) -> str | None:
    """The first column that is a linear combination of those before it, or None.

    Columns are scaled first so that a covariate in large units (days, grams)
    is not mistaken for a dependent one.
    """
    scale = np.abs(X).max(axis=0)
    scale[scale == 0] = 1.0
    Xs = X / scale
    if np.linalg.matrix_rank(Xs) == X.shape[1]:
        return None
    for j in range(1, X.shape[1] + 1):
        if np.linalg.matrix_rank(Xs[:, :j]) < j:
            return names[j - 1]
    return None  # pragma: no cover - the full rank check above said otherwise
