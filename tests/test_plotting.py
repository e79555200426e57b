"""Plots are tested on the data they draw, never on pixels."""

from __future__ import annotations

import os

os.environ.setdefault("MPLBACKEND", "Agg")

import sys

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose, assert_array_equal

import cutpoints as cp
from cutpoints.errors import (
    InvalidInputError,
    InvalidParameterError,
    NotFittedError,
    UnknownMetricError,
)
from cutpoints.plotting import (
    ConfusionMatrixDisplay,
    CostDisplay,
    DecisionCurveDisplay,
    MetricsDisplay,
    PrecisionRecallDisplay,
    ROCDisplay,
    ScoreDistributionDisplay,
    plot_summary,
)
from cutpoints.plotting._base import drawing_indices

CURVE_DISPLAYS = [
    ROCDisplay,
    PrecisionRecallDisplay,
    MetricsDisplay,
    CostDisplay,
    DecisionCurveDisplay,
    ScoreDistributionDisplay,
    ConfusionMatrixDisplay,
]
EXTRA = {CostDisplay: {"metric": "cost(fp=1, fn=5)", "references": False}}


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture
def data():
    rng = np.random.default_rng(7)
    n = 400
    y = rng.random(n) < 0.3
    s = np.clip(rng.normal(0.35 + 0.3 * y, 0.15), 0, 1).round(2)  # ties on purpose
    return y.astype(int), s


@pytest.fixture
def cut(data):
    y, s = data
    return cp.find_cutpoint(y, s, metric="f1")


def _line_xy(line):
    return np.asarray(line.get_xdata(), float), np.asarray(line.get_ydata(), float)


# ---------------------------------------------------------------- ROC


def test_roc_draws_the_exact_curve_and_marks_the_cutpoint(data, cut):
    disp = ROCDisplay.from_cutpoint(cut)
    curve = cut.curve
    x, y = _line_xy(disp.line_)
    assert_array_equal(x, curve.fp / curve.n_negative)
    assert_array_equal(y, curve.tp / curve.n_positive)
    assert (x[0], y[0], x[-1], y[-1]) == (0, 0, 1, 1)
    assert_allclose(
        disp.points_[0].get_xydata(),
        [[cut.fp / cut.n_negative, cut.tp / cut.n_positive]],
    )
    assert_allclose(disp.points_[0].get_xydata()[0, 1], cut.metrics["recall"])
    assert "f1" in disp.points_[0].get_label()
    assert_array_equal(disp.chance_.get_xdata(), [0, 1])
    assert disp.ax_.figure is disp.figure_


def test_roc_auc_matches_sklearn(data):
    from sklearn.metrics import roc_auc_score

    y, s = data
    disp = ROCDisplay.from_predictions(y, s)
    assert disp.roc_auc == pytest.approx(roc_auc_score(y, s), abs=1e-12)


def test_roc_iso_cost_lines_touch_the_cheapest_vertex(data):
    y, s = data
    disp = ROCDisplay.from_predictions(y, s, iso_cost=(1, 4), n_iso_lines=3)
    assert len(disp.iso_cost_lines_) == 3
    curve = disp.curve
    p = curve.prevalence
    slope = 1 * (1 - p) / (4 * p)
    x, yy = _line_xy(disp.iso_cost_lines_[0])
    assert (yy[1] - yy[0]) / (x[1] - x[0]) == pytest.approx(slope)
    # The solid line passes through the vertex of least cost(fp=1, fn=4).
    best = int(np.argmin(curve.metric("cost(fp=1, fn=4)")))
    assert yy[0] + slope * disp.fpr[best] == pytest.approx(disp.tpr[best])


@pytest.mark.parametrize("bad", [(1,), (0, 1), (-1, 2), "1,2", (1, float("inf"))])
def test_roc_bad_iso_cost_names_argument(data, bad):
    y, s = data
    with pytest.raises(InvalidParameterError, match="'iso_cost'"):
        ROCDisplay.from_predictions(y, s, iso_cost=bad)


def test_roc_needs_both_classes():
    with pytest.raises(InvalidInputError, match="both classes"):
        ROCDisplay.from_predictions([1, 1, 1], [0.1, 0.2, 0.3])


