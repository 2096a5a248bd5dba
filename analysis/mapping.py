"""Which columns of a dataset play which part in an analysis: a first guess from the data
dictionary, and the check every mapping passes before it is kept.

:func:`suggest_aggregate` and :func:`suggest_participant` read a Table Schema's fields
(``name``, and the data dictionary's ``role`` and ``title``) and the most frequent values
of each column, and propose a mapping in the form runs store it (see
:mod:`analysis.runs`).  They only ever propose columns that exist, and leave a part
unmapped rather than guess between two candidates.

:func:`check_mapping` is the one check of a stored mapping against the datasets' column
names, used before a mapping is kept whoever sends it (the builder's pages, the API):
it raises :class:`AnalysisInputError` naming the dataset (``study``) and the part
(``field``: a role such as ``n2i``, ``study``, ``arm`` or ``covariate age``) so the page
can show the problem next to the field.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from .errors import AnalysisInputError
from .ipd.harmonise import Harmonisation, mapped_covariates
from .vocabulary import ROLE_LABELS, OutcomeType, StudyTable

Fields = Sequence[Mapping[str, Any]]
"""A Table Schema's ``fields``: each a mapping with ``name`` and optionally ``role``,
``title``, ``unit`` and ``type``."""

#: The aggregate outcome sets, in the order a guess prefers them.
AGGREGATE_SETS: tuple[tuple[str, ...], ...] = tuple(t.roles for t in StudyTable)
EXTRAS = ("study", "year", "subgroup", "effect_id")

_TREATMENT = {
    "t",
    "treat",
    "treatment",
    "treated",
    "trt",
    "tx",
    "exp",
    "experimental",
    "intervention",
    "int",
    "active",
    "drug",
    "e",
    "1",
}
_CONTROL = {
    "c",
    "ctrl",
    "control",
    "controls",
    "placebo",
    "plac",
    "pbo",
    "comparator",
    "comp",
    "usual",
    "standard",
    "std",
    "cont",
    "2",
}
_QUANTITY = {
    "events": {
        "events",
        "event",
        "ev",
        "cases",
        "case",
        "deaths",
        "death",
        "dead",
        "pos",
        "positive",
        "x",
        "r",
        "responders",
        "resp",
        "successes",
    },
    "total": {
        "n",
        "total",
        "tot",
        "size",
        "num",
        "patients",
        "participants",
        "count",
        "randomised",
        "randomized",
    },
    "mean": {"mean", "m", "avg", "average"},
    "sd": {"sd", "std", "stdev", "stddev", "s"},
}
_ROLE_PARTS = {
    "ai": ("events", "treatment"),
    "n1i": ("total", "treatment"),
    "ci": ("events", "control"),
    "n2i": ("total", "control"),
    "m1i": ("mean", "treatment"),
    "sd1i": ("sd", "treatment"),
    "m2i": ("mean", "control"),
    "sd2i": ("sd", "control"),
}
_STUDY_NAMES = {
    "study",
    "studies",
    "trial",
    "author",
    "authors",
    "study_id",
    "studyid",
    "trial_id",
    "trialid",
    "source",
    "reference",
    "ref",
}
_YEAR_NAMES = {"year", "yr", "pub_year", "publication_year", "pubyear"}
_CONTROL_VALUES = {
    "control",
    "ctrl",
    "placebo",
    "pbo",
    "usual care",
    "standard",
    "obs",
    "observation",
    "c",
    "no treatment",
    "none",
    "sham",
    "0",
    "comparator",
}
_EVENT_VALUES = {
    "yes",
    "y",
    "1",
    "true",
    "event",
    "dead",
    "died",
    "death",
    "positive",
    "pos",
    "relapse",
    "recurrence",
    "failure",
    "success",
    "improved",
    "cured",
}


def _tokens(text: str) -> list[str]:
    """``events_treat`` -> [events, treat]; ``nCtrl`` -> [n, ctrl]; ``n1`` -> [n, 1]."""
    spaced = re.sub(r"([a-z])([A-Z])", r"\1 \2", text)
    spaced = re.sub(r"([A-Za-z])(\d)", r"\1 \2", spaced)
    return [t for t in re.split(r"[^a-z0-9]+", spaced.lower()) if t]


def _parts(field: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """The quantity (events, total, mean, sd) and the arm a column's name or title names."""
    for text in (str(field.get("name") or ""), str(field.get("title") or "")):
        words = _tokens(text)
        quantity = next((q for q, names in _QUANTITY.items() if names & set(words)), None)
        arms = {"treatment" for w in words if w in _TREATMENT}
        arms |= {"control" for w in words if w in _CONTROL}
        if quantity and len(arms) == 1:
            return quantity, arms.pop()
    return None, None


