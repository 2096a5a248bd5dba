"""Threaded comments in Markdown: post, reply, edit within the window, delete softly."""

from __future__ import annotations

from datetime import timedelta

import pytest
from markupsafe import escape

from portal import policy
from portal.community.threads import services as threads
from portal.community.threads.models import Comment
from portal.db import utcnow
from tests.portal.community.conftest import count, question_url, reload
from tests.portal.conftest import AuthActions, csrf_token
from tests.portal.reanalysis.conftest import BCG_CSV, Sharing


def post(client, question, body, parent_id=None):
    data = {"csrf_token": csrf_token(client, question_url(question)), "body": body}
    if parent_id is not None:
        data["parent_id"] = str(parent_id)
    return client.post(question_url(question, "/comments/"), data=data)


def test_members_comment_and_reply_in_threads(community, person, login, question, session):
    person("priya", member_of=(community,))
    priya = login("priya")
    assert post(priya, question, "Does anyone know the **5-year** figures?").status_code == 303
    parent = session.query(Comment).one()
    sam = login("sam")
    response = post(sam, question, "Yes: see [[dataset:colon-trial]].", parent_id=parent.id)
    assert response.status_code == 303
    reply = session.query(Comment).filter(Comment.parent_id == parent.id).one()
    assert response.headers["Location"].endswith(f"#comment-{reply.id}")
    page = sam.get(question_url(question)).get_data(as_text=True)
    assert "Does anyone know the <strong>5-year</strong> figures?" in page
    # The reply is nested inside its parent's list item.
    parent_at = page.index(f'id="comment-{parent.id}"')
    reply_at = page.index(f'id="comment-{reply.id}"')
    assert parent_at < reply_at and '<ol class="thread">' in page[parent_at:reply_at]
    assert "Datasets and analyses mentioned in the discussion" in page
    assert 'href="/datasets/colon-trial"' in page


@pytest.mark.parametrize(
    "body",
    [
        "<script>alert(1)</script>",
        "Nice <img src=x onerror=alert(2)>",
        "[click me](javascript:alert(3))",
        "<p onclick=alert(4)>hi</p>",
    ],
)
def test_comments_with_script_or_event_handlers_are_refused(
    community, person, login, question, session, body
):
    person("mallory", member_of=(community,))
    client = login("mallory")
    response = post(client, question, body)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    box = page.split('<form method="post"')[-1].split("</form>")[0]
    # the reason beside the box, and what was written still in it
    assert "Comments are Markdown, and nothing in them may run." in box
    assert escape(body) in box and 'aria-invalid="true"' in box
    assert count(session, Comment) == 0


def test_a_refused_reply_comes_back_in_its_own_box(community, person, login, question, session):
    person("mallory", member_of=(community,))
    client = login("mallory")
    assert post(client, question, "A first comment.").status_code == 303
    parent = session.query(Comment).one()
    long_text = "I tried this for a year and it helped. <script>alert(1)</script>"
    response = post(client, question, long_text, parent_id=parent.id)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    reply = page.split(f'id="reply-{parent.id}"')[1].split("</details>")[0]
    assert escape(long_text) in reply and "nothing in them may run" in reply
    assert page.split(f'id="reply-{parent.id}"')[0].rsplit("<details", 1)[1].startswith(" open")
    main_box = page.split('class="comment-form"')[1].split("</form>")[0]
    assert escape(long_text) not in main_box
    assert count(session, Comment) == 1


def test_script_stored_before_the_check_still_never_reaches_the_page(
    community, person, login, question, session
):
    # As if written by an older version, or straight into the database.
    session.add(
        Comment(
            question_id=question.id,
            author_id=question.author_id,
            body="<script>alert(1)</script> <img src=x onerror=alert(2)> [x](javascript:alert(3))",
        )
    )
    session.commit()
    page = login("sam").get(question_url(question)).get_data(as_text=True)
    assert "<script>alert(1)" not in page and "onerror=alert(2)>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert 'href="javascript:' not in page


@pytest.mark.parametrize("body", ["", "   ", "x" * 10_001])
def test_empty_or_over_long_comments_are_refused(community, person, login, question, session, body):
    client = login("sam")
    response = post(client, question, body)
    assert response.status_code == 400
    box = response.get_data(as_text=True).split('class="comment-form"')[1].split("</form>")[0]
    assert 'aria-invalid="true"' in box and 'role="alert"' in box
    assert count(session, Comment) == 0


def test_a_reply_to_a_comment_of_another_question_is_refused(
    community, person, login, propose, question, session
):
    priya = person("priya", member_of=(community,))
    other = propose(community, priya, "Another question about colon cancer?")
    elsewhere = threads.add(session, other, priya, "Elsewhere")
    session.commit()
    client = login("sam")
    post(client, question, "Sneaky reply", parent_id=elsewhere.id)
    assert count(session, Comment) == 1


