"""A member's page of the decisions about them (to appeal once), and the appeals queue
of those who decide them."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import login_required

from portal import db
from portal.accounts import sanctions
from portal.accounts.mail import send_later
from portal.community.moderation import appeals, decisions, notices, targets
from portal.community.moderation.forms import AppealDecisionForm, AppealForm
from portal.community.moderation.models import Appeal, ModerationDecision
from portal.community.web import me, refuse
from portal.errors import NotFound, ServiceError

bp = Blueprint("appeals", __name__, url_prefix=decisions.APPEALS_PATH.rstrip("/"))


def _target_path(decision: ModerationDecision) -> str | None:
    if not decision.target_kind or decision.target_id is None:
        return None
    session = db.session()
    try:
        target = targets.load(session, decision.target_kind, decision.target_id)
    except NotFound:
        return None
    return targets.KINDS[decision.target_kind].path(session, target)


@bp.get("/")
@login_required
def mine():
    session = db.session()
    user = me()
    found = decisions.decisions_about(session, user)
    return render_template(
        "community/moderation/appeals_mine.html",
        decisions=found,
        appeals={d.id: appeals.appeal_of(session, d) for d in found},
        appealable=decisions.appealable,
        paths={d.id: _target_path(d) for d in found},
        restriction=sanctions.restriction(user),
        form=AppealForm(),
    )


@bp.post("/decisions/<int:decision_id>")
@login_required
def submit(decision_id: int):
    session = db.session()
    back = url_for(".mine", _anchor=f"decision-{decision_id}")
    decision = session.get(ModerationDecision, decision_id)
    user = me()
    if decision is None or decision.user_id != user.id:
        abort(404)
    form = AppealForm()
    if not form.validate_on_submit():
        flash("Nothing was sent: say why the decision should change.", "error")
        return redirect(back, code=303)
    try:
        appeals.appeal(session, user, decision, text=form.text.data)
    except ServiceError as error:
        return refuse(error, back)
    session.commit()
    flash("Your appeal is sent. Another moderator will decide it; you will be told.", "success")
    return redirect(back, code=303)


@bp.get("/queue")
@login_required
def queue():
    session = db.session()
    open_ = appeals.open_appeals(session, me())
    return render_template(
        "community/moderation/appeals_queue.html",
        appeals=open_,
        paths={a.id: _target_path(a.decision) for a in open_},
        form=AppealDecisionForm(),
    )


@bp.post("/<int:appeal_id>/decide")
@login_required
def decide(appeal_id: int):
    session = db.session()
    back = url_for(".queue")
    appeal = session.get(Appeal, appeal_id)
    if appeal is None:
        abort(404)
    if not appeals.can_decide(session, me(), appeal):
        abort(403)
    form = AppealDecisionForm()
    if not form.validate_on_submit():
        flash("Nothing was changed: choose an outcome and write a reply.", "error")
        return redirect(back, code=303)
    try:
        appeals.decide_appeal(
            session,
            me(),
            appeal,
            overturn=form.outcome.data == "overturn",
            response=form.response.data,
        )
    except ServiceError as error:
        return refuse(error, back)
    session.commit()
    send_later(notices.appeal_mail(appeal))
    flash("The appeal is decided and its author told.", "success")
    return redirect(back, code=303)
