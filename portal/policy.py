"""Who may see or change what: the one place the portal decides access.

Pages, the API and jobs ask the same functions, so a rule changes in one place.
Each function takes the viewer first: a :class:`User`, Flask-Login's anonymous user
or None (both mean a visitor). ``can_*`` answers yes or no; ``visible_*`` gives the
query of what the viewer may list; ``require_*`` raises the error a refusal shows.
Objects a viewer may not see are reported as missing, never as forbidden, so their
existence does not leak.

The rules:
- Datasets: published ones are public; drafts belong to their owner (and admins).
  Researchers share datasets. Whoever may edit a draft confirms its screening
  findings; only curators (admins) accept a re-identification risk above the threshold.
- Analyses: any member may run one on published versions; a run is public once it
  has finished on published versions, otherwise its owner's (and admins'). Whoever may
  run analyses and can see a finished or failed run may make a new run from it (rerun,
  edit, run on newer versions); the new run is theirs. Any member may follow a run
  they can see.
- Jobs: a job started by someone is theirs (and admins'); a job nobody started is
  public (it carries nothing private).
- Communities: any member may propose one; a proposal is seen by its founder and
  site admins only, who approve, merge or decline it. Only active communities are
  listed; archived ones stay readable and take no new contributions.
  Powers come from membership. A community's moderators moderate it and
  no other; site admins moderate all. They appoint and remove its moderators (from
  its members) and choose its settings, among them who may propose questions.
  Researchers (or moderators) record evidence reviews and move questions through
  analysis in any community. The site role
  "moderator" alone gives no power inside a community.
- Moderation: a community's moderators hide, keep, edit and warn; suspending or banning
  an account (site-wide) also takes the site role moderator, or admin. An appeal is
  decided by someone who may make the decision, other than whoever made it when anyone
  else can. Suspended and banned accounts read and appeal but write nothing
  (portal.accounts.sanctions enforces it for every request).
- Site admin area: admins only.
- Questions and comments: their authors may edit them for a short window, before
  others act on them; a comment's author may delete it.
- Treatment reports: only their author ever sees or changes one. Only reports of
  trusted accounts (active, not banned or suspended, e-mail confirmed, older than
  TRUST_AFTER_DAYS) count in what is published about treatments, so throwaway
  accounts cannot make up a crowd.
- Accounts: anyone may register and sign in; an account counts as trusted only once
  its e-mail address is confirmed, it is active and old enough.
- Membership of a community tells of a health condition: others see it only when
  the member chose to show it; the community's moderators (and admins) see every
  member, to moderate.
- Research alignments: researchers splice solutions into them.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, TypeAlias

from flask_login import AnonymousUserMixin, current_user
from sqlalchemy import ColumnElement, Select, and_, or_, select
from sqlalchemy.orm import Session

from portal.accounts.models import Role, User
from portal.community.models import Community, CommunityStatus, Membership, QuestionProposers
from portal.data.models import Dataset, DatasetVersion
from portal.errors import Conflict, Forbidden, Unauthorized
from portal.jobs.models import Job
from portal.reanalysis.models import AnalysisRun, RunStatus

if TYPE_CHECKING:
    from portal.community.questions.models import Question
    from portal.community.threads.models import Comment
    from portal.treatments.models import Treatment, TreatmentReport

#: Who is asking: an account, or a visitor (Flask-Login's anonymous user, or None).
Viewer: TypeAlias = User | AnonymousUserMixin | None


class MembershipRequired(Forbidden):
    """Only members of the community may do this; the message invites the person to join."""

    code = "membership_required"


def signed_in(viewer: Viewer) -> User | None:
    """The viewer's account (never a proxy to it), or None for a visitor."""
    # current_user is a proxy, which passes isinstance checks: ask it for the object
    # behind it first, so what is returned can be stored (Flask-Login keeps it in g).
    inner = getattr(viewer, "_get_current_object", None)
    if inner is not None:
        return signed_in(inner())
    if isinstance(viewer, User):
        return viewer
    return None


def current() -> User | None:
    """The account making this request, or None for a visitor."""
    return signed_in(current_user)


def require_account(viewer: Viewer) -> User:
    """The viewer's account; a visitor is asked to sign in."""
    user = signed_in(viewer)
    if user is None:
        raise Unauthorized("Log in to do that.")
    return user


def has_role(viewer: Viewer, role: Role) -> bool:
    user = signed_in(viewer)
    return user is not None and user.has_role(role)


def is_admin(viewer: Viewer) -> bool:
    return has_role(viewer, Role.ADMIN)


def _owns(viewer: Viewer, owner_id: int | None) -> bool:
    user = signed_in(viewer)
    return user is not None and owner_id is not None and user.id == owner_id


# -- datasets ------------------------------------------------------------------------


def can_share_datasets(viewer: Viewer) -> bool:
    return has_role(viewer, Role.RESEARCHER)


