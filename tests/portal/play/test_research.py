"""The researcher's page of an alignment: what players improved, downloads,
credits, and who may splice."""

from __future__ import annotations

import csv
import io

import pytest
from Bio import Align
from sqlalchemy import func, select

from games.puzzles import scheme_for
from games.scoring import score_alignment
from portal.play.models import AlignmentChange, AlignmentSource
from tests.portal.conftest import csrf_token
from tests.portal.play.conftest import (
    BEST,
    GOOD,
    IMPROVED,
    NAMES,
    ORIGINAL,
    Player,
    splice_as_researcher,
)


def test_the_page_lists_the_puzzles_before_anyone_played(client, research):
    assert "A tiny alignment" in client.get("/play/alignments/").get_data(as_text=True)
    page = client.get(f"/play/alignments/{research['slug']}").get_data(as_text=True)
    assert "not improved yet" in page
    assert "No solution has been spliced" in page
    assert "columns" in page and "CC0-1.0" in page


def test_players_improvements_are_spliced_credited_and_downloadable(
    app, client, auth, make_user, research, session
):
    zed = Player(app.test_client(), research["puzzle_id"])
    assert zed.submit(GOOD, nickname="Zed").status_code == 201
    bea = Player(app.test_client(), research["puzzle_id"])
    assert bea.submit(BEST, nickname="Bea").status_code == 201

    response = splice_as_researcher(client, auth, make_user, research["slug"])
    assert response.status_code == 302
    session.expire_all()
    stored = session.get(AlignmentSource, research["alignment_id"])
    assert stored.rows == IMPROVED

    page = client.get(f"/play/alignments/{research['slug']}").get_data(as_text=True)
    scheme = scheme_for("dna")
    before, after = score_alignment(ORIGINAL, scheme), score_alignment(IMPROVED, scheme)
    assert f'id="score-before">{before:g}<' in page and f'id="score-after">{after:g}<' in page
    assert "spliced in" in page and "Bea" in page and "Zed" not in page

    for fmt in ("fasta", "clustal", "stockholm"):
        improved = client.get(f"/play/alignments/{research['slug']}/download?format={fmt}")
        assert improved.status_code == 200
        assert "attachment" in improved.headers["Content-Disposition"]
        parsed = Align.read(io.StringIO(improved.get_data(as_text=True)), fmt)
        assert [parsed[i] for i in range(3)] == IMPROVED
        assert [s.id for s in parsed.sequences] == NAMES
        original = client.get(
            f"/play/alignments/{research['slug']}/download?format={fmt}&version=original"
        )
        parsed = Align.read(io.StringIO(original.get_data(as_text=True)), fmt)
        assert [parsed[i] for i in range(3)] == ORIGINAL

    credits = client.get(f"/play/alignments/{research['slug']}/credits.csv")
    assert credits.mimetype == "text/csv"
    lines = list(csv.DictReader(io.StringIO(credits.get_data(as_text=True))))
    assert len(lines) == 1
    assert lines[0]["player"] == "Bea" and lines[0]["columns"] == "4-8"
    assert float(lines[0]["gain"]) == pytest.approx(after - before)
    assert lines[0]["points"] == "200"  # beating par of a two-star puzzle: 100 x 2


def test_splicing_needs_a_researcher(app, client, auth, make_user, research, session):
    url = f"/play/alignments/{research['slug']}/splice"
    anonymous = client.post(url, data={"csrf_token": csrf_token(client, "/play/")})
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    make_user("moe")
    auth.login("moe")
    token = csrf_token(client, "/account")
    assert client.post(url, data={"csrf_token": token}).status_code == 403
    assert "Splice the best" not in client.get(f"/play/alignments/{research['slug']}").get_data(
        as_text=True
    )
    assert session.scalar(select(func.count()).select_from(AlignmentChange)) == 0
    assert session.get(AlignmentSource, research["alignment_id"]).rows == ORIGINAL


def test_unknown_alignments_and_formats_get_clear_errors(client, research):
    assert client.get("/play/alignments/nope").status_code == 404
    assert client.get("/play/alignments/nope/credits.csv").status_code == 404
    bad = client.get(f"/play/alignments/{research['slug']}/download?format=nexus")
    assert bad.status_code == 400
    assert "format is one of fasta, clustal, stockholm" in bad.get_data(as_text=True)
    bad = client.get(f"/play/alignments/{research['slug']}/download?version=latest")
    assert bad.status_code == 400
