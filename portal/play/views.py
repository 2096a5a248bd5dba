"""The play pages (/play/...): puzzles, the player's history, research alignments.

The same puzzles and submissions are served as JSON by portal.api.puzzles.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask import (
    session as web_session,
)
from flask_login import current_user, login_required
from werkzeug.datastructures import FileStorage

from portal import db, policy
from portal.db import utcnow
from portal.errors import Forbidden, ServiceError, TooLarge
from portal.extensions import limiter, upload_limit, user_or_address
from portal.jobs import runner
from portal.play import (
    badges,
    hints,
    importing,
    leaderboards,
    path,
    players,
    puzzles,
    research,
    splicing,
    submissions,
)
from portal.play.forms import ImportForm, NicknameForm, SolutionForm, SpliceForm
from portal.play.models import Puzzle
from portal.play.payload_cache import note_solution, overall_leaderboard, visible_puzzles

bp = Blueprint("play", __name__, url_prefix="/play")


# -- pages ----------------------------------------------------------------------


@bp.get("/")
def index():
    period = request.args.get("period", "all")
    if period not in leaderboards.PERIODS:
        period = "all"
    session = db.session()
    progress = None
    if current_user.is_authenticated:
        points, scored = leaderboards.player_points(session, f"user:{current_user.id}")
        progress = {"points": points, "scored": scored, "badges": _earned(session)}
    else:
        _tell_guest_of_credits(session)
    offered = visible_puzzles()
    solved = path.solved_by(session, players.guest_key())
    return render_template(
        "play/index.html",
        title="Play",
        puzzles=offered,
        steps=path.first_run(offered, solved),
        next_puzzle=path.next_puzzle(offered, solved),
        daily=next(
            (p for p in offered if p.id == path.daily_puzzle(session, utcnow().date())), None
        ),
        solved=solved,
        leaders=overall_leaderboard(period),
        period=period,
        periods=list(leaderboards.PERIODS),
        nickname_form=NicknameForm(nickname=web_session.get("play_nickname", "")),
        nickname=web_session.get("play_nickname"),
        progress=progress,
    )


def _tell_guest_of_credits(session) -> None:
    """Flash what a guest's solutions changed since their last visit to this page."""
    key = players.guest_key()
    if key is None:
        return
    seen = web_session.get("play_credits_seen")
    now = utcnow()
    notices = splicing.guest_notices(session, key, datetime.fromisoformat(seen) if seen else None)
    for notice in notices:
        flash(notice, "success")
    if notices:
        web_session["play_credits_seen"] = now.isoformat()


def _earned(session) -> list[tuple]:
    """The signed-in player's badges, each with its name and why it was given."""
    return player_card(current_user)["badges"]


def player_card(user) -> dict:
    """A player's points and badges, for their public profile page."""
    session = db.session()
    points, scored = leaderboards.player_points(session, f"user:{user.id}")
    return {
        "points": points,
        "scored": scored,
        "contributions": research.contributions(session, user.id),
        "badges": [
            (badge, *badges.BADGES.get(badge.badge, (badge.badge, "")))
            for badge in badges.of_user(session, user.id)
        ],
    }


@bp.post("/nickname")
def set_nickname():
    form = NicknameForm()
    if form.validate_on_submit():
        try:
            web_session["play_nickname"] = submissions.clean_nickname(form.nickname.data)
        except ServiceError as error:
            flash(error.message, "error")
        else:
            flash(f"You play as {web_session['play_nickname']}.", "success")
    else:
        flash("A nickname is 2 to 32 characters.", "error")
    # Back to the puzzle being played: only an id ever becomes the address, so
    # anything else (text, another site) leads to the puzzle list.
    next_puzzle = request.form.get("next_puzzle", type=int)
    if next_puzzle is not None and 0 < next_puzzle < 2**31:
        return redirect(url_for("play.puzzle", puzzle_id=next_puzzle))
    return redirect(url_for("play.index"))


