"""The compiled counting pass against the numpy pass (the oracle), to the count and bit."""

from __future__ import annotations

import contextlib
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cutpoints.engines import _compiled, _histogram, limit_sort_threads
from cutpoints.engines._histogram import Level, bin_layout
from cutpoints.errors import InvalidInputError, InvalidParameterError

from .strategies import binary_problems

pytestmark = pytest.mark.skipif(not _compiled.AVAILABLE, reason="numba is not installed")


def numpy_pass(score, is_positive, weight, layout, count_rows=None):
    """The numpy pass at level 0 (the compiled kernel switched off where it is wired)."""
    levels = [Level(layout.shift, 0, None, np.arange(layout.n_bins, dtype=np.uint64))]
    saved = getattr(_histogram, "USE_COMPILED", None)
    if saved is not None:
        _histogram.USE_COMPILED = False
    try:
        kwargs = {} if count_rows is None else {"count_rows": count_rows}
        return _histogram.histogram(score, is_positive, weight, layout, levels, **kwargs)
    finally:
        if saved is not None:
            _histogram.USE_COMPILED = saved


def brute_force(score, is_positive, weight, layout):
    """Per-bin totals from each row's key, one row at a time (tiny inputs only)."""
    positive = np.zeros(layout.n_bins, dtype=object)
    negative = np.zeros(layout.n_bins, dtype=object)
    for x, label, w in zip(score, is_positive, np.ones(len(score)) if weight is None else weight):
        cell = (_histogram._key(float(x)) - layout.base) >> layout.shift
        (positive if label else negative)[cell] += w
    return positive, negative


def compiled(score, is_positive, weight, layout, **kwargs):
    return _compiled.bin_counts(
        score,
        is_positive,
        weight,
        base=layout.base,
        shift=layout.shift,
        nonnegative=layout.nonnegative,
        n_cells=layout.n_bins,
        **kwargs,
    )


def layout_of(score, bits=16):
    return bin_layout(float(np.min(score)), float(np.max(score)), bits)


def assert_same(score, is_positive, weight, layout):
    positive, negative, rows = compiled(score, is_positive, weight, layout)
    oracle = numpy_pass(score, is_positive, weight, layout)
    # The numpy pass sums integer weights in float64 and converts; the kernel in int64.
    assert positive.dtype == (
        np.float64 if weight is not None and weight.dtype.kind == "f" else np.int64
    )
    np.testing.assert_array_equal(positive, oracle.positive, strict=False)
    np.testing.assert_array_equal(negative, oracle.negative, strict=False)
    assert positive.tobytes() == oracle.positive.astype(positive.dtype).tobytes()  # to the bit
    assert negative.tobytes() == oracle.negative.astype(negative.dtype).tobytes()
    if weight is None:
        assert rows is None
    elif not weight.min() > 0:
        np.testing.assert_array_equal(rows, oracle.rows)
    else:
        assert rows is None
    return positive, negative, rows


ADVERSARIAL = {
    "signed zeros": [-0.0, 0.0, -0.0, 0.0, 1.0, -1.0],
    "negative only": [-3.5, -1e-300, -2.0, -1e300, -3.5],
    "huge": [-np.finfo(np.float64).max, np.finfo(np.float64).max, 0.0, 1e308, -1e-308],
    "subnormal": [5e-324, -5e-324, 0.0, -0.0, 1e-310, 2.2250738585072014e-308, 1.0],
    "one value": [0.7] * 9,
    "one zero": [-0.0, 0.0, -0.0],
    "zeros between subnormals": [-5e-324, -0.0, 0.0, 5e-324, -0.0],  # one bin per key
    "probabilities": [0.0, 0.1, 0.25, 0.5, 0.5, 0.999, 1.0],
}


@pytest.mark.parametrize("name", sorted(ADVERSARIAL))
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("bits", [1, 3, 16])
@pytest.mark.parametrize("weights", [None, "int", "float"])
def test_adversarial_inputs_match_the_numpy_pass_and_brute_force(name, dtype, bits, weights):
    with np.errstate(over="ignore"):  # float32 of +-float64 max is +-inf: dropped below
        score = np.array(ADVERSARIAL[name], dtype=dtype)
    score = score[np.isfinite(score)]
    rng = np.random.default_rng(len(score) + bits)
    y = rng.random(len(score)) < 0.5
    weight = None
    if weights == "int":
        weight = rng.integers(0, 3, len(score))
    elif weights == "float":
        weight = rng.random(len(score)) * (rng.random(len(score)) < 0.7)
    layout = layout_of(score, bits)
    positive, negative, _ = assert_same(score, y, weight, layout)
    bp, bn = brute_force(score, y, weight, layout)
    np.testing.assert_allclose(positive.astype(float), bp.astype(float), rtol=1e-12)
    np.testing.assert_allclose(negative.astype(float), bn.astype(float), rtol=1e-12)


