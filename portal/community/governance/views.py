"""Pages for founding and governing communities, nested in the community pages.

/communities/propose            a member proposes a community
/communities/proposals          site admins decide on proposals
/communities/<slug>/decision    approve, merge or decline (site admins)
/communities/<slug>/archive     archive it (site admins)
/communities/<slug>/rules       its rules, for everyone
/communities/<slug>/settings    its settings and moderators (its moderators)
/communities/<slug>/moderation-log  its moderation by the week, for everyone; in full,
                                    for its moderators
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, make_response, redirect, render_template, url_for
from flask_login import current_user, login_required
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from portal import db, policy
from portal.accounts import mail, sanctions
from portal.accounts.models import User
from portal.community.governance import (
    choices,
    founding,
    log,
    moderators,
    notices,
    public_log,
)
from portal.community.governance.forms import (
    AppointForm,
    ArchiveForm,
    DecisionForm,
    ProposalForm,
    SettingsForm,
)
from portal.community.models import Community, CommunityStatus
from portal.community.web import community_or_404, form_page, me, submit
from portal.errors import ServiceError
from portal.treatments import aggregates

bp = Blueprint("governance", __name__)


def _settings_url(slug: str) -> str:
    return url_for("community.governance.settings", slug=slug)


@bp.route("/propose", methods=["GET", "POST"])
@login_required
def propose():
    session = db.session()
    form = ProposalForm()
    return form_page(
        form,
        apply=lambda: founding.propose(session, me(), _proposal(form)),
        field="name",
        success=lambda community: (
            f"Thank you: {community.name} is proposed. A site admin will decide on it; "
            "you will be told here and by e-mail."
        ),
        then=lambda community: url_for("community.show", slug=community.slug),
        page=lambda: render_template(
            "community/governance/propose.html",
            form=form,
            waiting=founding.proposals(session, founder=me()),
            decided=founding.decided_of(session, me()),
        ),
    )


def _proposal(form: ProposalForm) -> founding.Proposal:
    return founding.Proposal(
        name=form.name.data or "",
        condition=form.condition.data or "",
        condition_code=form.condition_code.data or "",
        description=form.description.data or "",
        audience=form.audience.data or "",
        rules=form.rules.data or "",
    )


@bp.get("/proposals")
@login_required
def proposals():
    if not policy.can_decide_proposals(me()):
        abort(403)
    session = db.session()
    waiting = founding.proposals(session)
    active = session.scalars(
        select(Community).where(Community.status == CommunityStatus.ACTIVE).order_by(Community.name)
    ).all()
    forms = {}
    for community in waiting:
        form = DecisionForm(prefix=f"p{community.id}")
        form.merge_into.choices = [SelectChoice(0, "Choose a community")] + [
            SelectChoice(c.id, c.name) for c in active
        ]
        forms[community.id] = form
    return render_template("community/governance/proposals.html", proposals=waiting, forms=forms)


@bp.post("/<slug>/decision")
@login_required
def decide(slug: str):
    session = db.session()
    community = community_or_404(slug)
    if not policy.can_decide_proposals(me()):
        abort(403)
    back = url_for("community.governance.proposals")
    form = DecisionForm(prefix=f"p{community.id}")
    form.merge_into.choices = []
    if not form.validate_on_submit():
        flash(f"{community.name}: choose approve, merge or decline.", "error")
        return redirect(back, code=303)
    reason = form.reason.data or ""
    into = None
    try:
        if form.decision.data == "approve":
            founding.approve(session, me(), community, note=reason)
        elif form.decision.data == "merge":
            into = session.get(Community, form.merge_into.data or 0)
            if into is None:
                raise ServiceError("Choose the community to merge it into.", "merge_into")
            founding.merge(session, me(), community, into, reason=reason)
        else:
            founding.decline(session, me(), community, reason=reason)
    except ServiceError as error:
        session.rollback()
        flash(f"{community.name}: {error.message}", "error")
        return redirect(back, code=303)
    session.commit()
    founder = session.get(User, community.founder_id) if community.founder_id else None
    if founder is not None and founder.active:
        mail.send_later(notices.decision(community, founder, into))
    flash(f"{community.name}: {community.status}. Its founder has been told.", "success")
    return redirect(back, code=303)


@bp.post("/<slug>/archive")
@login_required
def archive(slug: str):
    community = community_or_404(slug)
    if not policy.can_decide_proposals(me()):
        abort(403)
    form = ArchiveForm()
    return submit(
        form,
        url_for("community.show", slug=slug),
        invalid="The reason is too long.",
        apply=lambda: founding.archive(
            db.session(), me(), community, reason=form.reason.data or ""
        ),
        success=f"{community.name} is archived: its pages stay readable, and it takes nothing new.",
    )


@bp.get("/<slug>/rules")
def rules(slug: str):
    community = community_or_404(slug)
    return render_template(
        "community/governance/rules.html",
        community=community,
        moderators=moderators.moderators_of(db.session(), community),
    )


@bp.get("/<slug>/moderation-log")
def moderation_log(slug: str):
    community = community_or_404(slug)
    session = db.session()
    # A suspended or banned moderator keeps the role until someone removes it, but
    # not the reading of every decision, which may quote members' health.
    full = policy.can_moderate(session, community.id, current_user) and not (
        current_user.is_authenticated and sanctions.restriction(current_user) is not None
    )
    page = render_template(
        "community/governance/log.html",
        community=community,
        weeks=public_log.weekly(session, community.id),
        weeks_shown=public_log.WEEKS_SHOWN,
        entries=log.community_log(session, community.id) if full else None,
    )
    if not full:
        return page
    # The moderators' page holds their own words: no shared cache may keep it.
    response = make_response(page)
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _settings_form(community: Community) -> SettingsForm:
    form = SettingsForm()
    if not form.is_submitted():
        form.question_proposers.data = community.question_proposers
        form.stakeholders.data = community.stakeholder_groups
        form.min_reporters.data = community.min_reporters
        form.membership_visible_default.data = community.membership_visible_default
        form.description.data = community.description
        form.audience.data = community.audience
        form.rules.data = community.rules
    return form


@bp.route("/<slug>/settings", methods=["GET", "POST"])
@login_required
def settings(slug: str):
    session = db.session()
    community = community_or_404(slug)
    if not policy.can_moderate(session, community.id, me()):
        abort(403)
    floor = aggregates.floor()
    form = _settings_form(community)
    return form_page(
        form,
        apply=lambda: choices.update(session, me(), community, _choices(form), floor=floor),
        field="question_proposers",
        success=lambda changed: "Settings saved." if changed else "Nothing changed.",
        then=_settings_url(slug),
        page=lambda: _settings_page(community, form, floor),
    )


def _choices(form: SettingsForm) -> choices.Choices:
    return choices.Choices(
        question_proposers=form.question_proposers.data or "",
        stakeholders=tuple(form.stakeholders.data or ()),
        min_reporters=form.min_reporters.data,
        membership_visible_default=bool(form.membership_visible_default.data),
        description=form.description.data or "",
        audience=form.audience.data or "",
        rules=form.rules.data or "",
    )


def _settings_page(community: Community, form: SettingsForm, floor: aggregates.Floor) -> str:
    session = db.session()
    appoint_form = AppointForm()
    appoint_form.user.choices = [
        SelectChoice(
            user.id, user.name if user.name == user.username else f"{user.name} ({user.username})"
        )
        for user in moderators.candidates(session, community)
    ]
    return render_template(
        "community/governance/settings.html",
        community=community,
        form=form,
        site_k=floor.k,
        appoint_form=appoint_form,
        moderators=moderators.moderators_of(session, community),
        remove_form=ArchiveForm(),
        archive_form=ArchiveForm(),
        may_archive=policy.can_decide_proposals(me()) and community.is_active,
    )


@bp.post("/<slug>/moderators")
@login_required
def appoint(slug: str):
    community = community_or_404(slug)
    form = AppointForm()
    form.user.choices = []
    return submit(
        form,
        _settings_url(slug),
        invalid="Choose a member to appoint.",
        apply=lambda: moderators.appoint(db.session(), me(), community, form.user.data or 0),
        success=lambda user: f"{user.name} is now a moderator of {community.name}.",
    )


@bp.post("/<slug>/moderators/<int:user_id>/remove")
@login_required
def remove_moderator(slug: str, user_id: int):
    community = community_or_404(slug)
    # Who steps down loses the settings page: they go back to the community's.
    itself = user_id == me().id
    return submit(
        ArchiveForm(),
        url_for("community.show", slug=slug) if itself else _settings_url(slug),
        invalid="The reason is too long.",
        apply=lambda: moderators.remove(db.session(), me(), community, user_id),
        success=lambda user: f"{user.name} is no longer a moderator of {community.name}.",
    )
