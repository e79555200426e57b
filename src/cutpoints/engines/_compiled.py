"""The compiled counting pass: score bits to bin, label bit and count, fused in one loop.

The histogram engine's first counting pass (:func:`cutpoints.engines._histogram.histogram`
at level 0) computes, per chunk of rows, each score's order-preserving key, its bin
``(key - base) >> shift``, the slot ``2 * bin + label`` and a ``np.bincount`` -- five
full-length temporaries per chunk. :func:`bin_counts` does the same in one loop compiled
by numba: no temporaries, one read of each input column. The numpy pass stays the
oracle: ``tests/test_compiled.py`` checks that both give the same tables, to the count
and, for float weights, to the bit.

Exactly the numpy pass's semantics:

- a float32 score is keyed as the float64 it widens to (computed on its 32 bits, no
  float64 copy); ``-0.0`` keys as ``+0.0``; negative scores order in reverse of their
  magnitude; under a non-negative layout the sign is dropped, as there;
- unweighted: row counts per class (int32 counters per thread, int64 totals); integer
  weights (any width, read as given): int64 sums (exact; int32 cells per thread while
  the thread's total weight fits int32, else counted again in int64; the numpy pass sums
  them in float64, exact below 2**53, then converts);
- float weights: float64 sums **in the numpy pass's order** -- per chunk of ``_CHUNK``
  rows, a sum in row order starting from zero; per group of ``_GROUP`` rows, the chunks'
  sums added in order; the groups' tables added in group order. The groups are fixed, so
  the sums do not depend on the number of threads;
- rows per bin (``rows``) with weights that include zeros (a score whose rows all weigh
  zero is still a threshold).

Rows outside the layout's bins are counted, not written: :func:`bin_counts` raises.

Threads: the kernels are compiled with ``nogil=True`` and run on a pool of Python
threads (``CUTPOINTS_NUM_THREADS``, or :func:`~cutpoints.engines.limit_sort_threads`,
caps them, like every other pass). numba's own ``prange`` would need a threading layer:
GNU OpenMP (the default here) is not fork-safe, the workqueue layer is not thread-safe,
and neither honours a per-context thread limit; Python threads are safe and measured as
fast (``docs/dependencies.md``).

numba is imported on the first call only (``import cutpoints`` stays light), and the
kernels are compiled with ``cache=True``: the first call in a fresh environment compiles
them (seconds), later processes load the cached machine code but still pay numba's
start-up (about a second): :func:`worthwhile` says when that pays off.
"""

from __future__ import annotations

import importlib.util
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import numpy.typing as npt

from ..errors import InvalidInputError, InvalidParameterError
from ._sort import sort_threads

__all__ = [
    "AVAILABLE",
    "COLD_START_ROWS",
    "bin_counts",
    "collect_counts",
    "collect_weighted_counts",
    "layout_counts",
    "min_max",
    "worthwhile",
]

IntArray = npt.NDArray[np.int64]
Table = npt.NDArray[np.int64] | npt.NDArray[np.float64]

_CHUNK = 1 << 18  # the numpy pass's rows per chunk: float sums follow its order
_GROUP = 1 << 22  # the numpy pass's rows per task (fixed, so independent of threads)
_MAX_PART = 1 << 30  # rows per unweighted part: its int32 counters cannot overflow
_INT32_MAX = (1 << 31) - 1
_MIN_ROWS_PER_THREAD = 1 << 16  # below this, a second thread costs more than it saves


def _installed(name: str) -> bool:
    """Whether ``name`` can be imported (found without importing it)."""
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):  # ValueError: blocked in sys.modules
        return False


#: Whether the compiled pass can run here: numba is installed (it is imported, and the
#: kernels compiled, on the first call of :func:`bin_counts`).
AVAILABLE: bool = _installed("numba")

#: Rows from which the compiled pass pays for numba's one-time start-up in a process
#: (import, type registries, loading the cached kernels: about 1-2 s on 2 cores) within
#: one counting pass; below it, the numpy pass runs until the kernels are loaded.
COLD_START_ROWS = 50_000_000

_lock = threading.Lock()
_warm = False  # a kernel has run in this process: no start-up left to pay
_kernels: dict[str, Callable[..., Any]] | None = None
_pool: ThreadPoolExecutor | None = None
_pool_size = 0


# ---------------------------------------------------------------------------- kernels
# Plain functions, compiled by numba on first use (see _compile). Each kernel handles
# rows [start, stop) and returns how many of them fell outside the layout's cells (0 for
# data the layout was made from; the caller raises otherwise). numba types: every key
# quantity is uint64 -- mixing it with int64 would promote to float64.


def _relative_key(  # pragma: no cover - compiled
    bits32: Any,
    bits64: Any,
    i: int,
    is32: bool,
    nonnegative: bool,
    base: Any,
    base_low: Any,
) -> Any:
    """``key - base`` of row ``i``'s score, from its float32 or float64 bits.

    A float32 is keyed as the float64 it widens to, computed on its bits: for a normal
    float32 the float64 bits are the float32's with the exponent re-biased (+896) and
    29 zero bits appended; zero stays zero; a subnormal float32 (rare) becomes a normal
    float64 (:func:`_subnormal32`). ``-0.0`` keys as ``+0.0``.
    """
    high = np.uint64(1 << 63)
    low_mask = np.uint64((1 << 63) - 1)
    if is32:
        u = np.uint64(bits32[i])
        negative = u >= np.uint64(1 << 31)
        m = u & np.uint64(0x7FFFFFFF)
        if m >= np.uint64(0x00800000):
            mag = (m + np.uint64(896 << 23)) << np.uint64(29)
        elif m == np.uint64(0):
            mag = np.uint64(0)
        else:
            mag = _subnormal32(m)
    else:
        u = bits64[i]
        negative = u >= high
        mag = u & low_mask
    if nonnegative:
        return mag - base_low  # the sign is dropped, as in the numpy pass (-0.0 is +0.0)
    if negative and mag != np.uint64(0):
        return (low_mask - mag) - base  # ~bits: negative scores in reverse of magnitude
    return (mag | high) - base


def _subnormal32(m: Any) -> Any:  # pragma: no cover - compiled
    """The float64 bits of the subnormal float32 whose bits are ``m`` (``0 < m < 2**23``).

    Its value is ``m * 2**-149``; as a float64 it is normal: with ``p`` the index of
    ``m``'s top bit, exponent ``p - 149`` (biased: ``p + 874``) and the bits below ``p``
    as the mantissa's top bits. Integer arithmetic only (an array or a call in the hot
    loop would cost 3x).
    """
    p = np.uint64(0)
    t = m
    while t > np.uint64(1):
        t >>= np.uint64(1)
        p += np.uint64(1)
    mantissa = (m ^ (np.uint64(1) << p)) << (np.uint64(52) - p)
    return ((p + np.uint64(874)) << np.uint64(52)) | mantissa


