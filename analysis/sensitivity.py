"""Leave-one-out and cumulative meta-analysis (``metafor::leave1out`` / ``cumul``).

Each step re-fits the *same* model (method, Hartung-Knapp, level, control,
and the effect-size options carried by the :class:`EffectSizes`) on a subset
of studies, so the numbers equal what metafor reports for those subsets.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from .batch import MaskRows, fit_subsets
from .effect_sizes import EffectSizes
from .errors import AnalysisInputError
from .pooling import pool, resolve_test
from .provenance import json_object, json_safe, software_versions

_ROW_FIELDS = (
    "estimate",
    "se",
    "statistic",
    "pvalue",
    "ci_low",
    "ci_high",
    "q",
    "q_pvalue",
    "tau2",
    "i2",
    "h2",
)


@dataclass(frozen=True, eq=False)
class SequentialResult:
    """A sequence of re-fitted models: one per omitted study, or per cumulative step.

    Kept as columns (one value per fit) rather than as whole results: a
    leave-one-out analysis of a thousand studies is a thousand fits, and a
    study table per fit would be a million rows nobody reads.
    """

    kind: str
    labels: tuple[str, ...]
    columns: Mapping[str, np.ndarray]
    is_ratio: bool
    options: dict[str, Any] = field(default_factory=dict)
    software: dict[str, str] = field(default_factory=software_versions)

    def __len__(self) -> int:
        return len(self.labels)

    def column(self, name: str) -> np.ndarray:
        return np.asarray(self.columns[name], dtype=float)

    def row(self, i: int) -> dict[str, Any]:
        """The ``i``-th fit: ``k``, ``df`` (None for z tests) and the statistics."""
        out: dict[str, Any] = {"study": self.labels[i], "k": int(self.columns["k"][i])}
        df = self.columns["df"][i]
        out["df"] = None if np.isnan(df) else int(df)
        out.update({name: float(self.columns[name][i]) for name in _ROW_FIELDS})
        for name in ("estimate", "ci_low", "ci_high"):
            out[f"{name}_exp"] = _exp(out[name]) if self.is_ratio else None
        return out

    def to_frame(self) -> pd.DataFrame:
        frame = pd.DataFrame({"study": list(self.labels)})
        for name in _ROW_FIELDS:
            frame[name] = self.column(name)
        if self.is_ratio:
            for name in ("estimate", "ci_low", "ci_high"):
                frame[f"{name}_exp"] = np.exp(frame[name])
        return frame

    def to_dict(self) -> dict[str, Any]:
        return json_object(
            {
                "schema": f"analysis.{self.kind}/1",
                "kind": self.kind,
                "options": self.options,
                "rows": [self.row(i) for i in range(len(self))],
                "software": self.software,
            }
        )


def _exp(value: float) -> float | None:
    return float(np.exp(value)) if np.isfinite(value) else None


def _refit(
    kind: str,
    effects: EffectSizes,
    labels: tuple[str, ...],
    masks: MaskRows,
    n_fits: int,
    method: str,
    test: str,
    level: float,
    control: Mapping[str, Any] | None,
    options: dict[str, Any],
) -> SequentialResult:
    """Fit every subset: as one batch where :mod:`analysis.batch` covers the model,
    one by one (the same :func:`pool` a single analysis uses) for the rest."""
    columns, fitted = fit_subsets(
        effects.yi, effects.vi, masks, n_fits, method, level=level, control=control, test=test
    )
    for i in np.flatnonzero(~fitted).tolist():
        result = pool(
            effects.subset(masks(i, i + 1)[0]), method, level=level, control=control, test=test
        )
        columns["k"][i] = result.k
        columns["df"][i] = np.nan if result.df is None else result.df
        for name in _ROW_FIELDS:
            columns[name][i] = getattr(result, name)
    return SequentialResult(kind, labels, columns, effects.is_ratio, options)


def _pool_options(
    method: str, test: str, level: float, control: Mapping[str, Any] | None
) -> dict[str, Any]:
    options = {"method": method.upper(), "hk": test == "knha", "level": level}
    if test == "t":
        options["test"] = test
    return {**options, "control": dict(control or {})}


def leave_one_out(
    effects: EffectSizes,
    method: str = "REML",
    *,
    hk: bool = False,
    level: float = 0.95,
    control: Mapping[str, Any] | None = None,
    test: str | None = None,
) -> SequentialResult:
    """Re-fit the model omitting each study in turn (row ``i`` omits study ``i``)."""
    if effects.k < 2:
        raise AnalysisInputError("leave-one-out needs at least 2 studies", field="k")
    k = effects.k

    def omit_one(lo: int, hi: int) -> np.ndarray:
        keep = np.ones((hi - lo, k), dtype=bool)
        keep[np.arange(hi - lo), np.arange(lo, hi)] = False
        return keep

    test = resolve_test(hk, test)
    options = _pool_options(method, test, level, control)
    return _refit(
        "leave-one-out", effects, effects.labels, omit_one, k, method, test, level, control, options
    )


def cumulative(
    effects: EffectSizes,
    order: ArrayLike | None = None,
    method: str = "REML",
    *,
    hk: bool = False,
    level: float = 0.95,
    control: Mapping[str, Any] | None = None,
    collapse: bool = False,
    test: str | None = None,
) -> SequentialResult:
    """Cumulative meta-analysis, adding studies in the order of ``order`` (e.g. year).

    Ties keep the input order (a stable sort, as R's ``order()``).  With
    ``collapse=True`` studies sharing an ``order`` value are added together,
    as ``cumul(..., collapse=TRUE)``.  Row ``j`` is labelled with the study
    added last.
    """
    k = effects.k
    if order is None:
        key = np.arange(k)
    else:
        key = np.asarray(order)
        if len(key) != k:
            raise AnalysisInputError(f"order has {len(key)} values for {k} studies", field="order")
        if pd.isna(pd.Series(key)).any():
            i = int(np.flatnonzero(pd.isna(pd.Series(key)).to_numpy())[0])
            raise AnalysisInputError(
                "missing value in the ordering column", study=effects.labels[i], field="order"
            )
    positions = np.argsort(key, kind="stable")
    ordered = effects.subset(positions)
    sorted_key = key[positions]
    steps: list[int] = []
    for j in range(k):
        if collapse and j + 1 < k and sorted_key[j + 1] == sorted_key[j]:
            continue
        steps.append(j + 1)
    sizes = np.asarray(steps)

    def first_n(lo: int, hi: int) -> np.ndarray:
        return np.arange(k)[None, :] < sizes[lo:hi, None]

    labels = tuple(ordered.labels[n - 1] for n in steps)
    test = resolve_test(hk, test)
    options = _pool_options(method, test, level, control)
    options.update({"order": json_safe(list(sorted_key)), "collapse": collapse})
    return _refit(
        "cumulative", ordered, labels, first_n, len(steps), method, test, level, control, options
    )
