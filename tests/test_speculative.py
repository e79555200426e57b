"""Speculative refinement: the counting pass collects the rows of a guessed window.

The answer never depends on the guess: when the chosen bins lie inside the window the
rows come from the collected ones ("hit"), otherwise the engine reads them again
("miss", "overflow"). Every test checks both that the wanted path really ran (the
sweep's ``speculation``) and that the answer is the sort engine's, to the count.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import cutpoints as cp
from cutpoints import _validation
from cutpoints.engines import _compiled, _histogram
from cutpoints.engines._histogram import BinnedCurve, HistogramEngine, Level, bin_layout
from cutpoints.engines._source import ArraySource

from .test_engines import (
    CONSTRAINTS,
    POOL,
    TIES,
    answer,
    assert_rows_exact,
    assert_rows_exact_sampled,
    assert_same,
)

SPEC = {
    # A sample of 64 rows: a small input is sampled, not read whole.
    "bits=16": HistogramEngine(speculate=True, sample_rows=64),
    "bits=8": HistogramEngine(bits=8, full_share=1.0, speculate=True, sample_rows=64),
    "bits=8,deep": HistogramEngine(
        bits=8, full_share=1.0, sort_rows=0, speculate=True, sample_rows=64
    ),
}


@pytest.fixture
def wide_windows(monkeypatch):
    """Windows of any size (small inputs in few bins: a bin holds many of the rows)."""
    monkeypatch.setattr(_histogram, "_MAX_CAPACITY_SHARE", 1.0)


@pytest.fixture(params=["numpy", "compiled"])
def counting_pass(request, monkeypatch):
    """Both counting passes: numpy (the oracle) and the compiled kernel (warmed)."""
    if request.param == "compiled":
        if not _compiled.AVAILABLE:
            pytest.skip("numba is not installed")
        monkeypatch.setattr(_compiled, "_warm", True)  # use it on small inputs too
    else:
        monkeypatch.setattr(_histogram, "USE_COMPILED", False)
    return request.param


def sweep(engine, y, score, metric="f1", constraints=(), ties="highest"):
    """The engine's partial sweep for the metric and constraints of ``find_cutpoint``."""
    cut = cp.find_cutpoint(y, score, metric=metric, constraints=constraints, ties=ties)
    return engine.sweep_for(
        np.asarray(score, dtype=np.float64),
        np.asarray(y, dtype=bool),
        None,
        objective=cut.metric,
        constraints=cut.constraints,
        maximize=cut.metric.greater_is_better,
    )


def same_answer(engine, y, score, **kwargs):
    """The engine's Cutpoint equals the sort engine's (threshold, counts, ties, runners-up)."""
    expected = answer(cp.find_cutpoint(y, score, engine="sort", **kwargs))
    got = cp.find_cutpoint(y, score, engine=engine, **kwargs)
    assert answer(got) == expected
    return got


def mixture(n, seed=0, prevalence=0.1):
    """Probabilities of a scored mixture (as models give them)."""
    rng = np.random.default_rng(seed)
    y = rng.random(n) < prevalence
    return y, 1.0 / (1.0 + np.exp(-(rng.normal(size=n) + 2.0 * y - 2.0)))


# ---------------------------------------------------------------------- the paths
def test_a_representative_sample_hits_and_reads_nothing_twice(counting_pass):
    y, score = mixture(100_000)
    engine = HistogramEngine(speculate=True, sample_rows=10_000)
    for metric in ["f1", "youden", "precision", "cost(fp=1, fn=10)"]:
        partial = sweep(engine, y, score, metric)
        assert partial.speculation == "hit", metric
        assert partial.n_refined_rows > 0
        cut = same_answer(engine, y, score, metric=metric)
        assert isinstance(cut.curve, BinnedCurve)
        assert_rows_exact_sampled(cut.curve, score, y)


def misleading_sample(n=5_000, sample_rows=500):
    """Rows whose sample (``sample_rows`` of them) misleads the guess: the sampled rows
    are low scores with their positives on top and a few high negatives (their optimum
    near 0.05); the other rows put it near 0.8. Returns the generator (to draw more),
    labels and scores."""
    rng = np.random.default_rng(1)
    score = rng.uniform(0.2, 0.9, n)
    y = score > 0.8
    sampled = _histogram.sample_index(n, sample_rows)
    score[sampled] = rng.uniform(0.0, 0.1, len(sampled))
    y[sampled] = score[sampled] > 0.05
    score[sampled[:20]] = rng.uniform(0.95, 1.0, 20)
    y[sampled[:20]] = False
    return rng, y, score


