"""What the players did for a research alignment: per-puzzle before and
after, the improved alignment in three formats, and who is credited where.

Services here take a session and never commit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from games.export import FORMATS, ExportError, check_same_sequences, credit_csv, write_alignment
from games.puzzles import scheme_for
from games.scoring import score_alignment
from portal.errors import NotFound, ServiceError
from portal.play.models import AlignmentChange, AlignmentSource, Puzzle, Solution


@dataclass(frozen=True)
class PuzzleLine:
    puzzle: Puzzle
    columns: str  # 1-based, inclusive, in the original alignment
    start_score: float
    par: float
    best: float | None
    solutions: int
    players: int
    spliced: bool

    @property
    def improved(self) -> bool:
        return self.best is not None and self.best > self.start_score + 1e-9

    @property
    def gain(self) -> float:
        return 0.0 if self.best is None else max(0.0, self.best - self.start_score)


@dataclass(frozen=True)
class CreditLine:
    change: AlignmentChange
    solution: Solution | None
    puzzle: Puzzle | None

    @property
    def gain(self) -> float:
        return self.change.score_after - self.change.score_before

    def to_dict(self) -> dict:
        solution, puzzle = self.solution, self.puzzle
        return {
            "puzzle_id": puzzle.id if puzzle else "",
            "puzzle": puzzle.title if puzzle else "",
            "player": solution.nickname if solution else "(deleted solution)",
            "solution_id": solution.id if solution else "",
            "columns": f"{self.change.start_column + 1}-{self.change.end_column}",
            "score_before": f"{self.change.score_before:g}",
            "score_after": f"{self.change.score_after:g}",
            "gain": f"{self.gain:g}",
            "points": solution.points if solution else 0,
        }


@dataclass
class Report:
    alignment: AlignmentSource
    score_before: float
    score_after: float
    puzzles: list[PuzzleLine] = field(default_factory=list)
    credits: list[CreditLine] = field(default_factory=list)

    @property
    def improved_puzzles(self) -> int:
        return sum(line.improved for line in self.puzzles)


def list_alignments(session: Session) -> list[AlignmentSource]:
    return list(session.scalars(select(AlignmentSource).order_by(AlignmentSource.title)))


def get_alignment(session: Session, slug: str) -> AlignmentSource:
    found = session.scalar(select(AlignmentSource).where(AlignmentSource.slug == slug))
    if found is None:
        raise NotFound(f"There is no alignment called {slug!r}.")
    return found


def original_rows(alignment: AlignmentSource) -> list[str]:
    return alignment.original_rows


def improved_rows(alignment: AlignmentSource) -> list[str]:
    """The current rows, checked to hold every original sequence unchanged."""
    rows = alignment.rows
    check_same_sequences(original_rows(alignment), rows)
    return rows


def report(session: Session, alignment: AlignmentSource) -> Report:
    scheme = scheme_for(alignment.kind)
    out = Report(
        alignment,
        score_alignment(original_rows(alignment), scheme),
        score_alignment(improved_rows(alignment), scheme),
    )
    changes = list(
        session.scalars(
            select(AlignmentChange)
            .where(AlignmentChange.alignment_id == alignment.id)
            .order_by(AlignmentChange.start_column, AlignmentChange.id)
        )
    )
    spliced = {change.solution_id for change in changes}
    puzzles = sorted(alignment.puzzles, key=lambda p: (p.source_start, p.id))
    stats = {
        pid: (best, count, players)
        for pid, best, count, players in session.execute(
            select(
                Solution.puzzle_id,
                func.max(Solution.score),
                func.count(Solution.id),
                func.count(func.distinct(Solution.player_key)),
            )
            .where(Solution.puzzle_id.in_([p.id for p in puzzles]))
            .group_by(Solution.puzzle_id)
        )
    }
    solutions = {
        s.id: s
        for s in session.scalars(
            select(Solution).where(Solution.id.in_([sid for sid in spliced if sid is not None]))
        )
    }
    for puzzle in puzzles:
        best, count, players = stats.get(puzzle.id, (None, 0, 0))
        out.puzzles.append(
            PuzzleLine(
                puzzle,
                f"{puzzle.source_start + 1}-{puzzle.source_end}",
                puzzle.start_score,
                puzzle.par,
                None if best is None else float(best),
                count,
                players,
                any(s.puzzle_id == puzzle.id for s in solutions.values()),
            )
        )
    by_id = {p.id: p for p in puzzles}
    for change in changes:
        solution = solutions.get(change.solution_id) if change.solution_id is not None else None
        out.credits.append(
            CreditLine(change, solution, by_id.get(solution.puzzle_id) if solution else None)
        )
    return out


def download(alignment: AlignmentSource, fmt: str, which: str = "improved") -> tuple[str, str]:
    """(file name, text) of the improved or original alignment in ``fmt``."""
    if fmt not in FORMATS:
        raise ServiceError(f"format is one of {', '.join(FORMATS)}", field="format")
    if which not in ("improved", "original"):
        raise ServiceError("version is 'improved' or 'original'", field="version")
    rows = improved_rows(alignment) if which == "improved" else original_rows(alignment)
    try:
        text = write_alignment(alignment.names, rows, fmt)
    except ExportError as error:
        raise ServiceError(str(error), status=500, code="export_failed") from None
    return f"{alignment.slug}.{which}.{FORMATS[fmt][1]}", text


def credits_csv(result: Report) -> str:
    return credit_csv(line.to_dict() for line in result.credits)


def contributions(
    session: Session, user_id: int
) -> list[tuple[AlignmentChange, Solution, AlignmentSource]]:
    """The user's solutions spliced into research alignments, with where."""
    return [
        (change, solution, source)
        for change, solution, source in session.execute(
            select(AlignmentChange, Solution, AlignmentSource)
            .join(Solution, AlignmentChange.solution_id == Solution.id)
            .join(AlignmentSource, AlignmentChange.alignment_id == AlignmentSource.id)
            .where(Solution.user_id == user_id)
            .order_by(AlignmentSource.title, AlignmentChange.start_column)
        )
    ]


