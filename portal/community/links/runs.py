"""Analysis runs made for a question, and the ones that answer it. Never commits.

Runs are shown only to viewers who may see them (``portal.policy.can_view_run``):
a draft or a run on unpublished data stays its owner's until it is public.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal import audit, policy
from portal.accounts.models import User
from portal.community.links import datasets as dataset_links
from portal.community.links import matching
from portal.community.links.models import QuestionRun, RunRole
from portal.community.notifications import services as notifications
from portal.community.questions.models import Question, QuestionStatus
from portal.db import utcnow
from portal.errors import Conflict, ServiceError
from portal.reanalysis import presenting
from portal.reanalysis.models import AnalysisRun, RunStatus
from portal.upsert import insert

#: How many of a researcher's runs the forms offer, newest first.
CHOICES_MAX = 50


def get_run(db: Session, actor: Any, run_id: int) -> AnalysisRun:
    """The run, if ``actor`` may see it; otherwise the same error as for a missing one."""
    run = db.get(AnalysisRun, run_id)
    if run is None or not policy.can_view_run(actor, run):
        raise ServiceError("That analysis does not exist or is not visible to you.", "runs")
    return run


def require_answering(actor: Any, runs: Sequence[AnalysisRun]) -> None:
    """Only finished runs the actor may see can stand as an answer."""
    for run in runs:
        if not policy.can_view_run(actor, run):
            raise ServiceError("That analysis does not exist or is not visible to you.", "runs")
        if not run.is_finished:
            raise ServiceError(
                f"“{run.title}” has not finished: only finished analyses can answer a question.",
                "runs",
            )


def _upsert(
    db: Session,
    question: Question,
    run: AnalysisRun,
    actor: User,
    role: RunRole,
) -> None:
    values: dict[str, Any] = {"linked_by_id": actor.id, "linked_at": utcnow()}
    statement = insert(db, QuestionRun).values(
        question_id=question.id, run_id=run.id, role=role.value, **values
    )
    # An answer outranks "run for it"; linking as "run for it" again changes nothing.
    if role is RunRole.ANSWER:
        statement = statement.on_conflict_do_update(
            index_elements=["question_id", "run_id"], set_={"role": role.value, **values}
        )
    else:
        statement = statement.on_conflict_do_nothing(index_elements=["question_id", "run_id"])
    db.execute(statement)


def link_answers(db: Session, question: Question, runs: Sequence[AnalysisRun], actor: User) -> None:
    """Record ``runs`` as the question's answer (``questions.lifecycle.mark_answered`` calls this
    after its own checks, and notifies the followers)."""
    for run in runs:
        _upsert(db, question, run, actor, RunRole.ANSWER)


def link_analysis(db: Session, question: Question, run: AnalysisRun, actor: User) -> bool:
    """Note that ``run`` was made for the question; returns False if it already was."""
    policy.require_reviewer(db, question.community_id, actor)
    if not policy.can_view_run(actor, run):
        raise ServiceError("That analysis does not exist or is not visible to you.", "run")
    if question.hidden or question.status == QuestionStatus.CLOSED.value:
        raise Conflict("Analyses can be linked only to visible questions that are not closed.")
    exists = db.scalar(
        select(QuestionRun.id).where(
            QuestionRun.question_id == question.id, QuestionRun.run_id == run.id
        )
    )
    if exists:
        return False
    _upsert(db, question, run, actor, RunRole.ANALYSIS)
    audit.record(
        db,
        "question.run_linked",
        actor_id=actor.id,
        subject=f"question:{question.id}",
        community_id=question.community_id,
        run=run.id,
    )
    notifications.notify_watchers(
        db, question, f"An analysis was run for “{question.title}”: {run.title}", actor=actor
    )
    return True


@dataclass(frozen=True)
class LinkedRun:
    run: AnalysisRun
    role: str
    linked_at: Any
    #: e.g. "RR 0.490 (95% CI 0.345 to 0.695), 13 studies", or "" until it has finished
    pooled: str

    @property
    def answers(self) -> bool:
        return self.role == RunRole.ANSWER.value


def pooled_summary(run: AnalysisRun) -> str:
    """The pooled estimate in one line, on the scale a reader expects (ratios exponentiated)."""
    if not run.is_finished:
        return ""
    pooled = run.results.get("pooled") or {}
    if "estimate" not in pooled:
        return ""
    ratio = pooled.get("scale") == "log"
    suffix = "_exp" if ratio else ""
    fmt = presenting.fmt
    level = pooled.get("level")
    ci = f"{level * 100:g}% CI" if isinstance(level, int | float) else "CI"
    text = (
        f"{pooled.get('measure', '')} {fmt(pooled.get('estimate' + suffix))} "
        f"({ci} {fmt(pooled.get('ci_low' + suffix))} to "
        f"{fmt(pooled.get('ci_high' + suffix))})"
    ).strip()
    if pooled.get("k"):
        text += f", {pooled['k']} studies"
    return text


def for_question(db: Session, question: Question, viewer: Any) -> list[LinkedRun]:
    """Runs linked to the question that the viewer may see; answers first."""
    rows = db.execute(
        select(QuestionRun, AnalysisRun)
        .join(AnalysisRun, QuestionRun.run_id == AnalysisRun.id)
        .where(QuestionRun.question_id == question.id)
        .order_by(QuestionRun.linked_at, QuestionRun.id)
    ).all()
    linked = [
        LinkedRun(run, link.role, link.linked_at, pooled_summary(run))
        for link, run in rows
        if policy.can_view_run(viewer, run)
    ]
    return sorted(linked, key=lambda item: not item.answers)


def questions_for(db: Session, run: AnalysisRun) -> list[tuple[Question, str]]:
    """Visible questions the run was made for or answers, with the link's role."""
    return [
        (question, role)
        for question, role in db.execute(
            select(Question, QuestionRun.role)
            .join(QuestionRun, QuestionRun.question_id == Question.id)
            .where(QuestionRun.run_id == run.id, Question.hidden.is_(False))
            .order_by(Question.created_at.desc(), Question.id.desc())
        ).all()
    ]


