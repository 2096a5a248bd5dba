"""The offline loop: simulated players, consensus and splicing never lower
the score, and with every row in the puzzle every gain transfers."""

from __future__ import annotations

from games.improve import improve
from games.puzzles import read_source, scheme_for
from games.scoring import score_alignment

from .support import DATA

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
