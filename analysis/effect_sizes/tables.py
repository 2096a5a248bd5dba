"""Effect sizes from a study-level table of any kind (its columns named by role), or
from estimates already computed."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from ..errors import AnalysisInputError
from ..validation import (
    as_float_array,
    check_lengths,
    default_labels,
    numeric_column,
    study_labels,
)
from ..vocabulary import StudyTable
from ._common import (
    BINARY_MEASURES,
    CORRELATION_MEASURES,
    PROPORTION_MEASURES,
    RATE_MEASURES,
    EffectSizes,
)
from .binary import binary_effect_sizes
from .continuous import continuous_effect_sizes
from .correlations import correlation_effect_sizes
from .proportions import proportion_effect_sizes
from .rates import rate_effect_sizes


def required_roles(measure: str) -> tuple[str, ...]:
    """The columns of a study-level table that ``measure`` is computed from."""
    measure = measure.upper()
    for table in StudyTable:
        if measure in table.measures:
            return table.roles
    raise AnalysisInputError(
        f"unknown measure {measure!r}; expected one of "
        f"{', '.join(m for t in StudyTable for m in t.measures)}",
        field="measure",
    )


def effect_sizes_from_table(
    frame: pd.DataFrame,
    measure: str,
    columns: Mapping[str, str],
    *,
    study: str | None = None,
    **options: Any,
) -> EffectSizes:
    """Effect sizes from a study-level table whose columns are named in ``columns``.

    ``columns`` maps roles (``ai, n1i, ci, n2i``; ``m1i, sd1i, n1i, m2i, sd2i,
    n2i``; ``ri, ni``; ``xi, ni``; or ``x1i, t1i, x2i, t2i``) to column names.
    Rows are labelled by ``study`` or, if not given, by their 1-based row number.
    """
    roles = required_roles(measure)
    missing = [r for r in roles if r not in columns]
    if missing:
        raise AnalysisInputError(f"no column given for {', '.join(missing)}", field=missing[0])
    labels = study_labels(frame, study)
    values = {role: numeric_column(frame, columns[role], labels, role=role) for role in roles}
    measure = measure.upper()
    try:
        if measure in BINARY_MEASURES:
            return binary_effect_sizes(
                values["ai"],
                values["n1i"],
                values["ci"],
                values["n2i"],
                measure,
                labels=labels,
                **options,
            )
        if measure in CORRELATION_MEASURES:
            return correlation_effect_sizes(
                values["ri"], values["ni"], measure, labels=labels, **options
            )
        if measure in PROPORTION_MEASURES:
            return proportion_effect_sizes(
                values["xi"], values["ni"], measure, labels=labels, **options
            )
        if measure in RATE_MEASURES:
            return rate_effect_sizes(
                values["x1i"],
                values["t1i"],
                values["x2i"],
                values["t2i"],
                measure,
                labels=labels,
                **options,
            )
        return continuous_effect_sizes(
            values["m1i"],
            values["sd1i"],
            values["n1i"],
            values["m2i"],
            values["sd2i"],
            values["n2i"],
            measure,
            labels=labels,
            **options,
        )
    except AnalysisInputError as exc:
        # say which CSV column the role came from, so the cell can be found
        column = columns.get(exc.field or "")
        if column is not None and column != exc.field:
            raise AnalysisInputError(
                exc.reason, study=exc.study, field=f"{exc.field} ({column})"
            ) from None
        raise


def effect_sizes_from_estimates(
    yi: ArrayLike, vi: ArrayLike, *, measure: str = "GEN", labels: Sequence[Any] | None = None
) -> EffectSizes:
    """Wrap already computed estimates (ratio measures on the log scale)."""
    raw_labels = None if labels is None else [str(x) for x in labels]
    y = as_float_array(yi, "yi", raw_labels)
    v = as_float_array(vi, "vi", raw_labels)
    k = check_lengths({"yi": y, "vi": v}, raw_labels)
    names = default_labels(k, raw_labels)
    for i, study in enumerate(names):
        if v[i] <= 0:
            raise AnalysisInputError(
                f"sampling variance must be positive (got {v[i]:g})", study=study, field="vi"
            )
    return EffectSizes(
        measure=measure.upper(), yi=y, vi=v, labels=tuple(names), corrected=np.zeros(k, dtype=bool)
    )
