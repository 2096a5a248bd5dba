"""Proposing research questions as PICO, finding similar ones, editing, listing."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from portal.community.questions import votes
from portal.community.questions.models import Question
from portal.db import utcnow
from tests.portal.community.conftest import SLUG, count, form_data, pico, question_url, reload
from tests.portal.conftest import AuthActions, csrf_token

NEW = f"/communities/{SLUG}/questions/new"


def test_a_member_proposes_a_pico_question_and_follows_it(community, person, login, session):
    person("sam", member_of=(community,))
    client = login("sam")
    data = {**form_data(pico()), "csrf_token": csrf_token(client, NEW)}
    response = client.post(NEW, data=data)
    assert response.status_code == 303
    question = session.query(Question).one()
    assert (question.population, question.comparator, question.status) == (
        "Adults after surgery for stage III colon cancer",
        "Observation",
        "proposed",
    )
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert question.title in page and "Levamisole plus fluorouracil" in page
    assert "Stop following" in page, "the author follows their question"


def test_the_proposal_form_asks_for_pico_and_loads_the_similar_questions_script(
    community, person, login
):
    person("sam", member_of=(community,))
    page = login("sam").get(NEW).get_data(as_text=True)
    for label in ("Population", "Intervention", "Comparator", "Outcome", "Why does it matter?"):
        assert label in page
    assert f'data-similar-url="/api/v1/communities/{SLUG}/similar-questions"' in page
    assert 'src="/static/similar-questions.js"' in page
    assert 'aria-live="polite"' in page


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("title", "", "This field is required."),
        ("title", "   ", "This field is required."),
        ("title", "Too short", "between 10 and 200 characters"),
        ("title", "Is it " + "very " * 60 + "long?", "between 10 and 200 characters"),
        ("population", "", "This field is required."),
        ("outcome", "x" * 501, "longer than 500 characters"),
        ("rationale", "", "This field is required."),
    ],
)
def test_bad_questions_are_refused_with_a_message_and_nothing_is_written(
    community, person, login, session, field, value, message
):
    person("sam", member_of=(community,))
    client = login("sam")
    data = {**form_data(pico()), field: value, "csrf_token": csrf_token(client, NEW)}
    response = client.post(NEW, data=data)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert count(session, Question) == 0


def test_non_members_are_invited_to_join_first(community, person, login, session):
    person("visitor")
    client = login("visitor")
    response = client.get(NEW)
    assert response.status_code == 303
    assert "Join Colon cancer to propose questions." in client.get(
        response.headers["Location"]
    ).get_data(as_text=True)


def test_similar_questions_are_returned_as_json_while_typing(community, person, propose, client):
    sam = person("sam", member_of=(community,))
    original = propose(community, sam)
    propose(
        community,
        sam,
        "How does chemotherapy affect quality of life in the first year?",
        intervention="Any adjuvant chemotherapy",
        outcome="Quality of life",
    )
    response = client.get(
        f"/api/v1/communities/{SLUG}/similar-questions",
        query_string={
            "title": "adjuvant chemotherapy survival stage III colon",
            "details": "levamisole fluorouracil",
        },
    )
    assert response.status_code == 200
    body = response.get_json()
    assert body["questions"][0]["id"] == original.id
    assert body["questions"][0]["url"] == question_url(original)
    assert "trigram" in body["method"]
    none = client.get(
        f"/api/v1/communities/{SLUG}/similar-questions",
        query_string={"title": "BCG vaccination for tuberculosis"},
    ).get_json()
    assert none["questions"] == []


def test_the_similar_lookup_of_an_unknown_community_is_a_json_404(client):
    response = client.get("/api/v1/communities/nowhere/similar-questions?title=x")
    assert response.status_code == 404 and "error" in response.get_json()


def test_authors_edit_within_the_window_and_not_after(
    make_app, community, person, session, propose
):
    app = make_app(COMMUNITY_EDIT_WINDOW_MINUTES=5)
    sam = person("sam", member_of=(community,))
    question = propose(community, sam)
    client = app.test_client()
    AuthActions(client).login("sam")
    edit = question_url(question, "/edit")
    data = {
        **form_data(pico(outcome="Disease-free survival")),
        "csrf_token": csrf_token(client, edit),
    }
    assert client.post(edit, data=data).status_code == 303
    assert reload(session, Question, question.id).outcome == "Disease-free survival"
    question = reload(session, Question, question.id)
    question.created_at = utcnow() - timedelta(minutes=6)
    session.commit()
    late = client.post(edit, data={**data, "outcome": "Something else"})
    assert late.status_code == 303
    assert reload(session, Question, question.id).outcome == "Disease-free survival"


def test_members_cannot_edit_others_questions(community, person, login, propose, session):
    sam = person("sam", member_of=(community,))
    person("priya", member_of=(community,))
    question = propose(community, sam)
    client = login("priya")
    token = csrf_token(client, question_url(question))
    response = client.post(
        question_url(question, "/edit"),
        data={**form_data(pico(title="Rewritten by someone else?")), "csrf_token": token},
    )
    assert response.status_code == 403
    assert reload(session, Question, question.id).title == pico().title


def test_lists_show_the_formula_and_order_by_support(community, person, propose, login, session):
    sam = person("sam", member_of=(community,))
    first = propose(community, sam, "First question about colon cancer treatment?")
    second = propose(community, sam, "Second question about colon cancer follow-up?")
    votes.support(session, second, sam)
    session.commit()
    page = login("sam").get(f"/communities/{SLUG}/questions/?sort=top").get_data(as_text=True)
    assert page.index(second.title) < page.index(first.title)
    assert "Most support first. Equal support: the newer question first." in page
    trending = (
        login("sam").get(f"/communities/{SLUG}/questions/?sort=trending").get_data(as_text=True)
    )
    assert "Questions gaining support fastest this week come first" in trending
    how = trending.split("<summary>How is this ranked?</summary>")[1].split("</details>")[0]
    assert "s / (h + 2)^1.5" in how


def test_the_questions_section_lists_every_community(
    app, client, community, other_community, person, propose
):
    sam = person("sam", member_of=(community, other_community))
    propose(community, sam, "Does levamisole help after colon cancer surgery?")
    propose(other_community, sam, "Does BCG vaccination protect adults from tuberculosis?")
    response = client.get("/questions/")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and 'aria-current="page"' in page
    assert "Does levamisole help" in page and "Does BCG vaccination" in page
    assert '<a href="/communities/tuberculosis">Tuberculosis</a>' in page
    # Served by the communities' feed, not main's placeholder section page.
    assert app.url_map.bind("localhost").match("/questions/") == ("question_feed.index", {})


def test_unknown_sort_or_status_falls_back_to_the_defaults(client, community):
    assert (
        client.get(f"/communities/{SLUG}/questions/?sort=evil&status=x&page=-3").status_code == 200
    )


def test_a_question_of_another_community_is_not_found_here(
    community, other_community, person, propose, client
):
    sam = person("sam", member_of=(other_community,))
    question = propose(other_community, sam)
    assert client.get(question_url(question)).status_code == 404
    assert client.get(f"/communities/{SLUG}/questions/999999").status_code == 404


def test_why_it_matters_reads_as_markdown_and_the_status_is_said_once(
    community, person, propose, login
):
    sam = person("sam", member_of=(community,))
    question = propose(
        community,
        sam,
        rationale="Because **half of us** stop treatment early. <script>alert(1)</script>",
    )
    page = login("sam").get(question_url(question)).get_data(as_text=True)
    rationale = page.split('<div class="rationale">')[1].split("</div>")[0]
    assert "<strong>half of us</strong>" in rationale and "<script>" not in rationale
    listing = login("sam").get(f"/communities/{SLUG}/questions/").get_data(as_text=True)
    row = listing.split('class="question-row"')[1].split("</li>")[0]
    words = " ".join(re.sub(r"<[^>]+>", " ", row).split())
    assert words.count("proposed") == 1 and "proposed posted" in words