def test_float32_subnormals_key_as_their_float64_values():
    tiny = np.float32(1e-45)  # the smallest float32 subnormal
    score = np.array([0.0, tiny, 2 * tiny, 1.0, -tiny, -0.0], dtype=np.float32)
    y = np.array([True, False, True, True, False, True])
    layout = layout_of(score, 16)
    positive, negative, _ = assert_same(score, y, None, layout)
    bp, bn = brute_force(score.astype(np.float64), y, None, layout)
    assert positive.tolist() == bp.tolist() and negative.tolist() == bn.tolist()
    assert positive.sum() == 4 and negative.sum() == 2


@settings(max_examples=150, deadline=None)
@given(
    problem=binary_problems(max_size=60, integer_weights=True),
    float32=st.booleans(),
    bits=st.sampled_from([1, 2, 5, 16]),
)
def test_property_integer_weights_and_counts(problem, float32, bits):
    y, score, weight = problem
    if float32:
        with np.errstate(over="ignore"):
            score = score.astype(np.float32)
        keep = np.isfinite(score)
        y, score = y[keep], score[keep]
        weight = None if weight is None else weight[keep]
        if not len(score):
            return
    layout = layout_of(score, bits)
    positive, negative, _ = assert_same(score, y, weight, layout)
    bp, bn = brute_force(score, y, weight, layout)
    assert positive.tolist() == bp.tolist() and negative.tolist() == bn.tolist()


@settings(max_examples=60, deadline=None)
@given(
    problem=binary_problems(min_size=1, max_size=60, weighted=True, integer_weights=False),
    seed=st.integers(0, 2**32 - 1),
)
def test_property_float_weights_to_the_bit(problem, seed):
    y, score, weight = problem
    weight = weight * np.random.default_rng(seed).random(len(weight))  # not dyadic: order shows
    assert_same(score, y, weight, layout_of(score, 4))


@pytest.fixture
def small_chunks(monkeypatch):
    """Chunks and groups of a few hundred rows in both passes: their order shows at n=5000."""
    for module in (_compiled, _histogram):
        monkeypatch.setattr(module, "_CHUNK", 64)
        monkeypatch.setattr(module, "_GROUP", 256)


@pytest.mark.parametrize("threads", [1, 2, 3])
def test_float_sums_follow_the_numpy_pass_order_whatever_the_threads(small_chunks, threads):
    rng = np.random.default_rng(7)
    n = 5000
    score = rng.normal(size=n).astype(np.float32)
    y = rng.random(n) < 0.3
    weight = rng.random(n) * 10.0 ** rng.integers(-8, 8, n)  # magnitudes far apart
    weight[rng.random(n) < 0.1] = 0.0
    layout = layout_of(score, 2)  # few bins: long sums, where the order changes the bits
    with limit_sort_threads(threads):
        positive, _, rows = assert_same(score, y, weight, layout)
    # The test can see a wrong order: a plain row-order sum differs in the last bits.
    cells = (
        (_histogram._keys_of(score.astype(np.float64)) - np.uint64(layout.base))
        >> np.uint64(layout.shift)
    ).astype(np.int64)
    plain = np.zeros(layout.n_bins)
    for cell, w, label in zip(cells, weight, y):
        if label:
            plain[cell] += w
    assert plain.tobytes() != positive.tobytes()
    assert rows is not None and rows.sum() == n


