"""Filters and helpers the community templates (and the profile page) use."""

from __future__ import annotations

from flask import Blueprint
from flask_login import current_user
from sqlalchemy import select

from portal import db, policy
from portal.community import contributions, demo_members, markdown
from portal.community.links import datasets as dataset_links
from portal.community.links import runs as run_links
from portal.community.links.models import RunRole
from portal.community.notifications import services as notifications
from portal.community.questions.models import QuestionStatus
from portal.data.models import Dataset
from portal.reanalysis.models import AnalysisRun


def mention_title(kind: str, key: str) -> str | None:
    """The title of a mentioned dataset or analysis, if the reader may see it."""
    session = db.session()
    if kind == "dataset":
        dataset = session.scalar(select(Dataset).where(Dataset.slug == key))
        if dataset is not None and policy.can_view_dataset(current_user, dataset):
            return dataset.title
    elif kind == "analysis" and key.isdigit():
        run = session.get(AnalysisRun, int(key))
        if run is not None and policy.can_view_run(current_user, run):
            return run.title
    return None


def register(bp: Blueprint) -> None:
    @bp.app_template_filter("markdown")
    def render_markdown(text: str):
        return markdown.render(text or "", mention_title)

    @bp.app_template_global("is_demo_community")
    def is_demo_community(community) -> bool:
        return demo_members.has_demo_members(db.session(), community)

    @bp.app_template_filter("when")
    def when(value) -> str:
        return value.strftime("%d %b %Y, %H:%M UTC") if value else ""

    @bp.app_template_filter("status_label")
    def status_label(status: str) -> str:
        return QuestionStatus(status).label

    @bp.app_context_processor
    def community_helpers() -> dict:
        def unread() -> int:
            if not current_user.is_authenticated:
                return 0
            return notifications.unread_count(db.session(), current_user)

        return {
            "community_contributions": lambda user: contributions.of(
                db.session(), user, current_user
            ),
            "unread_notifications": unread,
            # For the dataset and analysis pages, which check the viewer may see them.
            # Each gives (question, note) pairs for community/_linked_questions.html.
            "questions_for_dataset": lambda dataset: [
                (question, "") for question in dataset_links.questions_for(db.session(), dataset)
            ],
            "questions_for_run": lambda run: [
                (
                    question,
                    "answered by this analysis"
                    if role == RunRole.ANSWER.value
                    else "analysis run for it",
                )
                for question, role in run_links.questions_for(db.session(), run)
            ],
        }