# The loops take ``is32`` and ``nonnegative`` as constants: the kernels below call them
# once per combination and numba inlines them, so each loop is compiled without those
# branches (branches on run-time flags inside the loop cost 1.5-2x).


def _unweighted_loop(  # pragma: no cover - compiled
    bits32: Any,
    bits64: Any,
    is_positive: Any,
    start: int,
    stop: int,
    base: Any,
    shift: Any,
    is32: bool,
    nonnegative: bool,
    n_cells: Any,
    table: Any,
) -> int:
    base_low = base & np.uint64((1 << 63) - 1)
    outside = 0
    # Slices, indexed from 0 by a range numba knows is non-negative: no wrap-around
    # checks in the loop (range(start, stop) costs 1.5x).
    b32, b64 = bits32[start:stop] if is32 else bits32, bits64 if is32 else bits64[start:stop]
    labels = is_positive[start:stop]
    for i in range(stop - start):
        rel = _relative_key(b32, b64, i, is32, nonnegative, base, base_low)
        cell = rel >> shift
        if cell >= n_cells:
            outside += 1
            continue
        table[2 * np.int64(cell) + np.int64(labels[i])] += 1
    return outside


def _collect_loop(  # pragma: no cover - compiled
    bits32: Any,
    bits64: Any,
    is_positive: Any,
    start: int,
    stop: int,
    base: Any,
    shift: Any,
    is32: bool,
    nonnegative: bool,
    n_cells: Any,
    table: Any,
    window: Any,
    out32: Any,
    out64: Any,
    out_labels: Any,
    state: Any,
) -> int:
    """:func:`_unweighted_loop` that also writes each row whose cell lies in
    ``window[0] <= cell <= window[1]`` or is the top cell ``n_cells - 1`` -- its score's
    bits into ``out32`` (float32) or ``out64`` (float64), its label into ``out_labels``
    (speculative refinement): ``state[0]`` counts them all, only the first
    ``len(out_labels)`` are written (more: the caller sees an overflow). Two compares a
    row, no table lookup (a lookup cost 1.8x the plain count); values, not indices, so
    the refinement reads no scattered rows afterwards."""
    base_low = base & np.uint64((1 << 63) - 1)
    outside = 0
    b32, b64 = bits32[start:stop] if is32 else bits32, bits64 if is32 else bits64[start:stop]
    labels = is_positive[start:stop]
    capacity = len(out_labels)
    found = state[0]
    low = window[0]
    span = window[1] - window[0]
    top = n_cells - np.uint64(1)
    for i in range(stop - start):
        rel = _relative_key(b32, b64, i, is32, nonnegative, base, base_low)
        cell = rel >> shift
        if cell >= n_cells:
            outside += 1
            continue
        table[2 * np.int64(cell) + np.int64(labels[i])] += 1
        # Unsigned: cells below ``low`` wrap past ``span``. (A branch measured faster
        # than a branch-free write of every row: 1.15x the plain count, not 1.7x.)
        if (cell - low <= span) | (cell == top):
            if found < capacity:
                if is32:
                    out32[found] = b32[i]
                else:
                    out64[found] = b64[i]
                out_labels[found] = labels[i]
            found += 1
    state[0] = found
    return outside


def _collect_f32_nonnegative(  # pragma: no cover - compiled
    bits32: Any, bits64: Any, is_positive: Any, start: int, stop: int, base: Any, shift: Any,
    n_cells: Any, table: Any, window: Any, out32: Any, out64: Any, out_labels: Any,
    state: Any,
) -> int:  # fmt: skip
    return _collect_loop(
        bits32, bits64, is_positive, start, stop, base, shift, True, True, n_cells, table,
        window, out32, out64, out_labels, state,
    )  # fmt: skip


def _collect_f32_signed(  # pragma: no cover - compiled
    bits32: Any, bits64: Any, is_positive: Any, start: int, stop: int, base: Any, shift: Any,
    n_cells: Any, table: Any, window: Any, out32: Any, out64: Any, out_labels: Any,
    state: Any,
) -> int:  # fmt: skip
    return _collect_loop(
        bits32, bits64, is_positive, start, stop, base, shift, True, False, n_cells, table,
        window, out32, out64, out_labels, state,
    )  # fmt: skip


def _collect_f64_nonnegative(  # pragma: no cover - compiled
    bits32: Any, bits64: Any, is_positive: Any, start: int, stop: int, base: Any, shift: Any,
    n_cells: Any, table: Any, window: Any, out32: Any, out64: Any, out_labels: Any,
    state: Any,
) -> int:  # fmt: skip
    return _collect_loop(
        bits32, bits64, is_positive, start, stop, base, shift, False, True, n_cells, table,
        window, out32, out64, out_labels, state,
    )  # fmt: skip


def _collect_f64_signed(  # pragma: no cover - compiled
    bits32: Any, bits64: Any, is_positive: Any, start: int, stop: int, base: Any, shift: Any,
    n_cells: Any, table: Any, window: Any, out32: Any, out64: Any, out_labels: Any,
    state: Any,
) -> int:  # fmt: skip
    return _collect_loop(
        bits32, bits64, is_positive, start, stop, base, shift, False, False, n_cells, table,
        window, out32, out64, out_labels, state,
    )  # fmt: skip


def _positive_loop(  # pragma: no cover - compiled
    bits32: Any,
    bits64: Any,
    is_positive: Any,
    weight: Any,
    start: int,
    stop: int,
    base: Any,
    shift: Any,
    is32: bool,
    nonnegative: bool,
    n_cells: Any,
    table: Any,
) -> int:
    """:func:`_unweighted_loop` adding each row's (positive, integer) weight: no row
    counts, no zero count, no running total (the caller bounds the cells by the largest
    weight beforehand): 0.8x the time of :func:`_weighted_loop`."""
    base_low = base & np.uint64((1 << 63) - 1)
    outside = 0
    b32, b64 = bits32[start:stop] if is32 else bits32, bits64 if is32 else bits64[start:stop]
    labels, weights = is_positive[start:stop], weight[start:stop]
    for i in range(stop - start):
        rel = _relative_key(b32, b64, i, is32, nonnegative, base, base_low)
        cell = rel >> shift
        if cell >= n_cells:
            outside += 1
            continue
        table[2 * np.int64(cell) + np.int64(labels[i])] += weights[i]
    return outside


