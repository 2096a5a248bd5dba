"""The digest pages: what is new in my communities, the e-mail preference, and the
unsubscribe link mailed with every digest."""

from __future__ import annotations

from datetime import UTC, date, datetime

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from portal import db, policy
from portal.community.forms import ActionForm
from portal.community.support import authors
from portal.community.support import digest as digests
from portal.community.support.forms import DigestForm
from portal.community.support.models import DigestPreference
from portal.community.web import me, require_valid
from portal.db import utcnow
from portal.extensions import csrf

bp = Blueprint("support_digest", __name__, url_prefix="/whats-new")


def _since(text: str | None) -> tuple[datetime | None, str | None]:
    """The date asked for in ``?since=``, or why it cannot be read."""
    if not text:
        return None, None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        return None, f"“{text[:40]}” is not a date: write it as year-month-day, e.g. 2026-03-01."
    return datetime(day.year, day.month, day.day, tzinfo=UTC), None


@bp.get("/")
@login_required
def index():
    session = db.session()
    user = me()
    now = utcnow()
    since, problem = _since(request.args.get("since"))
    from_last_visit = since is None
    if since is None:
        since = digests.since_last_visit(session, user, now)
    news = digests.whats_new(session, user, since)
    community_ids = {item.community.id for item in news}
    sees = {cid: authors.sees_authors(session, cid, user) for cid in community_ids}
    preference = session.get(DigestPreference, user.id)
    return render_template(
        "community/support/digest.html",
        news=news,
        since=since,
        from_last_visit=from_last_visit,
        problem=problem,
        by=lambda post: authors.byline(post, sees=sees[post.community_id], viewer_id=user.id),
        form=DigestForm(email=bool(preference and preference.email)),
        action_form=ActionForm(),
        every_days=current_app.config["COMMUNITY_DIGEST_DAYS"],
    ), (400 if problem else 200)


@bp.post("/seen")
@login_required
def seen():
    require_valid(ActionForm())
    session = db.session()
    digests.mark_visited(session, me())
    session.commit()
    flash("Marked as seen: next time this page starts from now.", "info")
    return redirect(url_for(".index"), code=303)


@bp.post("/email")
@login_required
def email():
    form = DigestForm()
    require_valid(form)
    session = db.session()
    user = me()
    digests.set_email(session, user, bool(form.email.data))
    session.commit()
    if form.email.data:
        note = "" if user.email_confirmed else " once you confirm your e-mail address"
        flash(f"You will get the digest by e-mail{note}.", "success")
    else:
        flash("You will no longer get the digest by e-mail.", "info")
    return redirect(url_for(".index"), code=303)


# The signed link is the proof: a mail client's one-click unsubscribe posts it
# without a page (RFC 8058), so it carries no CSRF token.
@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
@csrf.exempt
def unsubscribe(token: str):
    session = db.session()
    user = digests.unsubscribing_user(session, token)
    if user is None:
        return render_template("community/support/unsubscribe.html", valid=False), 404
    if request.method == "POST":
        digests.set_email(session, user, False)
        session.commit()
        return render_template("community/support/unsubscribe.html", valid=True, done=True)
    signed_in = policy.signed_in(current_user)
    return render_template(
        "community/support/unsubscribe.html",
        valid=True,
        done=False,
        other_account=signed_in is not None and signed_in.id != user.id,
    )
