"""Prioritisation rounds: open, take part, compare in pairs, and the fitted priority list."""

from __future__ import annotations

import math
import random
import re

import pytest
from sqlalchemy.exc import IntegrityError

from portal.audit import AuditEvent
from portal.community.rounds import services as rounds
from portal.community.rounds.models import Comparison, PriorityRound, RoundParticipant
from portal.errors import Forbidden, ServiceError
from tests.portal.community.conftest import SLUG, count
from tests.portal.conftest import csrf_token

ROUNDS = f"/communities/{SLUG}/rounds"


@pytest.fixture
def moira(community, person):
    return person("moira", moderator_of=(community,))


@pytest.fixture
def three(community, propose, moira):
    return [
        propose(community, moira, title)
        for title in (
            "Does chemotherapy improve survival after colon cancer surgery?",
            "How can fatigue during chemotherapy be reduced?",
            "Which follow-up scans find recurrence earliest?",
        )
    ]


@pytest.fixture
def open_round(session, community, moira, three):
    round_ = rounds.open_round(
        session,
        community,
        moira,
        title="2026 priorities",
        description="",
        question_ids=[q.id for q in three],
    )
    session.commit()
    return round_


def test_a_moderator_opens_a_round_over_chosen_questions(community, moira, three, login, session):
    client = login("moira")
    page = client.get(f"{ROUNDS}/new").get_data(as_text=True)
    assert all(q.title in page for q in three)
    response = client.post(
        f"{ROUNDS}/new",
        data={
            "csrf_token": csrf_token(client, f"{ROUNDS}/new"),
            "title": "Spring round",
            "description": "Which matters most?",
            "questions": [str(three[0].id), str(three[1].id)],
        },
    )
    assert response.status_code == 303
    round_ = session.query(PriorityRound).one()
    assert [q.id for q in rounds.questions_in(session, round_)] == [
        three[0].id,
        three[1].id,
    ]
    assert session.query(AuditEvent).filter_by(action="round.opened").count() == 1


@pytest.mark.parametrize("chosen", [[], [0]])
def test_a_round_needs_at_least_two_questions(community, moira, three, login, session, chosen):
    client = login("moira")
    response = client.post(
        f"{ROUNDS}/new",
        data={
            "csrf_token": csrf_token(client, f"{ROUNDS}/new"),
            "title": "Too small",
            "questions": [str(three[i].id) for i in chosen],
        },
    )
    assert response.status_code == 400
    assert "Choose 2 to 30 questions" in response.get_data(as_text=True)
    assert count(session, PriorityRound) == 0


def test_members_cannot_open_rounds(community, person, three, login, session):
    sam = person("sam", member_of=(community,))
    assert login("sam").get(f"{ROUNDS}/new").status_code == 403
    with pytest.raises(Forbidden):
        rounds.open_round(
            session,
            community,
            sam,
            title="My round",
            description="",
            question_ids=[q.id for q in three],
        )
    assert count(session, PriorityRound) == 0


def test_a_member_says_who_they_are_then_compares_pairs(
    community, person, open_round, three, login, session
):
    person("sam", member_of=(community,))
    client = login("sam")
    url = f"{ROUNDS}/{open_round.id}"
    page = client.get(url).get_data(as_text=True)
    assert "Do you take part as a patient, a carer or a clinician?" in page
    client.post(
        f"{url}/take-part", data={"csrf_token": csrf_token(client, url), "perspective": "carer"}
    )
    assert session.query(RoundParticipant).one().perspective == "carer"
    for _ in range(3):
        page = client.get(url).get_data(as_text=True)
        assert "Which of these two matters more to you?" in page
        ids = [int(v) for v in re.findall(r'name="winner_id" value="(\d+)"', page)]
        assert len(ids) == 2
        client.post(
            f"{url}/compare",
            data={
                "csrf_token": csrf_token(client, url),
                "first_id": ids[0],
                "second_id": ids[1],
                "winner_id": ids[0],
            },
        )
    assert count(session, Comparison) == 3
    assert "You have compared every pair in this round." in client.get(url).get_data(as_text=True)


def test_answering_the_same_pair_again_replaces_the_answer(
    community, person, open_round, three, session
):
    sam = person("sam", member_of=(community,))
    rounds.take_part(session, open_round, sam, "patient")
    a, b = three[0].id, three[1].id
    rounds.compare(session, open_round, sam, first_id=a, second_id=b, winner_id=a)
    rounds.compare(session, open_round, sam, first_id=b, second_id=a, winner_id=b)
    session.commit()
    [comparison] = session.query(Comparison).all()
    assert comparison.winner_id == b


@pytest.fixture
def sam_in_round(community, person, open_round, session):
    sam = person("sam", member_of=(community,))
    rounds.take_part(session, open_round, sam, "patient")
    session.commit()
    return sam


def test_comparisons_with_a_question_outside_the_round_are_refused(
    community, moira, three, open_round, sam_in_round, propose, session, login
):
    outsider = propose(community, moira, "A question that is not in this round at all?")
    other_round = rounds.open_round(
        session,
        community,
        moira,
        title="Other",
        description="",
        question_ids=[outsider.id, three[0].id],
    )
    session.commit()
    with pytest.raises(ServiceError, match="not both in this round"):
        rounds.compare(
            session,
            open_round,
            sam_in_round,
            first_id=three[0].id,
            second_id=outsider.id,
            winner_id=outsider.id,
        )
    session.rollback()
    client = login("sam")
    url = f"{ROUNDS}/{open_round.id}"
    response = client.post(
        f"{url}/compare",
        data={
            "csrf_token": csrf_token(client, url),
            "first_id": three[0].id,
            "second_id": outsider.id,
            "winner_id": three[0].id,
        },
    )
    assert "These two questions are not both in this round." in client.get(
        response.headers["Location"]
    ).get_data(as_text=True)
    assert count(session, Comparison) == 0
    # And the database itself refuses, whatever a future bug in the service.
    session.add(
        Comparison(
            round_id=open_round.id,
            user_id=sam_in_round.id,
            low_id=min(three[0].id, outsider.id),
            high_id=max(three[0].id, outsider.id),
            winner_id=outsider.id,
        )
    )
    with pytest.raises(IntegrityError):
        session.commit()
    session.rollback()
    assert other_round.id != open_round.id


