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
from games.puzzles import describe_scheme, scheme_from_params, solve
from games.scheme import ScoringScheme
from portal.errors import NotFound
from portal.play.calibration import Calibration, calibrate, player_records
from portal.play.models import Puzzle


@functools.lru_cache(maxsize=64)
def _scheme(params: str) -> ScoringScheme:
    return scheme_from_params(json.loads(params))


def scheme_of(puzzle: Puzzle) -> ScoringScheme:
    # Built once per distinct scheme: every submission is scored with its puzzle's.
    return _scheme(json.dumps(puzzle.scheme, sort_keys=True))


def flanks_of_puzzle(puzzle: Puzzle) -> Flanks:
    """The window's context in its alignment (none for a puzzle cut without it)."""
    return Flanks.from_params(puzzle.scheme.get("flanks"), len(puzzle.start))


def score_of(puzzle: Puzzle, rows: list[str]) -> float:
    """The puzzle score of a layout: the window's flanks count (games/flanks.py)."""
    flanks = Flanks.from_params(puzzle.scheme.get("flanks"), len(rows))
    return score_window(rows, scheme_of(puzzle), flanks)


@dataclass(frozen=True)
class Rules:
    """What checking and scoring a layout needs of its puzzle."""

    sequences: tuple[str, ...]
    scheme: ScoringScheme
    flanks: Flanks

    def score(self, rows: list[str]) -> float:
        return score_window(rows, self.scheme, self.flanks)


def rules_of(puzzle: Puzzle) -> Rules:
    sequences = tuple(puzzle.sequences)
    flanks = Flanks.from_params(puzzle.scheme.get("flanks"), len(sequences))
    return Rules(sequences, scheme_of(puzzle), flanks)


@functools.lru_cache(maxsize=256)
def rules_from_text(sequences: str, scheme: str) -> Rules:
    """The rules of a puzzle whose ``sequences`` and ``scheme`` columns read as
    this JSON text. Keyed on the text itself, so a puzzle whose scheme changes
    (its flanks refreshed) is a new entry, never a stale one; decoding the two
    documents and building the scheme is most of a submission's own work."""
    rows, params = json.loads(sequences), json.loads(scheme)
    return Rules(
        tuple(rows), scheme_from_params(params), Flanks.from_params(params.get("flanks"), len(rows))
    )


def scheme_words(puzzle: Puzzle) -> str:
    return describe_scheme(puzzle.scheme)


_WORDLIKE = re.compile(r"^[A-Za-z][A-Za-z .'-]*$")


def stars(calibrated: Calibration, level: str) -> int:
    """Difficulty as 1 to 5 stars, for players; the tutorial is always one."""
    return 1 if level == "tutorial" else calibrated.stars


def calibration_of(session: Session, puzzle: Puzzle) -> Calibration:
    players, reached = player_records(session, [puzzle.id]).get(puzzle.id, (0, 0))
    return calibrate(puzzle, players, reached)


def difficulty_stars(session: Session, puzzle: Puzzle) -> int:
    """The stars a puzzle shows now, which scale its points and hint cost."""
    return stars(calibration_of(session, puzzle), puzzle.level)


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
    #: Expected share of players who reach par (see calibration), and the
    #: moves the solver's par layout is from the start.
    share: float = 1.0
    moves: int = 0

    @property
    def plain_title(self) -> str:
        return plain_title(self.title, self.kind, self.names)

    @property
    def stars(self) -> int:
        if self.level == "tutorial":
            return 1
        return Calibration(self.moves, 0.0, 0, 0, self.share).stars

    @property
    def window(self) -> str:
        """Where in its research alignment the puzzle was cut ("columns 201-233")."""
        _subject, _sep, where = self.title.partition(", ")
        return where


