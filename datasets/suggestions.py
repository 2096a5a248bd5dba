"""What the portal suggests for each field of an inferred schema: a title, a
unit, a role, and for the whole table a primary key and enumerations.

These fill the portal's extensions of Table Schema (see :mod:`datasets.schema`)
from column names and the summaries that inference collects. They are only a
starting point: the uploader confirms or edits them.
"""

from __future__ import annotations

import re
from typing import Any

from .stats import ColumnSummary

#: Enumerations are suggested only for short lists that repeat a lot.
_ENUM_MAX = 10
_ENUM_MIN_ROWS = 20


def _norm(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


_ROLE_NAME_PATTERNS: tuple[tuple[str, str], ...] = (
    ("none", r"(rownames?|row_?(id|no|number)?|index|x|unnamed_?\d*|obs|seq)"),
    (
        "participant_id",
        r"(id|usubjid|subjid|pid|ptid|mrn_?id|"
        r"(subject|patient|participant|person|case|record|individual|pt|pat)_?"
        r"(id|no|num|number|code)?)",
    ),
    (
        "study_id",
        r"(study|trial|studyid|trialid|study_?(id|name|no|code)|trial_?(id|name)|"
        r"author|source|reference)",
    ),
    (
        "arm",
        r"(arm|rx|trt|treat|treatment|tx|group|grp|allocation|alloc|randomi[sz]ation|"
        r"randomi[sz]ed|intervention|assigned|assignment|regimen)(_?(arm|group|grp))?",
    ),
    (
        "event",
        r"(status|event|censor|censored|cens|fustat|death|died|dead|relapse|recurrence|"
        r"etype|event_?type|failure|fail|vital_?status)",
    ),
    (
        "time",
        r"(time|futime|fu_?time|follow_?up|days|weeks|months|duration|tte|"
        r"time_?to_?\w+|\w+_time|survival|surv|los|visit|week|day|month|timepoint)",
    ),
    (
        "outcome",
        r"(outcome|response|resp|improved|improvement|cured?|success|result|"
        r"endpoint|primary_?outcome|y)",
    ),
)


def role_from_name(name: str) -> str | None:
    """The role that a column name alone suggests, if any."""
    norm = _norm(name)
    for role, pattern in _ROLE_NAME_PATTERNS:
        if re.fullmatch(pattern, norm):
            return role
    return None


def suggest_role(
    name: str,
    ftype: str,
    *,
    distinct: int | None,
    count: int,
    unique: bool | None,
    max_length: int | None,
) -> str:
    """A starting point for the uploader: roles drive pooling and screening."""
    role = role_from_name(name)
    if role == "participant_id" and distinct is not None and count and distinct < 0.2 * count:
        role = None  # "group", "case" etc. with few values are not identifiers
    if role == "arm" and (distinct is None or distinct > 12):
        role = None
    if role == "event" and ftype not in ("integer", "boolean", "string"):
        role = None
    if role == "time" and ftype not in ("integer", "number", "date", "datetime"):
        role = None
    if role is not None:
        return role
    if ftype in ("date", "datetime"):
        return "time"
    if ftype == "string" and distinct is None and (max_length or 0) > 50:
        return "none"  # free text
    return "covariate"


def suggest_roles_and_keys(
    schema: dict[str, Any], uniques: list[bool | None], summaries: list[ColumnSummary]
) -> None:
    """Adds a role to every field of ``schema``, and the constraints that the
    statistics support: ``required`` and ``unique`` with ``primaryKey`` for the
    first participant id whose values are all present and distinct, ``enum``
    for short lists of repeated labels. ``uniques[i]`` tells whether column i's
    values are distinct (None: not tracked)."""
    fields = schema["fields"]
    key_done = False
    for fdef, unique, summary in zip(fields, uniques, summaries, strict=True):
        role = suggest_role(
            fdef["name"],
            fdef["type"],
            distinct=summary.distinct,
            count=summary.count,
            unique=unique,
            max_length=summary.max_length,
        )
        if role == "none" and unique is False:
            role = "covariate"
        fdef["role"] = role
        constraints: dict[str, Any] = {}
        if role == "participant_id" and unique and summary.missing == 0 and not key_done:
            constraints.update({"required": True, "unique": True})
            schema["primaryKey"] = [fdef["name"]]
            key_done = True
        elif (
            fdef["type"] == "string"
            and role not in ("participant_id", "none")
            and summary.distinct is not None
            and 0 < summary.distinct <= _ENUM_MAX
            and summary.count >= _ENUM_MIN_ROWS
        ):
            constraints["enum"] = sorted(v for v, _ in summary.top)
        if constraints:
            fdef["constraints"] = constraints


# ------------------------------------------------------------------ units --

_UNIT_SUFFIXES = (
    ("mg_dl", "mg/dL"),
    ("mmol_l", "mmol/L"),
    ("g_dl", "g/dL"),
    ("u_l", "U/L"),
    ("mmhg", "mmHg"),
    ("bpm", "beats/min"),
    ("kg_m2", "kg/m2"),
    ("mg", "mg"),
    ("kg", "kg"),
    ("g", "g"),
    ("cm", "cm"),
    ("mm", "mm"),
    ("ml", "mL"),
    ("days", "days"),
    ("weeks", "weeks"),
    ("months", "months"),
    ("years", "years"),
    ("yrs", "years"),
    ("pct", "%"),
    ("percent", "%"),
    ("iu", "IU"),
)


def guess_unit(name: str) -> str | None:
    norm = _norm(name)
    if norm in (
        "age",
        "age_at_entry",
        "age_at_baseline",
        "age_at_randomisation",
        "age_at_randomization",
    ):
        return "years"
    for suffix, unit in _UNIT_SUFFIXES:
        if norm.endswith("_" + suffix):
            return unit
    return None


def humanise(name: str) -> str:
    words = re.sub(r"[._\s]+", " ", name).strip()
    return (words[:1].upper() + words[1:]) if words else name
