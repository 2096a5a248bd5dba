"""Cutting puzzles out of a multiple alignment, and a heuristic solver for par.

A *puzzle* is a window of an alignment: a few rows over a few columns.  Each
row's residues (its letters, without gaps) are fixed in number and order; the
player only moves them sideways within a board of ``width`` columns.  The
*start* layout is the window as the alignment has it (columns where every
chosen row has a gap dropped, then padded with gaps on the right to the
board's width); *par* is the best score the heuristic :func:`solve` finds in a
short, bounded time.  Windows the solver cannot improve are not offered.

The moves, shared with the play page (portal/static/play.js):

* ``move(positions, k, delta, width)`` slides residue ``k`` of a row by
  ``delta`` columns, pushing the residues it runs into;
* ``move(..., tail=True)`` slides residue ``k`` *and every residue to its
  right* together (pushing residues to its left when moving left).

A move that would push a residue off the board is refused (None).
"""

from __future__ import annotations

import math
import random
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from games import _climb, _profile
from games.encoding import compile_scheme, encode_rows
from games.flanks import Flanks, cut_window, edge_text, score_window
from games.scheme import GAP_SCORE_FIELDS, ScoringScheme
from games.scoring import score_alignment

GAP = "-"

#: Board sizes by level: (min columns, max columns, max rows).
LEVELS = {
    "beginner": (20, 30, 8),
    "intermediate": (28, 38, 10),
    "expert": (36, 48, 12),
}

#: Rows with fewer residues in a window are left out of its puzzle.
MIN_RESIDUES = 3


# -- schemes ---------------------------------------------------------------------


def puzzle_protein() -> ScoringScheme:
    """The game's protein scheme: BLOSUM62, gap open -11 (the first gap
    position), extension -1, free end gaps."""
    return ScoringScheme.create(
        matrix="BLOSUM62",
        open_gap_score=-11.0,
        extend_gap_score=-1.0,
        end_open_gap_score=0.0,
        end_extend_gap_score=0.0,
    )


def scheme_for(kind: str) -> ScoringScheme:
    """The puzzle scheme of ``"dna"`` or ``"protein"`` puzzles."""
    if kind == "dna":
        return ScoringScheme.puzzle_dna()
    if kind == "protein":
        return puzzle_protein()
    raise ValueError(f"unknown puzzle kind {kind!r}; expected 'dna' or 'protein'")


def scheme_to_params(scheme: ScoringScheme) -> dict[str, Any]:
    """Everything needed to score exactly as ``scheme`` does, as JSON: the
    substitution table (``alphabet`` and ``matrix``, or ``match_score`` and
    ``mismatch_score``) and the twelve gap scores.  The play page scores
    with this; :func:`scheme_from_params` rebuilds the scheme."""
    params: dict[str, Any] = {"matrix_name": scheme.matrix_name}
    if scheme.matrix is not None:
        params["alphabet"] = scheme.alphabet
        params["matrix"] = [list(row) for row in scheme.matrix]
    else:
        params["match_score"] = scheme.match_score
        params["mismatch_score"] = scheme.mismatch_score
    params["wildcard"] = scheme.wildcard
    for name in GAP_SCORE_FIELDS:
        params[name] = getattr(scheme, name)
    return params


def puzzle_params(
    scheme: ScoringScheme, flanks: Flanks | None, edges: dict[str, Any] | None = None
) -> dict[str, Any]:
    """:func:`scheme_to_params` plus the window's flanks under ``"flanks"``:
    what a stored puzzle keeps so that the server and the play page score a
    layout the same way (:func:`score_layout`); ``edges`` (what the board
    shows around it, :attr:`Puzzle.edges`) under ``"edges"``."""
    params = scheme_to_params(scheme)
    if flanks is not None and not flanks.empty:
        params["flanks"] = flanks.to_params()
    if edges:
        params["edges"] = edges
    return params


def score_layout(rows: Sequence[str], params: dict[str, Any]) -> float:
    """The puzzle score of ``rows`` under stored :func:`puzzle_params`."""
    flanks = Flanks.from_params(params.get("flanks"), len(rows))
    return score_window(rows, scheme_from_params(params), flanks)


