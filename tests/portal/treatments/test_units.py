"""The pure parts: side-effect parsing, the SVG charts, k from the configuration."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal.errors import ServiceError
from portal.treatments import aggregates, charts
from portal.treatments.services import MAX_SIDE_EFFECTS, parse_side_effects

SEVERITIES = ("mild", "moderate", "severe")
names = st.text(
    alphabet=st.characters(categories=("L", "N"), max_codepoint=0x24F), min_size=1, max_size=20
)


@given(st.dictionaries(names, st.sampled_from(SEVERITIES), max_size=MAX_SIDE_EFFECTS))
def test_side_effects_written_one_per_line_come_back_lower_cased_and_sorted(effects):
    text = "\n".join(f"  {name}  :  {severity.upper()} " for name, severity in effects.items())
    expected = {}
    for name, severity in effects.items():
        expected[name.lower()] = severity
    assert parse_side_effects(text) == sorted(expected.items())


@pytest.mark.parametrize(
    "text, message",
    [
        ("nausea", "needs a severity"),
        (": mild", "needs a name"),
        ("nausea: awful", "needs a severity"),
        ("x" * 81 + ": mild", "needs a name"),
        ("\n".join(f"effect {i}: mild" for i in range(MAX_SIDE_EFFECTS + 1)), "at most"),
    ],
)
def test_bad_side_effects_say_which_and_why(text, message):
    with pytest.raises(ServiceError, match=message) as raised:
        parse_side_effects(text)
    assert raised.value.field == "side_effects"


def point(name: str, reporters: int, mean: float):
    return aggregates.ChartPoint(SimpleNamespace(name=name), reporters, mean)


def test_the_scatter_plot_escapes_names_and_states_its_reports():
    svg = str(
        charts.effectiveness_vs_popularity(
            [point("<script>alert(1)</script>", 7, 2.5), point("Rest & fluids", 5, -0.4)], "T"
        )
    )
    assert "<script>" not in svg and "&lt;script&gt;" in svg and "Rest &amp; fluids" in svg
    assert "n = 12 reports across 2 treatments" in svg
    assert len(re.findall(r"<circle ", svg)) == 2
    assert "not trial evidence" in svg


@given(st.lists(st.integers(min_value=0, max_value=500), min_size=5, max_size=5))
def test_bars_are_proportional_to_their_counts(counts):
    labels = ["worse", "none", "slight", "moderate", "major"]
    svg = str(
        charts.effectiveness_bars(
            [{"label": v, "answers": [v], "count": n} for v, n in zip(labels, counts, strict=True)],
            sum(counts),
            "T",
        )
    )
    widths = [float(w) for w in re.findall(r'<rect [^>]*width="([0-9.]+)"', svg)]
    assert len(widths) == 5
    longest = max(counts)
    for width, n in zip(widths, counts, strict=True):
        expected = 0 if longest == 0 else 330 * n / longest
        assert abs(width - expected) <= 0.06
    assert f"n = {sum(counts)} report" in svg


@pytest.mark.parametrize("environ, k", [(None, 5), ("8", 8), ("1", 2)])
def test_k_comes_from_the_environment_and_is_never_below_two(monkeypatch, tmp_path, environ, k):
    from portal.app import create_app

    if environ is None:
        monkeypatch.delenv("PORTAL_TREATMENT_MIN_REPORTERS", raising=False)
    else:
        monkeypatch.setenv("PORTAL_TREATMENT_MIN_REPORTERS", environ)
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'k.db'}",
            "INSTANCE_PATH": str(tmp_path),
        }
    )
    assert aggregates.min_reporters(app.config) == k
