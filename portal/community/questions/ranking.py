"""How question lists are ordered: "top", "new" and "trending".

Members can only support a question (there is no down-vote), so "top" is the
support count; a Wilson lower bound needs both up and down signals and would
add nothing here. The formulas are shown on the list pages (``FORMULAS``), and
the tests check them against hand-computed values.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

SORTS = ("top", "new", "trending")
DEFAULT_SORT = "top"

#: Only support given in this window counts towards "trending".
TRENDING_WINDOW = timedelta(days=7)
#: Hours added to a question's age, so a brand-new question does not divide by ~0.
TRENDING_AGE_OFFSET_HOURS = 2.0
#: How fast age wins over recent support; 1.5 is a common choice for news feeds.
TRENDING_GRAVITY = 1.5

#: Each order in a sentence for members; the formulas sit behind "how is this ranked?".
PLAIN = {
    "top": "Questions with the most support come first.",
    "new": "The newest questions come first.",
    "trending": (
        "Questions gaining support fastest this week come first; older questions need "
        "more support to stay near the top."
    ),
}

FORMULAS = {
    "top": "Most support first. Equal support: the newer question first.",
    "new": "Most recently proposed first.",
    "trending": (
        f"score = s / (h + {TRENDING_AGE_OFFSET_HOURS:g})^{TRENDING_GRAVITY:g}, where s is "
        f"the support given in the last {TRENDING_WINDOW.days} days and h is the question's "
        "age in hours. Higher score first; equal scores: the newer question first."
    ),
}


@dataclass(frozen=True)
class Rankable:
    """What the formulas need to know about a question."""

    id: int
    created_at: datetime
    support: int
    recent_support: int


def trending_score(recent_support: int, age_hours: float) -> float:
    age_hours = max(age_hours, 0.0)  # a clock slightly behind the database's
    return recent_support / (age_hours + TRENDING_AGE_OFFSET_HOURS) ** TRENDING_GRAVITY


def age_in_hours(created_at: datetime, now: datetime) -> float:
    return (now - created_at).total_seconds() / 3600.0


T = TypeVar("T")


def sort_key(item: Rankable, sort: str, now: datetime) -> tuple:
    # Newer first on ties; the id settles questions created in the same instant.
    newer = (-item.created_at.timestamp(), -item.id)
    if sort == "top":
        return (-item.support, *newer)
    if sort == "new":
        return newer
    if sort == "trending":
        score = trending_score(item.recent_support, age_in_hours(item.created_at, now))
        return (-score, *newer)
    raise ValueError(f"unknown sort {sort!r}; use one of {', '.join(SORTS)}")


def order(
    items: Iterable[tuple[Rankable, T]], sort: str, now: datetime
) -> Sequence[tuple[Rankable, T]]:
    """Sort (rankable, payload) pairs by ``sort``; payloads ride along untouched."""
    return sorted(items, key=lambda pair: sort_key(pair[0], sort, now))