def scheme_from_params(params: dict[str, Any]) -> ScoringScheme:
    gaps = {name: params[name] for name in GAP_SCORE_FIELDS}
    if params.get("matrix") is not None:
        return ScoringScheme(
            matrix_name=params.get("matrix_name"),
            alphabet=params["alphabet"],
            matrix=tuple(tuple(row) for row in params["matrix"]),
            wildcard=params.get("wildcard"),
            **gaps,
        )
    return ScoringScheme(
        match_score=params["match_score"],
        mismatch_score=params["mismatch_score"],
        wildcard=params.get("wildcard"),
        **gaps,
    )


def describe_scheme(params: dict[str, Any]) -> str:
    """The scheme in plain words, for the play page."""

    def number(value: float) -> str:
        return f"{value:+g}" if value else "0"

    if params.get("matrix") is not None:
        table = params.get("matrix_name") or "custom"
        letters = f"letters in one column score by the {table} table"
    else:
        letters = (
            f"two equal letters in one column score {number(params['match_score'])},"
            f" two different letters {number(params['mismatch_score'])}"
        )
    internal_open = params["open_internal_insertion_score"]
    internal_extend = params["extend_internal_insertion_score"]
    ends = (
        params["open_left_insertion_score"] == 0
        and params["extend_left_insertion_score"] == 0
        and params["open_right_insertion_score"] == 0
    )
    text = (
        f"Every pair of rows is compared: {letters}; a gap opposite letters costs"
        f" {number(internal_open)} for its first column and {number(internal_extend)} for each"
        " further column"
    )
    if ends and params.get("flanks"):
        text += (
            "; gaps at the very start or end of a sequence are free, but this board is a"
            " window of a longer alignment, so a gap that runs on past the board's edge"
            " costs as it does there."
        )
        if params.get("edges"):
            text += (
                " The grey letters either side of the board are that alignment, just"
                " outside the window: they never move."
            )
        if params["flanks"].get("context"):
            text += (
                " The grey rows under yours are the alignment's other sequences, fixed:"
                " your rows are scored against them too, so a better score here is a"
                " better alignment."
            )
    else:
        text += "; gaps at the start or end of a row are free." if ends else "."
    return text


# -- reading --------------------------------------------------------------------


@dataclass(frozen=True)
class Source:
    """An alignment as names and equally long gapped rows."""

    names: list[str]
    rows: list[str]

    @property
    def width(self) -> int:
        return len(self.rows[0]) if self.rows else 0


_PARSER_ERRORS = (
    IndexError,
    KeyError,
    TypeError,
    AttributeError,
    UnboundLocalError,
    AssertionError,
    EOFError,
)


def read_source(path: str | Path, fmt: str = "fasta") -> Source:
    """Reads one alignment in any format Biopython reads (``Bio.Align`` or
    ``Bio.AlignIO``); letters are upper-cased and ``.`` becomes ``-``."""
    from Bio import Align, AlignIO

    with warnings.catch_warnings(), open(path, encoding="latin-1") as handle:
        warnings.simplefilter("ignore")
        try:
            try:
                alignment = Align.read(handle, fmt)
            except (ValueError, *_PARSER_ERRORS) as exc:
                # Bio.Align's Stockholm reader refuses interleaved Pfam files and
                # per-residue annotations that Bio.AlignIO reads; else the first
                # failure stands.
                handle.seek(0)
                try:
                    alignment = AlignIO.read(handle, fmt)
                except (ValueError, *_PARSER_ERRORS):
                    raise exc from None
        except _PARSER_ERRORS as exc:
            # Biopython's parsers trip over some malformed files with these instead of
            # a ValueError; callers catch ValueError for "this file cannot be read".
            raise ValueError(f"This is not a readable {fmt} alignment ({exc!r}).") from exc
    if hasattr(alignment, "get_alignment_length"):
        names = [record.id for record in alignment]
        rows = [str(record.seq) for record in alignment]
    else:
        names = [getattr(s, "id", None) or f"seq{i + 1}" for i, s in enumerate(alignment.sequences)]
        rows = [alignment[i] for i in range(len(alignment.sequences))]
    return source_from_rows(names, rows)


