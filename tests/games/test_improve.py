"""The offline loop: simulated players, consensus and splicing never lower
the score, and with every row in the puzzle every gain transfers."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from games.accuracy import compare
from games.aligners import confirmed_pairs, project_window, shared_pairs
from games.improve import RULES, WindowCandidates, choose_splices, improve
from games.puzzles import read_source, scheme_for
from games.scoring import score_alignment
from games.splice import Candidate
from games.weights import henikoff_weights

from .support import DATA, shuffled_gaps

DNA = scheme_for("dna")


def test_with_every_row_in_the_puzzle_every_gain_transfers():
    source = read_source(DATA / "il6.nucl.fasta")  # 7 rows: a beginner puzzle holds them all
    outcome = improve(source, DNA, players=4, budget=1_500, limit=3, seed=2)
    assert outcome.windows_offered >= 1
    assert outcome.beating_start >= 1
    assert all(w.rows == len(source.rows) for w in outcome.windows)
    assert outcome.transfer_rate == 1.0
    assert outcome.score_after >= outcome.score_before
    assert outcome.score_after == score_alignment(outcome.rows, DNA)
    assert outcome.windows_improved <= outcome.windows_offered
    for window in outcome.windows:
        assert window.contributors
        assert len(window.agreement) > 0


def test_without_flanks_players_chase_gains_that_do_not_transfer():
    source = read_source(DATA / "il6.nucl.fasta")
    plain = improve(source, DNA, players=4, budget=1_500, limit=3, seed=2, flank_aware=False)
    aware = improve(source, DNA, players=4, budget=1_500, limit=3, seed=2)
    assert plain.transfer_rate is not None and aware.transfer_rate is not None
    assert plain.transfer_rate <= aware.transfer_rate


def test_with_other_aligners_only_splices_that_agree_more_with_them_are_kept():
    source = read_source(DATA / "il6.nucl.fasta")
    # Nothing can agree more with the alignment than the alignment itself.
    same = improve(source, DNA, players=3, budget=1_000, limit=2, seed=2, others=[source.rows])
    assert same.windows_offered >= 1
    assert same.spliced == 0
    assert same.rows == source.rows


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.text("ACGT", min_size=2, max_size=10), min_size=2, max_size=5),
    st.randoms(use_true_random=False),
    st.booleans(),
    st.sampled_from(RULES),
    st.data(),
)
def test_accepted_splices_raise_the_objective_and_the_agreement(
    sequences, rng, weighted, rule, data
):
    rows = shuffled_gaps(sequences, rng, slack=3)
    others = [shuffled_gaps(rows, rng, slack=3) for _ in range(data.draw(st.integers(0, 2)))]
    weights = henikoff_weights(rows) if weighted else None
    width = len(rows[0])
    choices = []
    start = 0
    while start < width:  # disjoint windows, each with a few random layouts
        end = min(width, start + data.draw(st.integers(1, 6)))
        which = sorted(data.draw(st.sets(st.integers(0, len(rows) - 1), min_size=1)))
        window = [rows[r][start:end] for r in which]
        layouts = [shuffled_gaps(window, rng, slack=3) for _ in range(3)]
        proposed_by: list[int | None] = [None] * len(layouts)
        layouts += [project_window(rows, other, start, end, which) for other in others]
        proposed_by += list(range(len(others)))
        candidates = [
            Candidate(start, end, which, layout, label=("player", start)) for layout in layouts
        ]
        choices.append(WindowCandidates(start, end, which, candidates, proposed_by))
        start = end

    def objective(r):
        return score_alignment(r, DNA, weights)

    report = choose_splices(rows, choices, objective, others, rule=rule)
    assert [row.replace("-", "") for row in report.rows] == sequences
    assert report.after == objective(report.rows) >= objective(rows)
    for change in report.changes:
        assert change.after > change.before
    if others and rule == "most":
        assert shared_pairs(report.rows, others) >= shared_pairs(rows, others)
        if report.changes:
            assert shared_pairs(report.rows, others) > shared_pairs(rows, others)
    if len(others) == 2 and rule == "independent" and report.changes:
        # Every splice raised the agreement with at least one of the two.
        assert any(
            compare(report.rows, other).shared_pairs > compare(rows, other).shared_pairs
            for other in others
        )
    if others and rule == "confirmed" and report.changes:
        assert confirmed_pairs(report.rows, others) > confirmed_pairs(rows, others)
    if others and rule == "each" and report.changes:
        for other in others:
            assert compare(report.rows, other).shared_pairs > compare(rows, other).shared_pairs


class _Untouchable(list):
    """A reference that records whether anything read it."""

    reads = 0

    def __getitem__(self, index):
        type(self).reads += 1
        return super().__getitem__(index)

    def __iter__(self):
        type(self).reads += 1
        return super().__iter__()


def test_the_reference_is_only_measured_against_never_used_to_choose():
    source = read_source(DATA / "il6.nucl.fasta")
    others = [shuffled_gaps(source.rows, random.Random(5), slack=3)]
    options = dict(players=3, budget=1_000, limit=2, seed=2, others=others, weighted=True)
    without = improve(source, DNA, **options)
    # A different, wrong "reference" leaves every choice the same.
    wrong = shuffled_gaps(source.rows, random.Random(9), slack=3)
    with_wrong = improve(source, DNA, reference=wrong, **options)
    assert with_wrong.rows == without.rows
    assert with_wrong.to_dict() | {"accuracy_before": None, "accuracy_after": None} == (
        without.to_dict()
    )
    # And it is read only after the loop's choices are made: the score is set by then.
    _Untouchable.reads = 0
    traced = improve(source, DNA, reference=_Untouchable(source.rows), **options)
    assert _Untouchable.reads > 0 and traced.rows == without.rows
