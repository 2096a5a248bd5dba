"""Questions of a community: list, propose, show, edit, support, follow, flag, lifecycle."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from portal import db, policy
from portal.community import markdown
from portal.community.forms import ActionForm
from portal.community.links import datasets as dataset_links
from portal.community.links import matching as dataset_matching
from portal.community.links import runs as run_links
from portal.community.links.forms import DatasetDecisionForm, LinkRunForm
from portal.community.moderation import decisions
from portal.community.moderation import services as moderation
from portal.community.moderation.forms import FlagForm
from portal.community.moderation.models import FlagReason
from portal.community.notifications import services as notifications
from portal.community.questions import lifecycle, ranking, votes
from portal.community.questions import services as questions
from portal.community.questions.forms import AnswerForm, CloseForm, QuestionForm, ReviewForm
from portal.community.questions.models import EvidenceReview, Question, QuestionStatus
from portal.community.threads import services as threads
from portal.community.threads.forms import CommentForm
from portal.community.web import (
    community_or_404,
    edit_window,
    flag_content,
    form_page,
    me,
    question_or_404,
    refuse,
    require_author,
    require_valid,
    submit,
    trust_policy,
)
from portal.data.models import Dataset
from portal.db import utcnow
from portal.errors import Conflict, ServiceError
from portal.extensions import limiter, post_limit, user_or_address, vote_limit

bp = Blueprint("questions", __name__, url_prefix="/<slug>/questions")

PAGE_SIZE = 20


def paginate(items: list, page: int) -> tuple[list, int]:
    pages = max(1, -(-len(items) // PAGE_SIZE))
    page = min(max(page, 1), pages)
    return items[(page - 1) * PAGE_SIZE : page * PAGE_SIZE], pages


def list_arguments() -> tuple[str, str, int]:
    """sort, status and page from the query string; unknown values fall back to defaults."""
    sort = request.args.get("sort", ranking.DEFAULT_SORT)
    status = request.args.get("status", "open")
    page = request.args.get("page", 1, type=int) or 1
    return (
        sort if sort in ranking.SORTS else ranking.DEFAULT_SORT,
        status if status in questions.STATUS_FILTERS else "open",
        page,
    )


@bp.get("/")
def index(slug: str):
    community = community_or_404(slug)
    sort, status, page = list_arguments()
    listed = questions.listed(db.session(), community=community, status=status, sort=sort)
    shown, pages = paginate(listed, page)
    return render_template(
        "community/questions/index.html",
        community=community,
        listed=shown,
        sort=sort,
        status=status,
        page=page,
        pages=pages,
        total=len(listed),
        formulas=ranking.FORMULAS,
        plain=ranking.PLAIN,
        sorts=ranking.SORTS,
        statuses=list(questions.STATUS_FILTERS),
    )


def _text(form: QuestionForm) -> questions.QuestionText:
    return questions.QuestionText(
        title=form.title.data or "",
        population=form.population.data or "",
        intervention=form.intervention.data or "",
        comparator=form.comparator.data or "",
        outcome=form.outcome.data or "",
        rationale=form.rationale.data or "",
    )


@bp.route("/new", methods=["GET", "POST"])
@limiter.shared_limit(post_limit, "post", key_func=user_or_address, methods=["POST"])
@login_required
def new(slug: str):
    session = db.session()
    community = community_or_404(slug)
    try:
        questions.require_proposer(session, community, me(), limits=trust_policy())
    except ServiceError as error:
        flash(error.message, "info")
        return redirect(url_for("community.show", slug=slug), code=303)
    form = QuestionForm()
    return form_page(
        form,
        apply=lambda: questions.propose(
            session, community, me(), _text(form), limits=trust_policy()
        ),
        field="title",
        success="Your question is proposed. Members can now support and discuss it.",
        then=lambda question: url_for(".show", slug=slug, question_id=question.id),
        page=lambda: render_template(
            "community/questions/form.html", community=community, form=form, editing=None
        ),
    )


@bp.get("/<int:question_id>")
def show(slug: str, question_id: int):
    return question_page(slug, question_id)


@dataclass(frozen=True)
class Draft:
    """A reply the member wrote that could not be posted: shown again in its box, open,
    with the reason next to it."""

    parent_id: int
    text: str
    error: str


def question_page(
    slug: str,
    question_id: int,
    *,
    comment_form: CommentForm | None = None,
    draft: Draft | None = None,
) -> str:
    """The question's page; a comment or reply refused on posting comes back in its box."""
    session = db.session()
    community = community_or_404(slug)
    question = question_or_404(community, question_id)
    user = current_user if current_user.is_authenticated else None
    may_moderate = policy.can_moderate(session, community.id, user)
    may_review = policy.can_review(session, community.id, user)
    is_author = user is not None and question.author_id == user.id
    if question.hidden and not (may_moderate or is_author):
        return render_template(
            "community/questions/hidden.html",
            community=community,
            question=question,
            waiting=bool(moderation.awaiting_review(session, question_id=question.id)),
            outcome=decisions.outcomes(session, "question", [question.id]).get(question.id),
        )
    now = utcnow()
    nodes = threads.thread(session, question)
    hidden_ids = [node.comment.id for node in threads.walk(nodes) if node.comment.hidden]
    mentions = _mentions(nodes)
    close_form = CloseForm()
    if may_moderate:
        close_form.duplicate_of.choices = [SelectChoice("", "— not a duplicate —")] + [
            SelectChoice(str(item.question.id), item.question.title)
            for item in questions.listed(session, community=community, status="open", sort="new")
            if item.question.id != question.id
        ]
    answer_form = AnswerForm()
    link_run_form = LinkRunForm()
    if may_review:
        offered = run_links.choices(session, user, question)
        answer_form.runs.choices = [SelectChoice(run.id, run.title) for run in offered]
        link_run_form.run_id.choices = [SelectChoice(run.id, run.title) for run in offered]
    return render_template(
        "community/questions/show.html",
        community=community,
        question=question,
        support=questions.support_count(session, question),
        supported=votes.has_supported(session, question, user),
        watching=user is not None and notifications.is_watching(session, question, user),
        is_member=policy.is_member(session, community.id, user),
        may_edit=policy.can_edit_question(user, question, now, edit_window()),
        may_moderate=may_moderate,
        may_review=may_review,
        may_move_support=lifecycle.can_move_support(session, question, user),
        nodes=nodes,
        awaiting_review=moderation.awaiting_review(session, comment_ids=hidden_ids),
        outcomes=decisions.outcomes(session, "comment", hidden_ids),
        mentions=mentions,
        now=now,
        window=edit_window(),
        can_edit_comment=lambda c: policy.can_edit_comment(user, c, now, edit_window()),
        can_delete_comment=lambda c: policy.can_delete_comment(user, c),
        reviews=session.scalars(
            select(EvidenceReview)
            .where(EvidenceReview.question_id == question.id)
            .order_by(EvidenceReview.created_at)
        ).all(),
        merged_here=session.scalars(
            select(Question).where(Question.duplicate_of_id == question.id)
        ).all(),
        action_form=ActionForm(),
        comment_form=comment_form or CommentForm(formdata=None),
        draft=draft,
        flag_form=FlagForm(),
        review_form=ReviewForm(),
        answer_form=answer_form,
        link_run_form=link_run_form,
        decision_form=DatasetDecisionForm(),
        linked_datasets=dataset_links.confirmed(session, question, user),
        rejected_datasets=dataset_links.rejected(session, question, user) if may_review else [],
        suggested_datasets=dataset_links.suggestions(session, question, user),
        matching_formula=dataset_matching.FORMULA,
        linked_runs=run_links.for_question(session, question, user),
        close_form=close_form,
        statuses=QuestionStatus,
        flag_reasons=[(reason.value, reason.label) for reason in FlagReason],
    )


