"""Multiclass decisions: the metric catalog, Bayes decisions and tuned class weights.

Oracles: scikit-learn's metrics for the catalog; exact rational arithmetic for Bayes
decisions; direct evaluation at every interval for the weight sweep; and, on small
problems, an exhaustive search over every decision vector that some weighting can
produce (each checked by a linear program) for the tuned weights.
"""

from __future__ import annotations

import itertools
import json
import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from sklearn import metrics as skm

from cutpoints.errors import (
    InvalidInputError,
    InvalidLabelsError,
    InvalidParameterError,
    MetricError,
    UndefinedMetricError,
    UnknownMetricError,
)
from cutpoints.multiclass import (
    ClassWeights,
    bayes_decisions,
    confusion_matrix,
    find_class_weights,
    get_multiclass_metric,
    list_multiclass_metrics,
    register_multiclass_metric,
    unregister_multiclass_metric,
)
from cutpoints.multiclass._weights import _inside, _Search


# ----------------------------------------------------------------------------- helpers
@st.composite
def multiclass_problems(draw, max_n=12, max_k=4, weighted=None):
    """(y index, probabilities with ties, weights or None, k): every class present."""
    k = draw(st.integers(2, max_k))
    n = draw(st.integers(k, max_n))
    y = np.array(draw(st.permutations(list(range(k)))) + draw(
        st.lists(st.integers(0, k - 1), min_size=n - k, max_size=n - k)
    ))  # fmt: skip
    raw = draw(hnp.arrays(np.int64, (n, k), elements=st.integers(0, 4)))
    raw[raw.sum(axis=1) == 0, 0] = 1
    proba = raw / raw.sum(axis=1, keepdims=True)  # small integers: many exact ties
    use = draw(st.booleans()) if weighted is None else weighted
    weight = (
        draw(hnp.arrays(np.int64, n, elements=st.integers(1, 4))).astype(float) if use else None
    )
    return y, proba, weight, k


def _random_proba(rng, n, k, strength=1.0):
    y = rng.integers(0, k, size=n)
    y[:k] = np.arange(k)
    logits = rng.normal(size=(n, k))
    logits[np.arange(n), y] += strength
    p = np.exp(logits)
    return y, p / p.sum(axis=1, keepdims=True)


# ----------------------------------------------------------------------------- metrics
@settings(max_examples=80)
@given(problem=multiclass_problems(max_n=20, max_k=5))
def test_catalog_matches_scikit_learn(problem):
    y, proba, weight, k = problem
    pred = np.argmax(proba, axis=1)
    labels = list(range(k))
    c = confusion_matrix(y, pred, k, weight)
    assert c.tolist() == skm.confusion_matrix(y, pred, labels=labels, sample_weight=weight).tolist()
    kw = {"sample_weight": weight}
    close = pytest.approx
    assert get_multiclass_metric("accuracy")(c) == close(skm.accuracy_score(y, pred, **kw))
    assert get_multiclass_metric("balanced_accuracy")(c) == close(
        skm.balanced_accuracy_score(y, pred, **kw)
    )
    f1 = skm.f1_score(y, pred, labels=labels, average="macro", zero_division=0, **kw)
    assert get_multiclass_metric("macro_f1")(c) == close(f1)
    wf1 = skm.f1_score(y, pred, labels=labels, average="weighted", zero_division=0, **kw)
    assert get_multiclass_metric("weighted_f1")(c) == close(wf1)
    if len(set(pred)) > 1 or len(set(y)) > 1:
        mcc = get_multiclass_metric("mcc")(c)
        ref = skm.matthews_corrcoef(y, pred, **kw)
        assert (math.isnan(mcc) and ref == 0) or mcc == close(ref)
    if (c.sum(axis=0) > 0).all():
        mp = skm.precision_score(y, pred, labels=labels, average="macro", **kw)
        assert get_multiclass_metric("macro_precision")(c) == close(mp)
    else:
        assert math.isnan(get_multiclass_metric("macro_precision")(c))  # NaN, never 0


