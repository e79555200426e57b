"""The compiled grouped passes (groups/_kernels.py) against their numpy oracle.

The counting pass's (group, bin) tables and the picked rows must be identical, to the
count and dtype, whichever path computes them; and the grouped answer with the compiled
passes is the sort path's (tests/test_groups_histogram.py's ``assert_same``).
"""

from __future__ import annotations

import itertools
import os
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import cutpoints as cp
from cutpoints.engines import _compiled
from cutpoints.engines._histogram import bin_layout
from cutpoints.errors import InvalidParameterError
from cutpoints.groups import _binned, _joint, _kernels

from .strategies import TIE_POOL
from .test_groups_histogram import assert_same, both, make

pytestmark = pytest.mark.skipif(not _compiled.AVAILABLE, reason="numba is not installed")


@pytest.fixture(autouse=True)
def _restore_warm(monkeypatch):
    """Each test leaves the process's numba state as it found it: other tests' policy
    (numpy below the cold-start size) stays theirs."""
    monkeypatch.setattr(_kernels, "_warm", _kernels._warm)


@st.composite
def rows(draw):
    """Scores with ties (both zeros, extremes), labels, group codes (some groups empty),
    weights: none, integers with zeros, booleans, whole-number floats. Drawn from a
    seeded generator (hypothesis picks the sizes and kinds; drawing 300-row lists
    element by element would cost seconds)."""
    n = draw(st.sampled_from([1, 2, 3, 17, 300]))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    pool = draw(
        st.sampled_from(
            [TIE_POOL, [0.1, 0.2, 0.3], [0.5], [-2.0, -1.0, -0.0], [-0.0, 0.0, 0.5], None]
        )
    )
    if pool is None:
        score = rng.normal(0.0, draw(st.sampled_from([1e-3, 1.0, 1e6])), n)
    else:
        score = rng.choice(np.array(pool, dtype=float), n)
    n_groups = draw(st.sampled_from([1, 2, 5, 40]))
    used = draw(st.integers(1, n_groups))  # codes below ``used``: the groups above are empty
    codes = rng.integers(0, used, n)
    y = rng.random(n) < draw(st.sampled_from([0.0, 0.1, 0.5, 1.0]))
    kind = draw(st.sampled_from([None, "int", "bool", "whole", "int32"]))
    w = None
    if kind is not None:
        w = rng.integers(0, 6, n)
        w = {"int": w, "bool": w > 2, "whole": w.astype(float), "int32": w.astype(np.int32)}[kind]
    return score, y, codes, n_groups, w


@pytest.mark.slow  # compiles every kernel variant on a fresh numba cache (~30 s)
@settings(max_examples=200, deadline=None)
@given(data=rows(), bits=st.integers(1, 6), seed=st.integers(0, 2**32 - 1))
def test_compiled_tables_and_rows_equal_numpy(data, bits, seed):
    score, y, codes, n_groups, w = data
    layout = bin_layout(float(score.min()), float(score.max()), bits)
    fast = _binned._count(score, y, w, codes, n_groups, layout, compiled=True)
    slow = _binned._count(score, y, w, codes, n_groups, layout, compiled=False)
    for name in ("positive", "negative", "rows"):
        a, b = getattr(fast, name), getattr(slow, name)
        assert a.dtype == b.dtype, name
        np.testing.assert_array_equal(a, b, err_msg=name)
    assert int(slow.rows.sum()) == len(score)
    picked = np.random.default_rng(seed).random(n_groups * layout.n_bins) < 0.3
    n_picked = int(slow.rows[:, ::-1].ravel()[picked].sum())
    got = _binned._rows_in(score, y, codes, layout, picked, n_picked, compiled=True)
    want = _binned._rows_in(score, y, codes, layout, picked, n_picked, compiled=False)
    assert got.dtype == want.dtype
    np.testing.assert_array_equal(got, want)
    assert len(got) == n_picked
    # The exact curve rows of refined cells (some groups may have none).
    nonempty = slow.rows > 0
    refine = (np.random.default_rng(seed + 1).random(slow.rows.shape) < 0.5) & nonempty
    has_rows = np.flatnonzero(nonempty.any(axis=1))
    refine[has_rows, np.argmax(nonempty[has_rows], axis=1)] = True  # each top bin, as
    # with_ends() does: every group with rows has a refined cell
    zero = np.zeros((n_groups, 1), dtype=slow.positive.dtype)
    tp_edges = np.concatenate((zero, np.cumsum(slow.positive, axis=1)), axis=1)
    fp_edges = np.concatenate((zero, np.cumsum(slow.negative, axis=1)), axis=1)
    args = (score, y, w, codes, layout, refine, slow.rows, tp_edges, fp_edges)
    fast_runs = _binned._runs(*args, compiled=True)
    slow_runs = _binned._runs(*args, compiled=False)
    for name in ("group", "bin", "thresholds", "tp", "fp", "starts", "n_rows"):
        a, b = getattr(fast_runs, name), getattr(slow_runs, name)
        assert a.dtype == b.dtype, name
        np.testing.assert_array_equal(a, b, err_msg=name)
    # -0.0 and 0.0 are one threshold, +0.0 (equal as floats: compare the sign bits)
    np.testing.assert_array_equal(
        np.signbit(fast_runs.thresholds), np.signbit(slow_runs.thresholds)
    )


