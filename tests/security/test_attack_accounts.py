"""Attacks on accounts, played as an outsider would: throwaway accounts to make up a
crowd, finding out who has an account, guessing passwords (with the account's other
spellings, or from behind a forged proxy header)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask.testing import FlaskClient

from portal.accounts import backoff
from portal.accounts import services as account_services
from portal.db import utcnow
from tests.portal.conftest import AuthActions, csrf_token, link_in
from tests.portal.fixtures import CSRF_PATTERN
from tests.portal.treatments import conftest as on_treatments
from tests.portal.treatments.conftest import SLUG

# The treatment feature's community, members and reports, for the sybil attack.
community = on_treatments.community
person = on_treatments.person
moderator = on_treatments.moderator
treatment = on_treatments.treatment
add_reports = on_treatments.add_reports

WEAK = ["qwertyuiop1", "Summer2024!", "open-research-demo", "password1234", "iloveyou2024"]


def flashed(client: FlaskClient) -> str:
    """What the page after the redirect tells the person (its form token aside)."""
    return CSRF_PATTERN.sub("", client.get("/login").text)


def test_unconfirmed_accounts_do_not_make_up_a_crowd(app, client, treatment, add_reports):
    """Five old accounts nobody confirmed an address for publish nothing; five
    confirmed ones do (so it is the confirmation that holds the figures back)."""
    api = f"/api/v1/communities/{SLUG}/treatments/{treatment.id}"
    add_reports(treatment, 5, confirmed=False, effectiveness="major")
    assert client.get(api).get_json()["enough_reports"] is False
    add_reports(treatment, 5, effectiveness="major")
    assert client.get(api).get_json()["enough_reports"] is True
    assert client.get(api).get_json()["reporters"] == 5


def _register(client: FlaskClient, username: str, email: str):
    response = AuthActions(client).register(username, email=email)
    return response.status_code, response.headers.get("Location"), flashed(client)


def test_registration_does_not_tell_whether_an_address_has_an_account(app, make_user, mailbox):
    make_user("alice")
    taken = _register(app.test_client(), "newname", "ALICE@example.org")
    fresh = _register(app.test_client(), "othername", "fresh@example.org")
    assert taken == fresh
    # The owner of the taken address hears of it; the new address gets its link.
    assert mailbox.last("alice@example.org")["Subject"].startswith("Someone tried to register")
    assert mailbox.last("fresh@example.org")["Subject"] == "Confirm your e-mail address"


def _ask_reset(client: FlaskClient, login: str):
    token = csrf_token(client, "/forgot-password")
    response = client.post("/forgot-password", data={"csrf_token": token, "login": login})
    return response.status_code, response.headers.get("Location"), flashed(client)


def test_password_reset_does_not_tell_whether_an_account_exists(app, make_user, mailbox):
    make_user("alice")
    answers = {
        login: _ask_reset(app.test_client(), login)
        for login in ("alice", "alice@example.org", "nobody", "nobody@example.org")
    }
    assert len(set(answers.values())) == 1, answers
    assert len(mailbox.messages("alice@example.org")) == 2
    assert len(mailbox.messages()) == 2, "nothing is sent for names no account has"


@pytest.mark.parametrize("password", WEAK)
def test_weak_passwords_are_refused_everywhere_a_password_is_set(app, make_user, mailbox, password):
    client = app.test_client()
    response = AuthActions(client).register("alice", password=password)
    assert response.status_code == 400
    assert "too easy to guess" in response.text or "must not contain" in response.text

    make_user("bob")
    AuthActions(client).login("bob")
    change = client.post(
        "/account/password",
        data={
            "csrf_token": csrf_token(client, "/account"),
            "current_password": "correct horse battery staple",
            "new_password": password,
            "confirm": password,
        },
    )
    assert change.status_code == 400 and "too easy to guess" in change.text

    visitor = app.test_client()
    token = csrf_token(visitor, "/forgot-password")
    visitor.post("/forgot-password", data={"csrf_token": token, "login": "bob"})
    path = link_in(mailbox.last("bob@example.org"))
    reset = visitor.post(
        path,
        data={"csrf_token": csrf_token(visitor, path), "password": password, "confirm": password},
    )
    assert reset.status_code == 400 and "too easy to guess" in reset.text


SPELLINGS = ["alice", "ALICE", "alice@example.org", "Alice@Example.org", " alice "]


@pytest.fixture
def frozen(monkeypatch) -> dict:
    """The accounts' clock, stopped: waits are measured from it, not from how fast
    the machine runs the test. Move it with ``frozen["now"] += ...``."""
    clock = {"now": utcnow()}
    monkeypatch.setattr(account_services, "utcnow", lambda: clock["now"])
    return clock


def test_failed_logins_back_off_per_account_whatever_the_spelling(app, make_user, frozen):
    make_user("alice")
    attacker = AuthActions(app.test_client())
    for spelling in SPELLINGS:  # five failures, each under another spelling
        assert attacker.login(spelling, "not the password").status_code == 400
    # The sixth try, even with the right password, must wait.
    blocked = attacker.login("alice@example.org")
    assert blocked.status_code == 429
    assert "Too many failed attempts" in blocked.text and "Try again in 2 seconds." in blocked.text

    frozen["now"] += timedelta(seconds=1)
    assert "Try again in 1 second." in attacker.login("alice").text
    # Once the wait is over, the right password works, and the count starts again.
    frozen["now"] += timedelta(seconds=1)
    assert attacker.login("alice").status_code == 302


def test_back_off_doubles_and_answers_the_same_for_names_without_an_account(app, make_user, frozen):
    make_user("alice")
    attacker = AuthActions(app.test_client())
    for login in ("alice", "nobody@example.org"):
        answers = [attacker.login(login, "not the password").status_code for _ in range(6)]
        assert answers == [400, 400, 400, 400, 400, 429], login
        frozen["now"] += timedelta(seconds=2)
        assert attacker.login(login, "still not it").status_code == 400
        assert "Try again in 4 seconds." in attacker.login(login).text
        frozen["now"] += timedelta(hours=1)
        assert attacker.login(login, "nor this").status_code == 400
        assert "Try again in 8 seconds." in attacker.login(login).text
    # However many failures, no wait is longer than LOGIN_BACKOFF_MAX_SECONDS.
    assert backoff.wait_for(10_000, after=5, longest=900) == timedelta(minutes=15)


def test_a_forged_forwarded_for_header_does_not_dodge_the_address_limit(make_app, make_user):
    """With no proxy configured, X-Forwarded-For is the client's own invention."""
    app = make_app(LOGIN_RATE_LIMIT="2 per minute")
    client = app.test_client()
    statuses = []
    for n in range(3):
        token = csrf_token(client, "/login")
        response = client.post(
            "/login",
            data={"csrf_token": token, "login": f"guess{n}", "password": "not it at all"},
            headers={"X-Forwarded-For": f"198.51.100.{n}"},
        )
        statuses.append(response.status_code)
    assert statuses == [400, 400, 429]


