"""Support threads: post a story, reply, edit and delete your own, list by kind and
order, page through them; only members post; new accounts have the comments' limits."""

from __future__ import annotations

from datetime import timedelta

import pytest
from markupsafe import escape
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal.community.support import services as support
from portal.community.support.models import HelpedReaction, SupportPost
from portal.db import utcnow
from portal.errors import Conflict
from tests.portal.community.conftest import count, reload
from tests.portal.community.support.conftest import (
    SUPPORT,
    post_reply,
    post_thread,
    press,
    thread_url,
)


def test_a_member_posts_a_story_and_others_reply(community, person, login, session):
    person("ana", member_of=(community,))
    person("ben", member_of=(community,))
    ana = login("ana")
    response = post_thread(ana, body="The **second** month was the hardest.")
    assert response.status_code == 303
    thread = session.scalars(select(SupportPost)).one()
    assert response.headers["Location"].endswith(thread_url(thread.id))
    assert (thread.kind, thread.title, thread.thread_id) == (
        "story",
        "How I found my feet again",
        None,
    )

    ben = login("ben")
    response = post_reply(ben, thread.id, "Thank you for writing this.")
    assert response.status_code == 303
    reply = session.scalars(select(SupportPost).where(SupportPost.thread_id == thread.id)).one()
    assert response.headers["Location"].endswith(f"#post-{reply.id}")

    page = ben.get(thread_url(thread.id)).get_data(as_text=True)
    assert "The <strong>second</strong> month was the hardest." in page
    assert "Thank you for writing this." in page
    assert "My story" in page and ">ana</a>" in page and ">ben</a>" in page


@pytest.mark.parametrize(
    "body",
    ["<script>alert(1)</script>", "[click me](javascript:alert(3))", "<p onclick=alert(4)>hi</p>"],
)
def test_a_refused_post_keeps_its_text_in_the_box_with_the_reason(
    community, person, login, session, body
):
    person("mallory", member_of=(community,))
    client = login("mallory")
    response = post_thread(client, title="A title I typed", body=body)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Posts are Markdown, and nothing in them may run." in page
    assert escape(body) in page and 'value="A title I typed"' in page
    assert 'aria-invalid="true"' in page
    assert count(session, SupportPost) == 0


def test_a_refused_reply_comes_back_in_the_reply_box(community, person, login, start, session):
    ana = person("ana", member_of=(community,))
    thread = start(community, ana)
    client = login("ana")
    text = "This helped me a lot <img src=x onerror=alert(1)>"
    response = post_reply(client, thread.id, text)
    assert response.status_code == 400
    box = response.get_data(as_text=True).split('id="reply"')[1].split("</form>")[0]
    assert escape(text) in box and "nothing in them may run" in box
    assert count(session, SupportPost, SupportPost.thread_id.is_not(None)) == 0


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"kind": "rant"}, "Choose what kind of post this is"),
        ({"title": "   "}, "Give your post a title."),
        ({"body": ""}, "Write something first."),
        ({"title": "x" * 201}, "200"),
    ],
)
def test_missing_or_wrong_fields_are_named_and_nothing_is_saved(
    community, person, login, session, fields, message
):
    person("ana", member_of=(community,))
    response = post_thread(login("ana"), **fields)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert count(session, SupportPost) == 0


def test_visitors_read_but_only_members_post_react_or_follow(
    app, community, person, login, start, session
):
    ana = person("ana", member_of=(community,))
    thread = start(community, ana, title="Visible to all")
    visitor = app.test_client()
    assert "Visible to all" in visitor.get(SUPPORT + "/").get_data(as_text=True)
    assert visitor.get(thread_url(thread.id)).status_code == 200
    assert visitor.get(SUPPORT + "/new").status_code == 302  # to the login page

    olga_user = person("olga")  # signed in, not a member
    olga = login("olga")
    response = post_thread(olga)
    assert response.status_code == 303
    assert count(session, SupportPost) == 1
    response = post_reply(olga, thread.id, "Me too")
    assert response.status_code == 303
    assert "Join Colon cancer to reply" in olga.get(response.headers["Location"]).get_data(
        as_text=True
    )
    back = thread_url(thread.id)
    press(olga, f"{SUPPORT}/posts/{thread.id}/helped", back)
    press(olga, thread_url(thread.id, "/follow"), back)
    assert count(session, SupportPost) == 1
    assert support.helped_counts(session, [thread.id]) == {}
    assert not support.is_following(session, thread, olga_user)


