"""Calibration checks: reliability bins, Brier, ECE, the closed-form gap, the display, the report."""

from __future__ import annotations

import json
import math
import re
import warnings
from pathlib import Path

import numpy as np
import pytest

import cutpoints as cp
from cutpoints.errors import InvalidParameterError
from cutpoints.shift import Calibration, CalibrationWarning, check_calibration


def simulate(rng, n, prevalence=0.3, mu=2.0):
    """Labels and calibrated probabilities (the exact posterior), and the latent x."""
    y = rng.random(n) < prevalence
    x = rng.normal(mu * y, 1.0)
    p = 1.0 / (1.0 + np.exp(-(mu * x - mu * mu / 2 + math.log(prevalence / (1 - prevalence)))))
    return y, p


def brute_bins(y, p, w, edges):
    """Per-bin weight, positives, mean score, by looping over the bins."""
    counts, positives, means = [], [], []
    for b in range(len(edges) - 1):
        last = b == len(edges) - 2
        inside = (p >= edges[b]) & ((p <= edges[b + 1]) if last else (p < edges[b + 1]))
        counts.append(w[inside].sum())
        positives.append(w[inside & y].sum())
        means.append((w[inside] * p[inside]).sum() / w[inside].sum() if inside.any() else math.nan)
    return np.array(counts), np.array(positives), np.array(means)


@pytest.mark.parametrize("strategy", ["uniform", "quantile"])
@pytest.mark.parametrize("weighted", [False, True])
def test_reliability_brier_and_ece_equal_a_direct_computation(strategy, weighted):
    rng = np.random.default_rng(1)
    y, p = simulate(rng, 3000)
    p = np.round(p, 3)  # ties, and scores exactly on bin edges
    p[:5] = [0.0, 1.0, 0.5, 0.1, 0.9]
    w = rng.integers(1, 4, len(p)).astype(float) if weighted else np.ones(len(p))
    cal = check_calibration(
        y, p, n_bins=8, strategy=strategy, sample_weight=w if weighted else None
    )
    if strategy == "uniform":
        assert cal.edges.tolist() == [b / 8 for b in range(9)]
    else:
        # About equal weight per bin (ties may merge a few edges).
        assert cal.counts.max() < 1.6 * w.sum() / 8
    counts, positives, means = brute_bins(y, p, w, cal.edges)
    np.testing.assert_allclose(cal.counts, counts, rtol=1e-12)
    np.testing.assert_allclose(cal.positives, positives, rtol=1e-12)
    np.testing.assert_allclose(cal.mean_predicted, means, rtol=1e-12)
    np.testing.assert_allclose(cal.fraction_positive, positives / counts, rtol=1e-12)
    from sklearn.metrics import brier_score_loss

    assert cal.brier == pytest.approx(brier_score_loss(y, p, sample_weight=w), rel=1e-12)
    filled = counts > 0
    ece = (
        np.sum(counts[filled] * np.abs(positives[filled] / counts[filled] - means[filled]))
        / w.sum()
    )
    assert cal.ece == pytest.approx(ece, rel=1e-12)
    assert cal.mce == pytest.approx(
        np.max(np.abs(positives[filled] / counts[filled] - means[filled]))
    )


def test_reliability_matches_sklearn_calibration_curve():
    from sklearn.calibration import calibration_curve

    rng = np.random.default_rng(2)
    y, p = simulate(rng, 5000)
    cal = check_calibration(y, p, n_bins=10)
    frac, mean = calibration_curve(y, p, n_bins=10)
    filled = cal.counts > 0
    np.testing.assert_allclose(cal.fraction_positive[filled], frac, rtol=1e-12)
    np.testing.assert_allclose(cal.mean_predicted[filled], mean, rtol=1e-12)