def _render_puzzle(
    puzzle: Puzzle,
    form: SolutionForm | None = None,
    status: int = 200,
    error: ServiceError | None = None,
):
    session = db.session()
    period = request.args.get("period", "all")
    if period not in leaderboards.PERIODS:
        period = "all"
    key = players.guest_key()
    offered = visible_puzzles()
    upcoming = path.next_puzzle(offered, path.solved_by(session, key), after=puzzle.id)
    calibrated = puzzles.calibration_of(session, puzzle)
    form = form or SolutionForm(
        rows="\n".join(puzzle.start), nickname=web_session.get("play_nickname", "")
    )
    return render_template(
        "play/puzzle.html",
        title=puzzle.title
        if puzzle.level == "tutorial"
        else puzzles.plain_title(puzzle.title, puzzle.kind, puzzle.names),
        stars=puzzles.stars(calibrated, puzzle.level),
        calibrated=calibrated,
        hint_cost=hints.cost(puzzles.stars(calibrated, puzzle.level)),
        next_puzzle=upcoming,
        is_daily=path.daily_puzzle(session, utcnow().date()) == puzzle.id,
        puzzle=puzzle,
        form=form,
        error=error,
        data=json.dumps(puzzles.page_data(puzzle)),
        scheme_words=puzzles.scheme_words(puzzle),
        leaders=leaderboards.puzzle_leaderboard(session, puzzle, period),
        period=period,
        periods=list(leaderboards.PERIODS),
        best=leaderboards.best_score(session, puzzle, key) if key else None,
        nickname=(
            current_user.username
            if current_user.is_authenticated
            else web_session.get("play_nickname")
        ),
    ), status


@bp.get("/<int:puzzle_id>")
def puzzle(puzzle_id: int):
    return _render_puzzle(puzzles.get_puzzle(db.session(), puzzle_id))


@bp.post("/<int:puzzle_id>/solutions")
@limiter.limit(players.submit_ip_limit)
@limiter.limit(players.submit_limit, key_func=players.player_rate_key)
def submit_form(puzzle_id: int):
    if players.too_large():
        raise TooLarge("That layout is larger than any puzzle allows.")
    session = db.session()
    found = puzzles.get_puzzle(session, puzzle_id)
    form = SolutionForm()
    if not form.validate_on_submit():
        return _render_puzzle(found, form, 400)
    rows = [line.strip() for line in (form.rows.data or "").splitlines() if line.strip()]
    try:
        result = submissions.submit(
            session,
            found,
            rows,
            players.current_player(form.nickname.data),
            retire_after=current_app.config["PUZZLE_RETIRE_AFTER"],
        )
    except ServiceError as error:
        session.rollback()
        return _render_puzzle(found, form, 400, error)
    session.commit()
    note_solution(found, result)
    flash(players.outcome(result), "success" if result.reaches_par else "info")
    return redirect(url_for("play.puzzle", puzzle_id=found.id))


@bp.get("/history")
@login_required
def history():
    session = db.session()
    solutions = leaderboards.history(session, current_user.id)
    return render_template(
        "play/history.html",
        title="Your solutions",
        solutions=solutions,
        badges=_earned(session),
        contributions=research.contributions(session, current_user.id),
    )


# -- research alignments --------------------------------------------------------


@bp.get("/alignments/")
def alignments():
    return render_template(
        "play/alignments.html",
        title="Research alignments",
        alignments=research.list_alignments(db.session()),
        can_import=policy.can_import_alignments(current_user),
    )


def _import_request(form: ImportForm) -> importing.ImportRequest:
    """What the form asks for; an uploaded file's text goes into the paste box,
    so that whatever is wrong with it can be corrected there."""
    text, filename = form.fasta.data or "", ""
    upload = form.file.data
    if isinstance(upload, FileStorage) and upload.filename:
        filename = Path(upload.filename).name
        text = importing.read_upload(
            upload.stream, filename, importing.max_text_bytes(current_app.config)
        )
        form.fasta.data = text
    return importing.ImportRequest(
        fasta=text,
        title=(form.title.data or "").strip(),
        description=(form.description.data or "").strip(),
        guide_tree=form.guide_tree.data or "",
        aligner=form.aligner.data or "",
        filename=filename,
    )


