"""Small things every community view needs: lookups that 404, settings, failures."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from flask import abort, current_app, flash, redirect
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from werkzeug.wrappers import Response

from portal import db, policy
from portal.accounts.models import User
from portal.community import trust
from portal.community.models import Community
from portal.community.moderation import services as moderation
from portal.community.moderation.forms import FlagForm
from portal.community.questions import services as questions
from portal.community.questions.models import Question
from portal.errors import Forbidden, ServiceError
from portal.pages import attach, redrawn
from portal.policy import MembershipRequired


def community_or_404(slug: str) -> Community:
    """The community at ``slug``, as a missing page to whoever may not see it yet."""
    community = db.session().scalar(select(Community).where(Community.slug == slug))
    if community is None or not policy.can_view_community(current_user, community):
        abort(404)
    return community


def question_or_404(community: Community, question_id: int) -> Question:
    question = questions.get(db.session(), community, question_id)
    if question is None:
        abort(404)
    return question


def me() -> User:
    """The logged-in user, as loaded in this request's session (views that need one)."""
    return policy.require_account(current_user)


def edit_window() -> timedelta:
    minutes = current_app.config["COMMUNITY_EDIT_WINDOW_MINUTES"]
    return timedelta(minutes=int(minutes))


def trust_policy() -> trust.TrustPolicy:
    return trust.policy_from_config(current_app.config)


def refuse(error: ServiceError, back: str) -> Response:
    """Undo the unit of work and tell the member why, on the page they came from.

    A refusal of the member's role is shown as the error page instead; one that asks
    them to join is said on the page, next to the button that joins.
    """
    db.session().rollback()
    if isinstance(error, Forbidden) and not isinstance(error, MembershipRequired):
        raise error
    flash(error.message, "error")
    return redirect(back, code=303)


def require_valid(form: FlaskForm) -> None:
    """For one-button forms: a bad or missing CSRF token is a 400, like everywhere else."""
    if not form.validate_on_submit():
        abort(400)


#: What a posted form's success says: a message, or (message, flash category).
Success = str | tuple[str, str] | Callable[[Any], "str | tuple[str, str]"]


def submit(
    form: FlaskForm,
    back: str,
    *,
    invalid: str | Callable[[FlaskForm], str],
    apply: Callable[[], Any],
    success: Success,
) -> Response:
    """The shape of every small POST on the community pages: check the form, call one
    service, commit, tell the member, and go back to the page they came from.

    An invalid form or a refusing service writes nothing and says why.
    """
    if not form.validate_on_submit():
        flash(invalid if isinstance(invalid, str) else invalid(form), "error")
        return redirect(back, code=303)
    return apply_and_return(back, apply, success)


def apply_and_return(back: str, apply: Callable[[], Any], success: Success) -> Response:
    """Call one service, commit, tell the member, and go back to ``back``.

    The tail of every community POST whose form is already checked (one-button forms
    check theirs with ``require_valid`` before looking anything up, so a forged post
    is a 400 whatever it names). A refusing service writes nothing and says why.
    """
    try:
        result = apply()
    except ServiceError as error:
        return refuse(error, back)
    db.session().commit()
    _tell(success, result)
    return redirect(back, code=303)


def _tell(success: Success, result: Any) -> None:
    said = success(result) if callable(success) else success
    message, category = (said, "success") if isinstance(said, str) else said
    flash(message, category)


def form_page(
    form: FlaskForm,
    *,
    apply: Callable[[], Any],
    field: str,
    success: Success,
    then: str | Callable[[Any], str],
    page: Callable[[], str],
    join_back: str | None = None,
) -> Response | tuple[str, int]:
    """The shape of every community page whose form writes (propose, edit, report): a
    valid form calls one service, commits, tells the member and goes on to ``then``
    (given the service's result when callable). Otherwise ``page`` is drawn again, 400
    after a post, with a service's complaint next to the field it names (``field`` when
    it names none).

    With ``join_back``, a refusal that asks the member to join is said on that page
    instead, where the button that joins is.
    """
    if form.validate_on_submit():
        try:
            result = apply()
        except ServiceError as error:
            if join_back is not None and isinstance(error, MembershipRequired):
                return refuse(error, join_back)
            attach(error, form, field)
        else:
            db.session().commit()
            _tell(success, result)
            return redirect(then(result) if callable(then) else then, code=303)
    return redrawn(form, page())


def require_author(post: Any) -> None:
    """Only whoever wrote a question, comment or post may open its edit page."""
    if post.author_id != current_user.id:
        abort(403)


def flag_content(target: Any, back: str, noun: str) -> Response:
    """A member flags a question or a comment (``noun`` names which, for the messages)."""
    form = FlagForm()
    return submit(
        form,
        back,
        invalid=f"Choose why you are flagging this {noun}.",
        apply=lambda: moderation.flag(
            db.session(),
            me(),
            target,
            reason=form.reason.data,
            note=form.note.data or "",
            limits=trust_policy(),
        ),
        success=lambda new: (
            "Thank you: moderators will look at it."
            if new
            else f"You have already flagged this {noun}.",
            "info",
        ),
    )
