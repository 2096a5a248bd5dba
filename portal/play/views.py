"""The play pages (/play/...) and the puzzle API (/api/v1/puzzles/...)."""

from __future__ import annotations

import json
import secrets

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
from werkzeug.exceptions import HTTPException

from portal import db
from portal.accounts.models import Role
from portal.api.auth import require_scope
from portal.api.errors import ApiError
from portal.extensions import csrf, limiter
from portal.play import badges, research, services
from portal.play.forms import NicknameForm, SolutionForm, SpliceForm
from portal.play.models import Puzzle
from portal.play.payload_cache import (
    note_solution,
    overall_leaderboard,
    payloads,
    visible_puzzles,
)
from portal.play.services import Player, PlayError

bp = Blueprint("play", __name__, url_prefix="/play")
api = Blueprint("play_api", __name__, url_prefix="/api/v1")
csrf.exempt(api)

#: Largest submission body accepted (a 12 x 60 board is under 2 KiB).
MAX_SUBMISSION_BYTES = 16 * 1024


def submit_limit() -> str:
    return current_app.config["PLAY_SUBMIT_RATE_LIMIT"]


def submit_ip_limit() -> str:
    return current_app.config["PLAY_SUBMIT_IP_RATE_LIMIT"]


def player_rate_key() -> str:
    if current_user.is_authenticated:
        return f"play:user:{current_user.id}"
    # The guest's token is made here, before the first submission is counted,
    # so that it is counted under the same key as the following ones.
    return "play:guest:" + web_session.setdefault("play_guest", secrets.token_hex(16))


def current_player(nickname: str | None = None) -> Player:
    """The logged-in user, or a guest known by a token in the session and
    the nickname they chose (given now, or earlier)."""
    if current_user.is_authenticated:
        return Player(f"user:{current_user.id}", current_user.username, current_user.id)
    if nickname:
        web_session["play_nickname"] = services.clean_nickname(nickname)
    chosen = web_session.get("play_nickname")
    if not chosen:
        raise PlayError(
            "Choose a nickname before submitting (or log in).",
            field="nickname",
            status=400,
            code="nickname_required",
        )
    token = web_session.setdefault("play_guest", secrets.token_hex(16))
    return Player(f"guest:{token}", chosen, None)


def guest_key() -> str | None:
    if current_user.is_authenticated:
        return f"user:{current_user.id}"
    token = web_session.get("play_guest")
    return f"guest:{token}" if token else None


def _too_large() -> bool:
    return (request.content_length or 0) > MAX_SUBMISSION_BYTES


# -- pages ----------------------------------------------------------------------


@bp.get("/")
def index():
    period = request.args.get("period", "all")
    if period not in services.PERIODS:
        period = "all"
    return render_template(
        "play/index.html",
        title="Play",
        puzzles=visible_puzzles(),
        leaders=overall_leaderboard(period),
        period=period,
        periods=list(services.PERIODS),
        nickname_form=NicknameForm(nickname=web_session.get("play_nickname", "")),
        nickname=web_session.get("play_nickname"),
    )


@bp.post("/nickname")
def set_nickname():
    form = NicknameForm()
    if form.validate_on_submit():
        try:
            web_session["play_nickname"] = services.clean_nickname(form.nickname.data)
        except PlayError as error:
            flash(error.message, "error")
        else:
            flash(f"You play as {web_session['play_nickname']}.", "success")
    else:
        flash("A nickname is 2 to 32 characters.", "error")
    return redirect(
        request.form.get("next_puzzle")
        and url_for("play.puzzle", puzzle_id=int(request.form["next_puzzle"]))
        or url_for("play.index")
    )


def _render_puzzle(
    puzzle: Puzzle,
    form: SolutionForm | None = None,
    status: int = 200,
    error: PlayError | None = None,
):
    session = db.session()
    period = request.args.get("period", "all")
    if period not in services.PERIODS:
        period = "all"
    key = guest_key()
    form = form or SolutionForm(
        rows="\n".join(puzzle.start), nickname=web_session.get("play_nickname", "")
    )
    return render_template(
        "play/puzzle.html",
        title=puzzle.title,
        puzzle=puzzle,
        form=form,
        error=error,
        data=json.dumps(services.page_data(puzzle)),
        scheme_words=services.scheme_words(puzzle),
        leaders=services.puzzle_leaderboard(session, puzzle, period),
        period=period,
        periods=list(services.PERIODS),
        best=services.best_score(session, puzzle, key) if key else None,
        nickname=(
            current_user.username
            if current_user.is_authenticated
            else web_session.get("play_nickname")
        ),
    ), status