# ---------------------------------------------------------------- PR


def test_pr_draws_exact_vertices_without_invented_endpoint(data, cut):
    disp = PrecisionRecallDisplay.from_cutpoint(cut)
    curve = cut.curve
    x, y = _line_xy(disp.line_)
    assert_array_equal(x, curve.metric("recall")[1:])
    assert_array_equal(y, curve.metric("precision")[1:])
    assert_allclose(
        disp.points_[0].get_xydata(), [[cut.metrics["recall"], cut.metrics["precision"]]]
    )
    assert_array_equal(disp.chance_.get_ydata(), [curve.prevalence] * 2)
    assert len(disp.iso_f1_lines_) == 4


def test_pr_iso_f1_curves_have_constant_f1(data):
    y, s = data
    disp = PrecisionRecallDisplay.from_predictions(y, s, iso_f1=[0.5])
    r, p = _line_xy(disp.iso_f1_lines_[0])
    assert_allclose(2 * p * r / (p + r), 0.5)


def test_pr_average_precision_matches_sklearn(data):
    from sklearn.metrics import average_precision_score

    y, s = data
    disp = PrecisionRecallDisplay.from_predictions(y, s)
    assert disp.average_precision == pytest.approx(average_precision_score(y, s), abs=1e-12)


def test_pr_bad_iso_f1(data):
    y, s = data
    with pytest.raises(InvalidParameterError, match=r"'iso_f1'.*1\.5"):
        PrecisionRecallDisplay.from_predictions(y, s, iso_f1=[1.5])


# ---------------------------------------------------------------- metrics vs threshold


def _bands_frame(thresholds):
    rows = []
    for metric, level in (("precision", 0.6), ("recall", 0.4), ("unused", 0.1)):
        for t in thresholds:
            rows.append(
                {
                    "metric": metric,
                    "threshold": t,
                    "p2.5": level - 0.1,
                    "p50": level,
                    "p97.5": level + 0.1,
                }
            )
    return pd.DataFrame(rows)


def test_metrics_lines_equal_curve_metrics(data, cut):
    disp = MetricsDisplay.from_cutpoint(cut, metrics=["precision", "recall", "fbeta(beta=2)"])
    curve = cut.curve
    assert list(disp.lines_) == ["precision", "recall", "fbeta(beta=2)"]
    for name, line in disp.lines_.items():
        x, y = _line_xy(line)
        assert_array_equal(x, curve.thresholds[1:])
        assert_array_equal(y, curve.metric(name)[1:])
    x, y = _line_xy(disp.flagged_line_)
    assert_array_equal(y, (curve.tp + curve.fp)[1:])
    assert disp.ax_flagged_ is not disp.ax_
    assert_array_equal(disp.threshold_lines_[0].get_xdata(), [cut.threshold] * 2)
    assert disp.capacity_line_ is None


def test_metrics_capacity_from_constraint_and_argument(data):
    y, s = data
    capped = cp.find_cutpoint(y, s, metric="recall", constraints="flagged <= 40")
    disp = MetricsDisplay.from_cutpoint(capped)
    assert_array_equal(disp.capacity_line_.get_ydata(), [40, 40])
    assert disp.capacity_line_.axes is disp.ax_flagged_
    disp = MetricsDisplay.from_predictions(y, s, capacity=25, flagged_scale="linear")
    assert_array_equal(disp.capacity_line_.get_ydata(), [25, 25])
    assert disp.ax_flagged_.get_yscale() == "linear"


def test_metrics_flagged_scale_auto_goes_log_for_wide_range():
    rng = np.random.default_rng(1)
    y = (rng.random(3000) < 0.05).astype(int)
    s = rng.random(3000)
    disp = MetricsDisplay.from_predictions(y, s)
    assert disp.ax_flagged_.get_yscale() == "log"