def test_calibrated_scores_have_small_ece_and_a_small_gap():
    rng = np.random.default_rng(3)
    y, p = simulate(rng, 50_000)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no CalibrationWarning
        for metric in ("cost(fp=1, fn=4)", "f1", "accuracy", "net_benefit(pt=0.2)"):
            cut = cp.find_cutpoint(y, p, metric=metric)
            cal = check_calibration(cutpoint=cut)
            assert cal.ece < 0.01
            assert cal.reference is not None
            assert abs(cal.gap) < 0.05
            assert not cal.large_gap
            assert cal.relative_regret < 0.01


def test_miscalibrated_scores_warn_and_point_at_calibratedclassifiercv():
    rng = np.random.default_rng(4)
    y, p = simulate(rng, 20_000)
    squashed = p**3  # same ranking, far from calibrated
    cut = cp.find_cutpoint(y, squashed, metric="cost(fp=1, fn=4)")
    with pytest.warns(CalibrationWarning, match=r"not calibrated.*CalibratedClassifierCV"):
        cal = check_calibration(cutpoint=cut)
    assert cal.large_gap
    assert cal.reference.threshold == pytest.approx(0.2)
    assert cal.optimum == cut.threshold
    assert cal.gap == pytest.approx(cut.threshold - 0.2)
    # The regret is the objective lost at the closed-form threshold, on this data.
    at_ref = cut.curve.metrics_at(0.2, [cut.metric])[cut.metric.name]
    assert cal.regret == pytest.approx(at_ref - cut.score)
    assert cal.relative_regret == pytest.approx((at_ref - cut.score) / cut.score)
    assert cal.ece > 0.1
    assert "lose" in cal.message and "%" in cal.message
    # The same check without the warning, and the gap is a property of the metric.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        quiet = check_calibration(cutpoint=cut, warn=False)
        assert quiet.large_gap
        no_metric = check_calibration(y, squashed)
        assert no_metric.reference is None and math.isnan(no_metric.gap)
        assert not no_metric.large_gap
        lax = check_calibration(cutpoint=cut, tolerance=10.0)
        assert not lax.large_gap


def test_gap_uses_the_unconstrained_optimum():
    rng = np.random.default_rng(5)
    y, p = simulate(rng, 20_000)
    cut = cp.find_cutpoint(y, p, metric="cost(fp=1, fn=4)", constraints="flag_rate <= 5%")
    free = cp.find_cutpoint(y, p, metric="cost(fp=1, fn=4)")
    cal = check_calibration(cutpoint=cut)
    assert cut.threshold != free.threshold
    assert cal.optimum == free.threshold
    assert not cal.large_gap


def test_metric_without_closed_form_has_no_gap():
    rng = np.random.default_rng(6)
    y, p = simulate(rng, 2000)
    cal = check_calibration(cutpoint=cp.find_cutpoint(y, p, metric="gmean"))
    assert cal.reference is None
    assert math.isnan(cal.gap) and math.isnan(cal.regret)
    assert cal.optimum == cp.find_cutpoint(y, p, metric="gmean").threshold
    assert "Brier" in str(cal)


def test_calibration_errors_name_the_problem():
    with pytest.raises(
        InvalidParameterError,
        match=r"a calibration check needs probabilities in \[0, 1\] \(got scores from -1.0 to 3.0\)",
    ):
        check_calibration([0, 1, 0, 1], [-1.0, 3.0, 0.2, 0.5])
    with pytest.raises(InvalidParameterError, match="rule '>='"):
        check_calibration(cutpoint=cp.find_cutpoint([0, 1, 0, 1], [0.9, 0.1, 0.7, 0.2], rule="<="))
    with pytest.raises(InvalidParameterError, match="exactly one of"):
        check_calibration()
    with pytest.raises(InvalidParameterError, match="both classes"):
        check_calibration([1, 1], [0.2, 0.4])
    with pytest.raises(InvalidParameterError, match="'n_bins'"):
        check_calibration([0, 1], [0.2, 0.4], n_bins=0)
    with pytest.raises(InvalidParameterError, match="'strategy'"):
        check_calibration([0, 1], [0.2, 0.4], strategy="kmeans")
    loaded = cp.Cutpoint.from_json(cp.find_cutpoint([0, 1], [0.2, 0.4]).to_json())
    with pytest.raises(InvalidParameterError, match="has no curve"):
        check_calibration(cutpoint=loaded)


