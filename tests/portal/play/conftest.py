from __future__ import annotations

import re

import pytest

from games.puzzles import scheme_for, scheme_to_params
from games.scoring import score_alignment
from portal import db
from portal.accounts.models import Role
from portal.play.models import AlignmentSource, Puzzle
from portal.play.tutorial import ensure_tutorial
from tests.portal.conftest import csrf_token

SOLVED = ["ACGTTGCA---", "ACGTTGCA---", "ACG--GCA---"]  # scores 10; par is 8
AT_PAR = ["ACGTTGCA---", "ACGTTGCA---", "ACGGCA-----"]  # scores 8


@pytest.fixture
def tutorial_id(app) -> int:
    with app.app_context():
        session = db.new_session()
        puzzle = ensure_tutorial(session)
        session.commit()
        puzzle_id = puzzle.id
        session.close()
    return puzzle_id


CSRF_ATTRIBUTE = re.compile(r'data-csrf="([^"]+)"')


class Player:
    """A browser-like client of the play pages and the JSON API."""

    def __init__(self, client, puzzle_id: int) -> None:
        self.client, self.puzzle_id = client, puzzle_id

    def token(self) -> str:
        page = self.client.get(f"/play/{self.puzzle_id}").get_data(as_text=True)
        return CSRF_ATTRIBUTE.search(page).group(1)

    def submit(self, rows, nickname: str | None = "Zed", puzzle_id: int | None = None, **extra):
        body = {"rows": rows, **extra}
        if nickname is not None:
            body["nickname"] = nickname
        return self.client.post(
            f"/api/v1/puzzles/{puzzle_id or self.puzzle_id}/solutions",
            json=body,
            headers={"X-CSRFToken": self.token()},
        )


@pytest.fixture
def player(client, tutorial_id) -> Player:
    return Player(client, tutorial_id)


# -- a tiny research alignment with one puzzle --------------------------------------

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
