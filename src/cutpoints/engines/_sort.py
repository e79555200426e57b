"""The exact sweep: one sort, cumulative counts at every distinct score.

This is the oracle every faster or distributed path is tested against. It returns, in
descending order of score, each distinct score value and the (weighted) number of
positive and negative rows whose score is >= that value.

Speed comes from sorting *packed keys* rather than calling ``argsort``: each float64
score is mapped to its order-preserving bit pattern, shifted left one bit, and the label
goes in the freed low bit. ``np.sort`` on those uint64 keys is about 2x faster than a
stable ``argsort`` of the scores and needs no gather afterwards. The shift needs the
sign bit to be free, so non-negative and negative scores are keyed separately (the
magnitude of a negative score orders it in reverse), which is exact for every finite
float64. Weighted input must carry its weights along, so it argsorts the same keys.

Memory matters at 1e8 rows, so the common case (non-negative scores) writes straight
into the final arrays: they are filled in ascending order of score with the "flag
nothing" row in the last slot, and handed out as reversed (descending) views.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import numpy as np
import numpy.typing as npt

from ..errors import InvalidParameterError

__all__ = [
    "SortEngine",
    "exact_sweep",
    "limit_sort_threads",
    "sort_threads",
    "sweep_with_extra",
    "sweep_with_top",
]

_ONE = np.uint64(1)
_CHUNK = 1 << 16  # rows per chunk where a full-length temporary would be needed

Counts = npt.NDArray[np.int64] | npt.NDArray[np.float64]
Weights = npt.NDArray[np.float64] | npt.NDArray[np.int64] | None
# Extra per-row columns summed along the sweep like the counts (per-row values: money).
Extra = tuple[npt.NDArray[np.float64], ...] | list[npt.NDArray[np.float64]]


def _packed_keys(
    magnitude: npt.NDArray[np.float64], is_positive: npt.NDArray[np.bool_]
) -> npt.NDArray[np.uint64]:
    """Order-preserving keys of non-negative floats, with the label in the low bit.

    For x >= 0 the IEEE-754 bit pattern read as an unsigned integer is monotone in x, and
    its top (sign) bit is 0, so shifting left by one loses nothing. ``-0.0`` has only the
    sign bit set, so the shift maps it to the same key as ``+0.0``, as it must.
    """
    keys: npt.NDArray[np.uint64] = np.ascontiguousarray(magnitude).view(np.uint64) << _ONE
    keys |= is_positive
    return keys


_PARALLEL_MIN_ROWS = 1 << 16
_pool: ThreadPoolExecutor | None = None
_pool_size = 0


_THREAD_LIMIT: ContextVar[int | None] = ContextVar("cutpoints_sort_threads", default=None)


@contextmanager
def limit_sort_threads(threads: int) -> Iterator[None]:
    """Within the block, sort on at most ``threads`` threads (for parallel workers)."""
    token = _THREAD_LIMIT.set(max(1, int(threads)))
    try:
        yield
    finally:
        _THREAD_LIMIT.reset(token)


def sort_threads() -> int:
    """Threads the sweep sorts with: ``CUTPOINTS_NUM_THREADS``, else up to 8 of the cores.

    Set ``CUTPOINTS_NUM_THREADS=1`` (or use :func:`limit_sort_threads`) inside workers
    that already run one task per core (joblib, Dask), so the sort does not
    oversubscribe them.
    """
    limit = _THREAD_LIMIT.get()
    if limit is not None:
        return limit
    setting = os.environ.get("CUTPOINTS_NUM_THREADS", "").strip()
    if setting:
        try:
            return max(1, int(setting))
        except ValueError:
            msg = f"CUTPOINTS_NUM_THREADS must be a whole number (got {setting!r})"
            raise InvalidParameterError(msg) from None
    return max(1, min(8, os.cpu_count() or 1))


def _sort_in_place(keys: npt.NDArray[np.uint64]) -> None:
    """Sort ascending, on several cores for large inputs.

    numpy's sort runs on one core but releases the GIL, so the pieces sort in parallel
    threads; a stable sort (timsort for uint64) then merges the sorted runs in about
    linear time. On 2 cores this is 1.4x faster at 1e5 rows and 1.8x at 1e7, with the
    same result (keys are plain integers, so any correct sort gives the same array).
    """
    global _pool, _pool_size
    threads = sort_threads()
    if threads == 1 or keys.size < _PARALLEL_MIN_ROWS:
        keys.sort()
        return
    if _pool is None or _pool_size < threads:
        _pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="cutpoints-sort")
        _pool_size = threads
    bounds = np.linspace(0, keys.size, threads + 1).astype(np.intp)
    pieces = [keys[a:b] for a, b in itertools.pairwise(bounds) if b > a]
    for done in [_pool.submit(piece.sort) for piece in pieces]:
        done.result()
    keys.sort(kind="stable")


def _sorted_runs(
    magnitude: npt.NDArray[np.float64],
    is_positive: npt.NDArray[np.bool_],
    weight: Weights,
    extra: Extra = (),
) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.intp], Weights, list[npt.NDArray[np.float64]]]:
    """Sort the packed keys; return them (label bit still in), run starts, sorted weights
    and sorted extra columns."""
    keys = _packed_keys(magnitude, is_positive)
    sorted_weight: Weights = None
    sorted_extra: list[npt.NDArray[np.float64]] = []
    if weight is None and not extra:
        _sort_in_place(keys)
    else:
        # Columns that travel with the rows need the permutation: one argsort for all.
        order = np.argsort(keys)
        keys = keys[order]
        # Narrow weights (int32, float32: summed as given by the counting engines) are
        # widened here, after the gather: the per-run and cumulative sums must not
        # overflow int32 nor round in float32.
        sorted_weight = None if weight is None else _wide_weights(weight[order])
        sorted_extra = [column[order] for column in extra]
        del order
    # A run starts where the score bits change: keys that differ above the label bit.
    boundary = np.empty(keys.size, dtype=bool)
    boundary[0] = True
    for begin in range(1, keys.size, _CHUNK):
        end = min(begin + _CHUNK, keys.size)
        np.greater(keys[begin:end] ^ keys[begin - 1 : end - 1], _ONE, out=boundary[begin:end])
    starts = np.flatnonzero(boundary)
    return keys, starts, sorted_weight, sorted_extra


def _wide_weights(weight: np.ndarray) -> Any:
    """``weight`` as int64 or float64 (the array itself when it already is)."""
    return weight.astype(np.int64 if weight.dtype.kind in "iu" else np.float64, copy=False)


def _cumulative_from_top(
    sorted_column: npt.NDArray[np.float64], starts: npt.NDArray[np.intp]
) -> npt.NDArray[np.float64]:
    """Per-run sums accumulated from the top, in the ascending layout (slot R is 0)."""
    out = np.empty(starts.size + 1, dtype=np.float64)
    np.add.reduceat(sorted_column, starts, out=out[: starts.size])
    out[starts.size] = 0.0
    np.cumsum(out[::-1], out=out[::-1])
    return out


def _ascending_into(
    magnitude: npt.NDArray[np.float64],
    is_positive: npt.NDArray[np.bool_],
    weight: Weights,
    extra: Extra = (),
    extra_out: list[npt.NDArray[np.float64]] | None = None,
) -> tuple[npt.NDArray[np.float64], Counts, Counts]:
    """Buffers of length R + 1 in ascending order of score, slot R the "flag nothing" row.

    ``tp[r]`` is the (weighted) count of positives with score >= the r-th smallest
    distinct score, likewise ``fp``; ``tp[R] = fp[R] = 0``. Each ``extra`` column's
    cumulative sum over the same rows is appended to ``extra_out``, in the same layout.
    """
    keys, starts, sorted_weight, sorted_extra = _sorted_runs(magnitude, is_positive, weight, extra)
    if extra_out is not None:
        # Summed like the weighted counts: per run, then from the top down.
        extra_out.extend(_cumulative_from_top(column, starts) for column in sorted_extra)
    del sorted_extra
    n, n_runs = keys.size, starts.size
    thresholds = np.empty(n_runs + 1, dtype=np.float64)
    threshold_bits = thresholds[:n_runs].view(np.uint64)
    # mode="wrap": with the default "raise", numpy buffers the whole output (n x 8 bytes
    # more at the peak); the indices are valid by construction.
    np.take(keys, starts, out=threshold_bits, mode="wrap")
    threshold_bits >>= _ONE  # drop the label bit: the float's own bits remain
    thresholds[n_runs] = np.inf
    # The score bits are spent; the same buffer now holds labels, then (for unweighted
    # data) their running count: no new n-length array, so no extra memory and no
    # page faults on fresh pages.
    keys &= _ONE
    labels = keys.view(np.int64)
    if sorted_weight is None:
        np.cumsum(labels, out=labels)  # same dtype in and out: no cast buffer
        n_positive = int(labels[-1])
        tp = np.empty(n_runs + 1, dtype=np.int64)
        # Positives below run r end at row starts[r] - 1; run 0 has none below it.
        starts -= 1
        np.take(labels, starts, out=tp[:n_runs], mode="wrap")  # starts[0] - 1 = -1: reset below
        starts += 1
        tp[0] = 0
        del labels, keys
        np.subtract(n_positive, tp[:n_runs], out=tp[:n_runs])
        tp[n_runs] = 0
        fp = np.empty(n_runs + 1, dtype=np.int64)
        np.subtract(n, starts, out=fp[:n_runs])  # rows at or above each run
        fp[:n_runs] -= tp[:n_runs]
        fp[n_runs] = 0
        return thresholds, tp, fp
    # Weighted: sum each run, then accumulate from the top down, so the top rows (small
    # counts, where precision is most sensitive) are exact sums and zeros stay zero.
    dtype = sorted_weight.dtype
    positive_weight = sorted_weight * labels
    del labels, keys
    tp_w: Any = np.empty(n_runs + 1, dtype=dtype)  # int64 or float64, as the weights
    np.add.reduceat(positive_weight, starts, out=tp_w[:n_runs])
    np.subtract(sorted_weight, positive_weight, out=sorted_weight)
    del positive_weight
    fp_w: Any = np.empty(n_runs + 1, dtype=dtype)
    np.add.reduceat(sorted_weight, starts, out=fp_w[:n_runs])
    tp_w[n_runs] = fp_w[n_runs] = 0
    # Reversed views: element 0 is the "flag nothing" slot, then runs from the top.
    np.cumsum(tp_w[::-1], out=tp_w[::-1])
    np.cumsum(fp_w[::-1], out=fp_w[::-1])
    return thresholds, tp_w, fp_w


def _runs(cumulative: np.ndarray) -> np.ndarray:
    """Per-run amounts of an ascending cumulative buffer (its flag-nothing slot dropped)."""
    body = cumulative[:-1]
    return np.asarray(body - np.append(body[1:], body.dtype.type(0)))


def _descending_parts(
    score: npt.NDArray[np.float64],
    is_positive: npt.NDArray[np.bool_],
    weight: Weights,
    extra: Extra = (),
    extra_out: list[npt.NDArray[np.float64]] | None = None,
) -> tuple[npt.NDArray[np.float64], Counts, Counts]:
    """The general path for scores of both signs: each sign keyed on its own."""
    negative_rows = score < 0
    thresholds_parts, tp_parts, fp_parts = [], [], []
    extra_parts: list[list[np.ndarray]] = [[] for _ in extra]
    for take in (~negative_rows, negative_rows):
        if not take.any():
            continue
        part_weight = None if weight is None else weight[take]
        is_negative_part = take is negative_rows
        magnitude = -score[take] if is_negative_part else score[take]
        sums: list[npt.NDArray[np.float64]] = []
        t, tp, fp = _ascending_into(
            magnitude, is_positive[take], part_weight, [c[take] for c in extra], sums
        )
        # Per-run counts (not cumulative) so the two parts can be joined.
        runs = [_runs(tp), _runs(fp), *(_runs(c) for c in sums)]
        t = t[:-1]
        if is_negative_part:  # ascending magnitude = descending score: already in order
            thresholds_parts.append(-t)
        else:
            thresholds_parts.append(t[::-1])
            runs = [r[::-1] for r in runs]
        tp_parts.append(runs[0])
        fp_parts.append(runs[1])
        for parts, run in zip(extra_parts, runs[2:], strict=True):
            parts.append(run)
    thresholds = np.concatenate([[np.inf], *thresholds_parts])
    tp_all = np.concatenate([[tp_parts[0].dtype.type(0)], *tp_parts])
    fp_all = np.concatenate([[fp_parts[0].dtype.type(0)], *fp_parts])
    if extra_out is not None:
        extra_out.extend(np.cumsum(np.concatenate([[0.0], *parts])) for parts in extra_parts)
    return thresholds, np.cumsum(tp_all), np.cumsum(fp_all)


def sweep_with_top(
    score: npt.NDArray[np.float64],
    is_positive: npt.NDArray[np.bool_],
    weight: Weights = None,
) -> tuple[npt.NDArray[np.float64], Counts, Counts]:
    """Like :func:`exact_sweep`, with a first row ``(+inf, 0, 0)`` that flags nothing.

    The arrays may be reversed views of ascending buffers (negative strides); that saves
    a copy of each at 1e8 rows and is invisible to numpy code.
    """
    is_positive = np.asarray(is_positive, dtype=bool)
    if score.size and score.min() >= 0:  # the common case: probabilities, counts
        thresholds, tp, fp = _ascending_into(score, is_positive, weight)
        return thresholds[::-1], tp[::-1], fp[::-1]
    return _descending_parts(score, is_positive, weight)


def sweep_with_extra(
    score: npt.NDArray[np.float64],
    is_positive: npt.NDArray[np.bool_],
    weight: Weights,
    extra: Extra,
) -> tuple[npt.NDArray[np.float64], Counts, Counts, list[npt.NDArray[np.float64]]]:
    """:func:`sweep_with_top` that also sums extra per-row columns in the same sort.

    Parameters
    ----------
    extra : sequence of ndarray of float64, shape (n_samples,)
        Per-row amounts (already multiplied by any weight).

    Returns
    -------
    thresholds, tp, fp
        As :func:`sweep_with_top`.
    sums : list of ndarray of float64, shape (n_thresholds,)
        Element i of ``sums[k]`` is the sum of ``extra[k]`` over the rows with
        ``score >= thresholds[i]`` (0 at the first row, which flags nothing).

    Examples
    --------
    >>> import numpy as np
    >>> t, tp, fp, (amount,) = sweep_with_extra(
    ...     np.array([0.1, 0.4, 0.8]), np.array([False, True, True]), None,
    ...     [np.array([5.0, 7.0, 11.0])])
    >>> t, amount
    (array([inf, 0.8, 0.4, 0.1]), array([ 0., 11., 18., 23.]))
    """
    is_positive = np.asarray(is_positive, dtype=bool)
    sums: list[npt.NDArray[np.float64]] = []
    if score.size and score.min() >= 0:
        thresholds, tp, fp = _ascending_into(score, is_positive, weight, extra, sums)
        return thresholds[::-1], tp[::-1], fp[::-1], [c[::-1] for c in sums]
    thresholds, tp, fp = _descending_parts(score, is_positive, weight, extra, sums)
    return thresholds, tp, fp, sums


def exact_sweep(
    score: npt.NDArray[np.float64],
    is_positive: npt.NDArray[np.bool_],
    weight: Weights = None,
) -> tuple[npt.NDArray[np.float64], Counts, Counts]:
    """Cumulative confusion counts at every distinct score, highest score first.

    Parameters
    ----------
    score : ndarray of float64, shape (n_samples,)
        Finite scores (validated by the caller).
    is_positive : ndarray of bool, shape (n_samples,)
        True for rows of the positive class.
    weight : ndarray of float64 or int64, shape (n_samples,), optional
        Non-negative row weights; None means every row counts once.

    Returns
    -------
    thresholds : ndarray of float64, shape (n_thresholds,)
        The distinct scores in strictly decreasing order.
    tp : ndarray, shape (n_thresholds,)
        Element i is the (weighted) number of positives with ``score >= thresholds[i]``.
        int64 without weights or with integer weights, float64 otherwise.
    fp : ndarray, shape (n_thresholds,)
        Element i is the (weighted) number of negatives with ``score >= thresholds[i]``.
        Accumulated on its own (not as a total minus tp), so it is monotone.

    Examples
    --------
    >>> import numpy as np
    >>> t, tp, fp = exact_sweep(np.array([0.1, 0.4, 0.35, 0.8, 0.4]),
    ...                         np.array([False, False, True, True, True]))
    >>> t
    array([0.8 , 0.4 , 0.35, 0.1 ])
    >>> tp, fp
    (array([1, 2, 3, 3]), array([0, 1, 1, 2]))
    """
    thresholds, tp, fp = sweep_with_top(score, is_positive, weight)
    return thresholds[1:], tp[1:], fp[1:]


class SortEngine:
    """The exact in-memory engine: one sort of packed keys, cumulative counts.

    The oracle every other engine is tested against, to the count.
    """

    name = "sort"

    def sweep(
        self,
        score: npt.NDArray[np.float64],
        is_positive: npt.NDArray[np.bool_],
        weight: Weights = None,
    ) -> tuple[npt.NDArray[np.float64], Counts, Counts]:
        """Counts at every distinct score plus a first "flag nothing" row (``+inf``)."""
        return sweep_with_top(score, is_positive, weight)
