"""The admin tests use the community fixtures (people, logged-in clients)."""

from __future__ import annotations

from tests.portal.community.conftest import community, login, person  # noqa: F401