def test_metrics_bands_drawn_from_tidy_frame(data, cut):
    grid = np.array([0.2, 0.4, 0.3, 0.5])  # unsorted on purpose
    bands = _bands_frame(grid)
    disp = MetricsDisplay.from_cutpoint(cut, metrics=["precision", "recall"], bands=bands)
    assert set(disp.band_fills_) == {"precision", "recall"}
    path = disp.band_fills_["precision"].get_paths()[0].vertices
    assert_allclose(path[:, 1].min(), 0.5)
    assert_allclose(path[:, 1].max(), 0.7)
    assert_allclose(sorted(set(path[:, 0])), np.sort(grid))
    x, y = _line_xy(disp.band_medians_["recall"])
    assert_array_equal(x, np.sort(grid))
    assert_allclose(y, 0.4)


def test_metrics_flagged_band_goes_on_twin_axis(data):
    y, s = data
    bands = pd.DataFrame(
        {
            "metric": ["flagged", "flagged"],
            "threshold": [0.3, 0.6],
            "p2.5": [50.0, 10.0],
            "p97.5": [90.0, 30.0],
        }
    )
    disp = MetricsDisplay.from_predictions(y, s, bands=bands)
    fill = disp.band_fills_["flagged"]
    assert fill.axes is disp.ax_flagged_
    ys = fill.get_paths()[0].vertices[:, 1]
    assert (ys.min(), ys.max()) == (10.0, 90.0)


def test_metrics_bands_use_outermost_percentiles():
    bands = pd.DataFrame(
        {
            "metric": ["f1", "f1"],
            "threshold": [0.2, 0.4],
            "p5": [0.1, 0.1],
            "p95": [0.9, 0.9],
            "p25": [0.3, 0.3],
            "p75": [0.7, 0.7],
        }
    )
    disp = MetricsDisplay.from_predictions([0, 1, 0, 1], [0.1, 0.2, 0.3, 0.4], bands=bands)
    ys = disp.band_fills_["f1"].get_paths()[0].vertices[:, 1]
    assert (ys.min(), ys.max()) == (0.1, 0.9)
    assert disp.band_medians_ == {}


@pytest.mark.parametrize(
    ("bands", "match"),
    [
        ([1, 2], "'bands' must be a pandas DataFrame"),
        (pd.DataFrame({"threshold": [0.1], "p5": [0], "p95": [1]}), "missing column.*metric"),
        (pd.DataFrame({"metric": ["f1"], "threshold": [0.1], "p50": [0]}), "two percentile"),
    ],
)
def test_metrics_bad_bands(data, bands, match):
    y, s = data
    with pytest.raises(InvalidParameterError, match=match):
        MetricsDisplay.from_predictions(y, s, bands=bands)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"metrics": []}, InvalidParameterError, "'metrics'"),
        ({"metrics": "f1"}, InvalidParameterError, "'metrics'.*'f1'"),
        ({"metrics": ["f_one"]}, UnknownMetricError, "f_one"),
        ({"capacity": -3}, InvalidParameterError, "'capacity'.*-3"),
        ({"flagged_scale": "sqrt"}, InvalidParameterError, "'flagged_scale'.*'sqrt'"),
    ],
)
def test_metrics_bad_arguments(data, kwargs, error, match):
    y, s = data
    with pytest.raises(error, match=match):
        MetricsDisplay.from_predictions(y, s, **kwargs)


# ---------------------------------------------------------------- confusion matrix


def test_confusion_single_from_cutpoint(cut):
    disp = ConfusionMatrixDisplay.from_cutpoint(cut)
    assert_array_equal(disp.matrices_, [[[cut.tn, cut.fp], [cut.fn, cut.tp]]])
    texts = [[t.get_text().split("\n")[0] for t in row] for row in disp.text_]
    assert texts == [[f"{cut.tn:,}", f"{cut.fp:,}"], [f"{cut.fn:,}", f"{cut.tp:,}"]]
    assert len(disp.axes_) == 1


