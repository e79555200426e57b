"""Dask inputs: the cluster source gives the in-memory answer, to the count.

One real LocalCluster (2 worker processes, the session fixture ``dask_client``) runs most
tests; a few run on Dask's local scheduler instead. The oracle is the in-memory engine on
the same rows (``find_cutpoint`` on numpy arrays, the sort engine's full curve).
"""

from __future__ import annotations

import numpy as np
import pytest

import cutpoints as cp
from cutpoints.engines import HistogramEngine
from cutpoints.engines._histogram import Level, _rows_in_cells, bin_layout, histogram
from cutpoints.errors import InvalidInputError, InvalidLabelsError, InvalidParameterError

dd = pytest.importorskip("dask.dataframe")
da = pytest.importorskip("dask.array")
pd = pytest.importorskip("pandas")
dask = pytest.importorskip("dask")

pytestmark = [
    pytest.mark.cluster,
    # Dask may warn about closing workers or leaked resources on shutdown: not our code.
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore:.*(Port|port|closed|clos|leak).*:UserWarning"),
    pytest.mark.filterwarnings("ignore::DeprecationWarning:distributed"),
]

# Small cells (64 bins, refine above 64 rows): several counting passes on small data,
# so the deeper levels and their cell ids are exercised too.
DEEP = HistogramEngine(bits=6, sort_rows=64)


def problem(seed: int, n: int = 3000, *, weights: str | None = None):
    """Labels, heavily tied scores (negative, both zeros, large), and weights."""
    rng = np.random.default_rng(seed)
    score = np.round(rng.normal(size=n), 2)
    score[:5] = [-0.0, 0.0, 1e300, -1e300, 0.0]
    y = (rng.random(n) < 1 / (1 + np.exp(-2 * score.clip(-30, 30)))).astype(np.int64)
    if weights == "int":
        w = rng.integers(0, 4, n)  # zeros included: their scores are still thresholds
    elif weights == "float":
        w = rng.integers(0, 64, n) / 16.0  # dyadic: sums are exact in any order
    else:
        w = None
    return y, score, w


def frame(y, score, w, npartitions: int = 5):
    data = {"y": y, "p": score}
    if w is not None:
        data["w"] = w
    return dd.from_pandas(pd.DataFrame(data), npartitions=npartitions)


def assert_same_cut(a, b):
    """Same threshold, counts, objective and tied optima."""
    assert a.threshold == b.threshold
    assert (a.tp, a.fp, a.tn, a.fn) == (b.tp, b.fp, b.tn, b.fn)
    np.testing.assert_array_equal(a.optimal_thresholds, b.optimal_thresholds)
    assert a.score == b.score or (np.isnan(a.score) and np.isnan(b.score))


CASES = [
    # (metric, constraints, rule, weights, engine)
    ("f1", (), ">=", None, "auto"),
    ("f1", (), "<=", "int", "auto"),
    ("youden", ("recall >= 0.8",), ">=", "float", "auto"),
    ("precision", ("flagged <= 400",), ">=", None, DEEP),
    ("balanced_accuracy", (), "<=", "int", DEEP),
]


@pytest.mark.parametrize(("metric", "constraints", "rule", "weights", "engine"), CASES)
def test_scan_of_a_dask_frame_matches_in_memory(
    dask_client, metric, constraints, rule, weights, engine
):
    y, score, w = problem(1, weights=weights)
    data = cp.scan(
        frame(y, score, w), label="y", score="p", weight=None if w is None else "w", rule=rule
    )
    got = cp.find_cutpoint(data, metric=metric, constraints=constraints, engine=engine)
    want = cp.find_cutpoint(
        y, score, metric=metric, constraints=constraints, rule=rule, sample_weight=w,
        engine="sort",
    )  # fmt: skip
    assert_same_cut(got, want)
    assert got.columns["score"] == "p"


def test_dask_arrays_with_other_chunks_and_pos_label(dask_client):
    rng = np.random.default_rng(2)
    n = 2500
    score = rng.random(n).astype(np.float32)  # float32 is read as given
    labels = np.where(rng.random(n) < score, "fraud", "ok")
    w = rng.integers(0, 3, n)
    got = cp.find_cutpoint(
        da.from_array(labels, chunks=700),
        da.from_array(score, chunks=1000),
        sample_weight=da.from_array(w, chunks=300),
        pos_label="fraud",
        metric="f1",
        ties="lowest",
    )
    want = cp.find_cutpoint(labels, score, sample_weight=w, pos_label="fraud", metric="f1")
    assert_same_cut(got, want)
    assert got.threshold in score