def test_to_frame_is_one_row_per_bin():
    rng = np.random.default_rng(7)
    y, p = simulate(rng, 500)
    cal = check_calibration(y, p, n_bins=5)
    frame = cal.to_frame()
    assert list(frame.columns) == [
        "bin_low",
        "bin_high",
        "count",
        "positives",
        "mean_predicted",
        "fraction_positive",
    ]
    assert len(frame) == 5 and frame["count"].sum() == 500
    assert isinstance(cal, Calibration)


# ---------------------------------------------------------------------- the display
def test_reliability_display_draws_the_check():
    import matplotlib

    matplotlib.use("Agg")
    from cutpoints.plotting import ReliabilityDisplay

    rng = np.random.default_rng(8)
    y, p = simulate(rng, 4000)
    squashed = p**2
    cut = cp.find_cutpoint(y, squashed, metric="cost(fp=1, fn=4)")
    disp = ReliabilityDisplay.from_cutpoint(cut, n_bins=8, name="model")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CalibrationWarning)
        cal = check_calibration(cutpoint=cut, n_bins=8)
    filled = cal.counts > 0
    xy = disp.line_.get_xydata()
    np.testing.assert_allclose(xy[:, 0], cal.mean_predicted[filled])
    np.testing.assert_allclose(xy[:, 1], cal.fraction_positive[filled])
    heights = [bar.get_height() for bar in disp.bars_]
    assert heights == cal.counts.tolist()
    assert disp.counts_ax_ is not None and disp.counts_ax_.get_ylabel() == "Rows per bin"
    xs = [line.get_xdata()[0] for line in disp.threshold_lines_]
    assert xs == [cut.threshold, 0.2]  # the cutpoint, then its closed-form reference
    assert disp.brier == cal.brier and disp.ece == cal.ece
    assert "ECE" in disp.line_.get_label()
    plain = ReliabilityDisplay.from_predictions(y, p, counts=False, diagonal=False)
    assert plain.bars_ is None and plain.counts_ax_ is None and plain.diagonal_ is None
    assert plain.threshold_lines_ == []
    with pytest.raises(
        InvalidParameterError, match=r"a reliability diagram needs probabilities in \[0, 1\]"
    ):
        ReliabilityDisplay.from_predictions(y, p * 3)
    import matplotlib.pyplot as plt

    plt.close("all")


# ---------------------------------------------------------------------- the report
def embedded(page: str) -> dict:
    match = re.search(r'<script type="application/json" id="cp-data">(.*?)</script>', page, re.S)
    return json.loads(match.group(1))


def test_report_has_a_calibration_section_with_the_checks_numbers():
    from cutpoints._report._format import fmt_value

    rng = np.random.default_rng(9)
    y, p = simulate(rng, 3000)
    squashed = p**3
    with pytest.warns(CalibrationWarning):
        cal = check_calibration(y, squashed, metric="cost(fp=1, fn=4)")
    page = cp.report(y, squashed, metric="cost(fp=1, fn=4)")
    section = re.search(r'<section id="cp-calibration">.*?</section>', page, re.S).group(0)
    assert f"<td>Brier score (0 is perfect)</td><td>{fmt_value(cal.brier)}</td>" in section
    assert f"<td>expected calibration error (ECE)</td><td>{fmt_value(cal.ece)}</td>" in section
    assert f"<td>gap (optimum &minus; closed form)</td><td>{fmt_value(cal.gap)}</td>" in section
    assert 'id="cp-calibration-warning"' in section and "CalibratedClassifierCV" in section
    rows = re.findall(r"<tr><td>\[[^<]*</td><td>([\d,]+)</td>", section)
    assert [int(r.replace(",", "")) for r in rows] == cal.counts.astype(int).tolist()
    data = embedded(page)["calibration"]
    assert data["counts"] == cal.counts.tolist()
    assert data["reference"] == pytest.approx(0.2)
    assert data["optimum"] == cal.optimum
    np.testing.assert_allclose(
        np.array(data["fraction_positive"], dtype=float), cal.fraction_positive, equal_nan=True
    )
    # Calibrated scores: the section is there, without the warning.
    good = cp.report(y, p, metric="cost(fp=1, fn=4)")
    assert 'id="cp-calibration"' in good and 'id="cp-calibration-warning"' not in good