@pytest.mark.parametrize(
    "dtype", ["int8", "int16", "int32", "uint8", "uint16", "uint32", "float32"]
)
def test_narrow_weights_are_summed_as_given_into_wide_cells(dtype):
    # Weights near their type's maximum, many rows per bin: the cells' sums overflow the
    # weights' own type (or round, in float32); they must be the exact wide sums.
    rng = np.random.default_rng(4)
    n = 20_000
    score = np.round(rng.random(n), 1).astype(np.float32)  # 11 values: crowded bins
    y = rng.random(n) < 0.4
    if dtype == "float32":
        weight = rng.random(n).astype(np.float32) * np.float32(1e6)
    else:
        top = int(np.iinfo(dtype).max)
        weight = rng.integers(max(top - 2, 0), top + 1, n).astype(dtype)
        weight[::5] = 0  # zeros too: rows are counted
    layout = layout_of(score, 16)
    wide = weight.astype(np.float64 if dtype == "float32" else np.int64)
    positive, negative, _ = assert_same(score, y, weight, layout)
    # The same bits as the weights widened first (the kernel's cells are wide).
    expected = compiled(score, y, wide, layout)
    assert positive.tobytes() == expected[0].tobytes()
    assert negative.tobytes() == expected[1].tobytes()
    cells = np.searchsorted(np.unique(score), score)
    for label, table in ((True, positive), (False, negative)):
        sums = np.bincount(cells[y == label], weights=wide[y == label].astype(float))
        np.testing.assert_array_equal(np.sort(table[table != 0]), np.sort(sums[sums != 0]))
    if dtype == "float32":  # sums that float32 cannot hold: summing in it would round
        assert (positive.astype(np.float32).astype(np.float64) != positive).any()
    else:  # sums beyond the weights' type: summing in it would wrap
        assert positive.max() > np.iinfo(dtype).max


@pytest.mark.parametrize("threads", [1, 2])
def test_big_int64_weights_leave_the_int32_cells(threads):
    # Each thread counts in int32 cells while its total weight fits int32, else again in
    # int64 cells: weights of 2**36 must come out exact.
    rng = np.random.default_rng(8)
    n = 5000
    score = rng.random(n).astype(np.float32)
    y = rng.random(n) < 0.5
    weight = rng.integers(0, 3, n).astype(np.int64) << 36
    layout = layout_of(score, 4)
    with limit_sort_threads(threads):
        positive, negative, _ = assert_same(score, y, weight, layout)
    cells = (np.array([_histogram._key(float(x)) for x in score]) - layout.base) >> layout.shift
    for label, table in ((True, positive), (False, negative)):
        exact = [int(weight[(cells == c) & (y == label)].sum()) for c in range(layout.n_bins)]
        assert table.tolist() == exact
    assert positive.max() > 2**31


def test_counts_do_not_depend_on_the_thread_count():
    rng = np.random.default_rng(3)
    n = 300_000
    score = rng.random(n).astype(np.float32) - 0.25
    y = rng.random(n) < 0.05
    weight = rng.integers(0, 5, n)
    layout = layout_of(score)
    results = []
    for threads in (1, 2, 4):
        with limit_sort_threads(threads):
            results.append([compiled(score, y, w, layout) for w in (None, weight)])
    for other in results[1:]:
        for (p0, n0, r0), (p1, n1, r1) in zip(results[0], other):
            np.testing.assert_array_equal(p0, p1)
            np.testing.assert_array_equal(n0, n1)
            assert (r0 is None) == (r1 is None)
    assert_same(score, y, weight, layout)
    assert_same(score, y, None, layout)


def test_row_counts_follow_count_rows():
    score = np.array([0.1, 0.2, 0.2, 0.9])
    y = np.array([True, False, True, False])
    layout = layout_of(score, 16)
    positive_weights = np.array([1.0, 2.0, 0.5, 1.0])
    assert compiled(score, y, positive_weights, layout)[2] is None
    rows = compiled(score, y, positive_weights, layout, count_rows=True)[2]
    assert rows is not None and rows.sum() == 4 and rows.max() == 2
    with_zero = np.array([1, 0, 2, 0])
    rows = compiled(score, y, with_zero, layout)[2]
    assert rows is not None and rows.sum() == 4
    np.testing.assert_array_equal(rows, numpy_pass(score, y, with_zero, layout).rows)
    assert compiled(score, y, with_zero, layout, count_rows=False)[2] is None
    # A score whose rows all weigh zero is still there, in the row counts only.
    positive, negative, rows = compiled(score, y, with_zero, layout)
    last = int(np.flatnonzero(rows)[-1])
    assert positive[last] == negative[last] == 0 and rows[last] == 1


