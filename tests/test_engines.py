"""Engines: the histogram-refine engine gives the sort engine's answer, to the count.

Every test compares EQUAL answers: the threshold, tp/fp/tn/fn, the score, every tied
optimum and the runners-up (``Cutpoint.to_dict()`` without the data fingerprint, which
hashes the curve each engine built), and the brute-force oracle where it is cheap.
Small inputs use engines with few bins (``HistogramEngine(bits=...)``) and no fallback
to a full sort, so that bin bounds and refinement are exercised on every example.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import cutpoints as cp
from cutpoints._counts import Counts
from cutpoints._metrics import get_metric, summary_metrics
from cutpoints.engines import (
    AUTO_HISTOGRAM_MIN_ROWS,
    BinnedCurve,
    HistogramEngine,
    get_engine,
)
from cutpoints.engines._histogram import (
    Level,
    _floats,
    _keys_of,
    _split,
    bin_layout,
    bins_to_refine,
)
from cutpoints.engines._source import ArraySource, BatchSource, SourceSummary, array_batches
from cutpoints.errors import CutpointsError, InvalidParameterError
from cutpoints.selection import Constraint
from cutpoints.selection._kernel import block_bounds, may_reach

from .oracle import brute_force_counts, brute_force_optimum, one_class
from .strategies import binary_problems, imbalanced_problems

TIES = ["highest", "lowest", "median"]
OBJECTIVES = [m.name for m in summary_metrics()] + ["cost(fp=1, fn=10)", "net_benefit(pt=0.3)"]
CONSTRAINTS = [
    "precision >= 0.5", "recall >= 0.8", "fpr <= 0.25", "flagged <= 3", "flag_rate < 50%",
    "specificity > 0.4", "npv >= 0.6",
]  # fmt: skip
# Histogram engines that refine on small inputs: few bins, never a fallback to a sort.
SMALL = {
    "bits=1": HistogramEngine(bits=1, full_share=1.0, sort_rows=0),
    "bits=3": HistogramEngine(bits=3, full_share=1.0, sort_rows=0),
    "bits=5": HistogramEngine(bits=5, full_share=1.0),
}
ENGINES = {"sort": "sort", "histogram": "histogram", **SMALL}


def answer(cut: cp.Cutpoint) -> dict[str, object]:
    """Everything a Cutpoint says, except the fingerprint of the curve it was built from."""
    data = cut.to_dict()
    data["data"] = {k: v for k, v in data["data"].items() if k != "fingerprint"}
    return data


def outcome(y, score, weight=None, engine="sort", **kwargs):
    """The answer, or the exception's type and message."""
    try:
        cut = cp.find_cutpoint(y, score, sample_weight=weight, engine=engine, **kwargs)
    except CutpointsError as exc:
        return type(exc), str(exc)
    return answer(cut)


def assert_same(y, score, weight=None, engines=None, **kwargs) -> list[object]:
    """Every engine gives the sort engine's answer (or its error, word for word)."""
    expected = outcome(y, score, weight, "sort", **kwargs)
    results = []
    for engine in ENGINES.values() if engines is None else engines:
        got = outcome(y, score, weight, engine, **kwargs)
        assert got == expected, f"engine {engine!r} differs"
        results.append(got)
    return results


def assert_rows_exact(curve: BinnedCurve, score, y, weight=None, rule=">=") -> None:
    """Each row's counts are those of flagging with its threshold, on the raw data."""
    w = np.ones(len(score)) if weight is None else np.asarray(weight, dtype=float)
    full = cp.confusion_curve(y, score, sample_weight=weight, rule=rule)
    observed_scores = set(np.asarray(score, dtype=float).tolist())
    assert np.all(np.diff(curve.tp) >= 0) and np.all(np.diff(curve.fp) >= 0)
    for i, t in enumerate(curve.thresholds):
        flagged = score >= t if rule == ">=" else score <= t
        assert curve.tp[i] == w[flagged & y].sum(), i
        assert curve.fp[i] == w[flagged & ~y].sum(), i
        if curve.observed[i] and np.isfinite(t):
            assert float(t) in observed_scores
            j = full.index_at(float(t))
            assert full.thresholds[j] == t and full.tp[j] == curve.tp[i]
    assert curve.tp[-1] == full.n_positive and curve.fp[-1] == full.n_negative
    # The first row after "flag nothing" and the last are the extreme scores.
    np.testing.assert_array_equal(curve.thresholds[[0, 1, -1]], full.thresholds[[0, 1, -1]])


# ---------------------------------------------------------------------- properties
@pytest.mark.parametrize("spec", OBJECTIVES)
@settings(max_examples=25, deadline=None)
@given(problem=binary_problems(), ties=st.sampled_from(TIES))
def test_every_engine_finds_the_brute_force_optimum(spec, problem, ties):
    y, score, weight = problem
    thresholds, tp, fp, tn, fn = brute_force_counts(y, score, weight)
    metric = cp.get_metric(spec)
    values = metric(tp, fp, tn, fn)
    optimal = brute_force_optimum(values, np.ones(len(values), bool), metric.greater_is_better)
    results = assert_same(y, score, weight, metric=spec, ties=ties)
    if one_class(y, weight) or not optimal:
        assert isinstance(results[0], tuple)
        return
    cut = results[0]
    assert isinstance(cut, dict)
    reported = [float(v) if isinstance(v, str) else v for v in cut["optimal_thresholds"]]
    assert reported == [float(thresholds[i]) for i in optimal]  # "+inf" in JSON is inf


