"""/api/v1/alignments: researchers' sequences made into puzzles, and the
report of what the players changed."""

from __future__ import annotations

from typing import Any

from flask import current_app, url_for
from flask_login import current_user

from portal import db, policy
from portal.api import schemas
from portal.api.blueprint import bp
from portal.api.jobs import accepted, start_job
from portal.api.spec import operation
from portal.errors import Forbidden
from portal.extensions import limiter, upload_limit, user_or_address
from portal.jobs import runner
from portal.play import importing, research


@bp.post("/alignments")
@limiter.shared_limit(upload_limit, "upload", key_func=user_or_address)
@operation(
    "Import sequences for players to improve",
    "alignments",
    auth=True,
    scope="write",
    body=schemas.AlignmentCreate,
    responses={202: schemas.Accepted},
    errors=(403,),
    description="Researchers only. The sequences are checked at once (an error names the "
    "record and line); a job then aligns them and cuts puzzles where the alignment is least "
    "trusted. Follow links.job; its result.url is the alignment's page.",
)
def create_alignment(body: schemas.AlignmentCreate) -> tuple[dict[str, Any], int]:
    if not policy.can_import_alignments(current_user):
        raise Forbidden("Only researchers import sequences.")
    asked = importing.ImportRequest(
        fasta=body.fasta,
        title=body.title.strip(),
        description=body.description.strip(),
        guide_tree=body.guide_tree,
        aligner=body.aligner,
    )
    runner.check_room(db.session(), current_user.id)
    importing.check(asked, current_app.config)
    return accepted(
        start_job("alignment.import", {"request": asked.to_payload(), "user_id": current_user.id})
    )


@bp.get("/alignments/<slug>")
@operation(
    "Read what the players changed in an alignment",
    "alignments",
    responses={200: schemas.AlignmentReport},
    errors=(404,),
    description="Score before and after, every puzzle window with its players' best and "
    "the players credited, and links to the downloads.",
)
def get_alignment(slug: str) -> dict[str, Any]:
    session = db.session()
    found = research.get_alignment(session, slug)
    out = research.report_json(research.report(session, found))
    out["links"] = {
        "page": url_for("play.alignment", slug=found.slug, _external=True),
        "improved": url_for("play.download_alignment", slug=found.slug, _external=True),
        "report_csv": url_for("play.alignment_report_csv", slug=found.slug, _external=True),
        "report_json": url_for("play.alignment_report_json", slug=found.slug, _external=True),
    }
    return out
