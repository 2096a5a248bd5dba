"""Password hashing (argon2id) and the password policy."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from zxcvbn import zxcvbn

PASSWORD_MIN = 10
PASSWORD_MAX = 256

#: zxcvbn's scale runs from 0 (guessed at once) to 4; 3 resists an offline attack
#: on a stolen table for a long time ("safely unguessable" in its authors' words).
MIN_SCORE = 3

#: Words anyone reading this portal's code or README knows, which therefore add no
#: strength to a password: the demo accounts' password among them.
PUBLIC_WORDS = ("open-research-demo", "open research portal", "open-research-portal", "portal")

_hasher = PasswordHasher()

#: Stored for accounts that have no password (the demo's invented members): it is
#: not an argon2 hash, so no password verifies against it.
UNUSABLE_PASSWORD = "!"


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


def password_problems(
    password: str, *, username: str = "", email: str = "", display_name: str = ""
) -> list[str]:
    """Why a password is too weak, as sentences for the form; empty when it is fine.

    Strength is zxcvbn's estimate of how many guesses an attacker needs, counting
    common passwords, words, names, keyboard runs, dates and the member's own details.
    """
    if len(password) < PASSWORD_MIN:
        return [f"Use at least {PASSWORD_MIN} characters."]
    if len(password) > PASSWORD_MAX:
        return [f"Use at most {PASSWORD_MAX} characters."]
    problems = []
    lowered = password.lower()
    if username and username.lower() in lowered:
        problems.append("The password must not contain your username.")
    local_part = email.split("@")[0].lower() if email else ""
    if len(local_part) >= 4 and local_part in lowered:
        problems.append("The password must not contain your e-mail address.")
    if problems:
        return problems
    inputs = [w for w in (username, email, local_part, display_name, *PUBLIC_WORDS) if w]
    # zxcvbn's cost grows with length; the start of a long passphrase is judged enough.
    estimate = zxcvbn(password[:100], user_inputs=inputs)
    if estimate["score"] < MIN_SCORE:
        reason = "This password is too easy to guess"
        warning = estimate["feedback"].get("warning")
        problems.append(f"{reason}: {warning.rstrip('.').lower()}." if warning else f"{reason}.")
        problems.append("Try a few unrelated words, e.g. a short sentence only you would think of.")
    return problems