@settings(max_examples=120, deadline=None)
@given(
    problem=binary_problems(integer_weights=False),
    spec=st.sampled_from(["f1", "recall", "precision", "mcc", "cost(fp=1, fn=4)", "flagged"]),
    constraints=st.lists(st.sampled_from(CONSTRAINTS), max_size=2, unique=True),
    ties=st.sampled_from(TIES),
    rule=st.sampled_from([">=", "<="]),
)
def test_constrained_answers_are_identical(problem, spec, constraints, ties, rule):
    # Dyadic weights: sums are exact in any order, so the counts compare exactly.
    y, score, weight = problem
    assert_same(y, score, weight, metric=spec, constraints=constraints, ties=ties, rule=rule)


@pytest.mark.parametrize("name", list(SMALL))
@settings(max_examples=60, deadline=None)
@given(problem=binary_problems(min_size=2), rule=st.sampled_from([">=", "<="]))
def test_binned_rows_have_the_counts_of_their_thresholds(name, problem, rule):
    y, score, weight = problem
    if one_class(y, weight):
        return
    cut = cp.find_cutpoint(
        y, score, sample_weight=weight, engine=SMALL[name], metric="f1", rule=rule
    )
    curve = cut.curve
    assert isinstance(curve, BinnedCurve)
    assert_rows_exact(curve, score, y, weight, rule)
    # The answer's rows carry observed scores.
    for t in (cut.threshold, *cut.optimal_thresholds, *(t for t, _ in cut.runners_up)):
        assert curve.observed[curve.index_at(t)]


# Scores of every shape at sizes where bins hold many rows: engines that split bins on
# the next key bits down to single keys (sort_rows=0) and ones that sort early.
POOL = np.array([-1e300, -3.5, -1.0, -0.5, -0.0, 0.0, 5e-324, 1e-300, 0.25, 0.5, 1.0, 7.0, 1e300])
DEEP = {
    "bits=2,deep": HistogramEngine(bits=2, full_share=1.0, sort_rows=0),
    "bits=4,deep": HistogramEngine(bits=4, full_share=1.0, sort_rows=0),
    "bits=8,deep": HistogramEngine(bits=8, full_share=1.0, sort_rows=0),
    "bits=8": HistogramEngine(bits=8, full_share=1.0, sort_rows=200),
}