def test_local_scheduler_without_a_client():
    y, score, w = problem(3, weights="float")
    with dask.config.set(scheduler="sync"):
        got = cp.find_cutpoint(
            cp.scan(frame(y, score, w), label="y", score="p", weight="w"),
            metric="f1",
            engine=DEEP,
        )
    assert_same_cut(got, cp.find_cutpoint(y, score, sample_weight=w, metric="f1"))


@pytest.mark.parametrize("weights", ["int", "float"])
def test_tree_sum_of_partitions_is_the_in_memory_histogram(dask_client, weights):
    from cutpoints.engines._cluster import source_for

    y, score, w = problem(4, n=5000, weights=weights)
    source = source_for(
        frame(y, score, w, npartitions=11),
        label="y",
        score="p",
        weight=(w is not None and "w") or None,
    )
    summary = source.summary()
    assert summary.n_rows == len(y)
    assert (summary.low, summary.high) == (score.min(), score.max())
    assert summary.zero_weights == (w is not None and bool((w == 0).any()))
    layout = bin_layout(summary.low, summary.high, 8)
    levels = [Level(layout.shift, 0, None, np.arange(layout.n_bins, dtype=np.uint64))]
    got = source.histogram(layout, levels)
    want = histogram(score, y == 1, w, layout, levels)
    for field in ("positive", "negative", "rows"):
        np.testing.assert_array_equal(getattr(got, field), getattr(want, field))
    weight_sum = len(y) if w is None else w.sum()
    assert got.positive.sum() + got.negative.sum() == weight_sum


@pytest.mark.parametrize("compiled", [False, pytest.param(True, marks=pytest.mark.slow)])
def test_persisted_chunks_run_one_task_per_worker(dask_client, monkeypatch, compiled):
    from cutpoints.engines import _dask as dask_engine
    from cutpoints.engines import _histogram
    from cutpoints.engines._cluster import source_from_arrays

    # The workers count with numba's kernel (True) or numpy (False) whatever the size.
    monkeypatch.setattr(_histogram, "USE_COMPILED", compiled)
    monkeypatch.setattr(dask_engine, "COMPILED_FROM_ROWS", 0)
    y, score, w = problem(10, n=6000, weights="int")
    arrays = dask_client.persist([da.from_array(a, chunks=500) for a in (y, score, w)])
    pytest.importorskip("distributed").wait(arrays)  # held in memory: grouped by worker
    source = source_from_arrays(*arrays)
    groups = source._groups()
    assert sorted(i for group in groups for i in group) == list(range(12))
    assert len(groups) <= 2  # one per worker that holds chunks
    summary = source.summary()
    assert (summary.n_rows, summary.n_positive) == (len(y), int(w[y == 1].sum()))
    assert (summary.low, summary.high) == (score.min(), score.max())
    layout = bin_layout(summary.low, summary.high, 8)
    levels = [Level(layout.shift, 0, None, np.arange(layout.n_bins, dtype=np.uint64))]
    got, want = source.histogram(layout, levels), histogram(score, y == 1, w, layout, levels)
    for field in ("positive", "negative", "rows"):
        np.testing.assert_array_equal(getattr(got, field), getattr(want, field))
    chosen = [np.arange(layout.n_bins) % 3 == 0]
    rows = source.rows_in(layout, levels, chosen, None)  # in row order, as in memory
    for a, b in zip(rows, _rows_in_cells(score, y == 1, w, layout, levels, chosen, None)):
        np.testing.assert_array_equal(a, b)
    cut = cp.find_cutpoint(*arrays[:2], sample_weight=arrays[2], metric="f1")
    assert_same_cut(cut, cp.find_cutpoint(y, score, sample_weight=w, metric="f1"))


@pytest.mark.slow
def test_a_persisted_frame_runs_one_task_per_worker(dask_client):
    y, score, w = problem(11, n=4000, weights="int")
    data = dask_client.persist(frame(y, score, w, npartitions=8))
    pytest.importorskip("distributed").wait(data)
    scan = cp.scan(data, label="y", score="p", weight="w")
    groups = scan.source()._groups()
    assert sorted(i for group in groups for i in group) == list(range(8))
    assert len(groups) <= 2
    assert_same_cut(
        cp.find_cutpoint(scan, metric="f1", engine=DEEP),
        cp.find_cutpoint(y, score, sample_weight=w, metric="f1"),
    )