def test_negative_zero_shares_the_cell_of_zero():
    # One key per bin (shift 0): -0.0 keys as +0.0, not as the key between the smallest
    # negative subnormal and +0.0.
    score = np.array([-5e-324, -0.0, 0.0, 0.0, -0.0])
    y = np.array([True, True, False, False, True])
    codes = np.array([0, 1, 1, 0, 0])
    layout = bin_layout(-5e-324, 0.0, 3)
    assert layout.shift == 0 and not layout.nonnegative
    counts, rows = _kernels.cell_counts(score, y, None, codes, 2, layout)
    assert rows is None
    table = counts.reshape(2, layout.n_bins, 2)
    assert table[0].tolist() == [[0, 1], [0, 0], [1, 1]]
    assert table[1].tolist() == [[0, 0], [0, 0], [1, 1]]
    top = np.zeros(2 * layout.n_bins, dtype=bool)
    top[[2, 5]] = True  # the zeros' cell in both groups
    assert _kernels.picked_rows(score, y, codes, layout, top, 4).index.tolist() == [1, 2, 3, 4]


def test_zero_weights_count_rows_and_the_threads_agree(monkeypatch):
    rng = np.random.default_rng(3)
    n = 300_000  # several thread parts (64k rows at least each)
    score = np.round(rng.random(n), 3)
    y = rng.random(n) < 0.2
    codes = rng.integers(0, 7, n)
    w = rng.integers(0, 3, n)
    layout = bin_layout(float(score.min()), float(score.max()), 5)
    slow = _binned._count(score, y, w, codes, 7, layout, compiled=False)
    for threads in ("1", "2"):
        monkeypatch.setenv("CUTPOINTS_NUM_THREADS", threads)
        fast = _binned._count(score, y, w, codes, 7, layout, compiled=True)
        np.testing.assert_array_equal(fast.positive, slow.positive)
        np.testing.assert_array_equal(fast.negative, slow.negative)
        np.testing.assert_array_equal(fast.rows, slow.rows)
        picked = np.arange(7 * layout.n_bins) % 3 == 0
        n_picked = int(slow.rows[:, ::-1].ravel()[picked].sum())
        got = _binned._rows_in(score, y, codes, layout, picked, n_picked, compiled=True)
        want = _binned._rows_in(score, y, codes, layout, picked, n_picked, compiled=False)
        np.testing.assert_array_equal(got, want)
    assert fast.rows.sum() == n and fast.positive.sum() + fast.negative.sum() == w.sum()


def check_edges(score, y, codes, n_groups, layout):
    """group_edges' tables and edges (what _Table.of reads) are the numpy pass's and
    its cumulative sums, to the dtype."""
    slow = _binned._count(score, y, None, codes, n_groups, layout, compiled=False)
    tables = _kernels.group_edges(score, y, codes, n_groups, layout)
    zero = np.zeros((n_groups, 1), dtype=np.int64)
    expected = {
        "positive": slow.positive,
        "negative": slow.negative,
        "rows": slow.rows,
        "tp_edges": np.concatenate((zero, np.cumsum(slow.positive, axis=1)), axis=1),
        "fp_edges": np.concatenate((zero, np.cumsum(slow.negative, axis=1)), axis=1),
    }
    for name, wanted in expected.items():
        got = getattr(tables, name)
        assert got.dtype == wanted.dtype, name
        np.testing.assert_array_equal(got, wanted, err_msg=name)


