"""The site admin area: admins only; users found and changed with every change audited;
the audit log filtered and exported as CSV with spreadsheet formulas neutralised."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.accounts.models import Role, User
from portal.audit import AuditEvent, record
from portal.community.moderation.models import ModerationDecision
from portal.db import utcnow
from tests.portal.conftest import csrf_token


@pytest.fixture
def admin(person, login):
    person("root", role=Role.ADMIN)
    return login("root")


def events(session, action):
    session.expire_all()
    return session.scalars(select(AuditEvent).where(AuditEvent.action == action)).all()


@pytest.mark.parametrize("path", ["/admin/", "/admin/users", "/admin/audit", "/admin/audit.csv"])
def test_only_admins_enter(path, person, login, client):
    person("mod", role=Role.MODERATOR)
    assert client.get(path).status_code == 302  # a visitor is sent to log in
    assert login("mod").get(path).status_code == 403


def test_the_dashboard_counts_what_needs_an_admin(admin):
    page = admin.get("/admin/").get_data(as_text=True)
    assert "accounts" in page and "appeals waiting" in page


def test_find_users_by_username_email_or_display_name_page_by_page(admin, person, session):
    for n in range(30):
        user = person(f"member{n:02d}")
        user.display_name = "Zebra Keeper" if n == 7 else ""
    session.commit()
    assert "member07" in admin.get("/admin/users?q=zebra").get_data(as_text=True)
    only = admin.get("/admin/users?q=member12@example").get_data(as_text=True)
    assert "member12" in only and "member13" not in only
    first = admin.get("/admin/users?q=member").get_data(as_text=True)
    second = admin.get("/admin/users?q=member&page=2").get_data(as_text=True)
    assert "Next" in first and "Next" not in second and "Previous" in second
    assert "No account matches." in admin.get("/admin/users?q=%25").get_data(as_text=True)
    assert admin.get("/admin/users?page=-3").status_code == 200


def test_role_change_is_audited_and_an_admin_keeps_their_own_role(admin, person, session):
    sam = person("sam")
    token = csrf_token(admin, f"/admin/users/{sam.id}")
    admin.post(
        f"/admin/users/{sam.id}/role", data={"csrf_token": token, f"u{sam.id}-role": "researcher"}
    )
    [event] = events(session, "account.role_changed")
    assert event.details == {"old": "member", "new": "researcher"}
    root = session.scalar(select(User).where(User.username == "root"))
    response = admin.post(
        f"/admin/users/{root.id}/role", data={"csrf_token": token, f"u{root.id}-role": "member"}
    )
    assert "cannot remove your own admin role" in admin.get(response.headers["Location"]).text
    session.expire_all()
    assert session.get(User, root.id).role == "admin"


def test_suspend_restore_and_ban_are_audited_and_told(admin, person, session):
    sam = person("sam")
    page = f"/admin/users/{sam.id}"
    token = csrf_token(admin, page)
    admin.post(f"{page}/suspend", data={"csrf_token": token, "days": "0", "reason": "x"})
    session.expire_all()
    assert session.get(User, sam.id).suspended_until is None, "0 days is refused"
    admin.post(f"{page}/suspend", data={"csrf_token": token, "days": "2", "reason": "Cool off."})
    session.expire_all()
    until = session.get(User, sam.id).suspended_until
    assert until is not None and until - utcnow() > timedelta(days=1, hours=23)
    assert "suspended until" in admin.get(page).get_data(as_text=True)
    admin.post(f"{page}/restore", data={"csrf_token": token, "reason": "Apologised."})
    admin.post(f"{page}/ban", data={"csrf_token": token, "reason": "Came back spamming."})
    session.expire_all()
    sam = session.get(User, sam.id)
    assert sam.suspended_until is None and sam.banned_at is not None
    actions = [e.action for e in session.scalars(select(AuditEvent).order_by(AuditEvent.id))]
    assert actions[-4:-1] == ["account.suspended", "account.restored", "account.sessions_ended"]
    assert actions[-1] == "account.banned"
    root = session.scalar(select(User).where(User.username == "root"))
    assert all(e.actor_id == root.id for e in events(session, "account.banned"))
    assert len(session.scalars(select(ModerationDecision)).all()) == 2, "both can be appealed"


def test_the_audit_log_filters_by_actor_action_subject_and_dates(admin, person, session):
    sam = person("sam")
    old = record(session, "moderation.hidden", actor_id=sam.id, subject="comment:1", community_id=1)
    old.created_at = utcnow() - timedelta(days=40)
    record(session, "moderation.kept", actor_id=sam.id, subject="comment:2", community_id=1)
    record(session, "account.role_changed", subject="sam", old="member", new="researcher")
    session.commit()

    def shown(**query):
        response = admin.get("/admin/audit", query_string=query)
        assert response.status_code == 200
        return response.get_data(as_text=True)

    assert "comment:1" in shown(actor="sam") and "comment:2" in shown(actor="SAM")
    assert "account.role_changed" not in shown(actor="sam")
    page = shown(action="moderation.")
    assert "comment:1" in page and "account.role_changed" not in page
    page = shown(subject="comment:2")
    assert "comment:2" in page and "comment:1" not in page
    since = (utcnow() - timedelta(days=2)).date().isoformat()
    page = shown(since=since, actor="sam")
    assert "comment:2" in page and "comment:1" not in page
    until = (utcnow() - timedelta(days=30)).date().isoformat()
    page = shown(until=until)
    assert "comment:1" in page and "comment:2" not in page


@pytest.mark.parametrize(
    ("query", "field", "words"),
    [
        ({"since": "yesterday"}, "since", "YYYY-MM-DD"),
        ({"since": "2026-02-01", "until": "2026-01-01"}, "since", "start date is after"),
        ({"actor": "nobody-here"}, "actor", "No account is called"),
    ],
)
def test_a_bad_filter_is_named_and_kept_never_a_500(admin, query, field, words):
    response = admin.get("/admin/audit", query_string=query)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert words in page and f'id="f-{field}-error"' in page
    assert f'value="{next(iter(query.values()))}"' in page, "what was typed is kept"


def test_the_csv_export_is_filtered_neutralised_and_audited(admin, client, session):
    # A failed login records what was typed as the subject: an attacker chooses it.
    token = csrf_token(client, "/login")
    client.post(
        "/login", data={"csrf_token": token, "login": '=HYPERLINK("http://x")', "password": "x"}
    )
    response = admin.get("/admin/audit.csv", query_string={"action": "login.failed"})
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0] == ["time", "action", "actor", "subject", "ip_address", "details"]
    assert [row[1] for row in rows[1:]] == ["login.failed"]
    assert rows[1][3].startswith("'="), rows[1][3]
    [event] = events(session, "admin.audit_exported")
    assert event.details == {"rows": 1, "filters": {"action": "login.failed"}}


def test_the_old_users_address_is_the_admin_users_page(admin):
    page = admin.get("/admin/users").get_data(as_text=True)
    assert "Username, e-mail address or display name" in page