def _collect_weighted_loop(  # pragma: no cover - compiled
    bits32: Any,
    bits64: Any,
    is_positive: Any,
    weight: Any,
    start: int,
    stop: int,
    base: Any,
    shift: Any,
    is32: bool,
    nonnegative: bool,
    n_cells: Any,
    table: Any,
    window: Any,
    out32: Any,
    out64: Any,
    out_labels: Any,
    out_weights: Any,
    state: Any,
) -> int:
    """:func:`_collect_loop` with positive integer weights: each row's weight is added
    to its cell, and a collected row's weight is written to ``out_weights`` too.

    Leaner than :func:`_weighted_loop`: no row counts (the weights are positive), no
    running total (the caller bounds the cells by ``max(weight) * rows`` beforehand and
    passes int64 cells where int32 could overflow). Those two, with the collect branch,
    made an earlier variant run 2x the plain weighted count.
    """
    base_low = base & np.uint64((1 << 63) - 1)
    outside = 0
    b32, b64 = bits32[start:stop] if is32 else bits32, bits64 if is32 else bits64[start:stop]
    labels, weights = is_positive[start:stop], weight[start:stop]
    capacity = len(out_labels)
    found = state[0]
    low = window[0]
    span = window[1] - window[0]
    top = n_cells - np.uint64(1)
    for i in range(stop - start):
        rel = _relative_key(b32, b64, i, is32, nonnegative, base, base_low)
        cell = rel >> shift
        if cell >= n_cells:
            outside += 1
            continue
        w = weights[i]
        table[2 * np.int64(cell) + np.int64(labels[i])] += w
        if (cell - low <= span) | (cell == top):  # unsigned: cells below low wrap
            if found < capacity:
                if is32:
                    out32[found] = b32[i]
                else:
                    out64[found] = b64[i]
                out_labels[found] = labels[i]
                out_weights[found] = w
            found += 1
    state[0] = found
    return outside


def _positive_f32_nonnegative(  # pragma: no cover - compiled
    bits32: Any, bits64: Any, is_positive: Any, weight: Any, start: int, stop: int,
    base: Any, shift: Any, n_cells: Any, table: Any,
) -> int:  # fmt: skip
    return _positive_loop(
        bits32, bits64, is_positive, weight, start, stop, base, shift, True, True, n_cells,
        table,
    )  # fmt: skip


def _positive_f32_signed(  # pragma: no cover - compiled
    bits32: Any, bits64: Any, is_positive: Any, weight: Any, start: int, stop: int,
    base: Any, shift: Any, n_cells: Any, table: Any,
) -> int:  # fmt: skip
    return _positive_loop(
        bits32, bits64, is_positive, weight, start, stop, base, shift, True, False, n_cells,
        table,
    )  # fmt: skip


def _positive_f64_nonnegative(  # pragma: no cover - compiled
    bits32: Any, bits64: Any, is_positive: Any, weight: Any, start: int, stop: int,
    base: Any, shift: Any, n_cells: Any, table: Any,
) -> int:  # fmt: skip
    return _positive_loop(
        bits32, bits64, is_positive, weight, start, stop, base, shift, False, True, n_cells,
        table,
    )  # fmt: skip


def _positive_f64_signed(  # pragma: no cover - compiled
    bits32: Any, bits64: Any, is_positive: Any, weight: Any, start: int, stop: int,
    base: Any, shift: Any, n_cells: Any, table: Any,
) -> int:  # fmt: skip
    return _positive_loop(
        bits32, bits64, is_positive, weight, start, stop, base, shift, False, False, n_cells,
        table,
    )  # fmt: skip


def _collect_weighted_f32_nonnegative(  # pragma: no cover - compiled
    bits32: Any, bits64: Any, is_positive: Any, weight: Any, start: int, stop: int,
    base: Any, shift: Any, n_cells: Any, table: Any, window: Any, out32: Any, out64: Any,
    out_labels: Any, out_weights: Any, state: Any,
) -> int:  # fmt: skip
    return _collect_weighted_loop(
        bits32, bits64, is_positive, weight, start, stop, base, shift, True, True, n_cells,
        table, window, out32, out64, out_labels, out_weights, state,
    )  # fmt: skip


def _collect_weighted_f32_signed(  # pragma: no cover - compiled
    bits32: Any, bits64: Any, is_positive: Any, weight: Any, start: int, stop: int,
    base: Any, shift: Any, n_cells: Any, table: Any, window: Any, out32: Any, out64: Any,
    out_labels: Any, out_weights: Any, state: Any,
) -> int:  # fmt: skip
    return _collect_weighted_loop(
        bits32, bits64, is_positive, weight, start, stop, base, shift, True, False, n_cells,
        table, window, out32, out64, out_labels, out_weights, state,
    )  # fmt: skip


def _collect_weighted_f64_nonnegative(  # pragma: no cover - compiled
    bits32: Any, bits64: Any, is_positive: Any, weight: Any, start: int, stop: int,
    base: Any, shift: Any, n_cells: Any, table: Any, window: Any, out32: Any, out64: Any,
    out_labels: Any, out_weights: Any, state: Any,
) -> int:  # fmt: skip
    return _collect_weighted_loop(
        bits32, bits64, is_positive, weight, start, stop, base, shift, False, True, n_cells,
        table, window, out32, out64, out_labels, out_weights, state,
    )  # fmt: skip


def _collect_weighted_f64_signed(  # pragma: no cover - compiled
    bits32: Any, bits64: Any, is_positive: Any, weight: Any, start: int, stop: int,
    base: Any, shift: Any, n_cells: Any, table: Any, window: Any, out32: Any, out64: Any,
    out_labels: Any, out_weights: Any, state: Any,
) -> int:  # fmt: skip
    return _collect_weighted_loop(
        bits32, bits64, is_positive, weight, start, stop, base, shift, False, False, n_cells,
        table, window, out32, out64, out_labels, out_weights, state,
    )  # fmt: skip


def _weighted_loop(  # pragma: no cover - compiled
    bits32: Any,
    bits64: Any,
    is_positive: Any,
    weight: Any,
    start: int,
    stop: int,
    base: Any,
    shift: Any,
    is32: bool,
    nonnegative: bool,
    n_cells: Any,
    table: Any,
    rows: Any,
    count_rows: bool,
    zeros: Any,
    track: bool,
) -> int:
    base_low = base & np.uint64((1 << 63) - 1)
    outside = 0
    n_zero = 0
    total = np.int64(0)
    b32, b64 = bits32[start:stop] if is32 else bits32, bits64 if is32 else bits64[start:stop]
    labels, weights = is_positive[start:stop], weight[start:stop]
    for i in range(stop - start):
        rel = _relative_key(b32, b64, i, is32, nonnegative, base, base_low)
        cell = rel >> shift
        if cell >= n_cells:
            outside += 1
            continue
        c = np.int64(cell)
        w = weights[i]
        if not w > 0:
            n_zero += 1
        table[2 * c + np.int64(labels[i])] += w
        if track:  # integer weights: their total bounds every cell's (see bin_counts)
            total += np.int64(w)
        if count_rows:
            rows[c] += 1
    zeros[0] += n_zero
    if track:
        zeros[1] += total
    return outside


