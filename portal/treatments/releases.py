"""When figures about a treatment are published: in batches of at least k changed reports.

Comparing the figures shown before and after one member's report would show exactly
what that member reported. So pages never show live counts: they show a treatment's
latest release, and a new release is made only when, since the last release that
showed figures, at least k of the reports behind it were added, changed or
withdrawn (or their accounts became trusted). Between two releases at least k
reports differ, so none can be isolated by differencing, unless someone controls
k - 1 of them, which the trust rule (portal.policy.trusted_accounts) makes costly.

When fewer than k trusted members remain (a withdrawal, say), the figures are taken
down at once: that reveals nothing about any report. They come back only when k
reports differ from the last figures shown. A withdrawn report therefore leaves the
published figures at the next release, not at the moment it is withdrawn; it is
deleted from the database at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from portal import policy
from portal.accounts.models import User
from portal.community.models import Community
from portal.db import utcnow
from portal.jobs.runner import job_session
from portal.treatments import aggregates
from portal.treatments.models import (
    Treatment,
    TreatmentRelease,
    TreatmentReport,
    TreatmentStatus,
)


def trusted_reports(
    db: Session, treatment: Treatment, floor: aggregates.Floor, now: datetime
) -> list[TreatmentReport]:
    """The reports of ``treatment`` that count: those of trusted accounts."""
    return list(
        db.scalars(
            select(TreatmentReport)
            .join(User, User.id == TreatmentReport.user_id)
            .where(
                TreatmentReport.treatment_id == treatment.id,
                policy.trusted_accounts(now, floor.trusted_after),
            )
            .options(selectinload(TreatmentReport.side_effects))
            .order_by(TreatmentReport.id)
        )
    )


def basis_of(reports: list[TreatmentReport]) -> dict[str, str]:
    """Each report by id, with when it last changed (an edit makes it a new report)."""
    return {str(report.id): report.updated_at.isoformat() for report in reports}


def changed(before: Mapping[str, str], after: Mapping[str, str]) -> int:
    """How many reports differ between two bases: added, withdrawn or edited."""
    return sum(1 for key in before.keys() | after.keys() if before.get(key) != after.get(key))


def latest(db: Session, treatment_id: int, *, shown: bool = False) -> TreatmentRelease | None:
    statement = select(TreatmentRelease).where(TreatmentRelease.treatment_id == treatment_id)
    if shown:
        statement = statement.where(TreatmentRelease.reporters > 0)
    return db.scalar(statement.order_by(TreatmentRelease.id.desc()).limit(1))


def current(db: Session, treatment_ids: list[int]) -> dict[int, TreatmentRelease]:
    """The latest release of each treatment that has one."""
    if not treatment_ids:
        return {}
    newest = (
        select(func.max(TreatmentRelease.id))
        .where(TreatmentRelease.treatment_id.in_(treatment_ids))
        .group_by(TreatmentRelease.treatment_id)
    )
    return {
        release.treatment_id: release
        for release in db.scalars(select(TreatmentRelease).where(TreatmentRelease.id.in_(newest)))
    }


def chart_points(
    treatments: list[Treatment], published: Mapping[int, TreatmentRelease]
) -> list[aggregates.ChartPoint]:
    """Effectiveness against popularity, for the treatments whose released figures say
    how many it helped; most reported first."""
    points = []
    for treatment in treatments:
        release = published.get(treatment.id)
        if release is None or not release.shown:
            continue
        share = release.figures.get("share_helped")
        if share is not None:
            points.append(aggregates.ChartPoint(treatment, release.reporters, share))
    return sorted(points, key=lambda p: (-p.reporters, p.treatment.name))


def refresh(
    db: Session, treatment: Treatment, floor: aggregates.Floor, now: datetime | None = None
) -> TreatmentRelease | None:
    """Release the treatment's figures anew if the rules above allow; the new release,
    or None when the published figures stay as they are."""
    now = now or utcnow()
    floor = aggregates.for_community(floor, treatment.community.min_reporters)
    k = floor.k
    reports = trusted_reports(db, treatment, floor, now)
    previous = latest(db, treatment.id)
    take_down = TreatmentRelease(treatment_id=treatment.id, released_at=now)
    if len(reports) < k:
        if previous is None or not previous.shown:
            return None
        release = take_down
    else:
        basis = basis_of(reports)
        last_shown = latest(db, treatment.id, shown=True)
        if last_shown is not None and (difference := changed(last_shown.basis, basis)) < k:
            # Figures on show that a raised floor no longer allows come down at once;
            # they are recomputed at once only from exactly the same reports, where a
            # coarser table tells nothing new.
            if previous is None or not previous.shown:
                return None
            if aggregates.meets(previous.figures, previous.reporters, k):
                return None
            release = take_down if difference else _released(treatment, reports, basis, k, now)
        else:
            release = _released(treatment, reports, basis, k, now)
    db.add(release)
    db.flush()
    return release


def _released(
    treatment: Treatment,
    reports: list[TreatmentReport],
    basis: dict[str, str],
    k: int,
    now: datetime,
) -> TreatmentRelease:
    return TreatmentRelease(
        treatment_id=treatment.id,
        released_at=now,
        reporters=len(reports),
        figures=aggregates.figures(reports, k),
        basis=basis,
    )


def refresh_community(
    db: Session, community: Community, floor: aggregates.Floor, now: datetime
) -> int:
    """Refresh every approved treatment of ``community``; how many were released."""
    treatments = db.scalars(
        select(Treatment).where(
            Treatment.community_id == community.id, Treatment.status == TreatmentStatus.APPROVED
        )
    ).all()
    return sum(1 for treatment in treatments if refresh(db, treatment, floor, now) is not None)


def refresh_all(app: Flask) -> int:
    """The periodic task: accounts become trusted as they age, so figures may be due
    without anyone reporting."""
    released = 0
    with job_session(app) as session:
        floor = aggregates.floor(app.config)
        now = utcnow()
        treatments = session.scalars(
            select(Treatment).where(Treatment.status == TreatmentStatus.APPROVED)
        ).all()
        for treatment in treatments:
            if refresh(session, treatment, floor, now) is not None:
                released += 1
        session.commit()
    return released
