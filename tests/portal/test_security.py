"""CSRF, rate limits, roles and response headers."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

import portal
from portal.accounts.models import Role, User
from portal.audit import AuditEvent
from tests.portal.conftest import DEFAULT_PASSWORD, AuthActions, csrf_token

REGISTRATION = {
    "username": "mallory",
    "email": "mallory@example.org",
    "password": DEFAULT_PASSWORD,
    "confirm": DEFAULT_PASSWORD,
}


@pytest.mark.parametrize("token", [None, "", "forged-token", "IjAwMDAi.aaaa.bbbb"])
def test_registration_without_a_valid_csrf_token_is_refused(client, session, token):
    data = dict(REGISTRATION)
    if token is not None:
        data["csrf_token"] = token
    response = client.post("/register", data=data)
    assert response.status_code == 400
    assert "CSRF check failed" in response.get_data(as_text=True)
    assert session.scalar(select(func.count()).select_from(User)) == 0


def test_a_token_from_another_session_is_refused(app, client, session):
    other = app.test_client()
    stolen = csrf_token(other, "/register")
    response = client.post("/register", data={**REGISTRATION, "csrf_token": stolen})
    assert response.status_code == 400
    assert session.scalar(select(func.count()).select_from(User)) == 0


def test_login_is_rate_limited_per_address(make_app):
    app = make_app(LOGIN_RATE_LIMIT="3 per minute")
    auth = AuthActions(app.test_client())
    for attempt in range(3):
        assert auth.login("nobody", "wrong password here").status_code == 400, attempt
    limited = auth.login("nobody", "wrong password here")
    assert limited.status_code == 429
    assert "Too many attempts" in limited.get_data(as_text=True)


def test_login_is_rate_limited_per_account_across_addresses(make_app):
    app = make_app(LOGIN_RATE_LIMIT="3 per minute")
    auth = AuthActions(app.test_client())
    for n in range(3):
        response = auth.login(
            "victim", f"guess number {n}", environ={"REMOTE_ADDR": f"198.51.100.{n}"}
        )
        assert response.status_code == 400
    response = auth.login("victim", "guess number 9", environ={"REMOTE_ADDR": "198.51.100.77"})
    assert response.status_code == 429


ADMIN_ONLY = ["/admin/users"]


@pytest.mark.parametrize("url", ADMIN_ONLY)
@pytest.mark.parametrize(
    ("role", "status"),
    [
        (None, 302),
        (Role.MEMBER, 403),
        (Role.RESEARCHER, 403),
        (Role.MODERATOR, 403),
        (Role.ADMIN, 200),
    ],
)
def test_admin_pages_by_role(client, auth, make_user, url, role, status):
    if role is not None:
        make_user("someone", role=role)
        auth.login("someone")
    response = client.get(url)
    assert response.status_code == status
    if status == 403:
        assert "Not allowed" in response.get_data(as_text=True)


def test_an_admin_changes_a_role_and_it_is_audited(client, auth, make_user, session):
    make_user("root", role=Role.ADMIN)
    target = make_user("bob")
    auth.login("root")
    token = csrf_token(client, "/admin/users")
    response = client.post(
        f"/admin/users/{target}/role", data={"csrf_token": token, f"u{target}-role": "researcher"}
    )
    assert response.status_code == 303
    assert session.get(User, target).role == "researcher"
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "account.role_changed"))
    assert event.details == {"old": "member", "new": "researcher"}


def test_a_member_cannot_change_roles(client, auth, make_user, session):
    make_user("bob")
    auth.login("bob")
    token = csrf_token(client, "/account")
    me = session.scalar(select(User).where(User.username == "bob"))
    response = client.post(
        f"/admin/users/{me.id}/role", data={"csrf_token": token, f"u{me.id}-role": "admin"}
    )
    assert response.status_code == 403
    session.expire_all()
    assert session.get(User, me.id).role == "member"


def test_an_admin_cannot_demote_themself(client, auth, make_user, session):
    me = make_user("root", role=Role.ADMIN)
    auth.login("root")
    token = csrf_token(client, "/admin/users")
    client.post(f"/admin/users/{me}/role", data={"csrf_token": token, f"u{me}-role": "member"})
    assert session.get(User, me).role == "admin"


def test_security_headers_on_every_page(client):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "Strict-Transport-Security" not in response.headers
    secure = client.get("/", base_url="https://localhost")
    assert "max-age=" in secure.headers["Strict-Transport-Security"]


def test_a_security_header_a_response_sets_itself_is_kept_and_not_repeated(app):
    from flask import Response

    from portal.security import add_security_headers

    with app.test_request_context("/", base_url="https://localhost"):
        response = Response(
            headers={"x-frame-options": "SAMEORIGIN", "STRICT-TRANSPORT-SECURITY": "max-age=60"}
        )
        headers = add_security_headers(response).headers
    assert headers.getlist("X-Frame-Options") == ["SAMEORIGIN"]
    assert headers.getlist("Strict-Transport-Security") == ["max-age=60"]
    assert headers.getlist("X-Content-Type-Options") == ["nosniff"]


def test_pages_load_nothing_from_other_sites_and_run_no_inline_script():
    templates = Path(portal.__file__).with_name("templates")
    for template in templates.rglob("*.html"):
        text = template.read_text()
        assert not re.search(r'src="(https?:)?//', text), template
        assert not re.search(r'<link[^>]+href="(https?:)?//', text), template
        # Only scripts from files run; a JSON-LD data block is not executed.
        assert not re.search(r'<script(?![^>]*\b(src=|type="application/ld\+json"))[^>]*>', text), (
            template
        )
        assert not re.search(r"\son[a-z]+=", text), template