def source_from_rows(names: Sequence[str], rows: Sequence[str]) -> Source:
    rows = [str(row).upper().replace(".", GAP) for row in rows]
    if not rows:
        raise ValueError("the alignment has no rows")
    if len({len(row) for row in rows}) != 1:
        raise ValueError("the rows of the alignment are not equally long")
    if len(names) != len(rows):
        raise ValueError("one name per row is needed")
    return Source(list(names), rows)


# -- layouts and moves ----------------------------------------------------------


def residues(row: str) -> str:
    return row.replace(GAP, "")


def positions(row: str) -> list[int]:
    """The columns of the residues of a gapped row."""
    return [index for index, letter in enumerate(row) if letter != GAP]


def layout(sequence: str, cols: Sequence[int], width: int) -> str:
    out = [GAP] * width
    for letter, column in zip(sequence, cols, strict=True):
        out[column] = letter
    return "".join(out)


def move(
    cols: Sequence[int], k: int, delta: int, width: int, *, tail: bool = False
) -> list[int] | None:
    """Residue ``k`` (and, with ``tail``, every residue after it) moved by
    ``delta`` columns, pushing the residues in the way; None when a residue
    would leave the board or nothing moves."""
    n = len(cols)
    if delta == 0 or not 0 <= k < n:
        return None
    new = list(cols)
    group = range(k, n) if tail else range(k, k + 1)
    for index in group:
        new[index] += delta
    if delta > 0:
        for index in range(k + 1, n):
            if new[index] <= new[index - 1]:
                new[index] = new[index - 1] + 1
    else:
        for index in range(k - 1, -1, -1):
            if new[index] >= new[index + 1]:
                new[index] = new[index + 1] - 1
    if new[0] < 0 or new[-1] >= width:
        return None
    return new


def strip_common_gaps(rows: Sequence[str]) -> list[str]:
    """Rows without the columns where every row has a gap."""
    # zip hands over each column as a tuple, compared in C with the all-gap column:
    # every submission is hashed through here, and most have no such column.
    all_gaps = (GAP,) * len(rows)
    keep = [c for c, column in enumerate(zip(*rows, strict=True)) if column != all_gaps]
    if len(keep) == len(rows[0]):
        return list(rows)
    return ["".join([row[c] for c in keep]) for row in rows]


# -- the solver -----------------------------------------------------------------


@dataclass
class Solved:
    rows: list[str]
    score: float
    start_score: float
    evaluations: int


class _Board:
    """The solver's state as codes: each row's letters and columns, and every pair's
    score, so that a candidate move re-scores only the pairs of the row it moves."""

    def __init__(self, rows: Sequence[str], scheme: ScoringScheme, flanks: Flanks) -> None:
        compiled = compile_scheme(scheme)
        self.flanks = flanks.arrays()
        self.rank = flanks.ranks()
        self.movable = len(rows)
        self.table, self.gaps = compiled.table, compiled.gaps
        # The context rows (if any) follow the puzzle's and are never moved.
        self.codes = np.ascontiguousarray(encode_rows(flanks.board(rows), scheme))
        n_rows, self.width = self.codes.shape
        longest = max(1, int((self.codes != 0).sum(axis=1).max()))
        self.letters = np.zeros((n_rows, longest), dtype=np.uint8)
        self.lengths = np.zeros(n_rows, dtype=np.int64)
        self.cols = np.zeros((n_rows, longest), dtype=np.int64)
        for r in range(n_rows):
            where = np.flatnonzero(self.codes[r])
            self.lengths[r] = len(where)
            self.letters[r, : len(where)] = self.codes[r, where]
            self.cols[r, : len(where)] = where
        self.pairs = np.zeros((n_rows, n_rows))
        self.trial_cols = np.zeros(longest, dtype=np.int64)
        self.trial_row = np.zeros(self.width, dtype=np.uint8)
        _climb.pair_scores(
            self.codes, self.rank, self.movable, self.table, self.gaps, *self.flanks, self.pairs
        )
        self.profile = _fixed_profile(self, n_rows)

    def score(self) -> float:
        return float(np.triu(self.pairs, 1).sum())

    def best_move(self, deltas: np.ndarray) -> tuple[float, int, int, int, bool, int]:
        return _climb.best_move(
            self.codes,
            self.letters,
            self.lengths,
            self.cols,
            self.pairs,
            self.table,
            self.gaps,
            deltas,
            self.trial_cols,
            self.trial_row,
            *self.flanks,
            self.rank,
            self.movable,
            *self.profile,
        )

    def place(self, r: int, cols: Sequence[int]) -> None:
        """Row ``r`` with its letters in columns ``cols``."""
        n = int(self.lengths[r])
        self.cols[r, :n] = cols
        self.codes[r] = 0
        self.codes[r, self.cols[r, :n]] = self.letters[r, :n]
        for j in range(len(self.codes)):
            if j != r:
                value = _climb.ordered_score(
                    self.codes[r],
                    self.codes[j],
                    r,
                    j,
                    self.rank,
                    self.table,
                    self.gaps,
                    *self.flanks,
                )
                self.pairs[r, j] = self.pairs[j, r] = value