@settings(max_examples=150, deadline=None)
@given(data=rows(), bits=st.integers(1, 12))
def test_compiled_edges_equal_numpy(data, bits):
    # Ties, both zeros, empty groups, one-row groups, one class; bins up to 2**12.
    score, y, codes, n_groups, _ = data
    check_edges(score, y, codes, n_groups, bits_layout(score, bits))


def bits_layout(score, bits):
    return bin_layout(float(score.min()), float(score.max()), bits)


@pytest.mark.parametrize("threads", ["1", "2", "3"])
def test_compiled_edges_add_up_the_threads_tables(threads, monkeypatch):
    # Several thread parts counted apart, then added up over ranges of groups split
    # between the threads. A dominant group, empty groups (the last ones too), one-row
    # groups, and both zeros among tied scores; signed and non-negative layouts.
    monkeypatch.setenv("CUTPOINTS_NUM_THREADS", threads)
    rng = np.random.default_rng(7)
    n = 300_000
    tied = rng.choice(np.array([-0.0, 0.0, 0.25, 0.5, -1.5, 3.0]), n)
    score = np.where(rng.random(n) < 0.5, tied, np.round(rng.random(n), 4) - 0.5)
    assert np.signbit(score[score == 0]).any()  # -0.0 among them
    y = rng.random(n) < 0.3
    codes = np.where(rng.random(n) < 0.6, 3, rng.integers(0, 400, n))
    codes[codes % 7 == 0] = 5  # empty groups 0, 7, 14, ...
    codes[:3] = [401, 403, 405]  # one row each
    n_groups = 410  # 406 .. 409 empty
    layout = bits_layout(score, 10)
    assert not layout.nonnegative
    check_edges(score, y, codes, n_groups, layout)
    score = np.where(score == 0, score, np.abs(score))  # -0.0 kept: its sign bit dropped
    layout = bin_layout(0.0, float(score.max()), 10)
    assert layout.nonnegative
    check_edges(score, y, codes, n_groups, layout)


def test_compiled_edges_feed_the_answers_equal_to_the_sort_path(monkeypatch):
    # The compiled edges pass runs for unweighted input (and not for weighted), and the
    # answers are the sort path's, independent and joint.
    y, s, g = make(60_000, 30)
    monkeypatch.setattr(_kernels, "_warm", True)
    kernels = _kernels._compile()
    calls = []
    real = kernels["merge_edges"]
    monkeypatch.setitem(kernels, "merge_edges", lambda *a: calls.append(1) or real(*a))
    for kwargs in ({"metric": "f1"}, {"metric": "precision", "constraints": ["recall >= 0.6"]}):
        found = both(y, s, g, **kwargs)
        assert found is not None
        assert_same(*found)
    assert len(calls) == 2  # 60,000 rows: one part, one range of groups
    found = both(y, s, g, mode="joint", metric="recall", constraints=["flagged <= 400"])
    assert found is not None
    assert found[0].thresholds == found[1].thresholds
    assert found[0].score == found[1].score
    assert (found[0].tp, found[0].fp) == (found[1].tp, found[1].fp)
    assert len(calls) == 3
    found = both(y, s, g, metric="f1", sample_weight=np.ones(len(y), dtype=int))
    assert found is not None
    assert_same(*found)
    assert len(calls) == 3  # weighted: counted as before


@pytest.mark.parametrize(
    ("kwargs", "mode"),
    [
        ({"metric": "f1"}, "independent"),
        (
            {"metric": "precision", "constraints": ["recall >= 0.6"], "ties": "median"},
            "independent",
        ),
        ({"metric": "recall", "constraints": ["flagged <= 400"]}, "joint"),
    ],
)
def test_answers_with_the_compiled_passes_equal_the_sort_path(kwargs, mode, monkeypatch):
    y, s, g = make(60_000, 30)
    w = np.random.default_rng(1).integers(0, 3, len(y))
    monkeypatch.setattr(_kernels, "_warm", True)  # numba "already ran": compiled passes
    assert _kernels.worthwhile(len(y))
    calls = []
    for name in ("cell_counts", "group_edges"):  # weighted, unweighted
        real = getattr(_kernels, name)
        spy = lambda *a, name=name, real=real: calls.append(name) or real(*a)  # noqa: E731
        monkeypatch.setattr(_kernels, name, spy)
    for weight in (None, w):
        found = both(y, s, g, mode=mode, sample_weight=weight, **kwargs)
        assert found is not None
        if mode == "independent":
            assert_same(*found)
        else:
            assert found[0].thresholds == found[1].thresholds
            assert found[0].score == found[1].score
    assert calls == ["group_edges", "cell_counts"]  # the compiled pass ran for each call