def test_confusion_side_by_side_and_difference(data, cut):
    y, s = data
    side = ConfusionMatrixDisplay.from_predictions(y, s, thresholds=[0.5, cut.threshold])
    assert len(side.axes_) == 2
    at_half = cp.evaluate_threshold(y, s, 0.5, metrics=[])
    assert_array_equal(
        side.matrices_[0], [[at_half["tn"], at_half["fp"]], [at_half["fn"], at_half["tp"]]]
    )
    assert_array_equal(side.matrices_[1], [[cut.tn, cut.fp], [cut.fn, cut.tp]])
    diff = ConfusionMatrixDisplay.from_predictions(
        y, s, thresholds=[0.5, cut.threshold], mode="difference"
    )
    assert_array_equal(diff.values_[0], side.matrices_[1] - side.matrices_[0])
    assert diff.text_[0, 1].get_text().startswith("+") or diff.values_[0][0, 1] <= 0
    # From a cutpoint the compared threshold comes first, the cutpoint last.
    again = ConfusionMatrixDisplay.from_cutpoint(cut, thresholds=0.5, mode="difference")
    assert_array_equal(again.values_[0], diff.values_[0])


def test_confusion_normalize_true_rows_sum_to_one(cut):
    disp = ConfusionMatrixDisplay.from_cutpoint(cut, normalize="true")
    assert_allclose(disp.values_[0].sum(axis=1), [1, 1])


def test_confusion_side_by_side_reuses_given_axes(data):
    y, s = data
    fig, axes = plt.subplots(1, 2)
    disp = ConfusionMatrixDisplay.from_predictions(y, s, thresholds=[0.3, 0.5], ax=axes)
    assert disp.axes_ == list(axes)
    assert disp.figure_ is fig


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({}, "'thresholds' must name at least one"),
        ({"thresholds": [0.2, 0.5], "mode": "single"}, "'mode' 'single'"),
        ({"thresholds": [0.2], "mode": "difference"}, "exactly two"),
        ({"thresholds": [0.2], "mode": "diff"}, "'mode' must be one of.*'diff'"),
        ({"thresholds": [0.2], "normalize": "rows"}, "'normalize'.*'rows'"),
        ({"thresholds": "0.5"}, "'thresholds'.*'0.5'"),
        ({"thresholds": [float("nan")]}, "'thresholds' must not contain NaN"),
    ],
)
def test_confusion_bad_arguments(data, kwargs, match):
    y, s = data
    with pytest.raises(InvalidParameterError, match=match):
        ConfusionMatrixDisplay.from_predictions(y, s, **kwargs)


def test_confusion_wrong_number_of_axes(data):
    y, s = data
    _, axes = plt.subplots(1, 3)
    with pytest.raises(InvalidParameterError, match="'ax' must be a sequence of 2 Axes"):
        ConfusionMatrixDisplay.from_predictions(y, s, thresholds=[0.3, 0.5], ax=axes)


# ---------------------------------------------------------------- cost


def test_cost_line_and_point(data):
    y, s = data
    cost_cut = cp.find_cutpoint(y, s, metric="cost(fp=1, fn=5)")
    disp = CostDisplay.from_cutpoint(cost_cut, thresholds=0.5)
    curve = cost_cut.curve
    values = curve.metric("cost(fp=1, fn=5)")
    x, yy = _line_xy(disp.line_)
    assert_array_equal(x, curve.thresholds[1:])
    assert_array_equal(yy, values[1:])
    assert_allclose(disp.points_[0].get_xydata(), [[cost_cut.threshold, cost_cut.score]])
    assert cost_cut.score == values.min()
    assert disp.flag_none_line_.get_ydata()[0] == values[0]
    assert disp.flag_all_line_.get_ydata()[0] == values[-1]
    # The 0.5 mark sits at the cost of flagging score >= 0.5.
    expected = cp.evaluate_threshold(y, s, 0.5, metrics=["cost(fp=1, fn=5)"])
    assert_allclose(disp.points_[1].get_xydata(), [[0.5, expected["cost(fp=1, fn=5)"]]])
    # The Bayes reference fp / (fp + fn) is drawn for probabilities.
    assert_allclose(disp.reference_lines_[0].get_xdata(), [1 / 6, 1 / 6])


def test_cost_needs_metric_without_cutpoint(data):
    y, s = data
    with pytest.raises(InvalidParameterError, match="'metric' is needed"):
        CostDisplay.from_predictions(y, s)


# ---------------------------------------------------------------- decision curve


