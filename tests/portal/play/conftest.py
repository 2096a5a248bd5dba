from __future__ import annotations

import re

import pytest

from portal import db
from portal.play.tutorial import ensure_tutorial

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
