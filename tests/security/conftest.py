"""The security tests use the community, API and alignment fixtures."""

from __future__ import annotations

from tests.portal.api.conftest import token_for  # noqa: F401
from tests.portal.community.conftest import (  # noqa: F401
    community,
    login,
    other_community,
    person,
    propose,
    question,
)
from tests.portal.play.conftest import research  # noqa: F401