def can_edit_dataset(viewer: Viewer, dataset: Dataset) -> bool:
    return _owns(viewer, dataset.owner_id) or is_admin(viewer)


def is_curator(viewer: Viewer) -> bool:
    """Curators accept a dataset's re-identification risk above the threshold, with a
    reason. There is no separate curator role: site admins are the curators."""
    return is_admin(viewer)


def can_view_dataset(viewer: Viewer, dataset: Dataset) -> bool:
    return dataset.is_published or can_edit_dataset(viewer, dataset)


def visible_versions(viewer: Viewer, dataset: Dataset) -> list[DatasetVersion]:
    if can_edit_dataset(viewer, dataset):
        return list(dataset.versions)
    return dataset.published_versions()


def visible_datasets(viewer: Viewer) -> Select[Dataset]:
    statement = select(Dataset)
    user = signed_in(viewer)
    if user is None:
        return statement.where(Dataset.published_at.is_not(None))
    if user.has_role(Role.ADMIN):
        return statement
    return statement.where(or_(Dataset.published_at.is_not(None), Dataset.owner_id == user.id))


# -- analyses ------------------------------------------------------------------------


def can_create_run(viewer: Viewer) -> bool:
    """Any member may run an analysis (on published versions only)."""
    return signed_in(viewer) is not None


def can_edit_run(viewer: Viewer, run: AnalysisRun) -> bool:
    return _owns(viewer, run.owner_id) or is_admin(viewer)


def can_rate_certainty(viewer: Viewer, run: AnalysisRun) -> bool:
    """The certainty of evidence of a finished run is rated by whoever owns the run."""
    return run.is_finished and can_edit_run(viewer, run)


def can_view_run(viewer: Viewer, run: AnalysisRun) -> bool:
    if can_edit_run(viewer, run):
        return True
    return run.is_finished and all(item.version.is_published for item in run.inputs)


def can_derive_run(viewer: Viewer, run: AnalysisRun) -> bool:
    """Rerun, edit into a new run, or run on newer versions: whoever may run analyses
    and may see the run (the new run is theirs; the run itself never changes)."""
    return (
        can_create_run(viewer)
        and can_view_run(viewer, run)
        and run.status in (RunStatus.FINISHED, RunStatus.FAILED)
    )


def can_follow_run(viewer: Viewer, run: AnalysisRun) -> bool:
    """Any member who can see an analysis may follow it."""
    return signed_in(viewer) is not None and can_view_run(viewer, run)


def visible_runs(viewer: Viewer) -> Select[AnalysisRun]:
    statement = select(AnalysisRun)
    if is_admin(viewer):
        return statement
    public = AnalysisRun.status == RunStatus.FINISHED
    user = signed_in(viewer)
    if user is not None:
        return statement.where(or_(public, AnalysisRun.owner_id == user.id))
    return statement.where(public)


# -- jobs ----------------------------------------------------------------------------


def can_view_job(viewer: Viewer, job: Job) -> bool:
    """A job may carry an uploader's draft: only its owner (or an admin) follows it."""
    return job.owner_id is None or _owns(viewer, job.owner_id) or is_admin(viewer)


# -- communities ---------------------------------------------------------------------


def can_view_community(viewer: Viewer, community: Community) -> bool:
    """Active and archived communities are public; a proposal (and a declined or merged
    one) is its founder's and the site admins' only."""
    return community.is_public or _owns(viewer, community.founder_id) or is_admin(viewer)


def can_propose_community(viewer: Viewer) -> bool:
    return signed_in(viewer) is not None


def can_decide_proposals(viewer: Viewer) -> bool:
    """Approve, merge or decline proposed communities, and archive communities."""
    return is_admin(viewer)


def require_open(community: Community) -> None:
    """An archived (or not yet approved) community takes no new contributions."""
    if community.status == CommunityStatus.ARCHIVED:
        raise Conflict(f"{community.name} is archived: its pages can be read, not added to.")
    if not community.is_active:
        raise Conflict(f"{community.name} is not open yet: a site admin has to approve it.")


def membership_role(db: Session, community_id: int, viewer: Viewer) -> str | None:
    user = signed_in(viewer)
    if user is None:
        return None
    return db.scalar(
        select(Membership.role).where(
            Membership.community_id == community_id, Membership.user_id == user.id
        )
    )


def is_member(db: Session, community_id: int, viewer: Viewer) -> bool:
    return membership_role(db, community_id, viewer) is not None


def can_moderate(db: Session, community_id: int, viewer: Viewer) -> bool:
    if signed_in(viewer) is None:
        return False
    return is_admin(viewer) or membership_role(db, community_id, viewer) == "moderator"


def can_sanction_accounts(viewer: Viewer) -> bool:
    """Suspending or banning an account reaches every community, so it takes a site
    moderator (who must also moderate the community the content is in) or an admin."""
    return has_role(viewer, Role.MODERATOR)