@st.composite
def medium_problems(draw):
    """50 to 3,000 rows: normal, rounded (ties), pooled extremes, probabilities, outliers."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    n = draw(st.integers(50, 3000))
    y = rng.random(n) < draw(st.sampled_from([0.01, 0.1, 0.5]))
    score = rng.normal(size=n) + 1.5 * y
    kind = draw(st.sampled_from(["normal", "rounded", "pool", "probability", "outliers"]))
    if kind == "rounded":
        score = np.round(score, 1)
    elif kind == "pool":
        score = rng.choice(POOL, n)
    elif kind == "probability":
        score = 1.0 / (1.0 + np.exp(-4 * score))
    elif kind == "outliers":
        score[:2] = [-1e300, 1e300]
    weights = draw(st.sampled_from([None, "integer", "dyadic", "positive"]))
    weight = None
    if weights == "integer":
        weight = rng.integers(0, 4, n)
    elif weights == "dyadic":
        weight = rng.integers(0, 33, n) / 8.0
    elif weights == "positive":
        weight = rng.integers(1, 33, n) / 8.0
    return y, score, weight


@settings(max_examples=150, deadline=None)
@given(
    problem=medium_problems(),
    spec=st.sampled_from(["f1", "youden", "precision", "cost(fp=1, fn=10)", "accuracy", "fpr"]),
    constraints=st.lists(
        st.sampled_from([*CONSTRAINTS, "flagged <= 300"]), max_size=2, unique=True
    ),
    ties=st.sampled_from(TIES),
    rule=st.sampled_from([">=", "<="]),
)
def test_refined_levels_give_identical_answers(problem, spec, constraints, ties, rule):
    y, score, weight = problem
    kwargs = {"metric": spec, "constraints": constraints, "ties": ties, "rule": rule}
    assert_same(y, score, weight, engines=DEEP.values(), **kwargs)


@pytest.mark.parametrize("name", ["bits=8,deep", "bits=8"])
def test_deep_refinement_keeps_rows_exact_and_skips_most(name):
    rng = np.random.default_rng(20)
    y = rng.random(20_000) < 0.1
    score = rng.normal(size=y.size) + 1.5 * y  # both signs: keys span a wide range
    cut = cp.find_cutpoint(y, score, metric="youden", engine=DEEP[name])
    curve = cut.curve
    assert isinstance(curve, BinnedCurve)
    # Three non-empty first-level bins: only further levels can separate the rows.
    assert curve.n_bins <= 4
    assert curve.n_levels >= 3 and curve.n_refined_rows < 100
    assert_rows_exact(curve, score, y)


@settings(max_examples=40, deadline=None)
@given(problem=imbalanced_problems(), spec=st.sampled_from(["f1", "youden", "precision"]))
def test_extreme_imbalance(problem, spec):
    y, score, _ = problem
    assert_same(y, score, metric=spec)
    assert_same(y, score, metric="recall", constraints=["precision >= 0.5"])


# ---------------------------------------------------------------------- adversarial
def _mixture(n: int, seed: int = 0, prevalence: float = 0.05) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = rng.random(n) < prevalence
    return y, 1.0 / (1.0 + np.exp(-(rng.normal(size=n) + 2.0 * y - 3.0)))


def test_every_score_in_one_bin():
    rng = np.random.default_rng(3)
    y = rng.random(500) < 0.3
    for engine in ENGINES.values():
        assert outcome(y, np.full(500, 0.25), engine=engine) == outcome(y, np.full(500, 0.25))
    # Two huge outliers stretch the key range: the narrow bulk shares a bin or two.
    score = np.concatenate(([-1e300, 1e300], 0.5 + 1e-9 * rng.random(498)))
    assert_same(y, score, metric="f1")
    assert_same(y, score, metric="youden", ties="lowest")
    layout = bin_layout(float(score.min()), float(score.max()))
    bins = ((_keys_of(score[2:]) - np.uint64(layout.base)) >> np.uint64(layout.shift)).astype(int)
    assert len(np.unique(bins)) <= 2


def test_heavy_ties_and_tie_rules():
    rng = np.random.default_rng(4)
    y = rng.random(30_000) < 0.2
    score = np.round(rng.normal(size=y.size) + y, 1)  # about 80 distinct values
    for ties in TIES:
        for spec in ("accuracy", "youden", "f1", "flagged"):
            assert_same(y, score, metric=spec, ties=ties)
    # A plateau: every optimal threshold must be refined and reported.
    score = np.repeat(np.arange(40.0), 25)
    y = np.tile([True, False], 500)
    results = assert_same(y, score, metric="accuracy", ties="median")
    assert isinstance(results[0], dict) and len(results[0]["optimal_thresholds"]) > 1


def test_signed_zeros_subnormals_and_huge_scores():
    tiny = 5e-324
    pool = np.array(
        [-0.0, 0.0, tiny, -tiny, 2 * tiny, -1e300, 1e300, -1.0, 1.0, 1.7976931348623157e308]
    )
    rng = np.random.default_rng(5)
    for seed in range(20):
        rng = np.random.default_rng(seed)
        score = rng.choice(pool, 200)
        y = rng.random(200) < 0.4
        for rule in (">=", "<="):
            assert_same(y, score, metric="f1", rule=rule)
            assert_same(y, score, metric="youden", rule=rule, constraints=["flagged <= 50"])
    # -0.0 and +0.0 are one score: one row, threshold +0.0 as the sort engine says.
    y = np.array([True, False, True, False])
    for engine in SMALL.values():
        curve = cp.find_cutpoint(y, [-0.0, 0.0, 1.0, -1.0], engine=engine).curve
        assert curve is not None
        np.testing.assert_array_equal(curve.thresholds, [np.inf, 1.0, 0.0, -1.0])
        assert not np.signbit(curve.thresholds[2])


def test_float32_scores_are_read_as_given():
    rng = np.random.default_rng(21)
    y = rng.random(5000) < 0.2
    pool = np.array([-3e38, -1.0, -1e-45, -0.0, 0.0, 1e-45, 0.1, 0.3, 1.0, 3e38], np.float32)
    for score in (rng.choice(pool, y.size), (rng.normal(size=y.size) + y).astype(np.float32)):
        assert score.dtype == np.float32
        for rule in (">=", "<="):
            assert_same(y, score, metric="f1", rule=rule)
            assert_same(y, score, metric="mcc", rule=rule)
            assert_same(y, score, metric="precision", constraints=["recall >= 0.3"], rule=rule)
    # Refused exactly as the sort engine refuses them.
    bad = (rng.normal(size=y.size)).astype(np.float32)
    bad[7] = np.nan
    assert isinstance(assert_same(y, bad)[0], tuple)
    bad[7] = np.inf
    assert isinstance(assert_same(y, bad)[0], tuple)


def test_validated_float32_range_is_handed_to_the_engine():
    # Validation takes min and max of float32 scores anyway; the engine reuses them
    # instead of two more passes (rule '>=' only: '<=' negates the scores).
    from cutpoints._api import _columns
    from cutpoints.engines._source import ArraySource

    rng = np.random.default_rng(23)
    y = rng.random(4000) < 0.3
    score = (rng.normal(size=y.size) + y).astype(np.float32)
    engine = HistogramEngine(bits=6, sort_rows=50)
    columns = _columns(y, score, None, None, ">=", engine, selective=True)
    assert columns.score is score
    assert columns.score_range == (float(score.min()), float(score.max()))
    assert _columns(y, score, None, None, "<=", engine, selective=True).score_range is None
    assert _columns(y, score.astype(np.float64), None, None, ">=", engine).score_range is None
    source = ArraySource(score, y, score_range=columns.score_range)
    assert (source.summary().low, source.summary().high) == columns.score_range
    for rule in (">=", "<="):
        got = cp.find_cutpoint(y, score, engine=engine, rule=rule)
        want = cp.find_cutpoint(y, score, engine="sort", rule=rule)
        assert (got.threshold, got.tp, got.fp) == (want.threshold, want.tp, want.fp)
        assert got.curve.thresholds[-1] == (score.min() if rule == ">=" else score.max())


def test_keys_preserve_order_and_invert():
    values = np.array(
        [-1.7976931348623157e308, -1e300, -1.0, -5e-324, -0.0, 0.0, 5e-324, 2.2e-308, 0.5, 1e300]
    )
    keys = _keys_of(values)
    assert keys[4] == keys[5]  # the two zeros
    assert np.all(np.diff(keys[[0, 1, 2, 3, 5, 6, 7, 8, 9]].astype(object)) > 0)
    back = _floats(keys)
    np.testing.assert_array_equal(back, values)
    assert not np.signbit(back[4])


def test_weights_with_zeros_and_dyadic_fractions():
    rng = np.random.default_rng(6)
    y = rng.random(3000) < 0.25
    score = np.round(rng.normal(size=y.size) + y, 2)
    integer = rng.integers(0, 4, y.size)
    dyadic = rng.integers(0, 17, y.size) / 16.0
    # Positive weights take another path (no row counts): cover both.
    for weight in (integer, dyadic, integer + 1, dyadic + 0.0625):
        for spec in ("f1", "accuracy", "cost(fp=1, fn=5)"):
            assert_same(y, score, weight, metric=spec)
    # A score whose rows all weigh zero is still a threshold (tied with the one above).
    weight = np.ones(len(y))
    weight[score == np.median(score)] = 0
    for ties in TIES:
        assert_same(y, score, weight, metric="youden", ties=ties)


NARROW = ["int8", "int16", "int32", "uint8", "uint16", "uint32", "float32"]


def narrowed(weight: np.ndarray, dtype: str, big: bool) -> np.ndarray:
    """Weights 0..5 in ``dtype``; ``big``: scaled near the type's maximum."""
    if dtype == "float32":
        return (weight * (3e7 if big else 0.1)).astype(np.float32)  # not dyadic: rounds
    scale = np.iinfo(dtype).max // 5 if big else 1
    return (weight.astype(np.int64) * scale).astype(dtype)