def test_confusion_curve_of_a_dask_frame_has_exact_rows(dask_client):
    y, score, w = problem(5, weights="int")
    curve = cp.confusion_curve(cp.scan(frame(y, score, w), label="y", score="p", weight="w"))
    full = cp.confusion_curve(y, score, sample_weight=w)
    rows = full.rows_at(curve.thresholds[1:])
    np.testing.assert_array_equal(curve.tp[1:], full.tp[rows])
    np.testing.assert_array_equal(curve.fp[1:], full.fp[rows])
    assert (curve.n_positive, curve.n_negative) == (full.n_positive, full.n_negative)


def test_map_reduce_sees_every_partition_in_order_with_global_offsets(dask_client):
    from cutpoints.engines._cluster import source_for

    y, score, _ = problem(6, n=1000)
    source = source_for(frame(y, score, None, npartitions=4), label="y", score="p")
    parts = source.map_reduce(_describe, _concat)
    starts = [start for start, _, _ in parts]
    sizes = [size for _, size, _ in parts]
    assert starts == list(np.cumsum([0, *sizes[:-1]]))
    assert sum(sizes) == len(y)
    assert sum(pos for _, _, pos in parts) == int(y.sum())


def _describe(batch):
    return [(batch.start, len(batch), int(batch.is_positive.sum()))]


def _concat(a, b):
    return a + b


def test_bootstrap_of_a_dask_frame_matches_the_same_rows_in_a_file(dask_client, tmp_path):
    y, score, _ = problem(7, n=2000)
    path = tmp_path / "scores.parquet"
    pd.DataFrame({"y": y, "p": score}).to_parquet(path, row_group_size=2000)
    kwargs = {"metric": "f1", "n_resamples": 20, "random_state": 11}
    on_dask = cp.bootstrap(cp.scan(frame(y, score, None, 1), label="y", score="p"), **kwargs)
    on_file = cp.bootstrap(cp.scan(str(path), label="y", score="p"), **kwargs)
    np.testing.assert_array_equal(on_dask.thresholds, on_file.thresholds)
    assert on_dask.cutpoint.threshold == cp.find_cutpoint(y, score, metric="f1").threshold


@pytest.mark.parametrize(
    ("columns", "error", "message"),
    [
        ({"label": "target", "score": "p"}, InvalidParameterError, "'target'"),
        ({"label": "y", "score": "p", "weight": "wt"}, InvalidParameterError, "'wt'"),
        ({"label": "y", "score": "name"}, InvalidInputError, "'name' must be a numeric column"),
        ({"label": "p", "score": "q"}, InvalidLabelsError, "'p' must have two classes"),
    ],
)
def test_bad_columns_are_named(columns, error, message):
    data = pd.DataFrame(
        {"y": [0, 1, 1, 0], "p": [0.1, 0.9, 0.4, 0.3], "q": [1.0, 2, 3, 4], "name": list("abcd")}
    )
    with pytest.raises(error, match=message), dask.config.set(scheduler="sync"):
        cp.find_cutpoint(cp.scan(dd.from_pandas(data, npartitions=2), **columns), metric="f1")


def test_nan_scores_are_counted_and_the_column_named():
    data = pd.DataFrame({"y": [0, 1, 1, 0, 1], "risk": [0.1, np.nan, 0.4, np.inf, np.nan]})
    scan = cp.scan(dd.from_pandas(data, npartitions=2), label="y", score="risk")
    with (
        pytest.raises(InvalidInputError, match=r"'risk' must be finite \(2 NaN and 1 inf"),
        dask.config.set(scheduler="sync"),
    ):
        cp.find_cutpoint(scan)


def test_bad_weights_are_named():
    data = pd.DataFrame({"y": [0, 1, 1, 0], "p": [0.1, 0.9, 0.4, 0.3], "w": [1, -2, 1, 0]})
    scan = cp.scan(dd.from_pandas(data, npartitions=2), label="y", score="p", weight="w")
    with (
        pytest.raises(InvalidInputError, match="'w' must be non-negative"),
        dask.config.set(scheduler="sync"),
    ):
        cp.find_cutpoint(scan)


