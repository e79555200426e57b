"""Curves with gaps: saved with a cutpoint, binned by the histogram engine, re-targeted.

The oracle is the full curve of the same data (the sort engine) and re-weighting the
validation rows then tuning again (``find_cutpoint(..., sample_weight=...)``).
"""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import cutpoints as cp
import cutpoints._saved_curve as saved
from cutpoints._saved_curve import SavedCurve, hidden_rows, unknown_above
from cutpoints.engines import BinnedCurve, HistogramEngine
from cutpoints.errors import InvalidInputError, InvalidParameterError
from cutpoints.shift import RetargetWarning, retarget

from .strategies import binary_problems


def shift_weights(y, w, pi_new):
    """Row weights that move (weighted) prevalence pi to pi_new."""
    w = np.ones(len(y)) if w is None else np.asarray(w, dtype=float)
    pi = w[y].sum() / w.sum()
    return w * np.where(y, pi_new / pi, (1 - pi_new) / (1 - pi))


def problem(seed, n=3000, prevalence=0.4, digits=None):
    rng = np.random.default_rng(seed)
    y = rng.random(n) < prevalence
    s = 1 / (1 + np.exp(-rng.normal(2.0 * y, 1.0)))
    return y, (s if digits is None else np.round(s, digits))


def reloaded(cut):
    return cp.Cutpoint.from_json(cut.to_json(curve=True))


# ---------------------------------------------------------------------- whole curves
@pytest.mark.parametrize(
    ("metric", "constraints"),
    [("f1", ()), ("mcc", ()), ("recall", ("precision >= 0.3",)), ("cost(fp=1, fn=7)", ())],
)
@pytest.mark.parametrize("weighted", [False, True])
def test_saved_whole_curve_retargets_like_reweighting_the_rows(metric, constraints, weighted):
    y, s = problem(1, digits=3)
    w = np.random.default_rng(2).integers(1, 4, len(y)) if weighted else None
    cut = cp.find_cutpoint(y, s, metric=metric, constraints=list(constraints), sample_weight=w)
    loaded = reloaded(cut)
    assert type(loaded.curve) is cp.ConfusionCurve  # every row: a complete curve
    for name in ("thresholds", "tp", "fp"):
        np.testing.assert_array_equal(getattr(loaded.curve, name), getattr(cut.curve, name))
        assert getattr(loaded.curve, name).dtype == getattr(cut.curve, name).dtype
    assert loaded == cut and loaded.curve.weighted == weighted
    for pi_new in (0.03, 0.2, 0.6):
        moved = retarget(loaded, pi_new)
        again = cp.find_cutpoint(
            y,
            s,
            metric=metric,
            constraints=list(constraints),
            sample_weight=shift_weights(y, w, pi_new),
        )
        assert moved.threshold == again.threshold
        assert moved.optimal_thresholds == again.optimal_thresholds
        np.testing.assert_allclose([moved.tp, moved.fp], [again.tp, again.fp], rtol=1e-12)


def test_saved_curve_keeps_the_rule_labels_and_float_weights():
    y, s = problem(3, n=500, digits=2)
    w = np.random.default_rng(0).random(len(y))
    labels = np.where(y, "fraud", "ok")
    cut = cp.find_cutpoint(labels, -s, pos_label="fraud", rule="<=", sample_weight=w)
    loaded = reloaded(cut)
    assert loaded.curve.rule == "<=" and loaded.curve.thresholds[0] == -np.inf
    assert loaded.curve.positive_label == "fraud" and loaded.curve.tp.dtype == np.float64
    np.testing.assert_array_equal(loaded.curve.fp, cut.curve.fp)
    assert retarget(loaded, 0.1).threshold == retarget(cut, 0.1).threshold


