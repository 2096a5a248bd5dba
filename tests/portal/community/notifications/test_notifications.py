"""Members follow the questions they propose, support or discuss, and are told on the
site when one of them changes."""

from __future__ import annotations

import pytest

from portal.accounts.models import Role
from portal.community.notifications import services as notifications
from portal.community.questions import lifecycle
from tests.portal.community.conftest import messages_to, question_url
from tests.portal.conftest import csrf_token


@pytest.fixture
def ada(person):
    """A researcher, who moves questions along."""
    return person("ada", role=Role.RESEARCHER)


def test_followers_read_and_clear_their_notifications(question, ada, login, session):
    sam = question.author
    lifecycle.record_review(session, question, ada, verdict="not_answered", citations="", note="")
    session.commit()
    client = login("sam")
    page = client.get("/notifications/").get_data(as_text=True)
    assert f"Under review: {question.title}" in page and ">new<" in page
    assert "1 unread" in client.get("/u/sam").get_data(as_text=True)
    client.post("/notifications/read", data={"csrf_token": csrf_token(client, "/notifications/")})
    assert notifications.unread_count(session, sam) == 0


def test_unfollowing_stops_notifications(question, ada, login, session):
    sam = question.author
    client = login("sam")
    client.post(
        question_url(question, "/unwatch"),
        data={"csrf_token": csrf_token(client, question_url(question))},
    )
    lifecycle.record_review(session, question, ada, verdict="not_answered", citations="", note="")
    session.commit()
    assert messages_to(session, sam) == []