def _unique(candidates: list[str]) -> str | None:
    return candidates[0] if len(candidates) == 1 else None


def suggest_aggregate(fields: Fields) -> dict[str, Any]:
    """A first mapping of a study-level table: ``{"columns": {role: column}, "study",
    "year", "subgroup"}``.  metafor's own names (``ai``, ``n1i`` ...) win; then names and
    titles such as ``events_treat``, ``n_ctrl``, ``mean_t``, "SD, control"."""
    names = [str(f["name"]) for f in fields]
    columns: dict[str, str] = {}
    for role in ROLE_LABELS:
        exact = [n for n in names if n.lower() == role]
        if exact:
            columns[role] = exact[0]
    for role, wanted in _ROLE_PARTS.items():
        if role in columns:
            continue
        found = _unique(
            [str(f["name"]) for f in fields if _parts(f) == wanted and f["name"] not in columns]
        )
        if found is not None and found not in columns.values():
            columns[role] = found
    # a half-mapped outcome would only stop the next step: keep complete sets alone
    complete = {r for s in AGGREGATE_SETS if all(x in columns for x in s) for r in s}
    columns = {r: c for r, c in columns.items() if r in complete}
    study = _unique([str(f["name"]) for f in fields if f.get("role") == "study_id"])
    if study is None:
        study = _unique([n for n in names if n.lower() in _STUDY_NAMES])
    year = _unique([n for n in names if n.lower() in _YEAR_NAMES])
    return {"columns": columns, "study": study, "year": year, "subgroup": None}


def _by_role(fields: Fields, role: str, names: set[str]) -> str | None:
    found = _unique([str(f["name"]) for f in fields if f.get("role") == role])
    if found is None:
        found = _unique([str(f["name"]) for f in fields if str(f["name"]).lower() in names])
    return found


def suggest_participant(
    fields: Fields, top_values: Mapping[str, Sequence[str]] | None = None
) -> dict[str, Any]:
    """A first mapping of one participant-level dataset (a stored dataset mapping), with
    the outcome type it suggests under ``"outcome_type"`` (None when unclear).  Roles
    from the data dictionary come first, then names; arm and event values come from the
    columns' most frequent values."""
    top = top_values or {}
    arm = _by_role(fields, "arm", {"arm", "group", "treatment", "trt", "rx", "allocation"})
    outcome = _by_role(fields, "outcome", {"outcome", "response", "result", "y"})
    time = _by_role(fields, "time", {"time", "futime", "days", "followup", "follow_up"})
    event = _by_role(fields, "event", {"event", "status", "died", "death", "censor"})
    study = _by_role(fields, "study_id", {"study", "trial", "site", "centre", "center"})
    treatment = control = None
    arm_values = [str(v) for v in top.get(arm or "", [])]
    if len(arm_values) == 2:
        controls = [v for v in arm_values if v.strip().lower() in _CONTROL_VALUES]
        if len(controls) == 1:
            control = controls[0]
            treatment = next(v for v in arm_values if v != control)
    if time and event:
        outcome_type: str | None = OutcomeType.TIME_TO_EVENT.value
    elif outcome and len(top.get(outcome, [])) == 2:
        outcome_type = OutcomeType.BINARY.value
    elif outcome:
        outcome_type = OutcomeType.CONTINUOUS.value
    else:
        outcome_type = None
    event_values = None
    if outcome_type == OutcomeType.BINARY.value and outcome:
        values = [str(v) for v in top.get(outcome, [])]
        chosen = [v for v in values if v.strip().lower() in _EVENT_VALUES]
        if len(chosen) == 1 and chosen[0] not in ("0", "1"):
            event_values = chosen
    covariates = {
        str(f["name"]): str(f["name"])
        for f in fields
        if f.get("role") == "covariate" and str(f["name"]) not in {arm, outcome, time, event, study}
    }
    return {
        "outcome_type": outcome_type,
        "arm": arm,
        "treatment": treatment,
        "control": control,
        "outcome": outcome,
        "event": event,
        "time": time,
        "event_values": event_values,
        "study": study,
        "covariates": covariates,
    }


def role_label(role: str) -> str:
    """A role in plain words ("Events, treatment"), or the name itself."""
    return ROLE_LABELS.get(role, role)


def check_mapping(
    kind: str, harmonisation: Mapping[str, Any], columns: Mapping[str, Sequence[str]]
) -> None:
    """Refuse a mapping that could not run: ``columns`` gives each dataset's column
    names by its name (an aggregate analysis has one).  Raises
    :class:`AnalysisInputError` naming the dataset and the part of the mapping."""
    if not isinstance(harmonisation, Mapping):
        raise AnalysisInputError("the mapping must be an object", field="harmonisation")
    if kind == "aggregate":
        ((name, available),) = columns.items()
        _check_aggregate(harmonisation, name, list(available))
    else:
        _check_participant(harmonisation, columns)


