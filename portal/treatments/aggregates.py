"""What the community may see of its reports: aggregates over at least k members.

Below the threshold nothing is returned at all, not even the number of reports, so
no one's report can be singled out by comparing pages before and after it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.community.models import Community
from portal.treatments.models import (
    EFFECT_LABELS,
    EFFECT_SCORES,
    Effectiveness,
    ReportSideEffect,
    Treatment,
    TreatmentReport,
    TreatmentStatus,
)

TOP_SIDE_EFFECTS = 8
WARNING = (
    "These are members' own reports, not evidence from a clinical trial: people "
    "who felt helped are more likely to report, nobody was compared with a control "
    "group, and nothing here is medical advice."
)


def min_reporters(config: Any = None) -> int:
    """k: the app's TREATMENT_MIN_REPORTERS (PORTAL_TREATMENT_MIN_REPORTERS), never below 2."""
    config = current_app.config if config is None else config
    value = config["TREATMENT_MIN_REPORTERS"]
    # k = 1 would show single reports; 2 is the least that still pools anything.
    return max(2, int(value))


@dataclass
class Summary:
    treatment: Treatment
    reporters: int
    reports: int
    distribution: list[tuple[str, str, int]]  # (value, label, count) in scale order
    side_effects: list[tuple[str, int, dict[str, int]]] = field(default_factory=list)
    mean_score: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "treatment": {
                "id": self.treatment.id,
                "name": self.treatment.name,
                "kind": self.treatment.kind,
            },
            "reporters": self.reporters,
            "reports": self.reports,
            "effectiveness": {value: count for value, _, count in self.distribution},
            "mean_effectiveness_score": round(self.mean_score, 3),
            "side_effects": [
                {"name": name, "reports": count, "severity": severities}
                for name, count, severities in self.side_effects
            ],
        }


def _reporter_counts(db: Session, treatment_ids: list[int]) -> dict[int, int]:
    if not treatment_ids:
        return {}
    rows = db.execute(
        select(TreatmentReport.treatment_id, func.count(func.distinct(TreatmentReport.user_id)))
        .where(TreatmentReport.treatment_id.in_(treatment_ids))
        .group_by(TreatmentReport.treatment_id)
    ).all()
    return {treatment_id: count for treatment_id, count in rows}


def summary(db: Session, treatment: Treatment, k: int) -> Summary | None:
    """The treatment's aggregate, or None when fewer than k members reported it."""
    reporters = _reporter_counts(db, [treatment.id]).get(treatment.id, 0)
    if reporters < k:
        return None
    effects = Counter(
        dict(
            db.execute(
                select(TreatmentReport.effectiveness, func.count())
                .where(TreatmentReport.treatment_id == treatment.id)
                .group_by(TreatmentReport.effectiveness)
            ).all()
        )
    )
    reports = sum(effects.values())
    distribution = [(e.value, EFFECT_LABELS[e], effects.get(e.value, 0)) for e in Effectiveness]
    mean = sum(EFFECT_SCORES[Effectiveness(v)] * n for v, n in effects.items()) / reports
    by_effect: dict[str, Counter] = {}
    for name, severity, count in db.execute(
        select(ReportSideEffect.name, ReportSideEffect.severity, func.count())
        .join(TreatmentReport, TreatmentReport.id == ReportSideEffect.report_id)
        .where(TreatmentReport.treatment_id == treatment.id)
        .group_by(ReportSideEffect.name, ReportSideEffect.severity)
    ).all():
        by_effect.setdefault(name, Counter())[severity] += count
    side_effects = sorted(
        ((name, sum(c.values()), dict(c)) for name, c in by_effect.items()),
        key=lambda item: (-item[1], item[0]),
    )[:TOP_SIDE_EFFECTS]
    return Summary(treatment, reporters, reports, distribution, side_effects, mean)


@dataclass
class ChartPoint:
    treatment: Treatment
    reporters: int
    mean_score: float


def community_points(db: Session, community: Community, k: int) -> list[ChartPoint]:
    """Effectiveness against popularity, for the treatments with at least k reporters."""
    approved = list(
        db.scalars(
            select(Treatment).where(
                Treatment.community_id == community.id,
                Treatment.status == TreatmentStatus.APPROVED.value,
            )
        )
    )
    counts = _reporter_counts(db, [t.id for t in approved])
    shown = [t for t in approved if counts.get(t.id, 0) >= k]
    if not shown:
        return []
    scores: dict[int, list[int]] = {}
    for treatment_id, effectiveness, count in db.execute(
        select(TreatmentReport.treatment_id, TreatmentReport.effectiveness, func.count())
        .where(TreatmentReport.treatment_id.in_([t.id for t in shown]))
        .group_by(TreatmentReport.treatment_id, TreatmentReport.effectiveness)
    ).all():
        total = scores.setdefault(treatment_id, [0, 0])
        total[0] += EFFECT_SCORES[Effectiveness(effectiveness)] * count
        total[1] += count
    return sorted(
        (ChartPoint(t, counts[t.id], scores[t.id][0] / scores[t.id][1]) for t in shown),
        key=lambda p: (-p.reporters, p.treatment.name),
    )


def has_enough(db: Session, treatment_ids: list[int], k: int) -> dict[int, bool]:
    counts = _reporter_counts(db, treatment_ids)
    return {treatment_id: counts.get(treatment_id, 0) >= k for treatment_id in treatment_ids}
