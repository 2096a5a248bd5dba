"""What may be published about a treatment: figures over trusted members' reports that
no one can be singled out from.

The figures of a treatment are computed from the reports of trusted accounts only
(portal.policy.trusted_accounts), and nothing is computed below k reporters. Each
table in them passes portal.treatments.disclosure: every group of answers shown holds
at least k reporters, and at least two groups hold any. Side effects are free text:
one is named only when at least k reporters named it and at least k did not. The
figures are stored as a release (portal.treatments.releases) and pages show releases,
never live counts.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import current_app

from portal.treatments import disclosure
from portal.treatments.models import Treatment, TreatmentReport

#: At most this many side effects are listed, the most often named first.
TOP_SIDE_EFFECTS = 8
WARNING = (
    "These are members' own reports, not evidence from a clinical trial: people "
    "who felt helped are more likely to report, nobody was compared with a control "
    "group, and nothing here is medical advice."
)


def min_reporters(config: Mapping[str, Any] | None = None) -> int:
    """k: the app's TREATMENT_MIN_REPORTERS (PORTAL_TREATMENT_MIN_REPORTERS), never below 2."""
    config = current_app.config if config is None else config
    value = config["TREATMENT_MIN_REPORTERS"]
    # k = 1 would show single reports; 2 is the least that still pools anything.
    return max(2, int(value))


@dataclass(frozen=True)
class Floor:
    """The privacy floor of published figures: k, and how old an account must be for
    its reports to count (portal.policy.trusted_accounts)."""

    k: int
    trusted_after: timedelta


def floor(config: Mapping[str, Any] | None = None) -> Floor:
    """The app's floor (TREATMENT_MIN_REPORTERS, TRUST_AFTER_DAYS)."""
    config = current_app.config if config is None else config
    return Floor(min_reporters(config), timedelta(days=int(config["TRUST_AFTER_DAYS"])))


def for_community(floor: Floor, raised_to: int | None) -> Floor:
    """The floor in a community whose moderators set it to ``raised_to``: a community
    may raise the site's floor, never lower it, whatever is stored."""
    return Floor(max(floor.k, raised_to or 0), floor.trusted_after)


def meets(published: Mapping[str, Any], reporters: int, k: int) -> bool:
    """Whether figures published earlier (under a lower floor, say) rest on at least k
    reporters in every group they show."""
    if reporters < k:
        return False

    def cells(rows: list[dict[str, Any]]) -> list[disclosure.Cell]:
        return [disclosure.Cell(row["label"], tuple(row["answers"]), row["count"]) for row in rows]

    effectiveness = published.get("effectiveness")
    if effectiveness and not disclosure.publishable(cells(effectiveness), k):
        return False
    for effect in published.get("side_effects", []):
        if not disclosure.presence(reporters, effect["reporters"], k):
            return False
        if effect["severity"] and not disclosure.publishable(cells(effect["severity"]), k):
            return False
    return True


def figures(reports: Iterable[TreatmentReport], k: int) -> dict[str, Any]:
    """The publishable figures of one treatment's reports ({} below k reporters).

    One report per member and treatment (the database enforces it), so reporters
    and reports are the same count.
    """
    chosen = list(reports)
    reporters = len(chosen)
    if reporters < k:
        return {}
    effectiveness = disclosure.finest_publishable(
        Counter(report.effectiveness for report in chosen), disclosure.EFFECTIVENESS, k
    )
    named: dict[str, Counter[str]] = {}
    for report in chosen:
        for effect in report.side_effects:
            named.setdefault(effect.name, Counter())[effect.severity] += 1
    side_effects = []
    for name, severities in sorted(named.items(), key=lambda item: (-item[1].total(), item[0])):
        count = severities.total()
        if not disclosure.presence(reporters, count, k):
            continue
        split = disclosure.finest_publishable(severities, disclosure.SEVERITY, k)
        side_effects.append(
            {
                "name": name,
                "reporters": count,
                "severity": [cell.to_dict() for cell in split] if split else None,
            }
        )
    return {
        "reporters": reporters,
        "effectiveness": [cell.to_dict() for cell in effectiveness] if effectiveness else None,
        "share_helped": (
            round(disclosure.share_helped(effectiveness), 4) if effectiveness else None
        ),
        "side_effects": side_effects[:TOP_SIDE_EFFECTS],
    }


@dataclass
class ChartPoint:
    treatment: Treatment
    reporters: int
    share_helped: float
