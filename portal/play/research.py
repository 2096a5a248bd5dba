"""What the players did for a research alignment: per-puzzle before and
after, how strongly players agree per column of each window, the improved
alignment in three formats, and who is credited where, with their share.

Services here take a session and never commit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from datasets.cells import dict_csv_text
from games.export import FORMATS, ExportError, check_same_sequences, write_alignment
from games.puzzles import scheme_for
from games.scoring import score_alignment
from portal.errors import NotFound, ServiceError
from portal.play.models import (
    AlignmentChange,
    AlignmentCredit,
    AlignmentSource,
    Puzzle,
    Solution,
    WindowConsensus,
)
from portal.play.splicing import in_words as splicing_words


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
    """One player credited for one change of the alignment."""

    change: AlignmentChange
    credit: AlignmentCredit
    solution: Solution | None
    puzzle: Puzzle | None

    @property
    def gain(self) -> float:
        return self.change.score_after - self.change.score_before

    def to_dict(self) -> dict:
        solution, puzzle, change = self.solution, self.puzzle, self.change
        return {
            "puzzle_id": puzzle.id if puzzle else "",
            "puzzle": puzzle.title if puzzle else "",
            "player": self.credit.nickname,
            "solution_id": solution.id if solution else "",
            "columns": f"{change.start_column + 1}-{change.end_column}",
            "method": change.method,
            "solutions_in_consensus": change.kept,
            "share_of_votes": round(self.credit.share, 4),
            "score_before": f"{change.score_before:g}",
            "score_after": f"{change.score_after:g}",
            "gain": f"{self.gain:g}",
            "points": solution.points if solution else 0,
        }


CREDIT_COLUMNS = [
    "puzzle_id",
    "puzzle",
    "player",
    "solution_id",
    "columns",
    "method",
    "solutions_in_consensus",
    "share_of_votes",
    "score_before",
    "score_after",
    "gain",
    "points",
]

#: Agreement at or above the first is strong, at or above the second partial.
STRONG, PARTIAL = 0.8, 0.5


def level(share: float | None) -> str:
    if share is None:
        return "empty"
    return "strong" if share >= STRONG - 1e-9 else "partial" if share >= PARTIAL - 1e-9 else "weak"


@dataclass(frozen=True)
class WindowLine:
    """How strongly the players who voted on one window agree, per board column."""

    puzzle: Puzzle
    window: WindowConsensus
    spliced: str  # "consensus", "best" or "" (nothing of this window is in the alignment)

    @property
    def levels(self) -> list[str]:
        return [level(share) for share in self.window.agreement]

    def count(self, which: str) -> int:
        return self.levels.count(which)

    @property
    def mean(self) -> float | None:
        shares = [s for s in self.window.agreement if s is not None]
        return sum(shares) / len(shares) if shares else None

    @property
    def in_plain_words(self) -> str:
        w = self.window
        voters = "1 player's solution" if w.kept == 1 else f"{w.kept} players' solutions"
        filled = len(w.agreement) - self.count("empty")
        words = (
            f"{voters} near the best voted. Of the {filled} columns holding letters,"
            f" players agree strongly on {self.count('strong')}, partly on"
            f" {self.count('partial')} and weakly on {self.count('weak')}."
        )
        if self.spliced == "consensus":
            words += " Their consensus beat the best single solution and is in the alignment."
        elif self.spliced == "best":
            words += " The best single solution is in the alignment."
        return words

    def to_dict(self) -> dict:
        return {
            "puzzle_id": self.puzzle.id,
            "columns": f"{self.puzzle.source_start + 1}-{self.puzzle.source_end}",
            "solutions_voting": self.window.kept,
            "consensus_score": self.window.score,
            "best_single_score": self.window.best_score,
            "spliced": self.spliced or None,
            "agreement": self.window.agreement,
            "levels": self.levels,
            "in_plain_words": self.in_plain_words,
        }


@dataclass
class Report:
    alignment: AlignmentSource
    score_before: float
    score_after: float
    puzzles: list[PuzzleLine] = field(default_factory=list)
    changes: list[AlignmentChange] = field(default_factory=list)
    credits: list[CreditLine] = field(default_factory=list)
    windows: list[WindowLine] = field(default_factory=list)

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
    out.changes = changes
    spliced = {change.puzzle_id: change.method for change in changes}
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
                puzzle.id in spliced,
            )
        )
    by_id = {p.id: p for p in puzzles}
    credits = list(
        session.execute(
            select(AlignmentCredit, Solution)
            .outerjoin(Solution, AlignmentCredit.solution_id == Solution.id)
            .where(AlignmentCredit.change_id.in_([c.id for c in changes]))
            .order_by(AlignmentCredit.share.desc(), AlignmentCredit.id)
        )
    )
    by_change: dict[int, list] = {}
    for credit, solution in credits:
        by_change.setdefault(credit.change_id, []).append((credit, solution))
    for change in changes:
        of = by_id.get(change.puzzle_id) if change.puzzle_id is not None else None
        for credit, solution in by_change.get(change.id, []):
            out.credits.append(CreditLine(change, credit, solution, of))
    for window in session.scalars(
        select(WindowConsensus).where(WindowConsensus.alignment_id == alignment.id)
    ):
        if window.puzzle_id in by_id:
            out.windows.append(
                WindowLine(by_id[window.puzzle_id], window, spliced.get(window.puzzle_id, ""))
            )
    out.windows.sort(key=lambda line: (line.puzzle.source_start, line.puzzle.id))
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
    """One line per player credited for each change, with their share of the votes."""
    return dict_csv_text(CREDIT_COLUMNS, (line.to_dict() for line in result.credits))


AGREEMENT_COLUMNS = ["puzzle_id", "columns", "board_column", "agreement", "level"]


def agreement_csv(result: Report) -> str:
    """One line per board column of each window: the share of voting players
    who put its letters there."""
    return dict_csv_text(
        AGREEMENT_COLUMNS,
        (
            {
                "puzzle_id": line.puzzle.id,
                "columns": f"{line.puzzle.source_start + 1}-{line.puzzle.source_end}",
                "board_column": index + 1,
                "agreement": "" if share is None else round(share, 4),
                "level": level(share),
            }
            for line in result.windows
            for index, share in enumerate(line.window.agreement)
        ),
    )


@dataclass(frozen=True)
class Contribution:
    """What one of a player's solutions changed in a research alignment."""

    change: AlignmentChange
    credit: AlignmentCredit
    alignment: AlignmentSource

    @property
    def in_words(self) -> str:
        return splicing_words(self.change)


def contributions(session: Session, user_id: int) -> list[Contribution]:
    """Where the user's solutions are in research alignments, alone or in a consensus."""
    return [
        Contribution(change, credit, source)
        for change, credit, source in session.execute(
            select(AlignmentChange, AlignmentCredit, AlignmentSource)
            .join(AlignmentCredit, AlignmentCredit.change_id == AlignmentChange.id)
            .join(AlignmentSource, AlignmentChange.alignment_id == AlignmentSource.id)
            .where(AlignmentCredit.user_id == user_id)
            .order_by(AlignmentSource.title, AlignmentChange.start_column)
        )
    ]


def _status(line: PuzzleLine) -> str:
    if line.spliced:
        return "spliced in"
    return "improved" if line.improved else "not improved yet"


def window_dicts(result: Report) -> list[dict[str, Any]]:
    """One entry per puzzle window: where it is, its score as imported and
    the players' best, the players credited for it, and the players'
    consensus with its agreement per column once anyone has voted."""
    consensus = {line.puzzle.id: line.to_dict() for line in result.windows}
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
            "consensus": consensus.get(line.puzzle.id),
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
