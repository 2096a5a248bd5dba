"""Fixtures for communities: a community, members in roles, questions, logged-in clients."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.accounts.models import Role, User
from portal.community import services
from portal.community.models import Community
from portal.community.notifications.models import Notification
from portal.community.questions import services as questions
from portal.community.questions.models import Question
from portal.db import utcnow
from tests.portal.conftest import AuthActions

SLUG = "colon-cancer"


def pico(
    title: str = "Does adjuvant chemotherapy improve survival in stage III colon cancer?",
    **overrides: str,
) -> questions.QuestionText:
    fields = {
        "title": title,
        "population": "Adults after surgery for stage III colon cancer",
        "intervention": "Levamisole plus fluorouracil for one year",
        "comparator": "Observation",
        "outcome": "Overall survival at five years",
        "rationale": "Most patients want to know whether a year of chemotherapy is worth it.",
    }
    fields.update(overrides)
    return questions.QuestionText(**fields)


def form_data(text: questions.QuestionText) -> dict[str, str]:
    return dict(vars(text))


@pytest.fixture
def community(session: Session) -> Community:
    created = services.create_community(
        session, slug=SLUG, name="Colon cancer", condition="Colon cancer"
    )
    session.commit()
    return created


@pytest.fixture
def other_community(session: Session) -> Community:
    created = services.create_community(
        session, slug="tuberculosis", name="Tuberculosis", condition="Pulmonary tuberculosis"
    )
    session.commit()
    return created


@pytest.fixture
def person(app: Flask, make_user, session: Session) -> Callable[..., User]:
    """Create a user, optionally a member (or moderator) of communities, old enough to be
    trusted unless ``new=True``; returns the User loaded in the test session."""

    def make(
        username: str,
        *,
        role: Role = Role.MEMBER,
        member_of: tuple[Community, ...] = (),
        moderator_of: tuple[Community, ...] = (),
        new: bool = False,
    ) -> User:
        user_id = make_user(username, role=role)
        user = session.get(User, user_id)
        if not new:
            user.created_at = utcnow() - timedelta(days=30)
        for community in member_of:
            services.join(session, community, user)
        for community in moderator_of:
            services.join(session, community, user, role="moderator")
        session.commit()
        return user

    return make


@pytest.fixture
def login(app: Flask) -> Callable[[str], FlaskClient]:
    """A fresh client logged in as ``username``."""

    def make(username: str) -> FlaskClient:
        client = app.test_client()
        response = AuthActions(client).login(username)
        assert response.status_code == 302, response.get_data(as_text=True)
        return client

    return make


@pytest.fixture
def propose(session: Session) -> Callable[..., Question]:
    """Propose a question through the service layer and commit it."""

    def make(
        community: Community, author: User, title: str | None = None, **fields: str
    ) -> Question:
        text = pico(title, **fields) if title else pico(**fields)
        question = questions.propose(session, community, author, text)
        session.commit()
        return question

    return make


@pytest.fixture
def question(community: Community, person, propose) -> Question:
    """A question proposed by Sam, a member of the community."""
    return propose(community, person("sam", member_of=(community,)))


def question_url(question: Question, suffix: str = "") -> str:
    return f"/communities/{SLUG}/questions/{question.id}{suffix}"


def reload(session: Session, model, id_: int):
    session.expire_all()
    return session.get(model, id_)


def count(session: Session, model, *where) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(model).where(*where))


def messages_to(session: Session, user: User) -> list[str]:
    """The notifications ``user`` has received, oldest first."""
    session.expire_all()
    return list(
        session.scalars(
            select(Notification.message)
            .where(Notification.user_id == user.id)
            .order_by(Notification.id)
        )
    )