def test_policy_follows_the_ungrouped_engine(monkeypatch):
    monkeypatch.setattr(_kernels, "_warm", False)
    monkeypatch.setattr(_compiled, "_warm", False)
    assert not _kernels.worthwhile(1000)
    assert _kernels.worthwhile(_compiled.COLD_START_ROWS)
    monkeypatch.setattr(_compiled, "_warm", True)  # the ungrouped kernels ran: numba is up
    assert _kernels.worthwhile(1000)
    monkeypatch.setattr(_compiled, "_warm", False)
    cp.find_cutpoint(*make(300, 3)[:2], groups=make(300, 3)[2], engine="histogram")
    assert not _kernels._warm  # small input, cold process: the numpy passes ran


@settings(max_examples=200, deadline=None)
@given(
    cap=st.integers(0, 30),
    lo_hi=st.tuples(st.integers(0, 30), st.integers(0, 30)),
    seed=st.integers(0, 2**32 - 1),
    n_items=st.integers(0, 12),
    tied=st.booleans(),
)
def test_compiled_knapsack_stage_equals_numpy(cap, lo_hi, seed, n_items, tied):
    lo, hi = sorted(lo_hi)
    lo, hi = min(lo, cap), min(hi, cap)
    rng = np.random.default_rng(seed)
    best = np.full(cap + 1, -np.inf)
    alive = rng.random(hi - lo + 1) < 0.7
    best[lo : hi + 1] = np.where(alive, rng.integers(-3, 4, hi - lo + 1), -np.inf)
    best[lo] = best[hi] = 1.0  # the alive range's ends are alive
    units = rng.integers(0, cap + 3, n_items)
    # Few distinct values: items and levels tie often (the earlier item must keep them).
    values = rng.integers(-2, 3, n_items).astype(float) if tied else rng.normal(size=n_items)
    out = []
    for stage in (_joint._stage, _kernels.knapsack_stage):
        new, choice = np.full(cap + 1, -np.inf), np.full(cap + 1, -1, dtype=np.int64)
        new[0] = -1.5  # a level already reached by an earlier stage of the loop
        stage(best, lo, hi, cap, units, values, new, choice)
        out.append((new, choice))
    np.testing.assert_array_equal(out[0][0], out[1][0])
    np.testing.assert_array_equal(out[0][1], out[1][1])


@pytest.mark.parametrize("constraint", ["flagged <= 300", "fp <= 150", "tp >= 40"])
def test_joint_answers_with_the_compiled_knapsack_equal_numpy(constraint, monkeypatch):
    y, s, g = make(20_000, 12, decimals=2)
    kwargs = {"groups": g, "mode": "joint", "metric": "recall", "constraints": [constraint]}
    monkeypatch.setattr(_kernels, "_warm", False)
    monkeypatch.setattr(_compiled, "_warm", False)
    numpy_answer = cp.find_cutpoint(y, s, **kwargs)
    assert not _kernels._warm  # small and cold: the numpy stages ran
    monkeypatch.setattr(_kernels, "_warm", True)
    compiled_answer = cp.find_cutpoint(y, s, **kwargs)
    assert compiled_answer.thresholds == numpy_answer.thresholds
    assert compiled_answer.score == numpy_answer.score
    assert (compiled_answer.tp, compiled_answer.fp) == (numpy_answer.tp, numpy_answer.fp)


def test_picking_never_writes_past_the_counted_rows():
    score = np.array([0.1, 0.9, 0.1, 0.9])
    layout = bin_layout(0.1, 0.9, 1)
    every = np.ones(2, dtype=bool)
    args = (score, np.ones(4, dtype=bool), np.zeros(4, dtype=np.int64), layout, every)
    assert _kernels.picked_rows(*args, 4).index.tolist() == [0, 1, 2, 3]
    with pytest.raises(InvalidParameterError, match=r"more than 'n_picked' rows \(3\)"):
        _kernels.picked_rows(*args, 3)


@st.composite
def integer_labels(draw):
    """Integer group labels: small ranges from 0 (the guessed window), negative ones,
    ranges past the window (a second pass), too wide to code by offset, gaps, and every
    integer dtype and booleans."""
    n = draw(st.sampled_from([1, 2, 7, 500]))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    low = draw(st.sampled_from([0, 1, -3, 65_530, 2**40, -(2**62)]))
    span = draw(st.sampled_from([1, 3, 1000, 70_000, 2**50]))
    values = low + rng.integers(0, span, n)
    dtype = draw(st.sampled_from([np.int64, np.int32, np.int8, np.uint16, np.bool_]))
    if dtype is np.bool_:
        return values % 2 == 0
    info = np.iinfo(dtype)
    return np.clip(values, info.min, info.max).astype(dtype)