def test_confusion_curve_and_bootstrap_of_dask_arrays(dask_client, tmp_path):
    # Dask arrays go through the cluster source (as find_cutpoint does), not np.asarray.
    y, score, w = problem(8, n=3000, weights="int")
    labels, scores, weights = (da.from_array(a, chunks=800) for a in (y, score, w))
    curve = cp.confusion_curve(labels, scores, sample_weight=weights, at=[0.5])
    full = cp.confusion_curve(y, score, sample_weight=w)
    rows = full.rows_at(curve.thresholds[1:])
    np.testing.assert_array_equal(curve.tp[1:], full.tp[rows])
    np.testing.assert_array_equal(curve.fp[1:], full.fp[rows])
    path = tmp_path / "scores.parquet"
    pd.DataFrame({"y": y, "p": score, "w": w}).to_parquet(path, row_group_size=1000)
    kwargs = {"metric": "f1", "n_resamples": 15, "random_state": 5}
    on_dask = cp.bootstrap(labels, scores, sample_weight=weights, **kwargs)
    on_file = cp.bootstrap(cp.scan(str(path), label="y", score="p", weight="w"), **kwargs)
    np.testing.assert_array_equal(on_dask.thresholds, on_file.thresholds)
    with pytest.raises(InvalidParameterError, match="'multinomial'"):
        cp.bootstrap(labels, scores, method="multinomial", n_resamples=5)


# ---------------------------------------------------------------------- per-row values
def money(seed: int, n: int = 3000):
    """Labels, tied scores and heavy-tailed integer amounts (sums exact in any order)."""
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.15).astype(np.int64)
    score = np.round(np.clip(rng.normal(0.3 + 0.3 * y, 0.15), 0, 1), 3)
    amount = np.round(rng.pareto(1.5, n) * 40) + 1
    return y, score, amount


def without_fingerprint(cut):
    data = cut.to_dict()
    data["data"] = {k: v for k, v in data["data"].items() if k != "fingerprint"}
    data.pop("columns", None)
    return data


@pytest.mark.parametrize(
    ("rule", "weights", "constraints", "engine"),
    [
        (">=", None, ["flagged <= 400", "precision >= 0.2"], "auto"),
        pytest.param(
            "<=",
            "dyadic",
            ["flagged <= 2000"],
            HistogramEngine(bits=7, sort_rows=300),
            marks=pytest.mark.slow,
        ),
    ],
)
def test_dask_arrays_with_values_match_the_sort_engine(
    dask_client, rule, weights, constraints, engine
):
    y, score, amount = money(9)
    w = None if weights is None else (np.arange(len(y)) % 4) / 2.0  # zeros included
    kwargs = {"metric": "value", "constraints": constraints, "ties": "lowest", "rule": rule}
    in_memory = {"tp": amount, "fp": -5, "fn": -amount, "tn": 1}
    want = cp.find_cutpoint(y, score, sample_weight=w, values=in_memory, engine="sort", **kwargs)
    labels, scores = da.from_array(y, chunks=700), da.from_array(score, chunks=1000)
    weights_dask = None if w is None else da.from_array(w, chunks=900)
    # A Dask array with other chunks (rechunked), a number, an in-memory array (wrapped).
    values = {"tp": da.from_array(amount, chunks=450), "fp": -5, "fn": -amount, "tn": 1}
    got = cp.find_cutpoint(
        labels, scores, sample_weight=weights_dask, values=values, engine=engine, **kwargs
    )
    assert without_fingerprint(got) == without_fingerprint(want)
    assert got.value_by_outcome == want.value_by_outcome
    assert got.columns["value.tp"] == 'values["tp"]'
    assert got.columns["value.fp"] == "-5"
    full = cp.confusion_curve(y, score, sample_weight=w, rule=rule, values=in_memory)
    curve = cp.confusion_curve(
        labels, scores, sample_weight=weights_dask, rule=rule, values=values, at=[0.3, 0.5]
    )
    rows = full.rows_at(curve.thresholds)
    np.testing.assert_array_equal(curve.metric("value"), full.metric("value")[rows])
    np.testing.assert_array_equal(curve.values.outcome("fn"), full.values.outcome("fn")[rows])