def test_curve_is_saved_only_when_asked(tmp_path):
    cut = cp.find_cutpoint([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    assert "curve" not in cut.to_dict()
    path = tmp_path / "cut.json"
    cut.save(path)
    assert cp.Cutpoint.load(path).curve is None
    cut.save(path, curve=True)
    assert cp.Cutpoint.load(path).curve.tp.tolist() == cut.curve.tp.tolist()
    bare = cp.Cutpoint.from_json(cut.to_json())
    with pytest.raises(InvalidParameterError, match="no curve to save"):
        bare.save(path, curve=True)


# ---------------------------------------------------------------------- long curves
def test_a_long_curve_is_saved_as_spread_rows_with_its_gaps_marked(monkeypatch):
    monkeypatch.setattr(saved, "MAX_SAVED_ROWS", 64)
    y, s = problem(4, n=2000)
    cut = cp.find_cutpoint(y, s, metric="f1")
    data = cut.to_dict(curve=True)["curve"]
    assert data["complete"] is False and len(data["thresholds"]) <= 64 + 65 + 2
    loaded = reloaded(cut)
    curve = loaded.curve
    assert isinstance(curve, SavedCurve) and not curve.complete
    full = cut.curve
    rows = full.rows_at(curve.thresholds)
    np.testing.assert_array_equal(full.thresholds[rows], curve.thresholds)  # saved rows...
    np.testing.assert_array_equal(full.tp[rows], curve.tp)  # ...with their exact counts
    np.testing.assert_array_equal(full.fp[rows], curve.fp)
    np.testing.assert_array_equal(curve.gaps[1:], np.diff(rows) > 1)
    assert cut.threshold in curve.thresholds.tolist()  # the chosen row is always kept
    with pytest.raises(InvalidParameterError, match="rebuild the full curve"):
        curve.full()
    assert curve.fingerprint().startswith("sha256-saved:")


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    pi_new=st.sampled_from([0.01, 0.05, 0.2, 0.5, 0.8]),
    metric=st.sampled_from(["f1", "mcc", "fbeta(beta=2)", "accuracy"]),
    n_saved=st.integers(8, 60),
)
def test_spread_rows_retarget_exactly_or_name_the_bracket(seed, pi_new, metric, n_saved):
    """Never silent: either the answer equals the full curve's, or a warning names a
    bracket of two saved thresholds that holds the true optimum."""
    y, s = problem(seed, n=400, prevalence=0.3, digits=3)
    cut = cp.find_cutpoint(y, s, metric=metric)
    saved_max = saved.MAX_SAVED_ROWS
    saved.MAX_SAVED_ROWS = n_saved
    try:
        loaded = reloaded(cut)
    finally:
        saved.MAX_SAVED_ROWS = saved_max
    exact = retarget(cut, pi_new)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        moved = retarget(loaded, pi_new)
    said = [w for w in caught if issubclass(w.category, RetargetWarning)]
    if not said:
        assert moved.threshold == exact.threshold
        return
    assert len(said) == 1
    t = loaded.curve.thresholds
    hidden = hidden_rows(
        moved.curve, cp.get_metric(metric), maximize=cp.get_metric(metric).greater_is_better
    )
    # The true optimum is a known row, or inside a gap the warning names.
    inside = [t[i] < exact.threshold < t[i - 1] for i in hidden]
    assert exact.threshold in t.tolist() or any(inside)
    text = str(said[0].message)
    for i in hidden[:3]:
        assert f"({t[i]:.10g}, {t[i - 1]:.10g})" in text


def test_spread_rows_are_exact_when_the_optimum_cannot_hide(monkeypatch):
    # At the tuning prevalence nothing moves; with the neighbours of the chosen row kept,
    # the bounds prove that no gap holds the optimum: no warning, the exact answer.
    monkeypatch.setattr(saved, "MAX_SAVED_ROWS", 2000)
    y, s = problem(6, n=20_000, digits=4)
    cut = cp.find_cutpoint(y, s, metric="f1")
    loaded = reloaded(cut)
    assert isinstance(loaded.curve, SavedCurve)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RetargetWarning)
        moved = retarget(loaded, cut.prevalence)
    assert moved.threshold == retarget(cut, cut.prevalence).threshold == cut.threshold
    assert isinstance(moved.curve, SavedCurve)  # what is unknown stays marked


# ---------------------------------------------------------------------- binned curves
@pytest.mark.parametrize("metric", ["f1", "accuracy", "fbeta(beta=0.5)"])
@pytest.mark.parametrize("pi_new", [0.005, 0.1, 0.7])
def test_binned_curve_in_memory_retargets_exactly(metric, pi_new):
    """A histogram-engine cutpoint keeps its data: a gap that could hide the re-weighted
    optimum is refined with the full sweep, so the answer is the sort engine's."""
    y, s = problem(7, n=20_000)
    engine = HistogramEngine(bits=8)  # few bins: gaps are wide and many
    binned = cp.find_cutpoint(y, s, metric=metric, engine=engine)
    assert isinstance(binned.curve, BinnedCurve)
    full = cp.find_cutpoint(y, s, metric=metric, engine="sort")
    shifted = cp.shift.reweighted_curve(binned.curve, pi_new)
    assert len(hidden_rows(shifted, binned.metric, maximize=True))  # the rows alone: unsure
    moved = retarget(binned, pi_new)
    exact = retarget(full, pi_new)
    assert (moved.threshold, moved.optimal_thresholds) == (
        exact.threshold,
        exact.optimal_thresholds,
    )
    assert moved.tp == exact.tp and moved.fp == exact.fp


