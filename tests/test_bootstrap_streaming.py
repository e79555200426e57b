"""The bootstrap at scale: Poisson(1) resamples counted in streaming passes.

Oracles: ``find_cutpoint`` on each resample built row by row (the rows with a positive
Poisson weight, weighted by it), brute-force counts, and the in-memory multinomial
bootstrap's distribution.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import cutpoints as cp
from cutpoints._metrics import get_metric
from cutpoints._scan import scan
from cutpoints.errors import (
    InfeasibleConstraintError,
    InvalidInputError,
    InvalidLabelsError,
    InvalidParameterError,
    UndefinedMetricError,
)
from cutpoints.selection import as_constraints
from cutpoints.uncertainty import BootstrapResult, BootstrapWarning
from cutpoints.uncertainty._streaming import (
    ArrayBatches,
    Task,
    poisson_weights,
    run_poisson,
)

from .oracle import assert_same_threshold_quantiles
from .strategies import binary_problems


def _data(n=400, seed=0, decimals=1):
    rng = np.random.default_rng(seed)
    y = rng.random(n) < 0.3
    s = np.round(rng.normal(size=n) + 1.2 * y, decimals)
    return y, s


def _reference(y, s, user_w, k, *, metric, constraints, ties, rule, fixed):
    """One resample built row by row: status, threshold, in-bag, out-of-bag, fixed counts."""
    present = k > 0
    base = np.ones(len(s), dtype=np.int64) if user_w is None else user_w
    weight = k.astype(np.int64) * base if base.dtype.kind == "i" else k * base
    if not weight[present].any():
        # No weight drawn at all: find_cutpoint refuses such weights; no class has
        # weight, which the kernel calls one_class.
        return {"status": "one_class", "fixed": (0, 0), "n": (0, 0)}
    flagged_at = (lambda t: s >= t) if rule == ">=" else (lambda t: s <= t)
    yw = y.astype(bool)
    fixed_flag = flagged_at(fixed)
    out = {
        "fixed": (weight[fixed_flag & yw].sum(), weight[fixed_flag & ~yw].sum()),
        "n": (weight[yw].sum(), weight[~yw].sum()),
    }
    try:
        cut = cp.find_cutpoint(
            y[present],
            s[present],
            sample_weight=weight[present],
            metric=metric,
            constraints=constraints,
            ties=ties,
            rule=rule,
        )
    except InfeasibleConstraintError:
        return out | {"status": "infeasible"}
    except UndefinedMetricError:
        return out | {"status": "undefined"}
    except InvalidLabelsError:
        return out | {"status": "one_class"}
    flag = flagged_at(cut.threshold)
    absent = ~present
    out |= {
        "status": "ok",
        "threshold": cut.threshold,
        "in_bag": (cut.tp, cut.fp),
        "oob": (
            base[absent & flag & yw].sum(),
            base[absent & flag & ~yw].sum(),
            base[absent & yw].sum(),
            base[absent & ~yw].sum(),
        ),
    }
    return out


def _check_streamed(out, y, s, user_w, keys_seed, n_resamples, **options):
    """Every resample of a run_poisson output against the row-by-row reference."""
    k_all = poisson_weights(keys_seed, n_resamples, np.arange(len(s)))
    for i in range(n_resamples):
        ref = _reference(y, s, user_w, k_all[i], **options)
        status = {0: "ok", 1: "infeasible", 2: "undefined", 3: "one_class"}[int(out.status[i])]
        assert status == ref["status"], i
        assert (out.fixed[0][i], out.fixed[1][i]) == ref["fixed"], i
        assert (out.in_bag[2][i], out.in_bag[3][i]) == ref["n"], i
        if status != "ok":
            assert math.isnan(out.thresholds[i])
            continue
        assert out.thresholds[i] == ref["threshold"], i
        assert (out.in_bag[0][i], out.in_bag[1][i]) == ref["in_bag"], i
        oob = tuple(float(part[i]) for part in out.out_of_bag)
        assert oob == tuple(float(v) for v in ref["oob"]), i


CASES = [
    ("f1", (), "highest", ">="),
    ("youden", (), "median", ">="),
    ("f1", (), "lowest", "<="),
    ("recall", ("precision >= 0.5",), "highest", ">="),
    ("mcc", ("flagged <= 120",), "median", ">="),  # no monotonicity: every row refined
    ("precision", ("recall >= 0.6",), "lowest", "<="),
]


@pytest.mark.parametrize(("metric", "constraints", "ties", "rule"), CASES)
@pytest.mark.parametrize("weights", [None, "integer", "dyadic"])
def test_each_resample_is_find_cutpoint_on_it(metric, constraints, ties, rule, weights):
    y, s = _data()
    rng = np.random.default_rng(5)
    user_w = None
    if weights == "integer":
        user_w = rng.integers(0, 4, len(s))  # zeros included: such rows still make thresholds
    elif weights == "dyadic":
        user_w = rng.integers(1, 17, len(s)) / 8.0  # sums exact in float64
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BootstrapWarning)
        res = cp.bootstrap(
            y.astype(int),
            s,
            metric=metric,
            constraints=list(constraints),
            ties=ties,
            rule=rule,
            sample_weight=user_w,
            n_resamples=25,
            random_state=11,
            method="poisson",
        )
    assert isinstance(res, BootstrapResult)
    assert res.threshold == cp.find_cutpoint(
        y.astype(int), s, metric=metric, constraints=list(constraints), ties=ties, rule=rule,
        sample_weight=user_w,
    ).threshold  # fmt: skip
    options = {"metric": metric, "constraints": list(constraints), "ties": ties, "rule": rule}
    for i in range(res.n_resamples):
        k = res.resample_weights(i)
        ref = _reference(y, s, user_w, k, fixed=res.threshold, **options)
        assert res.status[i] == ref["status"], i
        if ref["status"] != "ok":
            assert math.isnan(res.thresholds[i])
            continue
        assert res.thresholds[i] == ref["threshold"], i
        assert res.in_bag["tp"][i] == ref["in_bag"][0]
        assert res.in_bag["fp"][i] == ref["in_bag"][1]
        assert res.out_of_bag["tp"][i] == ref["oob"][0]
        assert res.out_of_bag["fp"][i] == ref["oob"][1]
        assert res.out_of_bag["fn"][i] == ref["oob"][2] - ref["oob"][0]
        assert res.out_of_bag["tn"][i] == ref["oob"][3] - ref["oob"][1]
        assert res.at_threshold["tp"][i] == ref["fixed"][0]
        assert res.at_threshold["fp"][i] == ref["fixed"][1]


def test_fine_layout_with_sampling_matches_row_by_row():
    # 64 cells over 20,000 rows: the layout comes from a ~10% sample, and each resample
    # refines only a few cells of ~300 rows.
    y, s = _data(n=20_000, seed=3, decimals=3)
    task = Task(get_metric("f1"), (), True, "highest")
    cut = cp.find_cutpoint(y, s, metric="f1")
    out = run_poisson(
        ArrayBatches(s, y, batch_rows=3000),
        task,
        n_resamples=8,
        random_state=np.random.SeedSequence(4),
        threshold=cut.threshold,
        bits=6,
    )
    assert 0 < out.n_refined_rows < 5000  # few cells read again, not everything
    options = {"metric": "f1", "constraints": (), "ties": "highest", "rule": ">="}
    _check_streamed(out, y, s, None, np.random.SeedSequence(4), 8, fixed=cut.threshold, **options)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    problem=binary_problems(min_size=2, max_size=60, integer_weights=True),
    bits=st.integers(1, 5),
    batch_rows=st.sampled_from([1, 7, 1000]),
    ties=st.sampled_from(["highest", "lowest", "median"]),
)
def test_property_ties_zeros_extremes(problem, bits, batch_rows, ties):
    y, s, w = problem
    task = Task(get_metric("f1"), (), True, ties)
    fixed = float(np.median(s))
    out = run_poisson(
        ArrayBatches(s, y, w, batch_rows=batch_rows),
        task,
        n_resamples=4,
        random_state=np.random.SeedSequence(9),
        threshold=fixed,
        bits=bits,
    )
    options = {"metric": "f1", "constraints": (), "ties": ties, "rule": ">="}
    _check_streamed(out, y, s, w, np.random.SeedSequence(9), 4, fixed=fixed, **options)


def _outputs_equal(a, b):
    assert np.array_equal(a.thresholds, b.thresholds, equal_nan=True)
    assert np.array_equal(a.status, b.status)
    for x, z in zip((*a.in_bag, *a.out_of_bag, *a.fixed), (*b.in_bag, *b.out_of_bag, *b.fixed)):
        assert np.array_equal(x, z, equal_nan=True)
    assert np.array_equal(a.grid, b.grid)
    for key in a.grid_counts:
        assert np.array_equal(a.grid_counts[key], b.grid_counts[key])


@pytest.mark.parametrize("weighted", [False, True])
def test_results_do_not_depend_on_batches_or_threads(weighted):
    y, s = _data(n=20_000, seed=8, decimals=3)
    w = np.random.default_rng(2).integers(0, 5, len(s)) if weighted else None
    task = Task(get_metric("f1"), tuple(as_constraints(["recall >= 0.5"])), True, "highest")

    def run(batch_rows, threads):
        return run_poisson(
            ArrayBatches(s, y, w, batch_rows=batch_rows, threads=threads),
            task,
            n_resamples=12,
            random_state=np.random.SeedSequence(21),
            threshold=0.7,
            bits=7,
        )

    reference = run(len(s), 1)  # one big batch
    for batch_rows, threads in ((1000, 1), (4096, 2), (4096, 1)):
        _outputs_equal(run(batch_rows, threads), reference)


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_one_file_three_files_and_memory_agree(tmp_path, fmt):
    y, s = _data(n=6000, seed=13, decimals=3)
    w = np.random.default_rng(1).integers(1, 4, len(s))
    one, three = tmp_path / "one", tmp_path / "three"
    one.mkdir()
    three.mkdir()

    def write(path, a, b):
        table = pa.table({"label": y[a:b].astype(np.int64), "p": s[a:b], "w": w[a:b]})
        if fmt == "parquet":
            pq.write_table(table, str(path) + ".parquet")
        else:
            pacsv.write_csv(table, str(path) + ".csv")

    write(one / "all", 0, len(s))
    for i, (a, b) in enumerate([(0, 1500), (1500, 4100), (4100, len(s))]):
        write(three / f"part-{i}", a, b)
    kwargs = {"metric": "f1", "n_resamples": 20, "random_state": 5}
    results = [
        cp.bootstrap(scan(one, label="label", score="p", weight="w", batch_size=4096), **kwargs),
        cp.bootstrap(scan(three, label="label", score="p", weight="w", batch_size=1000), **kwargs),
        cp.bootstrap(y.astype(int), s, sample_weight=w, method="poisson", **kwargs),
    ]
    first = results[0]
    assert first.threshold == cp.find_cutpoint(y, s, sample_weight=w, metric="f1").threshold
    for other in results[1:]:
        assert np.array_equal(other.thresholds, first.thresholds, equal_nan=True)
        for table in ("in_bag", "out_of_bag", "at_threshold"):
            for name, values in getattr(first, table).items():
                assert np.array_equal(getattr(other, table)[name], values, equal_nan=True), name


def test_scan_rule_is_the_scans(tmp_path):
    y, s = _data(n=800, seed=2, decimals=2)
    pq.write_table(pa.table({"label": y.astype(np.int64), "p": -s}), tmp_path / "d.parquet")
    data = scan(tmp_path, label="label", score="p", rule="<=")
    res = cp.bootstrap(data, metric="f1", n_resamples=10, random_state=0)
    mem = cp.bootstrap(y, -s, metric="f1", rule="<=", n_resamples=10, random_state=0,
                       method="poisson")  # fmt: skip
    assert np.array_equal(res.thresholds, mem.thresholds)
    with pytest.raises(InvalidParameterError, match="rule"):
        cp.bootstrap(scan(tmp_path, label="label", score="p"), rule="<=", n_resamples=5)


def test_poisson_weights_are_poisson_one_and_independent():
    n = 200_000
    w = poisson_weights(3, 4, np.arange(n)).astype(np.float64)
    for row in w:
        # Mean and variance 1; P(0) = P(1) = 1/e, P(2) = 1/(2e): each within 5 standard
        # errors (a false alarm about once in 3 million runs; the seed is fixed anyway).
        assert abs(row.mean() - 1) < 5 * math.sqrt(1 / n)
        assert abs(row.var() - 1) < 5 * math.sqrt(3 / n)  # Var of (X - 1)^2 is 3 for Poisson(1)
        for value, p in ((0, math.exp(-1)), (1, math.exp(-1)), (2, math.exp(-1) / 2)):
            share = float((row == value).mean())
            assert abs(share - p) < 5 * math.sqrt(p * (1 - p) / n)
    # Resamples, and neighbouring rows, are uncorrelated.
    corr = np.corrcoef(w)
    assert np.all(np.abs(corr[np.triu_indices(4, 1)]) < 5 / math.sqrt(n))
    assert abs(np.corrcoef(w[0, :-1], w[0, 1:])[0, 1]) < 5 / math.sqrt(n)
    # A row's weight depends on its index and the resample only.
    rows = np.array([n - 1, 7, 123_456])
    assert np.array_equal(poisson_weights(3, 4, rows), w[:, rows].astype(np.uint8))
    assert np.array_equal(poisson_weights(3, 4, rows, resample=2), w[2, rows].astype(np.uint8))
    assert not np.array_equal(poisson_weights(4, 4, np.arange(1000)), w[:, :1000])


def test_distribution_matches_the_multinomial_bootstrap():
    # Poisson and multinomial (unstratified) bootstraps differ by O(1/n) at n=4000; what
    # separates two runs is Monte Carlo error. For each p, the share of Poisson thresholds
    # at or below the multinomial p-quantile is p up to the error of two independent
    # B-sample proportions: sd = sqrt(2 p (1 - p) / B); we allow 4 sd.
    y, s = _data(n=4000, seed=17, decimals=2)
    kwargs = {"metric": "f1", "n_resamples": 400, "random_state": 123}
    poisson = cp.bootstrap(y, s, method="poisson", **kwargs)
    multinomial = cp.bootstrap(y, s, stratified=False, **kwargs)
    assert len(poisson.thresholds) == len(multinomial.thresholds) == 400
    assert_same_threshold_quantiles(poisson.thresholds, multinomial.thresholds)
    # The metric at the chosen threshold: interval ends agree to a fraction of the width.
    a = poisson.interval("f1", kind="at_threshold")
    m = multinomial.interval("f1", kind="at_threshold")
    width = m[1] - m[0]
    assert abs(a[0] - m[0]) < 0.25 * width and abs(a[1] - m[1]) < 0.25 * width


def test_result_reads_like_the_in_memory_one():
    y, s = _data(n=1500, seed=4, decimals=2)
    res = cp.bootstrap(y, s, metric="f1", n_resamples=40, random_state=2, method="poisson")
    assert res.stratified is False and res.method == "poisson" and res.n_rows == 1500
    summary = res.summary(bca=True)
    assert set(summary["estimate"]) >= {"threshold", "in_bag", "out_of_bag", "at_threshold"}
    assert "Bootstrap of the f1 cutpoint: 40 Poisson resamples, 95%" in str(res)
    # The jackknife (for BCa) is computed from the data: the same groups as in memory.
    multinomial = cp.bootstrap(y, s, metric="f1", n_resamples=5, random_state=2)
    metric = get_metric("precision")
    v1, m1 = res._jackknife(metric)
    v2, m2 = multinomial._jackknife(metric)
    assert np.allclose(np.sort(v1), np.sort(v2)) and m1.sum() == m2.sum() == 1500
    # Bands on the default grid (cell edges): exact counts in every resample.
    bands = res.bands(metrics=["flagged"], percentiles=(0, 100))
    flagged = bands["threshold"].to_numpy()
    k = np.stack([res.resample_weights(i) for i in range(res.n_resamples)])
    exact = np.array([[(k[i] * (s >= t)).sum() for t in flagged] for i in range(40)])
    assert np.array_equal(bands["p0"].to_numpy(), exact.min(axis=0))
    assert np.array_equal(bands["p100"].to_numpy(), exact.max(axis=0))
    assert res.plateau().shape[0] >= 1


def test_failures_are_counted_like_in_memory():
    y, s = _data(n=300, seed=6)
    with pytest.warns(BootstrapWarning, match="resamples had no feasible threshold"):
        res = cp.bootstrap(
            y, s, metric="f1", constraints=["recall >= 0.6", "precision >= 0.59"],
            n_resamples=40, random_state=0, method="poisson",
        )  # fmt: skip
    assert 0 < res.n_infeasible < 40
    assert set(res.status) == {"ok", "infeasible"}
    assert np.isnan(res.thresholds[res.status != "ok"]).all()
    assert not np.isnan(res.thresholds[res.status == "ok"]).any()
    # Flag everything, and at least 300 rows: the full data (300 rows) can; a resample
    # can when its total weight, Poisson(300), is at least 300 (about half of them;
    # seed 24 draws five that all fall short).
    with pytest.raises(InfeasibleConstraintError, match="no threshold in any of the 5"):
        cp.bootstrap(y, s, metric="f1", constraints=["flagged >= 300", "flag_rate >= 1"],
                     n_resamples=5, random_state=24, method="poisson")  # fmt: skip


def test_options_it_does_not_have_are_refused():
    y, s = _data(n=200)
    base = {"n_resamples": 5, "random_state": 0, "method": "poisson"}
    with pytest.raises(InvalidParameterError, match="'stratified'=True"):
        cp.bootstrap(y, s, stratified=True, **base)
    with pytest.raises(InvalidParameterError, match="'select'='lower_bound'"):
        cp.bootstrap(y, s, select="lower_bound", **base)
    with pytest.raises(InvalidParameterError, match="'method'"):
        cp.bootstrap(y, s, method="bayesian")
    with pytest.raises(InvalidInputError, match=r"'y_score' is required \(got None\)"):
        cp.bootstrap(y, n_resamples=5)
    res = cp.bootstrap(y, s, **base)
    with pytest.raises(InvalidParameterError, match="resample_weights"):
        res.resample_indices(0)
    with pytest.raises(InvalidParameterError, match="custom 'grid'"):
        res.bands(grid=[0.1, 0.2])
    with pytest.raises(InvalidParameterError, match="'i' must be a resample number"):
        res.resample_weights(5)


@pytest.mark.slow
def test_dask_partitions_on_a_local_cluster_give_the_same_resamples(dask_client):
    # The passes' tasks travel to a worker process (pickled); partitions carry their
    # global row offsets, so the resamples are those of the same rows in memory. The
    # session's LocalCluster (tests/conftest.py): a second one would race for ports.
    pd = pytest.importorskip("pandas")
    dd = pytest.importorskip("dask.dataframe")
    y, s = _data(n=5000, seed=12, decimals=3)
    frame = dd.from_pandas(pd.DataFrame({"y": y.astype(int), "p": s}), npartitions=3)
    kwargs = {"metric": "f1", "n_resamples": 15, "random_state": 4}
    res = cp.bootstrap(cp.scan(frame, label="y", score="p"), **kwargs)
    mem = cp.bootstrap(y, s, method="poisson", **kwargs)
    assert np.array_equal(res.thresholds, mem.thresholds)
    assert np.array_equal(res.out_of_bag["f1"], mem.out_of_bag["f1"], equal_nan=True)


def test_scan_options(tmp_path):
    y, s = _data(n=3000, seed=9, decimals=3)
    pq.write_table(pa.table({"label": y.astype(np.int64), "p": s}), tmp_path / "d.parquet")
    seen = []
    data = cp.scan(tmp_path, label="label", score="p", batch_size=700,
                   progress=lambda name, done, total: seen.append((name, done, total)))  # fmt: skip
    one = cp.bootstrap(data, n_resamples=8, random_state=1, n_jobs=1)
    # The scan's progress hook sees the bootstrap's passes, each reading every row.
    for name in ("bootstrap: sample", "bootstrap: count", "bootstrap: refine"):
        assert (name, 3000, 3000) in seen
    assert data.source().threads is None  # n_jobs applies to that call only
    two = cp.bootstrap(data, n_resamples=8, random_state=1, n_jobs=2)
    assert np.array_equal(one.thresholds, two.thresholds)
    assert one.n_rows == 3000 and np.array_equal(one.resample_weights(3, [0, 2999]),
                                                 poisson_weights(1, 8, [0, 2999], resample=3))  # fmt: skip
    with pytest.raises(InvalidParameterError, match="'method'='multinomial'"):
        cp.bootstrap(data, method="multinomial")
    with pytest.raises(InvalidParameterError, match="'sample_weight' must be None"):
        cp.bootstrap(data, sample_weight=np.ones(3000))


@pytest.mark.parametrize("weights", [None, "integer", "float"])
def test_compiled_counting_loop_gives_the_numpy_tables(weights):
    # The numpy loop is the oracle: same draws, same sums in the same order (float
    # weights: bit for bit), same rows drawn per cell when weights hold zeros.
    pytest.importorskip("numba")
    from cutpoints.uncertainty import _streaming as streaming

    rng = np.random.default_rng(3)
    n = 150_000  # three chunks of the counting pass, the last one partial
    y, s = rng.random(n) < 0.2, rng.normal(size=n)
    w = {None: None, "integer": rng.integers(0, 4, n), "float": rng.random(n) * 3}[weights]
    source = ArrayBatches(s, y, w, batch_rows=100_000)
    summary = source.summary()
    plan = streaming._Plan(
        streaming._layout(source, summary, 256),
        streaming.resample_keys(np.random.SeedSequence(8), 6),
        np.float64 if weights == "float" else np.int64,
        summary.zero_weights,
    )
    numpy_tables = streaming._count_pass(source, plan, n, compiled=False)
    compiled_tables = streaming._count_pass(source, plan, n, compiled=True)
    assert (compiled_tables.present is None) == (weights != "integer")
    for name in ("full", "rows", "drawn", "inbag", "present"):
        a, b = getattr(numpy_tables, name), getattr(compiled_tables, name)
        assert (a is None and b is None) or np.array_equal(a, b), name
    assert numpy_tables.drawn.sum() > 0
