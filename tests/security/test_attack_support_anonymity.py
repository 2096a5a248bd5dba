"""Attack: learn who wrote a post made as "a member".

Zara posts a story and a reply anonymously. Everyone but the community's moderators
and the site's admins tries every place the posts show up: the support pages, the
thread follower's notifications, the "what's new" page and the e-mail digest, flagging
the post, the moderation queue, Zara's profile and the JSON API. Her name, username,
profile link and id must appear in none of them. Moderators and admins see her name.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from portal.accounts.models import Role, User
from portal.community.support import digest
from portal.community.support import services as support
from portal.community.support.models import DigestPreference
from portal.db import utcnow
from tests.portal.community.conftest import SLUG
from tests.portal.conftest import AuthActions, Mailbox, body_of, csrf_token

SUPPORT = f"/communities/{SLUG}/support"
API = f"/api/v1/communities/{SLUG}/threads"
SECRETS = ("zara_quill", "Zara Quillfeather", "/u/zara_quill")


@pytest.fixture
def world(app, session, community, other_community, person):
    zara = person("zara_quill", member_of=(community,))
    zara.display_name = "Zara Quillfeather"
    ben = person("ben", member_of=(community,))
    person("cleo", member_of=(community,))
    person("otto", moderator_of=(other_community,), member_of=(community,))
    person("rita", role=Role.RESEARCHER, member_of=(community,))
    person("moe", moderator_of=(community,))
    person("ada", role=Role.ADMIN)
    story = support.start_thread(
        session,
        community,
        zara,
        kind="story",
        title="The year nobody knew",
        body="I kept it from my family.",
        anonymous=True,
    )
    bens = support.start_thread(
        session, community, ben, kind="question", title="Who else felt alone?", body="Me."
    )
    reply = support.reply(session, bens, zara, "I did, every day.", anonymous=True)
    session.commit()
    return {"zara": zara, "story": story, "bens": bens, "reply": reply}


def login(app, username: str):
    client = app.test_client()
    assert AuthActions(client).login(username).status_code == 302
    return client


def leaks(text: str, zara_id: int) -> list[str]:
    found = [secret for secret in SECRETS if secret.lower() in text.lower()]
    # Her id, wherever a page or a document could carry it.
    pattern = rf"(author|user)[_-]?id\W{{0,4}}{zara_id}\b|/users?/{zara_id}\b"
    if re.search(pattern, text, re.IGNORECASE):
        found.append(f"id {zara_id}")
    return found


def pages(world) -> list[str]:
    story, bens, reply = world["story"], world["bens"], world["reply"]
    return [
        f"{SUPPORT}/",
        f"{SUPPORT}/?order=helped",
        f"{SUPPORT}/?kind=story",
        f"{SUPPORT}/{story.id}",
        f"{SUPPORT}/{bens.id}",
        "/whats-new/",
        "/notifications/",
        f"/communities/{SLUG}/moderation/",
        "/u/zara_quill",
        API,
        f"{API}/{story.id}",
        f"{API}/{bens.id}",
        f"/api/v1/communities/{SLUG}",
        f"{SUPPORT}/posts/{reply.id}/edit",
    ]


@pytest.mark.parametrize("reader", [None, "ben", "cleo", "otto", "rita"])
def test_no_one_but_moderators_learns_who_wrote_an_anonymous_post(app, world, reader):
    client = app.test_client() if reader is None else login(app, reader)
    zara_id = world["zara"].id
    problems = []
    for url in pages(world):
        response = client.get(url)
        assert response.status_code < 500, url
        text = response.get_data(as_text=True)
        if url == "/u/zara_quill":
            # Her own profile names her, of course: it must not name her posts.
            if "The year nobody knew" in text or "every day" in text:
                problems.append(f"{url}: lists an anonymous post")
            continue
        problems += [f"{url}: {leak}" for leak in leaks(text, zara_id)]
    assert not problems, problems
    # The anonymous posts are there, under "a member".
    story_page = client.get(f"{SUPPORT}/{world['story'].id}").get_data(as_text=True)
    assert "I kept it from my family." in story_page and "a member" in story_page


def test_flagging_an_anonymous_post_tells_the_flagger_nothing_more(app, world):
    cleo = login(app, "cleo")
    back = f"{SUPPORT}/{world['story'].id}"
    response = cleo.post(
        f"{SUPPORT}/posts/{world['story'].id}/flag",
        data={"csrf_token": csrf_token(cleo, back), "reason": "spam"},
        follow_redirects=True,
    )
    text = response.get_data(as_text=True)
    assert "moderators will look at it" in text
    assert leaks(text, world["zara"].id) == []
    # The flagger cannot open the queue where the author is named.
    assert cleo.get(f"/communities/{SLUG}/moderation/").status_code == 403


def test_the_follower_notification_and_the_mailed_digest_name_no_one(app, world, session):
    ben = login(app, "ben")
    notes = ben.get("/notifications/").get_data(as_text=True)
    assert "New reply in “Who else felt alone?”" in notes
    assert leaks(notes, world["zara"].id) == []

    cleo = login(app, "cleo")
    cleo.post(
        "/whats-new/email", data={"csrf_token": csrf_token(cleo, "/whats-new/"), "email": "y"}
    )
    session.execute(update(DigestPreference).values(email_sent_at=utcnow() - timedelta(days=30)))
    session.commit()
    assert digest.send_digests(app) == 1
    message = Mailbox(app).last("cleo@example.org")
    text = body_of(message)
    assert "The year nobody knew" in text and "by a member" in text
    assert leaks(message.as_string(), world["zara"].id) == []


def test_the_api_withholds_the_author_from_members_and_tokens(app, world, token_for, session):
    cleo = session.scalars(select(User).where(User.username == "cleo")).one()
    headers = {"Authorization": f"Bearer {token_for(cleo)}"}
    client = app.test_client()
    listing = client.get(API, headers=headers).get_json()
    story = next(item for item in listing["items"] if item["id"] == world["story"].id)
    assert story["author"] is None and story["author_label"] == "a member" and story["anonymous"]
    detail = client.get(f"{API}/{world['bens'].id}", headers=headers).get_json()
    assert detail["posts"][0]["author"] is None
    assert leaks(json.dumps([listing, detail]), world["zara"].id) == []


@pytest.mark.parametrize("reader", ["moe", "ada"])
def test_moderators_and_admins_still_see_the_author(app, world, reader):
    client = login(app, reader)
    page = client.get(f"{SUPPORT}/{world['story'].id}").get_data(as_text=True)
    assert "Zara Quillfeather" in page and "posted as “a member”" in page
    detail = client.get(f"{API}/{world['story'].id}").get_json()
    assert detail["author"] == "zara_quill"


def test_the_author_sees_their_post_as_theirs_without_others_learning_it(app, world):
    zara = login(app, "zara_quill")
    page = zara.get(f"{SUPPORT}/{world['story'].id}").get_data(as_text=True)
    assert "a member (you)" in page and "Edit" in page