@settings(max_examples=150, deadline=None)
@given(labels=integer_labels())
def test_compiled_group_codes_equal_numpy(labels):
    with pytest.MonkeyPatch.context() as monkeypatch:  # per example (hypothesis)
        _check_group_codes(labels, monkeypatch)


def _check_group_codes(labels, monkeypatch):
    from cutpoints.groups._data import encode_groups

    scans = []
    real = _kernels.int_scan
    monkeypatch.setattr(_kernels, "int_scan", lambda *a: scans.append(a[1:]) or real(*a))
    monkeypatch.setattr(_kernels, "_warm", False)
    monkeypatch.setattr(_compiled, "_warm", False)
    want = encode_groups(labels, len(labels))
    assert not scans  # small and cold: numpy's min, max and bincount
    monkeypatch.setattr(_kernels, "_warm", True)
    got = encode_groups(labels, len(labels))
    assert scans  # the compiled scan ran
    assert got[0] == want[0]
    assert [type(v) for v in got[0]] == [type(v) for v in want[0]]
    # Plain Python labels, as np.unique's path gives them (not numpy scalars).
    plain = np.unique(labels).tolist()
    assert list(want[0]) == plain and {type(v) for v in want[0]} == {type(v) for v in plain}
    assert got[1].dtype == want[1].dtype == np.int64
    np.testing.assert_array_equal(got[1], want[1])
    low, high = int(np.min(labels)), int(np.max(labels))
    if low >= 0 and high < 1 << 16:
        assert len(scans) == 1  # the guessed window held every label: one pass
    elif high - low <= max(4 * len(labels), 1 << 16):
        assert scans[-1] == (low, high - low + 1)  # a second pass over the true range


def test_int_scan_refuses_an_empty_array():
    with pytest.raises(InvalidParameterError, match="'values' must hold at least one label"):
        _kernels.int_scan(np.zeros(0, dtype=np.int64), 0, 4)


@pytest.mark.parametrize("warm", [False, True])
@pytest.mark.parametrize(
    "raw",
    [[2**64 - 1, 0, 2**64 - 1, 1], [2**64 - 1, 0, 2**63, 2**64 - 1, 5]],  # as int64: -1, 0, 1
)
def test_uint64_labels_past_int64_keep_their_order(raw, warm, monkeypatch):
    from cutpoints.groups._data import encode_groups

    monkeypatch.setattr(_kernels, "_warm", warm)
    labels = np.array(raw, dtype=np.uint64)
    distinct, codes = np.unique(labels, return_inverse=True)
    got = encode_groups(labels, len(labels))
    assert got[0] == tuple(int(v) for v in distinct) == tuple(sorted(set(raw)))
    np.testing.assert_array_equal(got[1], codes)


@st.composite
def pareto_points(draw):
    """Points with ``w`` strictly ascending and ``v`` ascending, on small integers
    (collinear runs: the hull drops points on a chord) or floats (near-collinear)."""
    n = draw(st.integers(1, 300))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    if draw(st.booleans()):
        w = np.cumsum(rng.integers(1, 3, n)).astype(float)
        v = np.cumsum(rng.integers(0, 3, n)).astype(float)
    elif draw(st.booleans()):
        w = np.cumsum(rng.random(n) + 1e-3)
        v = np.cumsum(rng.random(n) ** 3)
    else:
        # Decimal steps: collinear in decimal, not quite in binary, so rounding decides
        # which near-collinear points stay (the compiled pass must decide as numpy does).
        step = draw(st.sampled_from([0.1, 0.3, 0.7]))
        w = np.cumsum(rng.integers(1, 4, n)) * step
        v = np.cumsum(rng.integers(0, 4, n)) * 0.1
        keep = np.concatenate(([True], np.diff(w) > 0))
        w, v = w[keep], v[keep]
    return w, v


@settings(max_examples=200, deadline=None)
@given(points=pareto_points())
def test_compiled_hull_equals_numpy(points):
    with pytest.MonkeyPatch.context() as monkeypatch:  # per example (hypothesis)
        _check_hull(points, monkeypatch)


