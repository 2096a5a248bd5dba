"""games.hints: the block a hint names is a legal move, and its gain is the
score change the scorer gives it."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from games.hints import suggest
from games.puzzles import layout, move, positions, residues, scheme_for
from games.scoring import score_alignment

TUTORIAL_START = ["ACGTTGCA---", "--ACGTTGCA-", "ACGGCA-----"]
SOLVED = ["ACGTTGCA---", "ACGTTGCA---", "ACG--GCA---"]

DNA = scheme_for("dna")


def apply(rows, hint):
    cols = positions(rows[hint.row])
    moved = move(cols, hint.block, hint.to_column - hint.from_column, len(rows[0]), tail=hint.tail)
    out = list(rows)
    out[hint.row] = layout(residues(rows[hint.row]), moved, len(rows[0]))
    return out


def test_the_hint_on_the_tutorial_is_a_move_that_raises_the_score():
    hint = suggest(TUTORIAL_START, DNA)
    assert hint is not None and hint.gain > 0
    after = apply(TUTORIAL_START, hint)
    assert score_alignment(after, DNA) == score_alignment(TUTORIAL_START, DNA) + hint.gain
    assert hint.reaches >= score_alignment(after, DNA)


def test_no_hint_on_a_board_the_search_cannot_improve():
    assert suggest(SOLVED, DNA, evaluations=3_000) is None


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.text("ACGT", min_size=3, max_size=7), min_size=2, max_size=4), st.data())
def test_a_hint_is_always_a_legal_move_whose_gain_is_what_it_says(sequences, data):
    width = max(map(len, sequences)) + 2
    rows = [s + "-" * (width - len(s)) for s in sequences]
    hint = suggest(rows, DNA, evaluations=2_000)
    if hint is None:
        return
    after = apply(rows, hint)
    assert [residues(r) for r in after] == sequences
    assert abs(score_alignment(after, DNA) - score_alignment(rows, DNA) - hint.gain) < 1e-9