@bp.get("/<int:puzzle_id>")
def puzzle(puzzle_id: int):
    try:
        found = services.get_puzzle(db.session(), puzzle_id)
    except PlayError:
        return render_template(
            "errors/error.html",
            status=404,
            title="Page not found",
            message=f"There is no puzzle {puzzle_id}.",
        ), 404
    return _render_puzzle(found)


@bp.post("/<int:puzzle_id>/solutions")
@limiter.limit(submit_ip_limit)
@limiter.limit(submit_limit, key_func=player_rate_key)
def submit_form(puzzle_id: int):
    if _too_large():
        return render_template(
            "errors/error.html",
            status=413,
            title="Too large",
            message="That layout is larger than any puzzle allows.",
        ), 413
    session = db.session()
    try:
        found = services.get_puzzle(session, puzzle_id)
    except PlayError:
        return render_template(
            "errors/error.html",
            status=404,
            title="Page not found",
            message=f"There is no puzzle {puzzle_id}.",
        ), 404
    form = SolutionForm()
    if not form.validate_on_submit():
        return _render_puzzle(found, form, 400)
    rows = [line.strip() for line in (form.rows.data or "").splitlines() if line.strip()]
    try:
        result = services.submit(
            session,
            found,
            rows,
            current_player(form.nickname.data),
            retire_after=current_app.config["PUZZLE_RETIRE_AFTER"],
        )
    except PlayError as error:
        session.rollback()
        return _render_puzzle(found, form, 400, error)
    session.commit()
    note_solution(found, result)
    flash(_outcome(result), "success" if result.reaches_par else "info")
    return redirect(url_for("play.puzzle", puzzle_id=found.id))


def _outcome(result: services.Submitted) -> str:
    text = f"Server score: {result.score:g} (par {result.par:g})."
    if result.beats_par:
        text += f" You beat par: {result.points} points."
    elif result.reaches_par:
        text += f" You reached par: {result.points} points."
    if not result.created:
        text += " You had sent this layout before; it counts once."
    if result.solution.flagged:
        text += (
            " Layouts are arriving faster than anyone plays by hand, so this one is kept"
            " for research but left off the leaderboards."
        )
    if result.badges:
        text += " New badge: " + ", ".join(badges.title(code) for code in result.badges) + "."
    return text


@bp.get("/history")
@login_required
def history():
    session = db.session()
    solutions = services.history(session, current_user.id)
    earned = [
        (badge, *badges.BADGES.get(badge.badge, (badge.badge, "")))
        for badge in badges.of_user(session, current_user.id)
    ]
    return render_template(
        "play/history.html",
        title="Your solutions",
        solutions=solutions,
        badges=earned,
        contributions=research.contributions(session, current_user.id),
    )


# -- research alignments --------------------------------------------------------


def _alignment_or_404(slug: str):
    try:
        return research.get_alignment(db.session(), slug)
    except PlayError:
        abort(404, description=f"There is no alignment called {slug!r}.")


def _can_splice() -> bool:
    return current_user.is_authenticated and current_user.has_role(Role.RESEARCHER)


@bp.get("/alignments/")
def alignments():
    return render_template(
        "play/alignments.html",
        title="Research alignments",
        alignments=research.list_alignments(db.session()),
    )


@bp.get("/alignments/<slug>")
def alignment(slug: str):
    found = _alignment_or_404(slug)
    return render_template(
        "play/alignment.html",
        title=found.title,
        report=research.report(db.session(), found),
        formats=list(research.FORMATS),
        can_splice=_can_splice(),
        splice_form=SpliceForm(),
    )