def _check_hull(points, monkeypatch):
    w, v = points
    rows = np.arange(len(w))
    monkeypatch.setattr(_joint, "_COMPILED_HULL_MIN", 10**9)  # the numpy passes
    slow = _joint._Items(w, v, rows)
    want = slow.hull()
    monkeypatch.setattr(_joint, "_COMPILED_HULL_MIN", 0)
    monkeypatch.setattr(_kernels, "_warm", True)
    calls = []
    real = _kernels.upper_hull
    monkeypatch.setattr(_kernels, "upper_hull", lambda *a: calls.append(1) or real(*a))
    fast = _joint._Items(w, v, rows)
    got = fast.hull()
    assert calls  # the compiled pass ran
    np.testing.assert_array_equal(fast.vertices, slow.vertices)
    np.testing.assert_array_equal(got[0], want[0])
    np.testing.assert_array_equal(got[1], want[1])
    # Concave: the slopes fall strictly, and no point lies above the hull.
    slopes = got[1] / got[0]  # (rounding may leave decimal near-collinear steps equal)
    assert (np.diff(slopes) <= 1e-12 * np.maximum(1.0, np.abs(slopes[1:]))).all()
    on_hull = np.interp(w, w[fast.vertices], v[fast.vertices])
    assert (v <= on_hull + 1e-9 * np.maximum(1.0, np.abs(v))).all()


@pytest.mark.parametrize("low", [0, -5, 70_000])
def test_group_code_scan_threads_agree(low, monkeypatch):
    # Several thread parts (64k rows at least each): each part's range and flags count.
    from cutpoints.groups._data import encode_groups

    rng = np.random.default_rng(4)
    n = 300_000
    labels = low + rng.integers(0, 1000, n)
    labels[:10] = low + 1000  # the highest label in the first part only,
    labels[-10:] = low - 1  # the lowest in the last part only
    labels[labels == low + 500] = low + 501  # a gap: codes are not the offsets
    monkeypatch.setattr(_kernels, "_warm", False)
    monkeypatch.setattr(_compiled, "_warm", False)
    want = encode_groups(labels, n)
    monkeypatch.setattr(_kernels, "_warm", True)
    for threads in ("1", "2"):
        monkeypatch.setenv("CUTPOINTS_NUM_THREADS", threads)
        got = encode_groups(labels, n)
        assert got[0] == want[0]
        np.testing.assert_array_equal(got[1], want[1])
    assert len(want[0]) == 1001 and want[0][0] == low - 1


def check_bucketed(score, y, codes, n_groups, layout, refine):
    """The curve rows by bucketed_runs (ranges of groups on the threads) are the numpy
    pass's, field for field, to the dtype; and sorted_runs' (one thread, weights)."""
    slow = _binned._count(score, y, None, codes, n_groups, layout, compiled=False)
    nonempty = slow.rows > 0
    has_rows = np.flatnonzero(nonempty.any(axis=1))
    # As with_ends() does: every group with rows has a refined cell (the oracle needs one)
    refine[has_rows, np.argmax(nonempty[has_rows], axis=1)] = True
    zero = np.zeros((n_groups, 1), dtype=np.int64)
    tp_edges = np.concatenate((zero, np.cumsum(slow.positive, axis=1)), axis=1)
    fp_edges = np.concatenate((zero, np.cumsum(slow.negative, axis=1)), axis=1)
    args = (score, y, None, codes, layout, refine, slow.rows, tp_edges, fp_edges)
    fast = _binned._runs(*args, compiled=True)
    want = _binned._runs(*args, compiled=False)
    rows_per_cell = slow.rows[refine]
    found = _kernels.picked_rows(
        score, y, codes, layout, refine[:, ::-1].ravel(), int(rows_per_cell.sum())
    )
    weighted = _kernels.sorted_runs(
        found, np.ones(len(found.index), dtype=np.int64), refine, rows_per_cell, tp_edges, fp_edges
    )
    for k, name in enumerate(("group", "bin", "thresholds", "tp", "fp", "starts", "n_rows")):
        a, b = getattr(fast, name), getattr(want, name)
        assert a.dtype == b.dtype, name
        np.testing.assert_array_equal(a, b, err_msg=name)
        np.testing.assert_array_equal(weighted[k], b, err_msg=name)
    np.testing.assert_array_equal(np.signbit(fast.thresholds), np.signbit(want.thresholds))
    return fast