@pytest.mark.parametrize("dtype", NARROW)
@settings(max_examples=15, deadline=None)
@given(
    problem=binary_problems(min_size=1, max_size=40, weighted=True),
    big=st.booleans(),
    spec=st.sampled_from(["f1", "cost(fp=1, fn=10)", "youden", "mcc"]),
    rule=st.sampled_from([">=", "<="]),
)
def test_narrow_weights_give_the_answer_of_the_same_weights_widened(
    dtype, problem, big, spec, rule
):
    # Narrow weights reach the engines as given: per-bin sums, refined rows and sorts
    # must add them in int64 / float64 (sums near the maximum overflow the narrow type).
    y, score, weight = problem
    narrow = narrowed(weight, dtype, big)
    if not narrow.any():
        return
    wide = narrow.astype(np.float64 if dtype == "float32" else np.int64)
    expected = outcome(y, score, wide, "sort", metric=spec, rule=rule)
    for engine in ENGINES.values():
        assert outcome(y, score, narrow, engine, metric=spec, rule=rule) == expected, engine
    curve = cp.confusion_curve(y, score, sample_weight=narrow, rule=rule)
    assert curve.tp.dtype == curve.fp.dtype == wide.dtype
    assert curve.n_positive == wide[y].sum()


@pytest.mark.parametrize("dtype", ["int8", "int32", "uint32", "float32"])
@pytest.mark.parametrize("compiled", [False, True])
def test_narrow_weights_through_the_counting_pass(monkeypatch, dtype, compiled):
    import cutpoints.engines._histogram as hist

    monkeypatch.setattr(hist, "USE_COMPILED", compiled)
    if compiled:
        from cutpoints.engines import _compiled

        if not _compiled.AVAILABLE:
            pytest.skip("numba is not installed")
        monkeypatch.setattr(_compiled, "_warm", True)  # count as if numba were warm
    y, score = _mixture(30_000, seed=21)
    score = np.round(score, 3).astype(np.float32)  # ties: bins and runs hold many rows
    weight = np.random.default_rng(21).integers(0, 6, len(y))
    narrow = narrowed(weight, dtype, big=True)
    before = narrow.copy()
    wide = narrow.astype(np.float64 if dtype == "float32" else np.int64)
    for spec, constraints in [("f1", []), ("recall", ["precision >= 0.3"])]:
        kwargs = {"metric": spec, "constraints": constraints}
        expected = outcome(y, score, wide, "sort", **kwargs)
        assert outcome(y, score, narrow, "histogram", **kwargs) == expected
        assert outcome(y, score, narrow, "sort", **kwargs) == expected
    cut = cp.find_cutpoint(y, score, sample_weight=narrow, engine="histogram")
    assert isinstance(cut.curve, BinnedCurve)
    assert_rows_exact(cut.curve, score, y, wide)
    np.testing.assert_array_equal(narrow, before)  # the caller's array is not changed


@pytest.mark.parametrize("spec", ["mcc", "kappa"])
def test_metrics_without_monotonicity_refine_everything(spec):
    assert cp.get_metric(spec).monotonicity is None
    y, score = _mixture(20_000, seed=7)
    score = np.round(score, 3)
    assert_same(y, score, metric=spec)
    assert_same(y, score, metric=spec, constraints=["recall >= 0.5"])
    cut = cp.find_cutpoint(y, score, metric=spec, engine="histogram")
    assert not isinstance(cut.curve, BinnedCurve)  # the full curve


