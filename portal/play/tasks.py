"""The game's jobs: a researcher's sequences made into puzzles, and the
periodic new puzzles where every puzzle of a level has retired."""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal.accounts.models import User
from portal.errors import ServiceError
from portal.jobs.periodic import Periodic
from portal.jobs.runner import JobContext, JobFailure, TaskFunction, job_session
from portal.play import cutting, importing
from portal.play.models import AlignmentSource


def import_sequences(context: JobContext, *, request: dict[str, Any], user_id: int) -> dict:
    """Align a researcher's sequences, cut puzzles where the alignment is
    least trusted, and record both."""
    asked = importing.ImportRequest(**request)
    username = context.row(User, user_id, "account").username
    # Nothing is written for the seconds of aligning and solving; on SQLite an
    # open transaction would hold up the progress reports.
    context.session.rollback()

    def report(fraction: float, message: str) -> None:
        context.progress(fraction, message, force=True)

    try:
        built = importing.build(asked, context.app.config, report)
    except ServiceError as error:
        raise JobFailure(error.message) from None
    report(0.97, "Saving the alignment and its puzzles")
    try:
        alignment, puzzles = importing.store(context.session, asked, built, username)
    except ServiceError as error:
        raise JobFailure(error.message) from None
    return {
        "url": f"/play/alignments/{alignment.slug}",
        "alignment": alignment.slug,
        "puzzles": [puzzle.id for puzzle in puzzles],
    }


#: What each kind does, in the words of the job and "My work" pages.
LABELS = {"alignment.import": "Making puzzles from your sequences"}

#: The job kinds this feature runs (registered by portal.play.init_app).
TASKS: dict[str, TaskFunction] = {"alignment.import": import_sequences}


def recut_puzzles(app: Flask) -> int:
    """New puzzles where every puzzle of a level of an alignment has retired."""
    added = 0
    with job_session(app) as session:
        for alignment_id in session.scalars(select(AlignmentSource.id)).all():
            alignment = session.get(AlignmentSource, alignment_id)
            if alignment is None:  # removed since the list was read
                continue
            plan = cutting.plan_cuts(session, alignment)
            session.rollback()  # no transaction stays open through seconds of solving
            cuts = cutting.solve_cuts(plan)
            alignment = session.get(AlignmentSource, alignment_id)
            if alignment is None:
                continue
            try:
                added += len(cutting.store_cuts(session, alignment, cuts))
                session.commit()
            except IntegrityError:  # another process stored the same cut first
                session.rollback()
    return added


#: Leaderboards need no refresh: they are computed when shown and kept for a
#: second per web process (portal.play.payload_cache).
PERIODIC: tuple[Periodic, ...] = (Periodic("play.recut_puzzles", recut_puzzles, every=600.0),)
