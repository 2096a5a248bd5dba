"""The whole game loop, offline: cut puzzles, let simulated players solve
them, build each window's consensus, splice, and measure.

Simulated players are the par solver with their own random seed, a budget of
evaluations drawn from a skill between 0.2 and 1, and noise: a less skilled
player's final layout gets a few random moves, which it keeps only when they
do not lose (a person stops when the score stops rising).  Per window, the
consensus of the near-best solutions (:mod:`games.consensus`), polished by
one more climb from it, is spliced when it beats the best single solution,
else the best single solution; a splice
is kept only if the whole alignment's score rises
(:func:`games.splice.apply_solutions`).

The figures, as the issue names them: windows *offered* (windows where par
beats the start and transfers), windows *improved* (the best player's
solution beats the start: Phylo's measure), the *transfer rate* (of the
solutions that beat the start, the share that raise the whole alignment's
score when spliced into it on their own), and, given a reference, SP /
modeler / TC accuracy before and after.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from games.accuracy import compare
from games.consensus import Played, build_consensus
from games.flanks import score_window
from games.puzzles import Source, cut_puzzles, layout, move, positions, residues, solve
from games.scheme import ScoringScheme
from games.scoring import score_alignment
from games.splice import Candidate, apply_solutions, splice


@dataclass
class Window:
    start: int
    end: int
    rows: int
    start_score: float
    par: float
    best_single: float
    consensus: float
    consensus_beats_best: bool
    improved: bool
    solutions_beating_start: int
    solutions_transferring: int
    contributors: list[Any]
    agreement: list[float | None]


@dataclass
class Outcome:
    score_before: float
    score_after: float
    windows_offered: int
    windows_improved: int
    beating_start: int
    transferring: int
    consensus_used: int
    consensus_better: int
    spliced: int
    rows: list[str]
    windows: list[Window] = field(default_factory=list)
    accuracy_before: dict[str, Any] | None = None
    accuracy_after: dict[str, Any] | None = None

    @property
    def transfer_rate(self) -> float | None:
        return self.transferring / self.beating_start if self.beating_start else None

    def to_dict(self, *, with_rows: bool = False) -> dict[str, Any]:
        out = asdict(self)
        out["transfer_rate"] = self.transfer_rate
        if not with_rows:
            out.pop("rows")
        return out


def play(
    start: Sequence[str],
    scheme: ScoringScheme,
    flanks: Any,
    rng: random.Random,
    *,
    budget: int,
) -> list[str]:
    """One simulated player's final layout."""
    skill = rng.uniform(0.2, 1.0)
    solved = solve(
        start,
        scheme,
        flanks=flanks,
        seed=rng.randrange(1 << 30),
        max_evaluations=max(200, int(budget * skill)),
        time_limit=5.0,
    )
    rows = list(solved.rows)
    score = solved.score
    width = len(rows[0])
    for _ in range(int((1 - skill) * 6)):
        r = rng.randrange(len(rows))
        cols = positions(rows[r])
        if not cols:
            continue
        new = move(
            cols,
            rng.randrange(len(cols)),
            rng.choice((-2, -1, 1, 2)),
            width,
            tail=rng.random() < 0.3,
        )
        if new is None:
            continue
        trial = list(rows)
        trial[r] = layout(residues(rows[r]), new, width)
        trial_score = score_window(trial, scheme, flanks)
        if trial_score >= score - 1e-9:
            rows, score = trial, trial_score
    return rows


def _consistent(rows: list[str], candidate: Candidate, others: Sequence[Sequence[str]]) -> bool:
    """Whether splicing ``candidate`` makes ``rows`` share more of each other
    alignment's aligned residue pairs."""
    spliced = splice(rows, candidate.start, candidate.end, candidate.rows, candidate.solution)
    return all(compare(spliced, other).sp > compare(rows, other).sp + 1e-12 for other in others)