@pytest.mark.parametrize(
    ("objective", "constraint"),
    [
        ("recall", "flagged <= 137"),
        ("precision", "recall >= 0.61"),
        ("recall", "precision >= 0.72"),
        ("tpr", "fpr < 0.033"),
    ],
)
def test_constraint_boundary_inside_a_bin(objective, constraint):
    # Four bins only: the optimum is where the constraint stops holding, inside a bin
    # with an edge where it does not hold (precision, not monotone along the curve, may
    # hold at neither edge); the bin must be refined all the same.
    rng = np.random.default_rng(8)
    y = rng.random(2000) < 0.3
    score = rng.normal(size=y.size) + 1.5 * y
    engine = HistogramEngine(bits=2, full_share=1.0)
    for spec in (objective, "f1", "youden"):
        assert_same(y, score, metric=spec, constraints=[constraint], engines=[engine])
    cut = cp.find_cutpoint(y, score, metric=objective, constraints=[constraint], engine=engine)
    curve = cut.curve
    assert isinstance(curve, BinnedCurve)
    row = curve.index_at(cut.threshold)
    assert row not in curve.edge_rows  # inside a bin, not at its edge
    j = np.searchsorted(curve.edge_rows, row)
    bin_edges = curve.edge_rows[[j - 1, j]]  # the edges above and below the chosen row
    c = Constraint.parse(constraint)
    holds = c.mask(c.metric(*_counts(curve, bin_edges)))
    assert not holds.all()


def _counts(curve, rows):
    tp, fp = curve.tp[rows].astype(float), curve.fp[rows].astype(float)
    return tp, fp, curve.n_negative - fp, curve.n_positive - tp


def test_infeasible_and_one_class_errors_are_word_for_word():
    y, score = _mixture(5000, seed=9)
    assert_same(y, score, metric="f1", constraints=["precision >= 0.999", "recall >= 0.9"])
    assert_same(y, score, metric="precision", constraints=["flagged <= 0"])
    assert_same(np.zeros(5000, bool), score, metric="f1")


def test_the_refinement_skips_most_rows():
    y, score = _mixture(300_000, seed=10)
    assert_same(y, score, engines=["histogram"], metric="f1")
    assert_same(y, score, engines=["histogram"], metric="youden", constraints=["fpr <= 0.1"])
    cut = cp.find_cutpoint(y, score, metric="f1", engine="histogram")
    curve = cut.curve
    assert isinstance(curve, BinnedCurve)
    assert curve.n_refined_rows < len(score) // 20
    assert curve.n_refined_bins < curve.n_bins // 20
    assert_rows_exact_sampled(curve, score, y)


def assert_rows_exact_sampled(curve: BinnedCurve, score, y, k: int = 200) -> None:
    """:func:`assert_rows_exact` on ``k`` rows, for inputs too big to check every row."""
    full = cp.confusion_curve(y, score)
    rows = np.unique(np.linspace(0, len(curve) - 1, k).astype(int))
    match = full.rows_at(curve.thresholds[rows])
    np.testing.assert_array_equal(curve.tp[rows], full.tp[match])
    np.testing.assert_array_equal(curve.fp[rows], full.fp[match])


@pytest.mark.slow
@pytest.mark.parametrize("weighted", [False, True])
def test_a_million_rows(weighted):
    y, score = _mixture(1_000_000, seed=11, prevalence=0.01)
    score = score.astype(np.float32)
    weight = np.random.default_rng(11).integers(0, 3, len(y)) if weighted else None
    for spec, constraints in [
        ("f1", []),
        ("cost(fp=1, fn=30)", []),
        ("recall", ["precision >= 0.4"]),
        ("precision", ["flagged <= 20000"]),
    ]:
        assert_same(y, score, weight, engines=["histogram"], metric=spec, constraints=constraints)
    cut = cp.find_cutpoint(y, score, sample_weight=weight, engine="histogram")
    assert isinstance(cut.curve, BinnedCurve) and cut.curve.n_refined_rows < 50_000


@pytest.mark.slow
def test_one_positive_in_a_hundred_thousand():
    rng = np.random.default_rng(12)
    y = np.zeros(200_000, bool)
    y[rng.integers(0, y.size, 2)] = True
    score = rng.normal(size=y.size) + 3 * y
    for spec in ("f1", "youden", "precision", "gmean"):
        assert_same(y, score, engines=["histogram"], metric=spec)


@pytest.mark.slow
def test_thread_count_does_not_change_float_sums(monkeypatch):
    # More rows than one task group: the per-group sums are added in a fixed order.
    y, score = _mixture(4_500_000, seed=13)
    weight = np.random.default_rng(13).random(len(y))  # not dyadic: order matters
    results = []
    for threads in ("1", "2"):
        monkeypatch.setenv("CUTPOINTS_NUM_THREADS", threads)
        results.append(outcome(y, score, weight, "histogram", metric="f1"))
    assert results[0] == results[1]


# ---------------------------------------------------------------------- the seam
def test_auto_picks_by_size_and_purpose(monkeypatch):
    import cutpoints.engines._base as base

    assert get_engine("auto").name == "sort"
    assert get_engine("auto", n_rows=10**9).name == "sort"  # a full curve: sort
    # Selections on at least AUTO_HISTOGRAM_MIN_ROWS rows go to the histogram engine.
    big = AUTO_HISTOGRAM_MIN_ROWS
    assert big == 200_000
    assert get_engine("auto", n_rows=big, selective=True).name == "histogram"
    assert get_engine("auto", n_rows=big - 1, selective=True).name == "sort"
    assert get_engine("sort", n_rows=big, selective=True).name == "sort"
    y, score = _mixture(big, seed=14)
    assert isinstance(cp.find_cutpoint(y, score).curve, BinnedCurve)
    assert not isinstance(cp.find_cutpoint(y[:1000], score[:1000]).curve, BinnedCurve)
    assert not isinstance(cp.find_cutpoint(y, score, engine="sort").curve, BinnedCurve)
    # None switches the histogram engine off for "auto".
    monkeypatch.setattr(base, "AUTO_HISTOGRAM_MIN_ROWS", None)
    assert get_engine("auto", n_rows=10**9, selective=True).name == "sort"
    assert not isinstance(cp.find_cutpoint(y, score).curve, BinnedCurve)


