"""What members and moderators do with treatments. Functions take a session and never commit.

Every check happens before the first write, so a refused request leaves nothing behind.
Bad input raises ``ServiceError(message, field)``; someone else's report, ``Forbidden``;
a non-member, ``MembershipRequired``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from portal import policy
from portal.accounts.models import User
from portal.community.models import Community
from portal.db import utcnow
from portal.errors import Conflict, ServiceError
from portal.treatments import aggregates, releases
from portal.treatments.models import (
    DOSE_MAX,
    NAME_MAX,
    SIDE_EFFECT_MAX,
    CostBand,
    Effectiveness,
    ReasonStopped,
    ReportSideEffect,
    Severity,
    Treatment,
    TreatmentKind,
    TreatmentReport,
    TreatmentStatus,
)

MAX_SIDE_EFFECTS = 12
SCALE = range(1, 6)


def today() -> date:
    """The latest date anywhere on Earth (UTC+14): a member's "today" is never "future"."""
    return (utcnow() + timedelta(hours=14)).date()


def name_key(name: str) -> str:
    """What makes two names the same treatment: case and spacing do not count."""
    return re.sub(r"\s+", " ", name).strip().casefold()


# -- the curated list ---------------------------------------------------------------------


def treatments(
    db: Session, community: Community, *, status: TreatmentStatus = TreatmentStatus.APPROVED
) -> list[Treatment]:
    return list(
        db.scalars(
            select(Treatment)
            .where(Treatment.community_id == community.id, Treatment.status == status.value)
            .order_by(Treatment.name)
        )
    )


def get_treatment(db: Session, community: Community, treatment_id: Any) -> Treatment | None:
    try:
        number = int(treatment_id)
    except (TypeError, ValueError):
        return None
    if not 0 < number < 2**31:  # PostgreSQL would refuse the lookup of an out-of-range id
        return None
    treatment = db.get(Treatment, number)
    if treatment is None or treatment.community_id != community.id:
        return None
    return treatment


def propose(
    db: Session, community: Community, user: User, *, name: str, kind: str, description: str = ""
) -> Treatment:
    """Add a treatment to the list: approved at once when a moderator adds it."""
    policy.require_member(db, community, user, "propose a treatment")
    clean = re.sub(r"\s+", " ", name or "").strip()
    if not clean or len(clean) > NAME_MAX:
        raise ServiceError(f"Give the treatment a name of 1 to {NAME_MAX} characters.", "name")
    if kind not in {k.value for k in TreatmentKind}:
        raise ServiceError("Choose whether it is a drug or a non-drug treatment.", "kind")
    existing = db.scalar(
        select(Treatment).where(
            Treatment.community_id == community.id, Treatment.key == name_key(clean)
        )
    )
    if existing is not None:
        raise ServiceError(
            f"“{existing.name}” is already on this community's list"
            + (" (waiting for a moderator)." if existing.status == "proposed" else "."),
            "name",
        )
    approved = policy.can_moderate(db, community.id, user)
    treatment = Treatment(
        community_id=community.id,
        name=clean,
        key=name_key(clean),
        kind=kind,
        description=(description or "").strip(),
        proposed_by_id=user.id,
        status=(TreatmentStatus.APPROVED if approved else TreatmentStatus.PROPOSED).value,
        decided_at=utcnow() if approved else None,
    )
    try:
        with db.begin_nested():
            db.add(treatment)
    except IntegrityError:  # the same name proposed at the same moment in another tab
        raise ServiceError(f"“{clean}” is already on this community's list.", "name") from None
    return treatment


def decide(db: Session, treatment: Treatment, moderator: User, *, approve: bool) -> None:
    policy.require_moderator(db, treatment.community_id, moderator)
    if treatment.status != TreatmentStatus.PROPOSED:
        raise Conflict("That proposal has already been decided.")
    treatment.status = (TreatmentStatus.APPROVED if approve else TreatmentStatus.REJECTED).value
    treatment.decided_at = utcnow()


# -- reports -------------------------------------------------------------------------------


@dataclass
class ReportInput:
    """A report as typed: every value is text (or a list), checked by ``check``."""

    treatment: Any = None
    started_on: Any = ""
    stopped_on: Any = ""
    dose: Any = ""
    effectiveness: Any = ""
    side_effects: Any = ""  # "nausea: mild" per line, or a list of {"name", "severity"}
    adherence: Any = ""
    burden: Any = ""
    cost_band: Any = ""
    reason_stopped: Any = ""
    consent_to_publish: Any = False
    member: Any = None  # whose report: must be the person sending it

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> ReportInput:
        known = {name: data[name] for name in cls.__dataclass_fields__ if name in data}
        return cls(**known)