def can_decide_appeal(
    db: Session, viewer: Viewer, community_id: int | None, *, sanction: bool
) -> bool:
    """Who may decide an appeal: the community's moderators (site moderators, for an
    appeal against a suspension or ban), or admins; the admin area's decisions, admins."""
    if is_admin(viewer):
        return True
    if community_id is None or not can_moderate(db, community_id, viewer):
        return False
    return not sanction or can_sanction_accounts(viewer)


def can_review(db: Session, community_id: int, viewer: Viewer) -> bool:
    """Record evidence reviews and move questions towards an answer."""
    return has_role(viewer, Role.RESEARCHER) or can_moderate(db, community_id, viewer)


def can_see_membership(db: Session, viewer: Viewer, membership: Membership) -> bool:
    """Membership tells of a health condition: seen by others only when the member
    shows it, and by the member and the community's moderators always."""
    return (
        membership.visible
        or _owns(viewer, membership.user_id)
        or can_moderate(db, membership.community_id, viewer)
    )


def require_member(db: Session, community: Community, viewer: Viewer, doing: str) -> None:
    require_open(community)
    if not is_member(db, community.id, viewer):
        raise MembershipRequired(f"Join {community.name} to {doing}.")


def can_propose_question(db: Session, community: Community, viewer: Viewer, trusted: bool) -> bool:
    """The community's choice of who proposes questions; ``trusted``: whether the viewer
    is past the new-account limits (portal.community.trust.is_trusted)."""
    if not is_member(db, community.id, viewer):
        return False
    if can_moderate(db, community.id, viewer):
        return True
    chosen = community.question_proposers
    if chosen == QuestionProposers.MODERATORS:
        return False
    return chosen == QuestionProposers.MEMBERS or trusted


def require_question_proposer(
    db: Session, community: Community, viewer: Viewer, trusted: bool
) -> None:
    require_member(db, community, viewer, "propose questions")
    if can_propose_question(db, community, viewer, trusted):
        return
    if community.question_proposers == QuestionProposers.MODERATORS:
        raise Forbidden(f"In {community.name}, only its moderators propose questions.")
    raise Forbidden(
        f"In {community.name}, members propose questions once they are past the "
        "new-account limits; until then, support and discuss the questions there."
    )


def require_moderator(db: Session, community_id: int, viewer: Viewer) -> None:
    if not can_moderate(db, community_id, viewer):
        raise Forbidden("Only this community's moderators can do that.")


def require_reviewer(db: Session, community_id: int, viewer: Viewer) -> None:
    if not can_review(db, community_id, viewer):
        raise Forbidden("Only researchers and this community's moderators can do that.")


def can_edit_question(viewer: Viewer, question: Question, now: datetime, window: timedelta) -> bool:
    """Authors may fix their own question shortly after posting, before others act on it."""
    return (
        _owns(viewer, question.author_id)
        and question.status == "proposed"
        and not question.hidden
        and now - question.created_at <= window
    )


def can_edit_comment(viewer: Viewer, comment: Comment, now: datetime, window: timedelta) -> bool:
    return (
        _owns(viewer, comment.author_id)
        and not comment.is_deleted
        and not comment.hidden
        and now - comment.created_at <= window
    )


def can_delete_comment(viewer: Viewer, comment: Comment) -> bool:
    return _owns(viewer, comment.author_id) and not comment.is_deleted


# -- treatments ----------------------------------------------------------------------


def can_view_treatment(db: Session, viewer: Viewer, treatment: Treatment) -> bool:
    """A proposed treatment is shown to the community's moderators until approved."""
    return treatment.is_approved or can_moderate(db, treatment.community_id, viewer)


def is_trusted(user: User, now: datetime, age: timedelta) -> bool:
    """Whether ``user``'s reports count in published figures: an active account, neither
    banned nor suspended now, with a confirmed e-mail address, at least ``age`` old
    (TRUST_AFTER_DAYS)."""
    return (
        user.active
        and user.banned_at is None
        and (user.suspended_until is None or user.suspended_until <= now)
        and user.email_confirmed_at is not None
        and user.created_at <= now - age
    )


def trusted_accounts(now: datetime, age: timedelta) -> ColumnElement[bool]:
    """The accounts whose reports count in published figures, as a condition on User
    (the same rule as :func:`is_trusted`)."""
    return and_(
        User.active.is_(True),
        User.banned_at.is_(None),
        or_(User.suspended_until.is_(None), User.suspended_until <= now),
        User.email_confirmed_at.is_not(None),
        User.created_at <= now - age,
    )


def require_report_author(viewer: Viewer, report: TreatmentReport) -> None:
    if not _owns(viewer, report.user_id):
        raise Forbidden("Only the member who wrote a report can change it.")


# -- research alignments -------------------------------------------------------------


def can_splice(viewer: Viewer) -> bool:
    return has_role(viewer, Role.RESEARCHER)


def can_import_alignments(viewer: Viewer) -> bool:
    """Researchers bring sequences for players to improve, as they share datasets."""
    return has_role(viewer, Role.RESEARCHER)