def improve(
    source: Source,
    scheme: ScoringScheme,
    *,
    players: int = 10,
    budget: int = 4_000,
    limit: int = 12,
    level: str = "beginner",
    badness: np.ndarray | None = None,
    reference: Sequence[str] | None = None,
    reference_names: Sequence[str] | None = None,
    seed: int = 0,
    flank_aware: bool = True,
    others: Sequence[Sequence[str]] = (),
) -> Outcome:
    """Runs the loop once over ``source`` and reports what it did.
    ``flank_aware=False`` lets the players score windows as if cut out of
    nothing (the rule before flanks), to measure what flanks change."""
    rows = list(source.rows)
    before = score_alignment(rows, scheme)
    puzzles = cut_puzzles(
        source, scheme, level=level, limit=limit, badness=badness, seed=seed, time_limit=5.0
    )
    rng = random.Random(seed)
    windows: list[Window] = []
    candidates: list[Candidate] = []
    beating = transferring = consensus_better = 0
    for puzzle in puzzles:
        flanks = puzzle.flanks if flank_aware else None
        start_score = score_window(puzzle.start, scheme, flanks)
        played = []
        beats = moves = 0
        for p in range(players):
            layout_rows = play(puzzle.start, scheme, flanks, rng, budget=budget)
            score = score_window(layout_rows, scheme, flanks)
            played.append(Played(layout_rows, score, player=f"player{p + 1}"))
            if score > start_score + 1e-9:
                beats += 1
                spliced = splice(
                    rows, puzzle.source_start, puzzle.source_end, puzzle.source_rows, layout_rows
                )
                moves += score_alignment(spliced, scheme) > before + 1e-9
        beating += beats
        transferring += moves
        consensus = build_consensus(played, scheme, flanks)
        # As Borderlands realigns against its consensus: one more climb from it.
        polished = solve(
            consensus.rows,
            scheme,
            flanks=flanks,
            seed=rng.randrange(1 << 30),
            max_evaluations=budget,
            time_limit=5.0,
        )
        consensus_rows, consensus_score = consensus.rows, consensus.score
        if polished.score > consensus_score + 1e-9:
            consensus_rows, consensus_score = polished.rows, polished.score
        beats_best = consensus_score > consensus.best.score + 1e-9
        consensus_better += beats_best
        window_candidates = []
        if beats_best:
            window_candidates.append(
                Candidate(
                    puzzle.source_start,
                    puzzle.source_end,
                    puzzle.source_rows,
                    consensus_rows,
                    label=("consensus", puzzle.source_start),
                )
            )
        window_candidates.append(
            Candidate(
                puzzle.source_start,
                puzzle.source_end,
                puzzle.source_rows,
                consensus.best.rows,
                label=("best", puzzle.source_start),
            )
        )
        candidates.extend(window_candidates)
        windows.append(
            Window(
                start=puzzle.source_start,
                end=puzzle.source_end,
                rows=len(puzzle.source_rows),
                start_score=start_score,
                par=puzzle.par,
                best_single=consensus.best.score,
                consensus=consensus_score,
                consensus_beats_best=beats_best,
                improved=consensus.best.score > start_score + 1e-9,
                solutions_beating_start=beats,
                solutions_transferring=moves,
                contributors=list(consensus.contributors),
                agreement=consensus.agreement,
            )
        )
    if others:
        candidates = [c for c in candidates if _consistent(rows, c, others)]
    report = apply_solutions(rows, candidates, scheme)
    used = sum(1 for change in report.changes if change.label[0] == "consensus")
    outcome = Outcome(
        score_before=before,
        score_after=report.after,
        windows_offered=len(puzzles),
        windows_improved=sum(w.improved for w in windows),
        beating_start=beating,
        transferring=transferring,
        consensus_used=used,
        consensus_better=consensus_better,
        spliced=len(report.changes),
        rows=report.rows,
        windows=windows,
    )
    if reference is not None:
        names = source.names
        outcome.accuracy_before = compare(
            rows, reference, estimate_names=names, reference_names=reference_names
        ).to_dict()
        outcome.accuracy_after = compare(
            report.rows, reference, estimate_names=names, reference_names=reference_names
        ).to_dict()
    return outcome
