"""The tutorial: the first puzzle every player meets, made by hand.

Services take a session and never commit; the request or command commits.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from games.puzzles import scheme_for, scheme_to_params, solve
from games.scoring import score_alignment
from portal.play.models import Puzzle

#: The tutorial: three short DNA rows, each out of place by a different move.
TUTORIAL_TITLE = "Tutorial: line up the blocks"
TUTORIAL_NAMES = ["first", "second", "third"]
TUTORIAL_START = [
    "ACGTTGCA---",
    "--ACGTTGCA-",
    "ACGGCA-----",
]
#: Set by hand: the score after the page's first move (sliding the second row
#: two columns left).  The best layout (after the second move) scores 10, so a
#: beginner who makes both moves beats par.
TUTORIAL_PAR = 8.0


def ensure_tutorial(session: Session) -> Puzzle:
    existing = session.scalar(select(Puzzle).where(Puzzle.level == "tutorial"))
    if existing is not None:
        return existing
    scheme = scheme_for("dna")
    solved = solve(TUTORIAL_START, scheme, time_limit=0.5, max_evaluations=3_000)
    puzzle = Puzzle(
        alignment=None,
        title=TUTORIAL_TITLE,
        kind="dna",
        level="tutorial",
        scheme=scheme_to_params(scheme),
        names=TUTORIAL_NAMES,
        sequences=[row.replace("-", "") for row in TUTORIAL_START],
        start=TUTORIAL_START,
        width=len(TUTORIAL_START[0]),
        start_score=score_alignment(TUTORIAL_START, scheme),
        par=TUTORIAL_PAR,
        par_layout=solved.rows,
        difficulty=1.0,
    )
    session.add(puzzle)
    session.flush()
    return puzzle
