"""The play pages, `portal puzzles import` and the demo puzzles."""

from __future__ import annotations

import html
import json
import re

from sqlalchemy import func, select

from games.puzzles import scheme_for
from games.scoring import score_alignment
from portal.play.models import AlignmentSource, Puzzle
from portal.play.puzzles import score_of
from tests.games.support import DATA


def test_play_page_carries_the_puzzle_and_scheme(client, tutorial_id):
    response = client.get(f"/play/{tutorial_id}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    data = json.loads(html.unescape(re.search(r'data-puzzle="([^"]+)"', page).group(1)))
    assert data["start"] == ["ACGTTGCA---", "--ACGTTGCA-", "ACGGCA-----"]
    assert data["par"] == 8 and data["width"] == 11
    assert data["scheme"]["match_score"] == 1 and data["scheme"]["mismatch_score"] == -1
    assert data["scheme"]["open_internal_insertion_score"] == -4
    assert "two equal letters in one column score +1" in page
    assert "gaps at the start or end of a row are free" in page
    assert 'src="/static/play.js"' in page and "<script>" not in page
    assert "Shift+←" in page  # the keyboard controls are documented


def test_play_index_lists_puzzles_and_links_from_the_nav(client, tutorial_id):
    page = client.get("/play/").get_data(as_text=True)
    assert f'href="/play/{tutorial_id}"' in page
    assert '<a href="/play/" aria-current="page">Play</a>' in page


def test_nickname_form(client):
    from tests.portal.conftest import csrf_token

    response = client.post(
        "/play/nickname", data={"csrf_token": csrf_token(client, "/play/"), "nickname": "Rosalind"}
    )
    assert response.status_code == 302
    assert "You play as <strong>Rosalind</strong>" in client.get("/play/").get_data(as_text=True)


def test_api_lists_and_shows_puzzles(client, tutorial_id):
    items = client.get("/api/v1/puzzles").get_json()["items"]
    assert [item["id"] for item in items] == [tutorial_id]
    detail = client.get(f"/api/v1/puzzles/{tutorial_id}").get_json()
    assert detail["sequences"] == ["ACGTTGCA", "ACGTTGCA", "ACGGCA"]


def test_import_command(runner, session):
    result = runner.invoke(
        args=[
            "puzzles",
            "import",
            str(DATA / "il6.nucl.fasta"),
            "--limit",
            "2",
            "--licence",
            "BSD-3-Clause",
            "--source",
            "scikit-bio",
        ]
    )
    assert result.exit_code == 0, result.output
    assert "il6-nucl: 7 sequences, dna; 2 puzzles." in result.output
    alignment = session.scalars(select(AlignmentSource)).one()
    assert alignment.licence == "BSD-3-Clause" and alignment.source == "scikit-bio"
    for puzzle in alignment.puzzles:
        assert puzzle.par > puzzle.start_score
        assert score_of(puzzle, puzzle.start) == puzzle.start_score
    again = runner.invoke(args=["puzzles", "import", str(DATA / "il6.nucl.fasta")])
    assert again.exit_code == 0
    assert session.scalar(select(func.count()).select_from(AlignmentSource)) == 1


def test_import_protein_guesses_the_kind(runner, session):
    result = runner.invoke(
        args=["puzzles", "import", str(DATA / "tp53.prot.fasta"), "--limit", "1"]
    )
    assert result.exit_code == 0, result.output
    assert "protein" in result.output
    puzzle = session.scalars(select(Puzzle)).one()
    assert puzzle.kind == "protein" and puzzle.scheme["matrix_name"] == "BLOSUM62"


def test_import_refuses_unreadable_files(runner, tmp_path):
    bad = tmp_path / "bad.fasta"
    bad.write_text("just some words\n")
    result = runner.invoke(args=["puzzles", "import", str(bad)])
    assert result.exit_code == 1
    assert "bad.fasta" in result.output


def test_demo_puzzles_load_once(app, session):
    from portal import db
    from portal.play.demo import load_puzzles

    with app.app_context():
        work = db.new_session()
        first = load_puzzles(work, echo=lambda _: None)
        work.commit()
        second = load_puzzles(work, echo=lambda _: None)
        work.commit()
        work.close()
    assert first == second
    puzzles = session.scalars(select(Puzzle)).all()
    assert len(puzzles) == first
    kinds = {p.kind for p in puzzles}
    assert kinds == {"dna", "protein"}
    assert sum(1 for p in puzzles if p.level == "tutorial") == 1
    # Enough to play for a while, at every level, from every demo alignment.
    assert len(puzzles) >= 12
    assert {p.level for p in puzzles} == {"tutorial", "beginner", "intermediate", "expert"}
    # The published IL-6 protein alignment has no window whose improvement
    # survives splicing once edge gaps cost what they cost in the alignment.
    assert {p.alignment.slug for p in puzzles if p.alignment} == {"il6-nucl", "tp53-prot"}
    expert = [p for p in puzzles if p.level == "expert"]
    beginner = [p for p in puzzles if p.level == "beginner"]
    assert min(p.width for p in expert) > max(p.width for p in beginner)


def test_splice_puts_better_solutions_back_and_records_them(runner, app, session):

    from portal import db
    from portal.play.models import AlignmentChange
    from portal.play.submissions import Player, submit

    assert (
        runner.invoke(
            args=["puzzles", "import", str(DATA / "il6.nucl.fasta"), "--limit", "2"]
        ).exit_code
        == 0
    )
    with app.app_context():
        work = db.new_session()
        alignment = work.scalars(select(AlignmentSource)).one()
        puzzles = list(alignment.puzzles)
        # The par layout of the first puzzle as one player's solution; its start
        # layout (no better than what is there) as another's.
        good = submit(work, puzzles[0], puzzles[0].par_layout, Player("guest:a", "Ann")).solution
        submit(work, puzzles[0], puzzles[0].start, Player("guest:b", "Bob"))
        work.commit()
        good_id = good.id
        work.close()
    result = runner.invoke(args=["puzzles", "splice", "il6-nucl"])
    assert result.exit_code == 0, result.output
    assert "1 windows spliced in" in result.output
    session.expire_all()
    alignment = session.scalars(select(AlignmentSource)).one()
    change = session.scalars(select(AlignmentChange)).one()
    assert change.solution_id == good_id and change.score_after > change.score_before
    scheme = scheme_for("dna")
    original = alignment.original_rows
    assert score_alignment(alignment.rows, scheme) > score_alignment(original, scheme)
    assert [r.replace("-", "") for r in alignment.rows] == [r.replace("-", "") for r in original]
    # Running it again gives the same alignment and one record, not two.
    assert runner.invoke(args=["puzzles", "splice", "il6-nucl"]).exit_code == 0
    assert session.scalar(select(func.count()).select_from(AlignmentChange)) == 1
    assert runner.invoke(args=["puzzles", "splice", "nope"]).exit_code == 1
