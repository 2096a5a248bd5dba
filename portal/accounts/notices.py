"""The mail the accounts send: what each message says and where its link points."""

from __future__ import annotations

from email.message import EmailMessage
from typing import Any

from flask import current_app, url_for

from portal.accounts import links, mail
from portal.accounts.models import User


def absolute_url(endpoint: str, **values: Any) -> str:
    """A link for a message, on BASE_URL when set: a link built from the request's Host
    header could be made to point at another site by whoever sends the request."""
    base = current_app.config["BASE_URL"].rstrip("/")
    if base:
        return base + url_for(endpoint, **values)
    return url_for(endpoint, _external=True, **values)


def confirmation(user: User) -> EmailMessage:
    days = current_app.config["CONFIRM_LINK_DAYS"]
    link = absolute_url("accounts.confirm_email", token=links.confirm_token(user))
    return mail.message(
        user.email,
        "Confirm your e-mail address",
        f"Hello {user.name},\n\n"
        f"Please confirm that this is your e-mail address by opening this link "
        f"(it works for {days} day{'' if days == 1 else 's'}, once):\n\n{link}\n\n"
        "Until you confirm, what you report about treatments is not counted in the "
        "figures the portal publishes.\n\n"
        "If you did not create an account, ignore this message.\n",
    )


def registration_attempt(user: User) -> EmailMessage:
    """To the owner of an address someone tried to register again."""
    reset = absolute_url("accounts.forgot_password")
    return mail.message(
        user.email,
        "Someone tried to register with your e-mail address",
        f"Hello {user.name},\n\n"
        "Someone (perhaps you) tried to create a new account with this e-mail address. "
        f"You already have an account: your username is {user.username}.\n\n"
        f"If you forgot your password, you can choose a new one here:\n\n{reset}\n\n"
        "If it was not you, you need not do anything: no account was created.\n",
    )


def password_reset(user: User) -> EmailMessage:
    minutes = current_app.config["RESET_LINK_MINUTES"]
    link = absolute_url("accounts.reset_password", token=links.reset_token(user))
    return mail.message(
        user.email,
        "Choose a new password",
        f"Hello {user.name},\n\n"
        f"Someone (we hope you) asked to reset the password of the account {user.username}. "
        f"Open this link within {minutes} minutes to choose a new password (it works once):"
        f"\n\n{link}\n\n"
        "If you did not ask, ignore this message: your password stays as it is.\n",
    )


def password_changed(user: User) -> EmailMessage:
    reset = absolute_url("accounts.forgot_password")
    return mail.message(
        user.email,
        "Your password was changed",
        f"Hello {user.name},\n\n"
        f"The password of your account {user.username} was just changed, and every "
        "device that was logged in has been logged out.\n\n"
        f"If this was not you, choose a new password at once:\n\n{reset}\n",
    )
