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

from .effect_sizes import EffectSizes
from .errors import AnalysisInputError
from .pooling import pool
from .provenance import json_object, json_safe, software_versions
from .results import MetaAnalysisResult

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
    """A sequence of re-fitted models: one per omitted study, or per cumulative step."""

    kind: str
    labels: tuple[str, ...]
    results: tuple[MetaAnalysisResult, ...]
    options: dict[str, Any] = field(default_factory=dict)
    software: dict[str, str] = field(default_factory=software_versions)

    def __len__(self) -> int:
        return len(self.results)

    def column(self, name: str) -> np.ndarray:
        return np.array([getattr(r, name) for r in self.results], dtype=float)

    def to_frame(self) -> pd.DataFrame:
        frame = pd.DataFrame({"study": list(self.labels)})
        for name in _ROW_FIELDS:
            frame[name] = self.column(name)
        if self.results and self.results[0].is_ratio:
            for name in ("estimate", "ci_low", "ci_high"):
                frame[f"{name}_exp"] = np.exp(frame[name])
        return frame

    def to_dict(self) -> dict[str, Any]:
        rows = []
        for label, result in zip(self.labels, self.results, strict=True):
            row = {"study": label, "k": result.k}
            row.update({name: getattr(result, name) for name in _ROW_FIELDS})
            row.update(
                {
                    "estimate_exp": result.estimate_exp,
                    "ci_low_exp": result.ci_low_exp,
                    "ci_high_exp": result.ci_high_exp,
                    "df": result.df,
                }
            )
            rows.append(row)
        return json_object(
            {
                "schema": f"analysis.{self.kind}/1",
                "kind": self.kind,
                "options": self.options,
                "rows": rows,
                "software": self.software,
            }
        )


def _pool_options(
    method: str, hk: bool, level: float, control: Mapping[str, Any] | None
) -> dict[str, Any]:
    return {"method": method.upper(), "hk": hk, "level": level, "control": dict(control or {})}


def leave_one_out(
    effects: EffectSizes,
    method: str = "REML",
    *,
    hk: bool = False,
    level: float = 0.95,
    control: Mapping[str, Any] | None = None,
) -> SequentialResult:
    """Re-fit the model omitting each study in turn (row ``i`` omits study ``i``)."""
    if effects.k < 2:
        raise AnalysisInputError("leave-one-out needs at least 2 studies", field="k")
    results = []
    for i in range(effects.k):
        keep = np.ones(effects.k, dtype=bool)
        keep[i] = False
        results.append(pool(effects.subset(keep), method, hk=hk, level=level, control=control))
    return SequentialResult(
        "leave-one-out", effects.labels, tuple(results), _pool_options(method, hk, level, control)
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
    results = tuple(
        pool(ordered.subset(np.arange(n)), method, hk=hk, level=level, control=control)
        for n in steps
    )
    labels = tuple(ordered.labels[n - 1] for n in steps)
    options = _pool_options(method, hk, level, control)
    options.update({"order": json_safe(list(sorted_key)), "collapse": collapse})
    return SequentialResult("cumulative", labels, results, options)
