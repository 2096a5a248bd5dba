from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template
from sqlalchemy import select, text

from portal import db
from portal.accounts.models import User
from portal.community.models import Community, CommunityStatus

bp = Blueprint("main", __name__)

# Sections whose pages are still being built: each landing page says honestly what
# exists today (often a command-line tool) and what is coming.
# "questions" stays in the route below so url_for can build /questions/, but the
# page is served by portal.community.questions.feed (a static rule, matched first); likewise
# "analyses" by portal.reanalysis.views.
# "play" is served by portal.play.views.
SECTIONS: dict[str, str] = {}


@bp.get("/")
def index():
    session = db.session()
    communities = session.scalars(
        select(Community)
        .where(Community.status == CommunityStatus.ACTIVE)
        .order_by(Community.created_at.desc())
        .limit(6)
    ).all()
    newest_members = session.scalars(
        select(User).where(User.active.is_(True)).order_by(User.created_at.desc()).limit(5)
    ).all()
    return render_template("index.html", communities=communities, newest_members=newest_members)


@bp.get("/<any(questions, analyses):section>/")
def section(section: str):
    if section not in SECTIONS:
        abort(404)
    return render_template(f"sections/{section}.html", title=SECTIONS[section])


@bp.get("/healthz")
def healthz():
    return {"status": "ok"}


@bp.get("/readyz")
def readyz():
    """Ready when every service this process needs answers; a 503 names the ones that do not."""
    checks: dict[str, str] = {}
    try:
        db.session().execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as error:  # noqa: BLE001 - any failure means "not ready"
        checks["database"] = type(error).__name__
    broker_url = current_app.config["BROKER_URL"]
    if broker_url:
        from portal.jobs.celery_app import broker_problem  # Celery only when a broker is set

        checks["broker"] = broker_problem(broker_url) or "ok"
    down = sorted(name for name, state in checks.items() if state != "ok")
    if down:
        return {"status": "unavailable", "down": down, **checks}, 503
    return {"status": "ok", **checks}
