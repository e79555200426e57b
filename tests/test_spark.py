"""Spark DataFrames: counted with Spark SQL aggregations, the in-memory answer to the count.

One local[2] SparkSession for the whole session (the ``spark`` fixture; it skips without
Spark, or fails under CUTPOINTS_REQUIRE_SPARK=1). Spark answers each query in about a
second, so the cases are few and each covers several things at once.
"""

from __future__ import annotations

import numpy as np
import pytest

import cutpoints as cp
from cutpoints.engines import HistogramEngine
from cutpoints.engines._histogram import Level, bin_layout, histogram
from cutpoints.errors import InvalidInputError, InvalidLabelsError, InvalidParameterError

pd = pytest.importorskip("pandas")

# Each Spark query takes a second or more (the session's start, 10-60 s, is shared).
pytestmark = pytest.mark.slow


def assert_same_cut(a, b):
    """Same threshold, counts, objective and tied optima."""
    assert a.threshold == b.threshold
    assert (a.tp, a.fp, a.tn, a.fn) == (b.tp, b.fp, b.tn, b.fn)
    np.testing.assert_array_equal(a.optimal_thresholds, b.optimal_thresholds)
    assert a.score == b.score


def problem(seed: int, n: int = 4000):
    """Labels, tied scores (negative, both zeros, huge), integer weights with zeros."""
    rng = np.random.default_rng(seed)
    score = np.round(rng.normal(size=n), 2)
    score[:4] = [-0.0, 0.0, 1e300, -1e300]  # a key range wider than 2**63
    y = (rng.random(n) < 1 / (1 + np.exp(-2 * score.clip(-30, 30)))).astype(np.int64)
    return y, score, rng.integers(0, 4, n)


def test_f1_ties_and_rule_match_in_memory(spark):
    y, score, w = problem(1)
    df = spark.createDataFrame(pd.DataFrame({"y": y, "p": score, "w": w}))
    got = cp.find_cutpoint(cp.scan(df, label="y", score="p", weight="w"), metric="f1")
    assert_same_cut(got, cp.find_cutpoint(y, score, sample_weight=w, metric="f1"))
    assert got.columns == {"label": "y", "score": "p", "weight": "w"}
    got = cp.find_cutpoint(cp.scan(df, label="y", score="p", rule="<="), metric="f1")
    assert_same_cut(got, cp.find_cutpoint(y, score, metric="f1", rule="<="))


def test_deep_refinement_constraints_strings_and_float32(spark):
    from pyspark.sql import functions as F

    rng = np.random.default_rng(2)
    n = 3000
    score = np.round(rng.random(n), 3).astype(np.float32)
    labels = np.where(rng.random(n) < score, "fraud", "ok")
    w = rng.integers(1, 64, n) / 8.0  # dyadic weights: sums exact in any order
    df = spark.createDataFrame(pd.DataFrame({"label": labels, "s": score, "w": w}))
    df = df.withColumn("s", F.col("s").cast("float"))
    # 256 bins and 64 rows to sort: several counting passes (deeper levels) on small data.
    deep = HistogramEngine(bits=8, sort_rows=64)
    data = cp.scan(df, label="label", score="s", weight="w", pos_label="fraud")
    got = cp.find_cutpoint(data, metric="recall", constraints="precision >= 0.7", engine=deep)
    want = cp.find_cutpoint(
        labels, score, sample_weight=w, pos_label="fraud", metric="recall",
        constraints="precision >= 0.7",
    )  # fmt: skip
    assert_same_cut(got, want)
    assert got.curve.n_levels > 1


