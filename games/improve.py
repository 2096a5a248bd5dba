"""The whole game loop, offline: cut puzzles, let simulated players solve
them, build each window's consensus, splice, and measure.

Simulated players are the par solver with their own random seed, a budget of
evaluations drawn from a skill between 0.2 and 1, and noise: a less skilled
player's final layout gets a few random moves, which it keeps only when they
do not lose (a person stops when the score stops rising).  Per window, the
candidates are, best first: the consensus of the near-best solutions
(:mod:`games.consensus`) polished by one more climb from it, when it beats
the best single solution; the best single solution; every other solution
that beats the start; and, with ``aligner_players``, each other aligner's
layout of the whole window (:func:`games.aligners.project_window`).
:func:`choose_splices` splices per window the candidate that raises the
whole alignment's score and, given other aligners' alignments, raises the
agreement with them by the chosen ``rule``.

The figures, as the issue names them: windows *offered* (windows where par
beats the start and transfers), windows *improved* (the best player's
solution beats the start: Phylo's measure), the *transfer rate* (of the
solutions that beat the start, the share that raise the whole alignment's
score when spliced into it on their own), and, given a reference, SP /
modeler / TC accuracy before and after.  The reference is read only to
measure, after every choice is made.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from games.accuracy import compare
from games.aligners import confirmed_pairs, project_window, untrusted_columns
from games.consensus import Played, build_consensus
from games.flanks import score_window
from games.puzzles import (
    Source,
    cut_puzzles,
    layout,
    move,
    positions,
    residues,
    solve,
    source_from_rows,
)
from games.scheme import ScoringScheme
from games.scoring import score_alignment
from games.splice import Candidate, Change, SpliceReport, splice
from games.weights import henikoff_weights


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
    aligner_used: int = 0
    #: Rounds of cut, play and splice run: fewer than asked when one spliced nothing.
    rounds_run: int = 0
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


#: How :func:`choose_splices` judges agreement with other aligners.
RULES = ("each", "independent", "confirmed", "most")


@dataclass
class WindowCandidates:
    start: int
    end: int
    rows: list[int]
    candidates: list[Candidate]
    #: Per candidate, the index in ``others`` of the aligner that proposed it.
    proposed_by: list[int | None] = field(default_factory=list)


def _objective(
    scheme: ScoringScheme, weights: np.ndarray | None
) -> Callable[[Sequence[str]], float]:
    def score(rows: Sequence[str]) -> float:
        return score_alignment(rows, scheme, weights)

    return score


def choose_splices(
    rows: Sequence[str],
    choices: Sequence[WindowCandidates],
    objective: Callable[[Sequence[str]], float],
    others: Sequence[Sequence[str]],
    *,
    rule: str = "each",
) -> SpliceReport:
    """Per window (right-most first, so the columns of those to its left stay
    valid), the candidate to splice, if any: it must raise ``objective``, and
    with ``others`` the residue pairs it shares with them
    (:func:`games.aligners.shared_pairs`) must rise too.

    * ``"each"``: the first candidate (best first) that shares more pairs
      with every other alignment;
    * ``"independent"``: the candidate that shares more pairs with every
      other alignment except the one that proposed it (a layout copied from
      an aligner agrees more with that aligner by construction, so only the
      others can confirm it), taking the largest mean gain over those;
    * ``"confirmed"``: the candidate that most raises the pairs that every
      other alignment aligns too (:func:`games.aligners.confirmed_pairs`);
    * ``"most"``: the candidate that raises the pairs shared with all of
      them together the most.

    Without ``others``, the first candidate that raises the objective, as
    :func:`games.splice.apply_solutions` does."""
    if rule not in RULES:
        raise ValueError(f"unknown rule {rule!r}; expected one of {', '.join(RULES)}")
    current = list(rows)
    score = objective(current)
    report = SpliceReport(current, score, score)
    shared = [compare(current, other).shared_pairs for other in others]
    confirmed = confirmed_pairs(current, others) if others else 0
    for choice in sorted(choices, key=lambda c: (-c.start, -c.end)):
        best: tuple[float, float] | None = None
        kept: tuple[Candidate, list[str], float, list[int]] | None = None
        for n, candidate in enumerate(choice.candidates):
            trial = splice(
                current, candidate.start, candidate.end, candidate.rows, candidate.solution
            )
            trial_score = objective(trial)
            if trial_score <= score + 1e-9:
                continue
            trial_shared = [compare(trial, other).shared_pairs for other in others]
            gains = [t - s for t, s in zip(trial_shared, shared, strict=True)]
            proposer = choice.proposed_by[n] if choice.proposed_by else None
            if rule == "confirmed":
                trial_confirmed = confirmed_pairs(trial, others) if others else 0
                if others and trial_confirmed <= confirmed:
                    continue
                key = (float(trial_confirmed), trial_score)
            elif rule == "most":
                if others and sum(gains) <= 0:
                    continue
                key = (float(sum(gains)), trial_score)
            else:
                judges = [g for k, g in enumerate(gains) if rule == "each" or k != proposer]
                if (others and not judges) or not all(g > 0 for g in judges):
                    continue
                if rule == "each" or not others:
                    key = (0.0, 0.0)  # the first that passes
                else:
                    key = (sum(judges) / len(judges), trial_score)
            if best is None or key > best:
                best, kept = key, (candidate, trial, trial_score, trial_shared)
            if not others or key == (0.0, 0.0):
                break
        if kept is None:
            report.rejected.extend(c.label for c in choice.candidates)
            continue
        candidate, trial, trial_score, trial_shared = kept
        report.changes.append(Change.kept(candidate, current, trial, score, trial_score))
        current, score, shared = trial, trial_score, trial_shared
        if rule == "confirmed" and others:
            confirmed = confirmed_pairs(current, others)
    report.rows, report.after = current, score
    return report


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
    rounds: int = 2,
    weighted: bool = False,
    aligner_players: bool = False,
    rule: str = "each",
) -> Outcome:
    """Runs the loop over ``source`` and reports what it did.
    ``flank_aware=False`` lets the players score windows as if cut out of
    nothing (the rule before flanks), to measure what flanks change.
    ``others`` (other aligners' alignments of the same sequences) make a
    splice count only if it also agrees more with them; with
    ``aligner_players`` each of them also plays every window (its own
    layout of the window's residues, and that layout climbed).
    ``weighted`` scores splices with Henikoff weights
    (:mod:`games.weights`).  ``rounds`` repeats cut, play and splice on the
    alignment the previous round left.  ``reference`` is only measured
    against, after everything is chosen."""
    rows = list(source.rows)
    weights = henikoff_weights(rows) if weighted else None
    objective = _objective(scheme, weights)
    before = score_alignment(rows, scheme)
    rng = random.Random(seed)
    windows: list[Window] = []
    counts = Counter[str]()
    current = rows
    if rounds < 1:
        raise ValueError(f"rounds must be at least 1, not {rounds}")
    rounds_run = 0
    for round_ in range(rounds):
        rounds_run += 1
        if round_ and others and badness is not None:
            badness = untrusted_columns(current, others)
        elif round_:
            badness = None
        choices = _play_round(
            source_from_rows(source.names, current),
            scheme,
            rng,
            counts,
            windows,
            players=players,
            budget=budget,
            limit=limit,
            level=level,
            badness=badness,
            seed=seed + round_,
            flank_aware=flank_aware,
            others=others if aligner_players else (),
        )
        report = choose_splices(current, choices, objective, others, rule=rule)
        counts["spliced"] += len(report.changes)
        counts["consensus_used"] += sum(1 for c in report.changes if c.label[0] == "consensus")
        counts["aligner_used"] += sum(1 for c in report.changes if c.label[0] == "aligner")
        current = report.rows
        if not report.changes:
            break
    outcome = Outcome(
        score_before=before,
        score_after=score_alignment(current, scheme),
        windows_offered=len(windows),
        windows_improved=sum(w.improved for w in windows),
        beating_start=counts["beating"],
        transferring=counts["transferring"],
        consensus_used=counts["consensus_used"],
        consensus_better=counts["consensus_better"],
        spliced=counts["spliced"],
        rows=current,
        windows=windows,
        aligner_used=counts["aligner_used"],
        rounds_run=rounds_run,
    )
    if reference is not None:
        names = source.names
        outcome.accuracy_before = compare(
            rows, reference, estimate_names=names, reference_names=reference_names
        ).to_dict()
        outcome.accuracy_after = compare(
            current, reference, estimate_names=names, reference_names=reference_names
        ).to_dict()
    return outcome


def _play_round(
    source: Source,
    scheme: ScoringScheme,
    rng: random.Random,
    counts: Counter[str],
    windows: list[Window],
    *,
    players: int,
    budget: int,
    limit: int,
    level: str,
    badness: np.ndarray | None,
    seed: int,
    flank_aware: bool,
    others: Sequence[Sequence[str]],
) -> list[WindowCandidates]:
    """Cuts puzzles from ``source``, lets the players play them, and returns
    each window's candidates, best first: the consensus when it beats the
    best single solution, the best single solution, the other solutions
    that beat the start, and the other aligners' layouts."""
    rows = list(source.rows)
    before = score_alignment(rows, scheme)
    puzzles = cut_puzzles(
        source, scheme, level=level, limit=limit, badness=badness, seed=seed, time_limit=5.0
    )
    choices = []
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
        counts["beating"] += beats
        counts["transferring"] += moves
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
        counts["consensus_better"] += beats_best
        chosen = list(puzzle.source_rows)
        layouts: list[tuple[tuple[str, int], list[str], list[int], int | None]] = []
        if beats_best:
            layouts.append((("consensus", puzzle.source_start), consensus_rows, chosen, None))
        layouts.append((("best", puzzle.source_start), consensus.best.rows, chosen, None))
        for solution in sorted(played, key=lambda s: -s.score):
            if solution.score > start_score + 1e-9:
                layouts.append((("player", puzzle.source_start), solution.rows, chosen, None))
        every_row = list(range(len(rows)))
        for k, other in enumerate(others):
            # The other aligner's layout of the whole window, every row: a
            # layout of the puzzle's rows alone would clash with the rows
            # left out, which stay as they were.
            projected = project_window(
                rows, other, puzzle.source_start, puzzle.source_end, every_row
            )
            layouts.append((("aligner", puzzle.source_start), projected, every_row, k))
        unique: dict[tuple[tuple[int, ...], tuple[str, ...]], tuple[Candidate, int | None]] = {}
        for label, layout_rows, which, proposer in layouts:
            unique.setdefault(
                (tuple(which), tuple(layout_rows)),
                (
                    Candidate(
                        puzzle.source_start, puzzle.source_end, which, layout_rows, label=label
                    ),
                    proposer,
                ),
            )
        choices.append(
            WindowCandidates(
                puzzle.source_start,
                puzzle.source_end,
                chosen,
                [c for c, _ in unique.values()],
                [k for _, k in unique.values()],
            )
        )
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
    return choices
