"""What accounts do. Functions take a session and never commit."""

from __future__ import annotations

import math
import re
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal import audit
from portal.accounts import backoff, sessions
from portal.accounts.models import (
    DISPLAY_NAME_MAX,
    EMAIL_MAX,
    USERNAME_MAX,
    Role,
    User,
)
from portal.accounts.passwords import (
    UNUSABLE_PASSWORD,
    hash_password,
    needs_rehash,
    password_problems,
    verify_password,
)
from portal.db import utcnow
from portal.errors import ServiceError

USERNAME_PATTERN = re.compile(rf"^[a-z0-9][a-z0-9_.-]{{2,{USERNAME_MAX - 1}}}$")
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


#: Verified against when the user does not exist, so that a wrong username costs the
#: same time as a wrong password and does not reveal which accounts exist. A literal,
#: not hashed at start-up: every process would pay a fifth of a second for it, and a
#: hash made on first use would make the first unknown name of each process slower.
#: Its parameters must be the hasher's (a test checks), or verifying would cost more
#: or less than verifying a real account's hash. The password behind it was random
#: and is not kept.
DUMMY_HASH = (
    "$argon2id$v=19$m=65536,t=3,p=4$Gtx64iN8k/uIAtdhh4Nbhw$"
    "F3AcGbCZDD9c7nesMiqZsHbI10gj9kn5UV7hrvAbluE"
)


def normalise_username(username: str) -> str:
    return username.strip().lower()


def normalise_email(email: str) -> str:
    return email.strip().lower()


def find_by_login(db: Session, login: str) -> User | None:
    """Find a user by username or e-mail address."""
    key = login.strip().lower()
    column = User.email if "@" in key else User.username
    return db.scalar(select(User).where(column == key))


def register_user(
    db: Session,
    *,
    username: str,
    email: str,
    password: str | None,
    display_name: str = "",
    role: Role = Role.MEMBER,
    confirmed: bool = False,
    check_strength: bool = True,
) -> User:
    """Create an account after checking every rule; raises ServiceError naming the field.

    ``confirmed``, ``check_strength=False`` and ``password=None`` (an account
    nobody can sign in to) are for accounts the portal makes itself (the demo's),
    never for a visitor's.
    """
    username = normalise_username(username)
    email = normalise_email(email)
    display_name = display_name.strip()
    if not USERNAME_PATTERN.match(username):
        raise ServiceError(
            f"Usernames are 3 to {USERNAME_MAX} characters: letters, digits, '_', '.', '-',"
            " starting with a letter or digit.",
            "username",
        )
    if len(email) > EMAIL_MAX or not EMAIL_PATTERN.match(email):
        raise ServiceError("Enter a valid e-mail address.", "email")
    if len(display_name) > DISPLAY_NAME_MAX:
        raise ServiceError(f"Use at most {DISPLAY_NAME_MAX} characters.", "display_name")
    if check_strength and password is not None:
        problems = password_problems(
            password, username=username, email=email, display_name=display_name
        )
        if problems:
            raise ServiceError(" ".join(problems), "password")
    # Hashed before looking for the address: a taken address must cost the same time
    # as a new account, or the delay would tell who has an account.
    password_hash = UNUSABLE_PASSWORD if password is None else hash_password(password)
    if db.scalar(select(func.count()).where(User.username == username)):
        raise ServiceError("That username is taken.", "username")
    if db.scalar(select(func.count()).where(User.email == email)):
        # Said only to code: the registration page answers the same either way.
        raise EmailTaken("An account with that e-mail address already exists.", "email")
    user = User(
        username=username,
        email=email,
        display_name=display_name,
        password_hash=password_hash,
        role=role.value,
        email_confirmed_at=utcnow() if confirmed else None,
    )
    db.add(user)
    db.flush()
    audit.record(db, "account.registered", actor_id=user.id, subject=username)
    return user


class EmailTaken(ServiceError):
    """An account already has the address."""

    code = "email_taken"


