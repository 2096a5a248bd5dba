"""Registration, login and logout, as a visitor meets them."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from portal.accounts.models import User
from portal.audit import AuditEvent
from tests.portal.conftest import DEFAULT_PASSWORD, body_of, csrf_token, link_in


def user_count(session) -> int:
    return session.scalar(select(func.count()).select_from(User))


def test_register_creates_an_account_with_an_argon2_hash_and_mails_a_link(
    client, auth, session, mailbox
):
    response = auth.register("alice", display_name="Alice")
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    user = session.scalar(select(User).where(User.username == "alice"))
    assert user.role == "member"
    assert user.password_hash.startswith("$argon2id$")
    assert DEFAULT_PASSWORD not in user.password_hash
    assert user.email_confirmed_at is None and user.session_version == 1
    message = mailbox.last("alice@example.org")
    assert message["Subject"] == "Confirm your e-mail address"
    assert "Hello Alice" in body_of(message)
    assert "open the link" in client.get("/login").get_data(as_text=True)


def test_following_the_link_confirms_the_address_and_an_unconfirmed_member_may_log_in(
    client, auth, session, mailbox
):
    auth.register("alice")
    assert auth.login("alice").status_code == 302, "unconfirmed accounts may sign in"
    assert "not confirmed yet" in client.get("/account").get_data(as_text=True)
    response = client.get(link_in(mailbox.last()))
    assert response.status_code == 302 and response.headers["Location"] == "/account"
    assert session.scalar(select(User.email_confirmed_at)) is not None
    assert "not confirmed yet" not in client.get("/account").get_data(as_text=True)


def test_the_link_can_be_sent_again_from_the_account_page(client, auth, make_user, mailbox):
    make_user("alice", confirmed=False)
    auth.login("alice")
    token = csrf_token(client, "/account")
    response = client.post("/account/confirm-again", data={"csrf_token": token})
    assert response.status_code == 303
    assert "We sent a new link" in client.get("/account").get_data(as_text=True)
    assert client.get(link_in(mailbox.last("alice@example.org"))).status_code == 302
    assert "(confirmed)" in client.get("/account").get_data(as_text=True)


def test_usernames_and_emails_are_unique_whatever_their_case(client, auth, session, mailbox):
    assert auth.register("alice", email="alice@example.org").status_code == 302
    same_name = auth.register("ALICE", email="other@example.org")
    assert same_name.status_code == 400
    assert "That username is taken." in same_name.get_data(as_text=True)
    same_email = auth.register("bob", email="Alice@Example.org")
    assert same_email.status_code == 302, "the same answer as a new account"
    assert user_count(session) == 1
    assert mailbox.last()["Subject"] == "Someone tried to register with your e-mail address"


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short1", "at least 10 characters"),
        ("password1234", "too easy to guess"),
        ("aaaaaaaaaaaaaa", "too easy to guess"),
        ("qwertyuiop1", "too easy to guess"),
        ("Summer2024!", "too easy to guess"),
        ("open-research-demo", "too easy to guess"),
        ("alice-is-my-password", "must not contain your username"),
    ],
)
def test_weak_passwords_are_refused_with_the_reason(auth, session, password, message):
    response = auth.register("alice", password=password)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert user_count(session) == 0


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"username": ""}, "This field is required."),
        ({"email": ""}, "This field is required."),
        ({"username": "x" * 33}, "between 3 and 32 characters"),
        ({"email": "a" * 250 + "@example.org"}, "longer than 254"),
        ({"username": "bad name!"}, "Usernames are 3 to 32 characters"),
        ({"email": "not-an-address"}, "Enter a valid e-mail address."),
        ({"confirm": "something else entirely"}, "The passwords differ."),
        ({"display_name": "d" * 81}, "longer than 80"),
    ],
)
def test_bad_registration_input_is_explained_and_writes_nothing(auth, session, fields, message):
    values = {"username": "alice", "email": "alice@example.org", **fields}
    response = auth.register(**values)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert 'role="alert"' in response.get_data(as_text=True)
    assert user_count(session) == 0


def test_login_by_username_or_email_and_logout(client, auth, make_user):
    make_user("alice")
    response = auth.login("alice")
    assert response.status_code == 302
    assert client.get("/account").status_code == 200
    auth.logout()
    assert client.get("/account").status_code == 302
    assert auth.login("ALICE@example.org").status_code == 302
    assert client.get("/account").status_code == 200


def test_wrong_password_or_unknown_user_gets_the_same_answer(auth, make_user, session):
    make_user("alice")
    wrong_password = auth.login("alice", "not the password at all")
    unknown_user = auth.login("nobody", "not the password at all")
    for response in (wrong_password, unknown_user):
        assert response.status_code == 400
        assert "Wrong username/e-mail or password." in response.get_data(as_text=True)
    failures = session.scalars(select(AuditEvent).where(AuditEvent.action == "login.failed")).all()
    assert len(failures) == 2


def test_inactive_accounts_cannot_log_in(auth, make_user, session):
    user_id = make_user("alice")
    session.get(User, user_id).active = False
    session.commit()
    assert auth.login("alice").status_code == 400


def test_logout_is_a_post_with_a_csrf_token(client, auth, make_user):
    make_user("alice")
    auth.login("alice")
    assert client.get("/logout").status_code == 405
    assert client.post("/logout", data={}).status_code == 400
    assert client.get("/account").status_code == 200, "a forged logout must not log out"
    auth.logout()
    assert client.get("/account").status_code == 302


def test_pages_for_members_send_visitors_to_login_and_back(client, auth, make_user):
    response = client.get("/account")
    assert response.status_code == 302
    assert "/login?next=%2Faccount" in response.headers["Location"]
    make_user("alice")
    response = auth.login("alice", next_url="/account")
    assert response.headers["Location"] == "/account"


@pytest.mark.parametrize(
    "evil",
    [
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example",
        "http:/evil",
        "javascript:alert(1)",
        "/%0d%0aSet-Cookie:x=1",
    ],
)
def test_next_never_redirects_off_site(auth, make_user, evil):
    make_user("alice")
    response = auth.login("alice", next_url=evil)
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location in ("/",) or (
        location.startswith("/")
        and not location.startswith("//")
        and "evil" not in location.split("?")[0].lstrip("/").split("/")[0]
        and "\\" not in location
    )


def test_session_cookie_is_httponly_and_samesite(client, auth, make_user):
    make_user("alice")
    response = auth.login("alice")
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_login_is_recorded_in_the_audit_log(auth, make_user, session):
    make_user("alice")
    auth.login("alice", environ={"REMOTE_ADDR": "203.0.113.9"})
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "login.succeeded"))
    assert event.subject == "alice" and event.ip_address == "203.0.113.9"


def test_profile_pages(client, make_user, auth):
    make_user("alice")
    assert "alice" in client.get("/u/alice").get_data(as_text=True)
    assert client.get("/u/nobody").status_code == 404
    auth.login("alice")
    token_page = client.get("/account")
    assert "alice@example.org" in token_page.get_data(as_text=True)
