"""Questions across all communities, and the similar-questions lookup used while typing."""

from __future__ import annotations

from flask import Blueprint, render_template, request, url_for

from portal import db
from portal.community import questions, ranking
from portal.community.question_views import list_arguments, paginate
from portal.community.similarity import DEFAULT_THRESHOLD, Draft
from portal.community.view_helpers import community_or_404

bp = Blueprint("question_feed", __name__)

#: Longer drafts are cut: the first few hundred words say what a question is about.
QUERY_MAX = 2000


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
        sorts=ranking.SORTS,
        statuses=list(questions.STATUS_FILTERS),
    )


@bp.get("/api/communities/<slug>/similar-questions")
def similar(slug: str):
    """JSON: questions of the community similar to the draft in ``title`` and ``details``."""
    community = community_or_404(slug)
    title = request.args.get("title", "")[:QUERY_MAX]
    details = request.args.get("details", "")[:QUERY_MAX]
    exclude = request.args.get("exclude", type=int)
    matches = questions.similar(db.session(), community, Draft(title, details), exclude_id=exclude)
    return {
        "method": "trigram similarity (Jaccard index of three-letter word pieces), "
        f"threshold {DEFAULT_THRESHOLD}",
        "questions": [
            {
                "id": q.id,
                "title": q.title,
                "status": q.status_enum.label,
                "similarity": round(score, 3),
                "url": url_for("community.questions.show", slug=slug, question_id=q.id),
            }
            for q, score in matches
        ],
    }