def test_a_full_curve_is_the_same_from_every_engine():
    y, score = _mixture(3000, seed=15)
    score = np.round(score, 2)
    reference = cp.confusion_curve(y, score, engine="sort")
    for engine in ENGINES.values():
        curve = cp.confusion_curve(y, score, engine=engine)
        np.testing.assert_array_equal(curve.thresholds, reference.thresholds)
        np.testing.assert_array_equal(curve.tp, reference.tp)
        np.testing.assert_array_equal(curve.fp, reference.fp)


def test_binned_results_plot_report_and_fingerprint():
    y, score = _mixture(50_000, seed=16)
    engine = HistogramEngine(bits=10)
    f1 = cp.find_cutpoint(y, score, engine=engine)
    youden = cp.find_cutpoint(y, score, metric="youden", engine=engine)
    assert isinstance(f1.curve, BinnedCurve) and isinstance(youden.curve, BinnedCurve)
    assert len(f1.curve) < 5000
    # The fingerprint hashes the bin edges: the same data, whatever the metric.
    assert f1.fingerprint == youden.fingerprint
    assert f1.fingerprint.startswith("sha256-binned:")
    other = cp.find_cutpoint(y, score[::-1].copy(), engine=engine)
    assert other.fingerprint != f1.fingerprint
    again = cp.Cutpoint.from_json(f1.to_json())
    assert again == f1
    assert "BinnedCurve(" in repr(f1.curve)


@pytest.mark.parametrize("rule", [">=", "<="])
def test_a_binned_curve_completes_to_the_full_curve(rule):
    y, score = _mixture(20_000, seed=22)
    weight = np.random.default_rng(22).integers(0, 3, len(y))
    cut = cp.find_cutpoint(y, score, sample_weight=weight, rule=rule, engine=HistogramEngine(10))
    curve = cut.curve
    assert isinstance(curve, BinnedCurve) and curve.complete is False
    full = curve.full()
    expected = cp.confusion_curve(y, score, sample_weight=weight, rule=rule)
    assert type(full) is cp.ConfusionCurve and full.fingerprint() == expected.fingerprint()
    assert (full.rule, full.weighted, full.n_samples) == (rule, True, len(y))
    # Selecting on the full curve gives the same cutpoint.
    again = cp.select_cutpoint(full, metric="f1", ties=cut.ties)
    assert answer(again) == answer(cut)


def test_bad_engine_settings_are_refused():
    with pytest.raises(InvalidParameterError, match="'bits' must be an integer"):
        HistogramEngine(bits=0)
    with pytest.raises(InvalidParameterError, match="'full_share' must be between"):
        HistogramEngine(full_share=1.5)
    with pytest.raises(InvalidParameterError, match="'engine' must be one of"):
        cp.find_cutpoint([0, 1], [0.1, 0.2], engine="histgram")


# ---------------------------------------------------------------------- bounds
def test_block_bounds_contain_every_row_of_the_block():
    rng = np.random.default_rng(17)
    y = rng.random(4000) < 0.3
    curve = cp.confusion_curve(y, np.round(rng.normal(size=y.size) + y, 2))
    lower = np.arange(0, len(curve) - 10, 7)
    upper = lower + 10
    for spec in ("f1", "precision", "cost(fp=1, fn=3)", "fpr", "flagged", "youden"):
        metric = cp.get_metric(spec)
        values = curve.evaluate(metric)
        for maximize in (True, False):
            best = block_bounds(curve, lower, upper, metric, maximize=maximize)
            assert best is not None
            for i, (a, b) in enumerate(zip(lower, upper, strict=True)):
                inside = values[a : b + 1]
                inside = inside[~np.isnan(inside)]
                if np.isnan(best[i]) or not inside.size:
                    continue
                if maximize:
                    assert best[i] >= inside.max() - 1e-12
                else:
                    assert best[i] <= inside.min() + 1e-12
    assert block_bounds(curve, lower, upper, cp.get_metric("mcc"), maximize=True) is None


def test_may_reach_is_conservative():
    bounds = np.array([0.5, 0.4999999999999, 0.3, np.nan])
    np.testing.assert_array_equal(may_reach(bounds, 0.5, maximize=True), [1, 1, 0, 1])
    np.testing.assert_array_equal(may_reach(bounds, 0.4, maximize=False), [0, 0, 1, 1])


