"""Password hashing (argon2id) and the password policy."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

PASSWORD_MIN = 10
PASSWORD_MAX = 256

# The most common passwords of public breach corpora, which a length rule alone admits.
_COMMON = frozenset(
    [
        "password1234",
        "password123",
        "1234567890",
        "123456789a",
        "qwertyuiop",
        "1q2w3e4r5t",
        "qwerty1234",
        "iloveyou123",
        "passw0rd123",
        "football123",
        "baseball12",
        "1234512345",
        "0987654321",
        "abcdefghij",
        "letmein1234",
        "welcome123",
        "monkey12345",
        "dragon1234",
        "trustno1234",
        "sunshine123",
        "princess12",
        "administrator",
        "adminadmin",
        "changeme123",
        "qwerty123456",
        "aaaaaaaaaa",
        "1111111111",
        "password12",
    ]
)

_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


def password_problems(password: str, *, username: str = "", email: str = "") -> list[str]:
    """Why a password is too weak, as sentences for the form; empty when it is fine."""
    problems = []
    if len(password) < PASSWORD_MIN:
        problems.append(f"Use at least {PASSWORD_MIN} characters.")
    if len(password) > PASSWORD_MAX:
        problems.append(f"Use at most {PASSWORD_MAX} characters.")
    lowered = password.lower()
    if lowered in _COMMON or len(set(password)) < 4:
        problems.append("This password is too common or repetitive; choose another.")
    if username and username.lower() in lowered:
        problems.append("The password must not contain your username.")
    local_part = email.split("@")[0].lower() if email else ""
    if len(local_part) >= 4 and local_part in lowered:
        problems.append("The password must not contain your e-mail address.")
    return problems