def test_kappa_and_cost_match_definitions():
    rng = np.random.default_rng(1)
    y, p = _random_proba(rng, 300, 4)
    pred = np.argmax(p, axis=1)
    c = confusion_matrix(y, pred, 4)
    assert get_multiclass_metric("kappa")(c) == pytest.approx(skm.cohen_kappa_score(y, pred))
    matrix = rng.integers(0, 5, size=(4, 4)) * (1 - np.eye(4, dtype=int))
    cost = get_multiclass_metric("cost", matrix=matrix.tolist())
    assert cost(c) == sum(matrix[a, b] for a, b in zip(y, pred))
    normalized = get_multiclass_metric("cost", matrix=matrix.tolist(), normalize=True)
    assert normalized(c) == pytest.approx(cost(c) / 300)


@settings(max_examples=50)
@given(problem=multiclass_problems(max_n=30, max_k=5))
def test_margin_forms_equal_the_matrix_forms(problem):
    y, proba, weight, k = problem
    stack = np.stack(
        [confusion_matrix(y, np.roll(np.argmax(proba, 1), r), k, weight) for r in range(3)]
    )
    for record in list_multiclass_metrics():
        if record.margins is None:
            continue
        m = get_multiclass_metric(record.name)
        diag = np.diagonal(stack, axis1=-2, axis2=-1).astype(float)
        got = m.from_margins(diag, stack.sum(axis=-1), stack.sum(axis=-2))
        np.testing.assert_array_equal(got, m(stack))


def test_batches_and_undefined_values():
    m = get_multiclass_metric("balanced_accuracy")
    stack = np.array([[[2, 0], [1, 1]], [[0, 0], [0, 3]]])
    values = m(stack)
    assert values.shape == (2,)
    assert values[0] == 0.75 and math.isnan(values[1])  # class 0 has no rows: NaN


def test_registry_text_aliases_and_user_metrics():
    cost = get_multiclass_metric("cost(matrix=[[0, 1], [5, 0]])")
    assert str(cost) == "cost(matrix=[[0, 1], [5, 0]])"
    assert get_multiclass_metric(str(cost)) == cost and not cost.greater_is_better
    assert get_multiclass_metric("F1_macro").metric.name == "macro_f1"
    with pytest.raises(
        UnknownMetricError, match=r"unknown multiclass metric 'macro_f2'.*'macro_f1'"
    ):
        get_multiclass_metric("macro_f2")

    def worst_recall(c):
        return np.min(np.diagonal(c, axis1=-2, axis2=-1) / c.sum(axis=-1), axis=-1)

    register_multiclass_metric("worst_recall", worst_recall, aliases=["min_recall"])
    try:
        assert get_multiclass_metric("min_recall")(np.array([[3, 1], [0, 2]])) == 0.75
        with pytest.raises(InvalidParameterError, match="already registered"):
            register_multiclass_metric("worst_recall", worst_recall)
    finally:
        unregister_multiclass_metric("worst_recall")
    with pytest.raises(UnknownMetricError):
        get_multiclass_metric("min_recall")


@pytest.mark.parametrize(
    ("text", "error", "message"),
    [
        ("cost", InvalidParameterError, r"metric 'cost' needs matrix"),
        (
            "cost(matrix=[[0, 1, 2], [1, 0]])",
            InvalidParameterError,
            r"'matrix' .* a number or a matrix",
        ),
        (
            "cost(matrix=[[0, 1], [-1, 0]])",
            InvalidParameterError,
            r"costs >= 0 off the diagonal .*-1.0",
        ),
        ("cost(matrix=[[0, 1, 1]])", InvalidParameterError, r"square K×K matrix .*\(1, 3\)"),
        ("cost(matrix=__import__('os'))", InvalidParameterError, r"numbers or lists of numbers"),
        ("macro_f1(beta=2)", InvalidParameterError, r"has no parameter 'beta'"),
        ("cost([[0, 1], [1, 0]])", InvalidParameterError, r"must be named"),
    ],
)
def test_bad_metric_text(text, error, message):
    with pytest.raises(error, match=message):
        get_multiclass_metric(text)


def test_cost_matrix_must_fit_the_classes():
    cost = get_multiclass_metric("cost", matrix=np.ones((3, 3)) - np.eye(3))
    with pytest.raises(MetricError, match=r"must be 2×2 for 2 classes \(got shape \(3, 3\)\)"):
        cost(np.eye(2))


