"""Slow, obviously correct sum-of-pairs scoring: the reference that every fast
kernel in games/ is checked against.  It reads the scheme's fields directly and
walks every pair of rows column by column, exactly as the definition says."""

from __future__ import annotations

from collections.abc import Sequence

from games.scheme import ScoringScheme

GAP = "-"


def substitution(scheme: ScoringScheme, target: str, query: str) -> float:
    if scheme.matrix is not None:
        alphabet = scheme.alphabet
        return scheme.matrix[alphabet.index(target)][alphabet.index(query)]
    if scheme.wildcard is not None and scheme.wildcard in (target, query):
        return 0.0
    return scheme.match_score if target == query else scheme.mismatch_score


def gap_score(scheme: ScoringScheme, direction: str, position: str, kind: str) -> float:
    return getattr(scheme, f"{kind}_{position}_{direction}_score")


def pair_score(target: str, query: str, scheme: ScoringScheme, state: list[str | None]) -> float:
    """Score of rows ``target`` (the earlier row) and ``query`` as a pairwise
    alignment.  ``state[0]`` is the kind of the previous step ("diagonal",
    "insertion" or "deletion"); callers pass a fresh ``[None]`` per pair,
    except the Biopython model below."""
    letters = {"target": len(target) - target.count(GAP), "query": len(query) - query.count(GAP)}
    consumed = {"target": 0, "query": 0}
    total = 0.0
    for t, q in zip(target, query, strict=True):
        if t == GAP and q == GAP:
            continue  # a column where both rows are gaps is not part of the pair
        if t != GAP and q != GAP:
            total += substitution(scheme, t, q)
            step = "diagonal"
        else:
            gapped = "target" if t == GAP else "query"
            step = "insertion" if gapped == "target" else "deletion"
            if consumed[gapped] == 0:
                position = "left"  # the gapped row has not started yet
            elif consumed[gapped] == letters[gapped]:
                position = "right"  # the gapped row has ended
            else:
                position = "internal"
            kind = "extend" if state[0] == step else "open"
            total += gap_score(scheme, step, position, kind)
        state[0] = step
        consumed["target"] += t != GAP
        consumed["query"] += q != GAP
    return total


def naive_score(
    rows: Sequence[str], scheme: ScoringScheme, weights: Sequence[float] | None = None
) -> float:
    """The sum-of-pairs score by definition: every pair scored on its own."""
    total = 0.0
    for i in range(len(rows)):
        for j in range(i + 1, len(rows)):
            weight = 1.0 if weights is None else weights[i] * weights[j]
            total += weight * pair_score(rows[i], rows[j], scheme, [None])
    return total


def biopython_counts_model(rows: Sequence[str], scheme: ScoringScheme) -> float:
    """What ``Alignment.counts(aligner).score`` of Biopython 1.88 returns.

    Identical to :func:`naive_score` except that the previous-step state is
    *not* reset between pairs (it lives outside the pair loops in
    Bio/Align/_alignmentcounts.c), so a pair whose first step is a gap of the
    same kind as the previous pair's last step scores it as an extension.
    """
    state: list[str | None] = [None]
    total = 0.0
    for i in range(len(rows)):
        for j in range(i + 1, len(rows)):
            total += pair_score(rows[i], rows[j], scheme, state)
    return total


def naive_window_score(rows: Sequence[str], scheme: ScoringScheme, flanks) -> float:
    """A window's puzzle score with its flanks (games/flanks.py), column by
    column as portal/static/play.js computes it: each pair starts in the state
    its left flank leaves it in (charging the flank run that reaches the
    window), and the right flank's run that starts at the window's edge is
    charged with the state the window ends in."""
    n = len(rows)
    every = flanks.board(rows) if flanks.context else list(rows)
    rank = list(flanks.order) if flanks.order else list(range(len(every)))
    total = 0.0
    for i in range(n):  # context rows pair with the puzzle's rows only
        for j in range(i + 1, len(every)):
            a, b = (i, j) if rank[i] < rank[j] else (j, i)
            total += _window_pair(every[a], every[b], a, b, scheme, flanks)
    return total


def _window_pair(target: str, query: str, i: int, j: int, scheme: ScoringScheme, flanks) -> float:
    index = {"target": i, "query": j}
    other = {"target": j, "query": i}
    step_of = {"target": "insertion", "query": "deletion"}
    rows = {"target": target, "query": query}
    consumed = {k: int(flanks.left_has[index[k]]) for k in rows}
    letters = {
        k: consumed[k] + len(rows[k]) - rows[k].count(GAP) + int(flanks.right_has[index[k]])
        for k in rows
    }

    def position(gapped: str) -> str:
        if consumed[gapped] == 0:
            return "left"
        if consumed[gapped] == letters[gapped]:
            return "right"
        return "internal"

    total = 0.0
    state: str | None = None
    for gapped in ("target", "query"):
        held = flanks.left_held[index[gapped]][other[gapped]]
        if held > 0:
            step = step_of[gapped]
            total += gap_score(scheme, step, position(gapped), "open")
            total += (held - 1) * gap_score(scheme, step, position(gapped), "extend")
            state = step
    for t, q in zip(target, query, strict=True):
        if t == GAP and q == GAP:
            continue
        if t != GAP and q != GAP:
            total += substitution(scheme, t, q)
            step = "diagonal"
        else:
            gapped = "target" if t == GAP else "query"
            step = step_of[gapped]
            kind = "extend" if state == step else "open"
            total += gap_score(scheme, step, position(gapped), kind)
        state = step
        consumed["target"] += t != GAP
        consumed["query"] += q != GAP
    for gapped in ("target", "query"):
        held = flanks.right_held[index[gapped]][other[gapped]]
        if held > 0:
            step = step_of[gapped]
            kind = "extend" if state == step else "open"
            total += gap_score(scheme, step, position(gapped), kind)
            total += (held - 1) * gap_score(scheme, step, position(gapped), "extend")
            state = step
    return total