def visible_puzzles(session: Session) -> list[PuzzleSummary]:
    """The offered puzzles, tutorial first, then easiest first by calibrated
    difficulty (the expected share of players reaching par)."""
    found = list(
        session.scalars(
            select(Puzzle)
            .options(
                load_only(
                    Puzzle.title,
                    Puzzle.kind,
                    Puzzle.level,
                    Puzzle.par,
                    Puzzle.difficulty,
                    Puzzle.names,
                    Puzzle.start,
                    Puzzle.par_layout,
                    Puzzle.start_score,
                    Puzzle.scheme,
                )
            )
            .where(Puzzle.active.is_(True))
        )
    )
    records = player_records(session, [p.id for p in found])
    summaries = []
    for p in found:
        calibrated = calibrate(p, *records.get(p.id, (0, 0)))
        summaries.append(
            PuzzleSummary(
                p.id,
                p.title,
                p.kind,
                p.level,
                len(p.names),
                p.par,
                p.difficulty,
                tuple(p.names),
                calibrated.share,
                calibrated.moves,
            )
        )
    summaries.sort(key=lambda p: (p.level != "tutorial", -p.share, p.id))
    return summaries


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
        "scheme": puzzle.scheme,
        "retired": puzzle.retired_at is not None,
        "stages": stages(puzzle),
    }


def first_rows(n_rows: int, level: str) -> int:
    """Rows a board shows at first: the tutorial all of its rows; a real
    puzzle two (three from six rows up), then one more each time the player
    reaches the par of the rows shown, as in Phylo."""
    if level == "tutorial":
        return n_rows
    return min(n_rows, 2 if n_rows < 6 else 3)


#: Solver budget for the par of a stage (few rows): deterministic, a few milliseconds.
STAGE_EVALUATIONS = 3_000


def stage_layouts(puzzle: Puzzle) -> list[tuple[list[int], float, list[str]]]:
    """Each stage of the board: the rows it shows (0-based, in board order), their
    par, and a layout of those rows scoring it; the last stage is the whole puzzle
    with its par."""
    return [
        (list(shown), par, list(rows))
        for shown, par, rows in _stage_layouts(
            tuple(puzzle.start),
            tuple(puzzle.par_layout),
            puzzle.par,
            first_rows(len(puzzle.start), puzzle.level),
            json.dumps(puzzle.scheme, sort_keys=True),
        )
    ]


def _joining_order(
    start: Sequence[str], par_layout: Sequence[str], scheme: ScoringScheme, flanks: Flanks
) -> list[int]:
    """Rows in the order they join: first the pair (then rows) whose par layout
    gains most over the start, so the opening board has something to find; then
    each time the row that gains most with the rows already shown."""
    n = len(start)
    gain = [[0.0] * n for _ in range(n)]
    for i in range(n):
        for j in range(i + 1, n):
            pair = [i, j]
            kept = flanks.subset(pair)
            gain[i][j] = gain[j][i] = score_window(
                [par_layout[r] for r in pair], scheme, kept
            ) - score_window([start[r] for r in pair], scheme, kept)
    i, j = max(
        ((i, j) for i in range(n) for j in range(i + 1, n)), key=lambda p: (gain[p[0]][p[1]], -p[0])
    )
    order = [i, j]
    while len(order) < n:
        rest = [r for r in range(n) if r not in order]
        order.append(max(rest, key=lambda r: (sum(gain[r][o] for o in order), -r)))
    return order


@functools.lru_cache(maxsize=512)
def _stage_layouts(
    start: tuple[str, ...], par_layout: tuple[str, ...], par: float, first: int, params: str
) -> tuple[tuple[tuple[int, ...], float, tuple[str, ...]], ...]:
    # Kept per process: a puzzle's start and par layout never change.
    scheme = _scheme(params)
    n = len(start)
    flanks = Flanks.from_params(json.loads(params).get("flanks"), n)
    order = _joining_order(start, par_layout, scheme, flanks) if first < n else list(range(n))
    out = []
    for count in range(first, n):
        shown = tuple(sorted(order[:count]))
        kept = flanks.subset(shown)
        begun = [start[r] for r in shown]
        searched = solve(
            begun, scheme, time_limit=5.0, max_evaluations=STAGE_EVALUATIONS, flanks=kept
        ).rows
        candidates = ([par_layout[r] for r in shown], searched)
        best = max((score_window(rows, scheme, kept), tuple(rows)) for rows in candidates)
        out.append((shown, best[0], best[1]))
    out.append((tuple(range(n)), par, par_layout))
    return tuple(out)


def stages(puzzle: Puzzle) -> list[dict[str, Any]]:
    """What the page needs of each stage: the rows shown and their par (not the layout)."""
    return [{"rows": shown, "par": par} for shown, par, _rows in stage_layouts(puzzle)]
