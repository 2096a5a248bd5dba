"""/api/v1: a community's treatments as aggregates, and each member's own reports.

Aggregates follow the pages' privacy rule: a treatment's figures are given only when
at least ``TREATMENT_MIN_REPORTERS`` members reported it, and nothing else about it
is said until then. A report is seen, changed or withdrawn by its author alone;
anyone else is told it does not exist.
"""

from __future__ import annotations

from typing import Any

from flask_login import current_user
from sqlalchemy import select

from portal import db, policy
from portal.api import schemas
from portal.api.blueprint import bp
from portal.api.communities import find_community
from portal.api.pagination import page_of, paged
from portal.api.spec import operation
from portal.errors import NotFound
from portal.extensions import limiter, post_limit, user_or_address
from portal.treatments import aggregates, releases, services
from portal.treatments.models import Treatment, TreatmentRelease, TreatmentReport


def _treatment_ref(treatment: Treatment) -> dict[str, Any]:
    return {"id": treatment.id, "name": treatment.name, "kind": treatment.kind}


def aggregate_json(treatment: Treatment, release: TreatmentRelease | None) -> dict[str, Any]:
    if release is None or not release.shown:
        return {"treatment": _treatment_ref(treatment), "enough_reports": False}
    return {
        "treatment": _treatment_ref(treatment),
        "enough_reports": True,
        "released_at": release.released_at.isoformat(),
        **release.figures,
    }


def report_json(report: TreatmentReport) -> dict[str, Any]:
    return {
        "id": report.id,
        "community": report.treatment.community.slug,
        "treatment": _treatment_ref(report.treatment),
        "started_on": report.started_on.isoformat(),
        "stopped_on": report.stopped_on.isoformat() if report.stopped_on else None,
        "duration_days": report.duration_days(services.today()),
        "dose": report.dose,
        "effectiveness": report.effectiveness,
        "side_effects": [{"name": s.name, "severity": s.severity} for s in report.side_effects],
        "adherence": report.adherence,
        "burden": report.burden,
        "cost_band": report.cost_band,
        "reason_stopped": report.reason_stopped,
        "consent_to_publish": report.consent_to_publish,
        "updated_at": report.updated_at.isoformat(),
    }


def _input(body: schemas.TreatmentReportBody) -> services.ReportInput:
    data = body.model_dump()
    data["side_effects"] = [dict(item) for item in data["side_effects"]]
    return services.ReportInput.from_mapping(data)


def _own_report(report_id: int) -> TreatmentReport:
    report = db.session().get(TreatmentReport, report_id)
    user = policy.signed_in(current_user)
    if report is None or user is None or report.user_id != user.id:
        raise NotFound(f"No report {report_id} of yours.")
    return report


# -- aggregates ----------------------------------------------------------------------


@bp.get("/communities/<slug>/treatments")
@operation(
    "A community's treatments, with what members reported",
    "treatments",
    query=schemas.PageQuery,
    responses={200: schemas.TreatmentPage},
    errors=(404,),
    description="The curated list of approved treatments. Each carries figures from "
    "trusted members' reports once min_reporters of them count; every published group of "
    "answers rests on at least that many, and the figures change only when that many "
    "reports have changed. Members' own reports are not trial evidence: see warning.",
)
def list_treatments(slug: str, query: schemas.PageQuery) -> dict[str, Any]:
    community = find_community(slug)
    k = aggregates.for_community(aggregates.floor(), community.min_reporters).k
    listed = services.treatments(db.session(), community)
    published = releases.current(db.session(), [t.id for t in listed])
    return {
        **page_of(listed, query, lambda t: aggregate_json(t, published.get(t.id))),
        "community": community.slug,
        "min_reporters": k,
        "warning": aggregates.WARNING,
    }


