"""Datasets that could answer a question: suggested by matching, decided by a researcher.

Suggestions come from ``links.matching`` over the datasets the viewer may see;
a researcher confirms or rejects each, and the decision is stored once per
question and dataset (the database enforces it). Never commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal import audit, policy
from portal.accounts.models import User
from portal.community.links import matching as dataset_matching
from portal.community.links.models import MATCHED_MAX, LinkDecision, QuestionDataset
from portal.community.questions.models import Question
from portal.data.models import Dataset
from portal.db import utcnow
from portal.errors import Conflict, ServiceError
from portal.upsert import insert


def document(dataset: Dataset) -> dataset_matching.Document:
    """Title, description, tags and the variables (names, titles, descriptions) of the
    newest version, published or not: only viewers who may see the dataset get here."""
    version = dataset.latest_published() or (dataset.versions[-1] if dataset.versions else None)
    variables: list[str] = []
    if version is not None:
        for field in version.schema.get("fields", []):
            variables += [str(field.get(key) or "") for key in ("name", "title", "description")]
    meta = dataset.meta
    tags = [tag.label for tag in dataset.tags]
    tags += [
        str(v)
        for key in ("conditions", "interventions", "keywords", "outcomes")
        for v in meta.get(key) or []
        if isinstance(v, str)
    ]
    if isinstance(meta.get("comparator"), str):
        tags.append(meta["comparator"])
    return dataset_matching.Document(
        title=dataset.title,
        description=dataset.description,
        tags=tuple(tags),
        variables=tuple(variables),
    )


def query(question: Question) -> str:
    """The words a dataset should share with the question: its title and PICO."""
    return " ".join(
        (
            question.title,
            question.population,
            question.intervention,
            question.comparator,
            question.outcome,
        )
    )


@dataclass(frozen=True)
class Suggested:
    dataset: Dataset
    suggestion: dataset_matching.Suggestion


def _scored(db: Session, question: Question, viewer: Any, min_score: float) -> list[Suggested]:
    datasets = {d.id: d for d in db.scalars(policy.visible_datasets(viewer))}
    ranked = dataset_matching.rank(
        query(question),
        {key: document(d) for key, d in datasets.items()},
        min_score=min_score,
        limit=len(datasets) or 1,
    )
    return [Suggested(datasets[s.key], s) for s in ranked]


def suggestions(db: Session, question: Question, viewer: Any, limit: int = 5) -> list[Suggested]:
    """The best-matching datasets the viewer may see that nobody has decided on yet."""
    decided = set(
        db.scalars(
            select(QuestionDataset.dataset_id).where(QuestionDataset.question_id == question.id)
        )
    )
    found = _scored(db, question, viewer, dataset_matching.MIN_SCORE)
    return [s for s in found if s.dataset.id not in decided][:limit]


def decide(
    db: Session, question: Question, dataset: Dataset, actor: User, decision: str
) -> QuestionDataset:
    """Confirm or reject a dataset for a question; deciding again replaces the decision."""
    policy.require_reviewer(db, question.community_id, actor)
    if decision not in {d.value for d in LinkDecision}:
        raise ServiceError("Confirm or reject the dataset.", "decision")
    if not policy.can_view_dataset(actor, dataset):
        raise Conflict("That dataset does not exist or is not visible to you.")
    if question.hidden:
        raise Conflict("This question is hidden while moderators review it.")
    # Keep the score as it was shown, so the decision can be read against it later.
    shown = {s.dataset.id: s.suggestion for s in _scored(db, question, actor, 0.0)}
    match = shown.get(dataset.id)
    score = round(match.score, 4) if match else 0.0
    matched = ", ".join(match.matched)[:MATCHED_MAX] if match else ""
    now = utcnow()
    values = {
        "decision": decision,
        "score": score,
        "matched": matched,
        "decided_by_id": actor.id,
        "decided_at": now,
    }
    db.execute(
        insert(db, QuestionDataset)
        .values(question_id=question.id, dataset_id=dataset.id, **values)
        .on_conflict_do_update(index_elements=["question_id", "dataset_id"], set_=values)
    )
    audit.record(
        db,
        f"question.dataset_{decision}",
        actor_id=actor.id,
        subject=f"question:{question.id}",
        community_id=question.community_id,
        dataset=dataset.slug,
        score=score,
    )
    return db.scalars(
        select(QuestionDataset)
        .where(
            QuestionDataset.question_id == question.id,
            QuestionDataset.dataset_id == dataset.id,
        )
        .execution_options(populate_existing=True)
    ).one()


def confirmed(db: Session, question: Question, viewer: Any) -> list[QuestionDataset]:
    """Confirmed links of the question to datasets the viewer may see."""
    links = db.scalars(
        select(QuestionDataset)
        .where(
            QuestionDataset.question_id == question.id,
            QuestionDataset.decision == LinkDecision.CONFIRMED.value,
        )
        .order_by(QuestionDataset.score.desc(), QuestionDataset.id)
    )
    return [link for link in links if policy.can_view_dataset(viewer, link.dataset)]


def rejected(db: Session, question: Question, viewer: Any) -> list[QuestionDataset]:
    links = db.scalars(
        select(QuestionDataset)
        .where(
            QuestionDataset.question_id == question.id,
            QuestionDataset.decision == LinkDecision.REJECTED.value,
        )
        .order_by(QuestionDataset.id)
    )
    return [link for link in links if policy.can_view_dataset(viewer, link.dataset)]


def questions_for(db: Session, dataset: Dataset) -> list[Question]:
    """Visible questions a researcher confirmed this dataset could answer."""
    return list(
        db.scalars(
            select(Question)
            .join(QuestionDataset, QuestionDataset.question_id == Question.id)
            .where(
                QuestionDataset.dataset_id == dataset.id,
                QuestionDataset.decision == LinkDecision.CONFIRMED.value,
                Question.hidden.is_(False),
            )
            .order_by(Question.created_at.desc(), Question.id.desc())
        )
    )


def for_community(db: Session, community_id: int, viewer: Any) -> list[Dataset]:
    """Datasets confirmed for the community's visible questions, that the viewer may see."""
    found = db.scalars(
        select(Dataset)
        .join(QuestionDataset, QuestionDataset.dataset_id == Dataset.id)
        .join(Question, Question.id == QuestionDataset.question_id)
        .where(
            Question.community_id == community_id,
            Question.hidden.is_(False),
            QuestionDataset.decision == LinkDecision.CONFIRMED.value,
        )
        .order_by(Dataset.title)
    ).unique()
    return [dataset for dataset in dict.fromkeys(found) if policy.can_view_dataset(viewer, dataset)]
