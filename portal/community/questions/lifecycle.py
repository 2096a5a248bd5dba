"""A question's lifecycle: proposed -> under review -> in analysis -> answered, or closed.

Each change is audited and its followers are notified. Never commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from portal import audit, policy
from portal.accounts.models import User
from portal.community.links import runs as run_links
from portal.community.notifications import services as notifications
from portal.community.questions.models import (
    URL_MAX,
    EvidenceReview,
    EvidenceVerdict,
    Question,
    QuestionStatus,
    QuestionVote,
)
from portal.db import utcnow
from portal.errors import Conflict, ServiceError
from portal.reanalysis.models import AnalysisRun
from portal.upsert import insert

S = QuestionStatus
ALLOWED = {
    S.PROPOSED: {S.UNDER_REVIEW, S.CLOSED},
    S.UNDER_REVIEW: {S.UNDER_REVIEW, S.IN_ANALYSIS, S.ANSWERED, S.CLOSED},
    S.IN_ANALYSIS: {S.ANSWERED, S.CLOSED},
    S.ANSWERED: set(),
    S.CLOSED: set(),
}
NOTE_MAX = 5000
CITATIONS_MAX = 5000


def _move(
    db: Session,
    question: Question,
    to: QuestionStatus,
    actor: User,
    message: str,
    now: datetime,
    **details: Any,
) -> None:
    current = question.status_enum
    if to not in ALLOWED[current]:
        raise Conflict(f"A question that is {current.label} cannot become {to.label}.")
    question.status = to.value
    question.status_changed_at = now
    audit.record(
        db,
        "question.status_changed",
        actor_id=actor.id,
        subject=f"question:{question.id}",
        community_id=question.community_id,
        old=current.value,
        new=to.value,
        **details,
    )
    notifications.notify_watchers(db, question, message, actor=actor)


def _text(value: str, limit: int, field: str, label: str, required: bool = True) -> str:
    value = (value or "").strip()
    if required and not value:
        raise ServiceError(f"{label} is required.", field)
    if len(value) > limit:
        raise ServiceError(f"Use at most {limit} characters.", field)
    return value


def record_review(
    db: Session,
    question: Question,
    reviewer: User,
    *,
    verdict: str,
    citations: str,
    note: str,
    now: datetime | None = None,
) -> EvidenceReview:
    """A researcher's verdict on whether existing evidence answers the question."""
    now = now or utcnow()
    policy.require_reviewer(db, question.community_id, reviewer)
    if verdict not in {v.value for v in EvidenceVerdict}:
        raise ServiceError("Choose one of the listed verdicts.", "verdict")
    citations = _text(
        citations,
        CITATIONS_MAX,
        "citations",
        "References",
        required=verdict != EvidenceVerdict.NOT_ANSWERED.value,
    )
    note = _text(note, NOTE_MAX, "note", "A note", required=False)
    review = EvidenceReview(
        question_id=question.id,
        reviewer_id=reviewer.id,
        verdict=verdict,
        citations=citations,
        note=note,
        created_at=now,
    )
    _move(
        db,
        question,
        S.UNDER_REVIEW,
        reviewer,
        f"Under review: {question.title} — {EvidenceVerdict(verdict).label}.",
        now,
        verdict=verdict,
    )
    db.add(review)
    return review


def start_analysis(
    db: Session, question: Question, actor: User, now: datetime | None = None
) -> None:
    policy.require_reviewer(db, question.community_id, actor)
    _move(db, question, S.IN_ANALYSIS, actor, f"In analysis: {question.title}", now or utcnow())


def mark_answered(
    db: Session,
    question: Question,
    actor: User,
    *,
    note: str,
    url: str = "",
    runs: Sequence[AnalysisRun] = (),
    now: datetime | None = None,
) -> None:
    """Record the answer: a short summary, the finished analysis runs that answer it
    and/or a link to where the answer is published."""
    policy.require_reviewer(db, question.community_id, actor)
    url = _text(url, URL_MAX, "url", "A link to the analysis", required=False)
    if url and not (
        url.startswith(("https://", "http://"))
        or (url.startswith("/") and not url.startswith("//"))
    ):
        raise ServiceError("Give an http(s) address or a path on this site.", "url")
    note = _text(note, NOTE_MAX, "note", "A summary of the answer")
    runs = list(dict.fromkeys(runs))
    run_links.require_answering(actor, runs)
    by = f" — by {', '.join(run.title for run in runs)}" if runs else ""
    _move(
        db,
        question,
        S.ANSWERED,
        actor,
        f"Answered: {question.title}{by}",
        now or utcnow(),
        url=url,
        runs=[run.id for run in runs],
    )
    question.answer_url = url
    question.answer_note = note
    run_links.link_answers(db, question, runs, actor)


def close(
    db: Session,
    question: Question,
    actor: User,
    *,
    reason: str,
    duplicate_of: Question | None = None,
    now: datetime | None = None,
) -> None:
    """Close with a reason; a duplicate points at the question it repeats.

    Support is not moved: each supporter is asked and moves it themselves
    (``move_support``), so nobody's vote is cast for them.
    """
    policy.require_moderator(db, question.community_id, actor)
    reason = _text(reason, NOTE_MAX, "reason", "A reason")
    if duplicate_of is not None:
        if duplicate_of.id == question.id:
            raise ServiceError("A question cannot duplicate itself.", "duplicate_of")
        if duplicate_of.community_id != question.community_id:
            raise ServiceError("The original must be in the same community.", "duplicate_of")
        if duplicate_of.hidden or duplicate_of.status == S.CLOSED.value:
            raise ServiceError(
                "Merge into a question that is visible and not closed.", "duplicate_of"
            )
    message = (
        f"Merged into “{duplicate_of.title}”: {question.title}. Your support can move "
        "there if you agree."
        if duplicate_of
        else f"Closed: {question.title}"
    )
    _move(
        db,
        question,
        S.CLOSED,
        actor,
        message,
        now or utcnow(),
        reason=reason,
        duplicate_of=duplicate_of.id if duplicate_of else None,
    )
    question.closed_reason = reason
    question.duplicate_of_id = duplicate_of.id if duplicate_of else None


def can_move_support(db: Session, question: Question, user: User | None) -> bool:
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return question.duplicate_of_id is not None and bool(
        db.scalar(
            select(QuestionVote.id).where(
                QuestionVote.question_id == question.id, QuestionVote.user_id == user.id
            )
        )
    )


def move_support(db: Session, duplicate: Question, user: User) -> Question:
    """With the supporter's consent, move their support from a duplicate to its original."""
    original = duplicate.duplicate_of
    if original is None:
        raise Conflict("This question was not merged into another one.")
    if not can_move_support(db, duplicate, user):
        raise Conflict("You did not support this question, so there is nothing to move.")
    if not original.status_enum.is_open or original.hidden:
        raise Conflict("The question it was merged into no longer takes support.")
    db.execute(
        delete(QuestionVote).where(
            QuestionVote.question_id == duplicate.id, QuestionVote.user_id == user.id
        )
    )
    db.execute(
        insert(db, QuestionVote)
        .values(question_id=original.id, user_id=user.id, created_at=utcnow())
        .on_conflict_do_nothing(index_elements=["question_id", "user_id"])
    )
    notifications.watch(db, original, user)
    return original