# ----------------------------------------------------------------------------- Bayes
@settings(max_examples=80)
@given(
    problem=multiclass_problems(max_n=10, max_k=4, weighted=False),
    data=st.data(),
)
def test_bayes_decisions_minimize_expected_cost_exactly(problem, data):
    _, proba, _, k = problem
    matrix = np.array(data.draw(st.lists(st.integers(0, 6), min_size=k * k, max_size=k * k)))
    matrix = matrix.reshape(k, k)
    got = bayes_decisions(proba, matrix)
    for row, choice in zip(proba, got):
        exact = [Fraction(x).limit_denominator(10**6) for x in row]
        costs = [sum(exact[i] * int(matrix[i, j]) for i in range(k)) for j in range(k)]
        assert costs[choice] == min(costs)  # exact ties may go either way in floats


def test_bayes_decisions_reduce_to_the_binary_threshold():
    p = np.linspace(0, 1, 101)
    proba = np.c_[1 - p, p]
    got = bayes_decisions(proba, [[0, 1], [4, 0]])  # c_fp = 1, c_fn = 4
    assert np.array_equal(got, (p > 1 / 5).astype(int))


def test_bayes_decisions_labels_utility_and_normalize():
    proba = [[0.7, 0.2, 0.1], [0.3, 0.3, 0.4], [0.95, 0.04, 0.01]]
    costs = [[0, 1, 1], [1, 0, 1], [10, 10, 0]]
    assert bayes_decisions(proba, costs).tolist() == [2, 2, 0]
    assert bayes_decisions(proba, costs, classes=["a", "b", "c"]).tolist() == ["c", "c", "a"]
    gains = -np.array(costs)
    assert bayes_decisions(proba, gains, utility=True).tolist() == [2, 2, 0]
    assert bayes_decisions(np.array(proba) * 3, costs, normalize=True).tolist() == [2, 2, 0]


@pytest.mark.parametrize(
    ("proba", "matrix", "message"),
    [
        ([[0.5, 0.5]], [[0, 1, 1], [1, 0, 1], [1, 1, 0]], r"'y_proba' must have 3 columns"),
        (
            [[0.5, 0.5]],
            [[0, 1], [1, 0], [1, 1]],
            r"square K×K matrix with K >= 2 \(got shape \(3, 2\)\)",
        ),
        ([[0.5, 0.5]], [[0, -1], [1, 0]], r"costs >= 0 off the diagonal \(got -1.0 at \[0, 1\]"),
        ([[0.5, 0.4]], [[0, 1], [1, 0]], r"rows must sum to 1 \(row 0 sums to 0.9.*normalize=True"),
        ([[0.5, np.nan]], [[0, 1], [1, 0]], r"'y_proba' must be finite"),
        ([[1.5, -0.5]], [[0, 1], [1, 0]], r"non-negative probabilities"),
        ([0.5, 0.5], [[0, 1], [1, 0]], r"2-D array of shape \(n_samples, n_classes\)"),
        ([[0.5, 0.5]], [[0, np.inf], [1, 0]], r"'cost_matrix' must be finite"),
    ],
)
def test_bayes_bad_input(proba, matrix, message):
    with pytest.raises((InvalidInputError, InvalidParameterError), match=message):
        bayes_decisions(proba, matrix)


# ----------------------------------------------------------------------------- weights
def _worst_recall(c):
    return np.min(np.diagonal(c, axis1=-2, axis2=-1) / c.sum(axis=-1), axis=-1)


def _direct(search, w):
    return search.evaluate(w)[0]


