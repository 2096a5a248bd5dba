"""Living analyses: an analysis notices when its datasets get newer published versions,
runs again on them, says how its numbers changed, and tells the members who follow it.

Functions take a session and never commit, except :func:`notify_followers`, the periodic
task, which owns its own sessions.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import Flask
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session, object_session

import analysis.comparison
from portal import policy
from portal.accounts import mail, notices
from portal.accounts.models import User
from portal.community.notifications.models import MESSAGE_MAX, Notification
from portal.data.models import DatasetVersion
from portal.db import rows_changed, utcnow
from portal.errors import Conflict
from portal.jobs.runner import job_session
from portal.reanalysis import building
from portal.reanalysis.models import AnalysisFollow, AnalysisRun, RunStatus
from portal.upsert import insert

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Newer:
    """A dataset the run used, and its newest published version (newer than the run's)."""

    used: DatasetVersion
    newest: DatasetVersion

    @property
    def title(self) -> str:
        return self.used.dataset.title


def _newest(version: DatasetVersion) -> DatasetVersion:
    """The newest published version of ``version``'s dataset (itself if none is newer)."""
    published = version.dataset.published_versions()
    return max(published, key=lambda v: v.number, default=version)


def newer_versions(run: AnalysisRun) -> list[Newer]:
    """The run's datasets that have a newer published version, in the run's order."""
    out = []
    for item in run.inputs:
        newest = _newest(item.version)
        if newest.number > item.version.number:
            out.append(Newer(item.version, newest))
    return out


def newest_versions(run: AnalysisRun) -> list[DatasetVersion]:
    """The versions a run on the newest data uses: each dataset's newest published one."""
    return [_newest(item.version) for item in run.inputs]


def derived_runs(session: Session, run: AnalysisRun, viewer: Any) -> list[AnalysisRun]:
    """Runs made from ``run`` that ``viewer`` may see, newest first."""
    runs = session.scalars(
        select(AnalysisRun)
        .where(AnalysisRun.rerun_of_id == run.id)
        .order_by(AnalysisRun.created_at.desc(), AnalysisRun.id.desc())
    )
    return [r for r in runs if policy.can_view_run(viewer, r)]


def on_newest(run: AnalysisRun, other: AnalysisRun) -> bool:
    """Whether ``other`` uses the newest published version of each of ``run``'s datasets."""
    return [i.version_id for i in other.inputs] == [v.id for v in newest_versions(run)]


def run_on_newest(session: Session, run: AnalysisRun, owner: User) -> AnalysisRun:
    """A new draft with ``run``'s specification on its datasets' newest published
    versions. Raises Conflict when there is nothing newer, and ServiceError (from the
    mapping check) when a newer version lacks a column the mapping names: the draft
    then exists for its owner to map again (the caller decides whether to keep it)."""
    if not newer_versions(run):
        raise Conflict("This analysis already uses the newest published version of its data.")
    return building.derive(session, run, owner, newest_versions(run))


def comparison(run: AnalysisRun) -> analysis.comparison.Comparison | None:
    """How ``run``'s results differ from those of the run it was made from (both
    finished), or None."""
    parent = run_parent(run)
    if parent is None or not (run.is_finished and parent.is_finished):
        return None
    if not (run.results.get("pooled") and parent.results.get("pooled")):
        # a network or a three-level model has no ordinary pooled estimate to compare;
        # its page shows its own tables
        return None
    return analysis.comparison.compare_results(parent.results, run.results)


def run_parent(run: AnalysisRun) -> AnalysisRun | None:
    if run.rerun_of_id is None:
        return None
    session = object_session(run)
    return session.get(AnalysisRun, run.rerun_of_id) if session is not None else None


def version_changes(run: AnalysisRun) -> list[tuple[DatasetVersion, DatasetVersion]]:
    """(old, new) for each dataset whose version differs from the parent run's."""
    parent = run_parent(run)
    if parent is None:
        return []
    old = {i.version.dataset_id: i.version for i in parent.inputs}
    return [
        (old[i.version.dataset_id], i.version)
        for i in run.inputs
        if i.version.dataset_id in old and old[i.version.dataset_id].id != i.version_id
    ]


# -- following ------------------------------------------------------------------------


def follow(session: Session, run: AnalysisRun, user: User, *, email: bool = False) -> None:
    """Follow ``run`` (again: only the e-mail choice changes), even when it races."""
    now = utcnow()
    session.execute(
        insert(session, AnalysisFollow)
        .values(run_id=run.id, user_id=user.id, email=email, created_at=now, notified_through=now)
        .on_conflict_do_update(index_elements=["run_id", "user_id"], set_={"email": email})
    )


def unfollow(session: Session, run: AnalysisRun, user: User) -> None:
    session.execute(
        delete(AnalysisFollow).where(
            AnalysisFollow.run_id == run.id, AnalysisFollow.user_id == user.id
        )
    )


def following(session: Session, run: AnalysisRun, user: Any) -> AnalysisFollow | None:
    if getattr(user, "id", None) is None or not getattr(user, "is_authenticated", False):
        return None
    return session.scalar(
        select(AnalysisFollow).where(
            AnalysisFollow.run_id == run.id, AnalysisFollow.user_id == user.id
        )
    )


def news(
    session: Session, run: AnalysisRun, since: datetime, until: datetime
) -> list[tuple[str, AnalysisRun]]:
    """What happened to ``run`` in (since, until]: (message, run to open) pairs. A newer
    run made from it finished; a dataset it uses got a newer published version."""
    out: list[tuple[str, AnalysisRun]] = []
    newer_runs = session.scalars(
        select(AnalysisRun).where(
            AnalysisRun.rerun_of_id == run.id,
            AnalysisRun.status == RunStatus.FINISHED,
            AnalysisRun.finished_at > since,
            AnalysisRun.finished_at <= until,
        )
    )
    for newer in newer_runs:
        if all(i.version.is_published for i in newer.inputs):
            out.append(
                (f"The analysis “{run.title}” has a newer run (analysis {newer.id}).", newer)
            )
    used = {i.version.dataset_id: i.version.number for i in run.inputs}
    published = session.scalars(
        select(DatasetVersion)
        .where(
            DatasetVersion.dataset_id.in_(used),
            DatasetVersion.published_at > since,
            DatasetVersion.published_at <= until,
        )
        .order_by(DatasetVersion.dataset_id, DatasetVersion.number)
    )
    for version in published:
        if version.number > used[version.dataset_id]:
            out.append(
                (
                    f"{version.dataset.title} has a newer version (v{version.number}), used by "
                    f"the analysis “{run.title}” you follow.",
                    run,
                )
            )
    return out


def _mail(user: User, message: str, run_id: int) -> None:
    """E-mail one notice (to a confirmed address only: an unconfirmed one may not be
    the member's)."""
    if not user.email or not user.email_confirmed:
        return
    link = notices.absolute_url("reanalysis.show", run_id=run_id)
    body = (
        f"Hello {user.name},\n\n{message}\n\nSee it: {link}\n\n"
        "You get this because you follow the analysis and asked to be e-mailed; "
        "unfollow it on its page to stop.\n"
    )
    mail.send(mail.message(user.email, "An analysis you follow has news", body))


def notify_followers(app: Flask, limit: int = 500) -> int:
    """The periodic task: tell each follower what happened since they were last told.
    Each follow is advanced with a conditional UPDATE first, so a notice is sent once
    even when two processes run this at the same time. Returns notices written."""
    told = 0
    with job_session(app) as session:
        follows = session.scalars(
            select(AnalysisFollow).order_by(AnalysisFollow.notified_through).limit(limit)
        ).all()
        now = utcnow()
        mails: list[tuple[User, str, int]] = []
        for item in follows:
            since = item.notified_through
            if not rows_changed(
                session,
                update(AnalysisFollow)
                .where(AnalysisFollow.id == item.id, AnalysisFollow.notified_through == since)
                .values(notified_through=now),
            ):
                continue
            for message, target in news(session, item.run, since, now):
                session.add(
                    Notification(
                        user_id=item.user_id,
                        run_id=target.id,
                        message=message[:MESSAGE_MAX],
                        created_at=now,
                    )
                )
                told += 1
                if item.email:
                    mails.append((item.user, message, target.id))
        session.commit()
        if mails:
            with app.test_request_context():
                for user, message, run_id in mails:
                    _mail(user, message, run_id)
    return told
