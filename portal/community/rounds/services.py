"""Prioritisation rounds: moderators open them, members compare questions in pairs,
and a Bradley-Terry fit turns the comparisons into the community's priority list.

This follows the spirit of the James Lind Alliance method: patients, carers and
clinicians set priorities together, and the list can count each group equally
however many of each took part. Never commits.
"""

from __future__ import annotations

import itertools
import random
from collections import Counter
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal import audit, policy
from portal.accounts.models import User
from portal.community.models import Community
from portal.community.questions.models import Question
from portal.community.rounds import bradley_terry
from portal.community.rounds.models import (
    ROUND_TITLE_MAX,
    Comparison,
    Perspective,
    PriorityRound,
    RoundParticipant,
    RoundQuestion,
)
from portal.db import utcnow
from portal.errors import Conflict, ServiceError
from portal.upsert import insert

MIN_QUESTIONS = 2
MAX_QUESTIONS = 30
DESCRIPTION_MAX = 5000
#: Precision of the Gaussian prior on log-strengths: weak, but keeps a question
#: that has never lost from getting an infinite strength.
RIDGE = 0.1
BOOTSTRAP_SAMPLES = 200
WEIGHTINGS = {
    "pooled": "every comparison counts the same",
    "equal": "patients, carers and clinicians count equally, whatever their numbers",
}


def open_round(
    db: Session,
    community: Community,
    actor: User,
    *,
    title: str,
    description: str,
    question_ids: list[int],
    now: datetime | None = None,
) -> PriorityRound:
    policy.require_moderator(db, community.id, actor)
    title = " ".join((title or "").split())
    if not 3 <= len(title) <= ROUND_TITLE_MAX:
        raise ServiceError(f"Give the round a title of 3 to {ROUND_TITLE_MAX} characters.", "title")
    description = (description or "").strip()
    if len(description) > DESCRIPTION_MAX:
        raise ServiceError(f"Use at most {DESCRIPTION_MAX} characters.", "description")
    ids = sorted(set(question_ids))
    if not MIN_QUESTIONS <= len(ids) <= MAX_QUESTIONS:
        raise ServiceError(
            f"Choose {MIN_QUESTIONS} to {MAX_QUESTIONS} questions for the round.", "questions"
        )
    found = db.scalars(
        select(Question).where(
            Question.id.in_(ids), Question.community_id == community.id, Question.hidden.is_(False)
        )
    ).all()
    if len(found) != len(ids) or not all(q.status_enum.is_open for q in found):
        raise ServiceError("Choose open questions of this community.", "questions")
    round_ = PriorityRound(
        community_id=community.id,
        title=title,
        description=description,
        opened_by_id=actor.id,
        opened_at=now or utcnow(),
    )
    db.add(round_)
    db.flush()
    db.add_all(RoundQuestion(round_id=round_.id, question_id=qid) for qid in ids)
    audit.record(
        db,
        "round.opened",
        actor_id=actor.id,
        subject=f"round:{round_.id}",
        community_id=community.id,
        questions=ids,
    )
    return round_


def close_round(
    db: Session, round_: PriorityRound, actor: User, now: datetime | None = None
) -> None:
    policy.require_moderator(db, round_.community_id, actor)
    if not round_.is_open:
        raise Conflict("This round is already closed.")
    round_.closed_at = now or utcnow()
    audit.record(
        db,
        "round.closed",
        actor_id=actor.id,
        subject=f"round:{round_.id}",
        community_id=round_.community_id,
    )


def get(db: Session, community: Community, round_id: int) -> PriorityRound | None:
    return db.scalar(
        select(PriorityRound).where(
            PriorityRound.id == round_id, PriorityRound.community_id == community.id
        )
    )


def rounds_of(db: Session, community: Community) -> list[PriorityRound]:
    return list(
        db.scalars(
            select(PriorityRound)
            .where(PriorityRound.community_id == community.id)
            .order_by(PriorityRound.opened_at.desc())
        )
    )


