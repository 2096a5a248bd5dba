"""Treatment pages of a community: the curated list, the chart, reports, publication."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required
from wtforms.fields.choices import SelectChoice

from portal import db, policy
from portal.community.models import Community
from portal.community.web import (
    apply_and_return,
    community_or_404,
    form_page,
    me,
    refuse,
    require_valid,
)
from portal.errors import ServiceError
from portal.extensions import the_app
from portal.treatments import aggregates, charts, demo, publication, releases, services
from portal.treatments.forms import ActionForm, ProposeForm, ReportForm
from portal.treatments.models import Treatment, TreatmentReport, TreatmentStatus

bp = Blueprint("treatments", __name__, url_prefix="/communities/<slug>/treatments")


def _user():
    return current_user if current_user.is_authenticated else None


def _treatment_or_404(community: Community, treatment_id: int) -> Treatment:
    treatment = services.get_treatment(db.session(), community, treatment_id)
    if treatment is None:
        abort(404)
    return treatment


def _own_report_or_404(community: Community, report_id: int) -> TreatmentReport:
    """Someone else's report is not found: its existence is private too."""
    report = db.session().get(TreatmentReport, report_id) if report_id < 2**31 else None
    if report is None or report.treatment.community_id != community.id or report.user_id != me().id:
        abort(404)
    return report


def _back(slug: str) -> str:
    return url_for("treatments.index", slug=slug)


@bp.get("/")
def index(slug: str):
    session = db.session()
    community = community_or_404(slug)
    user = _user()
    k = aggregates.for_community(aggregates.floor(), community.min_reporters).k
    listed = services.treatments(session, community)
    published = releases.current(session, [t.id for t in listed])
    enough = {t.id: t.id in published and published[t.id].shown for t in listed}
    points = releases.chart_points(listed, published)
    may_moderate = policy.can_moderate(session, community.id, user)
    return render_template(
        "treatments/index.html",
        community=community,
        treatments=listed,
        enough=enough,
        k=k,
        chart=charts.effectiveness_vs_popularity(
            points, f"{community.name}: effectiveness against popularity"
        )
        if points
        else None,
        warning=aggregates.WARNING,
        is_member=policy.is_member(session, community.id, user),
        may_moderate=may_moderate,
        may_publish=policy.can_review(session, community.id, user),
        proposals=services.treatments(session, community, status=TreatmentStatus.PROPOSED)
        if may_moderate
        else [],
        mine=services.reports_of(session, community, user) if user else [],
        dataset=publication.dataset_of(session, community),
        propose_form=ProposeForm(),
        action_form=ActionForm(),
        today=services.today(),
        synthetic=demo.has_synthetic_reports(session, community),
    )


@bp.post("/propose")
@login_required
def propose(slug: str):
    form = ProposeForm()
    require_valid(form)
    session = db.session()
    community = community_or_404(slug)
    return apply_and_return(
        _back(slug),
        lambda: services.propose(
            session,
            community,
            me(),
            name=form.name.data or "",
            kind=form.kind.data or "",
            description=form.description.data or "",
        ),
        lambda treatment: (
            f"{treatment.name} is on the list."
            if treatment.is_approved
            else f"Thank you: a moderator will review “{treatment.name}”."
        ),
    )


@bp.post("/<int:treatment_id>/<any(approve, reject):decision>")
@login_required
def decide(slug: str, treatment_id: int, decision: str):
    require_valid(ActionForm())
    session = db.session()
    community = community_or_404(slug)
    treatment = _treatment_or_404(community, treatment_id)
    return apply_and_return(
        _back(slug),
        lambda: services.decide(session, treatment, me(), approve=decision == "approve"),
        lambda _: f"{treatment.name}: {treatment.status}.",
    )


@bp.get("/<int:treatment_id>")
def show(slug: str, treatment_id: int):
    session = db.session()
    community = community_or_404(slug)
    treatment = _treatment_or_404(community, treatment_id)
    if not treatment.is_approved and not policy.can_moderate(session, community.id, _user()):
        abort(404)
    k = aggregates.for_community(aggregates.floor(), community.min_reporters).k
    release = releases.current(session, [treatment.id]).get(treatment.id)
    figures = release.figures if release is not None and release.shown else None
    user = _user()
    return render_template(
        "treatments/show.html",
        community=community,
        treatment=treatment,
        figures=figures,
        released_at=release.released_at if release is not None and figures else None,
        k=k,
        chart=charts.effectiveness_bars(
            figures["effectiveness"],
            figures["reporters"],
            f"{treatment.name}: perceived effectiveness",
        )
        if figures and figures["effectiveness"]
        else None,
        warning=aggregates.WARNING,
        mine=services.own_report(session, treatment, user) if user else None,
        is_member=policy.is_member(session, community.id, user),
        synthetic=demo.has_synthetic_reports(session, community),
    )