def in_memory_error(values, n=4):
    y, score = np.array([0, 1, 1, 0])[:n], np.array([0.1, 0.2, 0.3, 0.4])[:n]
    with pytest.raises(Exception) as info:
        cp.find_cutpoint(y, score, metric="value", values=values)
    return info.type, str(info.value)


@pytest.mark.parametrize(
    "values",
    [
        {"tpp": 1.0},
        {"tp": np.array([1.0, 2.0, 3.0])},
        {"tp": np.array([1.0, np.inf, 3.0, 4.0])},
        {"fp": "cost"},
        {"fn": np.nan},
        {},
        [1.0, 2.0],
    ],
    ids=["unknown-key", "numpy-length", "numpy-inf", "text", "nan-number", "empty", "list"],
)
def test_values_beside_dask_arrays_are_checked_as_in_memory(values):
    y = da.from_array(np.array([0, 1, 1, 0]), chunks=2)
    s = da.from_array(np.array([0.1, 0.2, 0.3, 0.4]), chunks=2)
    want_type, want_message = in_memory_error(values)
    with pytest.raises(want_type) as info, dask.config.set(scheduler="sync"):
        cp.find_cutpoint(y, s, metric="value", values=values)
    assert str(info.value) == want_message


@pytest.mark.parametrize(
    ("array", "message"),
    [
        (np.array([1.0, 2.0, 3.0]), r"'values\[\"fn\"\]' must have one value per row \("),
        (np.array([1.0, np.nan, 3.0, np.inf]), r"'values\[\"fn\"\]' must be finite .*got 2 "),
        (np.array([True, False, True, False]), r"'values\[\"fn\"\]' must be numeric \(got bool"),
        (np.array(["a", "b", "c", "d"]), r"'values\[\"fn\"\]' must be numeric \(got dtype"),
    ],
    ids=["length", "nan-inf", "booleans", "text"],
)
def test_bad_dask_value_arrays_are_named(array, message):
    y = da.from_array(np.array([0, 1, 1, 0]), chunks=2)
    s = da.from_array(np.array([0.1, 0.2, 0.3, 0.4]), chunks=2)
    values = {"tp": 1.0, "fn": da.from_array(array, chunks=2)}
    with pytest.raises(InvalidInputError, match=message), dask.config.set(scheduler="sync"):
        cp.find_cutpoint(y, s, metric="value", values=values)


def test_map_reduce_batches_carry_the_value_columns():
    from cutpoints.engines._cluster import source_from_arrays

    y, score, amount = money(12, n=500)
    source = source_from_arrays(
        da.from_array(y, chunks=120),
        da.from_array(score, chunks=120),
        values={"tp": da.from_array(amount, chunks=100), "fp": -2},
    )
    with dask.config.set(scheduler="sync"):
        totals = source.map_reduce(_extra_sums, np.add)
    positive = y == 1
    # The "tp" column, then the positive and the negative part of each row's flag gain.
    np.testing.assert_array_equal(
        totals, [amount[positive].sum(), amount[positive].sum(), -2.0 * (~positive).sum()]
    )


def _extra_sums(batch):
    return batch.extra.sum(axis=1)


def test_bootstrap_with_values_of_dask_arrays_and_frames_matches_in_memory(dask_client):
    # Poisson draws depend on the global row index only, so the cluster's resamples equal
    # the in-memory Poisson bootstrap's, values included (they used to be refused).
    y, score, amount = money(13, n=1200)
    kwargs = {"metric": "value", "n_resamples": 12, "random_state": 3}
    values = {"tp": amount, "fp": -5, "fn": -amount}
    want = cp.bootstrap(y, score, values=values, method="poisson", **kwargs)
    labels, scores, amounts = (da.from_array(a, chunks=500) for a in (y, score, amount))
    on_arrays = cp.bootstrap(
        labels, scores, values={"tp": amounts, "fp": -5, "fn": -amounts}, **kwargs
    )
    table = pd.DataFrame({"y": y, "p": score, "amount": amount})
    source = cp.scan(
        dd.from_pandas(table, npartitions=3),
        label="y",
        score="p",
        values={"tp": "amount", "fp": -5, "fn": "-amount"},
    )
    on_frame = cp.bootstrap(source, **kwargs)
    for got in (on_arrays, on_frame):
        np.testing.assert_array_equal(got.thresholds, want.thresholds)
        assert got.cutpoint.threshold == want.cutpoint.threshold
        assert got.cutpoint.value_by_outcome == want.cutpoint.value_by_outcome
        assert got.summary().equals(want.summary())
    # The drawn values matter: another amount column changes the resampled thresholds.
    other = cp.bootstrap(labels, scores, values={"tp": amounts * 0 + 1, "fp": -5}, **kwargs)
    assert not np.array_equal(other.thresholds, want.thresholds)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shift", [0.0, -0.5])  # a non-negative layout, and a signed one