def test_decision_curve_net_benefit_by_index_at(data, cut):
    y, s = data
    pts = np.array([0.05, 0.2, 0.35, 0.5])
    disp = DecisionCurveDisplay.from_cutpoint(cut, pt=pts)
    curve = cut.curve
    n = curve.n_total
    for k, pt in enumerate(pts):
        i = curve.index_at(pt)
        expected = curve.tp[i] / n - curve.fp[i] / n * pt / (1 - pt)
        assert disp.net_benefit[k] == pytest.approx(expected)
        # ... which is the registered metric net_benefit(pt=...) at threshold pt.
        nb = cp.evaluate_threshold(y, s, pt, metrics=[f"net_benefit(pt={pt})"])
        assert disp.net_benefit[k] == pytest.approx(nb[f"net_benefit(pt={pt:g})"])
    assert_array_equal(disp.line_.get_ydata(), disp.net_benefit)
    p, neg = curve.n_positive, curve.n_negative
    assert_allclose(disp.treat_all_line_.get_ydata(), p / n - neg / n * pts / (1 - pts))
    assert disp.treat_none_line_.get_ydata()[0] == 0
    i = curve.index_at(cut.threshold)
    t = cut.threshold
    assert_allclose(
        disp.points_[0].get_xydata(), [[t, curve.tp[i] / n - curve.fp[i] / n * t / (1 - t)]]
    )


def test_decision_curve_rejects_non_probabilities_and_bad_pt():
    with pytest.raises(InvalidInputError, match="'y_score' must be probabilities"):
        DecisionCurveDisplay.from_predictions([0, 1, 0], [-1.0, 2.0, 0.5])
    with pytest.raises(InvalidParameterError, match="'pt'"):
        DecisionCurveDisplay.from_predictions([0, 1, 0], [0.1, 0.9, 0.5], pt=[0.0, 0.5])


# ---------------------------------------------------------------- score distribution


def test_score_distribution_counts_from_curve(data):
    y, s = data
    edges = np.linspace(0, 1, 11)
    disp = ScoreDistributionDisplay.from_predictions(
        y, s, thresholds=0.5, bins=edges, density=False
    )
    assert_array_equal(disp.counts_positive, np.histogram(s[y == 1], bins=edges)[0])
    assert_array_equal(disp.counts_negative, np.histogram(s[y == 0], bins=edges)[0])
    values, drawn_edges = disp.hist_positive_.get_data()[:2]
    assert_array_equal(values, disp.counts_positive)
    assert_array_equal(drawn_edges, edges)
    assert_array_equal(disp.cut_lines_[0].get_xdata(), [0.5, 0.5])


def test_score_distribution_weighted_and_density(data):
    y, s = data
    w = np.arange(len(y)) % 3
    edges = np.linspace(0, 1, 6)
    disp = ScoreDistributionDisplay.from_predictions(
        y, s, sample_weight=w, bins=edges, density=False
    )
    assert_allclose(disp.counts_positive, np.histogram(s[y == 1], edges, weights=w[y == 1])[0])
    dens = ScoreDistributionDisplay.from_predictions(y, s, bins=edges)
    assert_allclose((dens.counts_positive * np.diff(edges)).sum(), 1)
    assert_allclose((dens.counts_negative * np.diff(edges)).sum(), 1)


@pytest.mark.parametrize("bins", [0, [0.5, 0.2], [[0, 1]]])
def test_score_distribution_bad_bins(data, bins):
    y, s = data
    with pytest.raises(InvalidParameterError, match="'bins'"):
        ScoreDistributionDisplay.from_predictions(y, s, bins=bins)


# ---------------------------------------------------------------- shared behaviour


@pytest.mark.parametrize("cls", CURVE_DISPLAYS)
def test_from_cutpoint_equals_from_predictions(cls, data, cut):
    y, s = data
    a = cls.from_cutpoint(cut, **EXTRA.get(cls, {}))
    b = cls.from_predictions(y, s, thresholds=[cut.threshold], **EXTRA.get(cls, {}))
    lines_a, lines_b = a.ax_.get_lines(), b.ax_.get_lines()
    assert len(lines_a) == len(lines_b) > 0 or cls is ConfusionMatrixDisplay
    for la, lb in zip(lines_a, lines_b, strict=True):
        assert_array_equal(la.get_xydata(), lb.get_xydata())
    if cls is ConfusionMatrixDisplay:
        assert_array_equal(a.matrices_, b.matrices_)