def _missing(name: str, column: str, role: str, available: Sequence[str]) -> AnalysisInputError:
    shown = ", ".join(available[:20]) + (", ..." if len(available) > 20 else "")
    return AnalysisInputError(
        f"column {column!r} chosen for {role_label(role)} is not in this dataset "
        f"(its columns: {shown})",
        study=name,
        field=role,
    )


def _check_aggregate(h: Mapping[str, Any], name: str, available: list[str]) -> None:
    mapped = h.get("columns") or {}
    if not isinstance(mapped, Mapping):
        raise AnalysisInputError("columns map each role to a column", study=name, field="columns")
    unknown = [r for r in mapped if r not in ROLE_LABELS]
    if unknown:
        raise AnalysisInputError(
            f"{unknown[0]!r} is not a role; the roles are {', '.join(ROLE_LABELS)}",
            study=name,
            field="columns",
        )
    chosen = {r: c for r, c in mapped.items() if c}
    for role, column in chosen.items():
        if not isinstance(column, str) or column not in available:
            raise _missing(name, str(column), role, available)
    seen: dict[str, str] = {}
    for role, column in chosen.items():
        if column in seen and not {role, seen[column]} <= {"n1i", "n2i"}:
            raise AnalysisInputError(
                f"column {column!r} is chosen for both {role_label(seen[column])} and "
                f"{role_label(role)}; each needs its own column",
                study=name,
                field=role,
            )
        seen.setdefault(column, role)
    for key in EXTRAS:
        column = h.get(key)
        if column and (not isinstance(column, str) or column not in available):
            raise _missing(name, str(column), key, available)
    _check_moderators(h, name, available)
    if not chosen:
        raise AnalysisInputError(
            "choose the columns of the outcome: events and totals in each arm (counts), "
            "or means, standard deviations and totals in each arm",
            study=name,
            field="columns",
        )
    if any(all(r in chosen for r in roles) for roles in AGGREGATE_SETS):
        return
    # the set the chosen columns come closest to says what is still missing
    roles = max(AGGREGATE_SETS, key=lambda s: sum(r in chosen for r in s))
    role = next(r for r in roles if r not in chosen)
    raise AnalysisInputError(
        f"choose the column for {role_label(role)} ({role})", study=name, field=role
    )


def _check_moderators(h: Mapping[str, Any], name: str, available: list[str]) -> None:
    """Moderators of a meta-regression: a list of the dataset's columns, and the ones
    whose values are categories among them."""
    moderators = h.get("moderators") or []
    categorical = h.get("categorical_moderators") or []
    for key, chosen in (("moderators", moderators), ("categorical_moderators", categorical)):
        if not isinstance(chosen, list) or not all(isinstance(c, str) for c in chosen):
            raise AnalysisInputError(f"{key} is a list of column names", study=name, field=key)
    for column in moderators:
        if column not in available:
            raise _missing(name, column, "moderators", available)
    if len(set(moderators)) != len(moderators):
        raise AnalysisInputError("a moderator is chosen twice", study=name, field="moderators")
    for column in categorical:
        if column not in moderators:
            raise AnalysisInputError(
                f"{column!r} is marked as categories but is not chosen as a moderator",
                study=name,
                field="categorical_moderators",
            )


_NEEDS = {
    OutcomeType.BINARY.value: (("outcome", "event"),),
    OutcomeType.CONTINUOUS.value: (("outcome",),),
    OutcomeType.TIME_TO_EVENT.value: (("time",), ("event",)),
}


def _check_participant(h: Mapping[str, Any], columns: Mapping[str, Sequence[str]]) -> None:
    names = list(columns)
    parsed = Harmonisation.from_dict(h, datasets=names)
    covariates = mapped_covariates(h)
    for name, m in parsed.datasets.items():
        available = list(columns[name])
        for key in ("arm", "outcome", "event", "time", "study"):
            column = getattr(m, key)
            if column and column not in available:
                raise _missing(name, str(column), key, available)
        for alternatives in _NEEDS[parsed.outcome_type]:
            if not any(getattr(m, key) for key in alternatives):
                raise AnalysisInputError(
                    f"choose the {alternatives[0]} column (needed for a "
                    f"{OutcomeType(parsed.outcome_type).label.lower()} outcome)",
                    study=name,
                    field=alternatives[0],
                )
        for cov in covariates:
            column = m.covariates.get(cov)
            if not column:
                raise AnalysisInputError(
                    f"covariate {cov!r} is mapped in another dataset; map it here too",
                    study=name,
                    field="covariates",
                )
            if column not in available:
                raise _missing(name, column, "covariates", available)