def test_compiled_bin_lookup_finds_the_rows_numpy_finds(dtype, shift):
    """The workers' compiled lookup (one pass, no temporaries) gives the rows of the
    marked first-level bins exactly as the numpy lookup and a brute-force key compare."""
    pytest.importorskip("numba")
    from cutpoints.engines import _dask as dask_engine
    from cutpoints.engines._histogram import _keys_of

    rng = np.random.default_rng(21)
    score = (np.round(rng.random(20_000), 3) + shift).astype(dtype)  # ties
    tiny = np.finfo(dtype).smallest_subnormal
    score[:6] = [0.0, -0.0, tiny, -tiny if shift else 2 * tiny, score.max(), score.min()]
    layout = bin_layout(float(score.min()), float(score.max()), 8)
    cells = ((_keys_of(score.astype(np.float64)) - np.uint64(layout.base)) >> layout.shift).astype(
        np.int64
    )
    for bins in (
        rng.random(layout.n_bins) < 0.2,  # scattered
        np.arange(layout.n_bins) == cells[2],  # the bin of a subnormal (or zero) only
        np.ones(layout.n_bins, dtype=bool),
        np.zeros(layout.n_bins, dtype=bool),
    ):
        want = np.flatnonzero(bins[cells])
        compiled = dask_engine._compiled_chosen(score, layout, None, [bins], True)
        assert compiled is not None  # the compiled lookup ran
        np.testing.assert_array_equal(compiled, want)
        np.testing.assert_array_equal(dask_engine._rows_in_bins(score, layout, bins), want)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_compiled_walk_of_deeper_levels_matches_numpy(dtype):
    """Three levels (bins split twice, on scattered parents): the compiled walk finds
    the rows of the chosen cells of every level, and counts the last level's cells,
    exactly as the numpy walk does."""
    pytest.importorskip("numba")
    from cutpoints.engines import _dask as dask_engine
    from cutpoints.engines._histogram import (
        _indices_in_cells,
        _keys_of,
        _split,
        _walk,
        count_cells,
    )

    rng = np.random.default_rng(22)
    score = np.round(rng.normal(size=30_000), 4).astype(dtype)  # signed, with ties
    score[:3] = [0.0, -0.0, np.finfo(dtype).smallest_subnormal]
    y = rng.random(len(score)) < 0.3
    layout = bin_layout(float(score.min()), float(score.max()), 6)
    levels = [Level(layout.shift, 0, None, np.arange(layout.n_bins, dtype=np.uint64))]
    rel = _keys_of(score.astype(np.float64)) - np.uint64(layout.base)
    for _ in range(2):
        # Every other cell that holds rows: some rows stop at each level.
        parents = np.unique(_walk(rel, levels)[-1][1])[::2].astype(np.uint64)
        levels.append(_split(levels[-1], parents, 6))
    reached = [len(score) if rows is None else len(rows) for rows, _ in _walk(rel, levels)]
    assert reached[0] > reached[1] > reached[2] > 0
    want, _ = count_cells(score, y, None, layout, levels, count_rows=False)
    table = dask_engine._compiled_deep_counts(score, y, layout, levels, True)
    assert table is not None
    np.testing.assert_array_equal(table, want)
    chosen = [rng.random(level.n_cells) < 0.2 for level in levels]
    found = dask_engine._compiled_chosen(score, layout, levels, chosen, True)
    assert found is not None
    np.testing.assert_array_equal(found, _indices_in_cells(score, layout, levels, chosen, None))


