"""Players' best solutions spliced into the research alignment, at once when
they are new bests, and never at the cost of a residue."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import func, select

from portal.play import splicing
from portal.play.models import AlignmentChange, AlignmentSource
from tests.portal.play.conftest import BEST, GOOD, IMPROVED, ORIGINAL, Player


def test_a_new_best_solution_is_spliced_in_at_once(app, client, research, session):
    zed = Player(app.test_client(), research["puzzle_id"])
    assert zed.submit(GOOD, nickname="Zed").status_code == 201
    session.expire_all()
    after_zed = session.get(AlignmentSource, research["alignment_id"]).rows
    assert after_zed != ORIGINAL
    bea = Player(app.test_client(), research["puzzle_id"])
    assert bea.submit(BEST, nickname="Bea").status_code == 201
    session.expire_all()
    assert session.get(AlignmentSource, research["alignment_id"]).rows == IMPROVED
    credits = client.get(f"/play/alignments/{research['slug']}/credits.csv")
    assert [
        line["player"] for line in csv.DictReader(io.StringIO(credits.get_data(as_text=True)))
    ] == ["Bea"]
    # A worse layout sent later changes nothing.
    assert (
        Player(app.test_client(), research["puzzle_id"]).submit(GOOD, nickname="Cy").status_code
        == 201
    )
    session.expire_all()
    assert session.get(AlignmentSource, research["alignment_id"]).rows == IMPROVED
    assert session.scalar(select(func.count()).select_from(AlignmentChange)) == 1


def test_a_spliced_alignment_that_lost_residues_is_never_stored(
    app, research, session, monkeypatch
):
    from games.splice import SpliceReport

    def broken_splice(rows, candidates, scheme):
        return SpliceReport(["ACGTACGT", "ACGTAC--", "ACGTACGT"], 0.0, 1.0)

    monkeypatch.setattr(splicing, "apply_solutions", broken_splice)
    with app.app_context():
        alignment = session.get(AlignmentSource, research["alignment_id"])
        with pytest.raises(ValueError, match="row 2 of the improved alignment"):
            splicing.splice_best(session, alignment)
        session.rollback()
    session.expire_all()
    assert session.get(AlignmentSource, research["alignment_id"]).rows == ORIGINAL