@settings(max_examples=80)
@given(
    problem=multiclass_problems(max_n=14, max_k=4),
    metric=st.sampled_from(["macro_f1", "balanced_accuracy", "accuracy", "mcc", "kappa",
                            "cost", "weighted_f1", "worst_recall"]),
    data=st.data(),
)  # fmt: skip
def test_sweep_equals_direct_evaluation_on_every_interval(problem, metric, data):
    y, proba, weight, k = problem
    if metric == "cost":  # asymmetric: a miss of class i as j costs (i + 1) * |i - j| + j
        grid = np.subtract.outer(range(k), range(k))
        matrix = (np.arange(k)[:, None] + 1) * np.abs(grid) + (grid != 0) * np.arange(k)
        metric = f"cost(matrix={matrix.tolist()})"
    elif metric == "worst_recall":  # a plain function: the search's dense path
        metric = _worst_recall
    search = _Search(y, proba, weight, get_multiclass_metric(metric))
    w = np.array(data.draw(st.lists(st.sampled_from([0.5, 1.0, 2.0, 3.0]), min_size=k, max_size=k)))
    j = data.draw(st.integers(0, k - 1))
    breakpoints, values = search.sweep(j, w)
    assert len(values) == len(breakpoints) + 1
    for r in range(len(values)):
        trial = w.copy()
        trial[j] = _inside(breakpoints, r) if len(breakpoints) else w[j]
        got = _direct(search, trial)
        assert (math.isnan(got) and math.isnan(values[r])) or got == pytest.approx(values[r])
        if r:  # just below the breakpoint, the decisions are the previous interval's
            trial[j] = np.nextafter(breakpoints[r - 1], 0)
            before = _direct(search, trial)
            assert (math.isnan(before) and math.isnan(values[r - 1])) or before == pytest.approx(
                values[r - 1]
            )


@pytest.mark.parametrize("name", ["macro_f1", "balanced_accuracy", "mcc", "cost"])
def test_the_three_sweep_paths_agree(name):
    # The margin path (2K numbers), the linear path (one total) and the dense path
    # (all K² cells, for any function of the matrix) give the same values.
    rng = np.random.default_rng(3)
    y, proba = _random_proba(rng, 500, 4)
    weight = rng.integers(1, 4, size=500).astype(float)
    text = f"cost(matrix={(rng.integers(0, 6, (4, 4)) * (1 - np.eye(4, dtype=int))).tolist()})"
    fast = get_multiclass_metric(text if name == "cost" else name)
    dense = get_multiclass_metric(lambda c: fast(c))
    w = np.array([1.0, 1.5, 0.7, 1.2])
    for j in range(4):
        b1, v1 = _Search(y, proba, weight, fast).sweep(j, w)
        b2, v2 = _Search(y, proba, weight, dense).sweep(j, w)
        np.testing.assert_array_equal(b1, b2)
        np.testing.assert_allclose(v1, v2, rtol=1e-12)


def test_switch_points_are_the_first_float_where_a_row_switches():
    from cutpoints.multiclass._weights import _switch_points

    rng = np.random.default_rng(0)
    p = rng.random(20_000) * rng.choice([1e-3, 1.0, 1e3], size=20_000)
    m = rng.random(20_000) * rng.choice([1e-3, 1.0, 1e3], size=20_000)
    wins = rng.random(20_000) < 0.5
    x = _switch_points(p, m, wins)

    def switched(v):
        return (v * p > m) | ((v * p == m) & wins)

    assert switched(x).all()
    assert not switched(np.nextafter(x, 0.0)).any()
    assert (x != m / p).any()  # the plain quotient is off by an ulp somewhere


@settings(max_examples=60)
@given(
    problem=multiclass_problems(max_n=14, max_k=4),
    metric=st.sampled_from(["macro_f1", "balanced_accuracy", "accuracy", "mcc"]),
)
def test_tuned_weights_are_a_coordinate_wise_optimum(problem, metric):
    y, proba, weight, k = problem
    search = _Search(y, proba, weight, get_multiclass_metric(metric))
    try:
        tuned = find_class_weights(y, proba, metric=metric, sample_weight=weight)
    except UndefinedMetricError:  # e.g. MCC when no weighting predicts two classes
        for j in range(k):
            assert np.isnan(search.sweep(j, np.ones(k))[1]).all()
        return
    pred = tuned.predict(proba)
    assert tuned.confusion_matrix.tolist() == confusion_matrix(y, pred, k, weight).tolist()
    assert tuned.score == tuned.metric(tuned.confusion_matrix)
    assert not tuned.score < tuned.baseline_score
    # No single weight, anywhere (every interval between breakpoints), does better.
    for j in range(k):
        _, values = search.sweep(j, tuned.weights)
        assert not np.nanmax(values) > tuned.score + 1e-12


