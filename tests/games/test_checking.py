"""Solution checking: every kind of wrong solution gets a clear message."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from games.checking import SolutionError, check_solution

SEQUENCES = ["ACGT", "AGT"]


def test_a_valid_solution_passes():
    assert check_solution(SEQUENCES, ["AC-GT", "-AG-T"], max_width=6) == ["AC-GT", "-AG-T"]


@pytest.mark.parametrize(
    ("rows", "message", "row", "column"),
    [
        (["ACGT"], "1 rows but the puzzle has 2", None, None),
        ("ACGT", "list of rows", None, None),
        (["ACGT", 5], "row 2 is not a string", 2, None),
        (["ACGT", "AGT-"], None, None, None),
        (
            [
                "ACGT--",
                "AGT---",
            ],
            None,
            None,
            None,
        ),
        (["ACGTT", "AGT--"], "row 1, column 5: 'T' is an extra residue", 1, 5),
        (["AGCT", "AGT-"], "row 1, column 2: expected residue 2 ('C') but found 'G'", 1, 2),
        (["ACGX", "AGT-"], "row 1, column 4: 'X' is not allowed", 1, 4),
        (["ACG.", "AGT-"], "row 1, column 4: '.' is not allowed", 1, 4),
        (["ACGT", "AG--"], "row 2 is missing residues", 2, None),
        (["ACGT", "AGT"], "row 2 is 3 columns wide but row 1 is 4", 2, None),
        (["ACGT---", "AGT----"], "at most 6", 1, None),
        (["acgt", "AGT-"], "'a' is not allowed", 1, 1),
    ],
)
def test_wrong_solutions(rows, message, row, column):
    if message is None:
        check_solution(SEQUENCES, rows, max_width=6)
        return
    with pytest.raises(SolutionError, match=re.escape(message)) as info:
        check_solution(SEQUENCES, rows, max_width=6)
    assert info.value.row == row
    assert info.value.column == column


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text("ACGT-", max_size=8), min_size=2, max_size=2))
def test_accepts_exactly_the_gapped_forms_of_the_sequences(rows):
    naive_ok = (
        len({len(r) for r in rows}) == 1
        and 0 < len(rows[0]) <= 8
        and [r.replace("-", "") for r in rows] == SEQUENCES
    )
    try:
        check_solution(SEQUENCES, rows, max_width=8)
    except SolutionError:
        assert not naive_ok
    else:
        assert naive_ok