def test_bins_to_refine_keeps_the_runner_up_bins():
    # Edges of 6 bins; F1 is best at edge 3 (0.762). A bin is kept where its best
    # corner (its positives without its negatives) could reach that: bins 2 and 3.
    tp = np.array([0, 10, 40, 80, 95, 100, 100])
    fp = np.array([0, 0, 5, 30, 200, 600, 2000])
    edges = Counts(tp, fp, 100, 2000)
    f1 = cp.get_metric("f1")
    keep = bins_to_refine(edges, f1, (), maximize=True, n_runners_up=0)
    assert keep is not None
    np.testing.assert_array_equal(keep, [False, False, True, True, False, False])
    # Runners-up: the second best edge (0.552 at edge 2) lets bin 1 (up to 0.571) in.
    keep = bins_to_refine(edges, f1, (), maximize=True, n_runners_up=1)
    assert keep is not None
    np.testing.assert_array_equal(keep, [False, True, True, True, False, False])
    # More runners-up than ranked edges: any bin could hold one, so all are kept.
    everything = bins_to_refine(edges, f1, (), maximize=True, n_runners_up=7)
    assert everything is not None and everything.all()
    # A constraint no row of a bin can satisfy drops the bin.
    capped = bins_to_refine(
        edges, f1, (Constraint.parse("flagged <= 40"),), maximize=True, n_runners_up=0
    )
    assert capped is not None
    np.testing.assert_array_equal(capped[2:], [False, False, False, False])
    assert bins_to_refine(edges, cp.get_metric("mcc"), (), maximize=True, n_runners_up=0) is None


# ---------------------------------------------------------------------- sources
class Batches(BatchSource):
    """Arrays served in tiny batches: a streamed source without files."""

    def __init__(self, score, is_positive, weight, batch_size, threads=None):
        self.arrays = (score, np.asarray(is_positive, dtype=bool), weight)
        self.batch_size = batch_size
        self.threads = threads
        self.passes: list[str] = []

    def batches(self, pass_name):
        self.passes.append(pass_name)
        yield from array_batches(*self.arrays, batch_size=self.batch_size)

    def summary(self):
        score, _, weight = self.arrays
        return SourceSummary(
            n_rows=len(score),
            low=float(score.min()),
            high=float(score.max()),
            weighted=weight is not None,
            integer_weights=weight is not None and weight.dtype.kind in "iu",
            zero_weights=weight is not None and not weight.min() > 0,
        )


class Bounded(Batches):
    """A source whose first summary gives only bounds of the scores (as file statistics
    might), and the exact range once a counting pass has seen every row."""

    def __init__(self, *args, margin, **kwargs):
        super().__init__(*args, **kwargs)
        self.margin, self.counted = margin, False

    def summary(self):
        exact = super().summary()
        if self.counted:
            return exact
        return replace(exact, low=exact.low - self.margin, high=exact.high + self.margin)

    def histogram(self, layout, levels):
        hist = super().histogram(layout, levels)
        self.counted = True
        return hist


@pytest.mark.parametrize("margin", [0.5, 1e3])
def test_a_range_that_was_only_a_bound_is_counted_again(margin):
    # The bottom row must be the lowest score (an observed threshold), as with an exact
    # range: the driver re-counts once the source knows the exact range.
    rng = np.random.default_rng(17)
    y = rng.random(3000) < 0.3
    score = np.round(rng.random(3000) + y, 3)
    source = Bounded(score, y, None, batch_size=500, margin=margin)
    engine = HistogramEngine(bits=6, sort_rows=50)  # the bottom bin is not refined
    partial = engine.sweep_source(source, objective=get_metric("f1"))
    assert partial.n_refined_rows < 100
    assert source.passes[:2] == ["count", "count"]  # counted again on the exact range
    full = cp.confusion_curve(y, score)
    assert partial.thresholds[-1] == score.min() == full.thresholds[-1]
    assert partial.observed[-1]
    np.testing.assert_array_equal(partial.tp[[0, -1]], full.tp[[0, -1]])


def streamed_answer(y, score, weight, engine, *, rule=">=", batch_size=3, **kwargs):
    """find_cutpoint's answer through the streamed driver (or its error), as _scan does."""
    from cutpoints._api import N_RUNNERS_UP, cutpoint_from_selection
    from cutpoints._metrics import get_metric
    from cutpoints.selection import as_constraints, select_rows

    sign = 1.0 if rule == ">=" else -1.0
    source = Batches(sign * np.asarray(score, dtype=float), y, weight, batch_size)
    objective = get_metric(kwargs.get("metric", "f1"))
    constraints = as_constraints(kwargs.get("constraints", ()))
    ties = kwargs.get("ties", "highest")
    try:
        partial = engine.sweep_source(
            source,
            objective=objective,
            constraints=constraints,
            maximize=objective.greater_is_better,
            n_runners_up=N_RUNNERS_UP,
        )
        curve = partial.curve(
            rule=rule,
            n_positive=partial.tp[-1].item(),
            n_negative=partial.fp[-1].item(),
            n_samples=len(score),
            weighted=weight is not None,
            positive_label=True,
            negative_label=False,
        )
        selection = select_rows(curve, objective, constraints, ties=ties).raise_for_status()
        return answer(cutpoint_from_selection(curve, selection, ties=ties))
    except CutpointsError as exc:
        return type(exc), str(exc)


STREAMED = [
    HistogramEngine(bits=1, sort_rows=0),
    HistogramEngine(bits=3, sort_rows=2),
    HistogramEngine(bits=16),
]


