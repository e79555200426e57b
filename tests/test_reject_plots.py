"""A reject band on the plots: tested on the data drawn, never on pixels."""

from __future__ import annotations

import os

os.environ.setdefault("MPLBACKEND", "Agg")

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest

from cutpoints._reject import RejectBand, evaluate_reject_band, find_reject_band
from cutpoints.errors import InvalidParameterError
from cutpoints.plotting import MetricsDisplay, ROCDisplay, ScoreDistributionDisplay


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


@pytest.fixture
def band():
    rng = np.random.default_rng(0)
    y = rng.random(400) < 0.4
    s = np.round(rng.random(400) * 0.6 + 0.4 * y, 3)
    return y, s, find_reject_band(y, s, metric="accuracy", coverage=0.8)


def _span(disp):
    rect = disp.band_span_  # axvspan draws a Rectangle in data x coordinates
    return float(rect.get_x()), float(rect.get_x() + rect.get_width())


@pytest.mark.parametrize("display", [MetricsDisplay, ScoreDistributionDisplay])
def test_band_is_shaded_between_lo_and_hi(display, band):
    y, s, b = band
    disp = display.from_reject_band(b)
    assert _span(disp) == pytest.approx((b.lo, b.hi), rel=1e-12)
    assert [line.get_xdata()[0] for line in disp.band_lines_] == [b.lo, b.hi]
    labels = [t.get_text() for t in disp.ax_.get_legend().get_texts()]
    assert any(t.startswith("abstain / review (") for t in labels)
    assert disp.curve is b.curve
    # The same band on a curve built from the data draws the same region.
    again = display.from_predictions(y, s, band=b)
    assert _span(again) == pytest.approx((b.lo, b.hi), rel=1e-12)


def test_distribution_inside_the_band_is_what_is_abstained(band):
    b = band[2]
    disp = ScoreDistributionDisplay.from_reject_band(b, bins=np.unique(np.r_[0, b.lo, b.hi, 1.0]),
                                                     density=False)  # fmt: skip
    inside = (disp.edges[:-1] >= b.lo) & (disp.edges[1:] <= b.hi)
    assert disp.counts_positive[inside].sum() == b.abstained_positive
    assert disp.counts_negative[inside].sum() == b.abstained_negative


def test_infinite_edges_are_clipped_to_the_scores():
    y = [0, 1, 0, 1]
    s = [0.2, 0.4, 0.6, 0.8]
    b = evaluate_reject_band(y, s, lo=0.5, hi=np.inf)  # nothing decided positive
    disp = MetricsDisplay.from_reject_band(b, metrics=["accuracy"])
    assert _span(disp) == pytest.approx((0.5, 0.8), rel=1e-12)


def test_without_a_band_nothing_is_shaded(band):
    y, s, _ = band
    disp = MetricsDisplay.from_predictions(y, s)
    assert disp.band_span_ is None and disp.band_lines_ == []


def test_bad_band_arguments(band):
    y, s, b = band
    with pytest.raises(InvalidParameterError, match=r"ROCDisplay has no threshold axis"):
        ROCDisplay.from_reject_band(b)
    with pytest.raises(InvalidParameterError, match=r"'band' must be a cutpoints.RejectBand"):
        MetricsDisplay.from_predictions(y, s, band=(0.2, 0.6))
    loaded = RejectBand.from_json(b.to_json())
    with pytest.raises(InvalidParameterError, match=r"has no curve .* from_predictions"):
        MetricsDisplay.from_reject_band(loaded)