def _fixed_profile(board: _Board, n_rows: int) -> tuple[Any, ...]:
    """The context rows' tables (games/_profile.py) when there are context rows
    and the scheme's sums are exact in any order, so that scoring a move against
    them at once gives the very number row by row does; else empty tables."""
    movable, width = board.movable, board.width
    most_held = int(max(board.flanks[2].max(initial=0), board.flanks[3].max(initial=0)))
    profiled = n_rows > movable and _profile.exact_scale(
        board.table, board.gaps, n_rows, width, most_held
    )
    if not profiled:
        movable = width = 0
    size = width + 2
    tables: tuple[np.ndarray, ...] = (
        np.zeros((movable, width, board.table.shape[0])),
        np.zeros((movable, 2, size + 1)),
        np.zeros((movable, 2, size, size + 1)),
        np.zeros((movable, size, size + 1)),
        np.zeros((movable, size), dtype=np.int64),
        np.zeros(movable, dtype=np.int64),
        np.zeros(movable),
    )
    if profiled:
        _profile.build(
            board.codes, movable, board.rank, board.table, board.gaps, *board.flanks, *tables
        )
    return (profiled, *tables)


def solve(
    rows: Sequence[str],
    scheme: ScoringScheme,
    *,
    time_limit: float = 0.5,
    seed: int = 0,
    max_evaluations: int = 400_000,
    flanks: Flanks | None = None,
) -> Solved:
    """The best layout a bounded local search finds, by the puzzle's moves.

    Steepest-ascent hill climbing over every single move (each residue, by
    1 to 3 columns, alone or with its tail; a move re-scores only the pairs of
    the row it moves); at a local optimum, a few random moves perturb the best
    layout and the climb restarts (iterated local search), until
    ``time_limit`` seconds or ``max_evaluations`` scorings have been spent.
    Deterministic for a given ``seed`` when it stops on evaluations, not time.
    Scores are puzzle scores: with ``flanks``, gaps at the window's edges cost
    as they do in the whole alignment (games/flanks.py).
    """
    flanks = flanks or Flanks.none(len(rows))
    rows = flanks.board(rows)[: len(rows)]  # as wide as the context, if it is wider
    width = len(rows[0])
    sequences = [residues(row) for row in rows]
    rng = random.Random(seed)
    deadline = time.perf_counter() + time_limit
    start_score = score_window(rows, scheme, flanks)
    board = _Board(rows, scheme, flanks)
    current = [positions(row) for row in rows]
    current_score = board.score()
    best, best_score = [list(c) for c in current], current_score
    evaluations = 0
    deltas = (-3, -2, -1, 1, 2, 3)
    move_deltas = np.array(deltas, dtype=np.int64)

    def render(cols: list[list[int]]) -> list[str]:
        return [layout(s, c, width) for s, c in zip(sequences, cols, strict=True)]

    while evaluations < max_evaluations and time.perf_counter() < deadline:
        gain, r, k, delta, tail, count = board.best_move(move_deltas)
        if count == 0:
            break
        evaluations += count
        if gain > 1e-9:
            new = move(current[r], k, delta, width, tail=tail)
            assert new is not None  # the kernel tried this very move
            current = list(current)
            current[r] = new
            board.place(r, new)
            current_score = board.score()
            if current_score > best_score + 1e-9:
                best, best_score = [list(c) for c in current], current_score
            continue
        # Local optimum: perturb the best layout with a few random moves.
        current = [list(c) for c in best]
        for _ in range(rng.randint(1, 3)):
            r = rng.randrange(len(current))
            if not current[r]:
                continue
            k = rng.randrange(len(current[r]))
            moved = move(current[r], k, rng.choice(deltas), width, tail=rng.random() < 0.5)
            if moved is not None:
                current[r] = moved
        for r, cols in enumerate(current):
            board.place(r, cols)
        current_score = board.score()
        evaluations += 1
    final = render(best)
    # Reported with the scorer that checks players' solutions, so par is its number.
    return Solved(final, score_window(final, scheme, flanks), start_score, evaluations)


