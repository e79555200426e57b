"""Reports and plots of binned curves (histogram engine, saved cutpoints): exact at every
stop and at every named point, and saying what they are.

The oracle is the full curve of the same data (the sort engine).
"""

from __future__ import annotations

import json
import math
import re

import numpy as np
import pytest

import cutpoints as cp
from cutpoints._saved_curve import SavedCurve, unknown_above
from cutpoints.engines import BinnedCurve, HistogramEngine


def embedded(page: str) -> dict:
    match = re.search(r'<script type="application/json" id="cp-data">(.*?)</script>', page, re.S)
    assert match is not None
    return json.loads(match.group(1))


def thresholds_of(d: dict) -> np.ndarray:
    inf = math.inf if d["rule"] == ">=" else -math.inf
    return np.array([inf if t is None else t for t in d["stops"]["threshold"]])


@pytest.fixture(scope="module")
def big():
    rng = np.random.default_rng(21)
    n = 200_000
    y = rng.random(n) < 0.1
    p = 1 / (1 + np.exp(-(rng.normal(size=n) + 2 * y - 2)))
    return y, p


@pytest.fixture(scope="module")
def binned_cut(big):
    y, p = big
    # Few bins: wide gaps, so the default alternatives fall inside them.
    cut = cp.find_cutpoint(
        y, p, metric="recall", constraints=["precision >= 0.5"], engine=HistogramEngine(bits=8)
    )
    assert isinstance(cut.curve, BinnedCurve)
    return cut


def test_binned_report_is_exact_at_every_stop_and_named_point(big, binned_cut):
    y, p = big
    full = cp.confusion_curve(y, p)
    page = cp.report(cutpoint=binned_cut)
    d = embedded(page)
    thresholds = thresholds_of(d)
    rows = full.rows_at(thresholds)  # the counts of flagging with each stop's threshold
    assert d["stops"]["tp"] == full.tp[rows].tolist()
    assert d["stops"]["fp"] == full.fp[rows].tolist()
    at = {pt["name"]: thresholds[pt["stop"]] for pt in d["points"]}
    # Every named point equals the full curve's answer, though the binned rows alone
    # would not give it: they were refined from the data the cutpoint kept.
    assert at["chosen: recall"] == binned_cut.threshold
    assert at["F1 optimum"] == cp.select_cutpoint(full, metric="f1").threshold
    k = full.n_positive
    for label, capacity in (("K", k), ("2K", 2 * k)):
        best = cp.select_cutpoint(full, metric="recall", constraints=[f"flagged <= {capacity}"])
        assert at[f"capacity {label} = {capacity:,}"] == best.threshold
    i = d["points"][[pt["name"] for pt in d["points"]].index("default 0.5")]["stop"]
    assert at["default 0.5"] == 0.5  # an exact row added at the given threshold
    assert (d["stops"]["tp"][i], d["stops"]["fp"][i]) == (full.at(0.5)["tp"], full.at(0.5)["fp"])
    text = " ".join(page.split())
    shown = re.search(r"have exact counts at ([\d,]+) thresholds", text)
    assert shown is not None  # the binned rows plus those added for the named points
    assert (
        len(binned_cut.curve)
        < int(shown.group(1).replace(",", ""))
        <= len(d["points"]) + len(binned_cut.curve)
    )
    assert "the edges of" in text and "counts at each stop are exact" in text
    assert "Not exact here" not in text
    assert "thresholds with exact counts" in text and "distinct scores</td>" not in text


def test_binned_report_types_thresholds_exactly_only_at_known_rows(binned_cut):
    d = embedded(cp.report(cutpoint=binned_cut))
    stops = d["stops"]
    gaps = unknown_above(binned_cut.curve)
    thresholds = thresholds_of(d)
    # Where the stop's next row lies across a gap, "next" is the float just below the
    # stop's own threshold: a typed threshold is exact there only when equal to it.
    n_across = 0
    for i, row_threshold in enumerate(thresholds[:-1]):
        row = int(binned_cut.curve.rows_at(row_threshold)) if i else 0
        nxt = stops["next"][i]
        if row + 1 < len(gaps) and gaps[row + 1] and row_threshold in binned_cut.curve.thresholds:
            n_across += 1
            assert nxt == np.nextafter(row_threshold, -np.inf)
    assert n_across > 10


def test_saved_binned_report_says_which_points_are_not_exact(big, binned_cut):
    loaded = cp.Cutpoint.from_json(binned_cut.to_json(curve=True))
    assert isinstance(loaded.curve, SavedCurve)
    page = " ".join(cp.report(cutpoint=loaded).split())
    assert "the rows saved with the cutpoint" in page
    match = re.search(
        r"Not exact here \(the data was not at hand to refine them\): (.*?); each", page
    )
    assert match is not None and "&lsquo;default 0.5&rsquo;" in match.group(1)


def test_report_of_a_complete_curve_is_unchanged_by_the_binned_path(big):
    y, p = big
    cut = cp.find_cutpoint(y[:3000], np.round(p[:3000], 3), engine="sort")
    page = cp.report(cutpoint=cut)
    assert "The slider stops at all" in page and "exact counts at" not in page


@pytest.mark.parametrize(
    "display", ["MetricsDisplay", "PrecisionRecallDisplay", "ROCDisplay", "ConfusionMatrixDisplay"]
)
def test_plots_of_a_binned_cutpoint_mark_thresholds_with_exact_counts(big, binned_cut, display):
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from cutpoints import plotting

    y, p = big
    full = cp.confusion_curve(y, p)
    cls = getattr(plotting, display)
    shown = cls.from_cutpoint(binned_cut, thresholds=[0.5, 0.123456])
    for mark in shown.marked:  # the chosen threshold, and two inside unrefined bins
        at = full.at(mark.threshold)
        assert (shown.curve.tp[mark.index], shown.curve.fp[mark.index]) == (at["tp"], at["fp"])
    loaded = cp.Cutpoint.from_json(binned_cut.to_json(curve=True))
    with pytest.warns(UserWarning, match=r"thresholds 0\.5, 0\.123456 lie between two"):
        cls.from_cutpoint(loaded, thresholds=[0.5, 0.123456])
    plt.close("all")