@dataclass
class CheckedReport:
    treatment: Treatment
    started_on: date
    stopped_on: date | None
    dose: str
    effectiveness: str
    side_effects: list[tuple[str, str]] = field(default_factory=list)
    adherence: int = 0
    burden: int = 0
    cost_band: str = ""
    reason_stopped: str = ""
    consent_to_publish: bool = False


def _date(value: Any, name: str, label: str, today: date) -> date | None:
    """The date typed, or None when left empty."""
    if isinstance(value, date):
        parsed = value
    elif value is None or str(value).strip() == "":
        return None
    else:
        try:
            parsed = date.fromisoformat(str(value).strip())
        except ValueError:
            raise ServiceError(f"{label} must be a date (YYYY-MM-DD).", name) from None
    if parsed > today:
        raise ServiceError(f"{label} cannot be in the future.", name)
    if parsed.year < 1900:
        raise ServiceError(f"{label} must be after 1900.", name)
    return parsed


def _scale(value: Any, name: str, label: str) -> int:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        raise ServiceError(f"{label} must be a whole number from 1 to 5.", name) from None
    if number not in SCALE:
        raise ServiceError(f"{label} must be from 1 to 5 (you gave {number}).", name)
    return number


def _choice(value: Any, name: str, label: str, allowed: Iterable[str]) -> str:
    text = "" if value is None else str(value).strip()
    allowed = list(allowed)
    if text not in allowed:
        shown = ", ".join(repr(a) for a in allowed if a) or "none"
        raise ServiceError(f"{label} must be one of {shown}.", name)
    return text


def parse_side_effects(value: Any) -> list[tuple[str, str]]:
    """Lines of "name: severity" (or a list of pairs/dicts) into (name, severity)."""
    if value is None or value == "":
        return []
    if isinstance(value, str):
        items: list[Any] = [line for line in value.splitlines() if line.strip()]
    elif isinstance(value, list):
        items = value
    else:
        raise ServiceError("Side effects must be a list.", "side_effects")
    seen: dict[str, str] = {}
    for number, item in enumerate(items, start=1):
        if isinstance(item, dict):
            name, severity = item.get("name", ""), item.get("severity", "")
        elif isinstance(item, str):
            name, _, severity = item.rpartition(":")
            if not _:
                name, severity = item, ""
        else:
            raise ServiceError(f"Side effect {number} must be “name: severity”.", "side_effects")
        name = re.sub(r"\s+", " ", str(name)).strip().lower()
        severity = str(severity).strip().lower()
        if not name or len(name) > SIDE_EFFECT_MAX:
            raise ServiceError(
                f"Side effect {number} needs a name of 1 to {SIDE_EFFECT_MAX} characters.",
                "side_effects",
            )
        if severity not in {s.value for s in Severity}:
            raise ServiceError(
                f"Side effect {number} ({name}) needs a severity: mild, "
                "moderate or severe, e.g. “nausea: mild”.",
                "side_effects",
            )
        seen[name] = severity  # the same side effect twice: the last severity counts
    if len(seen) > MAX_SIDE_EFFECTS:
        raise ServiceError(f"List at most {MAX_SIDE_EFFECTS} side effects.", "side_effects")
    return sorted(seen.items())


def _truthy(value: Any) -> bool:
    return value is True or str(value).strip().lower() in {"1", "true", "y", "yes", "on"}


def check(
    db: Session, community: Community, actor: User, data: ReportInput, *, today: date
) -> CheckedReport:
    """Every rule a report must meet, in form order; raises naming the first bad field."""
    if data.member not in (None, "") and str(data.member).strip() != str(actor.id):
        # A plain error, not a 403: the form shows it next to the field that was forged.
        raise ServiceError(
            "You can only report your own treatments, not another member's.", "member"
        )
    policy.require_member(db, community, actor, "report a treatment")
    treatment = get_treatment(db, community, data.treatment)
    if treatment is None or not treatment.is_approved:
        raise ServiceError(
            "Choose a treatment from this community's list (or propose a new one).", "treatment"
        )
    started = _date(data.started_on, "started_on", "Start date", today)
    if started is None:
        raise ServiceError("Start date is required.", "started_on")
    stopped = _date(data.stopped_on, "stopped_on", "Stop date", today)
    if stopped is not None and stopped < started:
        raise ServiceError("Stop date is before the start date.", "stopped_on")
    dose = re.sub(r"\s+", " ", str(data.dose or "")).strip()
    if len(dose) > DOSE_MAX:
        raise ServiceError(f"Dose must be at most {DOSE_MAX} characters.", "dose")
    effectiveness = _choice(
        data.effectiveness, "effectiveness", "Effectiveness", [e.value for e in Effectiveness]
    )
    side_effects = parse_side_effects(data.side_effects)
    adherence = _scale(data.adherence, "adherence", "Adherence")
    burden = _scale(data.burden, "burden", "Burden")
    cost_band = _choice(data.cost_band, "cost_band", "Cost", [c.value for c in CostBand])
    reason = _choice(
        data.reason_stopped or "",
        "reason_stopped",
        "Reason for stopping",
        [r.value for r in ReasonStopped],
    )
    if stopped is None and reason:
        raise ServiceError(
            "Give a stop date, or leave the reason for stopping empty.", "stopped_on"
        )
    if stopped is not None and not reason:
        raise ServiceError("Say why you stopped (or “finished the course”).", "reason_stopped")
    return CheckedReport(
        treatment,
        started,
        stopped,
        dose,
        effectiveness,
        side_effects,
        adherence,
        burden,
        cost_band,
        reason,
        _truthy(data.consent_to_publish),
    )