@pytest.mark.slow
@settings(max_examples=80, deadline=None)
@given(
    problem=binary_problems(integer_weights=False),
    spec=st.sampled_from([*OBJECTIVES, "mcc", "kappa"]),
    constraints=st.sampled_from([[], ["precision >= 0.5"], ["flagged <= 3"], ["fpr <= 0.25"]]),
    ties=st.sampled_from(TIES),
    rule=st.sampled_from([">=", "<="]),
    engine=st.sampled_from(STREAMED),
    batch_size=st.integers(1, 6),
)
def test_the_streamed_driver_gives_the_sort_engines_answer(
    problem, spec, constraints, ties, rule, engine, batch_size
):
    y, score, weight = problem
    kwargs = {"metric": spec, "constraints": constraints, "ties": ties}
    expected = outcome(y, score, weight, "sort", rule=rule, **kwargs)
    if isinstance(expected, tuple):
        return  # errors: the streamed path re-reads the rows for them (tests/test_scan.py)
    got = streamed_answer(y, score, weight, engine, rule=rule, batch_size=batch_size, **kwargs)
    assert got == expected


@pytest.mark.parametrize("compiled", [False, True])
@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("weights", ["none", "int", "float", "zeros"])
def test_every_source_counts_the_same_histogram(monkeypatch, compiled, threads, weights):
    # In memory, the first pass runs the compiled kernel when it is there (compiled=True)
    # or the numpy pass; streamed batches always run the numpy pass. Same tables.
    import cutpoints.engines._histogram as hist

    monkeypatch.setattr(hist, "USE_COMPILED", compiled)
    if compiled:
        from cutpoints.engines import _compiled

        # Small inputs skip a cold numba (start-up costs more): count as if it were warm.
        monkeypatch.setattr(_compiled, "_warm", True)
    rng = np.random.default_rng(5)
    n = 20_000
    score = np.round(rng.normal(size=n), 2).astype(np.float32)
    y = rng.random(n) < 0.3
    weight = {
        "none": None,
        "int": rng.integers(1, 4, n),
        "float": rng.integers(1, 64, n) / 8.0,
        "zeros": rng.integers(0, 3, n),
    }[weights]
    memory = ArraySource(score, y, weight)
    streamed = Batches(score, y, weight, batch_size=777, threads=threads)
    layout = bin_layout(float(score.min()), float(score.max()), 8)
    levels = [Level(layout.shift, 0, None, np.arange(layout.n_bins, dtype=np.uint64))]
    a, b = memory.histogram(layout, levels), streamed.histogram(layout, levels)
    for field in ("positive", "negative", "rows"):
        np.testing.assert_array_equal(getattr(a, field), getattr(b, field))
        assert getattr(a, field).dtype == getattr(b, field).dtype
    if compiled:
        # Streamed batches are counted by the kernel too: the numpy pass's bits exactly.
        monkeypatch.setattr(hist, "USE_COMPILED", False)
        c = Batches(score, y, weight, batch_size=777, threads=threads).histogram(layout, levels)
        monkeypatch.setattr(hist, "USE_COMPILED", True)
        for field in ("positive", "negative", "rows"):
            assert getattr(b, field).tobytes() == getattr(c, field).tobytes()
    # A second level over a few cells, and the rows inside chosen cells.
    busy = np.sort(np.argsort(a.rows)[-3:])
    levels.append(_split(levels[0], busy, 8))
    a2, b2 = memory.histogram(layout, levels), streamed.histogram(layout, levels)
    np.testing.assert_array_equal(a2.positive, b2.positive)
    np.testing.assert_array_equal(a2.rows, b2.rows)
    chosen = [np.zeros(level.n_cells, dtype=bool) for level in levels]
    chosen[1][np.flatnonzero(a2.rows)[:5]] = True
    rows_a, rows_b = (s.rows_in(layout, levels, chosen, None) for s in (memory, streamed))
    for x, z in zip(rows_a, rows_b, strict=True):
        np.testing.assert_array_equal(x, z)
    if weights in ("none", "zeros"):  # rows are counted (else estimated from weight)
        assert len(rows_a[0]) == int(a2.rows[chosen[1]].sum())
    assert streamed.passes == ["count", "count (level 2)", "refine"]


def test_map_reduce_combines_in_order_with_global_offsets():
    score = np.arange(10.0)
    source = Batches(score, score > 4, None, batch_size=3, threads=2)
    starts = source.map_reduce(lambda b: [(b.start, len(b))], lambda a, b: a + b)
    assert starts == [(0, 3), (3, 3), (6, 3), (9, 1)]
    memory = ArraySource(score, score > 4)
    assert memory.map_reduce(lambda b: [b.start], lambda a, b: a + b) == [0]


def test_positive_integer_weights_take_the_lean_pass(monkeypatch):
    """Validated positive integer weights reach the compiled first pass with their
    maximum (its lean loop); zero weights and float weights do not."""
    from cutpoints.engines import _compiled

    if not _compiled.AVAILABLE:
        pytest.skip("numba is not installed")
    monkeypatch.setattr(_compiled, "_warm", True)
    seen = []
    real = _compiled.layout_counts

    def spy(*args, **kwargs):
        seen.append(kwargs.get("weight_max"))
        return real(*args, **kwargs)

    monkeypatch.setattr(_compiled, "layout_counts", spy)
    y, score = _mixture(20_000, seed=3)
    engine = HistogramEngine(speculate=False)
    weight = np.random.default_rng(3).integers(1, 6, len(y)).astype(np.int32)
    weight[7] = 9
    for w, expected in [(weight, 9), (weight - 1, None), (weight * 0.5, None)]:
        seen.clear()
        assert_same(y, score, w, engines=[engine], metric="f1")
        assert seen == [expected]