def _status(line: PuzzleLine) -> str:
    if line.spliced:
        return "spliced in"
    return "improved" if line.improved else "not improved yet"


def window_dicts(result: Report) -> list[dict[str, Any]]:
    """One entry per puzzle window: where it is, its score as imported and
    the players' best, and the players credited for it."""
    credited: dict[int, list[str]] = {}
    for credit in result.credits:
        if credit.puzzle is not None and credit.solution is not None:
            credited.setdefault(credit.puzzle.id, []).append(credit.solution.nickname)
    return [
        {
            "puzzle_id": line.puzzle.id,
            "puzzle": line.puzzle.title,
            "level": line.puzzle.level,
            "columns": line.columns,
            "rows": len(line.puzzle.sequences),
            "score_before": line.start_score,
            "par": line.par,
            "best": line.best,
            "gain": line.gain,
            "solutions": line.solutions,
            "players": line.players,
            "status": _status(line),
            "credited_players": credited.get(line.puzzle.id, []),
        }
        for line in result.puzzles
    ]


def report_json(result: Report) -> dict[str, Any]:
    """The whole report: the alignment's score before and after, every
    window, and every spliced solution with its player."""
    alignment = result.alignment
    return {
        "alignment": alignment.slug,
        "title": alignment.title,
        "kind": alignment.kind,
        "sequences": len(alignment.names),
        "columns": len(alignment.rows[0]) if alignment.rows else 0,
        "source": alignment.source,
        "score_before": result.score_before,
        "score_after": result.score_after,
        "improved_puzzles": result.improved_puzzles,
        "windows": window_dicts(result),
        "credits": [credit.to_dict() for credit in result.credits],
    }


REPORT_COLUMNS = [
    "puzzle_id",
    "puzzle",
    "level",
    "columns",
    "rows",
    "score_before",
    "par",
    "best",
    "gain",
    "solutions",
    "players",
    "status",
    "credited_players",
]


def report_csv(result: Report) -> str:
    """The windows as CSV, one line each; credited players joined by '; '."""
    # Titles and nicknames are typed by people: the writer that neutralises
    # spreadsheet formulas writes them.
    from datasets.cells import dict_csv_text

    lines = []
    for window in window_dicts(result):
        line = {key: "" if value is None else value for key, value in window.items()}
        line["credited_players"] = "; ".join(window["credited_players"])
        for key in ("score_before", "par", "best", "gain"):
            if window[key] is not None:
                line[key] = f"{window[key]:g}"
        lines.append(line)
    return dict_csv_text(REPORT_COLUMNS, lines)
