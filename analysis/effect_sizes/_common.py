"""What every kind of study-level table shares: the measures each offers, the effect
sizes they all produce, and the checks of their input (measure, continuity
correction, columns, the counts of each arm)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from ..errors import AnalysisInputError
from ..provenance import json_object
from ..validation import as_float_array, check_lengths, default_labels
from ..vocabulary import RATIO_MEASURES, StudyTable

BINARY_MEASURES = StudyTable.COUNTS.measures
CONTINUOUS_MEASURES = StudyTable.SUMMARIES.measures
BINARY_ROLES = StudyTable.COUNTS.roles
CONTINUOUS_ROLES = StudyTable.SUMMARIES.roles
CORRELATION_MEASURES = StudyTable.CORRELATIONS.measures
PROPORTION_MEASURES = StudyTable.PROPORTIONS.measures
RATE_MEASURES = StudyTable.RATES.measures

_CORRECTION_TARGETS = ("only0", "all", "if0all", "none")

#: An arm of a table: its events column, the column of its total (participants or
#: person-time) and the arm's name in messages.
Arm = tuple[str, str, str]


@dataclass(frozen=True, eq=False)
class EffectSizes:
    """Observed outcomes ``yi`` and sampling variances ``vi`` of ``k`` studies.

    Ratio measures (OR, RR, HR) are on the log scale, as in metafor.
    ``yi``/``vi`` are NaN for studies excluded at this stage (``drop00=True``).
    ``counts`` keeps the uncorrected 2x2 tables of binary data so that the
    Mantel-Haenszel and Peto methods can be applied to the same object.
    """

    measure: str
    yi: np.ndarray
    vi: np.ndarray
    labels: tuple[str, ...]
    corrected: np.ndarray
    options: dict[str, Any] = field(default_factory=dict)
    counts: dict[str, np.ndarray] | None = None
    summaries: dict[str, np.ndarray] | None = None
    notes: tuple[str, ...] = ()

    @property
    def k(self) -> int:
        return len(self.yi)

    def __len__(self) -> int:
        return self.k

    @property
    def sei(self) -> np.ndarray:
        return np.asarray(np.sqrt(self.vi), dtype=float)

    @property
    def is_ratio(self) -> bool:
        return self.measure in RATIO_MEASURES

    @property
    def included(self) -> np.ndarray:
        """Studies with a usable estimate (not dropped at this stage)."""
        return np.asarray(np.isfinite(self.yi) & np.isfinite(self.vi), dtype=bool)

    def subset(self, index: ArrayLike) -> EffectSizes:
        """The same effect sizes restricted to ``index`` (positions or boolean mask)."""
        idx = np.arange(self.k)[np.asarray(index)]
        return EffectSizes(
            measure=self.measure,
            yi=self.yi[idx],
            vi=self.vi[idx],
            labels=tuple(self.labels[i] for i in idx),
            corrected=self.corrected[idx],
            options=dict(self.options),
            counts=None if self.counts is None else {n: a[idx] for n, a in self.counts.items()},
            summaries=None
            if self.summaries is None
            else {n: a[idx] for n, a in self.summaries.items()},
            notes=self.notes,
        )

    def to_frame(self) -> pd.DataFrame:
        frame = pd.DataFrame(
            {
                "study": list(self.labels),
                "yi": self.yi,
                "vi": self.vi,
                "sei": self.sei,
                "corrected": self.corrected,
            }
        )
        for source in (self.counts, self.summaries):
            if source:
                for name, values in source.items():
                    frame[name] = values
        return frame

    def to_dict(self) -> dict[str, Any]:
        studies = []
        for i, label in enumerate(self.labels):
            row: dict[str, Any] = {
                "study": label,
                "yi": self.yi[i],
                "vi": self.vi[i],
                "sei": float(np.sqrt(self.vi[i])) if np.isfinite(self.vi[i]) else None,
                "corrected": bool(self.corrected[i]),
                "included": bool(self.included[i]),
            }
            for source in (self.counts, self.summaries):
                if source:
                    row.update({name: values[i] for name, values in source.items()})
            studies.append(row)
        return json_object(
            {
                "measure": self.measure,
                "scale": "log" if self.is_ratio else "identity",
                "k": self.k,
                "options": self.options,
                "notes": list(self.notes),
                "studies": studies,
            }
        )


def _arrays(
    values: Mapping[str, ArrayLike], labels: Sequence[Any] | None
) -> tuple[dict[str, np.ndarray], list[str]]:
    raw_labels = None if labels is None else [str(x) for x in labels]
    arrays = {name: as_float_array(v, name, raw_labels) for name, v in values.items()}
    k = check_lengths(arrays, raw_labels)
    return arrays, default_labels(k, raw_labels)


def _check_measure(measure: str, offered: Sequence[str], what: str) -> str:
    measure = measure.upper()
    if measure not in offered:
        raise AnalysisInputError(
            f"unknown {what} measure {measure!r}; expected one of {', '.join(offered)}",
            field="measure",
        )
    return measure


def _check_correction(add: float, to: str) -> None:
    if to not in _CORRECTION_TARGETS:
        raise AnalysisInputError(
            f"unknown continuity-correction target {to!r}; expected one of "
            f"{', '.join(_CORRECTION_TARGETS)}",
            field="to",
        )
    if not np.isfinite(add) or add < 0:
        raise AnalysisInputError("continuity correction must be a non-negative number", field="add")


def _zero_mask(any_zero: np.ndarray, *, to: str, add: float) -> np.ndarray:
    """Which studies get ``add`` (escalc's ``to``), given which have a zero cell."""
    if add == 0 or to == "none":
        return np.zeros(any_zero.shape, dtype=bool)
    if to == "all":
        return np.ones(any_zero.shape, dtype=bool)
    if to == "if0all":
        return np.full(any_zero.shape, bool(any_zero.any()))
    return any_zero.copy()


def _require_estimable(
    yi: np.ndarray, vi: np.ndarray, names: Sequence[str], field_name: str, why: str
) -> None:
    for i, study in enumerate(names):
        if not (np.isfinite(yi[i]) and np.isfinite(vi[i]) and vi[i] > 0):
            raise AnalysisInputError(why, study=study, field=field_name)


def _check_arms(
    arrays: Mapping[str, np.ndarray],
    arms: Sequence[Arm],
    names: Sequence[str],
    *,
    total_problem: Callable[[str, float, str], str | None],
    events_within: str | None,
) -> None:
    """Each study's counts, arm by arm: no negative event count, then each arm's total as
    ``total_problem`` judges it (it returns the reason to refuse, or None), then, where
    the total counts participants (``events_within`` names it in the message), no more
    events than participants."""
    for i, study in enumerate(names):
        for events, _, _ in arms:
            value = arrays[events][i]
            if value < 0:
                raise AnalysisInputError(
                    f"event count is negative ({value:g})", study=study, field=events
                )
        for _, total, arm in arms:
            problem = total_problem(total, arrays[total][i], arm)
            if problem is not None:
                raise AnalysisInputError(problem, study=study, field=total)
        if events_within is None:
            continue
        for events, total, _ in arms:
            x, n = arrays[events][i], arrays[total][i]
            if x > n:
                raise AnalysisInputError(
                    f"events exceed the {events_within} ({events}={x:g} > {total}={n:g})",
                    study=study,
                    field=events,
                )