def test_authors_edit_within_the_window_only(make_app, community, person, question, session):
    app = make_app(COMMUNITY_EDIT_WINDOW_MINUTES=15)
    client = app.test_client()
    AuthActions(client).login("sam")
    post(client, question, "First draft")
    comment = session.query(Comment).one()
    edit = question_url(question, f"/comments/{comment.id}/edit")
    assert "Comments can be edited for 15 minutes" in client.get(edit).get_data(as_text=True)
    token = csrf_token(client, edit)
    assert client.post(edit, data={"csrf_token": token, "body": "Second draft"}).status_code == 303
    assert reload(session, Comment, comment.id).body == "Second draft"
    comment = reload(session, Comment, comment.id)
    comment.created_at = utcnow() - timedelta(minutes=16)
    session.commit()
    late = client.post(edit, data={"csrf_token": token, "body": "Too late"})
    assert late.status_code == 303
    assert "Comments can be edited for 15 minutes after posting." in client.get(
        late.headers["Location"]
    ).get_data(as_text=True)
    assert reload(session, Comment, comment.id).body == "Second draft"
    assert "· edited" in client.get(question_url(question)).get_data(as_text=True)


def test_the_edit_window_is_configurable(community, person, question, session):
    comment = threads.add(session, question, question.author, "Hello")
    session.commit()
    now = comment.created_at + timedelta(minutes=3)
    assert policy.can_edit_comment(question.author, comment, now, timedelta(minutes=5))
    assert not policy.can_edit_comment(question.author, comment, now, timedelta(minutes=2))


def test_deleting_keeps_the_thread_shape(community, person, login, question, session):
    client = login("sam")
    post(client, question, "Parent that will go")
    parent = session.query(Comment).one()
    person("priya", member_of=(community,))
    post(login("priya"), question, "A reply that stays", parent_id=parent.id)
    token = csrf_token(client, question_url(question))
    client.post(question_url(question, f"/comments/{parent.id}/delete"), data={"csrf_token": token})
    parent = reload(session, Comment, parent.id)
    assert parent.deleted_at is not None and parent.body == ""
    page = client.get(question_url(question)).get_data(as_text=True)
    assert "Comment deleted by its author." in page and "Parent that will go" not in page
    assert "A reply that stays" in page
    assert count(session, Comment) == 2


def test_members_cannot_edit_or_delete_others_comments(community, person, login, question, session):
    post(login("sam"), question, "Sam's words")
    comment = session.query(Comment).one()
    person("priya", member_of=(community,))
    priya = login("priya")
    edit = question_url(question, f"/comments/{comment.id}/edit")
    token = csrf_token(priya, question_url(question))
    assert priya.get(edit).status_code == 403
    assert priya.post(edit, data={"csrf_token": token, "body": "Changed"}).status_code == 403
    priya.post(question_url(question, f"/comments/{comment.id}/delete"), data={"csrf_token": token})
    comment = reload(session, Comment, comment.id)
    assert comment.body == "Sam's words" and comment.deleted_at is None


def test_very_deep_replies_are_attached_at_the_deepest_level(community, person, question, session):
    parent_id = None
    for n in range(threads.MAX_DEPTH + 3):
        parent_id = threads.add(
            session, question, question.author, f"level {n}", parent_id=parent_id
        ).id
    session.commit()
    depths = []
    stack = threads.thread(session, question)
    while stack:
        node = stack.pop()
        depths.append(node.depth)
        stack.extend(node.replies)
    assert max(depths) == threads.MAX_DEPTH and len(depths) == threads.MAX_DEPTH + 3


def test_mentions_show_titles_only_of_what_the_reader_may_see(
    client, auth, make_user, community, person, login, question
):
    sharing = Sharing(client, auth, make_user)
    published = sharing.share("BCG vaccine trials", BCG_CSV)
    draft = sharing.share("Unpublished interim data", BCG_CSV, publish=False)
    person("priya", member_of=(community,))
    priya = login("priya")
    body = f"Compare [[dataset:{published}]] with [[dataset:{draft}]]."
    assert post(priya, question, body).status_code == 303
    page = priya.get(question_url(question)).get_data(as_text=True)
    link = f'href="/datasets/{published}" rel="nofollow noopener">'
    assert link + "BCG vaccine trials</a>" in page
    # a draft's title is its owner's until it is published
    assert "Unpublished interim data" not in page
    assert f'href="/datasets/{draft}" rel="nofollow noopener">dataset: {draft}</a>' in page
