"""What players see of a puzzle: the list on offer, one puzzle, what the play
page's script needs and the scoring scheme in words.

Services take a session and never commit.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, load_only

from games.flanks import Flanks, score_window
from games.puzzles import describe_scheme, scheme_from_params
from games.scheme import ScoringScheme
from portal.errors import NotFound
from portal.play.models import Puzzle


@functools.lru_cache(maxsize=64)
def _scheme(params: str) -> ScoringScheme:
    return scheme_from_params(json.loads(params))


def scheme_of(puzzle: Puzzle) -> ScoringScheme:
    # Built once per distinct scheme: every submission is scored with its puzzle's.
    return _scheme(json.dumps(puzzle.scheme, sort_keys=True))


def score_of(puzzle: Puzzle, rows: list[str]) -> float:
    """The puzzle score of a layout: the window's flanks count (games/flanks.py)."""
    flanks = Flanks.from_params(puzzle.scheme.get("flanks"), len(rows))
    return score_window(rows, scheme_of(puzzle), flanks)


def scheme_words(puzzle: Puzzle) -> str:
    return describe_scheme(puzzle.scheme)


#: Difficulty values (board size and rows) where one more star begins.
STAR_STEPS = (1.5, 3.0, 5.0, 8.0)

_WORDLIKE = re.compile(r"^[A-Za-z][A-Za-z .'-]*$")


def stars(difficulty: float, level: str) -> int:
    """Difficulty as 1 to 5 stars, for players; the tutorial is always one."""
    if level == "tutorial":
        return 1
    return 1 + sum(difficulty >= step for step in STAR_STEPS)


def plain_title(title: str, kind: str, names: Sequence[str]) -> str:
    """A puzzle's name in plain words: what the sequences are and how many.

    Rows named like organisms ("human", "mouse") are counted as species; rows
    named by accession numbers are counted as sequences.
    """
    subject = title.partition(", columns")[0].strip() or ("DNA" if kind == "dna" else "Protein")
    what = "species" if names and all(_WORDLIKE.match(n) for n in names) else "sequences"
    return f"{subject} from {len(names)} {what}"


@dataclass(frozen=True)
class PuzzleSummary:
    """What a list of puzzles shows: plain values, so a list can outlive its session."""

    id: int
    title: str
    kind: str
    level: str
    rows: int
    par: float
    difficulty: float
    names: tuple[str, ...] = ()

    @property
    def plain_title(self) -> str:
        return plain_title(self.title, self.kind, self.names)

    @property
    def stars(self) -> int:
        return stars(self.difficulty, self.level)

    @property
    def window(self) -> str:
        """Where in its research alignment the puzzle was cut ("columns 201-233")."""
        _subject, _sep, where = self.title.partition(", ")
        return where


def visible_puzzles(session: Session) -> list[PuzzleSummary]:
    """The offered puzzles, tutorial first, then by difficulty."""
    puzzles = session.scalars(
        select(Puzzle)
        .options(
            load_only(
                Puzzle.title,
                Puzzle.kind,
                Puzzle.level,
                Puzzle.par,
                Puzzle.difficulty,
                Puzzle.names,
            )
        )
        .where(Puzzle.active.is_(True))
        .order_by((Puzzle.level != "tutorial"), Puzzle.difficulty, Puzzle.id)
    )
    return [
        PuzzleSummary(
            p.id, p.title, p.kind, p.level, len(p.names), p.par, p.difficulty, tuple(p.names)
        )
        for p in puzzles
    ]


def get_puzzle(session: Session, puzzle_id: int) -> Puzzle:
    """An offered or retired puzzle (retired ones stay viewable)."""
    return viewable(session.get(Puzzle, puzzle_id), puzzle_id)


def viewable(puzzle: Puzzle | None, puzzle_id: int) -> Puzzle:
    """``puzzle`` (read as ``puzzle_id``) if players may see it: offered, or retired."""
    if puzzle is None or (not puzzle.active and puzzle.retired_at is None):
        raise NotFound(f"There is no puzzle {puzzle_id}.")
    return puzzle


def page_data(puzzle: Puzzle) -> dict[str, Any]:
    """What the play page's script needs: rows, board, scheme, par."""
    return {
        "id": puzzle.id,
        "title": puzzle.title,
        "kind": puzzle.kind,
        "level": puzzle.level,
        "names": puzzle.names,
        "sequences": puzzle.sequences,
        "start": puzzle.start,
        "width": puzzle.width,
        "par": puzzle.par,
        "start_score": puzzle.start_score,
        "difficulty": puzzle.difficulty,
        "scheme": puzzle.scheme,
        "retired": puzzle.retired_at is not None,
    }
