"""Sessions that end: a per-account session version in every session and cookie.

``User.get_id()`` is "id:version"; Flask-Login keeps it in the session and signs it
into the remember-me cookie. The loader refuses a cookie or session whose version is
not the account's current one, so raising the version (logging out, "log out
everywhere", changing or resetting the password) ends every session of the account,
including remember-me cookies copied to another browser.
"""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.orm import Session

from portal import audit
from portal import db as database
from portal.accounts.models import User


def load_user(user_id: str) -> User | None:
    """Flask-Login's user loader: the account, when the version is still current."""
    identity, _, version = user_id.partition(":")
    if not identity.isdigit() or not version.isdigit():
        return None
    user = database.session().get(User, int(identity))
    if user is None or user.session_version != int(version):
        return None
    return user


def end_all_sessions(db: Session, user: User, *, reason: str) -> None:
    """Raise the account's session version, atomically, so no session of it survives."""
    db.execute(
        update(User)
        .where(User.id == user.id)
        .values(session_version=User.session_version + 1)
        .execution_options(synchronize_session=False)
    )
    db.refresh(user, ["session_version"])
    audit.record(
        db, "account.sessions_ended", actor_id=user.id, subject=user.username, reason=reason
    )
