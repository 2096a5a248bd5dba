"""The web fixtures live in ``tests.portal.fixtures``, a plugin the root conftest loads
so that ``tests/security`` shares them; these names stay importable from here."""

from tests.portal.fixtures import (
    DEFAULT_PASSWORD,
    AuthActions,
    Clock,
    Mailbox,
    body_of,
    csrf_token,
    link_in,
)

__all__ = [
    "DEFAULT_PASSWORD",
    "AuthActions",
    "Clock",
    "Mailbox",
    "body_of",
    "csrf_token",
    "link_in",
]