def test_authors_edit_and_delete_their_own_posts_only(
    community, person, login, start, answer, session
):
    ana = person("ana", member_of=(community,))
    ben = person("ben", member_of=(community,))
    thread = start(community, ana, title="Old title")
    reply = answer(thread, ben, "Ben's words")
    ana_client = login("ana")
    edit = f"{SUPPORT}/posts/{thread.id}/edit"
    response = press(
        ana_client, edit, edit, kind="helped", title="New title", body="Rewritten **text**"
    )
    assert response.status_code == 303
    thread = reload(session, SupportPost, thread.id)
    assert (thread.kind, thread.title, thread.body) == ("helped", "New title", "Rewritten **text**")
    assert thread.edited_at is not None
    # Someone else's post: not theirs to edit or delete.
    assert ana_client.get(f"{SUPPORT}/posts/{reply.id}/edit").status_code == 403
    press(ana_client, f"{SUPPORT}/posts/{reply.id}/delete", thread_url(thread.id))
    assert reload(session, SupportPost, reply.id).body == "Ben's words"
    # A bad edit keeps what was typed, with the reason.
    response = press(ana_client, edit, edit, kind="helped", title="T", body="<script>x</script>")
    assert response.status_code == 400
    assert escape("<script>x</script>") in response.get_data(as_text=True)
    assert reload(session, SupportPost, thread.id).body == "Rewritten **text**"

    ben_client = login("ben")
    press(ben_client, f"{SUPPORT}/posts/{reply.id}/delete", thread_url(thread.id))
    reply = reload(session, SupportPost, reply.id)
    assert reply.is_deleted and reply.body == ""
    page = ben_client.get(thread_url(thread.id)).get_data(as_text=True)
    assert "Deleted by its author." in page and "Ben&#39;s words" not in page


def test_the_list_filters_by_kind_orders_by_newest_or_most_helped_and_pages(
    community, person, login, start, session
):
    ana = person("ana", member_of=(community,))
    helpers = [person(f"helper{i}", member_of=(community,)) for i in range(3)]
    now = utcnow()
    made = []
    for i in range(25):
        kind = ("story", "question", "helped")[i % 3]
        made.append(start(community, ana, kind=kind, title=f"Thread number {i:02d}"))
        made[-1].created_at = now - timedelta(minutes=100 - i)
    session.commit()
    # Thread 03 helped three members, thread 07 one.
    for member in helpers:
        support.toggle_helped(session, made[3], member)
    support.toggle_helped(session, made[7], helpers[0])
    session.commit()

    client = login("ana")
    first = client.get(SUPPORT + "/").get_data(as_text=True)
    assert "25 threads." in first and "Page 1 of 2" in first
    assert first.index("Thread number 24") < first.index("Thread number 23")
    assert "Thread number 04" not in first
    second = client.get(SUPPORT + "/?page=2").get_data(as_text=True)
    assert "Thread number 04" in second and "Thread number 24" not in second

    helped = client.get(SUPPORT + "/?order=helped").get_data(as_text=True)
    assert helped.index("Thread number 03") < helped.index("Thread number 07")
    assert helped.index("Thread number 07") < helped.index("Thread number 24")

    stories = client.get(SUPPORT + "/?kind=helped").get_data(as_text=True)
    assert "8 threads." in stories and "Thread number 02" in stories
    assert "Thread number 00" not in stories
    # Nonsense in the address shows the plain list, never an error.
    assert client.get(SUPPORT + "/?kind=<x>&order=zzz&page=-4").status_code == 200


def test_this_helped_is_one_per_member_and_toggles(community, person, login, start, session):
    ana = person("ana", member_of=(community,))
    person("ben", member_of=(community,))
    thread = start(community, ana)
    ben_client = login("ben")
    back = thread_url(thread.id)
    for _ in range(2):
        press(ben_client, f"{SUPPORT}/posts/{thread.id}/helped", back)
        assert support.helped_counts(session, [thread.id]) == {thread.id: 1}
        page = ben_client.get(back).get_data(as_text=True)
        assert "1 member found this helpful" in page and 'aria-pressed="true"' in page
        press(ben_client, f"{SUPPORT}/posts/{thread.id}/helped", back)
        assert support.helped_counts(session, [thread.id]) == {}
    # Nobody marks their own post helpful.
    with pytest.raises(Conflict):
        support.toggle_helped(session, thread, ana)
    session.rollback()


def test_the_database_refuses_a_second_reaction_by_the_same_member(
    community, person, start, session
):
    ana = person("ana", member_of=(community,))
    ben = person("ben", member_of=(community,))
    thread = start(community, ana)
    session.add(HelpedReaction(post_id=thread.id, user_id=ben.id))
    session.commit()
    session.add(HelpedReaction(post_id=thread.id, user_id=ben.id))
    with pytest.raises(IntegrityError):
        session.commit()
    session.rollback()


def test_new_accounts_have_the_comments_hourly_limit(app, community, person, login, session):
    app.config["COMMUNITY_NEW_ACCOUNT_COMMENTS_PER_HOUR"] = 2
    person("newbie", member_of=(community,), new=True)
    client = login("newbie")
    assert post_thread(client, title="One").status_code == 303
    assert post_thread(client, title="Two").status_code == 303
    response = post_thread(client, title="Three")
    assert response.status_code == 303
    assert "New accounts can post 2 posts an hour" in client.get(
        response.headers["Location"]
    ).get_data(as_text=True)
    assert count(session, SupportPost) == 2
