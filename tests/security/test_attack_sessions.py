"""Attacks on sessions and signed links, played as an outsider who got hold of a
cookie or a mailed link: each replay must be refused once the member has logged
out, changed the password, or used the link."""

from __future__ import annotations

import time

from flask.testing import FlaskClient
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import select

from portal.accounts import links
from portal.accounts.models import User
from portal.accounts.passwords import verify_password
from tests.portal.conftest import (
    DEFAULT_PASSWORD,
    AuthActions,
    Mailbox,
    body_of,
    csrf_token,
    link_in,
)
from tests.portal.fixtures import CSRF_PATTERN

NEW_PASSWORD = "violet kettle under the bridge"


def signed_in(client: FlaskClient) -> bool:
    return client.get("/account").status_code == 200


def stolen_remember_cookie(app, victim: FlaskClient) -> FlaskClient:
    """A fresh browser holding only a copy of the victim's remember-me cookie."""
    cookie = victim.get_cookie("remember_token")
    assert cookie is not None, "the victim asked to be remembered"
    thief = app.test_client()
    thief.set_cookie("remember_token", cookie.value)
    return thief


def stolen_session_cookie(app, victim: FlaskClient) -> FlaskClient:
    cookie = victim.get_cookie("session")
    assert cookie is not None
    thief = app.test_client()
    thief.set_cookie("session", cookie.value)
    return thief


def test_a_copied_remember_cookie_stops_working_when_the_member_logs_out(
    app, client, auth, make_user
):
    make_user("alice")
    auth.login("alice", remember=True)
    thief = stolen_remember_cookie(app, client)
    assert signed_in(thief), "the copy works while the member is logged in"
    copy = client.get_cookie("remember_token").value
    auth.logout()
    late_thief = app.test_client()
    late_thief.set_cookie("remember_token", copy)
    assert not signed_in(late_thief)
    assert not signed_in(thief), "nor does a session the copy had already opened"


def test_a_copied_session_cookie_stops_working_when_the_member_logs_out(
    app, client, auth, make_user
):
    make_user("alice")
    auth.login("alice")
    thief = stolen_session_cookie(app, client)
    assert signed_in(thief)
    auth.logout()
    assert not signed_in(thief)


def test_log_out_everywhere_ends_every_other_browser(app, client, auth, make_user):
    make_user("alice")
    auth.login("alice", remember=True)
    laptop = app.test_client()
    AuthActions(laptop).login("alice", remember=True)
    laptop_cookie = laptop.get_cookie("remember_token").value
    response = client.post(
        "/account/logout-everywhere", data={"csrf_token": csrf_token(client, "/account")}
    )
    assert response.status_code == 303
    assert not signed_in(client) and not signed_in(laptop)
    replay = app.test_client()
    replay.set_cookie("remember_token", laptop_cookie)
    assert not signed_in(replay)


def test_a_changed_password_ends_every_other_session_but_this_one(app, client, auth, make_user):
    make_user("alice")
    auth.login("alice", remember=True)
    thief = stolen_remember_cookie(app, client)
    assert signed_in(thief)
    response = client.post(
        "/account/password",
        data={
            "csrf_token": csrf_token(client, "/account"),
            "current_password": DEFAULT_PASSWORD,
            "new_password": NEW_PASSWORD,
            "confirm": NEW_PASSWORD,
        },
    )
    assert response.status_code == 303
    assert signed_in(client), "the member who changed it stays logged in"
    assert not signed_in(thief)


def test_changing_the_password_needs_the_current_one(client, auth, make_user, session):
    """Someone at an unlocked, logged-in computer cannot take the account over."""
    make_user("alice")
    auth.login("alice")
    response = client.post(
        "/account/password",
        data={
            "csrf_token": csrf_token(client, "/account"),
            "current_password": "a guess at the password",
            "new_password": NEW_PASSWORD,
            "confirm": NEW_PASSWORD,
        },
    )
    assert response.status_code == 400
    assert "That is not your current password." in response.get_data(as_text=True)
    assert verify_password(session.scalar(select(User.password_hash)), DEFAULT_PASSWORD)


def ask_for_reset(client: FlaskClient, login: str):
    token = csrf_token(client, "/forgot-password")
    return client.post("/forgot-password", data={"csrf_token": token, "login": login})


def use_reset_link(client: FlaskClient, path: str, password: str = NEW_PASSWORD):
    page = client.get(path)
    if page.status_code != 200:
        return page
    token = csrf_token(client, path)
    return client.post(path, data={"csrf_token": token, "password": password, "confirm": password})