@settings(max_examples=100, deadline=None)
@given(data=rows(), bits=st.integers(1, 8), seed=st.integers(0, 2**32 - 1))
def test_bucketed_runs_equal_numpy(data, bits, seed):
    # Ties, both zeros, extremes, empty groups, refined empty cells.
    score, y, codes, n_groups, _ = data
    layout = bits_layout(score, bits)
    refine = np.random.default_rng(seed).random((n_groups, layout.n_bins)) < 0.4
    check_bucketed(score, y, codes, n_groups, layout, refine)


@pytest.mark.parametrize("threads", ["1", "2", "3"])
def test_bucketed_runs_split_between_the_threads(threads, monkeypatch):
    # Ranges of groups turned into curve rows apart, then moved together: a dominant
    # group, empty groups, ties (both zeros among them) within buckets of any size;
    # signed and non-negative layouts.
    monkeypatch.setenv("CUTPOINTS_NUM_THREADS", threads)
    rng = np.random.default_rng(11)
    n = 300_000
    tied = rng.choice(np.array([-0.0, 0.0, 0.25, 0.5, -1.5, 3.0]), n)
    score = np.where(rng.random(n) < 0.3, tied, np.round(rng.random(n), 5) - 0.5)
    y = rng.random(n) < 0.3
    codes = np.where(rng.random(n) < 0.5, 3, rng.integers(0, 300, n))
    codes[codes % 11 == 0] = 5  # empty groups
    n_groups = 305  # the last ones empty too
    calls = []
    kernels = _kernels._compile()
    real = kernels["bucket_runs"]
    monkeypatch.setitem(kernels, "bucket_runs", lambda *a: calls.append(a[10:12]) or real(*a))
    for layout in (bits_layout(score, 9), bin_layout(0.0, 3.0, 9)):
        if layout.nonnegative:
            score = np.where(score == 0, score, np.abs(score))
        refine = rng.random((n_groups, layout.n_bins)) < 0.3
        runs = check_bucketed(score, y, codes, n_groups, layout, refine)
        assert runs.n_rows.sum() > _kernels._MIN_ROWS_A_RANGE  # enough to split
        assert len(calls) == int(threads)  # one range of groups a thread
        ranges = sorted(calls)  # (g0, g1) each, in the order the threads ran
        assert ranges[0][0] == 0 and ranges[-1][1] == n_groups
        assert all(a[1] == b[0] for a, b in itertools.pairwise(ranges))  # no gap, no overlap
        calls.clear()


def test_bucketed_runs_sort_subnormal_and_huge_spans():
    # Buckets whose scores span a few subnormals (dividing by the span overflows) or
    # nearly all of float64 (the span overflows): sorted exactly all the same.
    tiny = np.array([0.0, 5e-324, 1e-323, 1.5e-323, 5e-324, 2e-323, 0.0, 1e-323] * 4)
    huge = np.array([-1.7e308, 1.7e308, 0.0, -1e308, 1e308, 5.0, -5.0, 1.7e308] * 4)
    for score in (tiny, huge):
        rng = np.random.default_rng(2)
        score = rng.permutation(score)
        y = rng.random(len(score)) < 0.5
        y[:2] = [True, False]
        codes = np.zeros(len(score), dtype=np.int64)
        layout = bits_layout(score, 1)
        check_bucketed(score, y, codes, 1, layout, np.ones((1, layout.n_bins), dtype=bool))


def test_bucketed_runs_refuse_rows_the_count_did_not_find():
    score = np.array([0.1, 0.9, 0.1, 0.9])
    y = np.array([True, False, True, True])
    layout = bin_layout(0.1, 0.9, 1)
    found = _kernels.picked_rows(score, y, np.zeros(4, dtype=np.int64), layout, np.ones(2, bool), 4)
    edges = np.array([[0, 1, 2]])
    refine = np.array([[True, True]])
    runs = _kernels.bucketed_runs(found, refine, np.array([2, 2]), edges, edges)
    assert runs[2].tolist() == [np.inf, 0.9, 0.1]
    with pytest.raises(InvalidParameterError, match=r"add up to the picked rows \(4; got 3\)"):
        _kernels.bucketed_runs(found, refine, np.array([1, 2]), edges, edges)
    # The right total in the wrong cells: the second cell (scores 0.1) overflows.
    with pytest.raises(InvalidParameterError, match="'rows_per_cell' must be the picked rows"):
        _kernels.bucketed_runs(found, refine, np.array([3, 1]), edges, edges)
    # Rows in a cell that is not refined (the 0.1s), the total said to be the top cell's:
    # refused, not read through an unset rank (garbage thresholds, or a write out of bounds).
    with pytest.raises(InvalidParameterError, match="'rows_per_cell' must be the picked rows"):
        _kernels.bucketed_runs(found, np.array([[True, False]]), np.array([4]), edges, edges)