def _mentions(nodes: list[threads.Node]) -> list[markdown.Mention]:
    """Datasets and analyses the visible discussion links to, each once."""
    found: dict[str, markdown.Mention] = {}
    for node in threads.walk(nodes):
        comment = node.comment
        if comment.is_deleted or comment.hidden:
            continue
        for mention in markdown.render_with_mentions(comment.body)[1]:
            found.setdefault(mention.path, mention)
    return sorted(found.values(), key=lambda m: (m.kind, m.label))


@bp.route("/<int:question_id>/edit", methods=["GET", "POST"])
@login_required
def edit(slug: str, question_id: int):
    session = db.session()
    community = community_or_404(slug)
    question = question_or_404(community, question_id)
    back = url_for(".show", slug=slug, question_id=question_id)
    require_author(question)
    if not policy.can_edit_question(me(), question, utcnow(), edit_window()):
        flash(
            "This question can no longer be edited: the edit window has passed or it is "
            "already under way.",
            "error",
        )
        return redirect(back, code=303)
    form = QuestionForm(obj=question)
    return form_page(
        form,
        apply=lambda: questions.edit(session, question, me(), _text(form), window=edit_window()),
        field="title",
        success="Question updated.",
        then=back,
        page=lambda: render_template(
            "community/questions/form.html", community=community, form=form, editing=question
        ),
    )


def _act(slug: str, question_id: int, action, success: str | None):
    """Run a one-button action on a question, then go back to it."""
    require_valid(ActionForm())
    session = db.session()
    community = community_or_404(slug)
    question = question_or_404(community, question_id)
    back = url_for(".show", slug=slug, question_id=question_id)
    try:
        message = action(session, question)
    except ServiceError as error:
        return refuse(error, back)
    session.commit()
    # A message from the action says something unexpected happened ("already done").
    if message:
        flash(message, "info")
    elif success:
        flash(success, "success")
    return redirect(back, code=303)


@bp.post("/<int:question_id>/support")
@limiter.shared_limit(vote_limit, "vote", key_func=user_or_address)
@login_required
def support(slug: str, question_id: int):
    def act(session, question):
        added = votes.support(session, question, me())
        return None if added else "You already support this question."

    return _act(slug, question_id, act, "Thank you: your support is counted.")