def _feasible(proba, labels):
    """Whether some weights make argmax_k w_k p_k give ``labels`` (strictly), by an LP."""
    from scipy.optimize import linprog

    k = proba.shape[1]
    rows, rhs = [], []
    for i, d in enumerate(labels):
        if proba[i, d] == 0:
            return False
        for c in range(k):
            if c == d or proba[i, c] == 0:
                continue
            a = np.zeros(k + 1)  # v_c - v_d + delta <= log p_d - log p_c
            a[c], a[d], a[k] = 1, -1, 1
            rows.append(a)
            rhs.append(math.log(proba[i, d]) - math.log(proba[i, c]))
    if not rows:
        return True
    bounds = [(0, 0)] + [(-50, 50)] * (k - 1) + [(None, 1)]
    res = linprog(-np.eye(k + 1)[k], A_ub=np.array(rows), b_ub=rhs, bounds=bounds)
    return bool(res.status == 0 and -res.fun > 1e-9)


def exhaustive_best(y, proba, metric):
    """The best metric over every decision vector some weighting produces."""
    k = proba.shape[1]
    m = get_multiclass_metric(metric)
    scored = []
    for labels in itertools.product(range(k), repeat=len(y)):
        v = float(m(confusion_matrix(y, np.array(labels), k)))
        if not math.isnan(v):
            scored.append((v, labels))
    scored.sort(key=lambda t: -t[0] if m.greater_is_better else t[0])
    for v, labels in scored:
        if _feasible(proba, labels):
            return v
    return math.nan


def test_coordinate_ascent_against_exhaustive_search_on_small_problems():
    rng = np.random.default_rng(5)
    reached, gaps = 0, []
    for _ in range(25):
        y, p = _random_proba(rng, 7, 3, strength=0.8)
        best = exhaustive_best(y, p, "macro_f1")
        tuned = find_class_weights(y, p, metric="macro_f1")
        assert tuned.score <= best + 1e-12  # never above the true optimum
        assert tuned.score >= tuned.baseline_score
        reached += tuned.score == pytest.approx(best)
        gaps.append(best - tuned.score)
    # A coordinate-wise optimum is usually the global one on problems this small.
    assert reached >= 20, (reached, gaps)


def test_tuning_gains_on_imbalanced_data_and_one_vs_rest():
    from cutpoints import find_cutpoint

    rng = np.random.default_rng(2)
    y = rng.choice(3, size=3000, p=[0.8, 0.15, 0.05])
    logits = rng.normal(size=(3000, 3))
    logits[np.arange(3000), y] += 1.2
    proba = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    tuned = find_class_weights(y, proba, metric="macro_f1")
    assert tuned.score > tuned.baseline_score + 0.02
    assert tuned.converged
    for i, ovr in enumerate(tuned.one_vs_rest):
        cut = find_cutpoint(y == i, proba[:, i], metric="f1")
        assert (ovr.label, ovr.threshold, ovr.metric, ovr.score) == (
            i,
            cut.threshold,
            "f1",
            cut.score,
        )


def test_weights_count_like_repeated_rows():
    rng = np.random.default_rng(4)
    y, p = _random_proba(rng, 80, 3)
    w = rng.integers(1, 4, size=80)
    weighted = find_class_weights(y, p, sample_weight=w)
    repeated = find_class_weights(np.repeat(y, w), np.repeat(p, w, axis=0))
    assert weighted.score == pytest.approx(repeated.score)
    assert np.allclose(weighted.confusion_matrix, repeated.confusion_matrix)


def test_labels_and_classes():
    rng = np.random.default_rng(6)
    y, p = _random_proba(rng, 90, 3)
    names = np.array(["cat", "dog", "owl"])
    tuned = find_class_weights(names[y], p)
    assert tuned.classes.tolist() == ["cat", "dog", "owl"]
    assert set(tuned.predict(p).tolist()) <= {"cat", "dog", "owl"}
    # Columns in another order: name them.
    swapped = find_class_weights(names[y], p[:, ::-1], classes=["owl", "dog", "cat"])
    assert swapped.score == pytest.approx(tuned.score)