def questions_in(db: Session, round_: PriorityRound) -> list[Question]:
    return list(
        db.scalars(
            select(Question)
            .join(RoundQuestion, RoundQuestion.question_id == Question.id)
            .where(RoundQuestion.round_id == round_.id)
            .order_by(Question.id)
        )
    )


def participant(db: Session, round_: PriorityRound, user: User | None) -> RoundParticipant | None:
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return db.scalar(
        select(RoundParticipant).where(
            RoundParticipant.round_id == round_.id, RoundParticipant.user_id == user.id
        )
    )


def _check_open(round_: PriorityRound) -> None:
    if not round_.is_open:
        raise Conflict("This round is closed; its priority list is final.")


def take_part(db: Session, round_: PriorityRound, user: User, perspective: str) -> None:
    """Join the round as a patient, carer or clinician (saying it again corrects it)."""
    _check_open(round_)
    policy.require_member(db, round_.community, user, "take part in its rounds")
    groups = round_.community.stakeholder_groups
    if perspective not in {p.value for p in Perspective} or perspective not in groups:
        labels = [Perspective(group).label for group in groups]
        listed = ", ".join(labels[:-1]) + " or " + labels[-1] if len(labels) > 1 else labels[0]
        raise ServiceError(f"Say whether you take part as {listed}.", "perspective")
    db.execute(
        insert(db, RoundParticipant)
        .values(round_id=round_.id, user_id=user.id, perspective=perspective, joined_at=utcnow())
        .on_conflict_do_update(
            index_elements=["user_id", "round_id"], set_={"perspective": perspective}
        )
    )


def pairs_done(db: Session, round_: PriorityRound, user: User) -> set[tuple[int, int]]:
    rows = db.execute(
        select(Comparison.low_id, Comparison.high_id).where(
            Comparison.round_id == round_.id, Comparison.user_id == user.id
        )
    ).all()
    return {(low, high) for low, high in rows}


def next_pair(
    db: Session, round_: PriorityRound, user: User, rng: random.Random | None = None
) -> tuple[Question, Question] | None:
    """A pair this member has not compared yet, preferring pairs few people have seen.

    Spreading comparisons evenly over the pairs gives every question a similar
    number of comparisons, which keeps the fitted strengths comparably precise.
    """
    questions = {q.id: q for q in questions_in(db, round_)}
    done = pairs_done(db, round_, user)
    remaining = [pair for pair in itertools.combinations(sorted(questions), 2) if pair not in done]
    if not remaining:
        return None
    seen = Counter(
        (low, high)
        for low, high in db.execute(
            select(Comparison.low_id, Comparison.high_id).where(Comparison.round_id == round_.id)
        ).all()
    )
    fewest = min(seen[pair] for pair in remaining)
    rng = rng or random.Random()
    low, high = rng.choice([pair for pair in remaining if seen[pair] == fewest])
    first, second = (low, high) if rng.random() < 0.5 else (high, low)
    return questions[first], questions[second]


def compare(
    db: Session,
    round_: PriorityRound,
    user: User,
    *,
    first_id: int,
    second_id: int,
    winner_id: int,
    now: datetime | None = None,
) -> None:
    """Record which of two questions of the round matters more to ``user``.

    Answering the same pair again replaces the earlier answer.
    """
    _check_open(round_)
    if participant(db, round_, user) is None:
        raise Conflict("First say whether you take part as a patient, a carer or a clinician.")
    if first_id == second_id:
        raise Conflict("Compare two different questions.")
    in_round = set(
        db.scalars(
            select(RoundQuestion.question_id).where(
                RoundQuestion.round_id == round_.id,
                RoundQuestion.question_id.in_([first_id, second_id]),
            )
        )
    )
    if in_round != {first_id, second_id}:
        raise Conflict("These two questions are not both in this round.")
    if winner_id not in (first_id, second_id):
        raise Conflict("Choose one of the two questions.")
    low, high = sorted((first_id, second_id))
    db.execute(
        insert(db, Comparison)
        .values(
            round_id=round_.id,
            user_id=user.id,
            low_id=low,
            high_id=high,
            winner_id=winner_id,
            created_at=now or utcnow(),
        )
        .on_conflict_do_update(
            index_elements=["round_id", "user_id", "low_id", "high_id"],
            set_={"winner_id": winner_id},
        )
    )


