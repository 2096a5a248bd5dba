"""Following a thread (its author from the start), notifications of new replies, and
flags on support posts that go to the community's moderation queue."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal.community.moderation import services as moderation
from portal.community.moderation.models import ContentFlag
from portal.community.support import services as support
from portal.community.support.models import SupportPost
from tests.portal.community.conftest import SLUG, count, messages_to, reload
from tests.portal.community.support.conftest import SUPPORT, post_reply, press, thread_url

QUEUE = f"/communities/{SLUG}/moderation/"


def flag(client, post: SupportPost, reason: str = "spam"):
    return press(
        client,
        f"{SUPPORT}/posts/{post.id}/flag",
        thread_url(post.root_id),
        reason=reason,
        note="Looks like an advert",
    )


def test_followers_are_told_of_new_replies_and_the_author_follows_from_the_start(
    community, person, login, start, session
):
    ana = person("ana", member_of=(community,))
    ben = person("ben", member_of=(community,))
    cleo = person("cleo", member_of=(community,))
    thread = start(community, ana, title="Sleep after chemo")
    assert support.is_following(session, thread, ana)

    cleo_client = login("cleo")
    press(cleo_client, thread_url(thread.id, "/follow"), thread_url(thread.id))
    assert support.is_following(session, thread, cleo)
    press(cleo_client, thread_url(thread.id, "/follow"), thread_url(thread.id))  # twice: harmless

    ben_client = login("ben")
    assert (
        post_reply(ben_client, thread.id, "Melatonin helped me.", anonymous=True).status_code == 303
    )
    assert messages_to(session, ana) == ["New reply in “Sleep after chemo”"]
    assert messages_to(session, cleo) == ["New reply in “Sleep after chemo”"]
    assert messages_to(session, ben) == []  # the replier is not told of their own reply

    reply = session.scalars(select(SupportPost).where(SupportPost.thread_id == thread.id)).one()
    page = login("ana").get("/notifications/").get_data(as_text=True)
    assert f'href="{thread_url(thread.id)}#post-{reply.id}"' in page

    press(cleo_client, thread_url(thread.id, "/unfollow"), thread_url(thread.id))
    post_reply(ben_client, thread.id, "And walking.")
    assert len(messages_to(session, cleo)) == 1 and len(messages_to(session, ana)) == 2


def test_three_flags_hide_a_post_and_the_moderator_decides_in_the_queue(
    community, person, login, start, answer, session
):
    ana = person("ana", member_of=(community,))
    person("moe", moderator_of=(community,))
    flaggers = [person(name, member_of=(community,)) for name in ("fay", "gus", "hal")]
    thread = start(community, ana, title="Buy my miracle cure")
    reply = answer(thread, flaggers[0], "A reply that stays.")

    clients = [login(u.username) for u in flaggers]
    flag(clients[1], thread)
    flag(clients[1], thread)  # the same member twice counts once
    flag(clients[2], thread, "misinformation")
    assert not reload(session, SupportPost, thread.id).hidden
    response = flag(clients[0], thread, "abuse")
    assert "moderators will look at it" in clients[0].get(response.headers["Location"]).get_data(
        as_text=True
    )
    assert reload(session, SupportPost, thread.id).hidden
    assert count(session, ContentFlag, ContentFlag.post_id == thread.id) == 3
    assert "Buy my miracle cure" not in clients[0].get(SUPPORT + "/").get_data(as_text=True)
    # A hidden thread's page says why; its words are not shown to members.
    page = clients[0].get(thread_url(thread.id)).get_data(as_text=True)
    assert "Hidden while a moderator reviews it." in page and "Words." not in page
    assert "Buy my miracle cure" not in page
    # A member cannot flag their own post.
    response = flag(login("fay"), reply)
    assert count(session, ContentFlag, ContentFlag.post_id == reply.id) == 0

    moe = login("moe")
    queue = moe.get(QUEUE).get_data(as_text=True)
    assert "Support post" in queue and "Buy my miracle cure" in queue and "3 flags" in queue
    hide = f"{QUEUE}posts/{thread.id}/restore"
    response = press(moe, hide, QUEUE, reason="Not an advert after all")
    assert response.status_code == 303
    thread = reload(session, SupportPost, thread.id)
    assert not thread.hidden
    assert "Buy my miracle cure" not in moe.get(QUEUE).get_data(as_text=True)
    press(moe, f"{QUEUE}posts/{reply.id}/hide", QUEUE, reason="Off topic")
    assert reload(session, SupportPost, reply.id).hidden
    assert "Off topic" in moe.get(QUEUE).get_data(as_text=True)  # under hidden content


def test_a_member_cannot_hide_posts_nor_a_moderator_of_another_community(
    community, other_community, person, login, start, session
):
    ana = person("ana", member_of=(community,))
    person("otto", moderator_of=(other_community,), member_of=(community,))
    thread = start(community, ana)
    otto = login("otto")
    response = press(otto, f"{QUEUE}posts/{thread.id}/hide", thread_url(thread.id), reason="no")
    assert response.status_code == 403
    assert not reload(session, SupportPost, thread.id).hidden


def test_a_flag_has_exactly_one_target(community, person, start, session, question):
    ana = person("ana", member_of=(community,))
    bob = person("bob", member_of=(community,))
    thread = start(community, ana)
    both = ContentFlag(question_id=question.id, post_id=thread.id, user_id=bob.id, reason="spam")
    session.add(both)
    with pytest.raises(IntegrityError):
        session.commit()
    session.rollback()
    assert moderation.flag(session, bob, thread, reason="spam")
    session.commit()
    assert session.scalars(select(ContentFlag.post_id)).all() == [thread.id]
