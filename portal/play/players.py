"""The player behind a request, for the play pages and the puzzle API alike.

A player is a signed-in account, or a guest known by a random token in their
session cookie and the nickname they chose. Submissions are limited per player
(and per address), under the same key whichever way they arrive.
"""

from __future__ import annotations

import secrets

from flask import current_app, request
from flask import session as web_session
from flask_login import current_user

from portal.errors import ServiceError
from portal.play import badges, submissions
from portal.play.submissions import Player

#: Largest submission body accepted (a 12 x 60 board is under 2 KiB).
MAX_SUBMISSION_BYTES = 16 * 1024


def submit_limit() -> str:
    return str(current_app.config["PLAY_SUBMIT_RATE_LIMIT"])


def submit_ip_limit() -> str:
    return str(current_app.config["PLAY_SUBMIT_IP_RATE_LIMIT"])


def player_rate_key() -> str:
    if current_user.is_authenticated:
        return f"play:user:{current_user.id}"
    # The guest's token is made here, before the first submission is counted,
    # so that it is counted under the same key as the following ones.
    return "play:guest:" + web_session.setdefault("play_guest", secrets.token_hex(16))


def current_player(nickname: str | None = None) -> Player:
    """The signed-in user, or a guest with the nickname they chose (now or earlier)."""
    if current_user.is_authenticated:
        return Player(f"user:{current_user.id}", current_user.username, current_user.id)
    if nickname:
        web_session["play_nickname"] = submissions.clean_nickname(nickname)
    chosen = web_session.get("play_nickname")
    if not chosen:
        raise ServiceError(
            "Choose a nickname before submitting (or log in).",
            "nickname",
            code="nickname_required",
        )
    token = web_session.setdefault("play_guest", secrets.token_hex(16))
    return Player(f"guest:{token}", chosen, None)


def hint_taker() -> tuple[str, int | None]:
    """The key hints are counted under (the same as the player's solutions), and
    the user's id; a guest needs no nickname to ask for a hint."""
    if current_user.is_authenticated:
        return f"user:{current_user.id}", current_user.id
    return "guest:" + web_session.setdefault("play_guest", secrets.token_hex(16)), None


def guest_key() -> str | None:
    """The key of the player known so far, without making a guest token."""
    if current_user.is_authenticated:
        return f"user:{current_user.id}"
    token = web_session.get("play_guest")
    return f"guest:{token}" if token else None


def too_large() -> bool:
    return (request.content_length or 0) > MAX_SUBMISSION_BYTES


def outcome(result: submissions.Submitted) -> str:
    """What the player is told about a submission, in words."""
    text = f"Server score: {result.score:g} (par {result.par:g})."
    if result.beats_par:
        text += f" You beat par: {result.points} points."
    elif result.reaches_par:
        text += f" You reached par: {result.points} points."
    if result.solution.hints:
        hints = result.solution.hints
        text += f" You took {hints} hint{'' if hints == 1 else 's'}, which cost points."
    if not result.created:
        text += " You had sent this layout before; it counts once."
    if result.solution.flagged:
        text += (
            " Layouts are arriving faster than anyone plays by hand, so this one is kept"
            " for research but left off the leaderboards."
        )
    if result.badges:
        text += " New badge: " + ", ".join(badges.title(code) for code in result.badges) + "."
    return text