_BOUNDS_SCRIPT = """
import numpy as np
from cutpoints.engines._histogram import bin_layout
from cutpoints.groups import _kernels
from cutpoints.errors import InvalidParameterError

# Two groups, one bin each, the second group empty: the last bucket has no rows, and
# its sort must not read a key past the end.
layout = bin_layout(2.0, 2.0, 1)
refine = np.array([[True], [True]])
found = _kernels.picked_rows(np.array([2.0]), np.array([False]), np.zeros(1, dtype=np.int64),
                             layout, refine[:, ::-1].ravel(), 1)
runs = _kernels.bucketed_runs(found, refine, np.array([1, 0]), np.array([[0, 0], [0, 0]]),
                              np.array([[0, 1], [0, 0]]))
print("empty-last", runs[2].tolist(), runs[6].tolist())
# A row outside the refined cells: refused before any read through its rank.
score = np.array([0.1, 0.9, 0.1, 0.9])
found = _kernels.picked_rows(score, np.array([True, False, True, True]),
                             np.zeros(4, dtype=np.int64), bin_layout(0.1, 0.9, 1),
                             np.ones(2, bool), 4)
try:
    _kernels.bucketed_runs(found, np.array([[True, False]]), np.array([4]),
                           np.array([[0, 1, 2]]), np.array([[0, 1, 2]]))
except InvalidParameterError:
    print("refused")
"""


@pytest.mark.slow
def test_bucketed_runs_stay_in_bounds_with_numba_checking(tmp_path):
    """numba compiled with bounds checks (a fresh cache: the on-disk one ignores the
    flag) on inputs at the kernels' edges: an empty last bucket, a row whose cell is
    not refined. Without checks an out-of-bounds access passes unseen."""
    pytest.importorskip("numba")
    env = {**os.environ, "NUMBA_BOUNDSCHECK": "1", "NUMBA_CACHE_DIR": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-c", _BOUNDS_SCRIPT], env=env, capture_output=True, text=True,
        timeout=600, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.split("\n")[:2] == ["empty-last [inf, 2.0, inf] [1, 0]", "refused"]


@pytest.mark.parametrize("threads", ["1", "2"])
def test_score_range_is_the_lowest_and_highest(threads, monkeypatch):
    monkeypatch.setenv("CUTPOINTS_NUM_THREADS", threads)
    rng = np.random.default_rng(5)
    score = rng.normal(size=200_000)
    score[[7, 150_000]] = [-9.5, 12.25]  # one in each thread's part
    assert _kernels.score_range(score) == (-9.5, 12.25)
    low, high = _kernels.score_range(np.array([-0.0, 0.0, -0.0]))
    assert (low, high) == (0.0, 0.0) and not np.signbit(low) and not np.signbit(high)
    with pytest.raises(InvalidParameterError, match="'score' must hold at least one"):
        _kernels.score_range(np.array([]))


def test_a_users_metric_is_called_on_the_calling_thread_only(monkeypatch):
    """The bins' bounds run on the sort threads in blocks of groups, but only for
    cutpoints' own metrics: a registered function need not be thread-safe."""
    import threading

    monkeypatch.setenv("CUTPOINTS_NUM_THREADS", "2")
    # Many blocks of groups (the block size is the function's default argument).
    monkeypatch.setattr(_binned._refine_by_blocks, "__defaults__", (1 << 10,))
    seen: set[str] = set()

    def critical_success(tp, fp, tn, fn):
        seen.add(threading.current_thread().name)
        with np.errstate(invalid="ignore", divide="ignore"):
            return tp / (tp + fp + fn)

    cp.register_metric("csi_threads", critical_success, monotone=(1, -1))
    try:
        rng = np.random.default_rng(3)
        n, n_groups = 60_000, 200
        groups = rng.integers(0, n_groups, n)
        y = rng.random(n) < 0.2
        score = rng.normal(size=n) + y
        got = cp.find_cutpoint(y, score, groups=groups, metric="csi_threads", engine="histogram")
        want = cp.find_cutpoint(y, score, groups=groups, metric="csi_threads", engine="sort")
    finally:
        cp.unregister_metric("csi_threads")
    assert got.thresholds == want.thresholds
    assert seen == {threading.current_thread().name}