@bp.get("/communities/<slug>/treatments/<int:treatment_id>")
@operation(
    "One treatment, with what members reported",
    "treatments",
    responses={200: schemas.TreatmentAggregate},
    errors=(404,),
)
def get_treatment(slug: str, treatment_id: int) -> dict[str, Any]:
    session = db.session()
    community = find_community(slug)
    treatment = services.get_treatment(session, community, treatment_id)
    if treatment is None or not treatment.is_approved:
        raise NotFound(f"No treatment {treatment_id} in {community.slug!r}.")
    return aggregate_json(treatment, releases.current(session, [treatment.id]).get(treatment.id))


# -- one's own reports ---------------------------------------------------------------


@bp.get("/treatment-reports")
@operation(
    "Your treatment reports",
    "treatments",
    auth=True,
    scope="read",
    query=schemas.TreatmentReportQuery,
    responses={200: schemas.TreatmentReportPage},
    errors=(404,),
    description="Only ever your own reports.",
)
def list_reports(query: schemas.TreatmentReportQuery) -> dict[str, Any]:
    user = policy.require_account(current_user)
    statement = (
        select(TreatmentReport)
        .join(Treatment)
        .where(TreatmentReport.user_id == user.id)
        .order_by(Treatment.name, TreatmentReport.id)
    )
    if query.community:
        statement = statement.where(Treatment.community_id == find_community(query.community).id)
    return paged(statement, query, report_json)


@bp.post("/communities/<slug>/treatment-reports")
@limiter.shared_limit(post_limit, "post", key_func=user_or_address)
@operation(
    "Report a treatment you tried",
    "treatments",
    auth=True,
    scope="write",
    body=schemas.TreatmentReportBody,
    responses={201: schemas.TreatmentReport},
    errors=(403, 404),
    description="Members of the community only, one report per treatment. Nobody else "
    "ever sees it; it counts in the published figures once enough reports changed.",
    example={
        "treatment": 1,
        "started_on": "2026-01-15",
        "effectiveness": "moderate",
        "side_effects": [{"name": "nausea", "severity": "mild"}],
        "adherence": 4,
        "burden": 2,
        "cost_band": "low",
    },
)
def create_report(slug: str, body: schemas.TreatmentReportBody) -> tuple[dict[str, Any], int]:
    session = db.session()
    community = find_community(slug)
    report = services.create_report(
        session,
        community,
        policy.require_account(current_user),
        _input(body),
        today=services.today(),
        floor=aggregates.floor(),
    )
    session.commit()
    return report_json(report), 201


@bp.get("/treatment-reports/<int:report_id>")
@operation(
    "Read one of your reports",
    "treatments",
    auth=True,
    scope="read",
    responses={200: schemas.TreatmentReport},
    errors=(404,),
)
def get_report(report_id: int) -> dict[str, Any]:
    return report_json(_own_report(report_id))


@bp.put("/treatment-reports/<int:report_id>")
@limiter.shared_limit(post_limit, "post", key_func=user_or_address)
@operation(
    "Change one of your reports",
    "treatments",
    auth=True,
    scope="write",
    body=schemas.TreatmentReportBody,
    responses={200: schemas.TreatmentReport},
    errors=(403, 404),
    description="Send the whole report, as when creating it.",
)
def update_report(report_id: int, body: schemas.TreatmentReportBody) -> dict[str, Any]:
    session = db.session()
    report = _own_report(report_id)
    services.update_report(
        session,
        report,
        policy.require_account(current_user),
        _input(body),
        today=services.today(),
        floor=aggregates.floor(),
    )
    session.commit()
    return report_json(report)


@bp.delete("/treatment-reports/<int:report_id>")
@operation(
    "Withdraw one of your reports",
    "treatments",
    auth=True,
    scope="write",
    responses={200: schemas.Withdrawn},
    errors=(404,),
    description="Deletes it: it leaves the published figures at their next release and "
    "every future dataset version.",
)
def withdraw_report(report_id: int) -> dict[str, Any]:
    session = db.session()
    report = _own_report(report_id)
    services.withdraw_report(
        session, report, policy.require_account(current_user), floor=aggregates.floor()
    )
    session.commit()
    return {"id": report_id, "withdrawn": True}
