"""Proposing, editing, listing and finding research questions. Never commits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from portal import policy
from portal.accounts.models import User
from portal.community import trust
from portal.community.models import Community, QuestionProposers
from portal.community.notifications import services as notifications
from portal.community.questions import ranking
from portal.community.questions.models import (
    PICO_MAX,
    RATIONALE_MAX,
    TITLE_MAX,
    TITLE_MIN,
    Question,
    QuestionStatus,
    QuestionVote,
)
from portal.community.questions.similarity import Draft, most_similar
from portal.db import utcnow
from portal.errors import Conflict, Forbidden, ServiceError

STATUS_FILTERS = {
    "open": [s.value for s in QuestionStatus if s.is_open],
    "answered": [QuestionStatus.ANSWERED.value],
    "closed": [QuestionStatus.CLOSED.value],
    "all": [s.value for s in QuestionStatus],
}


@dataclass(frozen=True)
class QuestionText:
    """What a member writes: a PICO question and why it matters."""

    title: str
    population: str
    intervention: str
    comparator: str
    outcome: str
    rationale: str

    def cleaned(self) -> QuestionText:
        fields = {
            name: " ".join((getattr(self, name) or "").split())
            for name in ("title", "population", "intervention", "comparator", "outcome")
        }
        rationale = (self.rationale or "").strip()
        text = QuestionText(rationale=rationale, **fields)
        text.check()
        return text

    def check(self) -> None:
        if not TITLE_MIN <= len(self.title) <= TITLE_MAX:
            raise ServiceError(
                f"Write the question in {TITLE_MIN} to {TITLE_MAX} characters.", "title"
            )
        for name, label in (
            ("population", "Population"),
            ("intervention", "Intervention"),
            ("outcome", "Outcome"),
        ):
            if not getattr(self, name):
                raise ServiceError(f"{label} is part of a PICO question; fill it in.", name)
        for name in ("population", "intervention", "comparator", "outcome"):
            if len(getattr(self, name)) > PICO_MAX:
                raise ServiceError(f"Use at most {PICO_MAX} characters.", name)
        if not self.rationale:
            raise ServiceError("Say why this question matters.", "rationale")
        if len(self.rationale) > RATIONALE_MAX:
            raise ServiceError(f"Use at most {RATIONALE_MAX} characters.", "rationale")

    def as_draft(self) -> Draft:
        return Draft(
            self.title,
            " ".join([self.population, self.intervention, self.comparator, self.outcome]),
        )


def require_proposer(
    db: Session,
    community: Community,
    author: User,
    *,
    limits: trust.TrustPolicy,
    now: datetime | None = None,
) -> None:
    """Refuse unless ``author`` may propose questions here (the community's setting)."""
    # Whether the author is past the new-account limits matters only where the
    # community lets trusted members alone propose.
    trusted = community.question_proposers != QuestionProposers.TRUSTED or trust.is_trusted(
        db, author, now or utcnow(), limits
    )
    policy.require_question_proposer(db, community, author, trusted)


def propose(
    db: Session,
    community: Community,
    author: User,
    text: QuestionText,
    *,
    limits: trust.TrustPolicy | None = None,
    now: datetime | None = None,
) -> Question:
    now = now or utcnow()
    limits = limits or trust.TrustPolicy()
    require_proposer(db, community, author, limits=limits, now=now)
    text = text.cleaned()
    trust.ensure_allowed(db, author, "question", now, limits)
    question = Question(
        community_id=community.id, author_id=author.id, created_at=now, **vars(text)
    )
    db.add(question)
    db.flush()
    notifications.watch(db, question, author)
    return question


def edit(
    db: Session,
    question: Question,
    user: User,
    text: QuestionText,
    *,
    window: timedelta,
    now: datetime | None = None,
) -> None:
    now = now or utcnow()
    if question.author_id != user.id:
        raise Forbidden("Only the author can edit a question.")
    if not policy.can_edit_question(user, question, now, window):
        raise Conflict(
            f"Questions can be edited for {int(window.total_seconds() // 60)} minutes after "
            "posting, while they are still proposed."
        )
    text = text.cleaned()
    for name, value in vars(text).items():
        setattr(question, name, value)
    question.edited_at = now


def get(db: Session, community: Community, question_id: int) -> Question | None:
    """The question with this id, only if it belongs to ``community``."""
    return db.scalar(
        select(Question).where(Question.id == question_id, Question.community_id == community.id)
    )


def support_count(db: Session, question: Question) -> int:
    return (
        db.scalar(
            select(func.count())
            .select_from(QuestionVote)
            .where(QuestionVote.question_id == question.id)
        )
        or 0
    )


@dataclass(frozen=True)
class Listed:
    question: Question
    support: int
    score: ranking.Rankable


def listed(
    db: Session,
    *,
    community: Community | None = None,
    status: str = "open",
    sort: str = ranking.DEFAULT_SORT,
    now: datetime | None = None,
) -> list[Listed]:
    """Visible questions (of one community, or all), ordered by ``sort``.

    Counts are counted rows, so they are exact; ordering happens in Python with the
    formulas of portal.community.questions.ranking, which the pages show.
    """
    now = now or utcnow()
    if status not in STATUS_FILTERS:
        raise Conflict(f"Unknown status filter {status!r}.")
    if sort not in ranking.SORTS:
        raise Conflict(f"Unknown sort {sort!r}.")
    support = (
        select(QuestionVote.question_id, func.count().label("n"))
        .group_by(QuestionVote.question_id)
        .subquery()
    )
    recent = (
        select(QuestionVote.question_id, func.count().label("n"))
        .where(QuestionVote.created_at > now - ranking.TRENDING_WINDOW)
        .group_by(QuestionVote.question_id)
        .subquery()
    )
    query = (
        select(Question, func.coalesce(support.c.n, 0), func.coalesce(recent.c.n, 0))
        .outerjoin(support, support.c.question_id == Question.id)
        .outerjoin(recent, recent.c.question_id == Question.id)
        .where(Question.hidden.is_(False), Question.status.in_(STATUS_FILTERS[status]))
        .options(joinedload(Question.community), joinedload(Question.author))
    )
    if community is not None:
        query = query.where(Question.community_id == community.id)
    pairs = [
        (ranking.Rankable(q.id, q.created_at, int(n), int(r)), q)
        for q, n, r in db.execute(query).all()
    ]
    return [
        Listed(question=q, support=score.support, score=score)
        for score, q in ranking.order(pairs, sort, now)
    ]


def similar(
    db: Session,
    community: Community,
    draft: Draft,
    *,
    exclude_id: int | None = None,
    limit: int = 5,
) -> list[tuple[Question, float]]:
    """Visible questions of ``community`` that look like ``draft``, most similar first."""
    candidates = db.scalars(
        select(Question).where(Question.community_id == community.id, Question.hidden.is_(False))
    ).all()
    by_id = {q.id: q for q in candidates if q.id != exclude_id}
    drafts = [
        (
            q.id,
            QuestionText(
                q.title, q.population, q.intervention, q.comparator, q.outcome, q.rationale
            ).as_draft(),
        )
        for q in by_id.values()
    ]
    return [(by_id[m.key], m.score) for m in most_similar(draft, drafts, limit=limit)]
