from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select

from portal import db, policy
from portal.accounts import services, tokens
from portal.accounts.forms import (
    LoginForm,
    LogoutForm,
    ProfileForm,
    RegistrationForm,
    RoleForm,
    TokenForm,
)
from portal.accounts.models import Role, User
from portal.api.auth import forget_tokens
from portal.errors import ServiceError
from portal.extensions import limiter, login_key, login_manager
from portal.security import role_required, safe_next_url

bp = Blueprint("accounts", __name__)


@bp.after_request
def forget_resolved_tokens(response):
    # A token revoked, or an account changed, here must not be honoured from memory
    # (anonymous posts, failed logins among them, change nothing a token relies on).
    if request.method != "GET" and current_user.is_authenticated:
        forget_tokens()
    return response


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    if not user_id.isdigit():
        return None
    return db.session().get(User, int(user_id))


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _register_limit() -> str:
    return current_app.config["REGISTER_RATE_LIMIT"]


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(_register_limit, methods=["POST"])
def register():
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = RegistrationForm()
    if form.validate_on_submit():
        session = db.session()
        try:
            user = services.register_user(
                session,
                username=form.username.data,
                email=form.email.data,
                password=form.password.data,
                display_name=form.display_name.data or "",
            )
        except ServiceError as error:
            session.rollback()
            getattr(form, error.field or "username").errors.append(str(error))
        else:
            session.commit()
            login_user(user)
            flash(f"Welcome, {user.name}! Your account is ready.", "success")
            return redirect(url_for("main.index"))
    status = 400 if form.is_submitted() else 200
    return render_template("accounts/register.html", form=form), status


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
@limiter.limit(_login_limit, methods=["POST"], key_func=login_key)
def login():
    next_url = safe_next_url(request.args.get("next"))
    if current_user.is_authenticated:
        return redirect(next_url or url_for("main.index"))
    form = LoginForm()
    if form.validate_on_submit():
        session = db.session()
        user = services.authenticate(
            session, form.login.data, form.password.data, ip_address=request.remote_addr or ""
        )
        session.commit()
        if user is not None:
            login_user(user, remember=form.remember.data)
            flash(f"Logged in as {user.username}.", "success")
            return redirect(next_url or url_for("main.index"))
        form.password.errors.append("Wrong username/e-mail or password.")
    status = 400 if form.is_submitted() else 200
    return render_template("accounts/login.html", form=form, next_url=next_url), status


@bp.post("/logout")
def logout():
    form = LogoutForm()
    if not form.validate_on_submit():
        abort(400)
    if current_user.is_authenticated:
        logout_user()
        flash("You are logged out.", "info")
    return redirect(url_for("main.index"))


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account():
    form = ProfileForm(obj=current_user)
    if form.validate_on_submit():
        session = db.session()
        user = policy.require_account(current_user)
        services.update_profile(session, user, display_name=form.display_name.data or "")
        session.commit()
        flash("Profile saved.", "success")
        return redirect(url_for("accounts.account"))
    return _account_page(form=form)


def _account_page(*, form=None, token_form=None, new_token: str | None = None, status=200):
    session = db.session()
    return render_template(
        "accounts/account.html",
        form=form or ProfileForm(obj=current_user),
        user=current_user,
        token_form=token_form or TokenForm(),
        tokens=tokens.tokens_of(session, current_user),
        new_token=new_token,
        revoke_form=LogoutForm(),
    ), status


@bp.post("/account/tokens")
@login_required
def create_token():
    token_form = TokenForm()
    if not token_form.validate_on_submit():
        return _account_page(token_form=token_form, status=400)
    session = db.session()
    user = policy.require_account(current_user)
    _, plain = tokens.create_token(
        session, user, name=token_form.name.data, scope=token_form.scope.data
    )
    session.commit()
    # Shown in this response only: it is never stored, so it cannot be shown again.
    response, status = _account_page(token_form=TokenForm(formdata=None), new_token=plain)
    return response, status, {"Cache-Control": "no-store"}


@bp.post("/account/tokens/<int:token_id>/revoke")
@login_required
def revoke_token(token_id: int):
    if not LogoutForm().validate_on_submit():
        abort(400)
    session = db.session()
    token = session.get(tokens.ApiToken, token_id)
    if token is None or token.user_id != current_user.id:
        abort(404)
    tokens.revoke_token(session, token, actor=policy.require_account(current_user))
    session.commit()
    flash(f"Token '{token.name}' revoked.", "info")
    return redirect(url_for("accounts.account"), 303)


@bp.get("/u/<username>")
def profile(username: str):
    user = db.session().scalar(select(User).where(User.username == username.lower()))
    if user is None or not user.is_active:
        abort(404)
    return render_template("accounts/profile.html", user=user)


@bp.get("/admin/users")
@role_required(Role.ADMIN)
def admin_users():
    users = db.session().scalars(select(User).order_by(User.created_at.desc())).all()
    forms = {u.id: RoleForm(prefix=f"u{u.id}", role=u.role) for u in users}
    return render_template("accounts/admin_users.html", users=users, forms=forms)


@bp.post("/admin/users/<int:user_id>/role")
@role_required(Role.ADMIN)
def admin_set_role(user_id: int):
    session = db.session()
    user = session.get(User, user_id)
    if user is None:
        abort(404)
    form = RoleForm(prefix=f"u{user_id}")
    if not form.validate_on_submit():
        flash("Choose one of the listed roles.", "error")
        return redirect(url_for("accounts.admin_users")), 303
    actor = policy.require_account(current_user)
    if user.id == actor.id and form.role.data != Role.ADMIN.value:
        flash("You cannot remove your own admin role; ask another admin.", "error")
        return redirect(url_for("accounts.admin_users")), 303
    services.set_role(session, user, Role(form.role.data), actor=actor)
    session.commit()
    flash(f"{user.username} is now a {user.role}.", "success")
    return redirect(url_for("accounts.admin_users")), 303
