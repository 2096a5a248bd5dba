"""Small things every community view needs: lookups that 404, settings, failures."""
from __future__ import annotations

from datetime import timedelta

from flask import abort, current_app, flash, redirect
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from werkzeug.wrappers import Response

from portal import db
from portal.accounts.models import User
from portal.community import questions, trust
from portal.community.errors import CommunityError, NotAllowed
from portal.community.models import Community
from portal.community.question_models import Question

DEFAULT_EDIT_WINDOW_MINUTES = 15


def community_or_404(slug: str) -> Community:
    community = db.session().scalar(select(Community).where(Community.slug == slug))
    if community is None:
        abort(404)
    return community


def question_or_404(community: Community, question_id: int) -> Question:
    question = questions.get(db.session(), community, question_id)
    if question is None:
        abort(404)
    return question


def me() -> User:
    """The logged-in user, as loaded in this request's session."""
    return current_user._get_current_object()  # type: ignore[attr-defined]


def edit_window() -> timedelta:
    minutes = current_app.config.get("COMMUNITY_EDIT_WINDOW_MINUTES",
                                     DEFAULT_EDIT_WINDOW_MINUTES)
    return timedelta(minutes=int(minutes))


def trust_policy() -> trust.TrustPolicy:
    return trust.policy_from_config(current_app.config)


def refuse(error: CommunityError, back: str) -> Response:
    """Undo the unit of work and tell the member why, on the page they came from.

    Permission failures get the friendly 403 page instead.
    """
    db.session().rollback()
    if isinstance(error, NotAllowed):
        abort(403)
    flash(str(error), "error")
    return redirect(back, code=303)


def attach(error: CommunityError, form: FlaskForm, default_field: str) -> None:
    """Show a service's complaint next to the form field it is about."""
    db.session().rollback()
    field = getattr(form, error.field or default_field, None) or getattr(form, default_field)
    field.errors = [*field.errors, str(error)]


def require_valid(form: FlaskForm) -> None:
    """For one-button forms: a bad or missing CSRF token is a 400, like everywhere else."""
    if not form.validate_on_submit():
        abort(400)