def _apply(report: TreatmentReport, checked: CheckedReport) -> None:
    report.treatment_id = checked.treatment.id
    report.started_on = checked.started_on
    report.stopped_on = checked.stopped_on
    report.dose = checked.dose
    report.effectiveness = checked.effectiveness
    report.adherence = checked.adherence
    report.burden = checked.burden
    report.cost_band = checked.cost_band
    report.reason_stopped = checked.reason_stopped
    report.consent_to_publish = checked.consent_to_publish
    report.side_effects[:] = [
        ReportSideEffect(name=name, severity=severity) for name, severity in checked.side_effects
    ]


def create_report(
    db: Session,
    community: Community,
    actor: User,
    data: ReportInput,
    *,
    today: date,
    floor: aggregates.Floor,
    release: bool = True,
) -> TreatmentReport:
    """A member's report; ``release=False`` leaves the figures to one
    :func:`portal.treatments.releases.refresh` after a batch of reports (the demo's)."""
    checked = check(db, community, actor, data, today=today)
    if own_report(db, checked.treatment, actor) is not None:
        raise ServiceError(
            f"You already reported {checked.treatment.name}; edit that report instead.", "treatment"
        )
    report = TreatmentReport(user_id=actor.id)
    _apply(report, checked)
    try:
        with db.begin_nested():
            db.add(report)
    except IntegrityError:  # the same report sent twice at once (two tabs, a double click)
        raise ServiceError(
            f"You already reported {checked.treatment.name}; edit that report instead.", "treatment"
        ) from None
    if release:
        _release(db, floor, checked.treatment)
    return report


def _release(db: Session, floor: aggregates.Floor, *treatments: Treatment) -> None:
    """Publish the figures anew where enough reports changed (portal.treatments.releases)."""
    for treatment in dict.fromkeys(treatments):
        releases.refresh(db, treatment, floor)


def update_report(
    db: Session,
    report: TreatmentReport,
    actor: User,
    data: ReportInput,
    *,
    today: date,
    floor: aggregates.Floor,
) -> TreatmentReport:
    policy.require_report_author(actor, report)
    community = report.treatment.community
    checked = check(db, community, actor, data, today=today)
    if checked.treatment.id != report.treatment_id:
        other = own_report(db, checked.treatment, actor)
        if other is not None:
            raise ServiceError(f"You already reported {checked.treatment.name}.", "treatment")
    # Replace the side effects in a separate flush so the (report, name) constraint
    # never sees the old and new rows together.
    before = report.treatment
    report.side_effects.clear()
    db.flush()
    _apply(report, checked)
    # Changed side effects alone leave the report's row as it was: it is a new
    # report all the same for what is published (portal.treatments.releases).
    report.updated_at = utcnow()
    db.flush()
    db.refresh(report, ["treatment"])
    _release(db, floor, before, report.treatment)
    return report


def withdraw_report(
    db: Session, report: TreatmentReport, actor: User, *, floor: aggregates.Floor
) -> None:
    """Delete the report. It leaves the published figures at their next release, and
    every future version of the community's dataset."""
    policy.require_report_author(actor, report)
    treatment = report.treatment
    db.delete(report)
    db.flush()
    _release(db, floor, treatment)


def set_consent(db: Session, report: TreatmentReport, actor: User, consent: bool) -> None:
    policy.require_report_author(actor, report)
    report.consent_to_publish = consent
    db.flush()


def own_report(db: Session, treatment: Treatment, user: User) -> TreatmentReport | None:
    return db.scalar(
        select(TreatmentReport).where(
            TreatmentReport.treatment_id == treatment.id, TreatmentReport.user_id == user.id
        )
    )


def reports_of(db: Session, community: Community, user: User) -> list[TreatmentReport]:
    return list(
        db.scalars(
            select(TreatmentReport)
            .join(Treatment)
            .where(Treatment.community_id == community.id, TreatmentReport.user_id == user.id)
            .order_by(Treatment.name)
        )
    )