def test_minimized_cost_matrix():
    rng = np.random.default_rng(8)
    y, p = _random_proba(rng, 400, 3, strength=0.5)
    matrix = [[0, 1, 1], [1, 0, 1], [20, 20, 0]]
    tuned = find_class_weights(y, p, metric=f"cost(matrix={matrix})")
    assert not tuned.metric.greater_is_better
    assert tuned.score < tuned.baseline_score
    bayes = bayes_decisions(p, matrix)
    assert tuned.score <= get_multiclass_metric("cost", matrix=matrix)(
        confusion_matrix(y, bayes, 3)
    )


# ----------------------------------------------------------------------------- JSON
def test_json_round_trip_and_file(tmp_path):
    rng = np.random.default_rng(9)
    y, p = _random_proba(rng, 120, 3)
    tuned = find_class_weights(np.array(["a", "b", "c"])[y], p, metric="balanced_accuracy")
    again = ClassWeights.from_json(tuned.to_json())
    assert again == tuned
    assert again.predict(p).tolist() == tuned.predict(p).tolist()
    path = tmp_path / "weights.json"
    tuned.save(path)
    assert ClassWeights.load(path) == tuned


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: d.update(weights=[1.0, 2.0]), r"'weights' must be one weight per class"),
        (lambda d: d.update(weights=[1.0, -2.0, 1.0]), r"'weights' must be positive numbers"),
        (lambda d: d.update(classes=["a", "a", "b"]), r"'classes' must be at least two distinct"),
        (
            lambda d: d.update(confusion_matrix=[[1, 2], [3, 4]]),
            r"'confusion_matrix' must be a 3×3",
        ),
        (lambda d: d["objective"].update(direction="up"), r"'objective.direction' must be one of"),
        (lambda d: d.update(format="cutpoints.reject_band/1"), r"not a cutpoints class weights"),
    ],
)
def test_saved_fields_are_checked_and_named(edit, message):
    rng = np.random.default_rng(9)
    y, p = _random_proba(rng, 60, 3)
    data = json.loads(find_class_weights(y, p).to_json())
    edit(data)
    with pytest.raises(InvalidInputError, match=message):
        ClassWeights.from_json(json.dumps(data))


# ----------------------------------------------------------------------------- bad input
def test_bad_input_is_named():
    rng = np.random.default_rng(3)
    y, p = _random_proba(rng, 30, 3)
    no_twos = np.where(y == 2, 1, y)
    with pytest.raises(InvalidLabelsError, match=r"class 2 of 'classes' never occurs in 'y_true'"):
        find_class_weights(no_twos, p, classes=[0, 1, 2])
    with pytest.raises(
        InvalidLabelsError, match=r"'y_true' holds 2, which is not one of 'classes'"
    ):
        find_class_weights(y, p, classes=[0, 1, 5])
    with pytest.raises(InvalidLabelsError, match=r"has 3 classes .* 4 columns; pass classes="):
        find_class_weights(y, np.c_[p, np.zeros(30)])
    with pytest.raises(InvalidInputError, match=r"rows must sum to 1.*normalize=True"):
        find_class_weights(y, p * 2)
    assert find_class_weights(y, p * 2, normalize=True).score == find_class_weights(y, p).score
    with pytest.raises(InvalidParameterError, match=r"'classes' must not repeat"):
        find_class_weights(y, p, classes=[0, 0, 1])
    with pytest.raises(InvalidParameterError, match=r"same length"):
        find_class_weights(y[:-1], p)
    with pytest.raises(InvalidParameterError, match=r"'max_rounds' must be an integer >= 1"):
        find_class_weights(y, p, max_rounds=0)
    with pytest.raises(MetricError, match=r"must be 3×3 for 3 classes \(got shape \(2, 2\)\)"):
        find_class_weights(y, p, metric="cost(matrix=[[0, 1], [1, 0]])")
    with pytest.raises(InvalidInputError, match=r"'y_true' must not contain NaN"):
        find_class_weights(np.r_[y[:-1], np.nan], p)