def _count_weighted(  # pragma: no cover - compiled
    bits32: Any,
    bits64: Any,
    is_positive: Any,
    weight: Any,
    start: int,
    stop: int,
    base: Any,
    shift: Any,
    nonnegative: bool,
    n_cells: Any,
    table: Any,
    rows: Any,
    count_rows: bool,
    zeros: Any,
) -> int:
    """Weights summed in row order into ``table`` (int64 or float64)."""
    if len(bits32):
        if nonnegative:
            return _weighted_loop(
                bits32,
                bits64,
                is_positive,
                weight,
                start,
                stop,
                base,
                shift,
                True,
                True,
                n_cells,
                table,
                rows,
                count_rows,
                zeros,
                False,
            )
        return _weighted_loop(
            bits32,
            bits64,
            is_positive,
            weight,
            start,
            stop,
            base,
            shift,
            True,
            False,
            n_cells,
            table,
            rows,
            count_rows,
            zeros,
            False,
        )
    if nonnegative:
        return _weighted_loop(
            bits32,
            bits64,
            is_positive,
            weight,
            start,
            stop,
            base,
            shift,
            False,
            True,
            n_cells,
            table,
            rows,
            count_rows,
            zeros,
            False,
        )
    return _weighted_loop(
        bits32,
        bits64,
        is_positive,
        weight,
        start,
        stop,
        base,
        shift,
        False,
        False,
        n_cells,
        table,
        rows,
        count_rows,
        zeros,
        False,
    )


# One kernel per score width and layout sign, each compiled (and cached) on its first
# use only: a fresh environment compiles the one it needs (float32 probabilities: the
# non-negative float32 kernel), not all four.


def _unweighted_f32_nonnegative(  # pragma: no cover - compiled
    bits32: Any,
    bits64: Any,
    is_positive: Any,
    start: int,
    stop: int,
    base: Any,
    shift: Any,
    n_cells: Any,
    table: Any,
) -> int:
    return _unweighted_loop(
        bits32, bits64, is_positive, start, stop, base, shift, True, True, n_cells, table
    )


def _unweighted_f32_signed(  # pragma: no cover - compiled
    bits32: Any,
    bits64: Any,
    is_positive: Any,
    start: int,
    stop: int,
    base: Any,
    shift: Any,
    n_cells: Any,
    table: Any,
) -> int:
    return _unweighted_loop(
        bits32, bits64, is_positive, start, stop, base, shift, True, False, n_cells, table
    )


def _unweighted_f64_nonnegative(  # pragma: no cover - compiled
    bits32: Any,
    bits64: Any,
    is_positive: Any,
    start: int,
    stop: int,
    base: Any,
    shift: Any,
    n_cells: Any,
    table: Any,
) -> int:
    return _unweighted_loop(
        bits32, bits64, is_positive, start, stop, base, shift, False, True, n_cells, table
    )


def _unweighted_f64_signed(  # pragma: no cover - compiled
    bits32: Any,
    bits64: Any,
    is_positive: Any,
    start: int,
    stop: int,
    base: Any,
    shift: Any,
    n_cells: Any,
    table: Any,
) -> int:
    return _unweighted_loop(
        bits32, bits64, is_positive, start, stop, base, shift, False, False, n_cells, table
    )


def _weighted_f32_nonnegative(  # pragma: no cover - compiled
    bits32: Any,
    bits64: Any,
    is_positive: Any,
    weight: Any,
    start: int,
    stop: int,
    base: Any,
    shift: Any,
    n_cells: Any,
    table: Any,
    rows: Any,
    count_rows: bool,
    zeros: Any,
) -> int:
    return _weighted_loop(
        bits32,
        bits64,
        is_positive,
        weight,
        start,
        stop,
        base,
        shift,
        True,
        True,
        n_cells,
        table,
        rows,
        count_rows,
        zeros,
        True,
    )


def _weighted_f32_signed(  # pragma: no cover - compiled
    bits32: Any,
    bits64: Any,
    is_positive: Any,
    weight: Any,
    start: int,
    stop: int,
    base: Any,
    shift: Any,
    n_cells: Any,
    table: Any,
    rows: Any,
    count_rows: bool,
    zeros: Any,
) -> int:
    return _weighted_loop(
        bits32,
        bits64,
        is_positive,
        weight,
        start,
        stop,
        base,
        shift,
        True,
        False,
        n_cells,
        table,
        rows,
        count_rows,
        zeros,
        True,
    )


def _weighted_f64_nonnegative(  # pragma: no cover - compiled
    bits32: Any,
    bits64: Any,
    is_positive: Any,
    weight: Any,
    start: int,
    stop: int,
    base: Any,
    shift: Any,
    n_cells: Any,
    table: Any,
    rows: Any,
    count_rows: bool,
    zeros: Any,
) -> int:
    return _weighted_loop(
        bits32,
        bits64,
        is_positive,
        weight,
        start,
        stop,
        base,
        shift,
        False,
        True,
        n_cells,
        table,
        rows,
        count_rows,
        zeros,
        True,
    )


def _weighted_f64_signed(  # pragma: no cover - compiled
    bits32: Any,
    bits64: Any,
    is_positive: Any,
    weight: Any,
    start: int,
    stop: int,
    base: Any,
    shift: Any,
    n_cells: Any,
    table: Any,
    rows: Any,
    count_rows: bool,
    zeros: Any,
) -> int:
    return _weighted_loop(
        bits32,
        bits64,
        is_positive,
        weight,
        start,
        stop,
        base,
        shift,
        False,
        False,
        n_cells,
        table,
        rows,
        count_rows,
        zeros,
        True,
    )


def _count_float_weights(  # pragma: no cover - compiled
    bits32: Any,
    bits64: Any,
    is_positive: Any,
    weight: Any,
    start: int,
    stop: int,
    base: Any,
    shift: Any,
    nonnegative: bool,
    n_cells: Any,
    table: Any,
    chunk_table: Any,
    rows: Any,
    count_rows: bool,
    zeros: Any,
    chunk: int,
) -> int:
    """Float weights: per chunk of ``chunk`` rows a fresh sum, added to ``table``.

    ``[start, stop)`` is one group of the numpy pass; ``table`` starts at zero.
    """
    outside = 0
    for a in range(start, stop, chunk):
        b = min(a + chunk, stop)
        chunk_table[:] = 0.0
        outside += _count_weighted(
            bits32,
            bits64,
            is_positive,
            weight,
            a,
            b,
            base,
            shift,
            nonnegative,
            n_cells,
            chunk_table,
            rows,
            count_rows,
            zeros,
        )
        table += chunk_table  # like the numpy pass's ``by_class += np.bincount(...)``
    return outside


