"""The site admin area: dashboard, users, a user's page, the audit log and its CSV."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from flask_wtf import FlaskForm

from datasets.cells import csv_text
from portal import audit, db, policy
from portal.accounts import sanctions
from portal.accounts.forms import RoleForm
from portal.accounts.models import Role, User
from portal.admin import services
from portal.admin.forms import ReasonForm, SuspendForm
from portal.api.auth import forget_tokens
from portal.errors import ServiceError
from portal.security import role_required

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
@role_required(Role.ADMIN)
def admins_only() -> None:
    """Every page here is an admin's: checked once for the whole blueprint."""


@bp.after_request
def forget_changed_accounts(response):
    # A role or sanction changed here must not be honoured from a remembered token.
    if request.method != "GET":
        forget_tokens()
    return response


def _me() -> User:
    return policy.require_account(current_user)


def _page_number() -> int:
    value = request.args.get("page", "1")
    return int(value) if value.isdigit() and 0 < int(value) < 100_000 else 1


@bp.get("/")
def dashboard():
    session = db.session()
    board = services.dashboard(session)
    return render_template(
        "admin/dashboard.html", board=board, names=services.actor_names(session, board.recent)
    )


@bp.get("/users")
def users():
    session = db.session()
    text = request.args.get("q", "")[:100]
    found = services.find_users(session, text, _page_number())
    forms = {u.id: RoleForm(prefix=f"u{u.id}", role=u.role) for u in found.items}
    return render_template(
        "admin/users.html", found=found, q=text, forms=forms, restriction=sanctions.restriction
    )


def _user_or_404(user_id: int) -> User:
    user = db.session().get(User, user_id)
    if user is None:
        abort(404)
    return user


@bp.get("/users/<int:user_id>")
def user(user_id: int):
    session = db.session()
    account = _user_or_404(user_id)
    events = services.audit_page(session, services.AuditFilter(subject=account.username))
    return render_template(
        "admin/user.html",
        account=account,
        role_form=RoleForm(prefix=f"u{account.id}", role=account.role),
        suspend_form=SuspendForm(),
        reason_form=ReasonForm(),
        restriction=sanctions.restriction(account),
        decisions=services.decisions_about(session, account),
        events=events.items,
        names=services.actor_names(session, events.items),
    )


def _back(user_id: int) -> str:
    # The role drop-downs of the users list post here too: go back where the admin was.
    referrer = request.form.get("back", "")
    if referrer == "users":
        return url_for(".users")
    return url_for(".user", user_id=user_id)


def _done(message: str, back: str):
    db.session().commit()
    flash(message, "success")
    return redirect(back, code=303)


def _refused(error: ServiceError, back: str):
    db.session().rollback()
    flash(error.message, "error")
    return redirect(back, code=303)


def _answers(form: FlaskForm) -> dict[str, Any]:
    # Each admin form asks exactly what its service takes, field for keyword.
    return {field.short_name: field.data for field in form if field.short_name != "csrf_token"}


def _change(
    user_id: int,
    form: FlaskForm,
    service: Callable[..., Any],
    success: Callable[[User, Any], str],
    *,
    invalid: str,
):
    """Apply one form-driven change to an account and go back to where the admin was.

    ``service(session, admin, account, **answers)`` makes the change; ``success(account,
    result)`` words what happened. An invalid form or a refusal changes nothing.
    """
    account = _user_or_404(user_id)
    back = _back(user_id)
    if not form.validate_on_submit():
        flash(invalid, "error")
        return redirect(back, code=303)
    try:
        result = service(db.session(), _me(), account, **_answers(form))
    except ServiceError as error:
        return _refused(error, back)
    return _done(success(account, result), back)


@bp.post("/users/<int:user_id>/role")
def set_role(user_id: int):
    return _change(
        user_id,
        RoleForm(prefix=f"u{user_id}"),
        services.change_role,
        lambda account, _: f"{account.username} is now a {account.role}.",
        invalid="Choose one of the listed roles.",
    )


@bp.post("/users/<int:user_id>/suspend")
def suspend(user_id: int):
    return _change(
        user_id,
        SuspendForm(),
        services.suspend,
        lambda account, record: (
            f"{account.username} is suspended until {record.suspended_until:%d %B %Y}."
        ),
        invalid="Nothing was changed: give a number of days and a reason.",
    )


@bp.post("/users/<int:user_id>/ban")
def ban(user_id: int):
    return _change(
        user_id,
        ReasonForm(),
        services.ban,
        lambda account, _: f"{account.username} is banned.",
        invalid="Nothing was changed: give a reason.",
    )


@bp.post("/users/<int:user_id>/restore")
def restore(user_id: int):
    return _change(
        user_id,
        ReasonForm(),
        services.restore,
        lambda account, _: f"{account.username} may post again.",
        invalid="Nothing was changed: give a reason.",
    )


def _filters() -> services.AuditFilter:
    args = request.args
    return services.AuditFilter(
        **{
            name: args.get(name, "")[:200]
            for name in ("actor", "action", "subject", "since", "until")
        }
    )


@bp.get("/audit")
def audit_log():
    session = db.session()
    where = _filters()
    try:
        found = services.audit_page(session, where, _page_number())
    except ServiceError as error:
        # Shown next to the filter that is wrong, with what was typed kept.
        return render_template(
            "admin/audit.html", where=where, found=None, names={}, error=error
        ), 400
    return render_template(
        "admin/audit.html",
        where=where,
        found=found,
        names=services.actor_names(session, found.items),
        error=None,
    )


@bp.get("/audit.csv")
def audit_csv():
    session = db.session()
    where = _filters()
    rows = list(services.audit_rows(session, where))
    # Exporting the log is itself an admin action worth knowing about.
    audit.record(
        session, "admin.audit_exported", actor_id=_me().id, rows=len(rows), filters=where.as_dict()
    )
    session.commit()
    return Response(
        csv_text(services.AUDIT_COLUMNS, rows),
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="audit-log.csv"'},
    )