class TryLater(ServiceError):
    """Too many failed logins on one account: the next try must wait."""

    code = "login_backoff"

    def __init__(self, retry_at: datetime, now: datetime) -> None:
        self.retry_after = max(1, math.ceil((retry_at - now).total_seconds()))
        super().__init__(
            "Too many failed attempts to log in to this account. "
            f"Try again in {_plain_duration(self.retry_after)}.",
            "password",
            status=429,
            retry_after=self.retry_after,
        )


def _plain_duration(seconds: int) -> str:
    if seconds < 90:
        return f"{seconds} second{'' if seconds == 1 else 's'}"
    minutes = math.ceil(seconds / 60)
    return f"{minutes} minutes"


def authenticate(db: Session, login: str, password: str, *, ip_address: str = "") -> User | None:
    """Return the user when the credentials are right, recording the attempt either way.

    Raises TryLater, before checking the password, while the account (or, for a name
    no account has, the spelling) is backing off after failures.
    """
    now = utcnow()
    user = find_by_login(db, login)
    key = backoff.key_for(user, login)
    retry_at = backoff.retry_at(db, key)
    if retry_at is not None and retry_at > now:
        audit.record(db, "login.refused", subject=login[:200], ip_address=ip_address)
        raise TryLater(retry_at, now)
    if user is None or not user.is_active:
        verify_password(DUMMY_HASH, password)
        backoff.record_failure(db, key, now)
        audit.record(db, "login.failed", subject=login[:200], ip_address=ip_address)
        return None
    if not verify_password(user.password_hash, password):
        backoff.record_failure(db, key, now)
        audit.record(
            db, "login.failed", actor_id=user.id, subject=user.username, ip_address=ip_address
        )
        return None
    backoff.clear(db, key)
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = now
    audit.record(
        db, "login.succeeded", actor_id=user.id, subject=user.username, ip_address=ip_address
    )
    return user


def _check_new_password(user: User, password: str, field: str) -> None:
    problems = password_problems(
        password, username=user.username, email=user.email, display_name=user.display_name
    )
    if problems:
        raise ServiceError(" ".join(problems), field)


def change_password(db: Session, user: User, *, current: str, new: str) -> None:
    """Change the password (the current one is asked again) and end every session."""
    if not verify_password(user.password_hash, current):
        raise ServiceError("That is not your current password.", "current_password")
    _check_new_password(user, new, "new_password")
    user.password_hash = hash_password(new)
    sessions.end_all_sessions(db, user, reason="password changed")
    audit.record(db, "account.password_changed", actor_id=user.id, subject=user.username)


def reset_password(db: Session, user: User, *, new: str) -> None:
    """Set a password from a reset link (which this makes useless) and end every session.

    Following the link proves the member reads mail at the address, so an
    unconfirmed address becomes confirmed.
    """
    _check_new_password(user, new, "password")
    user.password_hash = hash_password(new)
    if user.email_confirmed_at is None:
        user.email_confirmed_at = utcnow()
    sessions.end_all_sessions(db, user, reason="password reset")
    backoff.clear(db, backoff.key_for(user, ""))
    audit.record(db, "account.password_reset", actor_id=user.id, subject=user.username)


def confirm_email(db: Session, user: User) -> None:
    if user.email_confirmed_at is None:
        user.email_confirmed_at = utcnow()
        audit.record(db, "account.email_confirmed", actor_id=user.id, subject=user.username)


def set_role(db: Session, user: User, role: Role, *, actor: User | None = None) -> None:
    if user.role == role.value:
        return
    audit.record(
        db,
        "account.role_changed",
        actor_id=actor.id if actor else None,
        subject=user.username,
        old=user.role,
        new=role.value,
    )
    user.role = role.value


def update_profile(db: Session, user: User, *, display_name: str) -> None:
    display_name = display_name.strip()
    if len(display_name) > DISPLAY_NAME_MAX:
        raise ServiceError(f"Use at most {DISPLAY_NAME_MAX} characters.", "display_name")
    user.display_name = display_name
