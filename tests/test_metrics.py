"""The metric catalog: formulas, undefined cases, scikit-learn cross-checks, weight laws."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn import metrics as skm

import cutpoints as cp
from cutpoints._metrics import summary_metrics
from cutpoints.errors import InvalidParameterError, MetricError, UnknownMetricError

from .strategies import binary_problems

ISSUE_CATALOG = [
    "tp", "fp", "tn", "fn", "flagged", "flag_rate", "precision", "ppv", "recall", "tpr",
    "sensitivity", "specificity", "tnr", "fpr", "fnr", "npv", "fdr", "for", "accuracy",
    "balanced_accuracy", "error_rate", "fbeta(beta=3)", "f1", "f2", "f0.5", "gmean", "youden",
    "j", "mcc", "cohen_kappa", "informedness", "markedness", "lr_plus", "lr_minus",
    "diagnostic_odds_ratio", "jaccard", "threat_score", "fowlkes_mallows", "roc01",
    "abs_sens_spec_diff", "cost(fp=1, fn=5)", "cost(fp=1, fn=5, tp=-1, tn=0.5, normalize=true)",
    "utility(tp=10, fp=-1)", "net_benefit(pt=0.2)",
]  # fmt: skip

MINIMIZED = {"fp", "fn", "flagged", "flag_rate", "fpr", "fnr", "fdr", "for", "error_rate",
             "lr_minus", "roc01", "abs_sens_spec_diff", "cost"}  # fmt: skip


def reference(name: str, tp, fp, tn, fn, p):
    """Each metric by its textbook definition in exact rational arithmetic (None = undefined)."""
    tp, fp, tn, fn = (Fraction(int(v)) for v in (tp, fp, tn, fn))
    P, N, F, n = tp + fn, fp + tn, tp + fp, tp + fp + tn + fn

    def div(a, b):
        return None if b == 0 or a is None else a / b

    tpr, tnr, ppv, npv, fpr = div(tp, P), div(tn, N), div(tp, F), div(tn, tn + fn), div(fp, N)
    table = {
        "tp": tp, "fp": fp, "tn": tn, "fn": fn, "flagged": F, "flag_rate": div(F, n),
        "precision": ppv, "recall": tpr, "specificity": tnr, "fpr": fpr, "fnr": div(fn, P),
        "npv": npv, "fdr": div(fp, F), "for": div(fn, tn + fn), "accuracy": div(tp + tn, n),
        "error_rate": div(fp + fn, n),
        "balanced_accuracy": None if tpr is None or tnr is None else (tpr + tnr) / 2,
        "youden": None if tpr is None or tnr is None else tpr + tnr - 1,
        "markedness": None if ppv is None or npv is None else ppv + npv - 1,
        "lr_plus": None if tpr is None or fpr is None else div(tpr, fpr),
        "lr_minus": None if tnr is None or P == 0 else div(fn / P, tnr),
        "diagnostic_odds_ratio": div(tp * tn, fp * fn),
        "jaccard": div(tp, tp + fp + fn),
        "cohen_kappa": div(2 * (tp * tn - fn * fp), (tp + fp) * (fp + tn) + (tp + fn) * (fn + tn)),
        "abs_sens_spec_diff": None if tpr is None or tnr is None else abs(tpr - tnr),
    }  # fmt: skip
    if name in table:
        return table[name]
    if name == "fbeta":
        b2 = Fraction(p["beta"]) ** 2
        return div((1 + b2) * tp, (1 + b2) * tp + b2 * fn + fp)
    if name == "gmean":
        return None if tpr is None or tnr is None else math.sqrt(tpr * tnr)
    if name == "fowlkes_mallows":
        return None if tpr is None or ppv is None else math.sqrt(tpr * ppv)
    if name == "mcc":
        den = (tp + fp) * (tp + fn) * (tn + fp) * (tn + fn)
        return None if den == 0 else (tp * tn - fp * fn) / math.sqrt(den)
    if name == "roc01":
        return None if tpr is None or fpr is None else math.sqrt((1 - tpr) ** 2 + fpr**2)
    if name == "cost":
        total = p["fp"] * fp + p["fn"] * fn + p.get("tp", 0) * tp + p.get("tn", 0) * tn
        return div(total, n) if p.get("normalize") else total
    if name == "utility":
        total = p["tp"] * tp + p["fp"] * fp + p.get("tn", 0) * tn + p.get("fn", 0) * fn
        return div(total, n) if p.get("normalize") else total
    if name == "net_benefit":
        pt = Fraction(p["pt"]).limit_denominator(10**6)
        return div(tp - fp * pt / (1 - pt), n)
    raise AssertionError(name)


counts = st.integers(0, 6)


@pytest.mark.parametrize("spec", ISSUE_CATALOG)
@given(tp=counts, fp=counts, tn=counts, fn=counts)
def test_every_catalog_metric_matches_its_definition(spec, tp, fp, tn, fn):
    metric = cp.get_metric(spec)
    got = metric(np.array([tp]), np.array([fp]), np.array([tn]), np.array([fn]))[0]
    expected = reference(metric.metric.name, tp, fp, tn, fn, dict(metric.params))
    if expected is None:
        assert np.isnan(got), f"{spec} should be undefined (NaN) at {(tp, fp, tn, fn)}"
    else:
        assert got == pytest.approx(float(expected), rel=1e-12, abs=1e-12)


@pytest.mark.parametrize("spec", ISSUE_CATALOG)
def test_direction_of_every_metric(spec):
    metric = cp.get_metric(spec)
    assert metric.greater_is_better is (metric.metric.name not in MINIMIZED)


def test_aliases_resolve_to_the_same_metric():
    assert cp.get_metric("ppv").metric is cp.get_metric("precision").metric
    assert cp.get_metric("sensitivity").metric is cp.get_metric("recall").metric
    assert cp.get_metric("threat_score").metric is cp.get_metric("jaccard").metric
    assert cp.get_metric("informedness").metric is cp.get_metric("youden").metric
    assert cp.get_metric("F1").params == {"beta": 1}
    assert cp.get_metric("f0.5").params == {"beta": 0.5}
    assert cp.get_metric("fbeta(2)").params == {"beta": 2}
    assert cp.get_metric(" fbeta ( beta = 2 ) ").name == "fbeta(beta=2)"


@pytest.mark.parametrize(
    "spec", ["f1", "fbeta(beta=2)", "cost(fp=1, fn=10)", "cost(fp=1, fn=10, normalize=true)",
             "net_benefit(pt=0.1)", "utility(tp=5, fp=-1)", "gmean"],
)  # fmt: skip
def test_metric_names_round_trip(spec):
    metric = cp.get_metric(spec)
    again = cp.get_metric(metric.name)
    assert again.metric is metric.metric and dict(again.params) == dict(metric.params)


def test_summary_covers_the_parameter_free_catalog():
    names = {m.name for m in summary_metrics()}
    assert {"f1", "f2", "f0.5", "precision", "recall", "mcc", "gmean", "flagged"} <= names
    assert not {"cost", "utility", "net_benefit", "fbeta"} & names


# ------------------------------------------------------------------ scikit-learn, live
SKLEARN_EQUIVALENTS = {
    "precision": lambda y, p, w: skm.precision_score(y, p, sample_weight=w, zero_division=np.nan),
    "recall": lambda y, p, w: skm.recall_score(y, p, sample_weight=w, zero_division=np.nan),
    "f1": lambda y, p, w: skm.f1_score(y, p, sample_weight=w, zero_division=np.nan),
    "fbeta(beta=2)": lambda y, p, w: skm.fbeta_score(y, p, beta=2, sample_weight=w, zero_division=np.nan),
    "accuracy": lambda y, p, w: skm.accuracy_score(y, p, sample_weight=w),
    "balanced_accuracy": lambda y, p, w: skm.balanced_accuracy_score(y, p, sample_weight=w),
    "mcc": lambda y, p, w: skm.matthews_corrcoef(y, p, sample_weight=w),
    "cohen_kappa": lambda y, p, w: skm.cohen_kappa_score(y, p, sample_weight=w),
    "jaccard": lambda y, p, w: skm.jaccard_score(y, p, sample_weight=w),  # defined on these rows
}  # fmt: skip


@pytest.mark.parametrize("spec", list(SKLEARN_EQUIVALENTS))
@pytest.mark.parametrize("weighted", [False, True])
def test_matches_sklearn_at_every_threshold(spec, weighted, rng):
    n = 400
    y = rng.random(n) < 0.3
    score = np.round(rng.random(n), 1)
    w = rng.integers(1, 5, n).astype(float) if weighted else None
    curve = cp.confusion_curve(y, score, sample_weight=w)
    ours = curve.metric(spec)
    for i, t in enumerate(curve.thresholds[1:-1], start=1):  # both classes predicted
        predicted = score >= t
        expected = SKLEARN_EQUIVALENTS[spec](y, predicted, w)
        assert ours[i] == pytest.approx(expected, rel=1e-12), (spec, t)


def test_likelihood_ratios_match_sklearn(rng):
    y = rng.random(300) < 0.4
    score = np.round(rng.random(300), 1)
    curve = cp.confusion_curve(y, score)
    lr_plus, lr_minus = curve.metric("lr_plus"), curve.metric("lr_minus")
    for i, t in enumerate(curve.thresholds):
        predicted = score >= t
        tp, fp = np.sum(predicted & y), np.sum(predicted & ~y)
        if fp == 0 or tp == 0 or (~predicted & ~y).sum() == 0:
            continue  # scikit-learn warns and returns nan there; ours is NaN too
        plus, minus = skm.class_likelihood_ratios(y, predicted)
        assert lr_plus[i] == pytest.approx(plus, rel=1e-12)
        assert lr_minus[i] == pytest.approx(minus, rel=1e-12)


def test_undefined_values_are_nan_not_zero():
    curve = cp.confusion_curve([0, 1, 0], [0.2, 0.5, 0.9])
    # Row 0 flags nothing: precision, fdr, markedness undefined; recall defined (0).
    assert np.isnan(curve.metric("precision")[0])
    assert np.isnan(curve.metric("fdr")[0])
    assert curve.metric("recall")[0] == 0.0
    one_class = cp.confusion_curve([1, 1], [0.2, 0.5])
    assert np.isnan(one_class.metric("specificity")).all()
    assert np.isnan(one_class.metric("mcc")).all()


# ------------------------------------------------------------------ weight laws
LAW_METRICS = [m.name for m in summary_metrics()] + [
    "cost(fp=1, fn=7)", "cost(fp=2, fn=3, normalize=true)", "utility(tp=4, fp=-1)",
    "net_benefit(pt=0.25)",
]  # fmt: skip


@pytest.mark.parametrize("spec", LAW_METRICS)
@given(problem=binary_problems(min_size=2, weighted=False))
def test_no_weights_equals_unit_weights(spec, problem):
    y, score, _ = problem
    plain = cp.confusion_curve(y, score)
    ones = cp.confusion_curve(y, score, sample_weight=np.ones(len(y)))
    np.testing.assert_array_equal(plain.metric(spec), ones.metric(spec))


@pytest.mark.parametrize("spec", LAW_METRICS)
@given(problem=binary_problems(min_size=2, weighted=True), data=st.data())
def test_integer_weight_equals_repeated_rows(spec, problem, data):
    y, score, weight = problem
    repeated = cp.confusion_curve(np.repeat(y, weight), np.repeat(score, weight))
    weighted = cp.confusion_curve(y, score, sample_weight=weight)
    # Rows repeated zero times vanish, so compare at the repeated data's thresholds.
    idx = [weighted.index_at(t) for t in repeated.thresholds]
    np.testing.assert_array_equal(weighted.metric(spec)[idx], repeated.metric(spec))


@pytest.mark.parametrize("spec", LAW_METRICS)
@given(problem=binary_problems(min_size=2, weighted=True))
def test_zero_weight_equals_removed_row(spec, problem):
    y, score, weight = problem
    keep = weight > 0
    removed = cp.confusion_curve(y[keep], score[keep], sample_weight=weight[keep])
    zeroed = cp.confusion_curve(y, score, sample_weight=weight)
    idx = [zeroed.index_at(t) for t in removed.thresholds]
    np.testing.assert_array_equal(zeroed.metric(spec)[idx], removed.metric(spec))
    # Selection: the same optimum value, and with ties="highest" the same threshold.
    try:
        a = cp.select_cutpoint(removed, metric=spec)
    except cp.errors.CutpointsError as exc:
        with pytest.raises(type(exc)):
            cp.select_cutpoint(zeroed, metric=spec)
        return
    b = cp.select_cutpoint(zeroed, metric=spec)
    assert (a.threshold, a.score) == (b.threshold, b.score)


@pytest.mark.parametrize(
    "spec", [m.name for m in summary_metrics() if m.metric.value_range[1] <= 1]
)
def test_scaling_weights_leaves_normalized_metrics_unchanged(spec, rng):
    y = rng.random(200) < 0.3
    score = np.round(rng.random(200), 1)
    w = rng.integers(1, 5, 200).astype(float)
    a = cp.confusion_curve(y, score, sample_weight=w).metric(spec)
    b = cp.confusion_curve(y, score, sample_weight=w * 8).metric(spec)  # power of 2: exact
    np.testing.assert_array_equal(a, b)


# ------------------------------------------------------------------ registry
def test_unknown_metric_suggests_close_names():
    with pytest.raises(
        UnknownMetricError, match=r"unknown metric 'presicion'; did you mean 'precision'"
    ):
        cp.get_metric("presicion")
    with pytest.raises(UnknownMetricError, match="'f_1'.*'f1'"):
        cp.find_cutpoint([0, 1], [0.1, 0.9], metric="f_1")


def test_unknown_metric_is_also_a_value_error_and_key_error():
    with pytest.raises(ValueError):
        cp.get_metric("nope")
    with pytest.raises(KeyError):
        cp.get_metric("nope")


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("cost", r"metric 'cost' needs fp, fn \(e\.g\. 'cost\(fp=\.\.\., fn=\.\.\.\)'\)"),
        ("fbeta(b=2)", r"metric 'fbeta' has no parameter 'b' \(its parameters: beta\)"),
        ("fbeta(beta=-1)", r"'beta' of metric 'fbeta' must be > 0 \(got -1\)"),
        ("net_benefit(pt=1.5)", r"'pt' of metric 'net_benefit' must be in \(0, 1\) \(got 1.5\)"),
        ("fbeta(beta='x')", r"metric parameters must be numbers"),
        ("fbeta(beta=__import__('os'))", r"metric parameters must be numbers"),
        ("f1(", r"metric must look like 'name' or 'name\(key=value, \.\.\.\)'"),
        ("fbeta(1, 2)", r"metric 'fbeta' takes at most 1 positional values"),
        ("utility(tp=0, fp=0)", r"needs at least one non-zero gain"),
        # Bounded work and one clear error, never an OverflowError or RecursionError.
        ("fbeta(beta=" + "9" * 400 + ")", r"'beta' of metric 'fbeta' must be finite \(got 9999"),
        (
            "fbeta(beta=" + "-" * 5000 + "1)",
            r"metric (parameters must look like|text must be at most)",
        ),
        ("fbeta(beta=" + "(" * 900 + "1" + ")" * 900 + ")", r"metric text must be at most 1000"),
        (
            "fbeta(beta=" + "9" * 5000 + ")",
            r"metric text must be at most 1000 characters \(got 5012",
        ),
    ],
)
def test_bad_metric_parameters_are_named(spec, message):
    with pytest.raises(InvalidParameterError, match=message):
        cp.get_metric(spec)


def test_metric_parameters_of_deep_nesting_are_refused_within_the_limit():
    # 300 nested signs fit in the length limit; the parser must still answer plainly.
    with pytest.raises(InvalidParameterError, match=r"metric parameters must"):
        cp.get_metric("fbeta(beta=" + "-" * 300 + "1)")


def test_unknown_metric_points_at_the_command_line_catalog_too():
    with pytest.raises(UnknownMetricError, match=r"listed by 'cutpoints metrics' on the command"):
        cp.get_metric("nope")


MONOTONE_SPECS = [
    m.name for m in summary_metrics() if m.monotonicity is not None
] + ["cost(fp=1, fn=10)", "cost(fp=2, fn=1, tp=-1, tn=0.5)", "utility(tp=5, fp=-1)",
     "net_benefit(pt=0.2)", "fbeta(beta=0.3)"]  # fmt: skip


@pytest.mark.parametrize("spec", MONOTONE_SPECS)
@settings(max_examples=60)
@given(
    n_pos=st.integers(1, 50),
    n_neg=st.integers(1, 50),
    data=st.data(),
)
def test_declared_monotonicity_holds(spec, n_pos, n_neg, data):
    # Pruning trusts these declarations: check each against the metric at fixed P, N.
    metric = cp.get_metric(spec)
    s_tp, s_fp = metric.monotonicity
    tp = data.draw(st.integers(0, n_pos - 1))
    fp = data.draw(st.integers(0, n_neg - 1))

    def at(a, b):
        return metric(np.array([a]), np.array([b]), np.array([n_neg - b]), np.array([n_pos - a]))[0]

    base, more_tp, more_fp = at(tp, fp), at(tp + 1, fp), at(tp, fp + 1)
    if not np.isnan(base) and not np.isnan(more_tp):
        assert np.sign(more_tp - base) in {0, s_tp} or abs(more_tp - base) < 1e-12
        if s_tp == 0:
            assert more_tp == pytest.approx(base)
    if not np.isnan(base) and not np.isnan(more_fp):
        assert np.sign(more_fp - base) in {0, s_fp} or abs(more_fp - base) < 1e-12
        if s_fp == 0:
            assert more_fp == pytest.approx(base)


def test_monotonicity_is_declared_for_the_usual_objectives():
    assert cp.get_metric("f1").monotonicity == (1, -1)
    assert cp.get_metric("cost(fp=1, fn=10)").monotonicity == (-1, 1)
    assert cp.get_metric("utility(tp=5, fp=-1)").monotonicity == (1, -1)
    assert cp.get_metric("mcc").monotonicity is None  # not monotone: never pruned
    record = cp.register_metric("bad_mono", lambda tp, fp, tn, fn: tp, monotone=(2, 0))
    try:
        with pytest.raises(cp.errors.MetricError, match="declares monotone="):
            _ = cp.get_metric(record).monotonicity
    finally:
        cp.unregister_metric("bad_mono")


def test_register_a_user_metric_and_use_it_everywhere():
    @cp.register_metric("weighted_recall_test", greater_is_better=True)
    def weighted_recall(tp, fp, tn, fn, *, floor=0.0):
        return np.maximum(tp / (tp + fn), floor)

    try:
        assert cp.get_metric("weighted_recall_test").params == {"floor": 0.0}
        cut = cp.find_cutpoint(
            [0, 0, 1, 1],
            [0.1, 0.4, 0.35, 0.8],
            metric="weighted_recall_test(floor=0.1)",
            constraints=["weighted_recall_test >= 0.5"],
        )
        assert cut.score == 1.0 and cut.threshold == 0.35
        assert "weighted_recall_test" in {m.name for m in cp.list_metrics()}
        with pytest.raises(InvalidParameterError, match="already registered"):
            cp.register_metric("weighted_recall_test", weighted_recall)
    finally:
        cp.unregister_metric("weighted_recall_test")
    with pytest.raises(UnknownMetricError):
        cp.get_metric("weighted_recall_test")


def test_user_metric_output_is_checked():
    with pytest.raises(
        MetricError, match=r"must return one value per threshold \(got shape \(2,\)"
    ):
        cp.find_cutpoint(
            [0, 1, 1], [0.1, 0.5, 0.9], metric=lambda tp, fp, tn, fn: np.array([1.0, 2.0])
        )
    with pytest.raises(MetricError, match="returned infinite values"):
        cp.find_cutpoint([0, 1, 1], [0.1, 0.5, 0.9], metric=lambda tp, fp, tn, fn: tp / fp)
    with pytest.raises(MetricError, match="must return numbers"):
        cp.find_cutpoint([0, 1, 1], [0.1, 0.5, 0.9], metric=lambda tp, fp, tn, fn: ["a"] * len(tp))


def test_plain_callable_is_maximized():
    cut = cp.find_cutpoint(
        [0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8], metric=lambda tp, fp, tn, fn: tp - 2 * fp
    )
    assert cut.threshold == 0.8 and cut.score == 1.0


def test_register_rejects_bad_names():
    with pytest.raises(InvalidParameterError, match="'name' must be letters"):
        cp.register_metric("bad name", lambda tp, fp, tn, fn: tp)
    with pytest.raises(InvalidParameterError, match="'func' must be callable"):
        cp.register_metric("fine_name", 3)