def test_a_reset_link_works_once_and_ends_every_session(
    app, client, auth, make_user, mailbox, session
):
    make_user("alice")
    auth.login("alice", remember=True)
    thief = stolen_remember_cookie(app, client)
    visitor = app.test_client()
    ask_for_reset(visitor, "alice")
    path = link_in(mailbox.last("alice@example.org"))
    assert use_reset_link(visitor, path).status_code == 303
    assert not signed_in(client) and not signed_in(thief)
    assert AuthActions(visitor).login("alice", NEW_PASSWORD).status_code == 302

    # Whoever reads the mail later (a shared mailbox, a forwarded message) finds it used.
    reused = app.test_client()
    response = reused.get(path)
    assert response.status_code == 302 and response.headers["Location"] == "/forgot-password"
    assert use_reset_link(reused, path, "another fine long passphrase").status_code == 302
    user = session.scalar(select(User))
    assert verify_password(user.password_hash, NEW_PASSWORD)


def test_a_reset_link_dies_when_the_password_changes_another_way(
    app, client, auth, make_user, mailbox
):
    make_user("alice")
    ask_for_reset(app.test_client(), "alice")
    path = link_in(mailbox.last())
    auth.login("alice")
    client.post(
        "/account/password",
        data={
            "csrf_token": csrf_token(client, "/account"),
            "current_password": DEFAULT_PASSWORD,
            "new_password": NEW_PASSWORD,
            "confirm": NEW_PASSWORD,
        },
    )
    assert app.test_client().get(path).status_code == 302


def test_forged_expired_and_misused_links_are_refused(app, make_user, session, mailbox):
    user = session.get(User, make_user("alice", confirmed=False))
    outsider = app.test_client()
    with app.test_request_context():
        reset = links.reset_token(user)
        confirm = links.confirm_token(user)
        # A link signed with another key, and one signed an hour and a minute ago.
        other_key = URLSafeTimedSerializer("not the portal's key", salt=links.RESET_SALT)
        foreign = other_key.dumps([user.id, links._reset_state(user)])

        class OneHourAgo(TimestampSigner):
            def get_timestamp(self) -> int:
                return int(time.time()) - 3660

        old = URLSafeTimedSerializer(
            app.config["SECRET_KEY"], salt=links.RESET_SALT, signer=OneHourAgo
        ).dumps([user.id, links._reset_state(user)])
    tampered = reset[:-2] + ("AA" if not reset.endswith("AA") else "BB")
    for token in (foreign, old, tampered, confirm):
        response = outsider.get(f"/reset-password/{token}")
        assert response.status_code == 302, token
        assert response.headers["Location"] == "/forgot-password"
    # A reset link is no confirmation link either.
    assert outsider.get(f"/confirm/{reset}").status_code == 302
    session.expire_all()
    assert session.get(User, user.id).email_confirmed_at is None


def test_a_confirmation_link_works_once_and_only_for_its_account(
    app, auth, client, make_user, session, mailbox
):
    auth.register("mallory")
    mallory_link = link_in(mailbox.last("mallory@example.org"))
    victim = session.get(User, make_user("victim", confirmed=False))
    # Changing the id inside Mallory's own link breaks its signature.
    token = mallory_link.rsplit("/", 1)[1]
    signature = token.partition(".")[2]
    with app.test_request_context():
        victims_payload = links.confirm_token(victim).partition(".")[0]
    assert client.get(f"/confirm/{victims_payload}.{signature}").status_code == 302
    session.expire_all()
    assert session.get(User, victim.id).email_confirmed_at is None

    assert client.get(mallory_link).status_code == 302
    first = session.scalar(select(User.email_confirmed_at).where(User.username == "mallory"))
    assert first is not None
    again = client.get(mallory_link, follow_redirects=True)
    assert "This link does not work" in again.get_data(as_text=True)
    session.expire_all()
    assert (
        session.scalar(select(User.email_confirmed_at).where(User.username == "mallory")) == first
    )


def test_the_remember_cookie_is_short_lived_secure_and_not_for_scripts(make_app, make_user):
    app = make_app(SESSION_COOKIE_SECURE=True, REMEMBER_DAYS=14)
    make_user("alice")
    client = app.test_client()
    response = AuthActions(client).login("alice", remember=True)
    cookie = next(
        c for c in response.headers.getlist("Set-Cookie") if c.startswith("remember_token=")
    )
    assert "HttpOnly" in cookie and "Secure" in cookie and "SameSite=Lax" in cookie
    expires = client.get_cookie("remember_token").expires
    assert expires is not None
    lifetime_days = (expires.timestamp() - time.time()) / 86400
    assert 13 < lifetime_days <= 14


def test_links_in_mail_ignore_a_forged_host_header(make_app, make_user, mailbox):
    """A reset asked for with Host: evil.example must not mail a link to evil.example."""
    app = make_app(BASE_URL="https://portal.example.org")
    make_user("alice")
    client = app.test_client()
    evil = "http://evil.example"
    page = client.get("/forgot-password", base_url=evil).get_data(as_text=True)
    token = CSRF_PATTERN.search(page).group(1)
    response = client.post(
        "/forgot-password", data={"csrf_token": token, "login": "alice"}, base_url=evil
    )
    assert response.status_code == 302
    body = body_of(Mailbox(app).last())
    assert "https://portal.example.org/reset-password/" in body
    assert "evil.example" not in body