@pytest.mark.slow
@pytest.mark.parametrize("dtype", [np.float64])
def test_workers_look_bins_up_compiled_at_every_level(dask_client, monkeypatch, dtype):
    """Persisted chunks, numba's kernels on the workers whatever the size: the deeper
    levels and the refining pass find their rows with the compiled lookup, and the
    answer is the in-memory one to the count."""
    pytest.importorskip("numba")
    from cutpoints.engines import _dask as dask_engine
    from cutpoints.engines import _histogram

    monkeypatch.setattr(_histogram, "USE_COMPILED", True)
    monkeypatch.setattr(dask_engine, "COMPILED_FROM_ROWS", 0)  # read by the driver
    y, score, _ = problem(12, n=6000)
    score = np.clip(score, -1e30, 1e30).astype(dtype)  # large, negative, both zeros, ties
    arrays = dask_client.persist([da.from_array(a, chunks=700) for a in (y, score)])
    pytest.importorskip("distributed").wait(arrays)
    for metric, engine in (("f1", DEEP), ("youden", HistogramEngine(bits=4, sort_rows=16))):
        cut = cp.find_cutpoint(*arrays, metric=metric, engine=engine)
        assert cut.curve.n_levels > 1  # deeper levels were counted on the workers
        assert_same_cut(cut, cp.find_cutpoint(y, score, metric=metric, engine="sort"))

    def loaded() -> bool:
        return dask_engine._kernels is not None

    assert all(dask_client.run(loaded).values())  # each worker compiled its lookups


def test_a_task_counts_on_the_threads_its_worker_has_free(dask_client):
    """One task a worker (a persisted collection's pass) counts on all of its worker's
    threads (up to the sort threads); the fixture's workers have one; the threaded local
    scheduler's tasks use one, the synchronous scheduler's task the sort threads."""
    distributed = pytest.importorskip("distributed")
    from cutpoints.engines import _dask as dask_engine
    from cutpoints.engines._sort import sort_threads

    assert dask_engine._task_threads() == 1  # not in a worker's task
    with dask.config.set(scheduler="synchronous"):
        assert dask_engine._task_threads() == sort_threads()
    assert dask_client.submit(dask_engine._task_threads, pure=False).result() == 1
    with (
        distributed.LocalCluster(
            n_workers=1, threads_per_worker=2, processes=False, dashboard_address=":0"
        ) as cluster,
        distributed.Client(cluster, set_as_default=False) as client,
    ):
        got = client.submit(dask_engine._task_threads, pure=False).result()
        assert got == min(2, sort_threads())


def test_persisted_data_refines_to_the_smaller_cap(dask_client, monkeypatch):
    """Held in the workers' memory, the refinement splits further (counting passes are
    cheap there) rather than bring up to STREAM_SORT_ROWS rows back; data that each
    pass recomputes keeps the streamed cap. Either way the answer is the in-memory one."""
    from cutpoints.engines import _dask as dask_engine
    from cutpoints.engines._cluster import source_from_arrays
    from cutpoints.engines._histogram import STREAM_SORT_ROWS

    monkeypatch.setattr(dask_engine, "PERSISTED_SORT_ROWS", 64)
    y, score, _ = problem(14, n=6000)
    lazy = [da.from_array(a, chunks=700) for a in (y, score)]
    held = dask_client.persist(lazy)
    pytest.importorskip("distributed").wait(held)
    engine = HistogramEngine(bits=6)  # no sort_rows: the source's cap applies
    want = cp.find_cutpoint(y, score, metric="f1", engine="sort")
    deep = cp.find_cutpoint(*held, metric="f1", engine=engine)
    shallow = cp.find_cutpoint(*lazy, metric="f1", engine=engine)
    assert source_from_arrays(*held).stream_sort_rows == 64
    assert source_from_arrays(*lazy).stream_sort_rows == STREAM_SORT_ROWS
    # Split until single tied keys are left (the scores have two decimals).
    assert shallow.curve.n_levels == 1
    assert deep.curve.n_levels > 1
    assert deep.curve.n_refined_rows < shallow.curve.n_refined_rows
    assert_same_cut(deep, want)
    assert_same_cut(shallow, want)