# -- cutting puzzles ------------------------------------------------------------


@dataclass
class Puzzle:
    """One window of an alignment, ready to play."""

    names: list[str]
    sequences: list[str]  # each row's residues, in order
    start: list[str]  # the starting gapped layout, ``width`` columns
    width: int
    source_rows: list[int]  # which rows of the alignment (0-based)
    source_start: int  # the window's columns in the alignment: [start, end)
    source_end: int
    start_score: float
    par: float
    par_layout: list[str]
    level: str
    badness: float = 0.0
    meta: dict[str, Any] = field(default_factory=dict)
    #: The window's context in the alignment; its scores count gaps into the flanks.
    flanks: Flanks | None = None
    #: What the board shows around it (games.flanks.edge_text, context names).
    edges: dict[str, Any] | None = None

    @property
    def difficulty(self) -> float:
        """Grows with the number of pairs and the columns to arrange: 1.0 for
        a 4-row, 20-column board."""
        pairs = len(self.sequences) * (len(self.sequences) - 1) / 2
        return round(max(1.0, pairs / 6 * self.width / 20), 2)


def column_badness(rows: Sequence[str]) -> np.ndarray:
    """Per column, how unlikely it is to be right: the gap fraction plus one
    minus the frequency of its commonest letter among its letters."""
    array = np.array([list(row) for row in rows])
    n_rows, n_cols = array.shape
    out = np.zeros(n_cols)
    for c in range(n_cols):
        column = array[:, c]
        letters = column[column != GAP]
        gaps = 1 - len(letters) / n_rows
        if len(letters):
            _, counts = np.unique(letters, return_counts=True)
            conservation = counts.max() / len(letters)
        else:
            conservation = 1.0
        out[c] = gaps + (1 - conservation)
    return out


def pick_rows(window: Sequence[str], max_rows: int) -> list[int]:
    """Informative rows: drop rows without residues, then farthest-point
    selection by the share of differing columns, starting from the row with
    the most residues.  Keeps the alignment's order."""
    candidates = [i for i, row in enumerate(window) if residues(row)]
    if len(candidates) <= max_rows:
        return candidates
    chosen = [max(candidates, key=lambda i: (len(residues(window[i])), -i))]

    def distance(a: int, b: int) -> float:
        return sum(x != y for x, y in zip(window[a], window[b], strict=True)) / len(window[a])

    while len(chosen) < max_rows:
        rest = [i for i in candidates if i not in chosen]
        chosen.append(max(rest, key=lambda i: (min(distance(i, j) for j in chosen), -i)))
    return sorted(chosen)


def make_puzzle(
    source: Source,
    start: int,
    end: int,
    scheme: ScoringScheme,
    *,
    level: str = "beginner",
    rows: Sequence[int] | None = None,
    slack: int | None = None,
    time_limit: float = 1.0,
    seed: int = 0,
    evaluations: int = 6_000,
    context: bool = True,
) -> Puzzle | None:
    """The puzzle of columns [start, end) of ``source``, or None when
    fewer than two rows have :data:`MIN_RESIDUES` residues there.  The
    alignment's other rows with letters in the window are its fixed context
    (games/flanks.py), unless ``context`` is False."""
    max_rows = LEVELS[level][2]
    window = [row[start:end] for row in source.rows]
    chosen = list(rows) if rows is not None else pick_rows(window, max_rows)
    # A row with one or two residues in the window teaches nothing.
    chosen = [i for i in chosen if len(residues(window[i])) >= MIN_RESIDUES]
    if len(chosen) < 2:
        return None
    picked, flanks = cut_window(source.rows, start, end, chosen, context=context)
    natural = len(picked[0])
    extra = slack if slack is not None else max(2, math.ceil(natural * 0.15))
    width = natural + extra
    board = [row + GAP * extra for row in picked]
    others = list(flanks.order[len(chosen) :])
    left, right = edge_text(source.rows, start, end, chosen + others)
    edges = {"left": left, "right": right, "names": [source.names[i] for i in others]}
    solved = solve(
        board,
        scheme,
        time_limit=time_limit,
        seed=seed,
        max_evaluations=evaluations,
        flanks=flanks,
    )
    return Puzzle(
        names=[source.names[i] for i in chosen],
        sequences=[residues(row) for row in board],
        start=board,
        width=width,
        source_rows=chosen,
        source_start=start,
        source_end=end,
        start_score=solved.start_score,
        par=solved.score,
        par_layout=solved.rows,
        level=level,
        flanks=flanks,
        edges=edges,
    )