def crowded_window(n=400_000):
    """Rows whose sample (1 in 20) sees few rows near its optimum at 0.5, while the
    other rows crowd into that window: more than its buffer holds. Returns the
    generator (to draw more), labels and scores."""
    rng = np.random.default_rng(2)
    score = rng.uniform(0.4995, 0.5005, n)
    y = rng.random(n) < 0.5
    sampled = _histogram.sample_index(n, n // 20)
    score[sampled] = rng.uniform(0.0, 1.0, len(sampled))
    y[sampled] = score[sampled] > 0.5
    return rng, y, score


def test_the_fallback_reads_the_rows_when_the_sample_misleads(counting_pass, wide_windows):
    _, y, score = misleading_sample()
    engine = HistogramEngine(speculate=True, sample_rows=500)
    assert sweep(engine, y, score).speculation == "miss"
    cut = same_answer(engine, y, score, metric="f1")
    assert_rows_exact(cut.curve, score, y)


def test_an_overflowing_window_falls_back(counting_pass):
    _, y, score = crowded_window()
    n = len(y)
    engine = HistogramEngine(speculate=True, sample_rows=n // 20)
    assert sweep(engine, y, score).speculation == "overflow"
    same_answer(engine, y, score, metric="f1")
    same_answer(engine, y, score, metric="youden")


def test_deeper_levels_count_the_collected_rows(counting_pass, wide_windows):
    y, score = mixture(20_000, seed=3)
    engine = SPEC["bits=8,deep"]
    partial = sweep(engine, y, score, "youden")
    assert partial.n_levels >= 3 and partial.speculation == "hit"
    cut = same_answer(engine, y, score, metric="youden")
    assert_rows_exact(cut.curve, score, y)


def test_speculation_is_off_where_it_does_not_apply():
    y, score = mixture(3_000, seed=4)
    engine = SPEC["bits=8"]
    weight = np.arange(len(y)) % 3
    cut = cp.find_cutpoint(y, score, metric="f1")
    weighted = engine.sweep_for(
        score, y, weight, objective=cut.metric, constraints=(), maximize=True
    )
    assert weighted.speculation == "off"  # weights keep the second pass
    assert sweep(engine, y, score, "mcc").speculation == "off"  # no bounds: a full sort
    assert sweep(HistogramEngine(speculate=False), y, score).speculation == "off"
    # The default speculates from SPECULATE_ROWS rows only.
    assert sweep(HistogramEngine(), y, score).speculation == "off"
    assert HistogramEngine()._speculates(_histogram.SPECULATE_ROWS)


# ---------------------------------------------------------------------- properties
@st.composite
def unweighted_problems(draw):
    """50 to 3,000 rows, unweighted; sorted or sample-aligned orders mislead the sample
    (``SPEC``'s 64 rows)."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    n = draw(st.integers(50, 3000))
    y = rng.random(n) < draw(st.sampled_from([0.01, 0.1, 0.5]))
    score = rng.normal(size=n) + 1.5 * y
    kind = draw(st.sampled_from(["normal", "rounded", "pool", "one bin", "signed zeros"]))
    if kind == "rounded":
        score = np.round(score, 1)
    elif kind == "pool":
        score = rng.choice(POOL, n)
    elif kind == "one bin":
        score = 0.5 + score * 1e-12
    elif kind == "signed zeros":
        score = rng.choice([-0.0, 0.0, 1e-300, -1e-300, 1.0], n)
    order = draw(st.sampled_from(["as drawn", "sorted", "sampled lowest"]))
    if order == "sorted":
        index = np.argsort(score, kind="stable")
        y, score = y[index], score[index]
    elif order == "sampled lowest":
        # The lowest scores exactly where the sample reads: it sees only those.
        index = np.argsort(score, kind="stable")
        picked = _histogram.sample_index(n, 64)
        mixed = np.empty(n, dtype=np.int64)
        mixed[picked] = index[: len(picked)]
        mixed[np.setdiff1d(np.arange(n), picked)] = index[len(picked) :]
        y, score = y[mixed], score[mixed]
    return y, score


@settings(max_examples=120, deadline=None)
@given(
    problem=unweighted_problems(),
    spec=st.sampled_from(["f1", "youden", "precision", "cost(fp=1, fn=10)", "accuracy"]),
    constraints=st.lists(st.sampled_from(CONSTRAINTS), max_size=2, unique=True),
    ties=st.sampled_from(TIES),
    rule=st.sampled_from([">=", "<="]),
)
def test_speculative_answers_are_identical(problem, spec, constraints, ties, rule):
    y, score = problem
    kwargs = {"metric": spec, "constraints": constraints, "ties": ties, "rule": rule}
    saved = _histogram._MAX_CAPACITY_SHARE
    _histogram._MAX_CAPACITY_SHARE = 1.0  # windows of any size (see wide_windows)
    try:
        assert_same(y, score, engines=SPEC.values(), **kwargs)
    finally:
        _histogram._MAX_CAPACITY_SHARE = saved


@settings(max_examples=60, deadline=None)
@given(problem=unweighted_problems(), use_compiled=st.booleans())
def test_collected_rows_are_those_of_the_window(problem, use_compiled):
    """Both counting passes collect exactly the window's rows, in input order."""
    y, score = problem
    if use_compiled and not _compiled.AVAILABLE:
        return
    layout = bin_layout(float(score.min()), float(score.max()), 8)
    level = Level(layout.shift, 0, None, np.arange(layout.n_bins, dtype=np.uint64))
    bins = (_histogram._keys_of(score) - np.uint64(layout.base)) >> np.uint64(layout.shift)
    low = int(bins.min()) + (int(np.ptp(bins)) // 3)
    window = (low, low + layout.n_bins // 5)
    marks = _histogram.window_marks(layout, window)
    expected = np.flatnonzero(marks[bins.view(np.int64)])
    saved = _compiled._warm, _histogram.USE_COMPILED
    _compiled._warm, _histogram.USE_COMPILED = use_compiled, use_compiled
    try:
        hist, rows = _histogram.histogram_collecting(score, y, layout, level, window, len(y))
        _, none = _histogram.histogram_collecting(
            score, y, layout, level, window, max(0, len(expected) - 1)
        )
    finally:
        _compiled._warm, _histogram.USE_COMPILED = saved
    assert rows is not None
    np.testing.assert_array_equal(rows[0], score[expected])
    np.testing.assert_array_equal(rows[1], y[expected])
    assert rows[0].dtype == score.dtype
    plain = _histogram.histogram(score, y, None, layout, [level])
    np.testing.assert_array_equal(hist.positive, plain.positive)
    np.testing.assert_array_equal(hist.negative, plain.negative)
    # One row more than the buffer holds: an overflow, never a silent truncation.
    if len(expected):
        assert none is None


def test_a_source_refuses_a_window_it_cannot_serve():
    y, score = mixture(100)
    layout = bin_layout(float(score.min()), float(score.max()))
    assert not ArraySource(score, y, np.ones(100)).speculate(layout, (0, 10), 100)
    assert ArraySource(score, y).speculate(layout, (0, 10), 100)


@pytest.mark.parametrize("bad", [{"speculate": 1}, {"sample_rows": 0}, {"sample_rows": 2.5}])
def test_bad_parameters_name_the_argument(bad):
    name = next(iter(bad))
    with pytest.raises(cp.errors.InvalidParameterError, match=f"'{name}'"):
        HistogramEngine(**bad)


@pytest.mark.parametrize(("n", "rows"), [(10, 64), (1000, 64), (10**6, 1000), (10**6, 300)])
def test_the_sample_is_spread_over_the_input(n, rows):
    index = _histogram.sample_index(n, rows)
    runs = min(256, rows)
    assert len(index) == (n if n <= rows else rows // runs * runs)
    assert np.all(np.diff(index) > 0) and index[0] == 0 and index[-1] < n
    if n > rows:  # runs spread to the end: the last row read lies in the last 1/256
        assert index[-1] >= n - n // 256 - rows


# ---------------------------------------------------------------------- files
def same_but_columns(cut, expected):
    """The same answer, but for what only a scan records (column names, data hash)."""
    drop = {"columns": None, "data": None}
    return answer(cut) | drop == answer(expected) | drop


def parquet(tmp_path, y, score, name="part", parts=4):
    """The rows in ``parts`` Parquet files, in order."""
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    for k, rows in enumerate(np.array_split(np.arange(len(y)), parts)):
        table = pa.table({"y": y[rows], "p": score[rows].astype(np.float32)})
        pq.write_table(table, tmp_path / f"{name}-{k}.parquet", row_group_size=10_000)
    return str(tmp_path / f"{name}-*.parquet")


def scan_sweep(engine, pattern, metric="f1", progress=None):
    """The engine's sweep of a scan (the first counting pass folds pass 0, as
    ``find_cutpoint`` does), and the cut it gives."""
    from cutpoints._scan import FileSource

    spec = cp.scan(pattern, label="y", score="p", batch_size=10_000, progress=progress)
    source = FileSource(spec)
    source.fold_summary()
    # What the sweep collected, seen just before it frees it (the sweep keeps nothing).
    real_stop = source.stop_speculating

    def stop():
        if source._collected is not None:
            source.seen = (source._window, source._collected)
        real_stop()

    source.stop_speculating = stop
    metric_object = cp.find_cutpoint([0, 1], [0.0, 1.0], metric=metric).metric
    partial = engine.sweep_source(source, objective=metric_object, maximize=True)
    cut = cp.find_cutpoint(
        cp.scan(pattern, label="y", score="p", batch_size=10_000), metric=metric, engine=engine
    )
    return partial, cut, source


@pytest.mark.parametrize("metric", ["f1", "youden"])
def test_a_scan_hits_from_its_first_batch_and_skips_the_refining_pass(
    tmp_path, monkeypatch, metric
):
    if not _compiled.AVAILABLE:
        pytest.skip("numba is not installed")
    monkeypatch.setattr(_compiled, "_warm", True)
    y, score = mixture(200_000, seed=5)
    pattern = parquet(tmp_path, y, score)
    calls = []
    engine = HistogramEngine(speculate=True)
    partial, cut, source = scan_sweep(
        engine, pattern, metric, progress=lambda name, *_: calls.append(name)
    )
    assert partial.speculation == "hit"
    assert "refine" not in calls and "count" in calls  # one pass over the files
    # Exactly the rows of the window, in input order.
    assert source._collected is None and source._window is None  # freed after the sweep
    (layout, _, marks, _), collected = source.seen
    score32 = score.astype(np.float32)
    keys = _histogram._keys_of(score32.astype(np.float64)) - np.uint64(layout.base)
    inside = marks[(keys >> np.uint64(layout.shift)).view(np.int64)]
    np.testing.assert_array_equal(collected[0], score32[inside])
    np.testing.assert_array_equal(collected[1], y[inside])
    # The same source in a later call that does not speculate keeps nothing of it.
    again = HistogramEngine(speculate=False).sweep_source(
        source, objective=cut.metric, maximize=True
    )
    assert again.speculation == "off" and source._collected is None
    np.testing.assert_array_equal(again.tp, partial.tp)
    expected = cp.find_cutpoint(y, score.astype(np.float32), metric=metric, engine="sort")
    assert same_but_columns(cut, expected)


def test_a_scan_whose_first_batch_misleads_reads_the_rows_again(tmp_path, monkeypatch):
    if not _compiled.AVAILABLE:
        pytest.skip("numba is not installed")
    monkeypatch.setattr(_compiled, "_warm", True)
    y, score = mixture(200_000, seed=6)
    score[:10_000] **= 0.25  # the first batch: its optimum lies far above the others'
    pattern = parquet(tmp_path, y, score)
    calls = []
    engine = HistogramEngine(speculate=True)
    partial, cut, _ = scan_sweep(engine, pattern, progress=lambda name, *_: calls.append(name))
    assert partial.speculation == "miss"
    assert "refine" in calls
    expected = cp.find_cutpoint(y, score.astype(np.float32), metric="f1", engine="sort")
    assert same_but_columns(cut, expected)


def test_a_scan_window_past_its_cap_holds_no_rows(tmp_path, monkeypatch):
    if not _compiled.AVAILABLE:
        pytest.skip("numba is not installed")
    monkeypatch.setattr(_compiled, "_warm", True)
    y, score = mixture(200_000, seed=7)
    pattern = parquet(tmp_path, y, score)
    # A cap on the rows held below what the window collects, above what is refined.
    engine = HistogramEngine(speculate=True, max_rows=2_000)
    partial, cut, _ = scan_sweep(engine, pattern)
    assert partial.speculation == "overflow"
    expected = cp.find_cutpoint(y, score.astype(np.float32), metric="f1", engine="sort")
    assert same_but_columns(cut, expected)


@pytest.mark.parametrize(("cap", "outcome"), [(2_000, "overflow"), (1 << 24, "hit")])
def test_a_scans_window_is_capped_by_stream_speculate_rows(tmp_path, monkeypatch, cap, outcome):
    """Without ``max_rows`` the window collects up to STREAM_SPECULATE_ROWS rows (more
    than the refined rows' cap: a constant, whatever the files' size)."""
    if not _compiled.AVAILABLE:
        pytest.skip("numba is not installed")
    monkeypatch.setattr(_compiled, "_warm", True)
    monkeypatch.setattr(_histogram, "STREAM_SPECULATE_ROWS", cap)
    y, score = mixture(200_000, seed=7)
    pattern = parquet(tmp_path, y, score)
    partial, cut, _ = scan_sweep(HistogramEngine(speculate=True), pattern)
    assert partial.speculation == outcome
    expected = cp.find_cutpoint(y, score.astype(np.float32), metric="f1", engine="sort")
    assert same_but_columns(cut, expected)


# ---------------------------------------------------------------------- weights
# Positive integer weights are collected too (their weight with each row): the compiled
# kernel only. Float weights and weights with zeros keep the second pass.
@pytest.fixture
def warm_kernel(monkeypatch):
    """The compiled kernel, used on small inputs too (weighted speculation needs it)."""
    if not _compiled.AVAILABLE:
        pytest.skip("numba is not installed")
    monkeypatch.setattr(_compiled, "_warm", True)


def weighted_sweep(engine, y, score, weight, metric="f1", **kwargs):
    """The engine's partial sweep with weights (as ``find_cutpoint`` hands them over)."""
    cut = cp.find_cutpoint(y, score, metric=metric, sample_weight=weight)
    return engine.sweep_for(
        score, y, weight, objective=cut.metric, maximize=cut.metric.greater_is_better, **kwargs
    )


def same_weighted_answer(engine, y, score, weight, **kwargs):
    """The weighted Cutpoint equals the sort engine's (threshold, counts, ties, runners-up)."""
    expected = answer(cp.find_cutpoint(y, score, sample_weight=weight, engine="sort", **kwargs))
    got = cp.find_cutpoint(y, score, sample_weight=weight, engine=engine, **kwargs)
    assert answer(got) == expected
    return got


@pytest.mark.parametrize("dtype", ["int32", "int64", "uint8"])
def test_weighted_rows_hit_with_their_weights(warm_kernel, dtype):
    y, score = mixture(100_000, seed=6)
    weight = (np.arange(len(y)) % 5 + 1).astype(dtype)
    engine = HistogramEngine(speculate=True, sample_rows=10_000)
    for metric in ["f1", "youden", "precision"]:
        partial = weighted_sweep(engine, y, score, weight, metric)
        assert partial.speculation == "hit", metric
        assert partial.n_refined_rows > 0
        cut = same_weighted_answer(engine, y, score, weight, metric=metric)
        assert_rows_exact_sampled_weighted(cut.curve, score, y, weight)


def assert_rows_exact_sampled_weighted(curve, score, y, weight, k=100):
    """``k`` rows of the curve (and its last) have the weighted counts of their threshold."""
    rng = np.random.default_rng(0)
    w = np.asarray(weight, dtype=np.int64)
    for i in [*rng.choice(len(curve.thresholds), size=k), len(curve.thresholds) - 1]:
        flagged = score >= curve.thresholds[i]
        assert curve.tp[i] == w[flagged & y].sum() and curve.fp[i] == w[flagged & ~y].sum()


def test_weighted_misses_and_overflows_fall_back(warm_kernel, wide_windows):
    # As the unweighted miss: the sample sees a misleading corner of the rows.
    rng, y, score = misleading_sample()
    weight = rng.integers(1, 4, len(y))
    engine = HistogramEngine(speculate=True, sample_rows=500)
    assert weighted_sweep(engine, y, score, weight).speculation == "miss"
    same_weighted_answer(engine, y, score, weight, metric="f1")


def test_a_weighted_window_past_its_buffer_overflows(warm_kernel):
    rng, y, score = crowded_window()
    n = len(y)
    weight = rng.integers(1, 3, n).astype(np.int32)
    engine = HistogramEngine(speculate=True, sample_rows=n // 20)
    assert weighted_sweep(engine, y, score, weight).speculation == "overflow"
    same_weighted_answer(engine, y, score, weight, metric="f1")


def test_weighted_deeper_levels_count_the_collected_weights(warm_kernel, wide_windows):
    y, score = mixture(20_000, seed=3)
    weight = np.random.default_rng(3).integers(1, 9, len(y))
    engine = SPEC["bits=8,deep"]
    partial = weighted_sweep(engine, y, score, weight, "youden")
    # A deeper level was counted, from the collected rows (else a miss).
    assert partial.n_levels >= 2 and partial.speculation == "hit"
    cut = same_weighted_answer(engine, y, score, weight, metric="youden")
    assert_rows_exact(cut.curve, score, y, weight)


def test_weights_that_cannot_be_collected_keep_the_second_pass(
    warm_kernel, wide_windows, monkeypatch
):
    y, score = mixture(3_000, seed=4)
    engine = SPEC["bits=8"]
    ones = np.ones(len(y), dtype=np.int64)
    assert weighted_sweep(engine, y, score, ones).speculation == "hit"
    for weight in [ones * 0.5, np.arange(len(y)) % 3]:  # floats; a zero weight
        assert weighted_sweep(engine, y, score, weight).speculation == "off"
    layout = bin_layout(float(score.min()), float(score.max()))
    assert ArraySource(score, y, ones).speculate(layout, (0, 10), 100)
    assert not ArraySource(score, y, ones, weight_range=(0, 1)).speculate(layout, (0, 10), 100)
    monkeypatch.setattr(_histogram, "USE_COMPILED", False)  # the numpy pass collects no weights
    assert weighted_sweep(engine, y, score, ones).speculation == "off"
    same_weighted_answer(engine, y, score, ones, metric="f1")


def test_weight_range_is_handed_to_the_source(warm_kernel, monkeypatch):
    """find_cutpoint hands the validated (min, max) to the engine: no scan of its own."""
    y, score = mixture(50_000, seed=7)
    weight = np.random.default_rng(7).integers(1, 4, len(y)).astype(np.int32)
    seen = []
    real = ArraySource.__init__

    def spy(self, *args, **kwargs):
        seen.append(kwargs.get("weight_range"))
        real(self, *args, **kwargs)

    monkeypatch.setattr(ArraySource, "__init__", spy)
    # Validation's scan of the weights; the source's own would fill its ``_bounds``.
    scans = []
    real_scan = _validation._min_max
    monkeypatch.setattr(_validation, "_min_max", lambda a: scans.append(1) or real_scan(a))
    sources = []
    real_histogram = ArraySource.histogram

    def counting(self, *args, **kwargs):
        sources.append(self)
        return real_histogram(self, *args, **kwargs)

    monkeypatch.setattr(ArraySource, "histogram", counting)
    engine = HistogramEngine(speculate=True, sample_rows=5_000)
    got = cp.find_cutpoint(y, score, sample_weight=weight, engine=engine, metric="f1")
    assert seen == [(1, 3)]
    assert isinstance(got.curve, BinnedCurve)
    assert len(scans) == 1  # validation's, once
    assert sources and all(source._bounds == {} for source in sources)  # none of its own
    expected = cp.find_cutpoint(y, score, sample_weight=weight, engine="sort", metric="f1")
    assert answer(got) == answer(expected)


@st.composite
def weighted_problems(draw):
    """Unweighted problems with positive integer weights: small, or so big that a
    part's sums pass int32 (int64 cells), up to uint32 weights past int32's maximum; in
    every integer dtype that holds them."""
    y, score = draw(unweighted_problems())
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    high = draw(st.sampled_from([1, 3, 1000, 2**28, 2**31 + 5]))
    dtypes = ["uint8", "int16", "int32", "uint32", "int64", "uint64"]
    dtype = draw(st.sampled_from([d for d in dtypes if np.iinfo(d).max >= high]))
    weight = rng.integers(1, high + 1, len(y)).astype(dtype)
    weight[0] = high  # the largest weight drawn: past int32's maximum for 2**31 + 5
    return y, score, weight


@pytest.mark.slow
@settings(max_examples=60, deadline=None)
@given(
    problem=weighted_problems(),
    spec=st.sampled_from(["f1", "youden", "precision", "cost(fp=1, fn=10)"]),
    constraints=st.lists(st.sampled_from(CONSTRAINTS), max_size=1),
    ties=st.sampled_from(TIES),
    rule=st.sampled_from([">=", "<="]),
)
def test_weighted_speculative_answers_are_identical(problem, spec, constraints, ties, rule):
    y, score, weight = problem
    kwargs = {"metric": spec, "constraints": constraints, "ties": ties, "rule": rule}
    saved = _histogram._MAX_CAPACITY_SHARE, _compiled._warm
    _histogram._MAX_CAPACITY_SHARE = 1.0  # windows of any size (see wide_windows)
    _compiled._warm = _compiled.AVAILABLE  # the compiled kernel on small inputs
    try:
        assert_same(y, score, weight, engines=SPEC.values(), **kwargs)
    finally:
        _histogram._MAX_CAPACITY_SHARE, _compiled._warm = saved


@pytest.mark.skipif(not _compiled.AVAILABLE, reason="numba is not installed")
@settings(max_examples=60, deadline=None)
@given(problem=weighted_problems())
def test_collected_weighted_rows_are_those_of_the_window(problem):
    """The weighted collecting pass keeps exactly the window's rows and weights, in
    input order, and sums the weights as the plain pass does (int32 or int64 cells)."""
    y, score, weight = problem
    layout = bin_layout(float(score.min()), float(score.max()), 8)
    level = Level(layout.shift, 0, None, np.arange(layout.n_bins, dtype=np.uint64))
    bins = (_histogram._keys_of(score) - np.uint64(layout.base)) >> np.uint64(layout.shift)
    low = int(bins.min()) + (int(np.ptp(bins)) // 3)
    window = (low, low + layout.n_bins // 5)
    expected = np.flatnonzero(_histogram.window_marks(layout, window)[bins.view(np.int64)])
    high = int(weight.max())
    saved = _compiled._warm
    _compiled._warm = True
    try:
        hist, rows = _histogram.histogram_collecting_weighted(
            score, y, weight, layout, window, len(y), high
        )
        _, none = _histogram.histogram_collecting_weighted(
            score, y, weight, layout, window, max(0, len(expected) - 1), high
        )
    finally:
        _compiled._warm = saved
    assert rows is not None
    np.testing.assert_array_equal(rows[0], score[expected])
    np.testing.assert_array_equal(rows[1], y[expected])
    np.testing.assert_array_equal(rows[2], weight[expected])
    saved_compiled = _histogram.USE_COMPILED
    _histogram.USE_COMPILED = False  # the numpy pass: the oracle
    try:
        plain = _histogram.histogram(score, y, weight, layout, [level])
    finally:
        _histogram.USE_COMPILED = saved_compiled
    np.testing.assert_array_equal(hist.positive, plain.positive)
    np.testing.assert_array_equal(hist.negative, plain.negative)
    if len(expected):
        assert none is None  # one row more than the buffer holds: an overflow


def test_weights_past_int32_sum_into_wide_cells(warm_kernel, wide_windows):
    """Rows of weight 2**28 among ones, tied in one cell: its sum passes int32 (int64
    cells), which only the largest weight shows (not the smallest)."""
    y, score = mixture(20_000, seed=8)
    weight = np.ones(len(y), dtype=np.int64)
    weight[::997] = 2**28
    score[::997], y[::997] = 1.0, False  # 21 rows in the top cell: 21 * 2**28
    # full_share=1: rows estimated from such weights would send it to a full sort.
    engine = HistogramEngine(full_share=1.0, speculate=True, sample_rows=len(y))
    assert weighted_sweep(engine, y, score, weight).speculation == "hit"
    cut = same_weighted_answer(engine, y, score, weight, metric="f1")
    assert cut.curve.tp[-1] + cut.curve.fp[-1] == int(weight.sum())
    # The collecting pass's cells themselves: those of the numpy pass.
    source = ArraySource(score, y, weight)
    layout = bin_layout(float(score.min()), float(score.max()))
    levels = [Level(layout.shift, 0, None, np.arange(layout.n_bins, dtype=np.uint64))]
    assert source.speculate(layout, (0, layout.n_bins - 1), len(y))
    hist = source.histogram(layout, levels)
    assert source.speculation == "hit" and source._collected_weight is not None
    plain = ArraySource(score, y, weight).histogram(layout, levels)
    np.testing.assert_array_equal(hist.negative, plain.negative)
    assert hist.negative[-1] == 21 * 2**28


def test_a_broken_numba_counts_weighted_rows_with_numpy(warm_kernel, wide_windows, monkeypatch):
    """numba installed but failing to load: the weighted collecting pass gives way to
    the numpy pass (nothing collected), and the answer is the same."""
    y, score = mixture(20_000, seed=9)
    weight = np.random.default_rng(9).integers(1, 4, len(y))
    engine = HistogramEngine(speculate=True, sample_rows=2_000)

    def broken():
        raise ImportError("numba failed to load")

    assert weighted_sweep(engine, y, score, weight).speculation == "hit"  # as a rule
    monkeypatch.setattr(_compiled, "_compile", broken)
    assert weighted_sweep(engine, y, score, weight).speculation == "off"
    same_weighted_answer(engine, y, score, weight, metric="f1")


def test_weighted_curves_do_not_depend_on_the_speculation(warm_kernel, wide_windows):
    """Deeper levels counted from the collected rows estimate each cell's rows from its
    weight and the source's row count, as the pass over every row does: the same
    levels, refined rows and curve, hit or not. (Estimated from the collected rows'
    count, they were too few: a level more, other refined rows.)"""
    y, score = mixture(50_000, seed=1)
    weight = np.where(np.random.default_rng(1).random(len(y)) < 0.01, 10, 1)
    deep = {"bits": 8, "full_share": 1.0, "sort_rows": 0}
    spec = HistogramEngine(**deep, speculate=True, sample_rows=5_000)
    off = HistogramEngine(**deep, speculate=False)
    for metric in ["f1", "youden"]:
        hit = weighted_sweep(spec, y, score, weight, metric)
        plain = weighted_sweep(off, y, score, weight, metric)
        assert (hit.speculation, plain.speculation) == ("hit", "off")
        assert hit.n_levels == plain.n_levels >= 2, metric
        assert hit.n_refined_rows == plain.n_refined_rows, metric
        for field in ["thresholds", "tp", "fp"]:
            np.testing.assert_array_equal(getattr(hit, field), getattr(plain, field))


def logistic_mixture(n, seed):
    """A float32 mixture and its generator (which then draws the weights)."""
    rng = np.random.default_rng(seed)
    y = rng.random(n) < 0.1
    score = (1 / (1 + np.exp(-(rng.normal(size=n) + 2.0 * y - 2.0)))).astype(np.float32)
    return y, score, rng


@pytest.mark.parametrize(("seed", "metric"), [(0, "youden"), (1, "youden"), (3, "youden")])
def test_heavy_tailed_weights_widen_the_window_rather_than_miss(warm_kernel, seed, metric):
    """A sample's weighted counts are as noisy as those of its effective size
    ((sum w)**2 / sum w**2 rows): ceil(lognormal(0, 2)) weights, sized by the sample's
    rows, missed here (the rows read twice); sized by that, the window grows past use
    and the engine does not speculate, or it holds the chosen bins."""
    y, score, rng = logistic_mixture(200_000, seed)
    weight = np.ceil(rng.lognormal(0, 2, len(y))).astype(np.int64)
    engine = HistogramEngine(speculate=True, sample_rows=8192)
    assert weighted_sweep(engine, y, score, weight, metric).speculation in ("hit", "off")
    same_weighted_answer(engine, y, score, weight, metric=metric)


def test_evenly_spread_weights_guess_as_rows_do(warm_kernel, monkeypatch):
    """Equal weights guess the unweighted window, to the bin and the buffer's row; weights
    spread evenly over 1..999 widen it a little and still hit."""
    guesses = []
    real = _histogram._speculative_window

    def spy(*args, **kwargs):
        guesses.append(real(*args, **kwargs))
        return guesses[-1]

    monkeypatch.setattr(_histogram, "_speculative_window", spy)
    y, score, rng = logistic_mixture(200_000, seed=2)
    engine = HistogramEngine(speculate=True, sample_rows=8192)
    for metric in ["f1", "youden"]:
        guesses.clear()
        assert weighted_sweep(engine, y, score, None, metric).speculation == "hit"
        assert weighted_sweep(engine, y, score, np.full(len(y), 7), metric).speculation == "hit"
        assert len(guesses) == 2 and guesses[0] is not None
        assert guesses[0] == guesses[1], metric
    weight = rng.integers(1, 1000, len(y)).astype(np.int32)
    for metric in ["f1", "youden"]:
        assert weighted_sweep(engine, y, score, weight, metric).speculation == "hit"
        same_weighted_answer(engine, y, score, weight, metric=metric)