def _choices(form: ReportForm, community: Community) -> None:
    form.treatment.choices = [SelectChoice("", "— choose —")] + [
        SelectChoice(str(t.id), f"{t.name} ({t.kind})")
        for t in services.treatments(db.session(), community)
    ]


def _input(form: ReportForm) -> services.ReportInput:
    return services.ReportInput(
        **{
            name: getattr(form, name).data
            for name in (
                "treatment",
                "started_on",
                "stopped_on",
                "dose",
                "effectiveness",
                "side_effects",
                "adherence",
                "burden",
                "cost_band",
                "reason_stopped",
                "consent_to_publish",
                "member",
            )
        }
    )


@bp.route("/report", methods=["GET", "POST"])
@login_required
def new_report(slug: str):
    session = db.session()
    community = community_or_404(slug)
    if not policy.is_member(session, community.id, me()):
        if request.method == "POST":
            require_valid(ReportForm())
        flash(f"Join {community.name} to report a treatment.", "info")
        return redirect(url_for("community.show", slug=slug), code=303)
    form = ReportForm()
    _choices(form, community)
    if request.method == "GET":
        form.member.data = str(me().id)
        form.treatment.data = request.args.get("treatment", "")
    return form_page(
        form,
        apply=lambda: services.create_report(
            session,
            community,
            me(),
            _input(form),
            today=services.today(),
            floor=aggregates.floor(),
        ),
        field="treatment",
        success="Thank you: your report is saved. Only you can see it; others see "
        "aggregates once enough members have reported.",
        then=lambda report: url_for(".show", slug=slug, treatment_id=report.treatment_id),
        page=lambda: render_template(
            "treatments/report_form.html",
            community=community,
            form=form,
            report=None,
            today=services.today(),
        ),
        join_back=url_for("community.show", slug=slug),
    )


@bp.route("/reports/<int:report_id>/edit", methods=["GET", "POST"])
@login_required
def edit_report(slug: str, report_id: int):
    session = db.session()
    community = community_or_404(slug)
    report = _own_report_or_404(community, report_id)
    form = ReportForm()
    _choices(form, community)
    if request.method == "GET":
        form.member.data = str(report.user_id)
        form.treatment.data = str(report.treatment_id)
        form.started_on.data = report.started_on.isoformat()
        form.stopped_on.data = report.stopped_on.isoformat() if report.stopped_on else ""
        form.dose.data = report.dose
        form.effectiveness.data = report.effectiveness
        form.side_effects.data = "\n".join(f"{s.name}: {s.severity}" for s in report.side_effects)
        form.adherence.data = str(report.adherence)
        form.burden.data = str(report.burden)
        form.cost_band.data = report.cost_band
        form.reason_stopped.data = report.reason_stopped
        form.consent_to_publish.data = report.consent_to_publish
    return form_page(
        form,
        apply=lambda: services.update_report(
            session,
            report,
            me(),
            _input(form),
            today=services.today(),
            floor=aggregates.floor(),
        ),
        field="treatment",
        success="Your report is updated.",
        then=_back(slug),
        page=lambda: render_template(
            "treatments/report_form.html",
            community=community,
            form=form,
            report=report,
            action_form=ActionForm(),
            today=services.today(),
        ),
        join_back=url_for("community.show", slug=slug),
    )


@bp.post("/reports/<int:report_id>/withdraw")
@login_required
def withdraw_report(slug: str, report_id: int):
    require_valid(ActionForm())
    session = db.session()
    community = community_or_404(slug)
    report = _own_report_or_404(community, report_id)
    services.withdraw_report(session, report, me(), floor=aggregates.floor())
    session.commit()
    flash(
        "Your report is withdrawn and deleted. It leaves the published figures when they "
        "are next updated, and will not be in the next version of the open dataset.",
        "success",
    )
    return redirect(_back(slug), code=303)


@bp.post("/reports/<int:report_id>/consent/<any(give, withdraw):choice>")
@login_required
def consent(slug: str, report_id: int, choice: str):
    require_valid(ActionForm())
    session = db.session()
    community = community_or_404(slug)
    report = _own_report_or_404(community, report_id)
    services.set_consent(session, report, me(), choice == "give")
    session.commit()
    flash(
        "Consent given: the report will be in the next published version."
        if choice == "give"
        else "Consent withdrawn: the report leaves the next published version.",
        "success",
    )
    return redirect(_back(slug), code=303)


@bp.post("/publish")
@login_required
def publish(slug: str):
    require_valid(ActionForm())
    session = db.session()
    community = community_or_404(slug)
    try:
        version = publication.publish(
            session,
            the_app(),
            community,
            me(),
            floor=aggregates.floor(),
            today=services.today(),
        )
    except ServiceError as error:
        return refuse(error, _back(slug))
    session.commit()
    flash(f"Published version {version.number} ({version.row_count} reports).", "success")
    return redirect(url_for("data.show", slug=version.dataset.slug), code=303)