@bp.route("/alignments/import", methods=["GET", "POST"])
@login_required
@limiter.shared_limit(upload_limit, "upload", key_func=user_or_address, methods=["POST"])
def import_sequences():
    if not policy.can_import_alignments(current_user):
        abort(403)
    form = ImportForm()
    form.aligner.choices = importing.aligner_choices()
    status = 200
    if form.is_submitted():
        status = 400
        if form.validate_on_submit():
            session = db.session()
            try:
                asked = _import_request(form)
                runner.check_room(session, current_user.id)
                importing.check(asked, current_app.config)
                job = runner.submit(
                    session,
                    "alignment.import",
                    {"request": asked.to_payload(), "user_id": current_user.id},
                    owner_id=current_user.id,
                )
            except ServiceError as error:
                session.rollback()
                field = getattr(form, error.field or "", None) or form.fasta
                field.errors = [*field.errors, error.message]
                status = error.status
            else:
                session.commit()
                runner.start(job.id)
                return redirect(url_for("jobs.show", job_id=job.id), 303)
    return render_template(
        "play/import.html",
        title="Import sequences for players to improve",
        form=form,
        limits=importing.limits(current_app.config),
    ), status


@bp.get("/alignments/<slug>")
def alignment(slug: str):
    found = research.get_alignment(db.session(), slug)
    return render_template(
        "play/alignment.html",
        title=found.title,
        report=research.report(db.session(), found),
        formats=list(research.FORMATS),
        can_splice=policy.can_splice(current_user),
        splice_form=SpliceForm(),
    )


@bp.get("/alignments/<slug>/download")
def download_alignment(slug: str):
    found = research.get_alignment(db.session(), slug)
    fmt = request.args.get("format", "fasta")
    which = request.args.get("version", "improved")
    name, text = research.download(found, fmt, which)
    return Response(
        text,
        mimetype=research.FORMATS[fmt][2] + "; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _report_csv(slug: str, write: Callable[[research.Report], str], kind: str) -> Response:
    """One of the alignment report's CSV downloads, named after the alignment."""
    found = research.get_alignment(db.session(), slug)
    return Response(
        write(research.report(db.session(), found)),
        mimetype="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{found.slug}.{kind}.csv"'},
    )


@bp.get("/alignments/<slug>/credits.csv")
def alignment_credits(slug: str):
    return _report_csv(slug, research.credits_csv, "credits")


@bp.get("/alignments/<slug>/agreement.csv")
def alignment_agreement(slug: str):
    return _report_csv(slug, research.agreement_csv, "agreement")


@bp.get("/alignments/<slug>/report.csv")
def alignment_report_csv(slug: str):
    return _report_csv(slug, research.report_csv, "report")


@bp.get("/alignments/<slug>/report.json")
def alignment_report_json(slug: str):
    found = research.get_alignment(db.session(), slug)
    response = jsonify(research.report_json(research.report(db.session(), found)))
    response.headers["Content-Disposition"] = f'attachment; filename="{found.slug}.report.json"'
    return response


@bp.post("/alignments/<slug>/splice")
@login_required
def splice_alignment(slug: str):
    if not policy.can_splice(current_user):
        raise Forbidden("Only researchers splice solutions into the alignment.")
    found = research.get_alignment(db.session(), slug)
    if not SpliceForm().validate_on_submit():
        flash("The form expired; please try again.", "error")
        return redirect(url_for("play.alignment", slug=slug))
    session = db.session()
    changes = splicing.splice_best(session, found)
    session.commit()
    flash(f"{len(changes)} windows spliced into the alignment.", "success")
    return redirect(url_for("play.alignment", slug=slug))
