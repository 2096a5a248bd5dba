from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user
from flask_login.config import COOKIE_NAME as REMEMBER_COOKIE
from sqlalchemy import select

from portal import db, policy
from portal.accounts import links, mail, notices, services, sessions, tokens
from portal.accounts.forms import (
    ForgotPasswordForm,
    LoginForm,
    LogoutForm,
    MembershipVisibilityForm,
    PasswordChangeForm,
    ProfileForm,
    RegistrationForm,
    ResetPasswordForm,
    TokenForm,
)
from portal.accounts.models import User
from portal.api.auth import forget_tokens
from portal.community import services as community_services
from portal.errors import ServiceError
from portal.extensions import limiter, login_key, login_manager
from portal.pages import attach, redrawn
from portal.security import safe_next_url

bp = Blueprint("accounts", __name__)

#: "Read the form from the request", as opposed to formdata=None (show it empty).
_UNSET = object()


@bp.after_request
def forget_resolved_tokens(response):
    # A token revoked, or an account changed, here must not be honoured from memory
    # (anonymous posts, failed logins among them, change nothing a token relies on).
    if request.method != "GET" and current_user.is_authenticated:
        forget_tokens()
    return response


login_manager.user_loader(sessions.load_user)


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _register_limit() -> str:
    return current_app.config["REGISTER_RATE_LIMIT"]


REGISTERED = (
    "Thank you. If the address is yours, a message is on its way to it: open the link "
    "in it to confirm your address, then log in."
)


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
        except services.EmailTaken:
            # The same answer as a new account, so the page does not tell who has an
            # account; the owner of the address hears of the attempt.
            session.rollback()
            owner = services.find_by_login(session, form.email.data)
            if owner is not None:
                mail.send_later(notices.registration_attempt(owner))
            flash(REGISTERED, "success")
            return redirect(url_for("accounts.login"))
        except ServiceError as error:
            attach(error, form, "username")
        else:
            # Sent once the account is committed: a mail server that fails loses no
            # account, and the member can ask for the link again.
            session.commit()
            mail.send_later(notices.confirmation(user))
            flash(REGISTERED, "success")
            return redirect(url_for("accounts.login"))
    return redrawn(form, render_template("accounts/register.html", form=form))


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
@limiter.limit(_login_limit, methods=["POST"], key_func=login_key)
def login():
    next_url = safe_next_url(request.args.get("next"))
    if current_user.is_authenticated:
        return redirect(next_url or url_for("main.index"))
    form = LoginForm()
    refused = 400
    if form.validate_on_submit():
        session = db.session()
        try:
            user = services.authenticate(
                session, form.login.data, form.password.data, ip_address=request.remote_addr or ""
            )
        except services.TryLater as wait:
            session.commit()
            # The message says when; Flask-Limiter's headers speak of the address's limit.
            form.password.errors.append(str(wait))
            refused = 429
        else:
            session.commit()
            if user is not None:
                login_user(user, remember=form.remember.data)
                flash(f"Logged in as {user.username}.", "success")
                return redirect(next_url or url_for("main.index"))
            form.password.errors.append("Wrong username/e-mail or password.")
    return redrawn(
        form, render_template("accounts/login.html", form=form, next_url=next_url), refused
    )


@bp.post("/logout")
def logout():
    form = LogoutForm()
    if not form.validate_on_submit():
        abort(400)
    if current_user.is_authenticated:
        # A copy of this session or of its remember-me cookie, made by whoever had the
        # device, must end here too: with cookie sessions only a new version does that.
        session = db.session()
        sessions.end_all_sessions(
            session, policy.require_account(current_user), reason="logged out"
        )
        session.commit()
        logout_user()
        flash("You are logged out.", "info")
    return redirect(url_for("main.index"))


@bp.post("/account/logout-everywhere")
@login_required
def logout_everywhere():
    if not LogoutForm().validate_on_submit():
        abort(400)
    session = db.session()
    sessions.end_all_sessions(
        session, policy.require_account(current_user), reason="logged out everywhere"
    )
    session.commit()
    logout_user()
    flash("You are logged out on every device and browser. Log in again here.", "info")
    return redirect(url_for("accounts.login"), 303)


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


def _visibility_form(user: User, formdata=_UNSET) -> MembershipVisibilityForm:
    memberships = community_services.memberships_of(db.session(), user)
    kwargs = {} if formdata is _UNSET else {"formdata": formdata}
    form = MembershipVisibilityForm(
        prefix="memberships",
        data={"visible": [m.community_id for m in memberships if m.visible]},
        **kwargs,
    )
    form.visible.choices = [(m.community_id, m.community.name) for m in memberships]
    return form


