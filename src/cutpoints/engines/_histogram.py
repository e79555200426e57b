"""The histogram-refine engine: exact optima from one counting pass and a few small sorts.

Confusion counts are additive, so the exact counts at the edge of any score bin are a
cumulative sum of per-bin class counts. This engine

1. maps each float64 score to an order-preserving uint64 key (``-0.0`` and ``+0.0``
   share one key; negative scores order in reverse of their magnitude) and counts the
   rows (and their weights) of each class in 2**16 bins of the keys' range: one pass,
   in chunks, on several threads;
2. takes cumulative sums over the bins, highest scores first: exact counts at every bin
   edge, each of them a row of the exact curve;
3. asks the selection kernel which bins matter. A metric declares how it moves with tp
   and fp (:attr:`~cutpoints.BoundMetric.monotonicity`), so its best value over the rows
   inside a bin is its value at a corner of the bin's (tp, fp) box
   (:func:`cutpoints.selection._kernel.block_bounds`). A bin is refined when a row in
   it could be feasible (each constraint's best value over the box could satisfy it)
   and could be as good as the runner-up ranked last among the exact edge rows --
   so every optimal row, every tied optimum and every runner-up lie in refined bins;
4. sorts just the rows of those bins (the sort engine's own sweep) and splices their
   exact rows between the bin edges.

The result is a :class:`BinnedCurve`: a confusion curve whose rows are the bin edges
plus every row of the refined bins, each with exact counts. Selection on it gives the
same threshold, counts, tied optima and runners-up as selection on the full curve,
because every row that could be any of them is there, in the same order, with the same
counts. An objective that declares no monotonicity (MCC, kappa) cannot bound a bin:
then, and whenever the bins to refine hold most rows, the engine sorts everything and
returns the full curve (still exact).

Speculative refinement (big inputs, unweighted or with positive integer weights): a
window of bins guessed from a sample (or a stream's first batch) before the counting
pass, which then also keeps the rows of those bins (with their weights); when the bins
chosen in step 3 lie inside the window, step 4 reads those rows instead of making a
second pass over the input (``PartialSweep.speculation`` says whether it did). The
answer is the same either way.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from .._counts import Counts as CountTable
from .._counts import CountsLike
from .._curve import ConfusionCurve, Rule
from ..errors import InvalidInputError, InvalidParameterError
from ..selection._kernel import block_bounds, may_reach, select_rows
from ._sort import sort_threads, sweep_with_extra, sweep_with_top

if TYPE_CHECKING:
    from .._metrics import BoundMetric
    from ..selection import Constraint
    from ._source import Source

__all__ = ["BinnedCurve", "HistogramEngine", "PartialSweep", "ValueColumns", "bin_layout"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
KeyArray = npt.NDArray[np.uint64]
Counts = npt.NDArray[np.int64] | npt.NDArray[np.float64]
Weights = npt.NDArray[np.float64] | npt.NDArray[np.int64] | None
Scores = npt.NDArray[np.float64] | npt.NDArray[np.float32]  # float32 is read as given
# What BinnedCurve.full() rebuilds the full curve from: the in-memory columns, or a
# callable giving the full sweep (thresholds, tp, fp) as the engine saw the scores.
# (A callable may instead return the full ConfusionCurve itself: with per-row values.)
FullSource = tuple[Any, Scores, "BoolArray", Weights] | Callable[[], Any]

BIN_BITS = 16  # 2**16 bins: the per-bin table (1 MB) stays in cache while counting
_HIGH = np.uint64(1 << 63)
_LOW = np.uint64((1 << 63) - 1)
_ONE = np.uint64(1)
_CHUNK = 1 << 18  # rows per chunk: temporaries of a few MB, recycled
_GROUP = 1 << 22  # rows per task; fixed, so float sums do not depend on the thread count
_MAX_RANGES = 16  # refined key ranges selected by comparisons; more walk the levels
_FULL_SHARE = 0.5  # refine more than this share of the rows: sort them all instead
_MAX_LEVELS = 4  # 16 key bits a level: four reach single keys from any float64 range
# A streamed source cannot fall back to sorting every row, so it refines to a fixed cap
# (peak memory independent of the input's size): split cells while the rows to refine
# exceed STREAM_SORT_ROWS, for at most _STREAM_MAX_LEVELS counting passes; refuse when
# more than STREAM_MAX_ROWS rows would still have to be held.
# Sorting up to the cap costs less than another counting pass: at 1e9 Parquet rows a
# level-2 pass took 18.5 s, the refining pass and its sort 8.8 s.
STREAM_SORT_ROWS = 1 << 22
STREAM_MAX_ROWS = 1 << 22
#: A streamed source's cap on the rows a speculative window collects (by default; an
#: explicit ``max_rows`` caps them too): at 1e9 rows the window around the optimum holds
#: more than STREAM_MAX_ROWS, and collecting them spares a second read of every file.
#: 2**24 rows: 80 MB of float32 scores and labels (144 MB for float64), a constant.
STREAM_SPECULATE_ROWS = 1 << 24
_STREAM_MAX_LEVELS = 8
# Speculative refinement (in memory; no weights, or positive integer ones, compiled): the
# counting pass also collects the rows of a window of bins guessed from a sample, so that
# the bins chosen after it need no second pass over every row when they lie inside it.
# From this many rows: measured (2-core box, F1, float32) at 1e8 rows 7-15% less CPU than
# two passes, at 1e7 and 4e6 8-25% more (the sample and the wider loop cost more than the
# second pass saves there).
SPECULATE_ROWS = 1 << 25
_SAMPLE_ROWS = 1 << 18  # rows of the sample the window is guessed from
_MARGIN_SHARE = 1 / 256  # widen each side of the window by this share of the rows at least
_MIN_CAPACITY = 1 << 16  # the collecting buffer's least capacity (rows)
_MAX_CAPACITY_SHARE = 1 / 8  # ... and its most: an eighth of the rows (5 or 9 bytes each)


# ---------------------------------------------------------------------------- keys
def _key(x: float) -> int:
    """The order-preserving key of one finite float (``-0.0`` keys as ``+0.0``)."""
    bits = int(np.array([x + 0.0], dtype=np.float64).view(np.uint64)[0])
    return bits ^ ((1 << 64) - 1) if bits >> 63 else bits | (1 << 63)


def _keys_of(values: FloatArray) -> KeyArray:
    """Order-preserving keys of an array of floats (vectorized :func:`_key`)."""
    bits = (np.asarray(values, dtype=np.float64) + 0.0).view(np.uint64)
    flip = (bits.view(np.int64) >> 63).view(np.uint64) | _HIGH
    keys: KeyArray = bits ^ flip
    return keys


def _floats(keys: KeyArray) -> FloatArray:
    """The floats whose keys are ``keys`` (the inverse of :func:`_key`); never ``-0.0``."""
    keys = np.asarray(keys, dtype=np.uint64)
    bits = np.where(keys < _HIGH, ~keys, keys ^ _HIGH)
    out: FloatArray = bits.view(np.float64) + 0.0
    return out


@dataclass(frozen=True)
class BinLayout:
    """How keys map to first-level bins: ``bin = (key - base) >> shift``.

    The bins cover the keys of the observed range ``[min, max]`` only, so scores packed
    into a narrow range still spread over every bin.
    """

    base: int
    top: int
    shift: int
    n_bins: int
    nonnegative: bool  # every score >= 0: the key is the float's bits, sign cleared


def bin_layout(low: float, high: float, bits: int = BIN_BITS) -> BinLayout:
    """The layout of at most ``2**bits`` bins over the keys of ``[low, high]``."""
    base, top = _key(low), _key(high)
    span = top - base
    shift = max(0, span.bit_length() - bits)
    return BinLayout(base, top, shift, (span >> shift) + 1, low >= 0)


def _relative_keys_into(x: FloatArray, layout: BinLayout, out: KeyArray, tmp: IntArray) -> KeyArray:
    """``key - base`` of each score in ``x``, written into ``out``."""
    if layout.nonnegative:
        # For x >= 0 the bits are monotone; clearing the sign bit folds -0.0 onto +0.0.
        np.bitwise_and(x.view(np.uint64), _LOW, out=out)
        out -= np.uint64(layout.base & ((1 << 63) - 1))
        return out
    as_float = out.view(np.float64)
    np.add(x, 0.0, out=as_float)  # -0.0 + 0.0 is +0.0: both zeros share a key
    np.right_shift(as_float.view(np.int64), 63, out=tmp)  # all ones where negative
    flip = tmp.view(np.uint64)
    flip |= _HIGH
    out ^= flip  # negative: all bits flipped; non-negative: sign bit set
    out -= np.uint64(layout.base)
    return out


@dataclass(frozen=True)
class Level:
    """Cells of one refinement level: keys with equal ``(key - base) >> shift``.

    Level 0 is the bins. Level l + 1 splits some cells of level l (its parents) into
    ``2**bits`` cells each, numbered ``rank << bits | sub`` where ``rank`` is the
    parent's rank among the split ones: compact ids, so per-cell tables stay small.
    """

    shift: int
    bits: int
    parent_rank: IntArray | None  # over the parent level's cells: rank if split, else -1
    grid: KeyArray  # each cell's (key - base) >> shift

    @property
    def n_cells(self) -> int:
        """How many cells (ids) this level has."""
        return len(self.grid)


def _walk(rel: KeyArray, levels: Sequence[Level]) -> list[tuple[IntArray | None, IntArray]]:
    """For each level, the rows that reach it (None: all) and their cell ids there."""
    ids = (rel >> np.uint64(levels[0].shift)).view(np.int64)
    out: list[tuple[IntArray | None, IntArray]] = [(None, ids)]
    rows: IntArray | None = None
    for level in levels[1:]:
        assert level.parent_rank is not None
        rank = level.parent_rank[ids]
        inside = np.flatnonzero(rank >= 0)
        rows = inside if rows is None else rows[inside]
        sub = (rel[rows] >> np.uint64(level.shift)) & np.uint64((1 << level.bits) - 1)
        ids = (rank[inside] << level.bits) | sub.view(np.int64)
        out.append((rows, ids))
    return out


def _wide(x: Scores, buffer: KeyArray) -> FloatArray:
    """``x`` as float64: itself, or float32 widened into ``buffer`` (no allocation)."""
    if x.dtype == np.float64:
        return x  # type: ignore[return-value]
    wide: FloatArray = buffer[: len(x)].view(np.float64)
    wide[:] = x
    return wide


def _ceil32(values: FloatArray) -> npt.NDArray[np.float32]:
    """The smallest float32 >= each value: for float32 x, ``x >= v`` iff ``x >= ceil``.

    (Also ``x < v`` iff ``x < ceil``.) Exact, so float32 scores are compared without
    widening them.
    """
    top = float(np.finfo(np.float32).max)
    clipped = np.clip(values, -top, top)  # beyond float32's range: +-max, or inf below
    out = clipped.astype(np.float32)
    below = out.astype(np.float64) < clipped
    out[below] = np.nextafter(out[below], np.float32(np.inf))
    out[values > top] = np.inf
    return out


# ---------------------------------------------------------------------------- passes
_pool: ThreadPoolExecutor | None = None
_pool_size = 0


def _map_groups(task: Callable[[int, int], Any], n: int) -> list[Any]:
    """``task(start, stop)`` over fixed groups of rows, in order, on the sort threads."""
    global _pool, _pool_size
    groups = [(a, min(a + _GROUP, n)) for a in range(0, n, _GROUP)]
    threads = min(sort_threads(), len(groups))
    if threads <= 1:
        return [task(a, b) for a, b in groups]
    if _pool is None or _pool_size < threads:
        _pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="cutpoints-hist")
        _pool_size = threads
    # numpy's ufuncs release the GIL, so the groups' key arithmetic runs in parallel.
    return list(_pool.map(lambda g: task(*g), groups))


@dataclass(frozen=True)
class Histogram:
    """Per-cell class totals: ``positive``, ``negative`` (weights) and ``rows``.

    ``rows`` is exact where it decides what is a threshold: without weights, and with
    weights that include zeros (a score whose rows all weigh zero is still a threshold).
    With positive weights a cell holds rows iff it holds weight, and ``rows`` is only
    an estimate from the weight (it steers how much to sort, not the answer).
    """

    positive: Counts
    negative: Counts
    rows: IntArray
    extra: FloatArray | None = None  # shape (n_extra, n_cells): per-cell sums of extra columns


Collected = tuple["Scores", "BoolArray"]  # the rows of a window: scores (as given), labels


class Collector:
    """The rows of a speculative window, as one part of a counting pass collects them.

    ``window`` marks first-level bins; at most ``capacity`` rows are kept (their scores
    and labels, in input order), beyond that the part only counts them (``overflow``:
    the caller re-reads the rows).
    """

    def __init__(self, window: BoolArray, capacity: int) -> None:
        self.window = window
        self.capacity = capacity
        self.parts: list[Collected] = []
        self.found = 0

    @property
    def overflow(self) -> bool:
        """Whether more rows fell in the window than the buffer holds."""
        return self.found > self.capacity

    def add(self, score: Scores, is_positive: BoolArray) -> None:
        """Keep these rows (after those kept before) unless over capacity."""
        self.found += len(score)
        if self.overflow:
            self.parts = []  # drop them: memory stays bounded by the capacity
        elif len(score):
            self.parts.append((score, is_positive))

    def rows(self, dtype: Any) -> Collected | None:
        """The collected rows (scores of ``dtype``); None after an overflow."""
        if self.overflow:
            return None
        if not self.parts:
            return np.zeros(0, dtype=dtype), np.zeros(0, dtype=bool)
        return (
            np.concatenate([p[0] for p in self.parts]),
            np.concatenate([p[1] for p in self.parts]),
        )


def count_cells(
    score: Scores,
    is_positive: BoolArray,
    weight: Weights,
    layout: BinLayout,
    levels: Sequence[Level],
    *,
    count_rows: bool,
    start: int = 0,
    stop: int | None = None,
    extra: FloatArray | None = None,
    extra_out: FloatArray | None = None,
    collect: Collector | None = None,
) -> tuple[np.ndarray, IntArray | None]:
    """Partial counts of rows ``start:stop`` in the last level's cells: a batch's share.

    Returns ``by_class`` (slot ``2 * cell + is_positive``: int64 rows, or float64
    weights) and, with ``count_rows``, the rows per cell. Partials add up (in a fixed
    order, so float sums are reproducible); :func:`finish_histogram` turns the total
    into a :class:`Histogram`. With ``extra`` (per-row columns, shape ``(k, rows)``),
    each column's per-cell sums are added into ``extra_out`` (shape ``(k, n_cells)``):
    they merge by addition, like counts. With ``collect`` (a first level only), the
    rows in its window's cells (scores and labels) are collected too
    (:class:`Collector`).
    """
    stop = len(score) if stop is None else stop
    n_cells = levels[-1].n_cells
    size = max(0, min(_CHUNK, stop - start))
    out = np.empty(size, dtype=np.uint64)
    tmp = np.empty(size, dtype=np.int64)
    by_class = np.zeros(2 * n_cells, dtype=np.int64 if weight is None else np.float64)
    rows = np.zeros(n_cells, dtype=np.int64) if count_rows else None
    for a in range(start, stop, _CHUNK):
        b = min(a + _CHUNK, stop)
        rel = _relative_keys_into(_wide(score[a:b], out), layout, out[: b - a], tmp[: b - a])
        labels, w = is_positive[a:b], None if weight is None else weight[a:b]
        columns = None if extra is None else extra[:, a:b]
        if len(levels) == 1:
            # The first pass, over every row: shift in place, no temporaries.
            rel >>= np.uint64(layout.shift)
            cells = rel.view(np.int64)
            if collect is not None:
                take = collect.window[cells]
                collect.add(score[a:b][take], labels[take])
        else:
            picked, cells = _walk(rel, levels)[-1]
            assert picked is not None
            labels = labels[picked]
            w = None if w is None else w[picked]
            columns = None if columns is None else columns[:, picked]
        if columns is not None and extra_out is not None:
            for k, column in enumerate(columns):
                extra_out[k] += np.bincount(cells, weights=column, minlength=n_cells)
        if rows is not None:
            # Zero-weight rows still make thresholds: count rows, not only weight.
            rows += np.bincount(cells, minlength=n_cells)
        cells <<= 1  # slot 2 * cell + label: both classes in one bincount
        np.bitwise_or(cells, labels, out=cells)
        if w is None:
            by_class += np.bincount(cells, minlength=2 * n_cells)
        else:
            by_class += np.bincount(cells, weights=w, minlength=2 * n_cells)
    return by_class, rows


def finish_histogram(
    by_class: np.ndarray,
    rows: IntArray | None,
    *,
    weighted: bool,
    integer_weights: bool,
    n_rows: int,
) -> Histogram:
    """The :class:`Histogram` of summed :func:`count_cells` partials.

    ``rows`` is None for positive weights (then estimated from the weight; ``n_rows``:
    the rows of the whole input).
    """
    if integer_weights:
        by_class = by_class.astype(np.int64)  # exact: integer totals are below 2**53
    positive, negative = by_class[1::2], by_class[0::2]
    if not weighted:
        return Histogram(positive, negative, positive + negative)
    if rows is not None:
        return Histogram(positive, negative, rows)
    total = positive + negative
    # At least one row where there is weight: the estimate never hides a cell. (Totals
    # past the weights' limit can reach here from a pass 0 folded into this one; that
    # pass raises on them right after, so an overflow here is of no consequence.)
    with np.errstate(over="ignore", invalid="ignore"):
        estimate = np.ceil(total * (n_rows / max(float(total.sum()), 1e-300)))
        rows = np.where(total > 0, np.maximum(estimate, 1), 0).astype(np.int64)
    return Histogram(positive, negative, rows)


def histogram(
    score: Scores,
    is_positive: BoolArray,
    weight: Weights,
    layout: BinLayout,
    levels: Sequence[Level],
    *,
    count_rows: bool | None = None,
    extra: FloatArray | None = None,
    weight_max: int | None = None,
    n_rows: int | None = None,
) -> Histogram:
    """Count each class in each cell of the last level: one pass over every row.

    ``count_rows`` (count rows, not only weight: for weights with zeros) is found from
    ``weight`` unless given. ``extra`` (shape ``(k, n)``): per-row columns summed per
    cell too (:attr:`Histogram.extra`). ``weight_max``: the largest of positive integer
    weights, when known (the compiled pass then sums them in a leaner loop). ``n_rows``:
    the rows of the whole input when ``score`` is a part of it (rows collected by
    speculation), for the row estimate of positive weights (:func:`finish_histogram`);
    default ``len(score)``.
    """
    integer_weights = weight is not None and weight.dtype.kind in "iu"
    if count_rows is None:
        count_rows = weight is not None and not weight.min() > 0  # weights with zeros
    # The compiled kernel counts classes only: with extra columns the numpy pass runs.
    compiled = _compiled_kernel(len(score)) if len(levels) == 1 and extra is None else None
    if compiled is not None:
        try:
            hist = _compiled_histogram(
                compiled, score, is_positive, weight, layout, count_rows, weight_max, n_rows
            )
        except ImportError:  # numba installed but broken: the numpy pass is exact too
            hist = None
        if hist is not None:
            return hist
    n_cells = levels[-1].n_cells

    def task(start: int, stop: int) -> tuple[np.ndarray, IntArray | None, FloatArray | None]:
        sums = None if extra is None else np.zeros((len(extra), n_cells))
        by_class, rows = count_cells(
            score,
            is_positive,
            weight,
            layout,
            levels,
            count_rows=count_rows,
            start=start,
            stop=stop,
            extra=extra,
            extra_out=sums,
        )
        return by_class, rows, sums

    parts = _map_groups(task, len(score))
    by_class, rows, sums = parts[0]
    for part, part_rows, part_sums in parts[1:]:
        by_class += part  # in group order: float sums are reproducible
        if rows is not None and part_rows is not None:
            rows += part_rows
        if sums is not None and part_sums is not None:
            sums += part_sums
    hist = finish_histogram(
        by_class,
        rows,
        weighted=weight is not None,
        integer_weights=integer_weights,
        n_rows=len(score) if n_rows is None else n_rows,
    )
    if extra is None:
        return hist
    if sums is None:  # no rows at all
        sums = np.zeros((len(extra), n_cells))
    return Histogram(hist.positive, hist.negative, hist.rows, sums)


def histogram_collecting(
    score: Scores,
    is_positive: BoolArray,
    layout: BinLayout,
    level: Level,
    window: tuple[int, int],
    capacity: int,
) -> tuple[Histogram, Collected | None]:
    """The first counting pass without weights, collecting the rows of ``window``.

    Returns the histogram (as :func:`histogram` gives it) and the rows in the window's
    bins (:func:`window_marks`): their scores (float32 or float64, as given) and labels
    in input order; None when a part of the pass (a thread's share of the rows) found
    more than ``capacity`` of them.
    """
    compiled = _compiled_kernel(len(score))
    if compiled is not None:
        try:
            by_class, rows = compiled.collect_counts(
                score, is_positive, layout, window=window, capacity=capacity
            )
        except ImportError:  # numba installed but broken: the numpy pass is exact too
            pass
        else:
            hist = finish_histogram(
                by_class, None, weighted=False, integer_weights=False, n_rows=len(score)
            )
            return hist, rows

    marks = window_marks(layout, window)

    def task(start: int, stop: int) -> tuple[np.ndarray, Collector]:
        collector = Collector(marks, capacity)
        by_class, _ = count_cells(
            score,
            is_positive,
            None,
            layout,
            [level],
            count_rows=False,
            start=start,
            stop=stop,
            collect=collector,
        )
        return by_class, collector

    parts = _map_groups(task, len(score))
    if not parts:
        zeros = np.zeros(level.n_cells, dtype=np.int64)
        return Histogram(zeros, zeros, zeros), (score[:0], is_positive[:0])
    by_class = parts[0][0]
    for part, _ in parts[1:]:
        by_class += part
    hist = finish_histogram(
        by_class, None, weighted=False, integer_weights=False, n_rows=len(score)
    )
    found = [collector.rows(score.dtype) for _, collector in parts]
    kept = [rows for rows in found if rows is not None]
    if len(kept) < len(found):
        return hist, None
    return hist, (np.concatenate([r[0] for r in kept]), np.concatenate([r[1] for r in kept]))


def histogram_collecting_weighted(
    score: Scores,
    is_positive: BoolArray,
    weight: npt.NDArray[Any],
    layout: BinLayout,
    window: tuple[int, int],
    capacity: int,
    weight_max: int,
) -> tuple[Histogram, tuple[Scores, BoolArray, Any] | None]:
    """:func:`histogram_collecting` with positive integer weights (every one ``>= 1``,
    at most ``weight_max``).

    Compiled only (the caller checks :func:`_compiled_kernel`): the rows in the window
    come with their weights, in input order; None when a part found more than
    ``capacity`` of them. The histogram's ``rows`` are estimated from the weight, as
    :func:`histogram` does for positive weights.
    """
    compiled = _compiled_kernel(len(score))
    if compiled is None:
        msg = "the weighted collecting pass needs the compiled kernel (numba)"
        raise ImportError(msg)
    by_class, rows = compiled.collect_weighted_counts(
        score, is_positive, weight, layout, window=window, capacity=capacity,
        weight_max=weight_max,
    )  # fmt: skip
    hist = finish_histogram(by_class, None, weighted=True, integer_weights=True, n_rows=len(score))
    return hist, rows


# H6's compiled counting kernel (engines/_compiled.py), used for the first counting
# pass when it is there; the numpy path above stays the oracle (tests switch it off).
USE_COMPILED = True


def _compiled_kernel(n_rows: int) -> Any:
    """The compiled kernel module when it pays for ``n_rows`` rows, else None.

    Small inputs in a process where numba has not run yet use numpy: numba's start-up
    (import and loading the cached kernels, ~0.5 s) would cost more than it saves.
    """
    if not USE_COMPILED:
        return None
    try:
        from . import _compiled  # type: ignore[attr-defined, unused-ignore]
    except ImportError:
        return None
    return _compiled if _compiled.worthwhile(n_rows) else None


def _compiled_histogram(
    compiled: Any,
    score: Scores,
    is_positive: BoolArray,
    weight: Weights,
    layout: BinLayout,
    count_rows: bool,
    weight_max: int | None = None,
    n_rows: int | None = None,
) -> Histogram | None:
    """The first-level histogram from the compiled kernel (None: it gave no row counts;
    ``n_rows``: as for :func:`histogram`)."""
    by_class, rows = compiled.layout_counts(
        score, is_positive, weight, layout, count_rows=count_rows, weight_max=weight_max
    )
    if weight is not None and count_rows and rows is None:
        return None
    return finish_histogram(
        by_class,
        rows if count_rows else None,
        weighted=weight is not None,
        integer_weights=weight is not None and weight.dtype.kind in "iu",
        n_rows=len(score) if n_rows is None else n_rows,
    )


def _rows_in_cells(
    score: Scores,
    is_positive: BoolArray,
    weight: Weights,
    layout: BinLayout,
    levels: Sequence[Level],
    chosen: list[BoolArray],
    ranges: tuple[FloatArray, FloatArray] | None,
) -> tuple[FloatArray, BoolArray, Weights]:
    """The rows in the chosen cells (``chosen[l]`` marks level l's): a selective pass.

    When the chosen cells form a few score intervals (``ranges``: lows, exclusive
    highs), float comparisons find the rows; otherwise the levels are walked.
    """
    rows = _indices_in_cells(score, layout, levels, chosen, ranges)
    sub_weight = None if weight is None else weight[rows]
    return np.asarray(score[rows], dtype=np.float64), is_positive[rows], sub_weight


def _indices_in_cells(
    score: Scores,
    layout: BinLayout,
    levels: Sequence[Level],
    chosen: list[BoolArray],
    ranges: tuple[FloatArray, FloatArray] | None,
) -> IntArray:
    """The indices (ascending) of the rows in the chosen cells (see :func:`_rows_in_cells`)."""
    bounds: tuple[np.ndarray, np.ndarray] | None = ranges
    if ranges is not None and score.dtype == np.float32:
        bounds = (_ceil32(ranges[0]), _ceil32(ranges[1]))  # compare float32 as float32

    def task(start: int, stop: int) -> IntArray:
        picked: list[IntArray] = []
        out = np.empty(min(_CHUNK, stop - start), dtype=np.uint64)
        tmp = np.empty(len(out), dtype=np.int64)
        for a in range(start, stop, _CHUNK):
            b = min(a + _CHUNK, stop)
            x = score[a:b]
            if bounds is not None:
                lows, highs = bounds
                take = (x >= lows[0]) & (x < highs[0])
                for low, high in zip(lows[1:], highs[1:], strict=True):
                    take |= (x >= low) & (x < high)
            else:
                rel = _relative_keys_into(_wide(x, out), layout, out[: b - a], tmp[: b - a])
                take = np.zeros(b - a, dtype=bool)
                for (rows, cells), marked in zip(_walk(rel, levels), chosen, strict=True):
                    if rows is None:
                        take |= marked[cells]
                    else:
                        take[rows] |= marked[cells]
            picked.append(np.flatnonzero(take) + a)
        return np.concatenate(picked) if picked else np.zeros(0, dtype=np.int64)

    parts = _map_groups(task, len(score))
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)


# ---------------------------------------------------------------------------- result
class BinnedCurve(ConfusionCurve):
    """A confusion curve with exact counts at bin edges and inside the refined bins.

    Returned by the histogram engine (``find_cutpoint(..., engine="histogram")``).
    Every row has the exact counts of flagging ``score >= thresholds[i]``. Rows inside
    a refined bin, the top row (the highest score) and the bottom row (the lowest
    score) carry observed scores, like the full curve; the edge row of a bin that was
    not refined carries the bin's lower edge -- the smallest float64 in the bin, which
    flags exactly the rows counted there but need not be an observed score.
    ``observed[i]`` says which. Between two rows that are not adjacent in the full
    curve (inside an unrefined bin) the counts of other thresholds are not known:
    :meth:`rows_at` then answers with the next row above. Code that needs the counts at
    every distinct score (re-weighting the whole curve, counting distinct scores)
    checks ``complete`` and calls :meth:`full`.

    Attributes
    ----------
    complete : bool
        False: these are not the counts at every distinct score (a plain
        :class:`ConfusionCurve` has them all).
    observed : ndarray of bool, shape (n_thresholds,)
        Whether row ``i``'s threshold is an observed score (or the "flag nothing" row).
    edge_rows : ndarray of int64, shape (n_bins + 1,)
        The rows at bin edges: row 0 ("flag nothing"), then the last row of each bin.
    bin_lower : ndarray of float64, shape (n_bins,)
        The lower edge of each non-empty bin (for ``rule="<="``, the upper edge), in
        row order: flagging with it flags exactly the rows counted at the bin's edge.
    n_bins : int
        The non-empty bins of the first counting pass.
    n_refined_bins : int
        How many bins (or finer cells of them) had their rows sorted.
    n_refined_rows : int
        How many input rows were sorted.
    n_levels : int
        Counting passes: 1, plus one per split of bins on the next key bits.
    """

    def __init__(
        self,
        thresholds: FloatArray,
        tp: np.ndarray,
        fp: np.ndarray,
        *,
        observed: BoolArray,
        edge_rows: IntArray,
        bin_lower: FloatArray,
        n_bins: int,
        n_refined_bins: int,
        n_refined_rows: int,
        n_levels: int = 1,
        source: FullSource | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(thresholds, tp, fp, **kwargs)
        # (engine, scores as the engine saw them, labels, weights), or a callable that
        # returns the full sweep (a streamed source re-reads its rows).
        self._source = source
        self.observed = np.asarray(observed, dtype=bool)
        self.observed.flags.writeable = False
        self.edge_rows = np.asarray(edge_rows, dtype=np.int64)
        self.bin_lower = np.asarray(bin_lower, dtype=np.float64)
        self.n_bins = int(n_bins)
        self.n_refined_bins = int(n_refined_bins)
        self.n_refined_rows = int(n_refined_rows)
        self.n_levels = int(n_levels)

    complete = False

    def full(self) -> ConfusionCurve:
        """The full curve of the same data: counts at every distinct score (a sort).

        Raises
        ------
        InvalidParameterError
            For a curve built without its data (only the histogram engine keeps it).
        InvalidInputError
            For a curve of a scan (:func:`cutpoints.scan`) with more rows than fit
            under the engine's ``max_rows``: the full curve would not fit in memory.
        """
        if self._source is None:
            msg = "this BinnedCurve was built without its data, so it cannot be completed"
            raise InvalidParameterError(msg)
        if callable(self._source):
            swept = self._source()
            if isinstance(swept, ConfusionCurve):
                return swept  # built whole by the caller (with per-row value columns)
            thresholds, tp, fp = swept
        else:
            engine, score, is_positive, weight = self._source
            thresholds, tp, fp = engine.sweep(score, is_positive, weight)
        sign = 1.0 if self.rule == ">=" else -1.0
        return ConfusionCurve(
            sign * thresholds,
            tp,
            fp,
            n_positive=tp[-1].item(),
            n_negative=fp[-1].item(),
            n_samples=self.n_samples,
            rule=self.rule,
            weighted=self.weighted,
            positive_label=self.positive_label,
            negative_label=self.negative_label,
        )

    def __repr__(self) -> str:
        return (
            f"BinnedCurve(n_thresholds={len(self)}, n_samples={self.n_samples}, "
            f"n_bins={self.n_bins}, n_refined_bins={self.n_refined_bins}, "
            f"n_refined_rows={self.n_refined_rows}, n_levels={self.n_levels}, "
            f"rule='{self.rule}')"
        )

    def fingerprint(self) -> str:
        """A hash of the bin-edge counts: equal data sets give equal fingerprints.

        The full curve's hash (:meth:`ConfusionCurve.fingerprint`) needs every row,
        which this engine does not build; the edges depend on the data only (not on the
        metric that chose which bins to refine), so they identify it instead. Prefixed
        ``sha256-binned:`` so it is never mistaken for the full curve's.
        """
        digest = hashlib.sha256()
        digest.update(self.rule.encode())
        for edges in (self.bin_lower, self.tp[self.edge_rows], self.fp[self.edge_rows]):
            digest.update(str(edges.dtype).encode())
            digest.update(np.ascontiguousarray(edges).tobytes())
        digest.update(repr((self.n_positive, self.n_negative, self.n_samples)).encode())
        return "sha256-binned:" + digest.hexdigest()[:32]


@dataclass(frozen=True)
class PartialSweep:
    """What a selective sweep returns: rows of the exact curve, fewest flagged first.

    ``observed`` is None when every row of the full curve is there (``complete``).
    """

    thresholds: FloatArray
    tp: Counts
    fp: Counts
    observed: BoolArray | None = None
    edge_rows: IntArray | None = None
    bin_lower: FloatArray | None = None
    n_bins: int = 0
    n_refined_bins: int = 0
    n_refined_rows: int = 0
    n_levels: int = 1
    # Per-row value columns (``values=``): each one's cumulative sum at every row.
    extra: tuple[FloatArray, ...] | None = None
    # Speculative refinement: "off", "hit" (one pass over the rows), "miss" or
    # "overflow" (the rows were read again): see ArraySource.speculation.
    speculation: str = "off"

    @property
    def complete(self) -> bool:
        """Whether these are the counts at every distinct score (the full curve)."""
        return self.observed is None

    def curve(
        self,
        *,
        rule: Rule = ">=",
        source: FullSource | None = None,
        **fields: Any,
    ) -> ConfusionCurve:
        """The confusion curve of these rows: a :class:`BinnedCurve` unless complete.

        The engine saw the scores negated for ``rule="<="``; the thresholds are turned
        back here. ``source`` (engine, scores, labels, weights as the engine saw them,
        or a callable returning the full sweep) lets :meth:`BinnedCurve.full` rebuild
        the full curve; ``fields`` are the other
        :class:`ConfusionCurve` arguments.
        """
        sign = 1.0 if rule == ">=" else -1.0
        thresholds = sign * self.thresholds  # row 0 becomes -inf: "<= -inf" flags nothing
        if self.observed is None:
            return ConfusionCurve(thresholds, self.tp, self.fp, rule=rule, **fields)
        assert self.edge_rows is not None
        assert self.bin_lower is not None
        return BinnedCurve(
            thresholds,
            self.tp,
            self.fp,
            observed=self.observed,
            edge_rows=self.edge_rows,
            bin_lower=sign * self.bin_lower,
            n_bins=self.n_bins,
            n_refined_bins=self.n_refined_bins,
            n_refined_rows=self.n_refined_rows,
            n_levels=self.n_levels,
            source=source,
            rule=rule,
            **fields,
        )


# ---------------------------------------------------------------------------- choice
def bins_to_refine(
    edges: CountsLike,
    objective: BoundMetric,
    constraints: Sequence[Constraint],
    *,
    maximize: bool,
    n_runners_up: int,
    gains: tuple[FloatArray, FloatArray] | None = None,
) -> BoolArray | None:
    """Which bins may hold an optimal row, a tied optimum or a runner-up; None: all.

    ``edges`` has one row per bin edge (row 0 flags nothing; bin ``j`` lies between
    rows ``j`` and ``j + 1``). The kernel selects among the edge rows; the runner-up it
    ranks ``n_runners_up``-th among them (or the optimum, for none) is a value every
    answer row attains or beats, because adding rows can only raise the rank-k value.
    A bin is kept when each constraint could hold in it and the objective could reach
    that value there; with fewer ranked edge rows, every bin where the constraints
    could hold is kept. ``gains`` (per bin, the sums of the positive and of the
    negative parts of its rows' flag gains) bound the metric ``"value"``
    (see :func:`_value_bounds`); ``edges`` then has its ``"value"`` column.
    """
    n_blocks = len(edges.tp) - 1
    lower = np.arange(n_blocks, dtype=np.int64)
    upper = lower + 1
    objective_best = _bounds(edges, lower, upper, objective, maximize, gains)
    if objective_best is None:
        return None  # no declared monotonicity: nothing can be bounded
    keep = np.ones(n_blocks, dtype=bool)
    for c in constraints:
        best = _bounds(edges, lower, upper, c.metric, c.wants_large, gains)
        if best is not None:  # unknown monotonicity: the constraint may hold anywhere
            keep &= may_reach(best, c.bound, maximize=c.wants_large)
    selection = select_rows(edges, objective, tuple(constraints), maximize=maximize)
    if not selection.ok:
        return keep
    if n_runners_up > 0:
        ranked = selection.ranked(n_runners_up)
        if len(ranked) < n_runners_up:
            return keep
        target = selection.value_at(int(ranked[-1]))
    else:
        target = selection.best_value
    keep &= may_reach(objective_best, target, maximize=maximize)
    return keep


def _is_value(metric: BoundMetric) -> bool:
    """Whether ``metric`` is the built-in ``"value"`` (the total of per-row values)."""
    return metric.name == "value" and tuple(metric.columns) == ("value",)


def _bounds(
    edges: CountsLike,
    lower: IntArray,
    upper: IntArray,
    metric: BoundMetric,
    maximize: bool,
    gains: tuple[FloatArray, FloatArray] | None,
) -> FloatArray | None:
    """:func:`block_bounds`, or for the metric ``"value"`` :func:`_value_bounds`."""
    if gains is not None and _is_value(metric):
        return _value_bounds(edges, lower, gains, maximize=maximize)
    return block_bounds(edges, lower, upper, metric, maximize=maximize)


def _value_bounds(
    edges: CountsLike,
    lower: IntArray,
    gains: tuple[FloatArray, FloatArray],
    *,
    maximize: bool,
) -> FloatArray:
    """The best total value of any row inside each bin.

    Flagging a row changes the total by its gain ``w * (flagged value - unflagged
    value)``; a row inside bin ``j`` flags the rows above edge ``lower[j]`` plus some
    of the bin's, so its value lies between the edge's value plus the sum of the
    bin's negative gains and plus the sum of its positive gains.
    """
    column = getattr(edges, "column", None)
    value = column("value") if callable(column) else None
    assert value is not None  # the engine gives its edges the value column
    start = np.asarray(value[lower], dtype=np.float64)
    out: FloatArray = start + (gains[0] if maximize else gains[1])
    return out


# ---------------------------------------------------------------------------- engine
ValueColumn = Callable[[Any, Any, Sequence[FloatArray]], Any]


def _full(
    score: Scores, is_positive: BoolArray, weight: Weights, extra: FloatArray | None = None
) -> PartialSweep:
    wide = np.asarray(score, dtype=np.float64)
    if extra is None:
        return PartialSweep(*sweep_with_top(wide, is_positive, weight))
    thresholds, tp, fp, sums = sweep_with_extra(wide, is_positive, weight, list(extra))
    return PartialSweep(thresholds, tp, fp, extra=tuple(sums))


@dataclass(frozen=True)
class _Blocks:
    """Non-empty cells (of any level) that partition the keys, highest keys first."""

    lower: KeyArray  # smallest key of the cell
    upper: KeyArray  # largest key of the cell that can occur (at most the top key)
    positive: Counts
    negative: Counts
    rows: IntArray
    level: IntArray
    cell: IntArray
    extra: FloatArray  # shape (blocks, n_extra): per-block sums of the extra columns

    def __len__(self) -> int:
        return len(self.lower)

    def edges(self, value_column: ValueColumn | None = None, n_values: int = 0) -> CountTable:
        """Exact counts at every block edge: cumulative from the top, row 0 flags nothing.

        With ``value_column``, the edges also carry the ``"value"`` column, built from
        the cumulative sums of the first ``n_values`` extra columns.
        """
        pos, neg = self.positive, self.negative
        tp = np.concatenate(([pos.dtype.type(0)], np.cumsum(pos)))
        fp = np.concatenate(([neg.dtype.type(0)], np.cumsum(neg)))
        if value_column is None:
            return CountTable(tp, fp, tp[-1].item(), fp[-1].item())
        sums = [np.concatenate(([0.0], np.cumsum(self.extra[:, k]))) for k in range(n_values)]
        columns = {"value": value_column(tp, fp, sums)}
        return CountTable(tp, fp, tp[-1].item(), fp[-1].item(), columns=columns)

    def gains(self) -> tuple[FloatArray, FloatArray]:
        """Per block, the sums of its rows' positive and negative flag gains (the last
        two extra columns)."""
        return self.extra[:, -2], self.extra[:, -1]

    def take(self, mask: BoolArray) -> _Blocks:
        """The blocks where ``mask`` holds."""
        return _Blocks(*(getattr(self, f)[mask] for f in _BLOCK_FIELDS))


_BLOCK_FIELDS = ("lower", "upper", "positive", "negative", "rows", "level", "cell", "extra")


def _blocks_of(hist: Histogram, layout: BinLayout, index: int, level: Level) -> _Blocks:
    cells = np.flatnonzero(hist.rows)[::-1]  # non-empty cells, highest keys first
    base, width = np.uint64(layout.base), np.uint64((1 << level.shift) - 1)
    lower = (level.grid[cells] << np.uint64(level.shift)) + base
    # The last cell may reach past the top key (past 2**64 even): clamp to the top.
    upper = lower + np.minimum(np.uint64(layout.top) - lower, width)
    return _Blocks(
        lower,
        upper,
        hist.positive[cells],
        hist.negative[cells],
        hist.rows[cells],
        np.full(len(cells), index, dtype=np.int64),
        cells.astype(np.int64),
        np.zeros((len(cells), 0)) if hist.extra is None else hist.extra[:, cells].T,
    )


def _joined(a: _Blocks, b: _Blocks) -> _Blocks:
    order = np.argsort(np.concatenate((a.lower, b.lower)))[::-1]
    return _Blocks(*(np.concatenate((getattr(a, f), getattr(b, f)))[order] for f in _BLOCK_FIELDS))


def _score_ranges(blocks: _Blocks, top: int) -> tuple[FloatArray, FloatArray] | None:
    """The blocks as a few score intervals ``[low, high)``, or None if there are many."""
    order = np.argsort(blocks.lower)
    lower, upper = blocks.lower[order], blocks.upper[order]
    starts = np.concatenate(([True], lower[1:] != upper[:-1] + _ONE))
    if int(starts.sum()) > _MAX_RANGES:
        return None
    ends = np.concatenate((starts[1:], [True]))
    lows = _floats(lower[starts])
    highs = np.full(int(starts.sum()), np.inf)
    last = upper[ends]
    below_top = last < np.uint64(top)
    highs[below_top] = _floats(last[below_top] + _ONE)
    return lows, highs


def _splice(
    blocks: _Blocks,
    sorted_: BoolArray,
    sub: tuple[FloatArray, Counts, Counts],
    sub_extra: Sequence[FloatArray] = (),
) -> tuple[FloatArray, Counts, Counts, BoolArray, IntArray, tuple[FloatArray, ...]]:
    """Merge edge rows of blocks not sorted with the exact rows of the sorted ones.

    Each output row adds its own counts (a whole block, or one run of equal scores)
    to the rows above, from the top down, as the sort engine accumulates. The
    cumulative extra columns of the sorted rows (``sub_extra``) are spliced likewise
    with the blocks' sums of the same columns.
    """
    sub_t, sub_tp, sub_fp = sub
    run_t = sub_t[1:]  # row 0 of a sweep is "flag nothing"; the rest are runs
    run_tp, run_fp = np.diff(sub_tp), np.diff(sub_fp)
    ascending = blocks.lower[::-1]
    run_block = len(blocks) - np.searchsorted(ascending, _keys_of(run_t), side="right")
    plain = np.flatnonzero(~sorted_)
    t = np.concatenate((_floats(blocks.lower[plain]), run_t))
    block = np.concatenate((plain, run_block))
    order = np.lexsort((-t, block))  # blocks top down; within a sorted block, scores too
    n = len(order)
    thresholds = np.empty(n + 1, dtype=np.float64)
    thresholds[0] = np.inf
    thresholds[1:] = t[order]
    tp: Any = np.empty(n + 1, dtype=blocks.positive.dtype)  # int64 or float64, as counts
    fp: Any = np.empty(n + 1, dtype=blocks.negative.dtype)
    tp[0] = fp[0] = 0
    np.cumsum(np.concatenate((blocks.positive[plain], run_tp))[order], out=tp[1:])
    np.cumsum(np.concatenate((blocks.negative[plain], run_fp))[order], out=fp[1:])
    sums = []
    for k, column in enumerate(sub_extra):
        total = np.zeros(n + 1, dtype=np.float64)
        parts = np.concatenate((blocks.extra[plain, k], np.diff(column)))[order]
        np.cumsum(parts, out=total[1:])
        sums.append(total)
    # A row is at an observed score if it came from a sort, or its block is one key.
    one_key = blocks.lower[plain] == blocks.upper[plain]
    observed = np.empty(n + 1, dtype=bool)
    observed[0] = True
    observed[1:] = np.concatenate((one_key, np.ones(len(run_t), bool)))[order]
    return thresholds, tp, fp, observed, block[order], tuple(sums)


def _split(parent: Level, parents: IntArray, bits: int) -> Level:
    """The next level: each of ``parents`` (sorted cells of ``parent``) split in cells
    of the next key bits, at most ``2**bits`` cells in all (at least 2 per parent)."""
    sub_bits = max(1, min(parent.shift, bits - (len(parents) - 1).bit_length()))
    rank = np.full(parent.n_cells, -1, dtype=np.int64)
    rank[parents] = np.arange(len(parents))
    subs = np.arange(1 << sub_bits, dtype=np.uint64)
    grid = (parent.grid[parents][:, None] << np.uint64(sub_bits)) | subs
    return Level(parent.shift - sub_bits, sub_bits, rank, grid.ravel())


def _sorted_rows(
    source: Source,
    layout: BinLayout,
    levels: Sequence[Level],
    blocks: _Blocks,
    keep: BoolArray,
    n_values: int = 0,
) -> tuple[tuple[FloatArray, Any, Any], tuple[FloatArray, ...], int]:
    """The sort engine's sweep of the rows in the kept blocks (with the cumulative sums
    of the first ``n_values`` extra columns), and how many rows."""
    kept = blocks.take(keep)
    if not len(kept):  # every block that matters is one key: nothing to sort
        zero_tp = np.zeros(1, dtype=blocks.positive.dtype)
        zeros = tuple(np.zeros(1) for _ in range(n_values))
        return (np.array([np.inf]), zero_tp, np.zeros(1, dtype=blocks.negative.dtype)), zeros, 0
    chosen = [np.zeros(level.n_cells, dtype=bool) for level in levels]
    for index, cell in zip(kept.level, kept.cell, strict=True):
        chosen[index][cell] = True
    ranges = _score_ranges(kept, layout.top)
    if not n_values:
        rows = source.rows_in(layout, levels, chosen, ranges)
        return sweep_with_top(*rows), (), len(rows[0])
    # Sources that carry value columns (arrays, batch sources) answer rows_with_extra.
    score, is_positive, weight, extra = source.rows_with_extra(  # type: ignore[attr-defined]
        layout, levels, chosen, ranges
    )
    thresholds, tp, fp, sums = sweep_with_extra(score, is_positive, weight, list(extra[:n_values]))
    return (thresholds, tp, fp), tuple(sums), len(score)


def _first_level_edges(blocks: _Blocks, row_block: IntArray, layout: BinLayout) -> IntArray:
    """The rows at the first-level bins' edges: the last row of each bin's last block.

    Blocks of later levels nest in the first-level bins, so those edges are rows.
    """
    shift, base = np.uint64(layout.shift), np.uint64(layout.base)
    row_bin = ((blocks.lower - base) >> shift)[row_block].view(np.int64)
    last = np.flatnonzero(np.diff(row_bin, append=-1) != 0) + 1
    return np.concatenate(([0], last)).astype(np.int64)


@dataclass(frozen=True)
class ValueColumns:
    """Per-row values (``values=``) as the histogram engine carries them.

    Attributes
    ----------
    columns : sequence of k ndarray of float64, shape (n_samples,)
        The columns summed along the sweep (``w * value`` on one class, 0 on the
        other: :meth:`cutpoints._values.RowValues.extra_columns`).
    gain : ndarray of float64, shape (n_samples,)
        Each row's flag gain: ``w * (value if flagged - value if not flagged)``.
    column : callable
        ``column(tp, fp, sums)``: the ``"value"`` column of rows with these counts and
        these cumulative sums of ``columns`` (a :class:`~cutpoints._values.ValueCurve`).
    """

    columns: Sequence[FloatArray]
    gain: FloatArray
    column: ValueColumn


class HistogramEngine:
    """Exact optima from per-bin counts plus a sort of the bins that matter.

    :meth:`sweep` (a full curve, as :func:`cutpoints.confusion_curve` asks) needs every
    bin refined, which is the sort engine's work, so it is the sort engine's sweep.
    :meth:`sweep_for` builds only the rows a selection needs (see the module notes).

    Parameters
    ----------
    bits : int, default=16
        At most ``2**bits`` first-level bins (and cells per refinement level).
    full_share : float, default=0.5
        Sort every row instead when the bins to refine hold more than this share of
        them and cannot be split further.
    sort_rows : int, optional
        Sort the rows of the bins to refine once they are at most this many; above
        it, split the bins on the next key bits first (another counting pass). By
        default the larger of 65,536 and 1/32 of the rows: a counting pass costs about
        as much as sorting 1/16 of the rows; for a streamed source (files, clusters),
        :data:`STREAM_SORT_ROWS`. Small values of these exercise the refinement in
        tests.
    max_rows : int, optional
        A streamed source's cap on the rows held for refinement (default
        :data:`STREAM_MAX_ROWS`, 4,194,304): above it the engine raises instead of
        using memory that grows with the input.
    speculate : bool or None, default None
        Speculative refinement: guess the bins to refine from a sample of
        ``sample_rows`` rows (a stream's first batch; widened), collect the rows of
        those bins (with their weights) during the counting pass, and refine from them
        when the real choice lies inside (else read the rows again: the answer is the
        same either way). It applies to rows in memory, unweighted or with positive
        integer weights (those only where the compiled counting kernel runs; widely
        spread weights widen the window, often past use: then it does not speculate),
        and to unweighted streamed sources whose ``first_batch`` gives a sample (files;
        compiled kernel only). Never to float weights, weights with zeros, value
        columns or weighted streams. None: from :data:`SPECULATE_ROWS` (33,554,432)
        rows; True: wherever it applies; False: never.
    sample_rows : int, default=262,144
        The size of that sample (runs of consecutive rows spread over the input).
    """

    name = "histogram"

    def __init__(
        self,
        bits: int = BIN_BITS,
        full_share: float = _FULL_SHARE,
        sort_rows: int | None = None,
        max_rows: int | None = None,
        *,
        speculate: bool | None = None,
        sample_rows: int = _SAMPLE_ROWS,
    ) -> None:
        if not (isinstance(bits, int) and 1 <= bits <= 24):
            msg = f"'bits' must be an integer from 1 to 24 (got {bits!r})"
            raise InvalidParameterError(msg)
        if not 0.0 <= full_share <= 1.0:
            msg = f"'full_share' must be between 0 and 1 (got {full_share!r})"
            raise InvalidParameterError(msg)
        if sort_rows is not None and not (isinstance(sort_rows, int) and sort_rows >= 0):
            msg = f"'sort_rows' must be a non-negative integer or None (got {sort_rows!r})"
            raise InvalidParameterError(msg)
        if max_rows is not None and not (isinstance(max_rows, int) and max_rows >= 1):
            msg = f"'max_rows' must be a positive integer or None (got {max_rows!r})"
            raise InvalidParameterError(msg)
        if speculate is not None and not isinstance(speculate, bool):
            msg = f"'speculate' must be True, False or None (got {speculate!r})"
            raise InvalidParameterError(msg)
        if not (isinstance(sample_rows, int) and sample_rows >= 1):
            msg = f"'sample_rows' must be a positive integer (got {sample_rows!r})"
            raise InvalidParameterError(msg)
        self.bits = bits
        self.full_share = float(full_share)
        self.sort_rows = sort_rows
        self.max_rows = max_rows
        self.speculate = speculate
        self.sample_rows = sample_rows

    def _speculates(self, n_rows: int) -> bool:
        """Whether an in-memory selection on ``n_rows`` rows guesses a window first."""
        if self.speculate is None:
            return n_rows >= SPECULATE_ROWS
        return self.speculate and n_rows > 0

    def __repr__(self) -> str:
        return (
            f"HistogramEngine(bits={self.bits}, full_share={self.full_share}, "
            f"sort_rows={self.sort_rows}, max_rows={self.max_rows})"
        )

    def sweep(
        self, score: Scores, is_positive: BoolArray, weight: Weights = None
    ) -> tuple[FloatArray, Counts, Counts]:
        """Counts at every distinct score plus a first "flag nothing" row (``+inf``)."""
        return sweep_with_top(np.asarray(score, dtype=np.float64), is_positive, weight)

    def sweep_for(
        self,
        score: Scores,
        is_positive: BoolArray,
        weight: Weights = None,
        *,
        objective: BoundMetric,
        constraints: Sequence[Constraint] = (),
        maximize: bool,
        n_runners_up: int = 5,
        values: ValueColumns | None = None,
        score_range: tuple[float, float] | None = None,
        weight_range: tuple[int, int] | None = None,
    ) -> PartialSweep:
        """The rows of the exact curve that selecting ``objective`` can need.

        Parameters
        ----------
        score, is_positive, weight
            Validated columns, as for :meth:`sweep`.
        objective : BoundMetric
            The metric to optimize; its declared monotonicity bounds each bin.
        constraints : sequence of Constraint
            Bounds the chosen row must satisfy.
        maximize : bool
            The direction of optimization.
        n_runners_up : int, default=5
            How many runners-up must be exact too.
        values : ValueColumns, optional
            Per-row value columns (``values=``): summed per bin and along the sorted
            rows, so the result's :attr:`PartialSweep.extra` holds their exact
            cumulative sums at every row, and the metric ``"value"`` (objective or
            constraint) is bounded per bin by the bin's flag gains.
        score_range : (float, float), optional
            ``(score.min(), score.max())`` when the caller already has them (validation
            does): saves two passes over the scores. They must be exact.
        weight_range : (int, int), optional
            ``(weight.min(), weight.max())`` of integer weights, when the caller has them
            (validation does): saves two passes over the weights. They must be exact.

        Returns
        -------
        PartialSweep
            Every row that could be optimal, tied with the optimum or a runner-up, plus
            the edge rows of every bin; or the full curve when nothing can be bounded.
        """
        from ._source import ArraySource

        if values is None:
            source = ArraySource(
                score, is_positive, weight, score_range=score_range, weight_range=weight_range
            )
        else:
            # One (k + 2, n) table: the value columns, then each row's gain split in its
            # positive and negative part (their per-bin sums bound the value in a bin).
            k = len(values.columns)
            table = np.empty((k + 2, len(score)), dtype=np.float64)
            for row, column in enumerate(values.columns):
                table[row] = column
            np.maximum(values.gain, 0.0, out=table[k])
            np.minimum(values.gain, 0.0, out=table[k + 1])
            source = ArraySource(score, is_positive, weight, extra=table)
        return self.sweep_source(
            source,
            objective=objective,
            constraints=constraints,
            maximize=maximize,
            n_runners_up=n_runners_up,
            value_column=None if values is None else values.column,
        )

    def sweep_source(
        self,
        source: Source,
        *,
        objective: BoundMetric | None = None,
        constraints: Sequence[Constraint] = (),
        maximize: bool = True,
        n_runners_up: int = 5,
        at: FloatArray | None = None,
        value_column: ValueColumn | None = None,
    ) -> PartialSweep:
        """The driver: pass 0, counting passes, refinement, all through ``source``.

        With ``objective``: the rows a selection can need (as :meth:`sweep_for`). Without
        it: the bin edges plus the exact rows at the scores ``at`` (as the engine sees
        them: negated for ``rule="<="``), for a curve of a big input.

        An in-memory source (:class:`~cutpoints.engines._source.ArraySource`) may
        instead sort every row (metrics without declared monotonicity, or bins to
        refine that hold most rows). A streamed source never does: it splits cells on
        further key bits (one counting pass each) until the rows to refine are at most
        :data:`STREAM_SORT_ROWS`, and raises when more than ``max_rows`` (default
        :data:`STREAM_MAX_ROWS`) rows would remain -- so its memory is bounded
        whatever the input's size.

        ``value_column`` (with a source whose summary has ``n_extra`` extra columns:
        value columns, then each row's positive and negative flag gain) turns the
        cumulative sums of the value columns into the ``"value"`` column at the bin
        edges, so the metric ``"value"`` can be selected and bounded there.

        Raises
        ------
        InvalidInputError
            For a streamed source whose rows to refine exceed ``max_rows``.
        """
        from ._source import ArraySource, StaleSummary

        summary = source.summary()
        n = summary.n_rows
        in_memory = isinstance(source, ArraySource)
        stop = getattr(source, "stop_speculating", None)
        if stop is not None:
            stop()  # nothing left from an earlier call on the same source
        n_values = summary.n_extra - 2 if value_column is not None else 0
        gains_known = value_column is not None
        boundable = objective is not None and (
            objective.monotonicity is not None or (gains_known and _is_value(objective))
        )
        if in_memory and (n == 0 or not boundable):
            assert isinstance(source, ArraySource)
            return self._full_of(source, n_values if gains_known else None)
        layout = bin_layout(summary.low, summary.high, self.bits)
        levels = [Level(layout.shift, 0, None, np.arange(layout.n_bins, dtype=np.uint64))]
        at_keys = None if at is None else np.sort(_keys_of(np.asarray(at, dtype=np.float64)))

        def refine(blocks: _Blocks) -> BoolArray:
            if objective is not None and boundable:
                keep = bins_to_refine(
                    blocks.edges(value_column, n_values),
                    objective,
                    constraints,
                    maximize=maximize,
                    n_runners_up=n_runners_up,
                    gains=blocks.gains() if gains_known else None,
                )
                assert keep is not None  # boundability was checked above
            elif objective is not None:
                # Nothing bounds a bin: every row's counts are needed (streamed only).
                keep = np.ones(len(blocks), dtype=bool)
            else:
                keep = _blocks_holding(blocks, at_keys)
            keep[0] = True  # the top block: the first row is then the highest score
            keep &= blocks.lower != blocks.upper  # a cell of one key is its only row
            return keep

        if in_memory and boundable and self._speculates(n):
            assert isinstance(source, ArraySource)
            # Float weights, weights with zeros and value columns keep the second pass
            # (the collecting kernels sum rows or positive integer weights only).
            guess = None
            if source.can_speculate():
                guess = _speculative_window(source, layout, levels[0], refine, self.sample_rows)
            if guess is not None:
                source.speculate(layout, *guess)
        elif not in_memory and boundable and self._speculates(n):
            speculate = getattr(source, "speculate_first_batch", None)
            if speculate is not None:
                # Streamed: the window comes from the first batch, guessed while the other
                # batches wait, and the rows held stay under the streamed cap.
                most = STREAM_SPECULATE_ROWS if self.max_rows is None else self.max_rows

                def guess_from(batch: Any) -> tuple[tuple[int, int], int] | None:
                    got = _speculative_window(batch, layout, levels[0], refine, len(batch), n)
                    return None if got is None else (got[0], min(got[1], most))

                speculate(layout, guess_from)
        try:
            hist = source.histogram(layout, levels)
        except StaleSummary:
            # File statistics narrower than the rows: the source has dropped them; its
            # summary is now a real pass 0, and the range below differs, so it recounts.
            hist = None
        checked = source.summary()
        if hist is None or (checked.low, checked.high) != (summary.low, summary.high):
            # The range came from file metadata (a pass 0 folded into this pass) and
            # was only a bound: count again on the exact range, so that the bottom
            # edge is the lowest score, as everywhere else.
            layout = bin_layout(checked.low, checked.high, self.bits)
            levels = [Level(layout.shift, 0, None, np.arange(layout.n_bins, dtype=np.uint64))]
            hist = source.histogram(layout, levels)
        first = _blocks_of(hist, layout, 0, levels[0])
        cap = STREAM_MAX_ROWS if self.max_rows is None else self.max_rows
        if in_memory:
            sort_rows = max(1 << 16, n >> 5) if self.sort_rows is None else self.sort_rows
            max_levels = max(_MAX_LEVELS, -(-64 // self.bits))
        else:
            # A source may ask for a smaller cap: one whose counting pass is cheap beside
            # bringing rows back to this process (a Dask cluster) splits further.
            default = getattr(source, "stream_sort_rows", STREAM_SORT_ROWS)
            sort_rows = default if self.sort_rows is None else self.sort_rows
            sort_rows = min(sort_rows, cap)  # split further rather than exceed the cap
            max_levels = max(_STREAM_MAX_LEVELS, -(-64 // self.bits))
        blocks, keep = first, refine(first)
        n_kept = min(int(blocks.rows[keep].sum()), n)  # estimates (weighted) round up
        # While the blocks that matter hold many rows, split them on the next key bits
        # (one more counting pass) and bound again; in memory, stop when a split stops
        # paying (sorting them all is the fallback); streamed, go on while it narrows.
        while n_kept > sort_rows and len(levels) < max_levels and levels[-1].shift > 0:
            kept = blocks.take(keep)
            if (kept.level != len(levels) - 1).any():
                break  # an older block came back: splitting is not narrowing things down
            levels.append(_split(levels[-1], np.sort(kept.cell), self.bits))
            hist = source.histogram(layout, levels)
            blocks = _joined(
                blocks.take(~keep), _blocks_of(hist, layout, len(levels) - 1, levels[-1])
            )
            keep = refine(blocks)
            before, n_kept = n_kept, min(int(blocks.rows[keep].sum()), n)
            if in_memory and n_kept > before // 2:
                break
        if in_memory and n_kept > self.full_share * n:
            assert isinstance(source, ArraySource)
            source._missed()  # the collected rows (if any) do not serve a full sort
            outcome = source.speculation
            source.stop_speculating()  # free the collected rows before the full sort
            full = self._full_of(source, n_values if gains_known else None)
            return replace(full, speculation=outcome)
        if not in_memory and n_kept > cap:
            what = "the curve" if objective is None else f"metric {objective.name!r}"
            why = (
                " (it declares no monotonicity in tp and fp, so every distinct score is needed)"
                if objective is not None and objective.monotonicity is None
                else ""
            )
            msg = (
                f"'max_rows' must be at least the rows to refine for {what}{why}: "
                f"{n_kept:,} rows would have to be held in memory (got max_rows={cap:,}). "
                "Raise the limit "
                "(HistogramEngine(max_rows=...)) or read the data into memory."
            )
            raise InvalidInputError(msg)
        sub, sub_extra, n_sorted = _sorted_rows(source, layout, levels, blocks, keep, n_values)
        outcome = getattr(source, "speculation", "off")
        if stop is not None:
            stop()  # free the collected rows: a cp.scan keeps its source between calls
        thresholds, tp, fp, observed, row_block, sums = _splice(blocks, keep, sub, sub_extra)
        # The bottom block's lower edge is the lowest score itself: an observed value.
        observed[-1] = True
        return PartialSweep(
            thresholds,
            tp,
            fp,
            observed,
            _first_level_edges(blocks, row_block, layout),
            _floats(first.lower),
            n_bins=len(first),
            n_refined_bins=int(keep.sum()),
            n_refined_rows=n_sorted,
            n_levels=len(levels),
            extra=sums if value_column is not None else None,
            speculation=outcome,
        )

    @staticmethod
    def _full_of(source: Any, n_values: int | None) -> PartialSweep:
        """The full sweep of an in-memory source (with its ``n_values`` value columns;
        None: no values)."""
        extra = None if n_values is None else source.extra[:n_values]
        return _full(source.score, source.is_positive, source.weight, extra)


def _speculative_window(
    source: Any,
    layout: BinLayout,
    level: Level,
    refine: Callable[[_Blocks], BoolArray],
    sample_rows: int,
    n_rows: int | None = None,
) -> tuple[tuple[int, int], int] | None:
    """A guess of the first-level bins to refine, and a buffer capacity for their rows.

    ``refine`` (the engine's choice of blocks) runs on the histogram of
    ``sample_rows`` rows of an in-memory ``source`` (:func:`sample_index`), its counts
    scaled to the whole (``n_rows``: the whole's rows, when ``source`` is a part of it,
    such as a first batch). The bins it keeps are widened on each side by at least
    :data:`_MARGIN_SHARE` of the sample's rows and four times their square root
    (sampling noise moves the bounds and the runner-up's value; with weights, times
    :func:`_weight_spread`: their sums are noisier), empty bins next to
    them included, into one range ``(first, last)`` of bins (the top bin is collected
    too: the engine always refines it). The
    capacity is twice the rows the sample expects in the window plus
    :data:`_MIN_CAPACITY` (1/64 of the rows for fewer than 2**22 of them), at most
    :data:`_MAX_CAPACITY_SHARE` of the rows. None: no useful guess (a window
    expected to hold more than that).
    """
    index = sample_index(len(source.score), sample_rows)
    score, labels = source.score[index], source.is_positive[index]
    weight = getattr(source, "weight", None)
    w = None if weight is None else weight[index]  # weighted: the sample's weights count
    n = len(source.score) if n_rows is None else n_rows  # a batch samples all the rows
    compiled = _compiled_kernel(n)
    by_class = in_bin = None
    if compiled is not None:
        try:
            by_class, in_bin = compiled.layout_counts(
                score, labels, w, layout, count_rows=w is not None
            )
        except ImportError:  # numba installed but broken: numpy counts the same
            by_class = None
    if by_class is None:
        by_class, in_bin = count_cells(score, labels, w, layout, [level], count_rows=w is not None)
    scale = n / len(score)
    positive, negative = by_class[1::2], by_class[0::2]
    if in_bin is None:  # unweighted: the counts are the sample's rows per bin
        in_bin = positive + negative
    hist = Histogram(positive * scale, negative * scale, in_bin)
    blocks = _blocks_of(hist, layout, 0, level)
    keep = refine(blocks)
    keep[0] = False  # forced in the sample's top block: the real top bin is added below
    rows = blocks.rows
    end = np.cumsum(rows)  # sample rows down to each block's bottom
    start = end - rows
    # Sampling noise in a count of k sample rows is about sqrt(k): a few of those. With
    # weights the bounds move with the sample's weight, as noisy as a count of fewer rows.
    noise = 4.0 * np.sqrt(len(score)) * (1.0 if w is None else _weight_spread(w))
    margin = max(_MARGIN_SHARE * len(score), noise, 0.5 * float(rows[keep].sum()))
    kept = np.flatnonzero(keep)
    first = np.searchsorted(end, start[kept] - margin, side="right")
    last = np.searchsorted(start, end[kept] + margin, side="left") - 1
    floor = min(_MIN_CAPACITY, max(16, n >> 6))  # small inputs: a small buffer too
    if not len(kept):
        return (1, 0), floor  # only the top bin
    # One range of blocks a..b (highest first) covers them all (the compiled pass
    # tests a range: two compares a row), with the empty bins up to its neighbours.
    a, b = int(first.min()), int(last.max())
    low = int(blocks.cell[b + 1]) + 1 if b + 1 < len(blocks) else 0
    high = int(blocks.cell[a - 1]) - 1 if a > 0 else layout.n_bins - 1
    top_rows = 0 if high == layout.n_bins - 1 else int(in_bin[-1])
    expected = float(rows[a : b + 1].sum() + top_rows) * scale
    most = int(n * _MAX_CAPACITY_SHARE)
    if expected > most:
        return None
    return (low, high), min(2 * int(expected) + floor, max(most, floor))


def _weight_spread(weight: npt.NDArray[Any]) -> float:
    """``sqrt(k / n_eff)`` of ``k`` sampled weights, ``n_eff = (sum w)**2 / sum w**2``
    their effective size (Kish): how much noisier their sums are than a count of ``k``
    rows. 1.0 for equal weights (exactly: then a weighted window is the unweighted one);
    about 7 for ``ceil(lognormal(0, 2))`` weights, about 30 when a 1/1000 of the rows
    weighs 10,000 times the others (the window then widens past use: no speculation).
    """
    total = float(np.sum(weight, dtype=np.float64))
    if not total > 0 or weight.min() == weight.max():  # exactly 1, whatever the rounding
        return 1.0
    squares = float(np.sum(np.square(weight, dtype=np.float64)))
    return max(1.0, float(np.sqrt(len(weight) * squares)) / total)


def sample_index(n: int, sample_rows: int) -> IntArray:
    """The rows of the sample a speculative window is guessed from: all of them up to
    ``sample_rows``, else ``sample_rows`` rows in up to 256 runs of consecutive rows spread
    evenly over the input (runs: a strided read of 2**20 rows of 1e8 took 12 ms, runs
    take a fraction of that)."""
    if n <= sample_rows:
        return np.arange(n, dtype=np.int64)
    runs = min(256, sample_rows)
    length = sample_rows // runs
    starts = np.arange(runs, dtype=np.int64) * ((n - length) // max(runs - 1, 1))
    out: IntArray = (starts[:, None] + np.arange(length, dtype=np.int64)).ravel()
    return out


def window_marks(layout: BinLayout, window: tuple[int, int]) -> BoolArray:
    """The first-level bins a speculative ``window`` (first, last bin) collects: the
    range and the top bin (which the engine always refines)."""
    marks = np.zeros(layout.n_bins, dtype=bool)
    marks[window[0] : window[1] + 1] = True
    marks[-1] = True
    return marks


def _blocks_holding(blocks: _Blocks, keys: KeyArray | None) -> BoolArray:
    """Which blocks hold at least one of ``keys`` (sorted)."""
    keep = np.zeros(len(blocks), dtype=bool)
    if keys is None or not len(keys) or not len(blocks):
        return keep
    # Blocks are highest first: the first block whose lower edge is <= the key.
    ascending = blocks.lower[::-1]
    j = np.searchsorted(ascending, keys, side="right") - 1
    inside = j >= 0
    j = j[inside]
    hit = keys[inside] <= blocks.upper[::-1][j]
    keep[len(blocks) - 1 - j[hit]] = True
    return keep