@pytest.mark.parametrize("cls", CURVE_DISPLAYS)
def test_ax_is_reused_and_returned_display_holds_it(cls, data, cut):
    fig, ax = plt.subplots()
    disp = cls.from_cutpoint(cut, ax=ax, **EXTRA.get(cls, {}))
    assert disp.ax_ is ax
    assert disp.figure_ is fig
    assert len(plt.get_fignums()) == 1


@pytest.mark.parametrize("cls", CURVE_DISPLAYS)
def test_plot_can_be_called_again_on_new_axes(cls, cut):
    disp = cls.from_cutpoint(cut, **EXTRA.get(cls, {}))
    first = disp.ax_
    _, ax = plt.subplots()
    assert disp.plot(ax=ax, **EXTRA.get(cls, {})) is disp
    assert disp.ax_ is ax is not first


@pytest.mark.parametrize("cls", CURVE_DISPLAYS)
def test_missing_matplotlib_gives_install_hint(cls, cut, monkeypatch):
    for name in list(sys.modules):
        if name == "matplotlib" or name.startswith("matplotlib."):
            monkeypatch.setitem(sys.modules, name, None)
    with pytest.raises(ImportError, match=r'pip install "cutpoints\[plot\]"'):
        cls.from_cutpoint(cut, **EXTRA.get(cls, {}))


def test_plot_summary_hint_without_matplotlib(cut, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match=r'pip install "cutpoints\[plot\]"'):
        plot_summary(cut)


def test_core_does_not_import_plotting():
    import subprocess

    code = (
        "import sys, cutpoints as cp; cp.find_cutpoint([0, 1], [0.1, 0.9]); "
        "print(any(m.startswith(('matplotlib', 'cutpoints.plotting')) for m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "False"


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: ROCDisplay.from_cutpoint("0.5"), "'cutpoint' must be a cutpoints.Cutpoint"),
        (lambda: ROCDisplay("curve"), "'curve' must be a cutpoints.ConfusionCurve"),
        (lambda: ROCDisplay.from_predictions([0, 1], [0.1, 0.9], ax="ax"), "'ax' must be"),
        (lambda: ROCDisplay.from_predictions([0, 1], [0.1, 0.9], name=3), "'name'"),
        (
            lambda: ROCDisplay.from_predictions([0, 1], [0.1, 0.9], thresholds=[0.5, None]),
            "'thresholds'.*None",
        ),
    ],
)
def test_bad_arguments_name_the_argument(call, match):
    with pytest.raises(InvalidParameterError, match=match):
        call()


def test_bad_data_errors_come_from_core_validation():
    with pytest.raises(InvalidInputError, match="'y_score'"):
        ROCDisplay.from_predictions([0, 1, 0], [0.1, float("nan"), 0.3])


def test_loaded_cutpoint_without_curve_explains(cut):
    loaded = cp.Cutpoint.from_json(cut.to_json())
    with pytest.raises(InvalidParameterError, match=r"has no curve.*from_predictions"):
        ROCDisplay.from_cutpoint(loaded)


def test_rule_le_curves(data):
    y, s = data
    low = cp.find_cutpoint(y, -s, metric="f1", rule="<=")
    high = cp.find_cutpoint(y, s, metric="f1")
    a, b = ROCDisplay.from_cutpoint(low), ROCDisplay.from_cutpoint(high)
    assert_array_equal(a.line_.get_xydata(), b.line_.get_xydata())
    assert_array_equal(a.points_[0].get_xydata(), b.points_[0].get_xydata())
    m = MetricsDisplay.from_cutpoint(low)
    assert_array_equal(m.lines_["f1"].get_xdata(), low.curve.thresholds[1:])


# ---------------------------------------------------------------- long curves


def test_drawing_indices_keep_marked_rows():
    idx = drawing_indices(100_000, keep=[12_345, 99_998], max_points=1000)
    assert idx[0] == 0
    assert idx[-1] == 99_999
    assert 12_345 in idx
    assert 99_998 in idx
    assert np.all(np.diff(idx) > 0)
    assert len(idx) <= 1004
    assert_array_equal(drawing_indices(50), np.arange(50))


