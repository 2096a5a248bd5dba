"""Fixtures for support threads: members of a community and a helper to post."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from portal.accounts.models import User
from portal.community.models import Community
from portal.community.support import services as support
from portal.community.support.models import SupportPost
from tests.portal.accounts import test_mail
from tests.portal.community.conftest import SLUG
from tests.portal.conftest import csrf_token

#: The real SMTP server the mail tests use (aiosmtpd, on loopback).
smtp_server = test_mail.smtp_server

SUPPORT = f"/communities/{SLUG}/support"


def thread_url(thread_id: int, suffix: str = "") -> str:
    return f"{SUPPORT}/{thread_id}{suffix}"


def post_thread(
    client: FlaskClient,
    *,
    kind: str = "story",
    title: str = "How I found my feet again",
    body: str = "It took a year, and the nurses helped most.",
    anonymous: bool = False,
):
    data = {
        # the token of any of the member's pages: a non-member has no form to take it from
        "csrf_token": csrf_token(client, "/account"),
        "kind": kind,
        "title": title,
        "body": body,
    }
    if anonymous:
        data["anonymous"] = "y"
    return client.post(f"{SUPPORT}/new", data=data)


def post_reply(client: FlaskClient, thread_id: int, body: str, *, anonymous: bool = False):
    data = {"csrf_token": csrf_token(client, thread_url(thread_id)), "body": body}
    if anonymous:
        data["anonymous"] = "y"
    return client.post(thread_url(thread_id, "/replies"), data=data)


def press(client: FlaskClient, url: str, back: str, **fields: str):
    """A one-button form on the page ``back``."""
    return client.post(url, data={"csrf_token": csrf_token(client, back), **fields})


@pytest.fixture
def start(session: Session) -> Callable[..., SupportPost]:
    """Start a thread through the service layer and commit it."""

    def make(
        community: Community,
        author: User,
        *,
        kind: str = "story",
        title: str = "My first year",
        body: str = "Words.",
        anonymous: bool = False,
    ) -> SupportPost:
        thread = support.start_thread(
            session, community, author, kind=kind, title=title, body=body, anonymous=anonymous
        )
        session.commit()
        return thread

    return make


@pytest.fixture
def answer(session: Session) -> Callable[..., SupportPost]:
    """Reply through the service layer and commit it."""

    def make(thread: SupportPost, author: User, body: str = "Same here.", **options) -> SupportPost:
        added = support.reply(session, thread, author, body, **options)
        session.commit()
        return added

    return make