@pytest.mark.parametrize("wide", [True, False])
def test_counting_pass_is_the_in_memory_histogram(spark, wide):
    from cutpoints._scan import value_table
    from cutpoints.engines._cluster import source_for

    y, score, w = problem(3)
    if not wide:  # keys less than 2**63 apart: the cell is a plain difference
        score = np.abs(score)
        score[2:4] = [5.0, 0.5]
    cost = np.arange(len(y)) % 7 - 3.0
    df = spark.createDataFrame(pd.DataFrame({"y": y, "p": score, "w": w, "cost": cost}))
    # Values: the sums of each value column and of the flag gains' parts, per cell.
    spec = {"fp": (-1.0, "cost"), "tp": (1.0, "cost"), "fn": 2.0} if wide else {"tn": (1.0, "cost")}
    source = source_for(df, label="y", score="p", weight="w", values=spec)
    summary = source.summary()
    assert (summary.n_rows, summary.low, summary.high) == (len(y), score.min(), score.max())
    assert (summary.n_positive, summary.n_negative) == (w[y == 1].sum(), w[y == 0].sum())
    assert summary.integer_weights and summary.zero_weights
    layout = bin_layout(summary.low, summary.high, 16)
    levels = [Level(layout.shift, 0, None, np.arange(layout.n_bins, dtype=np.uint64))]
    got = source.histogram(layout, levels)
    extra = value_table(spec, {"cost": cost}, y == 1, w)
    want = histogram(score, y == 1, w, layout, levels, extra=extra)
    for field in ("positive", "negative", "rows", "extra"):
        np.testing.assert_array_equal(getattr(got, field), getattr(want, field))
    with pytest.raises(InvalidInputError, match="no Python on the executors"):
        source.map_reduce(len, max)


def test_keys_from_double_arithmetic_are_the_float_bits(spark):
    """The SQL key of every kind of double (zeros, subnormals, powers of two and their
    neighbours, huge, negative) equals the one numpy reads from the bits."""
    from cutpoints.engines._cluster import source_for
    from cutpoints.engines._histogram import _keys_of

    tiny, big = 5e-324, np.finfo(np.float64).max
    special = [0.0, -0.0, tiny, -tiny, 2.0**-1022, np.nextafter(2.0**-1022, 0), 1e-300]
    special += [0.1, 0.5, 1.0, np.nextafter(1.0, 0), np.nextafter(1.0, 2), 2.0, 3.0, 1e300, big]
    powers = 2.0 ** np.arange(-1074, 1024, 7)
    rng = np.random.default_rng(4)
    wide = rng.standard_normal(500) * 10.0 ** rng.integers(-300, 300, 500)
    values = np.concatenate([special, powers, np.nextafter(powers, 0), wide])
    values = np.concatenate([values, -values])
    df = spark.createDataFrame(
        [(float(v), i % 2) for i, v in enumerate(values)], "p double, y long"
    )
    source = source_for(df, label="y", score="p")
    keyed, key = source._keyed(df)
    got = [r["k"] for r in keyed.select(key.alias("k")).collect()]
    want = (_keys_of(values) ^ np.uint64(1 << 63)).view(np.int64)
    np.testing.assert_array_equal(np.array(got, dtype=np.int64), want)


@pytest.mark.parametrize("window", [(0, -63), (1023, 960), (-1000, -1063), (-1030, -1040), (3, 3)])
def test_key_chain_is_exact_for_every_double(spark, window):
    """The key from a chain of binade comparisons (pass 0's range) equals the bits for
    every double, inside the chain's binades or not (zeros, subnormals, rows outside
    the range: the exact slow expression)."""
    from cutpoints.engines._cluster import source_for
    from cutpoints.engines._histogram import _keys_of

    powers = 2.0 ** np.arange(-1074.0, 1024.0)
    rng = np.random.default_rng(6)
    wide = rng.standard_normal(400) * 10.0 ** rng.integers(-300, 300, 400)
    near = [np.nextafter(powers, 0), np.nextafter(powers, np.inf)]
    values = np.concatenate([[0.0, -0.0, 5e-324, np.finfo(np.float64).max], powers, *near, wide])
    values = np.concatenate([values, -values])
    df = spark.createDataFrame(pd.DataFrame({"p": values, "y": np.arange(len(values)) % 2}))
    source = source_for(df, label="y", score="p")
    keyed, key = source._keyed(df, window)
    got = np.array([r["k"] for r in keyed.select(key.alias("k")).collect()], dtype=np.int64)
    np.testing.assert_array_equal(got, (_keys_of(values) ^ np.uint64(1 << 63)).view(np.int64))


def parquet_frame(spark, path, y, score):
    """A Spark DataFrame read from a Parquet file (pyarrow writes its statistics)."""
    pd.DataFrame({"y": y, "p": score}).to_parquet(path)
    return spark.read.parquet(str(path))


