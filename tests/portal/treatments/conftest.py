"""Fixtures for treatment reports: a community, an approved treatment, members, reports."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.accounts.models import Role, User
from portal.community import services as communities
from portal.community.models import Community
from portal.treatments import aggregates, services
from portal.treatments.models import Treatment, TreatmentReport
from tests.portal.conftest import AuthActions, csrf_token

SLUG = "migraine"
TODAY = date.today()
#: The floor of the test app's settings (TREATMENT_MIN_REPORTERS, TRUST_AFTER_DAYS).
FLOOR = aggregates.Floor(k=5, trusted_after=timedelta(days=7))
#: When the members add_reports makes joined: long enough ago for their reports to count.
ESTABLISHED = datetime.now(UTC) - timedelta(days=30)


@pytest.fixture
def community(session: Session) -> Community:
    created = communities.create_community(
        session, slug=SLUG, name="Migraine", condition="Migraine"
    )
    session.commit()
    return created


@pytest.fixture
def person(make_user, session: Session) -> Callable[..., User]:
    """A user, optionally a member or moderator of ``community``, loaded in the test session."""

    def make(
        username: str,
        *,
        role: Role = Role.MEMBER,
        member_of: Community | None = None,
        moderator_of: Community | None = None,
    ) -> User:
        user = session.get(User, make_user(username, role=role))
        if member_of is not None:
            communities.join(session, member_of, user)
        if moderator_of is not None:
            communities.join(session, moderator_of, user, role="moderator")
        session.commit()
        return user

    return make


@pytest.fixture
def moderator(person, community) -> User:
    return person("moira", moderator_of=community)


@pytest.fixture
def treatment(session: Session, community: Community, moderator: User) -> Treatment:
    created = services.propose(session, community, moderator, name="Propranolol", kind="drug")
    session.commit()
    return created


def report_data(chosen: Treatment, **overrides) -> dict[str, str]:
    """A valid report as the form posts it."""
    data = {
        "treatment": str(chosen.id),
        "started_on": (TODAY - timedelta(days=200)).isoformat(),
        "stopped_on": (TODAY - timedelta(days=60)).isoformat(),
        "dose": "40 mg twice a day",
        "effectiveness": "moderate",
        "side_effects": "fatigue: mild\ncold hands: moderate",
        "adherence": "4",
        "burden": "2",
        "cost_band": "low",
        "reason_stopped": "side-effects",
    }
    data.update(overrides)
    return data


@pytest.fixture
def add_reports(session: Session, community: Community) -> Callable[..., list[User]]:
    """``n`` new members each reporting ``treatment`` through the service; returns them.

    The reporters never log in, so they get an unusable password hash instead of
    paying for argon2 a hundred times. They are established members (``fresh=True``
    makes them new accounts, ``confirmed=False`` accounts whose address nobody
    confirmed: the reports of neither count in published figures).
    """
    made = {"count": 0}

    def add(
        treatment: Treatment,
        n: int,
        *,
        consent: bool = False,
        fresh: bool = False,
        confirmed: bool = True,
        floor: aggregates.Floor = FLOOR,
        **overrides,
    ) -> list[User]:
        members = []
        for _ in range(n):
            made["count"] += 1
            name = f"reporter{made['count']}"
            member = User(username=name, email=f"{name}@example.org", password_hash="!")
            if confirmed:
                member.email_confirmed_at = ESTABLISHED
            if not fresh:
                member.created_at = ESTABLISHED
            session.add(member)
            session.flush()
            communities.join(session, community, member)
            data = services.ReportInput.from_mapping(
                report_data(treatment, consent_to_publish=consent, **overrides)
            )
            services.create_report(session, community, member, data, today=TODAY, floor=floor)
            members.append(member)
        session.commit()
        return members

    return add


@pytest.fixture
def login(app: Flask) -> Callable[[str], FlaskClient]:
    def make(username: str) -> FlaskClient:
        client = app.test_client()
        response = AuthActions(client).login(username)
        assert response.status_code == 302
        return client

    return make


def count(session: Session, model, *where) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(model).where(*where))


def post_form(client: FlaskClient, url: str, data: dict, token_from: str | None = None):
    """POST like a browser: with the CSRF token of the page the form is on."""
    token = csrf_token(client, token_from or url)
    return client.post(url, data={"csrf_token": token, **data})


def reports_url(suffix: str = "") -> str:
    return f"/communities/{SLUG}/treatments{suffix}"


__all__ = [
    "FLOOR",
    "SLUG",
    "TODAY",
    "TreatmentReport",
    "count",
    "post_form",
    "report_data",
    "reports_url",
]