def test_behind_one_proxy_the_forwarded_address_is_the_clients(make_app):
    """With PROXY_COUNT=1, each client behind the proxy has its own limit, and what a
    client put in the header itself (left of the proxy's entry) is ignored."""
    app = make_app(LOGIN_RATE_LIMIT="2 per minute", PROXY_COUNT=1)
    client = app.test_client()

    def attempt(n: int, forwarded: str) -> int:
        token = csrf_token(client, "/login")
        return client.post(
            "/login",
            data={"csrf_token": token, "login": f"guess{n}", "password": "not it at all"},
            headers={"X-Forwarded-For": forwarded},
        ).status_code

    assert [attempt(n, "203.0.113.1") for n in range(3)] == [400, 400, 429]
    assert attempt(3, "203.0.113.2") == 400, "another client behind the proxy"
    assert attempt(4, "10.9.9.9, 203.0.113.1") == 429, "a forged entry on the left is ignored"


def test_hsts_follows_the_scheme_the_proxy_reports(make_app):
    trusting = make_app(PROXY_COUNT=1).test_client()
    https = {"X-Forwarded-Proto": "https"}
    assert "Strict-Transport-Security" in trusting.get("/", headers=https).headers
    assert "Strict-Transport-Security" not in trusting.get("/").headers
    direct = make_app(PROXY_COUNT=0).test_client()
    assert "Strict-Transport-Security" not in direct.get("/", headers=https).headers