@pytest.mark.parametrize(
    ("decimals", "cap", "levels"),
    [(3, 64, {8}), (None, 256, {2, 3})],  # ties: many levels; continuous: 2 and 3
)
def test_refining_reads_the_split_rows_the_counting_pass_kept(monkeypatch, decimals, cap, levels):
    """A counting pass of deeper levels keeps each chunk's rows of the split bins (and
    their cells at its last level); the refining pass right after it reads them instead
    of looking every row up again (with one deeper level, by their cells alone). Same
    rows, so the same answer as the sort engine; the kept rows were really read."""
    pytest.importorskip("numba")
    from cutpoints.engines import _dask as dask_engine
    from cutpoints.engines import _histogram

    monkeypatch.setattr(_histogram, "USE_COMPILED", True)
    monkeypatch.setattr(dask_engine, "COMPILED_FROM_ROWS", 0)
    monkeypatch.setattr(dask_engine.DaskSource, "stream_sort_rows", property(lambda self: cap))
    monkeypatch.setattr(dask_engine, "_SPLIT_SHARE", 1)  # keep them however many
    looked_up: list[bool] = []
    real = dask_engine._split_rows

    def spy(*args):
        found = real(*args)
        looked_up.append(found is not None)
        return found

    monkeypatch.setattr(dask_engine, "_split_rows", spy)
    rng = np.random.default_rng(15)
    n = 20_000
    score = rng.random(n) if decimals is None else np.round(rng.random(n), decimals)
    y = rng.random(n) < score * 0.3
    arrays = [da.from_array(a, chunks=3_000) for a in (y, score)]
    seen = set()
    with dask.config.set(scheduler="synchronous"):
        for metric, constraints, rule in (
            ("f1", (), ">="),
            ("precision", ("recall >= 0.5",), ">="),
            ("f1", (), "<="),  # negated scores: the chunk as read is the key
        ):
            looked_up.clear()
            kw = {"metric": metric, "constraints": constraints, "rule": rule}
            got = cp.find_cutpoint(*arrays, engine=HistogramEngine(bits=8), **kw)
            want = cp.find_cutpoint(y, score, engine="sort", **kw)
            seen.add(got.curve.n_levels)
            assert looked_up and all(looked_up)  # every chunk's rows came from the cache
            assert_same_cut(got, want)
    assert seen == levels


def test_kept_split_rows_are_for_one_token_one_live_chunk_and_one_read(monkeypatch):
    """The cache answers only the token it was filled under, the same chunk (its
    memory and the rule's sign, not just its values) and the same levels, once, while
    the chunk lives; a new token drops every older entry, a dead chunk its own."""
    import gc

    from cutpoints.engines import _dask as dask_engine
    from cutpoints.engines._histogram import _split

    monkeypatch.setattr(dask_engine, "_split_cache", {})
    monkeypatch.setattr(dask_engine, "_split_token", None)
    layout = bin_layout(0.0, 1.0, 4)
    first = Level(layout.shift, 0, None, np.arange(layout.n_bins, dtype=np.uint64))
    levels = [first, _split(first, np.array([3]), 4)]
    other_levels = [first, _split(first, np.array([2, 3]), 4)]
    whole = np.linspace(0.0, 1.0, 64)
    chunk, other = (whole[:32], 1.0), (whole[32:], 1.0)
    rows, cells = np.array([1, 2]), np.array([0, 1])

    def kept(token, chunk, levels=levels):
        return dask_engine._split_rows(token, chunk, layout, levels)

    def keep(token, chunk, rows=rows):
        dask_engine._keep_split_rows(token, chunk, layout, levels, rows, cells)

    keep("t1", chunk)
    got = kept("t1", chunk)
    assert got is not None
    np.testing.assert_array_equal(got[0], rows)
    np.testing.assert_array_equal(got[1], cells)
    assert kept("t1", chunk) is None  # read once: the refining pass takes it
    for token, asked, asked_levels in [
        ("t2", chunk, levels),  # another pass
        ("t1", other, levels),  # another chunk
        ("t1", (whole[:32].copy(), 1.0), levels),  # equal values, other memory
        ("t1", (whole[:32], -1.0), levels),  # the other rule
        ("t1", chunk, other_levels),  # other levels
    ]:
        keep("t1", chunk)
        assert kept(token, asked, asked_levels) is None
        assert kept("t1", chunk) is not None
    # A new token drops what older ones kept, even when it keeps nothing itself.
    keep("t1", chunk)
    keep("t2", other, rows=np.arange(10))  # more than the share: not kept
    assert dask_engine._split_cache == {}
    # A chunk that dies takes its entry with it.
    fresh = np.linspace(0.0, 1.0, 16)
    keep("t3", (fresh, 1.0))
    assert len(dask_engine._split_cache) == 1
    del fresh
    gc.collect()
    assert dask_engine._split_cache == {}
