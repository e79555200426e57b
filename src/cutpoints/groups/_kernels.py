"""The grouped histogram path's loops, compiled: integer group codes, (group, bin)
counts, the rows of the picked cells, their exact curve rows, and the joint knapsack's
hulls and DP stages.

:mod:`cutpoints.groups._binned` counts every (group, score bin) cell in one pass over
the rows, then picks the rows of the cells that may hold an answer in a second one and
turns them into exact curve rows. In numpy each pass computes, per chunk, the score's
key, its bin, the cell and a bincount (or a gather): several full-length temporaries;
the curve rows take two argsorts and a dozen gathers. Here each pass is one loop
compiled by numba, reading each input column once (:func:`cell_counts`,
:func:`picked_rows`, which also gathers what the next step reads), and the curve rows
one counting sort by cell with a small sort per cell (:func:`sorted_runs`: insertion
for the usual few dozen rows; without weights :func:`bucketed_runs`, ranges of groups
on the sort threads, a bucket sort before the insertion). Integer group labels are
coded in one scan (:func:`int_scan`: min, max and the labels present), the scores'
range found in another (:func:`score_range`). Without weights, the threads' count
tables are added up and turned into each group's edge counts in one compiled pass
too (:func:`group_edges`). The knapsack of
:mod:`cutpoints.groups._joint` finds each group's hull in one pass
(:func:`upper_hull`) and runs its per-item loop compiled, branch-free
(:func:`knapsack_stage`). The numpy code stays the oracle: ``tests/test_groups_kernels.py``
checks that both give the same tables, rows, curve rows and DP stages.

Exactly the numpy passes' semantics (:func:`cutpoints.engines._histogram._relative_keys_into`):
a row's cell is ``code * n_bins + ((key - base) >> shift)``, ``-0.0`` keys as ``+0.0``,
negative scores order in reverse of their magnitude, and under a non-negative layout
the sign bit is cleared. Weights are summed into float64 cells, as the numpy pass sums
them: the grouped path takes only weights whose sums are exact in any order (whole
numbers below 2**52, see :func:`~cutpoints.groups._binned.applicable`), so the order of
the sums does not matter.

Threads and start-up follow the ungrouped compiled pass
(:mod:`cutpoints.engines._compiled`): ``nogil`` kernels on its pool of Python threads,
numba imported on the first call, kernels cached (``cache=True``), and
:func:`worthwhile` says when numba's start-up pays off.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from ..engines import _compiled
from ..engines._compiled import _even_parts, _map
from ..engines._histogram import BinLayout
from ..engines._sort import sort_threads
from ..errors import InvalidParameterError

__all__ = [
    "COLD_START_ITEMS",
    "GroupTables",
    "Picked",
    "bucketed_runs",
    "cell_counts",
    "group_edges",
    "int_scan",
    "knapsack_stage",
    "knapsack_worthwhile",
    "picked_rows",
    "score_range",
    "sorted_runs",
    "upper_hull",
    "worthwhile",
]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

_lock = threading.Lock()
_warm = False  # these kernels ran in this process: no start-up left to pay
_kernels: dict[str, Callable[..., Any]] | None = None


# ---------------------------------------------------------------------------- kernels
# Plain functions, compiled by numba on first use (see _compile). Key quantities are
# uint64 throughout: mixing them with int64 would promote to float64.


def _cell(  # pragma: no cover - compiled
    u: Any, code: Any, base: Any, shift: Any, n_bins: int, nonnegative: bool
) -> Any:
    """The cell of a score whose float64 bits are ``u`` in group ``code``: ``code *
    n_bins + bin``, or -1 outside the layout."""
    high = np.uint64(1 << 63)
    low_mask = np.uint64((1 << 63) - 1)
    mag = u & low_mask
    if nonnegative:
        rel = mag - (base & low_mask)  # the sign is dropped (-0.0 keys as +0.0)
    elif u >= high and mag != np.uint64(0):
        rel = (low_mask - mag) - base  # ~bits: negative scores in reverse of magnitude
    else:
        rel = (mag | high) - base
    b = rel >> shift
    if b >= np.uint64(n_bins):
        return np.int64(-1)
    return np.int64(code) * np.int64(n_bins) + np.int64(b)


def _count_loop(  # pragma: no cover - compiled
    bits: Any,
    is_positive: Any,
    codes: Any,
    weight: Any,
    start: int,
    stop: int,
    base: Any,
    shift: Any,
    n_bins: int,
    table: Any,
    rows: Any,
    nonnegative: bool,
    weighted: bool,
) -> int:
    outside = 0
    # Slices indexed from 0: no wrap-around checks in the loop.
    u, labels, g = bits[start:stop], is_positive[start:stop], codes[start:stop]
    w = weight[start:stop] if weighted else weight
    for i in range(stop - start):
        c = _cell(u[i], g[i], base, shift, n_bins, nonnegative)
        if c < 0:
            outside += 1
            continue
        if weighted:
            table[2 * c + np.int64(labels[i])] += np.float64(w[i])
            rows[c] += 1
        else:
            table[2 * c + np.int64(labels[i])] += 1
    return outside


def _count_nonnegative(  # pragma: no cover - compiled
    bits: Any,
    is_positive: Any,
    codes: Any,
    weight: Any,
    start: int,
    stop: int,
    base: Any,
    shift: Any,
    n_bins: int,
    table: Any,
    rows: Any,
) -> int:
    if len(weight):
        return _count_loop(
            bits, is_positive, codes, weight, start, stop, base, shift, n_bins, table, rows,
            True, True,
        )  # fmt: skip
    return _count_loop(
        bits, is_positive, codes, weight, start, stop, base, shift, n_bins, table, rows,
        True, False,
    )  # fmt: skip


def _count_signed(  # pragma: no cover - compiled
    bits: Any,
    is_positive: Any,
    codes: Any,
    weight: Any,
    start: int,
    stop: int,
    base: Any,
    shift: Any,
    n_bins: int,
    table: Any,
    rows: Any,
) -> int:
    if len(weight):
        return _count_loop(
            bits, is_positive, codes, weight, start, stop, base, shift, n_bins, table, rows,
            False, True,
        )  # fmt: skip
    return _count_loop(
        bits, is_positive, codes, weight, start, stop, base, shift, n_bins, table, rows,
        False, False,
    )  # fmt: skip


def _merge_edges(  # pragma: no cover - compiled
    tables: Any,
    first: int,
    last: int,
    n_bins: int,
    rows: Any,
    tp_edges: Any,
    fp_edges: Any,
) -> None:
    """Add up the threads' tables (``tables[k, 2 * cell + is_positive]``, bins
    ascending) for groups ``first:last`` and write their rows per cell, bins highest
    scores first, and their cumulative counts at every bin edge: one pass, no strided
    temporaries."""
    n_parts = tables.shape[0]
    for g in range(first, last):
        tp, fp = np.int64(0), np.int64(0)
        tp_edges[g, 0], fp_edges[g, 0] = 0, 0
        top = 2 * n_bins * (g + 1)
        for j in range(n_bins):
            at = top - 2 * (j + 1)
            p, q = np.int64(0), np.int64(0)
            for k in range(n_parts):
                q += np.int64(tables[k, at])
                p += np.int64(tables[k, at + 1])
            rows[g, j] = p + q
            tp += p
            fp += q
            tp_edges[g, j + 1], fp_edges[g, j + 1] = tp, fp


def _pick_loop(  # pragma: no cover - compiled
    bits: Any,
    codes: Any,
    start: int,
    stop: int,
    base: Any,
    shift: Any,
    n_bins: int,
    picked: Any,
    out: Any,
    out_cell: Any,
    out_score: Any,
    out_label: Any,
    is_positive: Any,
    nonnegative: bool,
) -> int:
    k = 0
    u, g, labels = bits[start:stop], codes[start:stop], is_positive[start:stop]
    score = u.view(np.float64)
    for i in range(stop - start):
        c = _cell(u[i], g[i], base, shift, n_bins, nonnegative)
        if c >= 0 and picked[c]:
            if k == len(out):  # more rows than counted: never write past the buffers
                return -1
            out[k] = start + i
            out_cell[k] = c
            out_score[k] = score[i]
            out_label[k] = labels[i]
            k += 1
    return k


def _pick_nonnegative(  # pragma: no cover - compiled
    bits: Any,
    codes: Any,
    start: int,
    stop: int,
    base: Any,
    shift: Any,
    n_bins: int,
    picked: Any,
    out: Any,
    out_cell: Any,
    out_score: Any,
    out_label: Any,
    is_positive: Any,
) -> int:
    return _pick_loop(
        bits, codes, start, stop, base, shift, n_bins, picked, out, out_cell, out_score,
        out_label, is_positive, True,
    )  # fmt: skip


def _pick_signed(  # pragma: no cover - compiled
    bits: Any,
    codes: Any,
    start: int,
    stop: int,
    base: Any,
    shift: Any,
    n_bins: int,
    picked: Any,
    out: Any,
    out_cell: Any,
    out_score: Any,
    out_label: Any,
    is_positive: Any,
) -> int:
    return _pick_loop(
        bits, codes, start, stop, base, shift, n_bins, picked, out, out_cell, out_score,
        out_label, is_positive, False,
    )  # fmt: skip


def _knapsack_stage(  # pragma: no cover - compiled
    best: Any, lo: int, hi: int, cap: int, units: Any, values: Any, new: Any, choice: Any
) -> None:
    """One group's stage of the knapsack's DP: item ``j`` (in order) moves each alive
    level ``s`` to ``s + units[j]`` with ``best[s] + values[j]`` where strictly better
    (an earlier item keeps a tie), as the numpy loop of
    :func:`cutpoints.groups._joint._array_knapsack` does."""
    for j in range(len(units)):
        uj = units[j]
        if uj > cap - lo:
            continue
        stop = min(hi, cap - uj) + 1
        vj = values[j]
        # Views and selects, no branch: the loop vectorizes (about 1.5x faster).
        source, target = best[lo:stop], new[lo + uj : stop + uj]
        chosen = choice[lo + uj : stop + uj]
        for i in range(stop - lo):
            candidate = source[i] + vj
            old = target[i]
            better = candidate > old
            target[i] = candidate if better else old
            chosen[i] = j if better else chosen[i]


def _int_scan(  # pragma: no cover - compiled
    values: Any, start: int, stop: int, low: Any, present: Any
) -> tuple[Any, Any]:
    """The lowest and highest of ``values[start:stop]``, marking ``present[v - low]``
    for the values within ``[low, low + len(present) - 1)``; the last flag is a sink for
    the others (no branch in the loop)."""
    lo, hi = values[start], values[start]
    sink = np.uint64(len(present) - 1)
    v = values[start:stop]
    for i in range(stop - start):
        x = v[i]
        lo = min(lo, x)
        hi = max(hi, x)
        present[min(np.uint64(x - low), sink)] = True  # below ``low`` wraps: the sink
    return lo, hi


def _upper_hull(w: Any, v: Any, out: Any) -> int:  # pragma: no cover - compiled
    """The upper concave hull's vertices of points with ``w`` ascending, into ``out``;
    how many. The numpy oracle's algorithm (:meth:`cutpoints.groups._joint._Items.hull`)
    step for step: every point on or below the chord between its two neighbours in the
    current chain is dropped at once, pass after pass, with the same float comparison,
    so rounding decides near-collinear points the same way (a monotone chain tests
    other triples and can keep another vertex)."""
    n = len(w)
    for i in range(n):
        out[i] = i
    k = n
    keep = np.ones(n, dtype=np.bool_)
    while k > 2:
        dropped = False
        for j in range(1, k - 1):
            left, mid, right = out[j - 1], out[j], out[j + 1]
            below = (v[mid] - v[left]) * (w[right] - w[left]) <= (v[right] - v[left]) * (
                w[mid] - w[left]
            )
            keep[j] = not below
            dropped = dropped or below
        if not dropped:
            break
        m = 0
        for j in range(k):
            if j == 0 or j == k - 1 or keep[j]:
                out[m] = out[j]
                m += 1
        k = m
    return k


#: Picked rows from which :func:`bucketed_runs` splits its work between the threads.
_MIN_ROWS_A_RANGE = 1 << 15

#: Buckets of at most this many rows are sorted by insertion in place (a bucket is a
#: score bin of one group: a few dozen rows); larger ones by an argsort.
_INSERTION_MAX = 64


def _sort_bucket(  # pragma: no cover - compiled
    keys: Any, labels: Any, weights: Any, a: int, e: int
) -> None:
    """Sort ``keys[a:e]`` ascending in place, carrying ``labels`` and ``weights`` along
    (the order among equal keys does not matter: their counts are summed, exactly)."""
    if e - a <= _INSERTION_MAX:
        for i in range(a + 1, e):
            k, lab, w = keys[i], labels[i], weights[i]
            j = i - 1
            while j >= a and keys[j] > k:
                keys[j + 1], labels[j + 1], weights[j + 1] = keys[j], labels[j], weights[j]
                j -= 1
            keys[j + 1], labels[j + 1], weights[j + 1] = k, lab, w
        return
    order = np.argsort(keys[a:e]) + a
    keys[a:e] = keys[order]
    labels[a:e] = labels[order]
    weights[a:e] = weights[order]


def _runs(  # pragma: no cover - compiled
    cell: Any,
    score: Any,
    label: Any,
    weight: Any,
    n_bins: int,
    rank: Any,
    offsets: Any,
    bucket_group: Any,
    bucket_bin: Any,
    tp_edges: Any,
    fp_edges: Any,
    out_group: Any,
    out_bin: Any,
    out_t: Any,
    out_tp: Any,
    out_fp: Any,
    out_starts: Any,
    n_rows: Any,
) -> int:
    n_groups = len(out_starts) - 1
    # Bucket the picked rows by refined cell (group, then bins highest first): a
    # counting sort that carries each row's key (its score negated, + 0.0: both zeros
    # are one score), label and weight.
    n = len(cell)
    fill = offsets[:-1].copy()
    keys = np.empty(n, dtype=np.float64)
    labels = np.empty(n, dtype=np.bool_)
    weights = np.empty(n, dtype=weight.dtype)
    for k in range(n):
        c = cell[k]
        g = c // n_bins
        r = rank[g * n_bins + (n_bins - 1 - (c - g * n_bins))]
        at = fill[r]
        keys[at] = -(score[k] + 0.0)
        labels[at] = label[k]
        weights[at] = weight[k]
        fill[r] = at + 1
    out = 0
    group = -1
    for r in range(len(offsets) - 1):
        g = bucket_group[r]
        group, out = _open_groups(
            group, g, out, out_group, out_bin, out_t, out_tp, out_fp, out_starts
        )
        a, e = offsets[r], offsets[r + 1]
        _sort_bucket(keys, labels, weights, a, e)  # the bucket's rows, highest score first
        tp, fp = tp_edges[g, bucket_bin[r]], fp_edges[g, bucket_bin[r]]
        q = a
        while q < e:
            t = keys[q]
            while q < e and keys[q] == t:
                if labels[q]:
                    tp += weights[q]
                else:
                    fp += weights[q]
                q += 1
            out_group[out], out_bin[out], out_t[out] = g, bucket_bin[r], -t
            out_tp[out], out_fp[out] = tp, fp
            out += 1
        n_rows[g] += e - a
    # Groups after the last refined cell (none: every group has a refined bin).
    group, out = _open_groups(
        group, n_groups - 1, out, out_group, out_bin, out_t, out_tp, out_fp, out_starts
    )
    out_starts[n_groups] = out
    return out


def _open_groups(  # pragma: no cover - compiled
    group: int,
    until: int,
    out: int,
    out_group: Any,
    out_bin: Any,
    out_t: Any,
    out_tp: Any,
    out_fp: Any,
    out_starts: Any,
) -> tuple[int, int]:
    """Row 0 ("flag nothing") of each group after ``group`` up to ``until``, written at
    ``out`` onward, where each such group's runs start; returns ``(until, out)`` moved
    on (``group`` itself when it is not below ``until``)."""
    while group < until:
        group += 1
        out_starts[group] = out
        out_group[out], out_bin[out], out_t[out] = group, -1, np.inf
        out_tp[out], out_fp[out] = 0, 0
        out += 1
    return group, out


def _sort_pairs(  # pragma: no cover - compiled
    keys: Any, labels: Any, a: int, e: int, tmp_keys: Any, tmp_labels: Any, fill: Any
) -> None:
    """:func:`_sort_bucket` without weights, faster on a bucket's few dozen rows: a
    bucket sort by the key's place between the bucket's lowest and highest (as many
    slots as rows; the slot only grows with the key), then insertion, which finds
    the rows almost in order (exact whatever the slots: they only save moves).
    ``tmp_keys``, ``tmp_labels`` and ``fill`` hold at least ``_INSERTION_MAX + 1``."""
    m = e - a
    if m <= 1:
        return  # nothing to order (and an empty bucket at the end has no keys[a])
    if m > _INSERTION_MAX:
        order = np.argsort(keys[a:e]) + a
        keys[a:e] = keys[order]
        labels[a:e] = labels[order]
        return
    lo, hi = keys[a], keys[a]
    for i in range(a + 1, e):
        lo = min(lo, keys[i])
        hi = max(hi, keys[i])
    span = hi - lo
    scale = m / span if span > 0.0 else 0.0
    # Else all tied, or a span past float64 or too small to divide by (subnormal):
    # insertion alone. A finite scale keeps each slot in [0, m) (no NaN, no overflow).
    if span < np.inf and 0.0 < scale < np.inf:
        for s in range(m + 1):
            fill[s] = 0
        for i in range(a, e):
            fill[max(0, min(np.int64((keys[i] - lo) * scale), m - 1)) + 1] += 1
        for s in range(m):
            fill[s + 1] += fill[s]
        for i in range(a, e):
            s = max(0, min(np.int64((keys[i] - lo) * scale), m - 1))
            at = fill[s]
            tmp_keys[at], tmp_labels[at] = keys[i], labels[i]
            fill[s] = at + 1
        for i in range(m):
            keys[a + i], labels[a + i] = tmp_keys[i], tmp_labels[i]
    for i in range(a + 1, e):
        k, lab = keys[i], labels[i]
        j = i - 1
        while j >= a and keys[j] > k:
            keys[j + 1], labels[j + 1] = keys[j], labels[j]
            j -= 1
        keys[j + 1], labels[j + 1] = k, lab


def _bucket_runs(  # pragma: no cover - compiled
    cell: Any,
    score: Any,
    label: Any,
    rank: Any,
    n_bins: int,
    offsets: Any,
    bucket_group: Any,
    bucket_bin: Any,
    r0: int,
    r1: int,
    g0: int,
    g1: int,
    tp_edges: Any,
    fp_edges: Any,
    out_group: Any,
    out_bin: Any,
    out_t: Any,
    out_tp: Any,
    out_fp: Any,
    out_starts: Any,
    n_rows: Any,
) -> int:
    """:func:`_runs` (unweighted) for buckets ``r0:r1``, the refined cells of groups
    ``g0:g1``: it buckets their rows (of all the picked rows, those of these groups,
    by their cell's rank ``rank[cell]``), then writes their curve rows from 0 (``out_starts[g]``
    relative to them), or -1 if a bucket holds more rows than ``offsets`` gives it.
    Threads take ranges of groups apart."""
    base = offsets[r0]
    n = offsets[r1] - base
    fill = offsets[r0:r1] - base
    keys = np.empty(n, dtype=np.float64)
    labels = np.empty(n, dtype=np.bool_)
    first, last = g0 * n_bins, g1 * n_bins  # the range's cells (ids group * n_bins + bin)
    for k in range(len(cell)):
        c = cell[k]
        if c < first or c >= last:
            continue
        r = rank[c]
        if r < r0 or r >= r1:  # a row outside the refined cells: not what was counted
            return -1
        at = fill[r - r0]
        if at >= offsets[r + 1] - base:  # more rows than counted: never write past it
            return -1
        keys[at] = -(score[k] + 0.0)  # both zeros are one score
        labels[at] = label[k]
        fill[r - r0] = at + 1
    out = 0
    group = g0 - 1
    tmp_keys = np.empty(_INSERTION_MAX + 1, dtype=np.float64)
    tmp_labels = np.empty(_INSERTION_MAX + 1, dtype=np.bool_)
    slots = np.empty(_INSERTION_MAX + 2, dtype=np.int64)
    for r in range(r0, r1):
        g = bucket_group[r]
        group, out = _open_groups(
            group, g, out, out_group, out_bin, out_t, out_tp, out_fp, out_starts
        )
        a, e = offsets[r] - base, offsets[r + 1] - base
        _sort_pairs(keys, labels, a, e, tmp_keys, tmp_labels, slots)  # highest score first
        b = bucket_bin[r]
        tp, fp = tp_edges[g, b], fp_edges[g, b]
        q = a
        while q < e:
            t = keys[q]
            while q < e and keys[q] == t:
                if labels[q]:
                    tp += 1
                else:
                    fp += 1
                q += 1
            out_group[out], out_bin[out], out_t[out] = g, b, -t
            out_tp[out], out_fp[out] = tp, fp
            out += 1
        n_rows[g] += e - a
    # Groups after the last refined cell (none: every group has a refined bin).
    group, out = _open_groups(
        group, g1 - 1, out, out_group, out_bin, out_t, out_tp, out_fp, out_starts
    )
    return out


def _compile() -> dict[str, Callable[..., Any]]:
    """The compiled kernels (imports numba; compiles, or loads from the cache, lazily)."""
    global _kernels
    with _lock:
        if _kernels is None:
            import numba

            jit = numba.njit(nogil=True, cache=True, boundscheck=False)
            # Kernels call helpers through this module's globals, which numba resolves
            # when it compiles: point those names at the compiled helpers first.
            module = globals()
            inline = numba.njit(inline="always")
            for name in (
                "_cell",
                "_count_loop",
                "_pick_loop",
                "_sort_bucket",
                "_sort_pairs",
                "_open_groups",
            ):
                module[name] = inline(module[name])
            _kernels = {
                name: jit(module[f"_{name}"])
                for name in (
                    "count_nonnegative",
                    "count_signed",
                    "merge_edges",
                    "pick_nonnegative",
                    "pick_signed",
                    "bucket_runs",
                    "knapsack_stage",
                    "runs",
                    "int_scan",
                    "upper_hull",
                )
            }
        return _kernels


def worthwhile(n_rows: int) -> bool:
    """Whether to run the compiled passes on ``n_rows`` rows rather than numpy: the
    ungrouped engine's policy (:func:`cutpoints.engines._compiled.worthwhile`), warm
    when either these kernels or the ungrouped ones already ran in this process.

    Examples
    --------
    >>> from cutpoints.engines._compiled import AVAILABLE
    >>> from cutpoints.groups._kernels import worthwhile
    >>> worthwhile(10**9) == AVAILABLE
    True
    """
    return _compiled.AVAILABLE and (_warm or _compiled.worthwhile(n_rows))


def int_scan(values: IntArray, low: int, window: int) -> tuple[int, int, BoolArray]:
    """The lowest and highest value, and which of ``low .. low + window - 1`` occur: one
    compiled pass on the sort threads (numpy needs a min, a max and a bincount).

    Examples
    --------
    >>> import numpy as np
    >>> from cutpoints.groups._kernels import int_scan
    >>> low, high, present = int_scan(np.array([7, 3, 5, 3, 40]), 3, 5)
    >>> low, high, present.tolist()
    (3, 40, [True, False, True, False, True])
    """
    if len(values) == 0:
        msg = "'values' must hold at least one label to scan (got an empty array)"
        raise InvalidParameterError(msg)
    global _warm
    kernel = _compile()["int_scan"]
    _warm = True
    values = np.ascontiguousarray(values, dtype=np.int64)

    def task(a: int, b: int) -> tuple[int, int, BoolArray]:
        present = np.zeros(window + 1, dtype=np.bool_)
        lo, hi = kernel(values, a, b, np.int64(low), present)
        return int(lo), int(hi), present[:window]

    parts = _map(task, _even_parts(len(values)))
    present = parts[0][2]
    for _, _, more in parts[1:]:
        present |= more
    return min(p[0] for p in parts), max(p[1] for p in parts), present


#: Knapsack items (rows of all groups within the budget) from which the compiled DP
#: stage pays for numba's start-up in a cold process: the numpy stage costs a few
#: microseconds an item, the start-up about a second.
COLD_START_ITEMS = 200_000


def knapsack_worthwhile(n_items: int) -> bool:
    """Whether to run the knapsack's stages with :func:`knapsack_stage` rather than
    numpy: numba already ran in this process, or ``n_items`` repay its start-up.

    Examples
    --------
    >>> from cutpoints.engines._compiled import AVAILABLE
    >>> from cutpoints.groups._kernels import knapsack_worthwhile
    >>> knapsack_worthwhile(10**9) == AVAILABLE
    True
    """
    return _compiled.AVAILABLE and (_warm or _compiled._warm or n_items >= COLD_START_ITEMS)


def knapsack_stage(
    best: FloatArray,
    lo: int,
    hi: int,
    cap: int,
    units: IntArray,
    values: FloatArray,
    new: FloatArray,
    choice: IntArray,
) -> None:
    """One group's stage of the exact knapsack DP, compiled (updates ``new`` and
    ``choice`` in place).

    ``best[lo:hi + 1]`` holds the best value reached at each budget level so far; item
    ``j`` of this group (using ``units[j]``, worth ``values[j]``) offers ``best[s] +
    values[j]`` at level ``s + units[j] <= cap``, taken where strictly better than
    ``new`` there (``choice`` records ``j``): items in order, an earlier one keeps a tie.

    Examples
    --------
    >>> import numpy as np
    >>> from cutpoints.groups._kernels import knapsack_stage
    >>> best = np.array([0.0, -np.inf, -np.inf])
    >>> new, choice = np.full(3, -np.inf), np.full(3, -1)
    >>> knapsack_stage(best, 0, 0, 2, np.array([0, 2, 2]), np.array([1.0, 5.0, 5.0]),
    ...                new, choice)
    >>> new.tolist(), choice.tolist()
    ([1.0, -inf, 5.0], [0, -1, 1])
    """
    global _warm
    kernel = _compile()["knapsack_stage"]
    _warm = True
    kernel(best, lo, hi, cap, units, values, new, choice)


def upper_hull(w: FloatArray, v: FloatArray) -> IntArray:
    """The indices of the upper concave hull's vertices of the points ``(w, v)``, ``w``
    strictly ascending, compiled: the numpy oracle's passes (each drops every point
    below its neighbours' chord), without its temporaries.

    Examples
    --------
    >>> import numpy as np
    >>> from cutpoints.groups._kernels import upper_hull
    >>> upper_hull(np.array([0.0, 1.0, 2.0, 3.0]), np.array([0.0, 2.0, 3.0, 3.5])).tolist()
    [0, 1, 2, 3]
    >>> upper_hull(np.array([0.0, 1.0, 2.0, 3.0]), np.array([0.0, 1.0, 2.0, 4.0])).tolist()
    [0, 3]
    """
    global _warm
    kernel = _compile()["upper_hull"]
    _warm = True
    out = np.empty(len(w), dtype=np.int64)
    used = kernel(
        np.ascontiguousarray(w, dtype=np.float64), np.ascontiguousarray(v, dtype=np.float64), out
    )
    return out[:used]


def sorted_runs(
    found: Picked,
    weight: np.ndarray,
    refine: BoolArray,
    rows_per_cell: IntArray,
    tp_edges: np.ndarray,
    fp_edges: np.ndarray,
) -> tuple[np.ndarray, ...]:
    """The exact curve rows of the refined cells, compiled (the oracle: the numpy body
    of :func:`cutpoints.groups._binned._runs`, whose fields these are).

    ``found`` holds the rows of the refined cells (:func:`picked_rows`), ``weight``
    each one's weight as the counts' dtype (ones without weights), ``refine`` the
    refined cells (groups x bins, highest scores first; every group has one) and
    ``rows_per_cell`` the rows of each, in that order (``cells.rows[refine]``). The
    rows are bucketed by cell (a counting sort), each bucket sorted by score, highest
    first, and its runs of equal scores counted from the bin's upper edge down.

    Returns
    -------
    group, bin, thresholds, tp, fp, starts, n_rows : ndarray
        As the fields of :class:`~cutpoints.groups._binned._Runs`.

    Examples
    --------
    >>> import numpy as np
    >>> from cutpoints.engines._histogram import bin_layout
    >>> from cutpoints.groups._kernels import picked_rows, sorted_runs
    >>> score = np.array([0.2, 0.9, 0.9, 0.2])
    >>> found = picked_rows(score, np.array([True, False, True, False]), np.zeros(4, int),
    ...                     bin_layout(0.2, 0.9, 1), np.array([True, True]), 4)
    >>> edges = np.array([[0, 1, 2]])  # tp and fp above each bin edge
    >>> runs = sorted_runs(found, np.ones(4, int), np.array([[True, True]]),
    ...                    np.array([2, 2]), edges, edges)
    >>> [r.tolist() for r in runs[2:]]  # thresholds, tp, fp, starts, n_rows
    [[inf, 0.9, 0.2], [0, 1, 2], [0, 1, 2], [0, 3], [4]]
    """
    global _warm
    kernel = _compile()["runs"]
    _warm = True
    n_groups, n_bins = refine.shape
    flat = np.ascontiguousarray(refine).ravel()
    rank = np.cumsum(flat) - 1
    bucket = np.flatnonzero(flat)
    offsets = np.concatenate(([0], np.cumsum(rows_per_cell)))
    size = len(found.index) + n_groups
    out = (
        np.empty(size, dtype=np.int64),
        np.empty(size, dtype=np.int64),
        np.empty(size, dtype=np.float64),
        np.empty(size, dtype=tp_edges.dtype),
        np.empty(size, dtype=fp_edges.dtype),
        np.empty(n_groups + 1, dtype=np.int64),
        np.zeros(n_groups, dtype=np.int64),
    )
    used = kernel(
        found.cell,
        found.score,
        found.label,
        np.ascontiguousarray(weight),
        n_bins,
        rank,
        offsets,
        bucket // n_bins,
        bucket % n_bins,
        np.ascontiguousarray(tp_edges),
        np.ascontiguousarray(fp_edges),
        *out,
    )
    return tuple(a[:used] for a in out[:5]) + out[5:]


def _prepare(score: FloatArray, codes: IntArray) -> tuple[Any, Any]:
    global _warm
    kernels = _compile()
    _warm = True
    return kernels, (
        np.ascontiguousarray(score, dtype=np.float64).view(np.uint64),
        np.ascontiguousarray(codes, dtype=np.int64),
    )


def cell_counts(
    score: FloatArray,
    is_positive: BoolArray,
    weight: np.ndarray | None,
    codes: IntArray,
    n_groups: int,
    layout: BinLayout,
) -> tuple[np.ndarray, IntArray | None]:
    """Class totals of every (group, bin) cell, and rows per cell when weighted.

    Parameters
    ----------
    score : ndarray of float64, shape (n_rows,)
    is_positive : ndarray of bool, shape (n_rows,)
    weight : ndarray of shape (n_rows,) or None
        Weights whose sums are exact in any order (integers, booleans, whole-number
        floats); None counts rows.
    codes : ndarray of int64, shape (n_rows,)
        Each row's group, in ``[0, n_groups)``.
    n_groups : int
    layout : BinLayout
        The bins, covering every score.

    Returns
    -------
    counts : ndarray of shape (2 * n_groups * layout.n_bins,)
        At ``2 * cell + is_positive``, cells ``group * n_bins + bin`` (bins ascending):
        row counts (int64) without weights, float64 weight sums with them.
    rows : ndarray of int64, shape (n_groups * layout.n_bins,), or None
        Rows per cell when weighted; None without weights.

    Examples
    --------
    >>> import numpy as np
    >>> from cutpoints.engines._histogram import bin_layout
    >>> from cutpoints.groups._kernels import cell_counts
    >>> score = np.array([0.1, 0.9, 0.1, 0.9])
    >>> counts, rows = cell_counts(score, np.array([False, True, True, False]), None,
    ...                            np.array([0, 0, 1, 1]), 2, bin_layout(0.1, 0.9, 1))
    >>> counts.reshape(2, 2, 2).tolist()  # group, bin, (negative, positive)
    [[[1, 0], [0, 1]], [[0, 1], [1, 0]]]
    """
    kernels, (bits, g) = _prepare(score, codes)
    labels = np.ascontiguousarray(is_positive, dtype=np.bool_)
    n_cells = n_groups * layout.n_bins
    if weight is None:
        w: np.ndarray = np.zeros(0, dtype=np.float64)
    else:
        w = np.ascontiguousarray(weight)
        if w.dtype == np.bool_:
            w = w.view(np.uint8)
    kernel = kernels["count_nonnegative" if layout.nonnegative else "count_signed"]
    key = (np.uint64(layout.base), np.uint64(layout.shift), layout.n_bins)

    def task(a: int, b: int) -> tuple[np.ndarray, np.ndarray, int]:
        if weight is None:
            # int32 counters: half the table (a part holds under 2**31 rows).
            table: np.ndarray = np.zeros(2 * n_cells, dtype=np.int32)
            rows = np.zeros(0, dtype=np.int64)
        else:
            table = np.zeros(2 * n_cells, dtype=np.float64)
            rows = np.zeros(n_cells, dtype=np.int64)
        outside = kernel(bits, labels, g, w, a, b, *key, table, rows)
        return table, rows, outside

    parts = _map(task, _even_parts(len(bits)))
    if sum(p[2] for p in parts):  # pragma: no cover - the layout covers every score
        msg = "'score' has values outside the layout's bins"
        raise AssertionError(msg)
    counts = parts[0][0].astype(np.int64) if weight is None else parts[0][0]
    for table, _, _ in parts[1:]:
        counts += table
    if weight is None:
        return counts, None
    rows_out = parts[0][1]
    for _, rows, _ in parts[1:]:
        rows_out += rows
    return counts, rows_out


@dataclass(frozen=True)
class GroupTables:
    """:func:`group_edges`'s result: per cell (groups x bins, bins highest scores
    first) the rows; per group the counts above every bin edge (groups x bins + 1,
    from 0 to the group's totals). The class counts per cell are the edges'
    differences (not written by the pass: only the rows and edges are read after it)."""

    rows: IntArray
    tp_edges: IntArray
    fp_edges: IntArray

    @property
    def positive(self) -> IntArray:
        """Positives per cell."""
        return np.diff(self.tp_edges, axis=1)

    @property
    def negative(self) -> IntArray:
        """Negatives per cell."""
        return np.diff(self.fp_edges, axis=1)


def group_edges(
    score: FloatArray,
    is_positive: BoolArray,
    codes: IntArray,
    n_groups: int,
    layout: BinLayout,
) -> GroupTables:
    """Row counts of every (group, bin) cell and every group's counts at each bin edge,
    without weights: :func:`cell_counts`'s pass, then one compiled pass over the
    threads' tables (split by groups between the threads) adds them up and writes the
    tables and cumulative sums in the layout :class:`~cutpoints.groups._binned._Table`
    reads (numpy would cast, add, reverse, and sum along strided views).

    Examples
    --------
    >>> import numpy as np
    >>> from cutpoints.engines._histogram import bin_layout
    >>> from cutpoints.groups._kernels import group_edges
    >>> score = np.array([0.1, 0.9, 0.1, 0.9])
    >>> t = group_edges(score, np.array([False, True, True, False]), np.array([0, 0, 1, 1]),
    ...                 2, bin_layout(0.1, 0.9, 1))
    >>> t.positive.tolist(), t.negative.tolist(), t.tp_edges.tolist(), t.fp_edges.tolist()
    ([[1, 0], [0, 1]], [[0, 1], [1, 0]], [[0, 1, 1], [0, 0, 1]], [[0, 0, 1], [0, 1, 1]])
    """
    kernels, (bits, g) = _prepare(score, codes)
    labels = np.ascontiguousarray(is_positive, dtype=np.bool_)
    n_bins = layout.n_bins
    kernel = kernels["count_nonnegative" if layout.nonnegative else "count_signed"]
    key = (np.uint64(layout.base), np.uint64(layout.shift), n_bins)
    parts = _even_parts(len(bits))
    part_of = {a: p for p, (a, _) in enumerate(parts)}
    # int32 counters, one table a thread (a part holds under 2**31 rows).
    tables = np.zeros((len(parts), 2 * n_groups * n_bins), dtype=np.int32)
    no_weight, no_rows = np.zeros(0, dtype=np.float64), np.zeros(0, dtype=np.int64)

    def count(a: int, b: int) -> int:
        outside: int = kernel(bits, labels, g, no_weight, a, b, *key, tables[part_of[a]], no_rows)
        return outside

    if sum(_map(count, parts)):  # pragma: no cover - the layout covers every score
        msg = "'score' has values outside the layout's bins"
        raise AssertionError(msg)
    rows = np.empty((n_groups, n_bins), np.int64)
    tp_edges = np.empty((n_groups, n_bins + 1), dtype=np.int64)
    fp_edges = np.empty((n_groups, n_bins + 1), dtype=np.int64)
    merge = kernels["merge_edges"]

    def edges(first: int, last: int) -> None:
        merge(tables, first, last, n_bins, rows, tp_edges, fp_edges)

    k = len(parts)
    bounds = [n_groups * i // k for i in range(k + 1)]
    _map(edges, [(bounds[i], bounds[i + 1]) for i in range(k) if bounds[i] < bounds[i + 1]])
    return GroupTables(rows, tp_edges, fp_edges)


@dataclass(frozen=True)
class Picked:
    """The rows of the picked cells, in row order, with what the next step reads of
    them (gathered while the pass streams through the columns, so that the sort of the
    candidates never reads the full columns again)."""

    index: IntArray
    cell: IntArray  # ``group * n_bins + bin``, bins ascending
    score: FloatArray
    label: BoolArray


def picked_rows(
    score: FloatArray,
    is_positive: BoolArray,
    codes: IntArray,
    layout: BinLayout,
    picked: BoolArray,
    n_picked: int,
) -> Picked:
    """The rows whose cell is picked, in row order, with their cells, scores, labels.

    Parameters
    ----------
    score, is_positive, codes, layout
        As in :func:`cell_counts`.
    picked : ndarray of bool, shape (n_groups * layout.n_bins,)
        By cell (``group * n_bins + bin``, bins ascending).
    n_picked : int
        How many rows the picked cells hold (from :func:`cell_counts`): the size of
        each thread's buffers.

    Examples
    --------
    >>> import numpy as np
    >>> from cutpoints.engines._histogram import bin_layout
    >>> from cutpoints.groups._kernels import picked_rows
    >>> score = np.array([0.1, 0.9, 0.1, 0.9])
    >>> found = picked_rows(score, np.array([True, False, True, True]),
    ...                     np.array([0, 0, 1, 1]), bin_layout(0.1, 0.9, 1),
    ...                     np.array([False, True, True, False]), 2)
    >>> found.index.tolist(), found.cell.tolist(), found.score.tolist(), found.label.tolist()
    ([1, 2], [1, 2], [0.9, 0.1], [False, True])
    """
    kernels, (bits, g) = _prepare(score, codes)
    kernel = kernels["pick_nonnegative" if layout.nonnegative else "pick_signed"]
    cells = np.ascontiguousarray(picked, dtype=np.bool_)
    labels = np.ascontiguousarray(is_positive, dtype=np.bool_)
    key = (np.uint64(layout.base), np.uint64(layout.shift), layout.n_bins)

    def task(a: int, b: int) -> Picked:
        size = min(n_picked, b - a)
        index, cell = np.empty(size, dtype=np.int64), np.empty(size, dtype=np.int64)
        found, label = np.empty(size, dtype=np.float64), np.empty(size, dtype=np.bool_)
        k = kernel(bits, g, a, b, *key, cells, index, cell, found, label, labels)
        if k < 0:  # n_picked comes from the counting pass: a mismatch is a bug upstream
            msg = f"the picked cells hold more than 'n_picked' rows ({n_picked:,})"
            raise InvalidParameterError(msg)
        return Picked(index[:k], cell[:k], found[:k], label[:k])

    parts: list[Picked] = _map(task, _even_parts(len(bits)))
    if len(parts) == 1:
        return parts[0]
    return Picked(
        np.concatenate([p.index for p in parts]),
        np.concatenate([p.cell for p in parts]),
        np.concatenate([p.score for p in parts]),
        np.concatenate([p.label for p in parts]),
    )


def score_range(score: FloatArray) -> tuple[float, float]:
    """The lowest and highest score, on the sort threads (numpy's ``min`` and ``max``
    are two single-threaded passes). Both zeros come back as ``+0.0``: the kernels key
    ``-0.0`` as ``+0.0``, so the layout covers it either way.

    Examples
    --------
    >>> import numpy as np
    >>> from cutpoints.groups._kernels import score_range
    >>> score_range(np.array([0.5, -0.0, 2.0]))
    (0.0, 2.0)
    """
    if len(score) == 0:
        msg = "'score' must hold at least one value (got an empty array)"
        raise InvalidParameterError(msg)
    global _warm
    _warm = True
    low, high = _compiled.threaded_min_max(np.ascontiguousarray(score, dtype=np.float64))
    return float(low) + 0.0, float(high) + 0.0


def bucketed_runs(
    found: Picked,
    refine: BoolArray,
    rows_per_cell: IntArray,
    tp_edges: np.ndarray,
    fp_edges: np.ndarray,
) -> tuple[np.ndarray, ...]:
    """:func:`sorted_runs` without weights, on the sort threads: each takes a range of
    groups with about as many picked rows, buckets their rows by cell, sorts each
    bucket (a bucket sort then insertion: :func:`_sort_pairs`) and writes their curve
    rows; the ranges' rows are then moved together.

    Parameters
    ----------
    found, refine, rows_per_cell, tp_edges, fp_edges
        As in :func:`sorted_runs`.

    Returns
    -------
    group, bin, thresholds, tp, fp, starts, n_rows : ndarray
        :func:`sorted_runs`'s.

    Examples
    --------
    >>> import numpy as np
    >>> from cutpoints.engines._histogram import bin_layout
    >>> from cutpoints.groups._kernels import bucketed_runs, picked_rows
    >>> score = np.array([0.2, 0.9, 0.9, 0.2])
    >>> found = picked_rows(score, np.array([True, False, True, False]), np.zeros(4, int),
    ...                     bin_layout(0.2, 0.9, 1), np.array([True, True]), 4)
    >>> edges = np.array([[0, 1, 2]])  # tp and fp above each bin edge
    >>> runs = bucketed_runs(found, np.array([[True, True]]), np.array([2, 2]), edges, edges)
    >>> [r.tolist() for r in runs[2:]]  # thresholds, tp, fp, starts, n_rows
    [[inf, 0.9, 0.2], [0, 1, 2], [0, 1, 2], [0, 3], [4]]
    """
    global _warm
    kernel = _compile()["bucket_runs"]
    _warm = True
    n_groups, n_bins = refine.shape
    bucket = np.flatnonzero(np.ascontiguousarray(refine).ravel())
    bucket_group, bucket_bin = bucket // n_bins, bucket % n_bins
    # Each picked row's bucket by its cell (bins ascending); read only at picked cells.
    # -1 where a cell is not refined: a picked row there is refused by the kernel.
    rank = np.full(n_groups * n_bins, -1, dtype=np.int32)  # half the cache lines of int64
    rank[bucket_group * n_bins + (n_bins - 1 - bucket_bin)] = np.arange(len(bucket))
    offsets = np.concatenate(([0], np.cumsum(rows_per_cell)))
    n = int(offsets[-1])
    if len(found.cell) != n:
        msg = f"'rows_per_cell' must add up to the picked rows ({len(found.cell):,}; got {n:,})"
        raise InvalidParameterError(msg)
    k = sort_threads() if n >= _MIN_ROWS_A_RANGE else 1
    # Ranges of groups with about as many picked rows each, one a thread.
    cum = offsets[np.searchsorted(bucket_group, np.arange(1, n_groups + 1))]
    cuts = [0, *np.searchsorted(cum, [n * i // k for i in range(1, k)], side="right"), n_groups]
    ranges = [(int(cuts[i]), int(cuts[i + 1])) for i in range(k) if cuts[i] < cuts[i + 1]]
    n_rows = np.zeros(n_groups, dtype=np.int64)
    starts = np.empty(n_groups + 1, dtype=np.int64)
    tp_edges = np.ascontiguousarray(tp_edges)
    fp_edges = np.ascontiguousarray(fp_edges)
    size = n + n_groups  # at most a curve row a picked row, plus row 0 of each group
    out = (
        np.empty(size, dtype=np.int64),
        np.empty(size, dtype=np.int64),
        np.empty(size, dtype=np.float64),
        np.empty(size, dtype=tp_edges.dtype),
        np.empty(size, dtype=fp_edges.dtype),
    )
    cell, score, label = found.cell, found.score, found.label

    def emit(g0: int, g1: int) -> tuple[int, int]:
        r0, r1 = (int(r) for r in np.searchsorted(bucket_group, [g0, g1]))
        at = int(offsets[r0]) + g0  # room for every row of the groups before
        used: int = kernel(
            cell, score, label, rank, n_bins, offsets, bucket_group, bucket_bin, r0, r1, g0, g1,
            tp_edges, fp_edges, *(a[at:] for a in out), starts, n_rows,
        )  # fmt: skip
        if used < 0:  # the counts and the picked rows disagree: a bug upstream
            msg = "'rows_per_cell' must be the picked rows in each refined cell"
            raise InvalidParameterError(msg)
        return at, used

    # Each range's rows moved down to follow the previous ones' (by fewer rows than
    # they hold ties: a short move).
    end = 0
    for (g0, g1), (at, used) in zip(ranges, _map(emit, ranges), strict=True):
        if at != end:
            for a in out:
                a[end : end + used] = a[at : at + used]
        starts[g0:g1] += end
        end += used
    starts[n_groups] = end
    return *(a[:end] for a in out), starts, n_rows