def test_report_has_no_calibration_section_for_scores_that_are_not_probabilities():
    rng = np.random.default_rng(10)
    y, p = simulate(rng, 1000)
    page = cp.report(y, np.log(p / (1 - p)))
    assert 'id="cp-calibration"' not in page
    assert embedded(page)["calibration"] is None


CHROMIUM = Path("/usr/bin/chromium")


@pytest.mark.browser
def test_report_draws_the_reliability_diagram_in_a_browser(tmp_path):
    if not CHROMIUM.exists():
        pytest.skip("/usr/bin/chromium is missing (apt-get install chromium); CI installs it")
    from playwright.sync_api import sync_playwright

    rng = np.random.default_rng(11)
    y, p = simulate(rng, 2000)
    path = tmp_path / "r.html"
    cp.report(y, p**2, metric="cost(fp=1, fn=4)", path=path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CalibrationWarning)
        cal = check_calibration(y, p**2, metric="cost(fp=1, fn=4)")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            page = browser.new_page()
            problems: list[str] = []
            page.on("pageerror", lambda e: problems.append(str(e)))
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            page.goto(path.as_uri())
            page.wait_for_selector("body[data-ready='1']")
            drawn = page.evaluate(
                """() => ['chart-reliability', 'chart-reliability-counts'].map((id) => {
                    const gd = document.getElementById(id);
                    return {data: gd.data.map((t) => ({name: t.name, x: Array.from(t.x), y: Array.from(t.y)})),
                            shapes: gd.layout.shapes.map((s) => s.x0),
                            axes: Object.keys(gd._fullLayout).filter((k) => /^yaxis\\d*$/.test(k)).length};
                })"""
            )
        finally:
            browser.close()
    assert problems == []
    curve_trace = next(t for t in drawn[0]["data"] if t["name"] == "share positive by mean score")
    filled = cal.counts > 0
    np.testing.assert_allclose(curve_trace["x"], cal.mean_predicted[filled])
    np.testing.assert_allclose(curve_trace["y"], cal.fraction_positive[filled])
    bars = drawn[1]["data"][0]
    assert bars["y"] == cal.counts.tolist()
    assert drawn[0]["shapes"] == pytest.approx([cal.optimum, 0.2])
    assert [d["axes"] for d in drawn] == [1, 1]  # one y axis per chart, as every report chart


@pytest.mark.parametrize("strategy", ["uniform", "quantile"])
def test_checks_of_a_histogram_engine_cutpoint_equal_the_sort_engines(strategy):
    """They read the class weights at every distinct score: a binned curve that kept its
    data is completed first, so every number equals the full curve's, and the gap is
    taken from the same optimum."""
    from cutpoints.engines import BinnedCurve, HistogramEngine

    rng = np.random.default_rng(11)
    y, p = simulate(rng, 20_000)
    binned = cp.find_cutpoint(y, p, engine=HistogramEngine(bits=6))
    assert isinstance(binned.curve, BinnedCurve)
    full = cp.find_cutpoint(y, p, engine="sort")
    got = check_calibration(cutpoint=binned, n_bins=12, strategy=strategy)
    want = check_calibration(cutpoint=full, n_bins=12, strategy=strategy)
    for name in ("edges", "counts", "positives", "mean_predicted"):
        np.testing.assert_array_equal(getattr(got, name), getattr(want, name))
    assert (got.brier, got.ece, got.gap) == (want.brier, want.ece, want.gap)
