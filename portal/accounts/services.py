"""What accounts do. Functions take a session and never commit."""

from __future__ import annotations

import re

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal import audit
from portal.accounts.models import (
    DISPLAY_NAME_MAX,
    EMAIL_MAX,
    USERNAME_MAX,
    Role,
    User,
)
from portal.accounts.passwords import (
    hash_password,
    needs_rehash,
    password_problems,
    verify_password,
)
from portal.db import utcnow
from portal.errors import ServiceError

USERNAME_PATTERN = re.compile(rf"^[a-z0-9][a-z0-9_.-]{{2,{USERNAME_MAX - 1}}}$")
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

# A hash to verify against when the user does not exist, so that a wrong username
# costs the same time as a wrong password and does not reveal which accounts exist.
_DUMMY_HASH = hash_password("not-a-real-password-for-timing")


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
    password: str,
    display_name: str = "",
    role: Role = Role.MEMBER,
) -> User:
    """Create an account after checking every rule; raises ServiceError naming the field."""
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
    problems = password_problems(password, username=username, email=email)
    if problems:
        raise ServiceError(" ".join(problems), "password")
    if db.scalar(select(func.count()).where(User.username == username)):
        raise ServiceError("That username is taken.", "username")
    if db.scalar(select(func.count()).where(User.email == email)):
        raise ServiceError("An account with that e-mail address already exists.", "email")
    user = User(
        username=username,
        email=email,
        display_name=display_name,
        password_hash=hash_password(password),
        role=role.value,
    )
    db.add(user)
    db.flush()
    audit.record(db, "account.registered", actor_id=user.id, subject=username)
    return user


def authenticate(db: Session, login: str, password: str, *, ip_address: str = "") -> User | None:
    """Return the user when the credentials are right, recording the attempt either way."""
    user = find_by_login(db, login)
    if user is None or not user.is_active:
        verify_password(_DUMMY_HASH, password)
        audit.record(db, "login.failed", subject=login[:200], ip_address=ip_address)
        return None
    if not verify_password(user.password_hash, password):
        audit.record(
            db, "login.failed", actor_id=user.id, subject=user.username, ip_address=ip_address
        )
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = utcnow()
    audit.record(
        db, "login.succeeded", actor_id=user.id, subject=user.username, ip_address=ip_address
    )
    return user


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
