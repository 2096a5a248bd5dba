"""The game's periodic work: new puzzles where every puzzle of a level has retired."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal.jobs.periodic import Periodic
from portal.jobs.runner import job_session
from portal.play import cutting
from portal.play.models import AlignmentSource


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