def _min_max_loop(values: Any, start: int, stop: int, out: Any) -> None:  # pragma: no cover
    """``out[:] = min, max`` of ``values[start:stop]`` (non-empty, no NaN), in one read."""
    part = values[start:stop]
    low = high = part[0]
    for i in range(1, stop - start):
        v = part[i]
        low = min(low, v)
        high = max(high, v)
    out[0] = low
    out[1] = high


def _compile() -> dict[str, Callable[..., Any]]:
    """The compiled kernels (imports numba; compiles, or loads from the cache, lazily)."""
    global _kernels
    with _lock:
        if _kernels is None:
            global AVAILABLE
            try:
                import numba
            except ImportError:
                AVAILABLE = False  # installed but broken (say, a newer numpy than it knows)
                raise

            jit = numba.njit(nogil=True, cache=True, boundscheck=False)
            # Kernels call helpers through this module's globals, which numba resolves
            # when it compiles: point those names at the compiled helpers first.
            module = globals()
            inline = numba.njit(inline="always")
            module["_subnormal32"] = inline(_subnormal32)
            module["_relative_key"] = inline(_relative_key)
            module["_unweighted_loop"] = inline(_unweighted_loop)
            module["_collect_loop"] = inline(_collect_loop)
            module["_weighted_loop"] = inline(_weighted_loop)
            module["_collect_weighted_loop"] = inline(_collect_weighted_loop)
            module["_positive_loop"] = inline(_positive_loop)
            module["_count_weighted"] = jit(_count_weighted)
            _kernels = {"float": jit(_count_float_weights), "min_max": jit(_min_max_loop)}
            kinds = ("unweighted", "weighted", "positive", "collect", "collect_weighted")
            for kind in kinds:
                for width in ("f32", "f64"):
                    for sign in ("nonnegative", "signed"):
                        name = f"{kind}_{width}_{sign}"
                        _kernels[name] = jit(module[f"_{name}"])
        return _kernels


def min_max(values: npt.NDArray[np.int32] | npt.NDArray[np.int64]) -> tuple[int, int]:
    """The min and max of integers (non-empty) in one compiled pass, on the threads.

    Validation's check of big integer weights (numpy takes two single-threaded passes).
    A strided array gets numpy's two passes (no contiguous copy).

    Examples
    --------
    >>> import numpy as np
    >>> from cutpoints.engines._compiled import min_max
    >>> min_max(np.array([3, 1, 4, 1, 5], dtype=np.int32))
    (1, 5)
    """
    if not len(values):
        msg = "'values' must not be empty (got 0 values)"
        raise InvalidParameterError(msg)
    if values.dtype not in (np.int32, np.int64):
        msg = f"'values' must be int32 or int64 (got dtype {values.dtype})"
        raise InvalidParameterError(msg)
    if not values.flags.c_contiguous:
        # A strided view (a column of a table): a contiguous copy would cost more than
        # numpy's two passes (8e8 bytes for 1e8 int64 weights).
        return int(values.min()), int(values.max())
    low, high = threaded_min_max(values)
    return int(low), int(high)


def threaded_min_max(values: npt.NDArray[Any]) -> tuple[Any, Any]:
    """The min and max (numpy scalars) of a non-empty contiguous array of numbers
    without NaN, in one compiled pass on the threads: :func:`min_max` and the grouped
    engine's score range (``cutpoints.groups._kernels.score_range``)."""
    global _warm
    kernel = _compile()["min_max"]
    _warm = True

    def part(a: int, b: int) -> npt.NDArray[Any]:
        out = np.empty(2, dtype=values.dtype)
        kernel(values, a, b, out)
        return out

    found = np.array(_map(part, _even_parts(len(values))))
    return found[:, 0].min(), found[:, 1].max()


def worthwhile(n_rows: int) -> bool:
    """Whether to count ``n_rows`` rows with :func:`bin_counts` rather than numpy.

    True when numba is installed and either the kernels already ran in this process or
    the input is large enough (:data:`COLD_START_ROWS`) to repay numba's start-up.

    Examples
    --------
    >>> from cutpoints.engines._compiled import AVAILABLE, worthwhile
    >>> worthwhile(10**9) == AVAILABLE
    True
    """
    return AVAILABLE and (_warm or n_rows >= COLD_START_ROWS)


# ---------------------------------------------------------------------------- driver
def _map(task: Callable[[int, int], Any], parts: list[tuple[int, int]]) -> list[Any]:
    """``task(start, stop)`` over ``parts``, in order, on up to ``sort_threads()`` threads."""
    global _pool, _pool_size
    threads = min(sort_threads(), len(parts))
    if threads <= 1:
        return [task(a, b) for a, b in parts]
    with _lock:
        if _pool is None or _pool_size < threads:
            _pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="cutpoints-bins")
            _pool_size = threads
        pool = _pool
    return list(pool.map(lambda part: task(*part), parts))