def test_scores_outside_the_layout_are_an_error_not_a_stray_write():
    score = np.array([0.1, 0.5, 0.9])
    y = np.array([True, False, True])
    narrow = bin_layout(0.1, 0.5, 16)
    for weight in (None, np.array([1, 2, 3]), np.array([0.5, 1.0, 2.0])):
        with pytest.raises(InvalidInputError, match=r"'score' has 1 values outside"):
            compiled(score, y, weight, narrow)
    # One key past the last bin (bins of single keys here): the first row outside.
    one, two = 1.0, float(np.nextafter(1.0, 2.0))
    tight = bin_layout(one, two, 16)
    past = np.array([one, two, float(np.nextafter(two, 2.0))])
    with pytest.raises(InvalidInputError, match=r"has 1 values outside the layout's 2 bins"):
        compiled(past, np.array([True, False, True]), None, tight)


def test_bad_arguments_name_themselves():
    layout = bin_layout(0.0, 1.0, 4)
    kw = {"base": layout.base, "shift": layout.shift, "nonnegative": True, "n_cells": layout.n_bins}
    with pytest.raises(
        InvalidParameterError, match=r"'score' must be float32 or float64 \(got dtype int64\)"
    ):
        _compiled.bin_counts(np.array([0, 1]), np.array([True, False]), None, **kw)
    with pytest.raises(
        InvalidParameterError, match="'is_positive' and 'weight' must have the length"
    ):
        _compiled.bin_counts(np.array([0.0, 1.0]), np.array([True]), None, **kw)
    with pytest.raises(InvalidParameterError, match="'n_cells'"):
        _compiled.bin_counts(np.array([0.0]), np.array([True]), None, **{**kw, "n_cells": 0})


def test_empty_input_gives_empty_counts():
    layout = bin_layout(0.0, 1.0, 4)
    for weight in (None, np.zeros(0, np.int64), np.zeros(0)):
        positive, negative, _ = compiled(np.zeros(0), np.zeros(0, bool), weight, layout)
        assert positive.sum() == negative.sum() == 0 and len(positive) == layout.n_bins


