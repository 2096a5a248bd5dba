"""Harmonisation: one table of participants from datasets that code things differently.

Datasets pooled on the portal code the same things differently (``arm`` =
"Active"/"Placebo" in one trial, 1/2 in another; events as "yes"/"no" or
1/0).  A :class:`Harmonisation` states, per dataset, which column holds
what and which values mean treatment, control and event; applying it yields
one long table with standard columns:

``dataset, study, treat (1 = treatment, 0 = control)`` and
``y`` (binary 0/1 or continuous) or ``time, event`` (time-to-event),
plus the requested covariates under their analysis names.

One parser, :meth:`Harmonisation.from_dict`, reads a harmonisation however it was
written (a stored run, a page, the API, a JSON file given to the command line),
with one default for missing values: rows with a missing value are left out, and
the notes say how many.

Row filters on analysis variables (:mod:`analysis.filters`) select rows of
the harmonised table; they are recorded in the results so that a rerun
applies the same ones.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields
from typing import Any

import numpy as np
import pandas as pd

from ..errors import AnalysisInputError
from ..filters import RowFilter, apply_filters, as_filters
from ..provenance import json_object
from ..validation import check_columns
from ..vocabulary import OutcomeType

OUTCOME_TYPES = tuple(OutcomeType)
MISSING_RULES = ("drop", "error")
DEFAULT_MISSING = "drop"
"""Rows with a missing value are left out (and counted in the notes) unless a
harmonisation says ``missing="error"``; every run the portal stored was computed so."""


def _as_tuple(value: Any) -> tuple[Any, ...]:
    if isinstance(value, (list, tuple, set, frozenset)):
        return tuple(value)
    return (value,)


def _show(values: Sequence[Any], limit: int = 8) -> str:
    shown = ", ".join(repr(v) for v in list(values)[:limit])
    return shown + (", ..." if len(values) > limit else "")


@dataclass(frozen=True)
class DatasetMapping:
    """How one dataset's columns map onto the analysis variables.

    ``treatment``/``control`` (and ``event_values``/``non_event_values``) may
    be single values or lists of values.  Without ``event_values`` the event
    column must already be coded 0/1 (or False/True).  ``study`` names a
    column with the study identifier when one dataset holds several studies;
    otherwise every row belongs to the study ``study_label`` (default: the
    dataset's name).  ``covariates`` maps analysis covariate names to this
    dataset's column names.
    """

    arm: str
    treatment: Any
    control: Any
    outcome: str | None = None
    event: str | None = None
    time: str | None = None
    event_values: Any = None
    non_event_values: Any = None
    covariates: Mapping[str, str] = field(default_factory=dict)
    study: str | None = None
    study_label: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["covariates"] = dict(self.covariates)
        return json_object(out)


@dataclass(frozen=True)
class Harmonisation:
    """Per-dataset mappings onto one set of analysis variables (storable via ``to_dict``).

    ``missing`` says what a missing value (or study label) in a mapped column does:
    ``"drop"`` leaves the row out and the notes count such rows; ``"error"`` stops at
    the first one, naming its row.
    """

    outcome_type: str
    datasets: Mapping[str, DatasetMapping]
    covariates: tuple[str, ...] = ()
    missing: str = DEFAULT_MISSING
    categorical: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        unknown = [c for c in self.categorical if c not in self.covariates]
        if unknown:
            raise AnalysisInputError(
                f"categorical variable {unknown[0]!r} is not one of the covariates",
                field=unknown[0],
            )
        if self.outcome_type not in OUTCOME_TYPES:
            raise AnalysisInputError(
                f"unknown outcome type {self.outcome_type!r}; expected one of "
                f"{', '.join(OUTCOME_TYPES)}",
                field="outcome_type",
            )
        if self.missing not in MISSING_RULES:
            raise AnalysisInputError("missing must be 'error' or 'drop'", field="missing")
        if not self.datasets:
            raise AnalysisInputError("no datasets to harmonise", field="datasets")

    def to_dict(self) -> dict[str, Any]:
        return {
            "outcome_type": self.outcome_type,
            "covariates": list(self.covariates),
            "missing": self.missing,
            "categorical": list(self.categorical),
            "datasets": {name: m.to_dict() for name, m in self.datasets.items()},
        }

    @classmethod
    def from_dict(
        cls,
        data: Mapping[str, Any],
        frames: Mapping[str, pd.DataFrame] | None = None,
        *,
        datasets: Sequence[str] | None = None,
    ) -> Harmonisation:
        """The harmonisation ``data`` describes: the ``to_dict`` form, or what a page, the
        API or a JSON file gave (unknown keys are ignored, empty values mean none).

        ``datasets`` are the names to harmonise, in order (default: those of
        ``data["datasets"]``).  The analysis covariates are those listed in
        ``data["covariates"]`` and those any dataset maps; a categorical name that is
        not a covariate is ignored.  With ``frames``, every mapped column must exist,
        and treatment, control and event values chosen as text match a numeric
        column's numbers.  Problems raise :class:`AnalysisInputError` naming the
        dataset and the field.
        """
        outcome_type = data.get("outcome_type")
        if outcome_type not in OUTCOME_TYPES:
            raise AnalysisInputError(
                f"choose the outcome type ({', '.join(OUTCOME_TYPES)})", field="outcome_type"
            )
        stored = data.get("datasets") or {}
        if not isinstance(stored, Mapping):
            raise AnalysisInputError(
                "datasets map each dataset's name to its mapping", field="datasets"
            )
        mappings = {}
        for name in stored if datasets is None else datasets:
            frame = None
            if frames is not None:
                if name not in frames:
                    raise AnalysisInputError(
                        "dataset was not supplied", study=name, field="dataset"
                    )
                frame = frames[name]
            mappings[name] = _mapping_from_dict(stored.get(name) or {}, name, frame)
        covariates = mapped_covariates(data)
        return cls(
            outcome_type=outcome_type,
            datasets=mappings,
            covariates=tuple(covariates),
            missing=data.get("missing", DEFAULT_MISSING),
            categorical=tuple(c for c in data.get("categorical") or () if c in covariates),
        )

    def apply(self, frames: Mapping[str, pd.DataFrame]) -> HarmonisedData:
        parts = []
        notes: list[str] = []
        for name, mapping in self.datasets.items():
            if name not in frames:
                raise AnalysisInputError("dataset was not supplied", study=name, field="dataset")
            part, part_notes = _harmonise_one(frames[name], name, mapping, self)
            parts.append(part)
            notes.extend(part_notes)
        data = pd.concat(parts, ignore_index=True)
        duplicated = data.groupby("study", sort=False)["dataset"].nunique()
        if (duplicated > 1).any():
            study = str(duplicated.index[int(np.argmax(duplicated.to_numpy() > 1))])
            raise AnalysisInputError(
                "the same study label occurs in more than one dataset", study=study, field="study"
            )
        return HarmonisedData(
            data, self.outcome_type, self.covariates, tuple(notes), self.categorical
        )


@dataclass(frozen=True, eq=False)
class HarmonisedData:
    """One table of participants in the standard columns; ``notes`` say which rows
    harmonising and filtering left out, ``filters`` which row filters were applied."""

    frame: pd.DataFrame
    outcome_type: str
    covariates: tuple[str, ...]
    notes: tuple[str, ...] = ()
    categorical: tuple[str, ...] = ()
    filters: tuple[RowFilter, ...] = ()

    @property
    def studies(self) -> tuple[str, ...]:
        return tuple(pd.unique(self.frame["study"]))

    def filtered(self, filters: Sequence[Any]) -> HarmonisedData:
        """The rows passing ``filters`` (see :mod:`analysis.filters`); every study must
        keep both arms, as after harmonisation."""
        rules = as_filters(filters)
        if not rules:
            return self
        frame, notes = apply_filters(self.frame, rules)
        _check_arms(frame, "after the filters")
        return HarmonisedData(
            frame,
            self.outcome_type,
            self.covariates,
            (*self.notes, *notes),
            self.categorical,
            (*self.filters, *rules),
        )


def mapped_covariates(data: Mapping[str, Any]) -> list[str]:
    """The analysis covariates a harmonisation dict lists or any of its datasets maps,
    in order of appearance."""
    names = list(data.get("covariates") or [])
    datasets = data.get("datasets") or {}
    for m in datasets.values() if isinstance(datasets, Mapping) else ():
        for name in (m or {}).get("covariates") or {}:
            if name not in names:
                names.append(name)
    return names


_MAPPING_FIELDS = frozenset(f.name for f in fields(DatasetMapping))


def _mapping_from_dict(stored: Any, name: str, frame: pd.DataFrame | None) -> DatasetMapping:
    if not isinstance(stored, Mapping):
        raise AnalysisInputError(
            "a dataset's mapping names its columns and values", study=name, field="dataset"
        )
    m = dict(stored)
    if not m.get("arm"):
        raise AnalysisInputError("no column mapped for 'arm'", study=name, field="arm")
    if frame is not None:
        check_columns(
            frame, name, {k: m.get(k) for k in ("arm", "outcome", "event", "time", "study")}
        )
    for side in ("treatment", "control"):
        if m.get(side) in (None, "", []):
            raise AnalysisInputError(
                f"choose the {side} value of the arm column", study=name, field=side
            )
        if frame is not None:
            m[side] = _coerce(m[side], frame[m["arm"]])
    event_column = m.get("event") or m.get("outcome")
    for key in ("event_values", "non_event_values"):
        if m.get(key) in ("", []):
            m[key] = None
        if m.get(key) is not None and event_column and frame is not None:
            m[key] = _coerce(m[key], frame[event_column])
    if not m.get("study"):
        m["study"] = None
    covariates = m.get("covariates") or {}
    if not isinstance(covariates, Mapping):
        raise AnalysisInputError(
            "covariates map analysis names to columns", study=name, field="covariates"
        )
    if frame is not None:
        check_columns(frame, name, {f"covariate {k}": v for k, v in covariates.items()})
    m["covariates"] = dict(covariates)
    return DatasetMapping(**{k: v for k, v in m.items() if k in _MAPPING_FIELDS})


def _coerce(values: Any, series: pd.Series) -> Any:
    """Values chosen on a page or typed on a command line are text; a numeric column's
    codes are numbers."""
    if values is None:
        return None
    many = isinstance(values, (list, tuple))
    items = list(values) if many else [values]
    if pd.api.types.is_numeric_dtype(series):
        out = []
        for item in items:
            try:
                out.append(float(item))
            except (TypeError, ValueError):
                out.append(item)
        items = out
    return items if many else items[0]


def _check_arms(frame: pd.DataFrame, when: str = "") -> None:
    arms = frame.groupby("study", sort=False)["treat"].agg(["min", "max"])
    bad = arms[(arms["min"] != 0) | (arms["max"] != 1)]
    if len(bad):
        which = "treatment" if bad["max"].iloc[0] != 1 else "control"
        raise AnalysisInputError(
            f"the {which} arm is empty{' ' + when if when else ''}",
            study=str(bad.index[0]),
            field="treat",
        )


def _harmonise_one(
    df: pd.DataFrame, name: str, m: DatasetMapping, h: Harmonisation
) -> tuple[pd.DataFrame, list[str]]:
    roles: dict[str, str | None] = {"arm": m.arm, "study": m.study}
    if h.outcome_type == "continuous":
        roles["outcome"] = m.outcome
    elif h.outcome_type == "binary":
        roles["event"] = m.event if m.event is not None else m.outcome
    else:
        roles["time"] = m.time
        roles["event"] = m.event
    for cov in h.covariates:
        if cov not in m.covariates:
            raise AnalysisInputError(
                f"no column mapped for covariate {cov!r}", study=name, field=cov
            )
        roles[cov] = m.covariates[cov]
    for role, column in roles.items():
        if not column and role != "study":
            raise AnalysisInputError(f"no column mapped for {role!r}", study=name, field=role)
    check_columns(df, name, roles)
    columns = {role: column for role, column in roles.items() if column}

    notes = []
    if m.study:
        unlabelled = df[m.study].isna().to_numpy()
        if unlabelled.any():
            # a missing study label is not a study called "nan"
            if h.missing == "error":
                raise AnalysisInputError(
                    f"missing study label in row {int(np.argmax(unlabelled)) + 1} of dataset "
                    f"{name!r}",
                    study=name,
                    field="study",
                )
            notes.append(f"{name}: {int(unlabelled.sum())} row(s) without a study label excluded.")
            df = df[~unlabelled].reset_index(drop=True)
        study = df[m.study].map(category_label).to_numpy(dtype=object)
    else:
        study = np.full(len(df), m.study_label or name, dtype=object)

    arm = df[m.arm]
    treat_values, control_values = _as_tuple(m.treatment), _as_tuple(m.control)
    overlap = set(treat_values) & set(control_values)
    if overlap:
        raise AnalysisInputError(
            f"value(s) {_show(sorted(map(str, overlap)))} mapped to both arms",
            study=name,
            field="arm",
        )
    is_treat = arm.isin(treat_values).to_numpy()
    is_control = arm.isin(control_values).to_numpy()
    present = list(pd.unique(arm.dropna()))
    for label in pd.unique(study):
        rows = study == label
        for flag, values, which in (
            (is_treat, treat_values, "treatment"),
            (is_control, control_values, "control"),
        ):
            if not (flag & rows).any():
                raise AnalysisInputError(
                    f"the {which} arm is empty: no row has {m.arm!r} equal to "
                    f"{_show(values)} (values present: {_show(present)})",
                    study=str(label),
                    field="arm",
                )
    other = ~(is_treat | is_control)
    if other.any():
        notes.append(
            f"{name}: {int(other.sum())} row(s) in neither arm (other {m.arm!r} values) excluded."
        )

    out = pd.DataFrame({"dataset": name, "study": study, "treat": is_treat.astype(float)})
    if h.outcome_type == "continuous":
        out["y"] = _numeric(df[columns["outcome"]], study, "outcome", columns["outcome"])
    elif h.outcome_type == "binary":
        out["y"] = _event_indicator(df[columns["event"]], study, columns["event"], m)
    else:
        out["time"] = _numeric(df[columns["time"]], study, "time", columns["time"])
        out["event"] = _event_indicator(df[columns["event"]], study, columns["event"], m)
    for cov in h.covariates:
        cells = df[columns[cov]]
        if cov in h.categorical:
            out[cov] = cells.map(category_label).to_numpy(dtype=object)
        else:
            out[cov] = _numeric(cells, study, cov, columns[cov])
    out = out.loc[~other].reset_index(drop=True)
    study_kept = study[~other]

    value_columns = [c for c in out.columns if c not in ("dataset", "study", "treat")]
    missing = out[value_columns].isna().to_numpy()
    if missing.any():
        if h.missing == "error":
            row, col = np.argwhere(missing)[0]
            raise AnalysisInputError(
                f"missing value in row {int(np.flatnonzero(~other)[row]) + 1} of dataset {name!r}",
                study=str(study_kept[row]),
                field=value_columns[col],
            )
        drop = np.asarray(missing.any(axis=1), dtype=bool)
        notes.append(f"{name}: {int(drop.sum())} row(s) with missing values excluded.")
        out = out.loc[~drop].reset_index(drop=True)
    if h.outcome_type == "time-to-event":
        negative = out["time"] < 0
        if negative.any():
            i = int(np.argmax(negative.to_numpy()))
            raise AnalysisInputError(
                "follow-up time is negative", study=str(out["study"][i]), field="time"
            )
    return out, notes


def category_label(value: Any) -> Any:
    """A category as text, so 1 and "1" from two datasets are one level.

    A numeric column with missing values reads as floats; its whole numbers keep
    their integer spelling ("2", not "2.0") so that a filter such as ``ecog in 0,1,2``
    and the labels on the page say what the data says.
    """
    if pd.isna(value):
        return value
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value)


def _numeric(series: pd.Series, study: np.ndarray, role: str, column: str) -> np.ndarray:
    values = pd.to_numeric(series, errors="coerce")
    bad = values.isna() & series.notna()
    if bad.any():
        i = int(np.argmax(bad.to_numpy()))
        raise AnalysisInputError(
            f"non-numeric value {series.iloc[i]!r} in column {column!r} (row {i + 1})",
            study=str(study[i]),
            field=role,
        )
    return values.to_numpy(dtype=float, na_value=np.nan)


def _event_indicator(
    series: pd.Series, study: np.ndarray, column: str, m: DatasetMapping
) -> np.ndarray:
    out = np.full(len(series), np.nan)
    notna = series.notna().to_numpy()
    if m.event_values is not None:
        events = series.isin(_as_tuple(m.event_values)).to_numpy()
        if m.non_event_values is not None:
            non_events = series.isin(_as_tuple(m.non_event_values)).to_numpy()
        else:
            non_events = notna & ~events
        unknown = notna & ~events & ~non_events
        if unknown.any():
            i = int(np.argmax(unknown))
            raise AnalysisInputError(
                f"value {series.iloc[i]!r} in column {column!r} (row {i + 1}) is neither an event "
                f"value {_show(_as_tuple(m.event_values))} nor a non-event value",
                study=str(study[i]),
                field="event",
            )
        out[events] = 1.0
        out[non_events] = 0.0
        return out
    if pd.api.types.is_bool_dtype(series.dtype):
        numeric = series.astype(float)
    elif pd.api.types.is_numeric_dtype(series.dtype):
        numeric = series
    else:  # object columns may mix True/False with numbers or text
        numeric = pd.to_numeric(
            series.map(lambda v: float(v) if isinstance(v, (bool, np.bool_)) else v),
            errors="coerce",
        )
    bad = notna & ~numeric.isin([0, 1]).to_numpy()
    if bad.any():
        i = int(np.argmax(bad))
        raise AnalysisInputError(
            f"event column {column!r} must be coded 0/1 unless event_values are given; found "
            f"{series.iloc[i]!r} (row {i + 1})",
            study=str(study[i]),
            field="event",
        )
    out[notna] = numeric.to_numpy(dtype=float)[notna]
    return out


def as_harmonised(
    data: HarmonisedData | pd.DataFrame, outcome_type: str | None, covariates: Sequence[str]
) -> HarmonisedData:
    """``data`` as harmonised data: as it is, or a frame already in the standard columns
    (checked), which the models also accept."""
    if isinstance(data, HarmonisedData):
        return data
    if outcome_type is None:
        raise AnalysisInputError(
            "outcome_type is needed for a plain data frame", field="outcome_type"
        )
    if outcome_type not in OUTCOME_TYPES:
        raise AnalysisInputError(f"unknown outcome type {outcome_type!r}", field="outcome_type")
    values = ["time", "event"] if outcome_type == "time-to-event" else ["y"]
    for column in ["study", "treat", *values, *covariates]:
        if column not in data.columns:
            raise AnalysisInputError(
                f"harmonised data need a {column!r} column (see Harmonisation)", field=column
            )
    coded = data["treat"].isin([0, 1])
    arms = data.groupby("study", sort=False)["treat"].agg(["min", "max"])
    bad_study = data.loc[~coded, "study"]
    bad = arms[(arms["min"] != 0) | (arms["max"] != 1)].index.tolist() + bad_study.tolist()
    if bad:
        raise AnalysisInputError(
            "treat must be coded 1 (treatment) / 0 (control) with both arms present",
            study=str(bad[0]),
            field="treat",
        )
    return HarmonisedData(data, outcome_type, tuple(covariates))