def _even_parts(n: int) -> list[tuple[int, int]]:
    """Contiguous ranges, one per thread (for sums whose order does not matter).

    More parts where one would pass 2**30 rows: each part counts in int32.
    """
    k = max(1, min(sort_threads(), n // _MIN_ROWS_PER_THREAD), -(-n // _MAX_PART))
    cuts = [n * i // k for i in range(k + 1)]
    return [(cuts[i], cuts[i + 1]) for i in range(k) if cuts[i] < cuts[i + 1]] or [(0, 0)]


def bin_counts(
    score: npt.NDArray[np.float32] | npt.NDArray[np.float64],
    is_positive: npt.NDArray[np.bool_],
    weight: npt.NDArray[Any] | None,
    *,
    base: int,
    shift: int,
    nonnegative: bool,
    n_cells: int,
    count_rows: bool | None = None,
    weight_max: int | None = None,
) -> tuple[Table, Table, IntArray | None]:
    """Per-bin class totals of the histogram engine's first pass, in one compiled loop.

    Each row's bin is ``(key - base) >> shift``, where ``key`` is the order-preserving
    uint64 key of its score read as float64 (:func:`cutpoints.engines._histogram.bin_layout`
    gives ``base``, ``shift``, ``nonnegative`` and ``n_cells``).

    Parameters
    ----------
    score : ndarray of float32 or float64, shape (n_rows,)
        Finite scores (validated upstream).
    is_positive : ndarray of bool, shape (n_rows,)
    weight : ndarray of integers or floats, shape (n_rows,), or None
        Non-negative weights (narrow ones, such as int32 or float32, are summed as they
        are into int64 / float64 cells); None counts rows.
    base, shift : int
        The layout's key of its lowest score and the bits dropped to reach a bin.
    nonnegative : bool
        Every score of the layout is ``>= 0`` (keys are the float's bits, sign cleared).
    n_cells : int
        Number of bins: every row must fall in ``[0, n_cells)``.
    count_rows : bool or None, default None
        Also count rows per bin when weighted. None: when some weight is zero.
    weight_max : int, optional
        The largest of integer weights that are all positive, when the caller knows it
        (validation does): with ``count_rows`` False, they are summed in a leaner loop
        (no running total: a part whose ``weight_max * rows`` fits int32 sums into int32
        cells, else into int64 ones).

    Returns
    -------
    positive, negative : ndarray of shape (n_cells,)
        Per bin: rows (int64) without weights, the sum of integer weights (int64), or of
        float weights (float64, summed in the numpy pass's order: the same bits).
    rows : ndarray of int64, shape (n_cells,), or None
        Rows per bin, when weighted and counted (see ``count_rows``); None otherwise
        (without weights, ``positive + negative`` are the rows).

    Raises
    ------
    InvalidInputError
        If a score falls outside the layout's bins.
    ImportError
        If numba is not installed (check :data:`AVAILABLE` first).

    Examples
    --------
    >>> import numpy as np
    >>> from cutpoints.engines._compiled import bin_counts
    >>> from cutpoints.engines._histogram import bin_layout
    >>> score = np.array([0.1, 0.4, 0.4, 0.9])
    >>> layout = bin_layout(0.1, 0.9, bits=2)
    >>> positive, negative, rows = bin_counts(
    ...     score, np.array([False, True, False, True]), None,
    ...     base=layout.base, shift=layout.shift,
    ...     nonnegative=layout.nonnegative, n_cells=layout.n_bins)
    >>> layout.n_bins, positive.tolist(), negative.tolist(), rows
    (4, [0, 0, 1, 1], [1, 0, 1, 0], None)
    """
    if np.asarray(score).dtype not in (np.float32, np.float64):
        msg = f"'score' must be float32 or float64 (got dtype {np.asarray(score).dtype})"
        raise InvalidParameterError(msg)
    n = len(score)
    if len(is_positive) != n or (weight is not None and len(weight) != n):
        msg = f"'is_positive' and 'weight' must have the length of 'score' ({n:,})"
        raise InvalidParameterError(msg)
    if n_cells < 1 or not 0 <= shift < 64 or not 0 <= base < 1 << 64:
        msg = f"'n_cells', 'shift', 'base' out of range (got {n_cells!r}, {shift!r}, {base!r})"
        raise InvalidParameterError(msg)
    global _warm
    kernels = _compile()
    _warm = True
    x = np.ascontiguousarray(score)
    # The score's bits: float32 keys from its 32 bits (no float64 copy), float64 from 64.
    none32, none64 = np.zeros(0, dtype=np.uint32), np.zeros(0, dtype=np.uint64)
    bits = (x.view(np.uint32), none64) if x.dtype == np.float32 else (none32, x.view(np.uint64))
    labels = np.ascontiguousarray(is_positive, dtype=np.bool_)
    key_args = (np.uint64(base), np.uint64(shift), np.uint64(n_cells))
    variant = ("f32" if x.dtype == np.float32 else "f64") + (
        "_nonnegative" if nonnegative else "_signed"
    )
    slots = 2 * n_cells

    if weight is None:

        def plain(a: int, b: int) -> tuple[npt.NDArray[np.int32], int]:
            # int32 counters: half the table, so it stays in a core's cache (a part has
            # fewer than 2**31 rows, see _even_parts).
            table = np.zeros(slots, dtype=np.int32)
            kernel = kernels["unweighted_" + variant]
            return table, kernel(*bits, labels, a, b, *key_args, table)

        parts = _map(plain, _even_parts(n))
        by_class: Table = parts[0][0].astype(np.int64)
        for table, _ in parts[1:]:
            by_class += table
        _check(sum(p[1] for p in parts), n_cells)
        return by_class[1::2], by_class[0::2], None

    integer = weight.dtype.kind in "iu"
    # int32/int64 and float32/float64 weights are read as they are (no copy); other
    # integers are copied to int32 when it holds them (one fewer kernel to compile),
    # else int64. The tables returned are int64 / float64 whatever their width.
    native = (np.int32, np.int64) if integer else (np.float32, np.float64)
    wider = np.int32 if integer and np.can_cast(weight.dtype, np.int32) else native[1]
    w = np.ascontiguousarray(weight, dtype=None if weight.dtype in native else wider)
    # Row counts cost a second table in the loop: only where a weight is zero (one
    # vectorized min, cheaper than counting rows always).
    want_rows = bool(n and not w.min() > 0) if count_rows is None else count_rows
    if weight_max is not None and not 1 <= weight_max < 1 << 63:
        msg = f"'weight_max' must be a positive int64 (got {weight_max!r})"
        raise InvalidParameterError(msg)
    lean = weight_max is not None and not want_rows
    weight_max_ = 0 if weight_max is None else int(weight_max)

    def weighted(a: int, b: int) -> tuple[Table, IntArray, int, int]:
        rows = np.zeros(n_cells if want_rows else 1, dtype=np.int64)
        zeros = np.zeros(2, dtype=np.int64)  # rows weighing zero; the part's total weight
        if integer and lean:
            # Positive weights of known maximum: no cell of the part holds more than
            # weight_max * rows, so int32 cells are safe when that fits.
            fits = weight_max_ * (b - a) <= _INT32_MAX
            cells = np.zeros(slots, dtype=np.int32 if fits else np.int64)
            outside = kernels["positive_" + variant](*bits, labels, w, a, b, *key_args, cells)
            return cells.astype(np.int64, copy=False), rows, 0, outside
        if integer:
            kernel = kernels["weighted_" + variant]
            # int32 cells first, like the unweighted counters: half the table, so it
            # stays in a core's cache (1e8 rows, weights 1..3: 0.36 s of CPU, not 0.47 s
            # with int64 cells). No cell holds more than the part's total: if that
            # passed int32, the part is counted again in int64 cells.
            narrow = np.zeros(slots, dtype=np.int32)
            outside = kernel(*bits, labels, w, a, b, *key_args, narrow, rows, want_rows, zeros)
            if zeros[1] <= _INT32_MAX:
                table: Table = narrow.astype(np.int64)
            else:
                table = np.zeros(slots, dtype=np.int64)
                rows[:] = 0
                zeros[:] = 0
                outside = kernel(*bits, labels, w, a, b, *key_args, table, rows, want_rows, zeros)
        else:
            table = np.zeros(slots, dtype=np.float64)
            chunk = np.empty(slots, dtype=np.float64)
            outside = kernels["float"](
                *bits,
                labels,
                w,
                a,
                b,
                *key_args[:2],
                bool(nonnegative),
                key_args[2],
                table,
                chunk,
                rows,
                want_rows,
                zeros,
                _CHUNK,
            )
        return table, rows, int(zeros[0]), outside

    if integer:
        parts_w = _map(weighted, _even_parts(n))
    else:
        # Float sums: the numpy pass's fixed groups, added in group order.
        parts_w = _map(weighted, [(a, min(a + _GROUP, n)) for a in range(0, max(n, 1), _GROUP)])
    by_class = parts_w[0][0]
    for table, *_ in parts_w[1:]:
        by_class += table
    _check(sum(p[3] for p in parts_w), n_cells)
    rows_out: IntArray | None = None
    if want_rows:
        rows_out = parts_w[0][1]
        for _, rows, *_ in parts_w[1:]:
            rows_out += rows
    return by_class[1::2], by_class[0::2], rows_out


def layout_counts(
    score: npt.NDArray[np.float32] | npt.NDArray[np.float64],
    is_positive: npt.NDArray[np.bool_],
    weight: npt.NDArray[Any] | None,
    layout: Any,
    *,
    count_rows: bool | None,
    weight_max: int | None = None,
) -> tuple[Table, IntArray | None]:
    """:func:`bin_counts` over a histogram engine ``BinLayout``, interleaved as numpy's
    ``count_cells`` lays its table out (``by_class[2c + 1]`` positives, ``[2c]``
    negatives), so that the passes' partials add either way.

    Returns ``(by_class, rows)``; ``rows`` as :func:`bin_counts` gives it (None without
    weights, or when not counted). ``weight_max``: as for :func:`bin_counts`.

    Examples
    --------
    >>> import numpy as np
    >>> from cutpoints.engines._compiled import layout_counts
    >>> from cutpoints.engines._histogram import bin_layout
    >>> layout = bin_layout(0.1, 0.9, bits=2)
    >>> by_class, rows = layout_counts(np.array([0.1, 0.4, 0.4, 0.9]),
    ...                                np.array([False, True, False, True]), None,
    ...                                layout, count_rows=None)
    >>> by_class.tolist(), rows
    ([1, 0, 0, 0, 1, 1, 0, 1], None)
    """
    positive, negative, rows = bin_counts(
        score,
        is_positive,
        weight,
        base=layout.base,
        shift=layout.shift,
        nonnegative=layout.nonnegative,
        n_cells=layout.n_bins,
        count_rows=count_rows,
        weight_max=weight_max,
    )
    by_class = np.empty(2 * layout.n_bins, dtype=np.result_type(positive, negative))
    by_class[1::2], by_class[0::2] = positive, negative
    return by_class, rows


def collect_counts(
    score: npt.NDArray[np.float32] | npt.NDArray[np.float64],
    is_positive: npt.NDArray[np.bool_],
    layout: Any,
    *,
    window: tuple[int, int],
    capacity: int,
) -> tuple[IntArray, tuple[Any, npt.NDArray[np.bool_]] | None]:
    """:func:`layout_counts` without weights that also collects the rows of a window.

    The speculative refinement of the histogram engine: in the same loop as the count,
    the score and label of every row whose bin lies in the window (bins ``window[0]``
    to ``window[1]``, and the top bin) are written to buffers, so that the rows of the bins
    chosen afterwards need no second pass when they lie inside the window.

    Parameters
    ----------
    score, is_positive
        As for :func:`bin_counts` (no weights).
    layout : BinLayout
        The first-level bins.
    window : (int, int)
        The first and last bin of the range whose rows to collect (``(1, 0)``: none
        but the top bin's).
    capacity : int
        The most rows each thread's part may hold (its buffer; memory is used only
        for the rows written).

    Returns
    -------
    by_class : ndarray of int64, shape (2 * n_bins,)
        As :func:`layout_counts` gives it.
    rows : (ndarray, ndarray of bool) or None
        The scores (the dtype of ``score``) and labels of the rows in the window, in
        input order; None when a part found more than ``capacity`` of them (overflow:
        the caller reads them in a second pass).

    Examples
    --------
    >>> import numpy as np
    >>> from cutpoints.engines._compiled import collect_counts
    >>> from cutpoints.engines._histogram import bin_layout
    >>> layout = bin_layout(0.1, 0.9, bits=2)
    >>> by_class, rows = collect_counts(np.array([0.1, 0.4, 0.4, 0.9]),
    ...                                 np.array([False, True, False, True]),
    ...                                 layout, window=(1, 2), capacity=8)
    >>> by_class.tolist(), rows[0].tolist(), rows[1].tolist()
    ([1, 0, 0, 0, 1, 1, 0, 1], [0.4, 0.4, 0.9], [True, False, True])
    """
    n = len(score)
    if len(is_positive) != n:
        msg = f"'is_positive' must have the length of 'score' ({n:,}) (got {len(is_positive):,})"
        raise InvalidParameterError(msg)
    low, high = window
    if low <= high and not 0 <= low <= high < layout.n_bins:
        msg = f"'window' must be two bins of the layout, or (1, 0) (got {window!r})"
        raise InvalidParameterError(msg)
    if capacity < 0:
        msg = f"'capacity' must be non-negative (got {capacity!r})"
        raise InvalidParameterError(msg)
    global _warm
    kernels = _compile()
    _warm = True
    x = np.ascontiguousarray(score)
    none32, none64 = np.zeros(0, dtype=np.uint32), np.zeros(0, dtype=np.uint64)
    bits = (x.view(np.uint32), none64) if x.dtype == np.float32 else (none32, x.view(np.uint64))
    labels = np.ascontiguousarray(is_positive, dtype=np.bool_)
    # An empty range (low > high): a range past every cell, so the top bin only.
    empty = [layout.n_bins, layout.n_bins]
    marks = np.array([low, high] if low <= high else empty, dtype=np.uint64)
    key_args = (np.uint64(layout.base), np.uint64(layout.shift), np.uint64(layout.n_bins))
    variant = ("f32" if x.dtype == np.float32 else "f64") + (
        "_nonnegative" if layout.nonnegative else "_signed"
    )
    kernel = kernels["collect_" + variant]
    Part = tuple[npt.NDArray[np.int32], Any, npt.NDArray[np.bool_], int, int]

    def part(a: int, b: int) -> Part:
        table = np.zeros(2 * layout.n_bins, dtype=np.int32)
        # np.empty: pages are only touched (and use memory) where rows are written.
        size = min(capacity, b - a)
        out = np.empty(size, dtype=x.dtype)
        out_bits = out.view(np.uint32 if x.dtype == np.float32 else np.uint64)
        out_bits32, out_bits64 = (out_bits, none64) if x.dtype == np.float32 else (none32, out_bits)
        out_labels = np.empty(size, dtype=np.bool_)
        state = np.zeros(1, dtype=np.int64)
        outside = kernel(
            *bits, labels, a, b, *key_args, table, marks, out_bits32, out_bits64, out_labels, state
        )
        return table, out, out_labels, int(state[0]), outside

    parts = _map(part, _even_parts(n))
    by_class = parts[0][0].astype(np.int64)
    for table, *_ in parts[1:]:
        by_class += table
    _check(sum(p[4] for p in parts), layout.n_bins)
    if any(found > len(labels) for _, _, labels, found, _ in parts):
        return by_class, None
    # Parts are contiguous and in order: the rows come out in input order.
    return by_class, (
        np.concatenate([out[:found] for _, out, _, found, _ in parts]),
        np.concatenate([labels[:found] for _, _, labels, found, _ in parts]),
    )


def collect_weighted_counts(
    score: npt.NDArray[np.float32] | npt.NDArray[np.float64],
    is_positive: npt.NDArray[np.bool_],
    weight: npt.NDArray[Any],
    layout: Any,
    *,
    window: tuple[int, int],
    capacity: int,
    weight_max: int,
) -> tuple[IntArray, tuple[Any, npt.NDArray[np.bool_], npt.NDArray[Any]] | None]:
    """:func:`collect_counts` with positive integer weights.

    The same loop sums each row's weight into its bin and collects the score, label
    and weight of every row in the window (bins ``window[0]`` to ``window[1]``, and
    the top bin), so that the refinement of bins inside it reads no row of the input
    again.

    Parameters
    ----------
    score, is_positive
        As for :func:`bin_counts`.
    weight : ndarray of integers, shape (n_rows,)
        Positive weights (every one ``>= 1``: no rows are counted, only weight).
    layout : BinLayout
        The first-level bins.
    window, capacity
        As for :func:`collect_counts`.
    weight_max : int
        The largest weight (or more): a part whose ``weight_max * rows`` fits int32
        sums into int32 cells (half the table: it stays in cache), else into int64.

    Returns
    -------
    by_class : ndarray of int64, shape (2 * n_bins,)
        Weight per bin and class, as :func:`layout_counts` gives it.
    rows : (ndarray, ndarray of bool, ndarray) or None
        The scores (the dtype of ``score``), labels and weights (int32 or int64) of the
        rows in the window, in input order; None when a part found more than
        ``capacity`` of them (overflow: the caller reads them in a second pass).

    Examples
    --------
    >>> import numpy as np
    >>> from cutpoints.engines._compiled import collect_weighted_counts
    >>> from cutpoints.engines._histogram import bin_layout
    >>> layout = bin_layout(0.1, 0.9, bits=2)
    >>> by_class, rows = collect_weighted_counts(
    ...     np.array([0.1, 0.4, 0.4, 0.9]), np.array([False, True, False, True]),
    ...     np.array([2, 5, 1, 3]), layout, window=(1, 2), capacity=8, weight_max=5)
    >>> by_class.tolist()
    [2, 0, 0, 0, 1, 5, 0, 3]
    >>> [r.tolist() for r in rows]
    [[0.4, 0.4, 0.9], [True, False, True], [5, 1, 3]]
    """
    n = len(score)
    if len(is_positive) != n or len(weight) != n:
        msg = f"'is_positive' and 'weight' must have the length of 'score' ({n:,})"
        raise InvalidParameterError(msg)
    if weight.dtype.kind not in "iu":
        msg = f"'weight' must hold integers (got dtype {weight.dtype})"
        raise InvalidParameterError(msg)
    if not 1 <= weight_max < 1 << 63:
        msg = f"'weight_max' must be a positive int64 (got {weight_max!r})"
        raise InvalidParameterError(msg)
    low, high = window
    if low <= high and not 0 <= low <= high < layout.n_bins:
        msg = f"'window' must be two bins of the layout, or (1, 0) (got {window!r})"
        raise InvalidParameterError(msg)
    if capacity < 0:
        msg = f"'capacity' must be non-negative (got {capacity!r})"
        raise InvalidParameterError(msg)
    global _warm
    kernels = _compile()
    _warm = True
    x = np.ascontiguousarray(score)
    none32, none64 = np.zeros(0, dtype=np.uint32), np.zeros(0, dtype=np.uint64)
    bits = (x.view(np.uint32), none64) if x.dtype == np.float32 else (none32, x.view(np.uint64))
    labels = np.ascontiguousarray(is_positive, dtype=np.bool_)
    # int32 / int64 weights as they are; narrower ones copied to int32 (as bin_counts).
    wider = np.int32 if np.can_cast(weight.dtype, np.int32) else np.int64
    w = np.ascontiguousarray(weight, dtype=None if weight.dtype in (np.int32, np.int64) else wider)
    empty = [layout.n_bins, layout.n_bins]  # an empty range: the top bin only
    marks = np.array([low, high] if low <= high else empty, dtype=np.uint64)
    key_args = (np.uint64(layout.base), np.uint64(layout.shift), np.uint64(layout.n_bins))
    variant = ("f32" if x.dtype == np.float32 else "f64") + (
        "_nonnegative" if layout.nonnegative else "_signed"
    )
    kernel = kernels["collect_weighted_" + variant]
    Part = tuple[Table, Any, npt.NDArray[np.bool_], npt.NDArray[Any], int, int]

    def part(a: int, b: int) -> Part:
        # No cell of the part holds more than weight_max * rows: int32 cells when that
        # fits (as bin_counts' weighted cells), int64 otherwise.
        narrow = weight_max * (b - a) <= _INT32_MAX
        table = np.zeros(2 * layout.n_bins, dtype=np.int32 if narrow else np.int64)
        size = min(capacity, b - a)  # np.empty: pages are used only where written
        out = np.empty(size, dtype=x.dtype)
        out_bits = out.view(np.uint32 if x.dtype == np.float32 else np.uint64)
        out_bits32, out_bits64 = (out_bits, none64) if x.dtype == np.float32 else (none32, out_bits)
        out_labels = np.empty(size, dtype=np.bool_)
        out_weights = np.empty(size, dtype=w.dtype)
        state = np.zeros(1, dtype=np.int64)
        outside = kernel(
            *bits, labels, w, a, b, *key_args, table, marks, out_bits32, out_bits64,
            out_labels, out_weights, state,
        )  # fmt: skip
        return table, out, out_labels, out_weights, int(state[0]), outside

    parts = _map(part, _even_parts(n))
    by_class = parts[0][0].astype(np.int64)
    for table, *_ in parts[1:]:
        by_class += table
    _check(sum(p[5] for p in parts), layout.n_bins)
    if any(found > len(out_labels) for _, _, out_labels, _, found, _ in parts):
        return by_class, None
    # Parts are contiguous and in order: the rows come out in input order.
    return by_class, (
        np.concatenate([p[1][: p[4]] for p in parts]),
        np.concatenate([p[2][: p[4]] for p in parts]),
        np.concatenate([p[3][: p[4]] for p in parts]),
    )


def _check(outside: int, n_cells: int) -> None:
    if outside:
        msg = (
            f"'score' has {outside:,} values outside the layout's {n_cells:,} bins "
            "(the layout must cover the scores' range)"
        )
        raise InvalidInputError(msg)
