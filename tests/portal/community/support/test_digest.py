"""What's new in my communities: the page (since the last visit or a date) and the
e-mail digest, off until asked for, sent by the periodic job to a real SMTP server."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from portal.accounts.models import User
from portal.community import services
from portal.community.support import digest
from portal.community.support.models import DigestPreference, SupportPost
from portal.db import utcnow
from tests.portal.community.conftest import reload
from tests.portal.conftest import body_of, csrf_token

PAGE = "/whats-new/"


def test_the_page_shows_new_threads_and_replies_of_my_communities_only(
    community, other_community, person, login, start, answer, session
):
    ana = person("ana", member_of=(community,))
    ben = person("ben", member_of=(community, other_community))
    story = start(community, ben, title="Back at work after surgery")
    answer(story, ana, "Well done!")
    answer(story, ben, "Thanks.")
    start(other_community, ben, title="A thread ana cannot see")

    client = login("ana")
    page = client.get(PAGE).get_data(as_text=True)
    assert "Back at work after surgery" in page and "2 new replies" in page
    assert "new, by" in page and "A thread ana cannot see" not in page

    # Marked as seen: the page starts from now, until the member picks a date.
    client.post(PAGE + "seen", data={"csrf_token": csrf_token(client, PAGE)})
    assert "Nothing new since then." in client.get(PAGE).get_data(as_text=True)
    yesterday = (utcnow() - timedelta(days=1)).date().isoformat()
    assert "Back at work after surgery" in client.get(f"{PAGE}?since={yesterday}").get_data(
        as_text=True
    )
    tomorrow = (utcnow() + timedelta(days=1)).date().isoformat()
    assert "Nothing new" in client.get(f"{PAGE}?since={tomorrow}").get_data(as_text=True)


def test_a_date_that_is_no_date_is_named_on_the_page(community, person, login):
    person("ana", member_of=(community,))
    response = login("ana").get(PAGE + "?since=last+tuesday")
    assert response.status_code == 400
    assert "“last tuesday” is not a date" in response.get_data(as_text=True)


def _set_email(client, on: bool):
    data = {"csrf_token": csrf_token(client, PAGE)}
    if on:
        data["email"] = "y"
    return client.post(PAGE + "email", data=data)


def _as_if_last_sent_days_ago(session, days: int) -> None:
    session.execute(update(DigestPreference).values(email_sent_at=utcnow() - timedelta(days=days)))
    session.commit()


def test_the_email_digest_is_off_by_default_and_sent_once_due_to_those_who_asked(
    app, community, person, login, start, answer, session, smtp_server, make_user
):
    inbox, port = smtp_server
    app.config.update(MAIL_URL=f"smtp://127.0.0.1:{port}", BASE_URL="https://portal.example.org")
    ana = person("ana", member_of=(community,))
    ben = person("ben", member_of=(community,))
    person("cleo", member_of=(community,))  # never asks for it
    dora = session.get(User, make_user("dora", confirmed=False))
    services.join(session, community, dora)
    session.commit()

    assert _set_email(login("ana"), True).status_code == 303
    assert _set_email(login("dora"), True).status_code == 303  # unconfirmed: never mailed
    _as_if_last_sent_days_ago(session, 8)
    story = start(community, ben, title="What helped with nausea", kind="helped", anonymous=True)
    answer(story, ben, "Ginger tea.")

    assert digest.send_digests(app) == 1
    [sent] = inbox.messages
    assert sent["To"] == "ana@example.org"
    assert sent["Subject"] == "What's new in your communities"
    text = body_of(sent)
    assert "What helped me: What helped with nausea (new, by a member; 1 new reply)" in text
    assert f"https://portal.example.org/communities/colon-cancer/support/{story.id}" in text
    assert "ben" not in text.lower()
    assert sent["List-Unsubscribe"].startswith("<https://portal.example.org/whats-new/unsubscribe/")

    # Not due again until COMMUNITY_DIGEST_DAYS have passed.
    assert digest.send_digests(app) == 0
    # Nothing new since the last message: no message, and the turn still counts.
    session.execute(update(SupportPost).values(created_at=utcnow() - timedelta(days=9)))
    _as_if_last_sent_days_ago(session, 8)
    assert digest.send_digests(app) == 0
    assert len(inbox.messages) == 1
    assert reload(session, DigestPreference, ana.id).email_sent_at > utcnow() - timedelta(hours=1)


def test_the_unsubscribe_link_turns_the_digest_off_without_logging_in(
    app, community, person, login, start, session, smtp_server
):
    inbox, port = smtp_server
    app.config.update(MAIL_URL=f"smtp://127.0.0.1:{port}", BASE_URL="https://portal.example.org")
    ana = person("ana", member_of=(community,))
    ben = person("ben", member_of=(community,))
    _set_email(login("ana"), True)
    _as_if_last_sent_days_ago(session, 8)
    start(community, ben, title="Hello all")
    assert digest.send_digests(app) == 1
    link = body_of(inbox.messages[0]).split("https://portal.example.org")[-1].split()[0]
    assert link.startswith("/whats-new/unsubscribe/")

    visitor = app.test_client()
    page = visitor.get(link)
    assert page.status_code == 200 and "Stop the digest" in page.get_data(as_text=True)
    assert reload(session, DigestPreference, ana.id).email  # a GET changes nothing
    # A mail client's one-click unsubscribe posts without a CSRF token.
    response = visitor.post(link)
    assert response.status_code == 200 and "Done" in response.get_data(as_text=True)
    assert not reload(session, DigestPreference, ana.id).email

    forged = link[:-3] + ("abc" if not link.endswith("abc") else "xyz")
    assert visitor.post(forged).status_code == 404
    _as_if_last_sent_days_ago(session, 8)
    start(community, ben, title="Another one")
    assert digest.send_digests(app) == 0