@bp.get("/alignments/<slug>/download")
def download_alignment(slug: str):
    found = _alignment_or_404(slug)
    fmt = request.args.get("format", "fasta")
    which = request.args.get("version", "improved")
    try:
        name, text = research.download(found, fmt, which)
    except PlayError as error:
        return render_template(
            "errors/error.html", status=error.status, title="Cannot download", message=error.message
        ), error.status
    return Response(
        text,
        mimetype=research.FORMATS[fmt][2] + "; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@bp.get("/alignments/<slug>/credits.csv")
def alignment_credits(slug: str):
    found = _alignment_or_404(slug)
    text = research.credits_csv(research.report(db.session(), found))
    return Response(
        text,
        mimetype="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{found.slug}.credits.csv"'},
    )


@bp.post("/alignments/<slug>/splice")
@login_required
def splice_alignment(slug: str):
    if not _can_splice():
        abort(403)
    found = _alignment_or_404(slug)
    if not SpliceForm().validate_on_submit():
        flash("The form expired; please try again.", "error")
        return redirect(url_for("play.alignment", slug=slug))
    session = db.session()
    changes = services.splice_best(session, found)
    session.commit()
    flash(f"{len(changes)} solutions spliced into the alignment.", "success")
    return redirect(url_for("play.alignment", slug=slug))


# -- API ------------------------------------------------------------------------


@api.errorhandler(PlayError)
def play_error(error: PlayError):
    response, status = ApiError(error.status, error.code, error.message, error.field).response()
    body = response.get_json()
    if error.row is not None:
        body["error"]["row"] = error.row
        body["error"]["column"] = error.column
        response.set_data(json.dumps(body))
    return response, status


@api.errorhandler(ApiError)
def api_error(error: ApiError):
    return error.response()


@api.errorhandler(HTTPException)
def http_error(error: HTTPException):
    code = (error.name or "error").lower().replace(" ", "_")
    return ApiError(error.code or 500, code, error.description or error.name).response()


@api.get("/puzzles")
def api_puzzles():
    return {
        "items": [
            {
                "id": p.id,
                "title": p.title,
                "kind": p.kind,
                "level": p.level,
                "par": p.par,
                "difficulty": p.difficulty,
                "url": url_for("play_api.get_puzzle", puzzle_id=p.id, _external=True),
            }
            for p in visible_puzzles()
        ]
    }


@api.get("/puzzles/<int:puzzle_id>")
def get_puzzle(puzzle_id: int):
    def make() -> bytes:
        session = db.session()
        found = services.get_puzzle(session, puzzle_id)
        return jsonify(
            {
                **services.page_data(found),
                "scheme_words": services.scheme_words(found),
                "leaderboard": [
                    {"rank": s.rank, "nickname": s.nickname, "score": s.value}
                    for s in services.puzzle_leaderboard(session, found)
                ],
                "page": url_for("play.puzzle", puzzle_id=found.id, _external=True),
            }
        ).get_data()

    body = payloads().get_or_make((puzzle_id, request.scheme, request.host), make)
    return current_app.response_class(body, mimetype="application/json")


@api.post("/puzzles/<int:puzzle_id>/solutions")
@limiter.limit(submit_ip_limit)
@limiter.limit(submit_limit, key_func=player_rate_key)
def post_solution(puzzle_id: int):
    require_scope("write")
    if _too_large():
        raise ApiError(
            413, "too_large", f"A solution is at most {MAX_SUBMISSION_BYTES} bytes.", "rows"
        )
    session = db.session()
    # The puzzle first (a missing one is 404 whatever was sent), with what the
    # submission needs to know, in one query; read for the player as known so far.
    known_key = guest_key() or ""
    found, state = services.puzzle_for_submission(session, puzzle_id, known_key)
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or "rows" not in body:
        raise ApiError(400, "invalid", 'Send JSON like {"rows": ["AC-GT", ...]}.', "rows")
    nickname = body.get("nickname")
    if nickname is not None and not isinstance(nickname, str):
        raise ApiError(400, "invalid", "nickname must be a string.", "nickname")
    try:
        player = current_player(nickname)
        result = services.submit(
            session,
            found,
            body["rows"],
            player,
            state=state if player.key == known_key else None,  # a guest's first: read again
            retire_after=current_app.config["PUZZLE_RETIRE_AFTER"],
        )
    except PlayError:
        session.rollback()
        raise
    session.commit()
    note_solution(found, result)  # see portal.play.payload_cache
    payload = result.to_dict()
    payload["message"] = _outcome(result)
    return payload, 201 if result.created else 200