@pytest.mark.parametrize(
    ("pick", "message"),
    [
        (lambda a, b, c: (a, b, c), "Choose one of the two questions."),  # winner not in pair
        (lambda a, b, c: (a, a, a), "Compare two different questions."),
        (lambda a, b, c: (a, b, 999_999), "Choose one of the two questions."),
        (lambda a, b, c: (a, 999_999, a), "not both in this round"),
    ],
)
def test_bad_comparisons_are_refused(three, open_round, sam_in_round, session, pick, message):
    first, second, winner = pick(*(q.id for q in three))
    with pytest.raises(ServiceError, match=message):
        rounds.compare(
            session, open_round, sam_in_round, first_id=first, second_id=second, winner_id=winner
        )
    session.rollback()
    assert count(session, Comparison) == 0


def test_one_must_take_part_before_comparing(community, person, open_round, three, session):
    sam = person("sam", member_of=(community,))
    with pytest.raises(ServiceError, match="patient, a carer or a clinician"):
        rounds.compare(
            session,
            open_round,
            sam,
            first_id=three[0].id,
            second_id=three[1].id,
            winner_id=three[0].id,
        )


def test_a_closed_round_takes_no_more_comparisons(
    moira, open_round, three, sam_in_round, session, login
):
    client = login("moira")
    url = f"{ROUNDS}/{open_round.id}"
    client.post(f"{url}/close", data={"csrf_token": csrf_token(client, url)})
    session.expire_all()
    round_ = session.get(PriorityRound, open_round.id)
    assert not round_.is_open
    with pytest.raises(ServiceError, match="closed"):
        rounds.compare(
            session,
            round_,
            sam_in_round,
            first_id=three[0].id,
            second_id=three[1].id,
            winner_id=three[0].id,
        )


def test_the_priority_list_weighs_groups_equally_when_asked(
    community, person, open_round, three, session, client
):
    first, second, third = (q.id for q in three)
    # Three patients prefer the first question to the second; one clinician the reverse.
    patients = [person(f"patient{n}", member_of=(community,)) for n in range(3)]
    clinician = person("clinician", member_of=(community,))
    for patient in patients:
        rounds.take_part(session, open_round, patient, "patient")
        rounds.compare(
            session, open_round, patient, first_id=first, second_id=second, winner_id=first
        )
    rounds.take_part(session, open_round, clinician, "clinician")
    rounds.compare(
        session, open_round, clinician, first_id=first, second_id=second, winner_id=second
    )
    session.commit()
    pooled = rounds.results(session, open_round, weighting="pooled", samples=50)
    equal = rounds.results(session, open_round, weighting="equal", samples=50)
    strength = {r.question.id: r.strength for r in pooled.rows}
    assert pooled.rows[0].question.id == first and strength[first] > strength[second]
    equal_strength = {r.question.id: r.strength for r in equal.rows}
    assert equal_strength[first] == pytest.approx(equal_strength[second], abs=1e-9)
    assert equal_strength[third] == pytest.approx(0.0, abs=1e-9), "never compared"
    assert (pooled.comparisons, pooled.participants) == (4, {"patient": 3, "clinician": 1})
    assert {r.question.id: r.comparisons for r in pooled.rows} == {first: 4, second: 4, third: 0}
    page = client.get(f"{ROUNDS}/{open_round.id}/results?weighting=equal").get_data(as_text=True)
    assert "Bradley–Terry model" in page and "patients, carers and clinicians count equally" in page
    assert page.index("<summary>How is this computed?</summary>") < page.index("Bradley–Terry")
    assert "<strong>4</strong> comparisons by 3 patients, 0 carers, 1 clinician." in page
    assert "Likely rank range (95%)" in page


def test_the_fit_behind_the_list_matches_the_pure_function(
    community, person, open_round, three, session
):
    # Two questions, one member: 1 comparison either way would be a tie; with the prior
    # the single answer gives a modest, finite lead that the page reports as a share.
    sam = person("sam", member_of=(community,))
    rounds.take_part(session, open_round, sam, "patient")
    rounds.compare(
        session, open_round, sam, first_id=three[0].id, second_id=three[1].id, winner_id=three[1].id
    )
    session.commit()
    result = rounds.results(session, open_round, samples=20)
    top = result.rows[0]
    assert top.question.id == three[1].id
    assert top.preferred_share == pytest.approx(1 / (1 + math.exp(-top.strength)))
    assert 0.5 < top.preferred_share < 1


def test_pairs_are_spread_over_the_least_compared(community, person, open_round, three, session):
    people = [person(f"member{n}", member_of=(community,)) for n in range(3)]
    for member in people:
        rounds.take_part(session, open_round, member, "patient")
    a, b = three[0].id, three[1].id
    rounds.compare(session, open_round, people[0], first_id=a, second_id=b, winner_id=a)
    session.commit()
    for seed in range(5):
        pair = rounds.next_pair(session, open_round, people[1], random.Random(seed))
        assert {pair[0].id, pair[1].id} != {a, b}, "an unseen pair comes first"