def test_importing_the_module_does_not_import_numba():
    code = (
        "import sys, cutpoints\n"
        "from cutpoints.engines import _compiled\n"
        "print(_compiled.AVAILABLE, 'numba' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["True", "False"]


def test_worthwhile_pays_the_start_up_only_for_big_inputs(monkeypatch):
    monkeypatch.setattr(_compiled, "_warm", False)
    assert not _compiled.worthwhile(_compiled.COLD_START_ROWS - 1)
    assert _compiled.worthwhile(_compiled.COLD_START_ROWS)
    layout = bin_layout(0.0, 1.0, 4)
    compiled(np.array([0.5]), np.array([True]), None, layout)
    assert _compiled.worthwhile(1)  # loaded: no start-up left to pay


def test_without_numba_it_says_so_and_raises_import_error():
    code = (
        "import sys; sys.modules['numba'] = None\n"
        "import numpy as np\n"
        "from cutpoints.engines import _compiled\n"
        "print(_compiled.AVAILABLE, _compiled.worthwhile(10**9))\n"
        "try:\n"
        "    _compiled.bin_counts(np.zeros(1), np.zeros(1, bool), None, base=1 << 63,"
        " shift=0, nonnegative=True, n_cells=1)\n"
        "except ImportError:\n"
        "    print('ImportError')"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False", "ImportError"]


@settings(max_examples=60, deadline=None)
@given(
    values=st.lists(st.integers(-(2**62), 2**62), min_size=1, max_size=300),
    dtype=st.sampled_from(["int32", "int64"]),
    threads=st.sampled_from([1, 2, 3]),
)
def test_min_max_is_numpys(values, dtype, threads):
    """The one-pass min and max of validation's big integer weights, on any threads."""
    info = np.iinfo(dtype)
    array = np.clip(np.array(values), info.min, info.max).astype(dtype)
    saved = _compiled._MIN_ROWS_PER_THREAD
    _compiled._MIN_ROWS_PER_THREAD = 1  # parts of a few rows
    try:
        with limit_sort_threads(threads):
            assert _compiled.min_max(array) == (int(array.min()), int(array.max()))
    finally:
        _compiled._MIN_ROWS_PER_THREAD = saved


def test_min_max_refuses_what_it_cannot_scan():
    with pytest.raises(InvalidParameterError, match="'values' must not be empty"):
        _compiled.min_max(np.zeros(0, dtype=np.int32))
    with pytest.raises(InvalidParameterError, match=r"'values' must be int32 or int64 \(got"):
        _compiled.min_max(np.zeros(3, dtype=np.uint8))


def test_collect_weighted_counts_refuses_bad_arguments():
    layout = bin_layout(0.0, 1.0, 4)
    score, y = np.array([0.0, 0.5, 1.0]), np.array([True, False, True])
    kw = {"window": (0, 1), "capacity": 3, "weight_max": 2}
    w = np.array([1, 2, 1])
    with pytest.raises(InvalidParameterError, match="'weight' must hold integers"):
        _compiled.collect_weighted_counts(score, y, w * 1.0, layout, **kw)
    with pytest.raises(InvalidParameterError, match="'is_positive' and 'weight' must have"):
        _compiled.collect_weighted_counts(score, y, w[:2], layout, **kw)
    with pytest.raises(InvalidParameterError, match=r"'weight_max' must be a positive"):
        _compiled.collect_weighted_counts(score, y, w, layout, **{**kw, "weight_max": 0})
    with pytest.raises(InvalidParameterError, match=r"'window' must be two bins"):
        _compiled.collect_weighted_counts(score, y, w, layout, **{**kw, "window": (0, 99)})
    with pytest.raises(InvalidParameterError, match=r"'capacity' must be non-negative"):
        _compiled.collect_weighted_counts(score, y, w, layout, **{**kw, "capacity": -1})


@contextlib.contextmanager
def kernel_dtypes(prefix, table=-1):
    """The dtype of argument ``table`` (their cells) of each call of the kernels named
    ``prefix...``: the kernels wrapped in place, put back after."""
    kernels = _compiled._compile()
    saved = {name: kernel for name, kernel in kernels.items() if name.startswith(prefix)}
    widths = []

    def spy(kernel):
        def call(*args):
            widths.append(args[table].dtype.name)
            return kernel(*args)

        return call

    kernels.update({name: spy(kernel) for name, kernel in saved.items()})
    try:
        yield widths
    finally:
        kernels.update(saved)


def expected_widths(weight_max, parts):
    """int32 cells for a part whose ``weight_max * rows`` fits int32, else int64."""
    return sorted("int32" if weight_max * (b - a) <= 2**31 - 1 else "int64" for a, b in parts)


@settings(max_examples=40, deadline=None)
@given(
    problem=binary_problems(weighted=False, min_size=1),
    high=st.sampled_from([1, 3, 1000, 2**28]),
    dtype=st.sampled_from(["int32", "int64"]),
    float32=st.booleans(),
    seed=st.integers(0, 2**32 - 1),
)
def test_positive_weights_of_known_maximum_sum_alike(problem, high, dtype, float32, seed):
    """The lean loop (weight_max given) sums as the full weighted loop does, in int32
    cells while the part's bound fits, in int64 past it (2**28 * a few rows of one cell)."""
    y, score, _ = problem
    if float32 and np.all(np.abs(score) < 1e30):  # else float32 would make them inf
        score = np.asarray(score, dtype=np.float32)
    weight = np.random.default_rng(seed).integers(1, high + 1, len(y)).astype(dtype)
    weight[: len(y) // 2] = high  # many rows at the maximum: cells past int32 for 2**28
    layout = bin_layout(float(score.min()), float(score.max()), 4)
    kw = {"base": layout.base, "shift": layout.shift, "nonnegative": layout.nonnegative}
    kw["n_cells"] = layout.n_bins
    full = _compiled.bin_counts(score, y, weight, count_rows=False, **kw)
    with kernel_dtypes("positive_") as widths:
        lean = _compiled.bin_counts(score, y, weight, count_rows=False, weight_max=high, **kw)
    # Each part's cells: int32 while weight_max * its rows fits int32, else int64.
    assert sorted(widths) == expected_widths(high, _compiled._even_parts(len(y)))
    for a, b in zip(full[:2], lean[:2], strict=True):
        assert a.dtype == b.dtype == np.int64
        np.testing.assert_array_equal(a, b)
    assert lean[2] is None
    brute = brute_force(score, y, weight.astype(np.int64), layout)  # no int32 wrap
    np.testing.assert_array_equal(lean[0], brute[0].astype(np.int64))


def test_a_bad_weight_maximum_is_refused():
    layout = bin_layout(0.0, 1.0, 4)
    kw = {"base": layout.base, "shift": layout.shift, "nonnegative": True, "n_cells": layout.n_bins}
    with pytest.raises(InvalidParameterError, match=r"'weight_max' must be a positive int64"):
        _compiled.bin_counts(
            np.array([0.0, 1.0]), np.array([True, False]), np.array([1, 2]), weight_max=0, **kw
        )


@settings(max_examples=80, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(1, 200),
    dtype=st.sampled_from(["uint8", "int16", "int32", "uint32", "int64", "uint64"]),
    high=st.sampled_from([1, 7, 2**31 + 5, 2**40]),
    threads=st.sampled_from([1, 2, 3]),
    float32=st.booleans(),
    empty_window=st.booleans(),
)
def test_collect_weighted_counts_on_threads_is_brute_force(
    seed, n, dtype, high, threads, float32, empty_window
):
    """Split over 1-3 threads (parts of a few rows), the weighted collecting pass sums
    each bin's weight as a row-by-row count does, in int32 cells where a part's
    weight_max * rows fits, keeps exactly the window's rows (and the top bin's) in
    input order, and reports an overflow when a part finds one row more than it holds."""
    rng = np.random.default_rng(seed)
    score = np.round(rng.normal(size=n), int(rng.integers(1, 4)))  # ties
    if seed % 2:
        score = np.abs(score)
    if float32:
        score = score.astype(np.float32)
    y = rng.random(n) < 0.4
    weight = rng.integers(1, min(high, np.iinfo(dtype).max) + 1, n).astype(dtype)
    layout = bin_layout(float(score.min()), float(score.max()), int(rng.integers(1, 9)))
    low = int(rng.integers(0, layout.n_bins))
    window = (1, 0) if empty_window else (low, int(rng.integers(low, layout.n_bins)))
    cells = (_histogram._keys_of(score) - np.uint64(layout.base)) >> np.uint64(layout.shift)
    expected = np.flatnonzero(_histogram.window_marks(layout, window)[cells.astype(np.int64)])
    brute = np.zeros(2 * layout.n_bins, dtype=object)
    for cell, label, w in zip(cells, y, weight, strict=True):
        brute[2 * int(cell) + int(label)] += int(w)
    top = int(weight.max())
    saved = _compiled._MIN_ROWS_PER_THREAD
    _compiled._MIN_ROWS_PER_THREAD = 1
    try:
        with limit_sort_threads(threads), kernel_dtypes("collect_weighted_", table=9) as widths:
            parts = _compiled._even_parts(n)
            capacity = max(int(((expected >= a) & (expected < b)).sum()) for a, b in parts)
            kw = {"window": window, "weight_max": top}
            by_class, rows = _compiled.collect_weighted_counts(
                score, y, weight, layout, capacity=capacity, **kw
            )
            _, fewer = _compiled.collect_weighted_counts(
                score, y, weight, layout, capacity=max(capacity - 1, 0), **kw
            )
    finally:
        _compiled._MIN_ROWS_PER_THREAD = saved
    assert len(parts) == min(threads, n)
    assert sorted(widths[: len(parts)]) == expected_widths(top, parts)
    assert by_class.dtype == np.int64 and by_class.tolist() == brute.tolist()
    assert rows is not None
    np.testing.assert_array_equal(rows[0], score[expected])
    np.testing.assert_array_equal(rows[1], y[expected])
    assert rows[2].tolist() == weight[expected].tolist()
    assert (fewer is None) == (capacity > 0)


def test_min_max_of_a_strided_array_reads_it_in_place():
    """A strided array (a table's column) gets numpy's min and max: no contiguous copy
    for the compiled pass (8e8 bytes for 1e8 int64 weights)."""
    table = np.random.default_rng(0).integers(-(2**40), 2**40, (500, 2))
    column = table[:, 1]
    assert not column.flags.c_contiguous
    with kernel_dtypes("min_max", table=0) as calls:
        assert _compiled.min_max(column) == (int(column.min()), int(column.max()))
        assert calls == []
        assert _compiled.min_max(column.copy()) == (int(column.min()), int(column.max()))
        assert calls == ["int64"]  # a contiguous one: the compiled pass
