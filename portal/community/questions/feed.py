"""Questions across all communities."""

from __future__ import annotations

from flask import Blueprint, render_template

from portal import db
from portal.community.questions import ranking
from portal.community.questions import services as questions
from portal.community.questions.views import list_arguments, paginate

bp = Blueprint("question_feed", __name__)


# A static rule: it takes precedence over main's "/<any(...):section>/" placeholder rule.
@bp.get("/questions/")
def index():
    sort, status, page = list_arguments()
    listed = questions.listed(db.session(), status=status, sort=sort)
    shown, pages = paginate(listed, page)
    return render_template(
        "sections/questions.html",
        title="Questions",
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