@pytest.mark.parametrize("rule", [">=", "<="])
def test_parquet_statistics_fold_pass_0_into_the_counting_pass(spark, tmp_path, rule):
    """A plain Parquet read: the summary comes from the footers (no pass 0), the first
    counting pass confirms it (exact range, class totals); same answer as in memory."""
    rng = np.random.default_rng(7)
    n = 4000
    score = np.round(rng.random(n), 3).astype(np.float32).astype(np.float64)
    score[:2] = [0.0, 1.0]
    y = (rng.random(n) < score**2).astype(np.int64)
    df = parquet_frame(spark, tmp_path / "scores.parquet", y, score)
    data = cp.scan(df, label="y", score="p", rule=rule)
    provisional = data.cluster.summary()
    assert provisional.n_positive is None  # not counted: the statistics' summary
    assert (provisional.n_rows, provisional.low, provisional.high) == (
        (n, 0.0, 1.0) if rule == ">=" else (n, -1.0, 0.0)
    )
    got = cp.find_cutpoint(data, metric="f1")
    assert_same_cut(got, cp.find_cutpoint(y, score, metric="f1", rule=rule))
    confirmed = data.cluster.summary()  # completed by the first counting pass
    assert (confirmed.n_positive, confirmed.n_negative) == (y.sum(), n - y.sum())
    # A filtered DataFrame is not a plain read: pass 0 runs as before.
    where = cp.scan(df.where("p > 0.5"), label="y", score="p", rule=rule)
    assert where.cluster.summary().n_positive == y[score > 0.5].sum()


@pytest.mark.parametrize("wrong", ["narrower", "wider"])
def test_wrong_statistics_fall_back_to_the_exact_answer(spark, tmp_path, wrong):
    """Statistics that do not hold (a range narrower than the rows: pass 0 runs after
    all; wider: the driver counts again on the exact range) give the same answer."""
    from dataclasses import replace

    rng = np.random.default_rng(8)
    n = 3000
    score = np.round(rng.normal(size=n), 2)
    y = (rng.random(n) < 1 / (1 + np.exp(-2 * score))).astype(np.int64)
    df = parquet_frame(spark, tmp_path / "scores.parquet", y, score)
    data = cp.scan(df, label="y", score="p")
    provisional = data.cluster.summary()
    step = 0.5 if wrong == "narrower" else -0.5
    data.cluster._summary = replace(provisional, low=provisional.low + step)
    got = cp.find_cutpoint(data, metric="f1")
    assert_same_cut(got, cp.find_cutpoint(y, score, metric="f1"))
    assert data.cluster.summary().low == score.min()
    # A NaN score (left out of the statistics): the first counting pass finds it, and
    # pass 0 names it.
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    score[5] = np.nan
    pq.write_table(pa.table({"y": y, "p": score}), tmp_path / "nan.parquet")
    bad = cp.scan(spark.read.parquet(str(tmp_path / "nan.parquet")), label="y", score="p")
    assert bad.cluster.summary().n_positive is None  # the statistics' summary
    with pytest.raises(InvalidInputError, match=r"'p' must be finite \(1 NaN"):
        cp.find_cutpoint(bad, metric="f1")