@bp.post("/<int:question_id>/withdraw")
@limiter.shared_limit(vote_limit, "vote", key_func=user_or_address)
@login_required
def withdraw(slug: str, question_id: int):
    def act(session, question):
        removed = votes.withdraw(session, question, me())
        return None if removed else "You had not supported this question."

    return _act(slug, question_id, act, "Your support is withdrawn.")


@bp.post("/<int:question_id>/watch")
@login_required
def watch(slug: str, question_id: int):
    return _act(
        slug,
        question_id,
        lambda s, q: notifications.watch(s, q, me()),
        "You follow this question: changes will appear in your notifications.",
    )


@bp.post("/<int:question_id>/unwatch")
@login_required
def unwatch(slug: str, question_id: int):
    return _act(
        slug,
        question_id,
        lambda s, q: notifications.unwatch(s, q, me()),
        "You no longer follow this question.",
    )


@bp.post("/<int:question_id>/move-support")
@login_required
def move_support(slug: str, question_id: int):
    return _act(
        slug,
        question_id,
        lambda s, q: lifecycle.move_support(s, q, me()) and None,
        "Your support now counts for the question this one repeats.",
    )


@bp.post("/<int:question_id>/flag")
@login_required
def flag(slug: str, question_id: int):
    question = question_or_404(community_or_404(slug), question_id)
    return flag_content(question, url_for(".show", slug=slug, question_id=question_id), "question")


def _form_problems(form) -> str:
    problems = "; ".join(
        f"{getattr(form, name).label.text}: {' '.join(errors)}"
        for name, errors in form.errors.items()
    )
    return f"Nothing was changed. {problems}"


def _lifecycle_form(
    slug: str, question_id: int, form, apply, success: str, anchor: str | None = None
):
    question = question_or_404(community_or_404(slug), question_id)
    return submit(
        form,
        url_for(".show", slug=slug, question_id=question_id, _anchor=anchor),
        invalid=_form_problems,
        apply=lambda: apply(db.session(), question, form),
        success=success,
    )


@bp.post("/<int:question_id>/review")
@login_required
def review(slug: str, question_id: int):
    return _lifecycle_form(
        slug,
        question_id,
        ReviewForm(),
        lambda s, q, f: lifecycle.record_review(
            s,
            q,
            me(),
            verdict=f.verdict.data,
            citations=f.citations.data or "",
            note=f.note.data or "",
        ),
        "Evidence review recorded; the question is under review.",
    )


@bp.post("/<int:question_id>/analysis")
@login_required
def start_analysis(slug: str, question_id: int):
    return _lifecycle_form(
        slug,
        question_id,
        ActionForm(),
        lambda s, q, f: lifecycle.start_analysis(s, q, me()),
        "The question is now in analysis.",
    )


@bp.post("/<int:question_id>/answer")
@login_required
def answer(slug: str, question_id: int):
    def apply(session, question, f):
        # Who may answer is checked before the runs, so a member learns nothing about them.
        policy.require_reviewer(session, question.community_id, me())
        runs = [run_links.get_run(session, me(), run_id) for run_id in f.runs.data or []]
        lifecycle.mark_answered(
            session, question, me(), url=f.url.data or "", note=f.note.data or "", runs=runs
        )

    return _lifecycle_form(
        slug,
        question_id,
        AnswerForm(),
        apply,
        "The question is marked answered; its followers are told.",
    )


@bp.post("/<int:question_id>/runs")
@login_required
def link_run(slug: str, question_id: int):
    def apply(session, question, f):
        policy.require_reviewer(session, question.community_id, me())
        run = run_links.get_run(session, me(), f.run_id.data)
        if not run_links.link_analysis(session, question, run, me()):
            raise Conflict("That analysis is already linked to this question.")

    return _lifecycle_form(
        slug,
        question_id,
        LinkRunForm(),
        apply,
        "The analysis is listed under this question; its followers are told.",
        anchor="analyses",
    )


@bp.post("/<int:question_id>/datasets/<int:dataset_id>")
@login_required
def decide_dataset(slug: str, question_id: int, dataset_id: int):
    def apply(session, question, f):
        dataset = session.get(Dataset, dataset_id)
        if dataset is None:
            raise Conflict("That dataset does not exist or is not visible to you.")
        dataset_links.decide(session, question, dataset, me(), f.decision.data)

    return _lifecycle_form(
        slug,
        question_id,
        DatasetDecisionForm(),
        apply,
        "Your decision on the dataset is recorded.",
        anchor="datasets",
    )


@bp.post("/<int:question_id>/close")
@login_required
def close(slug: str, question_id: int):
    form = CloseForm()

    def apply(session, question, f):
        original = None
        if f.duplicate_of.data:
            if not f.duplicate_of.data.isdigit():
                raise Conflict("Choose the question it repeats from the list.")
            original = questions.get(session, question.community, int(f.duplicate_of.data))
            if original is None:
                raise Conflict("The question it repeats is not in this community.")
        lifecycle.close(session, question, me(), reason=f.reason.data, duplicate_of=original)

    return _lifecycle_form(slug, question_id, form, apply, "The question is closed.")
