"""The certainty of evidence of a finished run: the summary of findings drafted from its
results (:mod:`analysis.certainty`) with the analyst's ratings laid over it, and the
service that keeps those ratings with the run.

The run's results never change; the ratings are the analyst's judgement about them, so
they are kept beside the results (``AnalysisRun.certainty``), each with its reason, who
set it and when.  Services never commit: the view owns the transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from analysis import AnalysisInputError
from analysis import certainty as grading
from portal.accounts.models import User
from portal.db import utcnow
from portal.errors import ServiceError
from portal.reanalysis.models import AnalysisRun

#: The choice in the form that gives a domain back to the draft.
USE_DRAFT = "draft"
#: The ratings an analyst can choose, as the form offers them.
RATINGS = tuple(r.value for r in grading.Rating)


def summary(run: AnalysisRun) -> dict[str, Any] | None:
    """The summary of findings as stored and shown (None for a run without a pooled
    estimate, which has nothing to grade)."""
    if not run.is_finished:
        return None
    try:
        drafted = grading.draft(run.results)
    except AnalysisInputError:
        return None
    edits = run.certainty or {}
    out = grading.apply_edits(drafted, edits).to_dict()
    for row in out["domains"]:
        edit = edits.get(row["domain"])
        if row["source"] == "analyst" and isinstance(edit, Mapping):
            row["set_by"] = edit.get("by")
            row["set_at"] = edit.get("at")
        row["draft_rating"] = drafted.rating(row["domain"]).rating.value
        row["draft_reason"] = drafted.rating(row["domain"]).reason
    return out


def rate(run: AnalysisRun, user: User, form: Mapping[str, str]) -> list[str]:
    """Keep the analyst's ratings sent by the form (``rating_<domain>`` and
    ``reason_<domain>``): a domain whose rating or reason differs from what is shown
    is set, with its reason; ``draft`` gives it back to the draft.  Returns the labels
    of the domains that changed.  Raises :class:`ServiceError` naming the field, before
    anything is changed."""
    current = summary(run)
    if current is None:
        raise ServiceError(
            "This run has no pooled estimate, so there is no certainty of evidence to rate.",
            "certainty",
            status=409,
        )
    edits = dict(run.certainty or {})
    changed: list[str] = []
    for row in current["domains"]:
        domain = row["domain"]
        rating = (form.get(f"rating_{domain}") or "").strip()
        reason = (form.get(f"reason_{domain}") or "").strip()
        if not rating:
            continue
        if rating == USE_DRAFT:
            if edits.pop(domain, None) is not None:
                changed.append(row["label"])
            continue
        if rating == row["rating"] and reason == row["reason"]:
            continue
        try:
            _, checked, why = grading.check_edit(domain, rating, reason)
        except AnalysisInputError as error:
            message = error.reason[:1].upper() + error.reason[1:] + "."
            raise ServiceError(message, error.field) from None
        edits[domain] = {
            "rating": checked.value,
            "reason": why,
            "by": user.username,
            "at": utcnow().isoformat(),
        }
        changed.append(row["label"])
    # a new dict, so the JSON column sees the change
    run.certainty = edits
    return changed