def _account_page(
    *,
    form=None,
    token_form=None,
    password_form=None,
    visibility_form=None,
    new_token: str | None = None,
    status=200,
):
    session = db.session()
    user = policy.require_account(current_user)
    return render_template(
        "accounts/account.html",
        form=form or ProfileForm(obj=current_user),
        user=current_user,
        token_form=token_form or TokenForm(),
        tokens=tokens.tokens_of(session, user),
        new_token=new_token,
        revoke_form=LogoutForm(),
        action_form=LogoutForm(),
        password_form=password_form or PasswordChangeForm(formdata=None),
        visibility_form=visibility_form or _visibility_form(user, formdata=None),
    ), status


@bp.post("/account/password")
@login_required
def change_password():
    password_form = PasswordChangeForm()
    if password_form.validate_on_submit():
        session = db.session()
        user = policy.require_account(current_user)
        try:
            services.change_password(
                session,
                user,
                current=password_form.current_password.data,
                new=password_form.new_password.data,
            )
        except ServiceError as error:
            attach(error, password_form, "new_password")
        else:
            session.commit()
            mail.send_later(notices.password_changed(user))
            # Every other session has ended; this one carries on with the new version.
            login_user(user, remember=REMEMBER_COOKIE in request.cookies)
            flash("Password changed. Every other device has been logged out.", "success")
            return redirect(url_for("accounts.account"), 303)
    return _account_page(password_form=password_form, status=400)


@bp.post("/account/memberships")
@login_required
def membership_visibility():
    user = policy.require_account(current_user)
    visibility_form = _visibility_form(user)
    if not visibility_form.validate_on_submit():
        return _account_page(visibility_form=visibility_form, status=400)
    session = db.session()
    community_services.set_visible(session, user, set(visibility_form.visible.data or []))
    session.commit()
    flash("Your choice of what others see is saved.", "success")
    return redirect(url_for("accounts.account"), 303)


@bp.post("/account/confirm-again")
@login_required
def send_confirmation_again():
    if not LogoutForm().validate_on_submit():
        abort(400)
    user = policy.require_account(current_user)
    if user.email_confirmed:
        flash("Your e-mail address is already confirmed.", "info")
    # Sent while the member waits, to say whether it went.
    elif mail.send(notices.confirmation(user)):
        flash(f"We sent a new link to {user.email}.", "success")
    else:
        flash("The message could not be sent just now. Please try again later.", "error")
    return redirect(url_for("accounts.account"), 303)


@bp.get("/confirm/<token>")
def confirm_email(token: str):
    session = db.session()
    user = links.confirmed_user(session, token)
    if user is None:
        flash(
            "This link does not work: it was already used, is out of date, or is incomplete. "
            "Log in and ask for a new one on your account page.",
            "error",
        )
        return redirect(url_for("accounts.login"))
    services.confirm_email(session, user)
    session.commit()
    flash("Thank you: your e-mail address is confirmed.", "success")
    signed_in = current_user.is_authenticated
    return redirect(url_for("accounts.account" if signed_in else "accounts.login"))


RESET_SENT = (
    "If an account exists for what you typed, we sent a link to its e-mail address. "
    "It works for {minutes} minutes."
)


@bp.route("/forgot-password", methods=["GET", "POST"])
@limiter.limit(_register_limit, methods=["POST"])
@limiter.limit(_register_limit, methods=["POST"], key_func=login_key)
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        session = db.session()
        user = services.find_by_login(session, form.login.data)
        if user is not None and user.is_active:
            mail.send_later(notices.password_reset(user))
        # The same answer whether or not an account exists.
        flash(RESET_SENT.format(minutes=current_app.config["RESET_LINK_MINUTES"]), "info")
        return redirect(url_for("accounts.login"))
    return redrawn(form, render_template("accounts/forgot_password.html", form=form))


@bp.route("/reset-password/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    session = db.session()
    user = links.reset_user(session, token)
    if user is None:
        flash(
            "This link does not work: it was already used, is out of date, or is incomplete. "
            "Ask for a new one below.",
            "error",
        )
        return redirect(url_for("accounts.forgot_password"))
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            services.reset_password(session, user, new=form.password.data)
        except ServiceError as error:
            attach(error, form, "password")
        else:
            session.commit()
            if current_user.is_authenticated:
                logout_user()
            flash("Your new password is set and every device was logged out. Log in.", "success")
            return redirect(url_for("accounts.login"), 303)
    page, status = redrawn(
        form, render_template("accounts/reset_password.html", form=form, token=token)
    )
    # The link's token is in the address: it must not leak to other sites or caches.
    return page, status, {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


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