def test_binned_curve_saved_without_its_data_warns_or_is_exact():
    y, s = problem(8, n=50_000)
    binned = cp.find_cutpoint(y, s, metric="f1", engine=HistogramEngine(bits=8))
    loaded = reloaded(binned)
    assert isinstance(loaded.curve, SavedCurve)
    gaps = unknown_above(binned.curve)
    np.testing.assert_array_equal(loaded.curve.gaps, gaps)
    exact = retarget(cp.find_cutpoint(y, s, metric="f1"), 0.01)
    with pytest.warns(RetargetWarning, match=r"strictly between the known thresholds \(") as rec:
        moved = retarget(loaded, 0.01)
    assert "cp.confusion_curve(y_true, y_score)" in str(rec[0].message)
    assert moved.threshold in loaded.curve.thresholds.tolist()
    t = loaded.curve.thresholds
    i = int(loaded.curve.rows_at(exact.threshold))
    assert t[i] == exact.threshold or loaded.curve.gaps[i]


@settings(max_examples=80, deadline=None)
@given(binary_problems(min_size=2, max_size=60), st.sampled_from([0.1, 0.5, 0.9]))
def test_gaps_never_claim_exactness_falsely(problem_, pi_new):
    """Whenever retarget on a binned curve without its data does not warn, its answer
    equals the full curve's (ties, weights, tiny inputs, one bin)."""
    y, s, w = problem_
    if y.all() or not y.any() or (w is not None and (not w[y].any() or not w[~y].any())):
        return
    binned = cp.find_cutpoint(y, s, sample_weight=w, engine=HistogramEngine(bits=2))
    loaded = reloaded(binned)
    full = cp.find_cutpoint(y, s, sample_weight=w, engine="sort")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        moved = retarget(loaded, pi_new)
    if not any(issubclass(c.category, RetargetWarning) for c in caught):
        assert moved.threshold == retarget(full, pi_new).threshold


# ---------------------------------------------------------------------- strict loading
def _tampered(edit):
    y, s = problem(9, n=300, digits=2)
    data = cp.find_cutpoint(y, s).to_dict(curve=True)
    edit(data["curve"])
    return json.dumps(data)


def _set(key, index, value):
    def edit(curve):
        curve[key][index] = value

    return edit


BAD = [
    (lambda c: c["tp"].pop(), "'curve.tp' must be a list of"),
    (_set("tp", -1, 10**6), "'curve.tp' must end at 'data.n_positive'"),
    (_set("tp", 3, -1), "'curve.tp' must be cumulative counts"),
    (_set("fp", 2, 1.5), "'curve.fp' must be whole numbers"),
    (_set("fp", 2, True), "'curve.fp' must be whole numbers"),
    (_set("tp", 1, None), "'curve.tp' must be whole numbers"),
    (_set("thresholds", 0, 0.5), "'curve.thresholds' must be a list starting with '\\+inf'"),
    (_set("thresholds", 2, 99.0), "'curve.thresholds' must be strictly decreasing"),
    (_set("thresholds", 2, "nan"), "'curve.thresholds' must be a number"),
    (_set("thresholds", 2, None), "'curve.thresholds' must be a number"),
    (lambda c: c.update(rows=10**7), "'curve.rows' must be a number of rows from 1"),
    (lambda c: c.update(complete="yes"), "'curve.complete' must be true or false"),
    (lambda c: c.update(complete=False), "'curve.complete' must be true exactly when"),
    (lambda c: c.update(gaps=[0]), "'curve.gaps' must be distinct row numbers"),
    (lambda c: c.update(gaps=[2, 2], complete=False), "'curve.gaps' must be distinct"),
    (lambda c: c.update(tp="1,2"), "'curve.tp' must be a list"),
]


@pytest.mark.parametrize(("edit", "message"), BAD)
def test_a_damaged_saved_curve_is_refused_naming_the_field(edit, message):
    with pytest.raises(InvalidInputError, match=message):
        cp.Cutpoint.from_json(_tampered(edit))


def test_a_curve_that_disagrees_with_the_cutpoint_is_refused():
    y, s = problem(10, n=300, digits=2)
    cut = cp.find_cutpoint(y, s)
    data = cut.to_dict(curve=True)
    other = cp.find_cutpoint(y, np.round(s + 0.001, 3)).to_dict(curve=True)["curve"]
    data["curve"] = other
    with pytest.raises(InvalidInputError, match="curve"):
        cp.Cutpoint.from_json(json.dumps(data))


def test_adjusted_count_at_a_threshold_inside_a_bin_is_counted_exactly():
    from cutpoints.shift import estimate_prevalence

    y, s = problem(12, n=20_000)
    binned = cp.find_cutpoint(y, s, engine=HistogramEngine(bits=6))
    t = 0.4321  # inside an unrefined bin
    assert t in saved.in_gaps(binned.curve, [t])
    new = s[:3000]
    got = estimate_prevalence(new, "acc", reference=binned.curve, threshold=t, n_resamples=0)
    full = cp.confusion_curve(y, s)
    want = estimate_prevalence(new, "acc", reference=full, threshold=t, n_resamples=0)
    assert got.prevalence == want.prevalence
    loaded = reloaded(binned)
    with pytest.raises(InvalidParameterError, match="lies between two thresholds with known"):
        estimate_prevalence(new, "acc", reference=loaded.curve, threshold=t, n_resamples=0)
