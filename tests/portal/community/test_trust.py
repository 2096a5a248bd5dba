"""New accounts are limited until they earn trust; a first question always goes through."""

from __future__ import annotations

from datetime import timedelta

import pytest

from portal.accounts.models import Role
from portal.community import trust
from portal.community.questions import services as questions
from portal.community.questions.models import Question
from portal.community.threads import services as threads
from portal.db import utcnow
from portal.errors import ServiceError
from tests.portal.community.conftest import SLUG, count, form_data, pico
from tests.portal.conftest import AuthActions, csrf_token

POLICY = trust.TrustPolicy(new_account_questions_per_day=1, new_account_comments_per_hour=2)


def propose_titles(session, community, user, n):
    for i in range(n):
        questions.propose(
            session, community, user, pico(f"New member's question number {i}?"), limits=POLICY
        )
        session.commit()


def test_a_brand_new_account_can_always_post_its_first_question(community, person, session):
    newcomer = person("newcomer", member_of=(community,), new=True)
    propose_titles(session, community, newcomer, 1)
    with pytest.raises(ServiceError, match="New accounts can post 1 question a day"):
        propose_titles(session, community, newcomer, 1)
    session.rollback()
    assert count(session, Question) == 1


def test_the_limit_is_counted_over_a_sliding_day(community, person, session):
    newcomer = person("newcomer", member_of=(community,), new=True)
    propose_titles(session, community, newcomer, 1)
    question = session.query(Question).one()
    question.created_at = utcnow() - timedelta(hours=25)
    session.commit()
    propose_titles(session, community, newcomer, 1)
    assert count(session, Question) == 2


@pytest.mark.parametrize(
    "how",
    ["old account", "researcher", "moderator somewhere", "contributions"],
)
def test_trust_is_earned_by_age_role_or_contributions(
    community, other_community, person, propose, session, how
):
    kwargs = {"member_of": (community,)}
    if how == "old account":
        user = person("trusted", **kwargs)
    elif how == "researcher":
        user = person("trusted", role=Role.RESEARCHER, new=True, **kwargs)
    elif how == "moderator somewhere":
        user = person("trusted", moderator_of=(other_community,), new=True, **kwargs)
    else:
        user = person("trusted", new=True, **kwargs)
        question = propose(community, user)
        for n in range(POLICY.trusted_after_contributions - 1):
            threads.add(
                session,
                question,
                user,
                f"comment {n}",
                limits=trust.TrustPolicy(new_account_comments_per_hour=100),
            )
        session.commit()
    propose_titles(session, community, user, 3)


def test_comments_of_new_accounts_are_rate_limited_too(community, person, propose, session):
    author = person("author", member_of=(community,))
    question = propose(community, author)
    newcomer = person("newcomer", member_of=(community,), new=True)
    for n in range(2):
        threads.add(session, question, newcomer, f"comment {n}", limits=POLICY)
    with pytest.raises(ServiceError, match="2 comments an hour"):
        threads.add(session, question, newcomer, "one too many", limits=POLICY)
    session.rollback()


def test_the_limits_come_from_the_configuration(make_app, community, person, session):
    app = make_app(COMMUNITY_NEW_ACCOUNT_QUESTIONS_PER_DAY=1)
    person("newcomer", member_of=(community,), new=True)
    client = app.test_client()
    AuthActions(client).login("newcomer")
    url = f"/communities/{SLUG}/questions/new"
    first = client.post(url, data={**form_data(pico()), "csrf_token": csrf_token(client, url)})
    assert first.status_code == 303
    second = client.post(
        url,
        data={
            **form_data(pico("Another question from a newcomer?")),
            "csrf_token": csrf_token(client, url),
        },
    )
    assert second.status_code == 400
    assert "New accounts can post 1 question a day" in second.get_data(as_text=True)
    assert count(session, Question) == 1


def test_a_policy_cannot_block_first_posts():
    with pytest.raises(ValueError):
        trust.TrustPolicy(new_account_questions_per_day=0)