def test_long_curve_is_thinned_but_marked_point_stays_exact():
    rng = np.random.default_rng(3)
    n = 30_000
    y = (rng.random(n) < 0.2).astype(int)
    s = rng.random(n) + 0.3 * y
    cut = cp.find_cutpoint(y, s, metric="f1")
    disp = ROCDisplay.from_cutpoint(cut)
    x, yy = _line_xy(disp.line_)
    assert len(x) < len(cut.curve)
    px, py = disp.points_[0].get_xydata()[0]
    hit = np.flatnonzero((x == px) & (yy == py))
    assert hit.size == 1  # the marked vertex is on the drawn line, exactly
    m = MetricsDisplay.from_cutpoint(cut)
    mx = m.lines_["f1"].get_xdata()
    assert cut.threshold in mx


# ---------------------------------------------------------------- estimators


def test_from_estimator_plain_classifier(data):
    from sklearn.linear_model import LogisticRegression

    y, s = data
    X = s.reshape(-1, 1)
    clf = LogisticRegression().fit(X, y)
    disp = ROCDisplay.from_estimator(clf, X, y, thresholds=0.5)
    ref = ROCDisplay.from_predictions(y, clf.predict_proba(X)[:, 1], thresholds=0.5)
    assert_array_equal(disp.line_.get_xydata(), ref.line_.get_xydata())
    assert disp.name == "LogisticRegression"
    dec = ROCDisplay.from_estimator(clf, X, y, response_method="decision_function")
    assert disp.roc_auc == pytest.approx(dec.roc_auc)
    with pytest.raises(InvalidParameterError, match=r"'response_method'.*'proba'"):
        ROCDisplay.from_estimator(clf, X, y, response_method="proba")


class _FakeCutpointClassifier:
    """Duck-typed stand-in for cutpoints.CutpointClassifier (cutpoint_, estimator_)."""

    def __init__(self, estimator, cutpoint):
        self.estimator_ = estimator
        self.cutpoint_ = cutpoint
        self.threshold_ = cutpoint.threshold


def test_from_estimator_marks_a_tuned_threshold(data):
    from sklearn.linear_model import LogisticRegression

    y, s = data
    X = s.reshape(-1, 1)
    clf = LogisticRegression().fit(X, y)
    scores = clf.predict_proba(X)[:, 1]
    tuned = cp.find_cutpoint(y, scores, metric="f1")
    wrapper = _FakeCutpointClassifier(clf, tuned)
    for cls in (ROCDisplay, MetricsDisplay, ConfusionMatrixDisplay):
        disp = cls.from_estimator(wrapper, X, y)
        ref = cls.from_cutpoint(tuned)
        assert disp.marked[0].threshold == tuned.threshold
        assert disp.marked[0].label == ref.marked[0].label
    roc = ROCDisplay.from_estimator(wrapper, X, y)
    assert roc.name == "LogisticRegression"
    assert_allclose(
        roc.points_[0].get_xydata(), ROCDisplay.from_cutpoint(tuned).points_[0].get_xydata()
    )


def test_from_estimator_unfitted_and_unusable():
    class Unfitted:
        @property
        def cutpoint_(self):
            raise AttributeError("cutpoint_")

    with pytest.raises(NotFittedError, match="not fitted"):
        ROCDisplay.from_estimator(Unfitted(), [[0], [1]], [0, 1])
    with pytest.raises(InvalidParameterError, match="has no predict_proba or decision_function"):
        ROCDisplay.from_estimator(object(), [[0], [1]], [0, 1])


# ---------------------------------------------------------------- summary


def test_plot_summary_saves_a_2x2_figure(cut, tmp_path):
    path = tmp_path / "summary.png"
    fig = plot_summary(cut, path, compare_to=0.5, dpi=40)
    assert path.stat().st_size > 1000
    titles = [ax.get_title() for ax in fig.axes]
    assert {"ROC curve", "Precision-recall curve", "Metrics by threshold"} <= set(titles)
    assert any("f1" in t for t in titles)
    assert fig._suptitle.get_text() == f"f1 = {cut.score:.4g} at threshold {cut.threshold!r}"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["summary.png"]  # no temp left


