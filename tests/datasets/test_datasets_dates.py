"""Date checks: reading a numeric layout's fields off the text gives exactly what the
slower round trip (format the parsed date back, compare the text) gives."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from datasets.fieldtypes import (
    DATE_FORMATS,
    DATETIME_FORMATS,
    _fixed_fields,
    strptime_checked,
    strptime_round_trip,
)

# the layouts checked by fields and the ISO cast rather than by the round trip
FIXED_FORMATS = [f for f in DATE_FORMATS + DATETIME_FORMATS if _fixed_fields(f) is not None]


def number(digits: int) -> st.SearchStrategy[str]:
    return st.integers(0, 10**digits - 1).map(lambda v: str(v).zfill(digits))


def field() -> st.SearchStrategy[str]:
    # zero-padded, unpadded, too long, out of range, or not a number at all
    return st.one_of(
        number(2), number(1), number(4), number(3), st.sampled_from(["", "x", "-1", " 1"])
    )


@st.composite
def date_texts(draw, fmt: str) -> str:
    """Text shaped like ``fmt`` (fields replaced by random numbers), or mangled."""
    out = []
    i = 0
    while i < len(fmt):
        if fmt[i] == "%":
            out.append(draw(number(4) if fmt[i + 1] == "Y" else field()))
            i += 2
        else:
            out.append(draw(st.sampled_from([fmt[i], fmt[i], fmt[i], "/", "-", " "])))
            i += 1
    text = "".join(out)
    return draw(st.sampled_from([text, text, text, text + "Z", " " + text, text[:-1]]))


@settings(max_examples=300, deadline=None)
@given(data=st.data(), fmt=st.sampled_from(FIXED_FORMATS))
def test_fields_read_off_the_text_agree_with_the_round_trip(data, fmt):
    texts = data.draw(st.lists(date_texts(fmt) | st.none(), min_size=1, max_size=40))
    values = pa.array(texts, pa.string())
    ok, parsed = strptime_checked(values, fmt)
    want_ok, want_parsed = strptime_round_trip(values, fmt)
    differ = [t for t, d in zip(texts, ok != want_ok, strict=True) if d]
    assert not differ
    assert parsed.filter(pa.array(ok)).equals(want_parsed.filter(pa.array(want_ok)))


def test_the_fixed_layouts_are_the_iso_ones():
    assert FIXED_FORMATS == ["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"]


def test_impossible_dates_are_refused_and_real_ones_kept():
    values = pa.array(["2021-02-29", "2020-02-29", "2021-04-31", "2021-12-31", "2021-1-05"])
    ok, _ = strptime_checked(values, "%Y-%m-%d")
    assert ok.tolist() == [False, True, False, True, False]
    ok, _ = strptime_checked(pa.array(["29/2/2020", "29/2/2021", "1/13/2020"]), "%d/%m/%Y")
    assert ok.tolist() == [True, False, False]


def test_month_names_still_take_the_round_trip():
    values = pa.array(["05-Mar-2020", "31-Feb-2020", "5-mar-2020"] * 600)
    ok, _ = strptime_checked(values, "%d-%b-%Y")
    assert ok[:3].tolist() == [True, False, True]
    assert np.array_equal(ok, strptime_round_trip(values, "%d-%b-%Y")[0])