def choices(db: Session, actor: Any, question: Question | None = None) -> list[AnalysisRun]:
    """Finished runs the actor may see, to offer in the forms.

    For a question, the runs already linked to its community's questions come first,
    then every run in order of how well its title, description and data match the
    question's title and PICO (the same matching as dataset suggestions), newest first
    among equals; without one, newest first.
    """
    runs = [
        run
        for run in db.scalars(
            policy.visible_runs(actor)
            .where(AnalysisRun.status == RunStatus.FINISHED)
            .order_by(AnalysisRun.finished_at.desc(), AnalysisRun.id.desc())
            .limit(CHOICES_MAX)
        )
        if policy.can_view_run(actor, run)
    ]
    if question is None or not runs:
        return runs
    scores = {
        s.key: s.score
        for s in matching.rank(
            dataset_links.query(question),
            {run.id: _document(run) for run in runs},
            min_score=0.0,
            limit=len(runs),
        )
    }
    in_community = set(
        db.scalars(
            select(QuestionRun.run_id)
            .join(Question, Question.id == QuestionRun.question_id)
            .where(Question.community_id == question.community_id)
        )
    )
    newest = {run.id: position for position, run in enumerate(runs)}
    return sorted(
        runs, key=lambda r: (r.id not in in_community, -scores.get(r.id, 0.0), newest[r.id])
    )


def _document(run: AnalysisRun) -> matching.Document:
    """A run as the matching sees it: its own words and those of the data it pooled."""
    datasets = [dataset_links.document(i.version.dataset) for i in run.inputs]
    return matching.Document(
        title=run.title,
        description=" ".join([run.description or "", *(d.title for d in datasets)]),
        tags=tuple(tag for d in datasets for tag in d.tags),
        variables=tuple(v for d in datasets for v in d.variables),
    )


def for_community(db: Session, community_id: int, viewer: Any) -> list[LinkedRun]:
    """Runs linked to the community's visible questions that the viewer may see, newest
    first, each once (as an answer if it answers any of them)."""
    rows = db.execute(
        select(QuestionRun, AnalysisRun)
        .join(AnalysisRun, QuestionRun.run_id == AnalysisRun.id)
        .join(Question, Question.id == QuestionRun.question_id)
        .where(Question.community_id == community_id, Question.hidden.is_(False))
        .order_by(QuestionRun.linked_at.desc(), QuestionRun.id.desc())
    ).all()
    seen: dict[int, LinkedRun] = {}
    for link, run in rows:
        if not policy.can_view_run(viewer, run):
            continue
        if run.id not in seen or link.role == RunRole.ANSWER.value:
            seen[run.id] = LinkedRun(run, link.role, link.linked_at, pooled_summary(run))
    return list(seen.values())