def test_bad_input_names_the_column(spark):
    rows = [(0, 0.1, "a"), (1, float("nan"), "b"), (1, None, "c"), (1, 0.3, "d"), (2, 0.2, "e")]
    df = spark.createDataFrame(rows, "y long, risk double, name string")
    with pytest.raises(InvalidParameterError, match="'target'"):
        cp.scan(df, label="target", score="risk")
    # Value columns: named by outcome key, checked at once (names, types), in pass 0 (rows).
    with pytest.raises(InvalidParameterError, match=r"'values' has an unknown outcome 'fnn'"):
        cp.scan(df, label="y", score="risk", values={"fnn": "risk"})
    with pytest.raises(InvalidInputError, match=r"'values\[.fn.\]' must name a column .*'cost'"):
        cp.scan(df, label="y", score="risk", values={"tp": "risk", "fn": "-cost"})
    with pytest.raises(InvalidInputError, match=r"'name' must be a numeric value column \(got str"):
        cp.scan(df, label="y", score="risk", values={"tp": "name"})
    valued = cp.scan(df.where("y < 2"), label="y", score="y", values={"tp": "risk", "fn": "-risk"})
    with pytest.raises(InvalidInputError, match=r"'risk' must be finite and not missing \(got 2 "):
        cp.find_cutpoint(valued, metric="value")
    with pytest.raises(InvalidInputError, match="'name' must be a numeric column"):
        cp.scan(df, label="y", score="name")
    with pytest.raises(InvalidInputError, match=r"'risk' must be finite \(1 NaN and 1 missing"):
        cp.find_cutpoint(cp.scan(df, label="y", score="risk"), metric="f1")
    ok = df.where("risk IS NOT NULL AND NOT isnan(risk)")  # the rows with a score
    with pytest.raises(InvalidLabelsError, match="'y' must have two classes"):
        cp.find_cutpoint(cp.scan(ok, label="y", score="risk"), metric="f1")


def money(seed: int, rule: str, n: int = 3000):
    """Scores with ties, labels (positives at the flagged end for ``rule``), integer
    amounts and dyadic weights (some zero)."""
    rng = np.random.default_rng(seed)
    score = np.round(rng.random(n), 3)
    y = (rng.random(n) < (score if rule == ">=" else 1 - score) ** 3).astype(np.int64)
    return y, score, rng.integers(1, 500, n), (np.arange(n) % 4) / 2.0


@pytest.mark.parametrize("weighted", [False, True])
def test_values_give_the_sort_engine_answer(spark, weighted):
    """Value sums ride in the counting and refining aggregations: integer amounts (and
    dyadic weights) give the sort engine's threshold, counts, value split and ties; cents
    give its threshold and the value to the last bits."""
    rule = "<=" if weighted else ">="
    y, score, amount, w = money(5, rule)
    weight = w if weighted else None
    frame = pd.DataFrame({"y": y, "s": score, "amount": amount, "cents": amount / 100, "w": w})
    df = spark.createDataFrame(frame)
    columns = {"label": "y", "score": "s", "weight": "w" if weighted else None, "rule": rule}
    # Few bins and rows to sort when weighted: the value gains bound deeper levels too.
    engine = HistogramEngine(bits=6, sort_rows=50) if weighted else "auto"
    kwargs = {"metric": "value", "constraints": ["flagged <= 400", "precision >= 0.2"]}
    values = {"tp": amount * 1.0, "fp": -5, "fn": -amount * 1.0, "tn": 1}
    want = cp.find_cutpoint(
        y, score, sample_weight=weight, values=values, rule=rule, engine="sort", **kwargs
    )
    data = cp.scan(df, **columns, values={"tp": "amount", "fp": -5, "fn": "-amount", "tn": 1})
    got = cp.find_cutpoint(data, engine=engine, **kwargs)
    assert_same_cut(got, want)
    assert got.value_by_outcome == want.value_by_outcome
    assert got.columns["value.fn"] == "-amount"
    if weighted:
        assert got.curve.n_levels > 1
    else:  # the values at chosen thresholds of a binned curve
        curve = cp.confusion_curve(data, at=[0.3, 0.5])
        full = cp.confusion_curve(y, score, values=values, rule=rule)
        rows = full.rows_at(curve.thresholds)
        np.testing.assert_array_equal(curve.metric("value"), full.metric("value")[rows])
    cents = {"tp": amount / 100, "fp": -0.25, "fn": -amount / 100}
    want = cp.find_cutpoint(y, score, sample_weight=weight, values=cents, rule=rule, **kwargs)
    data = cp.scan(df, **columns, values={"tp": "cents", "fp": -0.25, "fn": "-cents"})
    got = cp.find_cutpoint(data, engine=engine, **kwargs)
    assert got.threshold == want.threshold
    assert (got.tp, got.fp) == (want.tp, want.fp)
    assert got.score == pytest.approx(want.score, rel=1e-12, abs=1e-9)
    for key, value in want.value_by_outcome.items():
        assert got.value_by_outcome[key] == pytest.approx(value, rel=1e-12, abs=1e-9)
