"""Numbers and layouts told without a regular expression agree with the patterns.

The reference is the pattern itself, matched cell by cell by Arrow's regular
expressions (RE2: ``$`` is the end of the text, ``\\d`` an ASCII digit). Cells are
drawn near the edges: leading zeros, a lone point, signs, exponents, 18 and 19
digits, non-ASCII digits, and layouts with one character off.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from hypothesis import given, settings
from hypothesis import strategies as st

from datasets.fieldtypes import _FORMAT_SHAPES, _LAYOUTS, ISO_DATETIME_LAYOUT, ISO_DATETIME_RE
from datasets.inference import _INFER_INTEGER, _INFER_NUMBER, _MAX_DIGITS, _candidates
from datasets.textshapes import layout_cells, layout_or_pattern, plain_numbers


def _reference(cells: list[str], pattern: str) -> np.ndarray:
    found = pc.match_substring_regex(pa.array(cells, pa.string()), pattern=pattern)
    return np.asarray(found.to_pylist(), dtype=bool)


def _sliced(cells: list[str], before: int) -> pa.Array:
    """The cells as a slice of a longer array, so offsets do not start at zero."""
    return pa.array(["9" * before] * before + cells, pa.string()).slice(before)


_digits = st.text(alphabet="0123456789", min_size=0, max_size=22)
_number_like = st.one_of(
    _digits,
    st.builds(lambda a, b: f"{a}.{b}", _digits, _digits),
    st.builds(lambda s, n: s + n, st.sampled_from(["+", "-", ""]), _digits),
    st.builds(lambda a, e: f"{a}e{e}", _digits, _digits),
    st.text(alphabet="0123456789.+-eE ٣x", max_size=8),
    st.sampled_from(["", ".", "0", "00", "0.", ".0", "007", "01.5", "1" * 18, "1" * 19, "1.2.3"]),
)


@settings(max_examples=400, deadline=None)
@given(st.lists(_number_like, max_size=40), st.integers(min_value=0, max_value=3))
def test_plain_numbers_agree_with_the_inference_patterns(cells: list[str], before: int) -> None:
    arr = _sliced(cells, before)
    for pattern, point in ((_INFER_INTEGER, False), (_INFER_NUMBER, True)):
        got = plain_numbers(arr, pattern, point=point, max_digits=_MAX_DIGITS)
        assert got.tolist() == _reference(cells, pattern).tolist(), (pattern, cells)


def _near(layout: str) -> st.SearchStrategy[str]:
    """Cells of ``layout``, some with one character changed, cut or lengthened."""
    digit = st.sampled_from("0123456789")

    @st.composite
    def draw(d: st.DrawFn) -> str:
        text = "".join(d(digit) if c == "#" else c for c in layout)
        change = d(st.sampled_from(["none", "swap", "cut", "add"]))
        at = d(st.integers(min_value=0, max_value=len(text) - 1))
        if change == "swap":
            text = text[:at] + d(st.sampled_from("0a-:T /٣")) + text[at + 1 :]
        elif change == "cut":
            text = text[:at] + text[at + 1 :]
        elif change == "add":
            text = text[:at] + d(st.sampled_from(["1", "Z", ".5", "+01:00"])) + text[at:]
        return text

    return draw()


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(sorted(_LAYOUTS)),
    st.data(),
    st.integers(min_value=0, max_value=3),
)
def test_layouts_agree_with_the_shapes_they_stand_for(
    fmt: str, data: st.DataObject, before: int
) -> None:
    layout = _LAYOUTS[fmt]
    cells = data.draw(st.lists(_near(layout) | st.text(max_size=20), max_size=30))
    arr = _sliced(cells, before)
    expected = _reference(cells, _FORMAT_SHAPES[fmt]).tolist()
    assert layout_or_pattern(arr, layout, _FORMAT_SHAPES[fmt], only=True).tolist() == expected
    fits = layout_cells(arr, layout)
    assert fits is not None and fits.tolist() == expected


@settings(max_examples=300, deadline=None)
@given(st.lists(_near(ISO_DATETIME_LAYOUT) | st.text(max_size=26), max_size=30))
def test_iso_timestamps_of_every_length_agree_with_the_pattern(cells: list[str]) -> None:
    got = layout_or_pattern(
        pa.array(cells, pa.string()), ISO_DATETIME_LAYOUT, ISO_DATETIME_RE, only=False
    )
    assert got.tolist() == _reference(cells, ISO_DATETIME_RE).tolist()


def test_cells_of_one_width_end_to_end_are_read_as_a_matrix() -> None:
    cells = ["2024-01-31", "1999-12-0x", "0000-00-00", "2024-01-3"]
    whole = pa.array(cells[:3], pa.string())
    assert layout_cells(whole, "####-##-##").tolist() == [True, False, True]
    assert layout_cells(pa.array(cells, pa.string()), "####-##-##").tolist() == [
        True,
        False,
        True,
        False,
    ]


def test_other_arrays_fall_back_to_the_pattern() -> None:
    large = pa.array(["12", "012", "1.5"], pa.large_string())
    assert layout_cells(large, "##") is None
    assert plain_numbers(large, _INFER_NUMBER, point=True, max_digits=18).tolist() == [
        True,
        False,
        True,
    ]


def test_inference_candidates_use_the_fast_tests() -> None:
    tests = {c.key: c.test for c in _candidates(",")}
    cells = pa.array(["0", "12", "-3", "+4", "007", "1e5", "1" * 19], pa.string())
    assert (
        tests["integer"](cells).tolist() == _reference(cells.to_pylist(), _INFER_INTEGER).tolist()
    )
    assert tests["number"](cells).tolist() == _reference(cells.to_pylist(), _INFER_NUMBER).tolist()
