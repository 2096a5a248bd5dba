"""Signed links mailed to members: confirm an address, reset a password.

Each link is signed with the secret key under its own salt (a confirmation link is
no reset link), expires, and names the state it was made for: the address still
unconfirmed, or the password hash and session version of the moment. Once that
state changes (the address is confirmed, the password is changed) the link no
longer matches, so every link works once.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy.orm import Session

from portal.accounts.models import User

CONFIRM_SALT = "portal.accounts.confirm-email"
RESET_SALT = "portal.accounts.reset-password"


def _serializer(salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=salt)


def _fingerprint(*parts: object) -> str:
    """A digest of the state a link is bound to (the link itself is readable)."""
    text = "\x1f".join(str(part) for part in parts)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _confirm_state(user: User) -> str:
    return _fingerprint(user.email, user.email_confirmed_at)


def _reset_state(user: User) -> str:
    return _fingerprint(user.password_hash, user.session_version)


def confirm_token(user: User) -> str:
    return _serializer(CONFIRM_SALT).dumps([user.id, _confirm_state(user)])


def reset_token(user: User) -> str:
    return _serializer(RESET_SALT).dumps([user.id, _reset_state(user)])


def _read(db: Session, token: str, salt: str, max_age: timedelta, state) -> User | None:
    try:
        user_id, fingerprint = _serializer(salt).loads(token, max_age=int(max_age.total_seconds()))
    except (BadSignature, ValueError, TypeError):
        # SignatureExpired is a BadSignature: an old link is as useless as a forged one.
        return None
    if not isinstance(user_id, int):
        return None
    user = db.get(User, user_id)
    if user is None or not user.is_active or state(user) != fingerprint:
        return None
    return user


def confirmed_user(db: Session, token: str) -> User | None:
    """The account a confirmation link is for, or None when it is forged, old or used."""
    age = timedelta(days=current_app.config["CONFIRM_LINK_DAYS"])
    return _read(db, token, CONFIRM_SALT, age, _confirm_state)


def reset_user(db: Session, token: str) -> User | None:
    """The account a reset link is for, or None when it is forged, old or used."""
    age = timedelta(minutes=current_app.config["RESET_LINK_MINUTES"])
    return _read(db, token, RESET_SALT, age, _reset_state)