def comparison_count(db: Session, round_: PriorityRound) -> int:
    return (
        db.scalar(
            select(func.count()).select_from(Comparison).where(Comparison.round_id == round_.id)
        )
        or 0
    )


@dataclass(frozen=True)
class Ranked:
    rank: int
    question: Question
    strength: float  # log-strength, mean zero over the round's questions
    preferred_share: float  # chance of being preferred to a question of average strength
    comparisons: int
    rank_low: int
    rank_high: int


@dataclass(frozen=True)
class RoundResults:
    rows: list[Ranked]
    weighting: str
    comparisons: int
    participants: dict[str, int]
    bootstrap_samples: int
    median_interval_width: float


def results(
    db: Session,
    round_: PriorityRound,
    *,
    weighting: str = "pooled",
    samples: int = BOOTSTRAP_SAMPLES,
) -> RoundResults:
    """The priority list, with how many comparisons back it and how stable it is."""
    if weighting not in WEIGHTINGS:
        raise Conflict(f"Unknown weighting {weighting!r}.")
    questions = questions_in(db, round_)
    index = {q.id: i for i, q in enumerate(questions)}
    rows = db.execute(
        select(
            Comparison.winner_id,
            Comparison.low_id,
            Comparison.high_id,
            Comparison.user_id,
            RoundParticipant.perspective,
        )
        .join(
            RoundParticipant,
            (RoundParticipant.user_id == Comparison.user_id)
            & (RoundParticipant.round_id == Comparison.round_id),
        )
        .where(Comparison.round_id == round_.id)
        .order_by(Comparison.id)
    ).all()
    winners = np.array([index[w] for w, *_ in rows], dtype=np.intp)
    losers = np.array([index[h if w == low else low] for w, low, h, *_ in rows], dtype=np.intp)
    people = np.array([u for *_, u, _ in rows])
    groups = np.array([p for *_, p in rows]) if rows else np.array([], dtype=str)
    equal = weighting == "equal"
    weights = bradley_terry.equal_group_weights(groups) if equal else None
    n = len(questions)
    strengths = bradley_terry.fit(n, winners, losers, weights, ridge=RIDGE)
    point_ranks = bradley_terry.ranks(strengths)
    intervals = bradley_terry.bootstrap_rank_intervals(
        n,
        winners,
        losers,
        people,
        groups=groups if equal else None,
        ridge=RIDGE,
        samples=samples,
        seed=round_.id,
    )
    per_question = Counter(int(i) for i in np.concatenate([winners, losers]))
    ranked = sorted(
        (
            Ranked(
                rank=int(point_ranks[i]),
                question=q,
                strength=float(strengths[i]),
                preferred_share=float(1 / (1 + np.exp(-strengths[i]))),
                comparisons=per_question[i],
                rank_low=int(intervals.low[i]),
                rank_high=int(intervals.high[i]),
            )
            for i, q in enumerate(questions)
        ),
        key=lambda r: r.rank,
    )
    widths = [r.rank_high - r.rank_low for r in ranked]
    return RoundResults(
        rows=ranked,
        weighting=weighting,
        comparisons=len(rows),
        participants=dict(
            Counter(
                db.scalars(
                    select(RoundParticipant.perspective).where(
                        RoundParticipant.round_id == round_.id
                    )
                )
            )
        ),
        bootstrap_samples=intervals.samples,
        median_interval_width=float(np.median(widths)) if widths else 0.0,
    )