def cut_puzzles(
    source: Source,
    scheme: ScoringScheme,
    *,
    level: str = "beginner",
    window: int | None = None,
    limit: int = 10,
    time_limit: float = 1.0,
    seed: int = 0,
    max_tries: int | None = None,
    evaluations: int = 6_000,
    avoid: Sequence[tuple[int, int]] = (),
    badness: np.ndarray | None = None,
    context: bool = True,
) -> list[Puzzle]:
    """Up to ``limit`` non-overlapping puzzles from the windows most likely
    to be misaligned (highest mean :func:`column_badness`), each solved with
    ``evaluations`` scorings (deterministic) unless ``time_limit`` seconds
    run out first (a bound for slow machines), keeping only
    those the solver improves: par above the starting score, and the par
    layout spliced back raising the whole alignment's score.  (With the other
    rows as fixed context a puzzle's gain is the alignment's gain; the second
    condition guards puzzles cut with ``context=False``.)  At most ``max_tries`` windows
    (default ``max(24, 8 * limit)``) are solved, the worst-looking first,
    which bounds the time taken.  Windows overlapping any ``(start, end)``
    in ``avoid`` (puzzles already cut) are skipped.  ``badness`` (one value
    per column) replaces :func:`column_badness` for ranking, e.g. with
    :func:`games.aligners.untrusted_columns`."""
    from games.splice import splice

    low, high, _ = LEVELS[level]
    size = window or (low + high) // 2
    size = min(size, source.width)
    encode_rows(source.rows, scheme)  # fail early on letters the scheme cannot score
    if badness is None:
        badness = column_badness(source.rows)
    elif len(badness) != source.width:
        raise ValueError("one badness value per column of the alignment is needed")
    # Windows overlap by three quarters: where an alignment is good almost
    # everywhere, the few windows a player can really improve are narrow, and
    # a coarser grid steps over them.
    step = max(1, size // 4)
    starts = list(range(0, max(1, source.width - size + 1), step))
    if starts[-1] + size < source.width:
        starts.append(source.width - size)
    ranked = sorted(starts, key=lambda s: (-float(badness[s : s + size].mean()), s))
    full_score = score_alignment(source.rows, scheme)
    puzzles: list[Puzzle] = []
    taken: list[tuple[int, int]] = list(avoid)
    tries = 0
    for s in ranked:
        if len(puzzles) >= limit or tries >= (max_tries or max(24, 8 * limit)):
            break
        e = s + size
        if any(s < b and a < e for a, b in taken):
            continue
        tries += 1
        puzzle = make_puzzle(
            source,
            s,
            e,
            scheme,
            level=level,
            time_limit=time_limit,
            seed=seed + s,
            evaluations=evaluations,
            context=context,
        )
        if puzzle is None or puzzle.par <= puzzle.start_score + 1e-9:
            continue
        spliced = splice(source.rows, s, e, puzzle.source_rows, puzzle.par_layout)
        gain = score_alignment(spliced, scheme) - full_score
        if gain <= 1e-9:
            continue
        puzzle.meta["full_gain"] = gain
        puzzle.badness = float(badness[s:e].mean())
        puzzles.append(puzzle)
        taken.append((s, e))
    return sorted(puzzles, key=lambda p: p.source_start)
