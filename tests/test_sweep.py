"""The exact sweep and the confusion curve, against brute force and scikit-learn."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from sklearn.metrics import precision_recall_curve, roc_curve

import cutpoints as cp
from cutpoints.engines import exact_sweep

from .oracle import brute_force_counts
from .strategies import binary_problems, imbalanced_problems


def assert_curve_matches_oracle(curve, y, score, weight, rule=">="):
    thresholds, tp, fp, tn, fn = brute_force_counts(y, score, weight, rule)
    np.testing.assert_array_equal(curve.thresholds, thresholds)
    for name, expected in (("tp", tp), ("fp", fp), ("tn", tn), ("fn", fn)):
        np.testing.assert_array_equal(getattr(curve, name), expected, err_msg=name)


@given(binary_problems())
def test_curve_equals_brute_force(problem):
    y, score, weight = problem
    curve = cp.confusion_curve(y, score, sample_weight=weight)
    assert_curve_matches_oracle(curve, y, score, weight)


@given(binary_problems(weighted=True, integer_weights=False))
def test_curve_equals_brute_force_fractional_weights(problem):
    y, score, weight = problem
    curve = cp.confusion_curve(y, score, sample_weight=weight)
    assert curve.tp.dtype == np.float64
    assert_curve_matches_oracle(curve, y, score, weight)


@given(binary_problems())
def test_lower_is_positive_rule_equals_brute_force(problem):
    y, score, weight = problem
    curve = cp.confusion_curve(y, score, sample_weight=weight, rule="<=")
    assert curve.thresholds[0] == -np.inf
    assert_curve_matches_oracle(curve, y, score, weight, rule="<=")


@given(imbalanced_problems())
def test_extreme_imbalance_equals_brute_force_on_rows_applied(problem):
    # 20,000 rows is too many for the Python oracle at every threshold; apply each
    # threshold with numpy instead (still a direct count, independent of the sweep).
    y, score, _ = problem
    curve = cp.confusion_curve(y, score)
    assert curve.n_positive == y.sum()
    flagged_matrix_check(curve, y, score)


def flagged_matrix_check(curve, y, score, weight=None):
    """Apply every reported threshold with `score >= t` and recount, exactly."""
    w = np.ones(len(score), dtype=np.int64) if weight is None else weight
    order = np.sort(score)
    for i, t in enumerate(curve.thresholds):
        flagged = score >= t
        assert curve.tp[i] == w[flagged & y].sum()
        assert curve.fp[i] == w[flagged & ~y].sum()
        if i:  # every candidate is an observed score
            assert order[np.searchsorted(order, t)] == t


def test_applying_thresholds_reproduces_counts_large(rng):
    n = 100_000
    y = rng.random(n) < 0.05
    score = np.round(rng.normal(size=n) + y, 3)  # rounding makes many ties
    curve = cp.confusion_curve(y, score)
    assert len(curve) == len(np.unique(score)) + 1
    idx = rng.choice(len(curve), size=200, replace=False)
    for i in idx:
        t = curve.thresholds[i]
        flagged = score >= t
        assert curve.tp[i] == np.sum(flagged & y)
        assert curve.fp[i] == np.sum(flagged & ~y)


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int64, np.int32, np.uint8])
def test_score_dtypes_give_observed_thresholds(dtype, rng):
    y = rng.random(500) < 0.3
    score = (rng.random(500) * 100).astype(dtype)
    curve = cp.confusion_curve(y, score)
    observed = set(np.asarray(score, dtype=np.float64).tolist())
    assert set(curve.thresholds[1:].tolist()) == observed
    flagged_matrix_check(curve, y, score.astype(np.float64))


def test_unweighted_counts_are_exact_integers(toy):
    curve = cp.confusion_curve(*toy)
    assert curve.tp.dtype == np.int64 and curve.fp.dtype == np.int64
    assert curve.tn.dtype == np.int64 and curve.fn.dtype == np.int64
    integer_weights = cp.confusion_curve(*toy, sample_weight=[1, 2, 3, 4, 5, 6, 7, 8])
    assert integer_weights.tp.dtype == np.int64


def test_hand_checked_toy_curve(toy):
    curve = cp.confusion_curve(*toy)
    np.testing.assert_array_equal(
        curve.thresholds, [np.inf, 0.8, 0.7, 0.6, 0.4, 0.35, 0.3, 0.2, 0.1]
    )
    np.testing.assert_array_equal(curve.tp, [0, 1, 2, 2, 2, 3, 4, 4, 4])
    np.testing.assert_array_equal(curve.fp, [0, 0, 0, 1, 2, 2, 2, 3, 4])
    np.testing.assert_array_equal(curve.tn, [4, 4, 4, 3, 2, 2, 2, 1, 0])
    np.testing.assert_array_equal(curve.fn, [4, 3, 2, 2, 2, 1, 0, 0, 0])


def test_all_tied_scores_give_two_rows():
    curve = cp.confusion_curve([0, 1, 1, 0, 1], [0.3] * 5)
    np.testing.assert_array_equal(curve.thresholds, [np.inf, 0.3])
    np.testing.assert_array_equal(curve.tp, [0, 3])
    np.testing.assert_array_equal(curve.fp, [0, 2])


@pytest.mark.parametrize(
    ("y", "score"), [([1], [0.5]), ([0], [0.5]), ([0, 1], [0.2, 0.2]), ([1, 0], [0.9, 0.1])]
)
def test_tiny_inputs(y, score):
    curve = cp.confusion_curve(y, score)
    assert_curve_matches_oracle(curve, np.array(y) == 1, np.array(score), None)


def test_signed_zero_is_one_threshold():
    curve = cp.confusion_curve([1, 0, 1], [-0.0, 0.0, 0.5])
    np.testing.assert_array_equal(curve.thresholds, [np.inf, 0.5, 0.0])
    np.testing.assert_array_equal(curve.tp, [0, 1, 2])
    np.testing.assert_array_equal(curve.fp, [0, 0, 1])


def test_zero_weight_rows_stay_candidates_with_unchanged_counts():
    # scikit-learn drops zero-weight rows before sorting, so their scores stop being
    # thresholds; here they stay, and flagging at them changes no count.
    curve = cp.confusion_curve([1, 0, 1, 0], [0.9, 0.7, 0.5, 0.3], sample_weight=[1, 0, 1, 1])
    np.testing.assert_array_equal(curve.thresholds, [np.inf, 0.9, 0.7, 0.5, 0.3])
    np.testing.assert_array_equal(curve.tp, [0, 1, 1, 2, 2])
    np.testing.assert_array_equal(curve.fp, [0, 0, 0, 0, 1])


def test_fp_accumulates_monotonically_with_fractional_weights(rng):
    n = 50_000
    y = rng.random(n) < 0.5
    w = rng.random(n) * 1e-3 + rng.random(n) * 1e3
    curve = cp.confusion_curve(y, rng.random(n), sample_weight=w)
    assert np.all(np.diff(curve.fp) >= 0) and np.all(np.diff(curve.tp) >= 0)
    np.testing.assert_allclose(curve.n_negative, w[~y].sum(), rtol=1e-12)


# ------------------------------------------------------------- scikit-learn, live
@given(binary_problems(min_size=2))
def test_matches_sklearn_roc_curve(problem):
    y, score, weight = problem
    # roc_curve is undefined for one class: such examples are not this test's business.
    assume(y.any() and not y.all())
    assume(weight is None or (np.any(weight[y]) and np.any(weight[~y])))
    curve = cp.confusion_curve(y, score, sample_weight=weight)
    fpr, tpr, thr = roc_curve(y, score, sample_weight=weight, drop_intermediate=False)
    # scikit-learn drops zero-weight rows' scores as thresholds; compare on its thresholds.
    idx = [curve.index_at(t) for t in thr]
    np.testing.assert_allclose(curve.metric("fpr")[idx], fpr, rtol=1e-12, atol=0)
    np.testing.assert_allclose(curve.metric("tpr")[idx], tpr, rtol=1e-12, atol=0)


def test_matches_sklearn_precision_recall_curve(rng):
    y = rng.random(5000) < 0.1
    score = np.round(rng.random(5000), 2)
    curve = cp.confusion_curve(y, score)
    precision, recall, thr = precision_recall_curve(y, score)
    # scikit-learn's arrays are one longer than thresholds (a final (1, 0) point).
    idx = [curve.index_at(t) for t in thr]
    np.testing.assert_array_equal(curve.metric("precision")[idx], precision[:-1])
    np.testing.assert_array_equal(curve.metric("recall")[idx], recall[:-1])
    np.testing.assert_array_equal(np.sort(thr)[::-1], curve.thresholds[1:][: len(thr)])


def test_matches_sklearn_confusion_matrix_at_thresholds(rng):
    sk = pytest.importorskip("sklearn.metrics")
    if not hasattr(sk, "confusion_matrix_at_thresholds"):
        pytest.skip("scikit-learn < 1.8 has no confusion_matrix_at_thresholds")
    y = rng.random(3000) < 0.2
    score = np.round(rng.normal(size=3000), 2)
    w = rng.integers(1, 4, size=3000)
    tns, fps, fns, tps, thr = sk.confusion_matrix_at_thresholds(y, score, sample_weight=w)
    curve = cp.confusion_curve(y, score, sample_weight=w)
    np.testing.assert_array_equal(curve.thresholds[1:], thr)
    np.testing.assert_array_equal(curve.tp[1:], tps)
    np.testing.assert_array_equal(curve.fp[1:], fps)
    np.testing.assert_array_equal(curve.tn[1:], tns)
    np.testing.assert_array_equal(curve.fn[1:], fns)


# ------------------------------------------------------------- the engine itself
@given(st.lists(st.sampled_from([-2.0, -1.0, -0.0, 0.0, 1.0]), min_size=1, max_size=30), st.data())
def test_exact_sweep_thresholds_strictly_decrease(scores, data):
    score = np.array(scores)
    y = np.array(data.draw(st.lists(st.booleans(), min_size=len(score), max_size=len(score))))
    thresholds, tp, fp = exact_sweep(score, y)
    assert np.all(np.diff(thresholds) < 0)
    assert tp[-1] == y.sum() and fp[-1] == (~y).sum()


def test_curve_at_unobserved_threshold(toy):
    curve = cp.confusion_curve(*toy)
    assert curve.at(0.38) == {"threshold": 0.38, "tp": 2, "fp": 2, "tn": 2, "fn": 2}
    assert curve.at(10) == {"threshold": 10.0, "tp": 0, "fp": 0, "tn": 4, "fn": 4}
    assert curve.at(-10)["tp"] == 4
    assert curve.index_at(0.35) == 5


def test_to_frame_has_one_row_per_threshold(toy):
    frame = cp.confusion_curve(*toy).to_frame(["f1", "precision"])
    assert list(frame.columns) == ["threshold", "tp", "fp", "tn", "fn", "f1", "precision"]
    assert len(frame) == 9


def test_curve_arrays_are_read_only(toy):
    curve = cp.confusion_curve(*toy)
    with pytest.raises(ValueError, match="read-only"):
        curve.tp[0] = 5


def test_fingerprint_ignores_row_order_and_sees_changes(toy):
    y, s = toy
    a = cp.confusion_curve(y, s).fingerprint()
    b = cp.confusion_curve(y[::-1], s[::-1]).fingerprint()
    c = cp.confusion_curve(y, [*s[:-1], 0.31]).fingerprint()
    assert a == b != c


@pytest.mark.parametrize("threads", ["1", "2", "3", "8"])
def test_parallel_sort_gives_the_same_curve(threads, monkeypatch, rng):
    n = 200_003  # above the parallel threshold, not divisible by the thread counts
    y = rng.random(n) < 0.1
    score = np.round(rng.random(n), 4)
    monkeypatch.setenv("CUTPOINTS_NUM_THREADS", "1")
    serial = cp.confusion_curve(y, score)
    monkeypatch.setenv("CUTPOINTS_NUM_THREADS", threads)
    parallel = cp.confusion_curve(y, score)
    np.testing.assert_array_equal(parallel.thresholds, serial.thresholds)
    np.testing.assert_array_equal(parallel.tp, serial.tp)
    np.testing.assert_array_equal(parallel.fp, serial.fp)


def test_bad_thread_setting_is_named(monkeypatch):
    monkeypatch.setenv("CUTPOINTS_NUM_THREADS", "two")
    with pytest.raises(
        cp.errors.InvalidParameterError,
        match=r"CUTPOINTS_NUM_THREADS must be a whole number \(got 'two'\)",
    ):
        cp.confusion_curve(np.zeros(70_000, dtype=bool), np.arange(70_000.0))


def test_thread_limit_context_overrides_the_environment(monkeypatch):
    from cutpoints.engines import limit_sort_threads, sort_threads

    monkeypatch.setenv("CUTPOINTS_NUM_THREADS", "4")
    assert sort_threads() == 4
    with limit_sort_threads(1):
        assert sort_threads() == 1
    assert sort_threads() == 4