def test_plot_summary_writes_whole_or_not_at_all(cut, tmp_path):
    path = tmp_path / "summary.xyz"
    path.write_text("the previous figure")
    with pytest.raises(ValueError, match="xyz"):
        plot_summary(cut, path, dpi=40)  # matplotlib has no .xyz format
    assert path.read_text() == "the previous figure"
    assert [p.name for p in tmp_path.iterdir()] == ["summary.xyz"]
    svg = tmp_path / "summary.svg"
    plot_summary(cut, svg, dpi=40)
    assert svg.read_text().lstrip().startswith("<?xml")


def test_plot_summary_rejects_loaded_cutpoint(cut):
    with pytest.raises(InvalidParameterError, match="'cutpoint' has no curve"):
        plot_summary(cp.Cutpoint.from_json(cut.to_json()))


def test_from_estimator_decision_function_for_pos_label_zero(data):
    from sklearn.linear_model import LogisticRegression

    y, s = data
    X = s.reshape(-1, 1)
    clf = LogisticRegression().fit(X, y)
    disp = ROCDisplay.from_estimator(clf, X, y, response_method="decision_function", pos_label=0)
    ref = ROCDisplay.from_predictions(y, -clf.decision_function(X), pos_label=0)
    assert_array_equal(disp.line_.get_xydata(), ref.line_.get_xydata())
    with pytest.raises(InvalidParameterError, match=r"'pos_label'.*7"):
        ROCDisplay.from_estimator(clf, X, y, pos_label=7)


def test_from_estimator_with_real_cutpoint_classifiers(data):
    from sklearn.linear_model import LogisticRegression

    try:
        from cutpoints import CutpointClassifier, FixedCutpointClassifier
    except (ImportError, AttributeError):  # pragma: no cover - built concurrently
        pytest.skip("cutpoints estimators not available")
    y, s = data
    X = np.column_stack([s, np.sin(7 * s)])
    tuned = CutpointClassifier(LogisticRegression(), metric="f1", cv=3).fit(X, y)
    disp = ROCDisplay.from_estimator(tuned, X, y)
    assert disp.marked[0].threshold == tuned.threshold_
    assert "f1" in disp.marked[0].label
    scores = tuned.estimator_.predict_proba(X)[:, 1]
    ref = ROCDisplay.from_predictions(y, scores, thresholds=tuned.threshold_)
    assert_array_equal(disp.points_[0].get_xydata(), ref.points_[0].get_xydata())
    fixed = FixedCutpointClassifier(LogisticRegression().fit(X, y), threshold=0.3).fit(X, y)
    disp = ConfusionMatrixDisplay.from_estimator(fixed, X, y)
    assert disp.marked[0].threshold == 0.3
    flagged = fixed.predict(X) == 1
    assert disp.matrices_[0][1, 1] == int(np.sum(flagged & (y == 1)))


def test_from_curve(data):
    y, s = data
    curve = cp.confusion_curve(y, s)
    disp = PrecisionRecallDisplay.from_curve(curve, thresholds=[0.4], name="model")
    assert disp.curve is curve
    assert disp.line_.get_label().startswith("model")


def test_flag_nothing_cutpoint_and_float_weights_draw_warning_free():
    # Only negatives above every positive: "flag nothing" can be optimal for accuracy.
    y = [0, 0, 0, 0, 0, 0, 1]
    s = [0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3]
    cut = cp.find_cutpoint(y, s, metric="accuracy")
    assert cut.threshold == float("inf")
    fig = plot_summary(cut)
    assert len(fig.axes) >= 4
    for cls in CURVE_DISPLAYS:
        cls.from_cutpoint(cut, **EXTRA.get(cls, {}))
    w = [0.5, 1.25, 2.0, 1.0, 0.75, 1.5, 3.0]
    disp = ConfusionMatrixDisplay.from_predictions(y, s, thresholds=0.45, sample_weight=w)
    assert disp.text_[0, 1].get_text().startswith("5.5\n")
