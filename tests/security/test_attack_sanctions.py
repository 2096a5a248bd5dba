"""Attacks by a suspended or banned member: every write, from a page or with an API
token, is refused and changes nothing; reading notices and appealing still work; a
suspension ends on time by itself."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from portal.accounts import sanctions
from portal.accounts.models import Role, User
from portal.community.moderation import decisions
from portal.community.moderation.models import Appeal, ContentFlag
from portal.community.questions.models import Question, QuestionVote
from portal.community.threads import services as threads
from portal.community.threads.models import Comment
from portal.data.models import Dataset
from portal.db import utcnow
from tests.portal.api.conftest import bearer
from tests.portal.community.conftest import SLUG, form_data, pico, question_url
from tests.portal.conftest import csrf_token
from tests.portal.data.conftest import DatasetActions

WRITES = {"POST", "PUT", "PATCH", "DELETE"}


class WallClock:
    """The sanctions' clock, moved by hand like the short-lived copies' Clock."""

    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def wall_clock(monkeypatch) -> WallClock:
    clock = WallClock()
    monkeypatch.setattr(sanctions, "clock", clock)
    return clock


@pytest.fixture
def suspended(community, person, question, session, wall_clock):
    """Rex, a researcher and member whose comment a site moderator hid with a 3-day
    suspension; Sam's question is there to comment on, vote for and flag."""
    rex = person("rex", role=Role.RESEARCHER, member_of=(community,))
    mod = person("mod", role=Role.MODERATOR, moderator_of=(community,))
    comment = threads.add(session, question, rex, "Rude words")
    session.commit()
    record = decisions.decide(
        session, mod, comment, "suspend", reason="Abuse.", category="abuse", days=3
    )
    session.commit()
    return rex, record


def counts(session) -> dict[str, int]:
    session.expire_all()
    return {
        model.__name__: session.scalar(select(func.count()).select_from(model)) or 0
        for model in (Question, Comment, QuestionVote, ContentFlag, Dataset)
    }


def test_every_write_route_refuses_a_suspended_member_on_pages_and_api(
    app, suspended, login, session, token_for
):
    rex, _record = suspended
    client = login("rex")
    token = csrf_token(client, "/account")
    plain = token_for(reload_user(session, rex.id))
    before = counts(session)
    adapter = app.url_map.bind("localhost")
    tried = 0
    for rule in app.url_map.iter_rules():
        methods = (rule.methods or set()) & WRITES
        if not methods or rule.endpoint in sanctions.ALLOWED_WHILE_SANCTIONED:
            continue
        values = {arg: SLUG if arg == "slug" else 1 for arg in rule.arguments}
        for method in methods:
            try:
                url = adapter.build(rule.endpoint, values, method=method)
            except Exception:  # a converter that wants another shape: use the rule as written
                continue
            if url.startswith("/api/"):
                response = client.open(url, method=method, headers=bearer(plain), json={})
                assert response.status_code == 403, (method, url, response.status_code)
                assert response.get_json()["error"]["code"] == "account_sanctioned"
            else:
                response = client.open(url, method=method, data={"csrf_token": token})
                assert response.status_code == 403, (method, url, response.status_code)
                assert "suspended until" in response.get_data(as_text=True)
            tried += 1
    assert tried > 40
    assert counts(session) == before


def reload_user(session, user_id) -> User:
    session.expire_all()
    return session.get(User, user_id)


def test_real_writes_are_refused_and_nothing_is_written(
    suspended, login, session, token_for, question
):
    rex, _record = suspended
    client = login("rex")
    plain = token_for(reload_user(session, rex.id))
    before = counts(session)
    page_token = csrf_token(client, question_url(question))
    refused = [
        client.post(
            f"/communities/{SLUG}/questions/new",
            data={
                **form_data(pico("A question from a suspended member?")),
                "csrf_token": page_token,
            },
        ),
        client.post(
            question_url(question, "/comments/"), data={"body": "hi", "csrf_token": page_token}
        ),
        client.post(question_url(question, "/support"), data={"csrf_token": page_token}),
        client.post(
            question_url(question, "/flag"), data={"reason": "spam", "csrf_token": page_token}
        ),
        DatasetActions(client).upload(),
        client.post(
            f"/api/v1/communities/{SLUG}/questions",
            headers=bearer(plain),
            json=vars(pico("Via the API?")),
        ),
        client.post(
            f"/api/v1/questions/{question.id}/comments", headers=bearer(plain), json={"body": "hi"}
        ),
        client.post(f"/api/v1/questions/{question.id}/support", headers=bearer(plain)),
    ]
    assert [r.status_code for r in refused] == [403] * len(refused)
    assert counts(session) == before


def test_a_suspended_member_reads_notices_and_appeals(suspended, login, session):
    _rex, record = suspended
    client = login("rex")
    assert "Abuse." in client.get("/notifications/").get_data(as_text=True)
    page = client.get("/appeals/").get_data(as_text=True)
    assert "suspended until" in page
    token = csrf_token(client, "/notifications/")
    assert client.post("/notifications/read", data={"csrf_token": token}).status_code == 303
    response = client.post(
        f"/appeals/decisions/{record.id}", data={"csrf_token": token, "text": "I apologise."}
    )
    assert response.status_code == 303
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(Appeal)) == 1


def test_the_suspension_ends_on_time(suspended, login, session, question, wall_clock):
    rex, _record = suspended
    client = login("rex")

    def comment(body: str) -> int:
        token = csrf_token(client, question_url(question))
        return client.post(
            question_url(question, "/comments/"), data={"body": body, "csrf_token": token}
        ).status_code

    wall_clock.now += timedelta(days=3) - timedelta(minutes=1)
    assert comment("A minute too early") == 403
    wall_clock.now += timedelta(minutes=2)
    assert comment("Back, and polite") == 303
    session.expire_all()
    assert session.scalar(select(Comment).where(Comment.body == "Back, and polite")) is not None


def test_a_banned_member_signs_in_reads_and_appeals_but_never_posts(
    community, person, question, session, login
):
    eve = person("eve", member_of=(community,))
    admin = person("root", role=Role.ADMIN)
    from portal.admin import services as admin_services

    record = admin_services.ban(session, admin, eve, reason="Spam bot.")
    session.commit()
    client = login("eve")  # the ban ended her sessions; she signs in again
    assert "Spam bot." in client.get("/notifications/").get_data(as_text=True)
    token = csrf_token(client, question_url(question))
    refused = client.post(
        question_url(question, "/comments/"), data={"body": "x", "csrf_token": token}
    )
    assert refused.status_code == 403 and "banned" in refused.get_data(as_text=True)
    appealed = client.post(
        f"/appeals/decisions/{record.id}", data={"csrf_token": token, "text": "I am a person."}
    )
    assert appealed.status_code == 303
    session.expire_all()
    assert session.scalar(select(Appeal.text)) == "I am a person."
