"""Prioritisation rounds: open, take part, compare pairs, see the priority list, close."""

from __future__ import annotations

import math

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from wtforms.fields.choices import SelectChoice

from portal import db, policy
from portal.community.forms import ActionForm
from portal.community.models import Community
from portal.community.questions import services as questions
from portal.community.rounds import services as rounds
from portal.community.rounds.forms import CompareForm, PerspectiveForm, RoundForm
from portal.community.rounds.models import Perspective, PriorityRound
from portal.community.web import (
    community_or_404,
    form_page,
    me,
    refuse,
    require_valid,
    submit,
)
from portal.errors import ServiceError

bp = Blueprint("rounds", __name__, url_prefix="/<slug>/rounds")


def _round_or_404(community: Community, round_id: int) -> PriorityRound:
    round_ = rounds.get(db.session(), community, round_id)
    if round_ is None:
        abort(404)
    return round_


@bp.get("/")
def index(slug: str):
    session = db.session()
    community = community_or_404(slug)
    return render_template(
        "community/rounds/index.html",
        community=community,
        rounds=rounds.rounds_of(session, community),
        may_moderate=policy.can_moderate(session, community.id, current_user),
    )


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new(slug: str):
    session = db.session()
    community = community_or_404(slug)
    if not policy.can_moderate(session, community.id, me()):
        abort(403)
    form = RoundForm()
    candidates = questions.listed(session, community=community, status="open", sort="top")
    form.questions.choices = [
        SelectChoice(item.question.id, item.question.title) for item in candidates
    ]
    return form_page(
        form,
        apply=lambda: rounds.open_round(
            session,
            community,
            me(),
            title=form.title.data,
            description=form.description.data or "",
            question_ids=form.questions.data,
        ),
        field="title",
        success="The round is open: members can now compare its questions.",
        then=lambda round_: url_for(".show", slug=slug, round_id=round_.id),
        page=lambda: render_template(
            "community/rounds/new.html",
            community=community,
            form=form,
            supports={item.question.id: item.support for item in candidates},
            limits=(rounds.MIN_QUESTIONS, rounds.MAX_QUESTIONS),
        ),
    )


@bp.get("/<int:round_id>")
def show(slug: str, round_id: int):
    session = db.session()
    community = community_or_404(slug)
    round_ = _round_or_404(community, round_id)
    user = current_user if current_user.is_authenticated else None
    taking_part = rounds.participant(session, round_, user)
    in_round = rounds.questions_in(session, round_)
    pair = done = None
    if taking_part is not None and user is not None and round_.is_open:
        pair = rounds.next_pair(session, round_, user)
        done = len(rounds.pairs_done(session, round_, user))
    return render_template(
        "community/rounds/show.html",
        community=community,
        round_=round_,
        questions=in_round,
        participant=taking_part,
        pair=pair,
        done=done,
        total_pairs=math.comb(len(in_round), 2),
        is_member=policy.is_member(session, community.id, user),
        may_moderate=policy.can_moderate(session, community.id, user),
        comparisons=rounds.comparison_count(session, round_),
        perspective_form=_perspective_form(
            community, perspective=taking_part.perspective if taking_part else None
        ),
        perspectives=Perspective,
        compare_form=CompareForm(),
        action_form=ActionForm(),
    )


def _perspective_form(community: Community, **data: str | None) -> PerspectiveForm:
    """Only the stakeholder groups the community's moderators chose."""
    form = PerspectiveForm(**data)
    form.perspective.choices = [
        SelectChoice(p.value, p.label)
        for p in Perspective
        if p.value in community.stakeholder_groups
    ]
    return form


@bp.post("/<int:round_id>/take-part")
@login_required
def take_part(slug: str, round_id: int):
    community = community_or_404(slug)
    round_ = _round_or_404(community, round_id)
    form = _perspective_form(community)
    return submit(
        form,
        url_for(".show", slug=slug, round_id=round_id),
        invalid="Say whether you take part as a patient, a carer or a clinician.",
        apply=lambda: rounds.take_part(db.session(), round_, me(), form.perspective.data),
        success=lambda _: f"You take part as {Perspective(form.perspective.data).label}.",
    )


@bp.post("/<int:round_id>/compare")
@login_required
def compare(slug: str, round_id: int):
    round_ = _round_or_404(community_or_404(slug), round_id)
    form = CompareForm()
    return submit(
        form,
        url_for(".show", slug=slug, round_id=round_id, _anchor="compare"),
        invalid="Choose one of the two questions.",
        apply=lambda: rounds.compare(
            db.session(),
            round_,
            me(),
            first_id=form.first_id.data,
            second_id=form.second_id.data,
            winner_id=form.winner_id.data,
        ),
        success="Answer saved. Here is another pair.",
    )


@bp.get("/<int:round_id>/results")
def results(slug: str, round_id: int):
    community = community_or_404(slug)
    round_ = _round_or_404(community, round_id)
    weighting = request.args.get("weighting", "pooled")
    if weighting not in rounds.WEIGHTINGS:
        weighting = "pooled"
    outcome = rounds.results(db.session(), round_, weighting=weighting)
    return render_template(
        "community/rounds/results.html",
        community=community,
        round_=round_,
        results=outcome,
        weightings=rounds.WEIGHTINGS,
        ridge=rounds.RIDGE,
        perspectives=Perspective,
    )


@bp.post("/<int:round_id>/close")
@login_required
def close(slug: str, round_id: int):
    require_valid(ActionForm())
    session = db.session()
    community = community_or_404(slug)
    round_ = _round_or_404(community, round_id)
    back = url_for(".show", slug=slug, round_id=round_id)
    try:
        rounds.close_round(session, round_, me())
    except ServiceError as error:
        return refuse(error, back)
    session.commit()
    flash("The round is closed; its priority list is final.", "success")
    return redirect(url_for(".results", slug=slug, round_id=round_id), code=303)
