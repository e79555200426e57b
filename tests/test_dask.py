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
from cutpoints.engines._histogram import Level, bin_layout, histogram
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
