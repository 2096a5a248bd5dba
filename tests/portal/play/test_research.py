"""The researcher's page of an alignment: what players improved, downloads,
credits; splicing; retiring puzzles that are done."""

from __future__ import annotations

import csv
import io

import pytest
from Bio import Align
from sqlalchemy import func, select

from games.puzzles import scheme_for, scheme_to_params
from games.scoring import score_alignment
from portal.accounts.models import Role
from portal.play import puzzles, retirement, splicing
from portal.play.models import AlignmentChange, AlignmentSource, Puzzle, Solution
from tests.portal.conftest import csrf_token
from tests.portal.play.conftest import Player

ORIGINAL = ["ACGTACGT", "ACG-TACG", "ACGTACGT"]
NAMES = ["human", "mouse", "rat"]
# The puzzle is columns 4-8 of every row, with one slack column.
START = ["TACGT-", "-TACG-", "TACGT-"]
BEST = ["TACGT-", "TACG--", "TACGT-"]
GOOD = ["TACGT-", "TAC-G-", "TACGT-"]  # better than the start, worse than BEST
IMPROVED = ["ACGTACGT", "ACGTACG-", "ACGTACGT"]


@pytest.fixture
def research(app, session) -> dict:
    scheme = scheme_for("dna")
    alignment = AlignmentSource(
        slug="demo-aln",
        title="A tiny alignment",
        kind="dna",
        licence="CC0-1.0",
        source="made by hand",
        names=(NAMES),
        rows=(ORIGINAL),
        original_rows=(ORIGINAL),
    )
    start_score = score_alignment(START, scheme)
    puzzle = Puzzle(
        alignment=alignment,
        title="A tiny alignment, columns 4-8",
        kind="dna",
        level="beginner",
        scheme=(scheme_to_params(scheme)),
        names=(NAMES),
        sequences=([r.replace("-", "") for r in START]),
        start=(START),
        width=6,
        start_score=start_score,
        par=start_score + 1,
        par_layout=(GOOD),
        source_start=3,
        source_end=8,
        source_rows=[0, 1, 2],
    )
    session.add_all([alignment, puzzle])
    session.commit()
    return {"slug": alignment.slug, "puzzle_id": puzzle.id, "alignment_id": alignment.id}


def splice_as_researcher(client, auth, make_user, slug: str):
    make_user("ada", Role.RESEARCHER)
    auth.login("ada")
    token = csrf_token(client, f"/play/alignments/{slug}")
    return client.post(f"/play/alignments/{slug}/splice", data={"csrf_token": token})


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
    assert lines[0]["points"] == "100"


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


# -- retiring ---------------------------------------------------------------------


def test_a_spliced_puzzle_that_players_agree_on_is_retired(
    app, client, auth, make_user, research, session
):
    for nickname in ("Ann", "Bea", "Cy"):
        player = Player(app.test_client(), research["puzzle_id"])
        assert player.submit(BEST, nickname=nickname).status_code == 201
    response = splice_as_researcher(client, auth, make_user, research["slug"])
    assert response.status_code == 302

    session.expire_all()  # the request changed the rows this session has cached
    puzzle = session.get(Puzzle, research["puzzle_id"])
    assert puzzle.retired_at is not None and not puzzle.active
    assert "reached by 3 players" in puzzle.retired_reason
    assert f"/play/{puzzle.id}" not in client.get("/play/").get_data(as_text=True)
    assert puzzle.id not in [p["id"] for p in client.get("/api/v1/puzzles").get_json()["items"]]
    page = client.get(f"/play/{puzzle.id}")
    assert page.status_code == 200 and "This puzzle is retired" in page.get_data(as_text=True)
    late = Player(app.test_client(), puzzle.id).submit(GOOD, nickname="Late")
    assert late.status_code == 409 and late.get_json()["error"]["code"] == "retired"
    assert session.scalar(select(func.count()).select_from(Solution)) == 3


def test_a_spliced_puzzle_only_one_player_solved_stays_offered(
    app, client, auth, make_user, research, session
):
    Player(app.test_client(), research["puzzle_id"]).submit(BEST, nickname="Bea")
    splice_as_researcher(client, auth, make_user, research["slug"])
    session.expire_all()
    puzzle = session.get(Puzzle, research["puzzle_id"])
    assert puzzle.retired_at is None and puzzle.active


def test_a_puzzle_is_retired_after_enough_solutions(app, research, session):
    with app.app_context():
        puzzle = session.get(Puzzle, research["puzzle_id"])
        for i, rows in enumerate([BEST, GOOD]):
            session.add(
                Solution(
                    puzzle_id=puzzle.id,
                    player_key=f"guest:{i}",
                    nickname="N",
                    layout_hash=str(i),
                    rows=(rows),
                    score=1.0,
                )
            )
        session.flush()
        assert not retirement.retire_if_exhausted(session, puzzle, limit=3)
        assert retirement.retire_if_exhausted(session, puzzle, limit=2)
        assert "2 solutions received" in puzzle.retired_reason
        session.commit()
    assert research["puzzle_id"] not in [p.id for p in puzzles.visible_puzzles(session)]


def test_the_tutorial_is_never_retired(app, tutorial_id, session):
    with app.app_context():
        tutorial = session.get(Puzzle, tutorial_id)
        assert not retirement.retire_if_exhausted(session, tutorial, limit=0)
        assert tutorial.retired_at is None
