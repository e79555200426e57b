"""The Dask source: exact thresholds over a Dask DataFrame or Dask arrays.

Each counting pass runs the in-memory kernel (:func:`~._histogram.count_cells`) on every
partition and adds the small per-cell tables up in a tree (``to_delayed`` + a tree sum
of numpy partials; ``DataFrame.reduction`` with array partials was measured at 250 s
and returned the wrong shape). The refining pass brings back only the rows inside the
chosen cells. ``dask.compute`` runs the graphs, so the current ``distributed.Client``
is used when there is one, and the local scheduler otherwise. Partials are combined in
partition order, so float sums do not depend on the scheduler.

Functions sent to workers are module-level (picklable by reference).
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import sys
import threading
import uuid
import weakref
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any, TypeVar

import numpy as np

from .._validation import _distinct_labels
from ..errors import InvalidInputError
from ._cluster import (
    PartFacts,
    check_columns,
    check_score_type,
    merge_facts,
    named_value_columns,
    summarize,
)
from ._histogram import (
    STREAM_SORT_ROWS,
    BinLayout,
    Histogram,
    Level,
    _indices_in_cells,
    _relative_keys_into,
    _wide,
    count_cells,
    finish_histogram,
)
from ._sort import limit_sort_threads, sort_threads
from ._source import Batch, BoolArray, ExtraRows, Ranges, Rows, SourceSummary

__all__ = ["DaskSource"]

T = TypeVar("T")
_FAN_IN = 8  # partials added per task of the tree sum
#: Rows (in all) from which workers count the first level with the compiled kernel.
COMPILED_FROM_ROWS = 1 << 22
#: The refinement's sort cap for data persisted on the workers (see
#: ``DaskSource.stream_sort_rows``).
PERSISTED_SORT_ROWS = 1 << 18
_LOOKUP_ROWS = 1 << 16  # rows per step of a bin lookup: its buffers stay in cache
# (label, score, weight or None) numpy arrays of one partition, as read from Dask.
Columns = tuple[np.ndarray, np.ndarray, np.ndarray | None]
# A partition's value columns (``values=``): name -> numpy array.
ValueArrays = dict[str, np.ndarray]


# ---------------------------------------------------------------------------- workers
def _frame_columns(frame: Any, label: str, score: str, weight: str | None) -> Columns:
    """One pandas partition's columns as numpy arrays."""
    w = None if weight is None else np.asarray(frame[weight].to_numpy())
    return np.asarray(frame[label].to_numpy()), np.asarray(frame[score].to_numpy()), w


def _array_columns(y: Any, s: Any, w: Any) -> Columns:
    """One chunk of Dask arrays as flat numpy arrays."""
    return np.ravel(y), np.ravel(s), None if w is None else np.ravel(w)


def _engine_scores(score: np.ndarray, sign: float) -> Any:
    """Scores as the engine reads them: float32 kept, other numbers as float64."""
    if score.dtype != np.float32:
        score = score.astype(np.float64, copy=False)
    return -score if sign < 0 else score


def _engine_weights(weight: np.ndarray | None, integer: bool) -> Any:
    if weight is None:
        return None
    return weight.astype(np.int64 if integer else np.float64, copy=False)


def _facts(columns: Columns, sign: float, label_name: str) -> PartFacts:
    """Pass 0 on one partition: rows, score range, label values and their totals."""
    labels, score, weight = columns
    n = len(score)
    facts = PartFacts(n_rows=n)
    if n == 0:
        return facts
    # The range as the engine sees the scores (negated for rule="<="), without a copy.
    low, high = float(score.min()), float(score.max())
    low, high = (low, high) if sign > 0 else (-high, -low)
    if np.isfinite(low) and np.isfinite(high):
        facts.low, facts.high = low, high
    else:
        finite = np.isfinite(score)
        facts.n_nan = int(np.isnan(score).sum())
        facts.n_inf = int((~finite).sum()) - facts.n_nan
    if weight is not None:
        w = weight.astype(np.float64, copy=False)
        bad = ~np.isfinite(w)
        facts.n_bad_weight = int(bad.sum())
        facts.n_negative_weight = int((w < 0).sum())
        facts.n_zero_weight = int((w == 0).sum())
        facts.weight_total = float(np.sum(w[~bad])) if facts.n_bad_weight else float(w.sum())
    found, n_distinct = _distinct_labels(labels, label_name)
    facts.label_sample = list(found)
    if n_distinct > 2:
        facts.labels = None
        return facts
    totals: dict[Any, tuple[int, Any]] = {}
    if labels.dtype == bool and weight is None:
        n_true = int(np.count_nonzero(labels))  # one pass, no mask
        facts.labels = {v: (n_true if v else n - n_true,) * 2 for v in found}
        return facts
    for value in found:
        mask = labels == value
        rows = int(mask.sum())
        total: Any = rows if weight is None else weight[mask].sum()
        totals[value] = (rows, total.item() if isinstance(total, np.generic) else total)
    facts.labels = totals
    return facts


def _engine_columns(columns: Columns, sign: float, positive: Any, integer: bool) -> Rows:
    labels, score, weight = columns
    if labels.dtype == bool and isinstance(positive, (bool, np.bool_)) and positive:
        is_positive = labels  # already the flags: no pass, no copy
    else:
        is_positive = np.asarray(labels == positive, dtype=bool)
    return _engine_scores(score, sign), is_positive, _engine_weights(weight, integer)


def _count(columns: Columns, params: tuple[Any, ...]) -> tuple[np.ndarray, np.ndarray | None]:
    """A counting pass on one partition: :func:`count_cells` of its rows, or the
    compiled kernel's first-level counts when the driver asks for them."""
    sign, positive, integer, layout, levels, count_rows, compiled, *token = params
    score, is_positive, weight = _engine_columns(columns, sign, positive, integer)
    if compiled is not None and len(levels) == 1 and len(score):
        counted = _compiled_counts(score, is_positive, weight, layout, count_rows, compiled)
        if counted is not None:
            return counted
    if len(levels) > 1 and len(score):
        if compiled is not None and weight is None and not count_rows:
            table = _compiled_deep_counts(
                score,
                is_positive,
                layout,
                levels,
                compiled,
                token=token[0] if token else None,
                chunk=(columns[1], sign),
            )
            if table is not None:  # compiled: the split bins' rows, then their cells
                return table, None
        # Only the rows in split bins reach the deeper levels: find them with one bin
        # lookup a row, then walk the levels on those rows alone (the same counts).
        assert levels[1].parent_rank is not None
        inside = _rows_in_bins(score, layout, levels[1].parent_rank >= 0, compiled)
        score, is_positive = score[inside], is_positive[inside]
        weight = None if weight is None else weight[inside]
    return count_cells(score, is_positive, weight, layout, levels, count_rows=count_rows)


def _rows_in_bins(
    score: Any, layout: BinLayout, bins: BoolArray, compiled: bool | None = None
) -> np.ndarray:
    """The indices (ascending) of the rows in the marked first-level bins.

    One lookup of each row's bin: a few operations a row, however scattered the bins
    (comparing with each of up to 16 score intervals costs four operations per
    interval). ``compiled`` as for :func:`_count` (None: numpy; True: the compiled
    lookup, :func:`_compiled_chosen`, one pass with no temporaries; False: compiled where
    this worker has numba's kernels loaded already). numpy's temporaries are allocated
    once: Dask's workers run with ``MALLOC_TRIM_THRESHOLD_`` set, which makes each fresh
    large array cost page faults (measured: numpy passes 2-3x slower there than in the
    client).
    """
    if compiled is not None and len(score):
        rows = _compiled_chosen(score, layout, None, [bins], compiled)
        if rows is not None:
            return rows
    n = len(score)
    size = max(1, min(n, _LOOKUP_ROWS))
    keys, tmp, marked = np.empty(size, np.uint64), np.empty(size, np.int64), np.empty(size, bool)
    found = []
    for a in range(0, n, size):
        b = min(a + size, n)
        rel = _relative_keys_into(_wide(score[a:b], keys), layout, keys[: b - a], tmp[: b - a])
        rel >>= np.uint64(layout.shift)
        np.take(bins, rel.view(np.int64), out=marked[: b - a])
        found.append(np.flatnonzero(marked[: b - a]) + a)
    return np.concatenate(found) if found else np.zeros(0, dtype=np.int64)


# The compiled walks over the levels, built once per worker process (see _kernels_of):
# not cached on disk, as they inline _compiled's key function, and numba's cache would not
# see that change. Two steps, as the numpy path: a tight first-level lookup over every
# row (one small flag table, in the fastest cache), then the deeper levels on the few
# rows it found (one loop doing both measured 2-4x slower: the deeper walk's code in
# the loop over every row).
_kernels: dict[tuple[str, bool, bool], Any] | None = None
_lock = threading.Lock()
_row_key: Any = None  # _compiled's key function, compiled (set by _compile_walks)


def _first_loop(  # pragma: no cover - compiled
    bits32: Any,
    bits64: Any,
    is32: bool,
    nonnegative: bool,
    base: Any,
    shift: Any,
    n_bins: Any,
    first: Any,
    out: Any,
) -> int:
    """Write the index of each row whose first-level bin is flagged (``first[bin]`` not
    0) into ``out``, in order; return how many. Branch-free (every row writes, the
    flagged ones advance): flagged bins may lie anywhere."""
    base_low = base & np.uint64((1 << 63) - 1)
    found = 0
    n = len(bits32) if is32 else len(bits64)
    for i in range(n):
        cell = _row_key(bits32, bits64, i, is32, nonnegative, base, base_low) >> shift
        out[found] = i
        if cell < n_bins:  # always, for the rows the layout was made from
            found += np.int64(first[cell] != 0)
    return found


def _deeper_cell(  # pragma: no cover - compiled
    rel: Any, cell: Any, level: int, shifts: Any, sub_bits: Any, ranks: Any, rank_start: Any
) -> Any:
    """The row's cell at ``level`` from its cell at the level above (-1: not split), as
    ``_histogram._walk`` numbers them: the parent's rank, shifted, with the next key
    bits. ``ranks`` holds every level's parent ranks end to end, from ``rank_start``."""
    rank = ranks[rank_start[level] + np.int64(cell)]
    if rank < 0:
        return np.int64(-1)
    one = np.uint64(1)
    sub = (rel >> shifts[level]) & ((one << sub_bits[level]) - one)
    return np.int64((np.uint64(rank) << sub_bits[level]) | sub)


def _deeper_chosen_loop(  # pragma: no cover - compiled
    bits32: Any,
    bits64: Any,
    is32: bool,
    nonnegative: bool,
    base: Any,
    shifts: Any,
    sub_bits: Any,
    ranks: Any,
    rank_start: Any,
    marks: Any,
    mark_start: Any,
    rows: Any,
    n_rows: int,
) -> int:
    """Keep (in place, in order) those of ``rows[:n_rows]`` in a chosen cell of any
    level (``marks``: every level's flags end to end, from ``mark_start``); return how
    many."""
    base_low = base & np.uint64((1 << 63) - 1)
    kept = 0
    for j in range(n_rows):
        i = rows[j]
        rel = _row_key(bits32, bits64, i, is32, nonnegative, base, base_low)
        cell = np.int64(rel >> shifts[0])
        take = marks[cell]
        for level in range(1, len(shifts)):
            cell = _deeper_cell(rel, cell, level, shifts, sub_bits, ranks, rank_start)
            if cell < 0:
                break
            take |= marks[mark_start[level] + cell]
        rows[kept] = i
        kept += np.int64(take)
    return kept


def _deeper_count_loop(  # pragma: no cover - compiled
    bits32: Any,
    bits64: Any,
    is32: bool,
    nonnegative: bool,
    base: Any,
    shifts: Any,
    sub_bits: Any,
    ranks: Any,
    rank_start: Any,
    labels: Any,
    rows: Any,
    n_rows: int,
    table: Any,
    cells: Any,
) -> None:
    """Count those of ``rows[:n_rows]`` that reach the last level, in its cells, by
    class (``table[2 * cell + label]``, as ``count_cells`` lays it out); ``cells[j]``
    gets row ``rows[j]``'s cell at the last level (-1: it does not reach it)."""
    base_low = base & np.uint64((1 << 63) - 1)
    last = len(shifts) - 1
    for j in range(n_rows):
        i = rows[j]
        rel = _row_key(bits32, bits64, i, is32, nonnegative, base, base_low)
        cell = np.int64(rel >> shifts[0])
        for level in range(1, last + 1):
            cell = _deeper_cell(rel, cell, level, shifts, sub_bits, ranks, rank_start)
            if cell < 0:
                break
        cells[j] = cell
        if cell >= 0:
            table[2 * cell + np.int64(labels[i])] += 1


def _kernels_of() -> dict[tuple[str, bool, bool], Any]:
    """The compiled walks (numba imported and the kernels compiled on first use)."""
    global _kernels
    with _lock:
        if _kernels is None:
            _kernels = _compile_walks()
    return _kernels


def _compile_walks() -> dict[tuple[str, bool, bool], Any]:
    """Each walk for float32/float64 scores and non-negative/signed layouts (constants
    in the loop: branches on run-time flags there cost 1.5-2x, as in ``_compiled``)."""
    import numba

    from . import _compiled  # type: ignore[attr-defined, unused-ignore]

    _compiled._compile()  # its key function, compiled: the counting kernels' own
    module = globals()
    module["_row_key"] = _compiled._relative_key
    inline = numba.njit(inline="always")
    for name in ("_first_loop", "_deeper_cell", "_deeper_chosen_loop", "_deeper_count_loop"):
        module[name] = inline(module[name])
    jit = numba.njit(nogil=True, boundscheck=False)
    kernels: dict[tuple[str, bool, bool], Any] = {}
    for is32 in (True, False):
        for nonnegative in (True, False):
            kernels["first", is32, nonnegative] = jit(_first_kernel(is32, nonnegative))
            kernels["chosen", is32, nonnegative] = jit(_deeper_chosen_kernel(is32, nonnegative))
            kernels["count", is32, nonnegative] = jit(_deeper_count_kernel(is32, nonnegative))
    return kernels


# Each kernel fixes its loop's two flags (numba compiles a closure's constants as such).
def _first_kernel(is32: bool, nonnegative: bool) -> Callable[..., int]:
    def kernel(  # pragma: no cover - compiled
        bits32: Any, bits64: Any, base: Any, shift: Any, n_bins: Any, first: Any, out: Any
    ) -> int:
        return _first_loop(bits32, bits64, is32, nonnegative, base, shift, n_bins, first, out)

    return kernel


def _deeper_chosen_kernel(is32: bool, nonnegative: bool) -> Callable[..., int]:
    def kernel(  # pragma: no cover - compiled
        bits32: Any, bits64: Any, base: Any, shifts: Any, sub_bits: Any, ranks: Any,
        rank_start: Any, marks: Any, mark_start: Any, rows: Any, n_rows: int,
    ) -> int:  # fmt: skip
        return _deeper_chosen_loop(
            bits32, bits64, is32, nonnegative, base, shifts, sub_bits, ranks, rank_start,
            marks, mark_start, rows, n_rows,
        )  # fmt: skip

    return kernel


def _deeper_count_kernel(is32: bool, nonnegative: bool) -> Callable[..., None]:
    def kernel(  # pragma: no cover - compiled
        bits32: Any, bits64: Any, base: Any, shifts: Any, sub_bits: Any, ranks: Any,
        rank_start: Any, labels: Any, rows: Any, n_rows: int, table: Any, cells: Any,
    ) -> None:  # fmt: skip
        _deeper_count_loop(
            bits32, bits64, is32, nonnegative, base, shifts, sub_bits, ranks, rank_start,
            labels, rows, n_rows, table, cells,
        )  # fmt: skip

    return kernel


class _Walk:
    """One partition's scores and the levels, as the compiled walks take them."""

    def __init__(
        self,
        kernels: dict[tuple[str, bool, bool], Any],
        score: Any,
        layout: BinLayout,
        levels: Sequence[Level],
    ) -> None:
        x = np.ascontiguousarray(score)
        is32 = x.dtype == np.float32
        none32, none64 = np.zeros(0, dtype=np.uint32), np.zeros(0, dtype=np.uint64)
        self.bits = (x.view(np.uint32), none64) if is32 else (none32, x.view(np.uint64))
        self.kernels = {
            name: kernels[name, is32, layout.nonnegative] for name in ("first", "chosen", "count")
        }
        self.layout = layout
        deeper = list(levels[1:])
        self.shifts = np.array([layout.shift] + [lv.shift for lv in deeper], dtype=np.uint64)
        self.sub_bits = np.array([0] + [lv.bits for lv in deeper], dtype=np.uint64)
        ranks = [np.asarray(lv.parent_rank, dtype=np.int64) for lv in deeper]
        self.rank_start = np.cumsum([0, 0] + [len(r) for r in ranks])[:-1].astype(np.int64)
        self.ranks = np.concatenate(ranks) if ranks else np.zeros(0, dtype=np.int64)
        self.split = ranks[0] >= 0 if ranks else np.zeros(layout.n_bins, dtype=bool)

    def first(self, flagged: BoolArray) -> tuple[np.ndarray, int]:
        """The rows in the flagged first-level bins: a buffer and how many it holds."""
        out = np.empty(len(self.bits[0]) + len(self.bits[1]), dtype=np.int64)
        # np.empty: pages are touched only where rows are written.
        found = self.kernels["first"](
            *self.bits,
            np.uint64(self.layout.base),
            np.uint64(self.layout.shift),
            np.uint64(self.layout.n_bins),
            np.asarray(flagged, dtype=np.uint8),
            out,
        )
        return out, int(found)

    def common(self) -> tuple[Any, ...]:
        """The deeper walks' first arguments: the scores' bits, the base, the levels."""
        base = np.uint64(self.layout.base)
        return (*self.bits, base, self.shifts, self.sub_bits, self.ranks, self.rank_start)


def _usable(n_rows: int, large: bool) -> dict[tuple[str, bool, bool], Any] | None:
    """Whether the compiled walks pay here (as :func:`_compiled_counts` decides) and
    can run: their kernels, or None."""
    try:
        from . import _compiled  # type: ignore[attr-defined, unused-ignore]

        if not (_compiled.AVAILABLE and (large or _compiled.worthwhile(n_rows))):
            return None
        return _kernels_of()
    except ImportError:  # numba installed but broken: the numpy walk is exact too
        return None


def _compiled_chosen(
    score: Any,
    layout: BinLayout,
    levels: Sequence[Level] | None,
    chosen: list[BoolArray],
    large: bool,
    *,
    token: str | None = None,
    chunk: Chunk | None = None,
) -> np.ndarray | None:
    """The indices (ascending) of the rows in the chosen cells (``chosen[l]`` marks
    level l's; ``levels`` None: the first level alone), by the compiled walks; None
    where they do not pay or cannot run.

    With the ``token`` of the counting pass of these levels and the ``chunk`` as read (a
    refining pass right after it, on the same chunk), the split bins' rows that pass
    found are read back (:func:`_split_rows`) instead of looking every row's bin up
    again, when the chosen first-level bins are all split ones."""
    kernels = _usable(len(score), large)
    if kernels is None:
        return None
    walk = _Walk(kernels, score, layout, levels or [])
    cached = None
    deeper = levels is not None and len(levels) > 1
    if token is not None and chunk is not None and deeper:
        assert levels is not None
        if not (chosen[0] & ~walk.split).any():
            cached = _split_rows(token, chunk, layout, levels)
    if cached is not None and len(levels or ()) == 2 and not chosen[0].any():
        # One deeper level, no first-level bin chosen: a row is taken when its cell is
        # (every row of a split bin has a cell at level 1: its rank is set).
        kept_rows, cells = cached
        taken: np.ndarray = kept_rows[np.asarray(chosen[1], dtype=bool)[cells]]
        return taken
    if cached is not None:
        rows, found = cached[0].copy(), len(cached[0])  # the walk compacts it in place
    else:
        rows, found = walk.first(chosen[0] | walk.split)
    if levels is not None and len(levels) > 1 and found:
        marks = np.concatenate([np.asarray(c, dtype=np.bool_) for c in chosen])
        mark_start = np.cumsum([0] + [len(c) for c in chosen])[:-1].astype(np.int64)
        found = int(walk.kernels["chosen"](*walk.common(), marks, mark_start, rows, found))
    kept: np.ndarray = rows[:found].copy()
    return kept


# The rows of the split first-level bins, as a counting pass of deeper levels found them,
# kept on the worker for the refining pass that follows (it would look every row's bin
# up again: at 1e8 rows on two workers, 0.15 s of each worker's 0.6 s). Keyed by the
# sweep's token (new for each counting pass of deeper levels; a new token drops every
# older entry), the chunk as read from Dask (its memory: address, length, dtype,
# strides; the rule's sign) and the levels. An entry answers only while that chunk's
# array is alive (a weak reference, whose death also drops the entry: a freed chunk's
# address may be reused), only once (the refining pass takes it), and only under its
# token, so no later call, and no chunk changed in between, can see it.
_split_cache: dict[tuple[Any, ...], tuple[Any, np.ndarray, np.ndarray]] = {}
_split_token: str | None = None
_split_lock = threading.RLock()  # the weak references' callbacks take it too
#: Keep a chunk's split rows only when they are at most this share of its rows.
_SPLIT_SHARE = 8
#: A chunk as read from Dask (before the engine's conversions: a negated or widened
#: copy is new on each pass) and the rule's sign.
Chunk = tuple[np.ndarray, float]


def _chunk_key(token: str, chunk: Chunk, layout: BinLayout, levels: Sequence[Level]) -> Any:
    raw, sign = chunk
    owner = raw
    while isinstance(owner.base, np.ndarray):
        owner = owner.base
    where = (raw.__array_interface__["data"][0], len(raw), raw.dtype.str, raw.strides, sign)
    deeper = hashlib.blake2b(digest_size=16)
    for level in levels[1:]:
        deeper.update(np.array([level.shift, level.bits], dtype=np.int64).tobytes())
        deeper.update(np.asarray(level.parent_rank, dtype=np.int64).tobytes())
    shape = (layout.base, layout.shift, layout.n_bins, layout.nonnegative, len(levels))
    return owner, (token, *where, *shape, deeper.digest())


def _dropped(key: tuple[Any, ...], _: Any) -> None:
    """A kept chunk's array died: its entry goes (weak reference callback)."""
    with _split_lock:
        _split_cache.pop(key, None)


def _keep_split_rows(
    token: str,
    chunk: Chunk,
    layout: BinLayout,
    levels: Sequence[Level],
    rows: np.ndarray,
    cells: np.ndarray,
) -> None:
    """Keep ``rows`` (the chunk's rows in the split first-level bins) and ``cells``
    (each one's cell at the last level) for :func:`_split_rows`."""
    global _split_token
    with _split_lock:
        if token != _split_token:  # a new pass: what older ones kept is never read
            _split_cache.clear()
            _split_token = token
    if len(rows) * _SPLIT_SHARE > len(chunk[0]):
        return  # most of the chunk: not worth the memory
    owner, key = _chunk_key(token, chunk, layout, levels)
    try:
        alive = weakref.ref(owner, functools.partial(_dropped, key))
    except TypeError:  # pragma: no cover - numpy arrays take weak references
        return
    with _split_lock:
        if token == _split_token:
            _split_cache[key] = (alive, rows.copy(), cells)


def _split_rows(
    token: str, chunk: Chunk, layout: BinLayout, levels: Sequence[Level]
) -> tuple[np.ndarray, np.ndarray] | None:
    """What :func:`_keep_split_rows` kept for this chunk, token and levels (the rows,
    their cells at the last level), taken out of the cache; or None."""
    owner, key = _chunk_key(token, chunk, layout, levels)
    with _split_lock:
        entry = _split_cache.pop(key, None)
    if entry is None or entry[0]() is not owner:
        return None
    return entry[1], entry[2]


def _compiled_deep_counts(
    score: Any,
    is_positive: Any,
    layout: BinLayout,
    levels: Sequence[Level],
    large: bool,
    *,
    token: str | None = None,
    chunk: Chunk | None = None,
) -> np.ndarray | None:
    """:func:`count_cells`' ``by_class`` of a deeper level, unweighted, by the compiled
    walks (no temporaries past the rows of the split bins); None where they do not pay
    or cannot run. With a ``token`` and the ``chunk`` as read, the split bins' rows are
    kept for the refining pass (:func:`_keep_split_rows`)."""
    kernels = _usable(len(score), large)
    if kernels is None:
        return None
    walk = _Walk(kernels, score, layout, levels)
    rows, found = walk.first(walk.split)
    table = np.zeros(2 * levels[-1].n_cells, dtype=np.int64)
    labels = np.ascontiguousarray(is_positive, dtype=np.bool_)
    cells = np.empty(found, dtype=np.int64)
    walk.kernels["count"](*walk.common(), labels, rows, found, table, cells)
    if token is not None and chunk is not None:
        _keep_split_rows(token, chunk, layout, levels, rows[:found], cells)
    return table


def _task_threads() -> int:
    """Threads a task's compiled count may use: on a distributed worker, its threads
    that run no other task now (a pass over the chunks one worker holds is one task a
    worker: it may use them all; many tasks share them), at most ``sort_threads()`` (the
    share is taken when the task starts: a task starting later on a busy worker may
    still find threads free); Dask's synchronous scheduler runs one task at a time, which
    may use ``sort_threads()``; elsewhere one (the threaded and process schedulers run a
    task on each core)."""
    dask_config = sys.modules.get("dask.config")
    if dask_config is not None and dask_config.get("scheduler", None) in ("sync", "synchronous"):
        return sort_threads()
    distributed = sys.modules.get("distributed")  # never imported here: a worker has it
    if distributed is None:
        return 1
    try:
        state = distributed.get_worker().state
    except ValueError:  # not inside a worker's task
        return 1
    free = int(state.nthreads) // max(1, int(state.executing_count))
    return max(1, min(sort_threads(), free))


def _compiled_counts(
    score: Any, is_positive: Any, weight: Any, layout: BinLayout, count_rows: bool, large: bool
) -> tuple[np.ndarray, np.ndarray | None] | None:
    """:func:`count_cells`' result (same dtypes) from the compiled kernel, or None where
    it does not pay (a small input on a worker that has not loaded numba yet), cannot
    run here (no numba) or gave no row counts."""
    try:
        from . import _compiled  # type: ignore[attr-defined, unused-ignore]

        if not (_compiled.AVAILABLE and (large or _compiled.worthwhile(len(score)))):
            return None
        with limit_sort_threads(_task_threads()):
            by_class, rows = _compiled.layout_counts(
                score, is_positive, weight, layout, count_rows=count_rows
            )
    except ImportError:  # numba installed but broken: the numpy pass is exact too
        return None
    if count_rows and rows is None:
        return None
    # count_cells' dtypes (int64 rows, float64 weights), so partials of both paths add.
    table = by_class.astype(np.int64 if weight is None else np.float64, copy=False)
    return table, rows if count_rows else None


def _add_counts(*parts: tuple[np.ndarray, np.ndarray | None]) -> tuple[Any, Any]:
    by_class, rows = parts[0][0].copy(), parts[0][1]
    rows = None if rows is None else rows.copy()
    for part_by_class, part_rows in parts[1:]:
        by_class += part_by_class  # in partition order: reproducible float sums
        if rows is not None and part_rows is not None:
            rows += part_rows
    return by_class, rows


def _rows(columns: Columns, params: tuple[Any, ...]) -> Rows:
    """The refining pass on one partition: its rows in the chosen cells."""
    sign, positive, integer, layout, levels, chosen, ranges, compiled, *token = params
    score, is_positive, weight = _engine_columns(columns, sign, positive, integer)
    if len(score) == 0:
        return np.zeros(0), np.zeros(0, dtype=bool), weight
    del ranges  # one bin lookup a row beats comparing with each interval
    found = _chosen_rows(
        score,
        layout,
        levels,
        chosen,
        compiled,
        token=token[0] if token else None,
        chunk=(columns[1], sign),
    )
    w = None if weight is None else weight[found]
    return np.asarray(score[found], dtype=np.float64), is_positive[found], w


def _chosen_rows(
    score: Any,
    layout: BinLayout,
    levels: Sequence[Level],
    chosen: list[BoolArray],
    compiled: bool | None = None,
    *,
    token: str | None = None,
    chunk: Chunk | None = None,
) -> np.ndarray:
    """The indices (ascending) of the rows in the chosen cells (``chosen[l]`` marks level
    l's). Those lie in chosen or split first-level bins: one bin lookup a row finds the
    rows in these (``compiled``: see :func:`_rows_in_bins`; ``token``, ``chunk``: see
    :func:`_compiled_chosen`), and the deeper levels are walked on them alone."""
    if len(levels) == 1:
        return _rows_in_bins(score, layout, chosen[0], compiled)
    if compiled is not None and len(score):
        found = _compiled_chosen(score, layout, levels, chosen, compiled, token=token, chunk=chunk)
        if found is not None:  # every level walked in one pass
            return found
    assert levels[1].parent_rank is not None
    bins = chosen[0] | (levels[1].parent_rank >= 0)
    found = _rows_in_bins(score, layout, bins, compiled)
    return found[_indices_in_cells(score[found], layout, levels, chosen, None)]


def _chunk_values(names: list[str], *chunks: np.ndarray) -> ValueArrays:
    """One chunk of the value arrays, by column name, as float64."""
    return {
        name: np.asarray(np.ravel(chunk), dtype=np.float64)
        for name, chunk in zip(names, chunks, strict=True)
    }


def _frame_values(frame: Any, names: list[str]) -> ValueArrays:
    """One pandas partition's value columns as float64 (nulls become NaN: refused)."""
    return {
        name: np.asarray(frame[name].to_numpy(dtype=np.float64, na_value=np.nan)) for name in names
    }


def _facts_of(columns: Columns, params: tuple[float, str]) -> PartFacts:
    return _facts(columns, *params)


def _value_facts(values: ValueArrays) -> dict[str, int]:
    """Pass 0 on one partition's value columns: how many values are NaN or infinite."""
    return {name: int((~np.isfinite(array)).sum()) for name, array in values.items()}


def _value_columns(
    columns: Columns, values: ValueArrays, params: tuple[Any, ...]
) -> tuple[Any, Any, Any, np.ndarray]:
    """A partition as the engine sees it, with its extra columns (value sums, gains)."""
    from .._scan import value_table

    sign, positive, integer, spec = params[:4]
    score, is_positive, weight = _engine_columns(columns, sign, positive, integer)
    return score, is_positive, weight, value_table(spec, values, is_positive, weight)


def _count_values(
    columns: Columns, values: ValueArrays, params: tuple[Any, ...]
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray]:
    """A counting pass on one partition, with the per-cell sums of its extra columns."""
    layout, levels, count_rows = params[4:]
    score, is_positive, weight, extra = _value_columns(columns, values, params)
    if len(levels) > 1 and len(score):  # only the rows in split bins reach deeper levels
        inside = _rows_in_bins(score, layout, levels[1].parent_rank >= 0)
        score, is_positive, extra = score[inside], is_positive[inside], extra[:, inside]
        weight = None if weight is None else weight[inside]
    sums = np.zeros((len(extra), levels[-1].n_cells))
    by_class, rows = count_cells(
        score,
        is_positive,
        weight,
        layout,
        levels,
        count_rows=count_rows,
        extra=extra,
        extra_out=sums,
    )
    return by_class, rows, sums


def _add_value_counts(*parts: tuple[np.ndarray, np.ndarray | None, np.ndarray]) -> tuple[Any, ...]:
    by_class, rows = _add_counts(*[(p[0], p[1]) for p in parts])
    sums = parts[0][2].copy()
    for part in parts[1:]:
        sums += part[2]  # in partition order: reproducible float sums
    return by_class, rows, sums


def _rows_values(columns: Columns, values: ValueArrays, params: tuple[Any, ...]) -> ExtraRows:
    """The refining pass on one partition: its rows in the chosen cells, with extras."""
    layout, levels, chosen, _ = params[4:]
    score, is_positive, weight, extra = _value_columns(columns, values, params)
    rows = _chosen_rows(score, layout, levels, chosen)
    w = None if weight is None else weight[rows]
    return np.asarray(score[rows], dtype=np.float64), is_positive[rows], w, extra[:, rows]


def _each(func: Callable[[Any, Any], T], params: Any, *parts: Any) -> list[T]:
    """``func(part, params)`` on each part of a group, in order: one task per group."""
    return [func(part, params) for part in parts]


def _summed(
    func: Callable[[Any, Any], Any], combine: Callable[..., Any], params: Any, *parts: Any
) -> Any:
    """The partials of a group's parts, combined in order: one small table per group."""
    out = func(parts[0], params)
    for part in parts[1:]:
        out = combine(out, func(part, params))
    return out


def _run_task(columns: Columns, params: tuple[Any, ...], start: int, task: Any) -> Any:
    sign, positive, integer = params
    score, is_positive, weight = _engine_columns(columns, sign, positive, integer)
    return task(Batch(score, is_positive, weight, None, start))


def _run_task_values(
    columns: Columns, values: ValueArrays, params: tuple[Any, ...], start: int, task: Any
) -> Any:
    """:func:`_run_task` for a source with values: the batch carries its extra columns."""
    score, is_positive, weight, extra = _value_columns(columns, values, params)
    return task(Batch(score, is_positive, weight, extra, start))


def _combine_many(combine: Any, *parts: Any) -> Any:
    out = parts[0]
    for part in parts[1:]:
        out = combine(out, part)
    return out


def _tree(parts: list[Any], combine: Callable[..., Any]) -> Any:
    """A tree sum of delayed partials, in order, ``_FAN_IN`` at a time."""
    dask = _dask()

    join = dask.delayed(combine, pure=True)
    while len(parts) > 1:
        parts = [join(*parts[i : i + _FAN_IN]) for i in range(0, len(parts), _FAN_IN)]
    return parts[0]


# ---------------------------------------------------------------------------- source
class DaskSource:
    """A Source over Dask partitions (see :mod:`cutpoints.engines._source`).

    Build it with :meth:`from_frame` (a Dask DataFrame and column names) or
    :meth:`from_arrays` (Dask arrays); :func:`cutpoints.engines._cluster.source_for`
    and ``source_from_arrays`` do that for you.
    """

    def __init__(
        self,
        parts: list[Any],
        *,
        label: str,
        score: str,
        weight: str | None,
        pos_label: Any,
        rule: str,
        label_dtype: Any,
        score_kind: str,
        integer_weights: bool,
        values: Mapping[str, float | tuple[float, str]] | None = None,
        value_parts: list[Any] | None = None,
        data: Any = None,
        keys: list[Any] | None = None,
    ) -> None:
        self._parts = parts  # delayed (label, score, weight) numpy arrays per partition
        # The collection the parts read and, per part, the key of its chunk there: where
        # the chunks are held in a cluster's memory, a pass runs one task per worker.
        self._data, self._keys = data, keys
        self.label, self.score, self.weight = label, score, weight
        self.pos_label = pos_label
        self.rule = rule
        self._sign = 1.0 if rule == ">=" else -1.0
        self._label_dtype = label_dtype
        self._score_kind = score_kind
        self._integer_weights = integer_weights
        self._summary: SourceSummary | None = None
        self._token: str | None = None  # the last counting pass of deeper levels
        self._starts: list[int] = []
        # Per-row values (cp.scan(values=...)): the parsed spec and, per partition, the
        # delayed value columns (the same partitions as ``parts``, in the same order).
        self._values = values
        self._value_parts = value_parts

    def __repr__(self) -> str:
        return (
            f"DaskSource(n_partitions={len(self._parts)}, label={self.label!r}, "
            f"score={self.score!r}, weight={self.weight!r}, rule={self.rule!r})"
        )

    # -- construction
    @classmethod
    def from_frame(
        cls,
        frame: Any,
        *,
        label: str,
        score: str,
        weight: str | None = None,
        pos_label: Any = None,
        rule: str = ">=",
        values: Mapping[str, float | tuple[float, str]] | None = None,
    ) -> DaskSource:
        """A source over columns of a Dask DataFrame (checked here: names, dtypes).

        ``values``: per-row values as :func:`cutpoints._values.named_values` parses them
        (outcome -> a number or ``(sign, column)``); their columns must be numeric.
        """
        dask = _dask()

        columns = list(frame.columns)
        check_columns(columns, label, score, weight)
        dtypes = frame.dtypes
        check_score_type(_kind(dtypes[score]), score, dtypes[score])
        integer_weights = False
        if weight is not None:
            kind = _kind(dtypes[weight])
            if kind not in "iuf":
                msg = f"'{weight}' must be a numeric column of weights (got dtype {dtypes[weight]})"
                raise InvalidInputError(msg)
            integer_weights = kind in "iu"
        names = [label, score] + ([weight] if weight is not None else [])
        read = dask.delayed(_frame_columns, pure=True)
        parts = [read(p, label, score, weight) for p in frame[names].to_delayed()]
        value_parts = None
        if values is not None:
            from .._values import column_names

            value_names = column_names(values)
            for _, name in named_value_columns(values, columns):
                if _kind(dtypes[name]) not in "iuf":
                    msg = f"'{name}' must be a numeric value column (got dtype {dtypes[name]})"
                    raise InvalidInputError(msg)
            read_values = dask.delayed(_frame_values, pure=True)
            value_parts = [read_values(p, value_names) for p in frame[value_names].to_delayed()]
        return cls(
            parts,
            label=label,
            score=score,
            weight=weight,
            pos_label=pos_label,
            rule=rule,
            label_dtype=_numpy_dtype(dtypes[label]),
            score_kind=_kind(dtypes[score]),
            integer_weights=integer_weights,
            values=values,
            value_parts=value_parts,
            data=frame,
        )

    @classmethod
    def from_arrays(
        cls,
        y: Any,
        s: Any,
        w: Any = None,
        *,
        pos_label: Any = None,
        rule: str = ">=",
        values: Mapping[str, Any] | None = None,
    ) -> DaskSource:
        """A source over Dask arrays (or Series) of labels, scores and weights.

        ``values``: per-row values as :func:`cutpoints.find_cutpoint` takes them (outcome
        -> a number, a Dask array, or an in-memory array of one value per row); see
        :func:`array_values`. Every array is rechunked to the scores' chunks.
        """
        dask = _dask()

        arrays = {}
        for name, given in (("y_true", y), ("y_score", s), ("sample_weight", w)):
            if given is not None:
                arrays[name] = _dask_array(given, name)
        score = arrays["y_score"]
        lengths = {name: a.shape[0] for name, a in arrays.items()}
        if len(set(lengths.values())) > 1:
            listed = ", ".join(f"'{name}' has {n}" for name, n in lengths.items())
            msg = f"inputs must have the same length ({listed})"
            raise InvalidInputError(msg)
        check_score_type(score.dtype.kind, "y_score", score.dtype)
        weight = arrays.get("sample_weight")
        if weight is not None and weight.dtype.kind not in "iuf":
            msg = f"'sample_weight' must be numeric (got dtype {weight.dtype})"
            raise InvalidInputError(msg)
        chunks = score.chunks
        label_chunks = arrays["y_true"].rechunk(chunks).to_delayed().ravel()
        score_chunks = score.to_delayed().ravel()
        weight_chunks = (
            [None] * len(score_chunks)
            if weight is None
            else list(weight.rechunk(chunks).to_delayed().ravel())
        )
        read = dask.delayed(_array_columns, pure=True)
        parts = [
            read(a, b, c) for a, b, c in zip(label_chunks, score_chunks, weight_chunks, strict=True)
        ]
        spec, value_parts = None, None
        if values is not None:
            spec, columns = array_values(values, score)
            names = list(columns)
            per_column = [columns[name].rechunk(chunks).to_delayed().ravel() for name in names]
            read_values = dask.delayed(_chunk_values, pure=True)
            value_parts = [read_values(names, *chunk) for chunk in zip(*per_column, strict=True)]
            if not names:  # only numbers: no column to read
                value_parts = [{} for _ in parts]
        return cls(
            parts,
            label="y_true",
            score="y_score",
            weight=None if weight is None else "sample_weight",
            pos_label=pos_label,
            rule=rule,
            label_dtype=arrays["y_true"].dtype,
            score_kind=score.dtype.kind,
            integer_weights=weight is not None and weight.dtype.kind in "iu",
            values=spec,
            value_parts=value_parts,
            data=score,
            keys=[d.key for d in score_chunks],
        )

    @property
    def values(self) -> Mapping[str, float | tuple[float, str]] | None:
        """The per-row values, parsed: outcome -> a number or ``(sign, column)``."""
        return self._values

    # -- the Source protocol
    def summary(self) -> SourceSummary:
        """Pass 0 over every partition (cached): checks the columns, counts the classes."""
        if self._summary is None:
            dask = _dask()

            groups, tasks = self._grouped(_facts_of, (self._sign, self.label))
            value_facts = dask.delayed(_value_facts, pure=True)
            checks = [value_facts(v) for v in self._value_parts or []]
            computed = dask.compute(*tasks, *checks)
            per_part = _ungrouped(groups, computed[: len(tasks)])
            self._starts = list(np.cumsum([0] + [f.n_rows for f in per_part])[:-1])
            merged = PartFacts()
            for part in per_part:
                merged = merge_facts(merged, part)
            self._summary = summarize(
                merged,
                label=self.label,
                score=self.score,
                weight=self.weight,
                pos_label=self.pos_label,
                label_dtype=self._label_dtype,
                integer_weights=self._integer_weights,
                integer_scores=self._score_kind in "iu",
            )
            if self._values is not None:
                self._check_values(computed[len(tasks) :])
                from .._scan import value_names

                # the value columns, then each row's positive and negative flag gain
                n_extra = len(value_names(self._values)) + 2
                self._summary = replace(self._summary, n_extra=n_extra)
        return self._summary

    @staticmethod
    def _check_values(per_part: Sequence[dict[str, int]]) -> None:
        bad: dict[str, int] = {}
        for part in per_part:
            for name, n_bad in part.items():
                bad[name] = bad.get(name, 0) + n_bad
        for name, n_bad in bad.items():
            if n_bad:
                msg = (
                    f"'{name}' must be finite and not missing (got {n_bad} missing, NaN or "
                    "infinite values in all)"
                )
                raise InvalidInputError(msg)

    @property
    def stream_sort_rows(self) -> int:
        """The most rows the refinement brings back to this process and sorts.

        Held in the cluster's memory (persisted), a further counting pass costs the
        workers a fraction of a second, less than bringing millions of rows back and
        sorting them here (1e8 rows, 2 workers: 3.2 million rows took 0.4-0.55 s of
        client time, a further pass about 0.2 s on each worker): split down to 2**18.
        Otherwise every pass recomputes or re-reads the partitions: the streamed default.
        """
        held = self._data is not None and _current_client() is not None
        if held and _dask("distributed").futures_of(self._data):
            return PERSISTED_SORT_ROWS
        return STREAM_SORT_ROWS

    def _groups(self) -> list[list[int]]:
        """The parts (indices, ascending) in groups that each run as one task.

        Parts whose chunks one worker holds in memory (a persisted collection, with the
        distributed Client that ``dask.compute`` uses now) form one group per worker:
        one task reads them where they lie, and one small result travels. Every other
        part is a group of its own (its chunk is computed, then read, where Dask likes).
        """
        homes: list[Any] = [None] * len(self._parts)
        client = _current_client()
        futures = []
        if client is not None and self._data is not None:
            futures = _dask("distributed").futures_of(self._data)
        if futures:
            held = {key: next(iter(where), None) for key, where in client.who_has(futures).items()}
            if self._keys is not None:  # arrays: the scores' chunk keys
                homes = [held.get(key) for key in self._keys]
            elif len({key[0] for key in held}) == 1:
                # A persisted DataFrame's partitions are named apart from its expression:
                # partition i is key (name, i).
                homes = [held.get((next(iter(held))[0], i)) for i in range(len(homes))]
        groups: list[list[int]] = []
        by_worker: dict[Any, list[int]] = {}
        for i, home in enumerate(homes):
            if home is None:
                groups.append([i])
            else:
                by_worker.setdefault(home, []).append(i)
        return sorted(groups + list(by_worker.values()))

    def _grouped(self, func: Callable[[Any, Any], Any], params: Any) -> tuple[Any, list[Any]]:
        """Delayed tasks of ``func(part, params)`` over the parts, one per group (see
        :meth:`_groups`); :func:`_ungrouped` puts their results back in part order."""
        dask = _dask()

        groups = self._groups()
        each = dask.delayed(_each, pure=True)
        return groups, [each(func, params, *[self._parts[i] for i in g]) for g in groups]

    def _params(self) -> tuple[Any, ...]:
        summary = self.summary()
        return (self._sign, summary.positive_label, self._integer_weights)

    def _compiled(self) -> bool | None:
        """Whether workers use numba's kernels: None, numpy; else whether the input is
        large. A worker pays numba's start-up once and keeps the kernels, so any sizeable
        input repays it (small ones use the kernels only on a worker that has them
        loaded already)."""
        from . import _histogram

        return self.summary().n_rows >= COMPILED_FROM_ROWS if _histogram.USE_COMPILED else None

    def histogram(self, layout: BinLayout, levels: Sequence[Level]) -> Histogram:
        """A counting pass: per-partition tables, tree-summed on the cluster.

        Integer tables (no weights, integer weights) add up alike in any order, so the
        parts held by one worker are counted by one task into one table. Float weights
        keep one table per part, added in part order: the sums do not depend on where
        the data lies.
        """
        dask = _dask()

        summary = self.summary()
        if self._value_parts is not None:
            return self._value_histogram(layout, levels)
        # A pass of deeper levels: a fresh token, under which the workers keep the split
        # bins' rows for the refining pass (see _keep_split_rows).
        self._token = uuid.uuid4().hex if len(levels) > 1 else None
        params = dask.delayed(
            (
                *self._params(),
                layout,
                list(levels),
                summary.zero_weights,
                self._compiled(),
                self._token,
            ),
            traverse=False,
        )
        if not summary.weighted or summary.integer_weights:
            summed = dask.delayed(_summed, pure=True)
            tasks = [
                summed(_count, _add_counts, params, *[self._parts[i] for i in group])
                for group in self._groups()
            ]
        else:
            count = dask.delayed(_count, pure=True)
            tasks = [count(p, params) for p in self._parts]
        by_class, rows = dask.compute(_tree(tasks, _add_counts))[0]
        return finish_histogram(
            by_class,
            rows,
            weighted=summary.weighted,
            integer_weights=summary.integer_weights,
            n_rows=summary.n_rows,
        )

    def _value_histogram(self, layout: BinLayout, levels: Sequence[Level]) -> Histogram:
        """A counting pass that also sums the value columns and gains per cell."""
        dask = _dask()

        summary = self.summary()
        assert self._value_parts is not None
        params = dask.delayed(
            (*self._params(), self._values, layout, list(levels), summary.zero_weights),
            traverse=False,
        )
        count = dask.delayed(_count_values, pure=True)
        parts = [count(p, v, params) for p, v in zip(self._parts, self._value_parts, strict=True)]
        by_class, rows, sums = dask.compute(_tree(parts, _add_value_counts))[0]
        hist = finish_histogram(
            by_class,
            rows,
            weighted=summary.weighted,
            integer_weights=summary.integer_weights,
            n_rows=summary.n_rows,
        )
        return Histogram(hist.positive, hist.negative, hist.rows, sums)

    def rows_with_extra(
        self,
        layout: BinLayout,
        levels: Sequence[Level],
        chosen: list[BoolArray],
        ranges: Ranges,
    ) -> ExtraRows:
        """:meth:`rows_in` plus the rows' extra columns (value sums and gains)."""
        dask = _dask()

        assert self._value_parts is not None
        params = dask.delayed(
            (*self._params(), self._values, layout, list(levels), chosen, ranges),
            traverse=False,
        )
        rows = dask.delayed(_rows_values, pure=True)
        parts = dask.compute(
            *[rows(p, v, params) for p, v in zip(self._parts, self._value_parts, strict=True)]
        )
        weights = [p[2] for p in parts]
        weight = None if weights[0] is None else np.concatenate(weights)
        return (
            np.concatenate([p[0] for p in parts]),
            np.concatenate([p[1] for p in parts]),
            weight,
            np.concatenate([p[3] for p in parts], axis=1),
        )

    def rows_in(
        self,
        layout: BinLayout,
        levels: Sequence[Level],
        chosen: list[BoolArray],
        ranges: Ranges,
    ) -> Rows:
        """The refining pass: only the rows in the chosen cells travel back, in order."""
        dask = _dask()

        # The rows of the split bins kept by the counting pass of these levels, if any.
        token = self._token if len(levels) > 1 else None
        params = dask.delayed(
            (*self._params(), layout, list(levels), chosen, ranges, self._compiled(), token),
            traverse=False,
        )
        groups, tasks = self._grouped(_rows, params)
        parts = _ungrouped(groups, dask.compute(*tasks))
        weights = [p[2] for p in parts]
        weight = None if weights[0] is None else np.concatenate(weights)
        return (
            np.concatenate([p[0] for p in parts]),
            np.concatenate([p[1] for p in parts]),
            weight,
        )

    def map_reduce(
        self,
        task: Callable[[Batch], T],
        combine: Callable[[T, T], T],
        *,
        pass_name: str = "pass",
    ) -> T | None:
        """``task`` on every partition (a :class:`Batch` whose ``start`` is the global
        row offset), results combined in partition order by a tree on the cluster.

        ``task`` and ``combine`` travel to the workers: module-level functions or
        picklable callables.
        """
        dask = _dask()

        del pass_name  # Dask shows its own progress (dashboard, diagnostics)
        self.summary()
        if not self._parts:
            return None
        if self._value_parts is not None:
            # The batches carry the value columns and gains (Batch.extra), as files do.
            params = dask.delayed((*self._params(), self._values), traverse=False)
            run = dask.delayed(_run_task_values, pure=True)
            parts = [
                run(p, v, params, int(start), task)
                for p, v, start in zip(self._parts, self._value_parts, self._starts, strict=True)
            ]
        else:
            params = dask.delayed(self._params(), traverse=False)
            run_plain = dask.delayed(_run_task, pure=True)
            parts = [
                run_plain(p, params, int(start), task)
                for p, start in zip(self._parts, self._starts, strict=True)
            ]
        total = _tree(parts, _Combine(combine))
        result: T = dask.compute(total)[0]
        return result


class _Combine:
    """``combine`` over several partials, in order (a picklable callable)."""

    def __init__(self, combine: Callable[[Any, Any], Any]) -> None:
        self.combine = combine

    def __call__(self, *parts: Any) -> Any:
        return _combine_many(self.combine, *parts)


def _dask_array(given: Any, name: str) -> Any:
    """``given`` (a Dask array or Series, or an in-memory array) as a 1-D Dask array
    with known chunk lengths."""
    da = _dask("dask.array")

    array = given.to_dask_array(lengths=True) if hasattr(given, "to_dask_array") else given
    array = array if isinstance(array, da.Array) else da.asarray(np.asarray(array))
    if array.ndim != 1:
        msg = f"'{name}' must be one-dimensional (got shape {array.shape})"
        raise InvalidInputError(msg)
    if any(np.isnan(c) for c in array.chunks[0]):
        # From a DataFrame: chunk lengths unknown until counted (a cheap pass).
        array = array.compute_chunk_sizes()
    return array


def array_values(values: Any, score: Any) -> tuple[dict[str, float | tuple[float, str]], Any]:
    """``values=`` beside Dask scores: the parsed spec and its columns as Dask arrays.

    Numbers, in-memory arrays and unknown outcome keys are checked as in memory
    (:func:`cutpoints._values.check_values`, the same messages); an in-memory array
    becomes a Dask array with the scores' chunks. A Dask array (or Series) is checked
    for its length and dtype here, and for NaN and infinity by pass 0 on the workers.
    Each array is the column ``values["<outcome>"]``, so errors and
    :attr:`cutpoints.Cutpoint.columns` name it so.

    Examples
    --------
    >>> import numpy as np, dask.array as da
    >>> spec, columns = array_values({"tp": np.array([1.0, 2.0]), "fp": -5}, da.zeros(2))
    >>> spec
    {'tp': (1.0, 'values["tp"]'), 'fp': -5.0}
    >>> columns['values["tp"]'].compute()
    array([1., 2.])
    """
    from .._values import check_values

    if not isinstance(values, Mapping):
        check_values(values, 0)  # raises: the in-memory message
    n = score.shape[0]
    on_cluster = {k: v for k, v in values.items() if _is_dask_collection(v)}
    # Everything else is validated in memory, exactly as for numpy inputs (a Dask
    # entry stands in as 0 there, so its key is still checked).
    checked = check_values({k: 0 if k in on_cluster else v for k, v in values.items()}, n)
    spec: dict[str, float | tuple[float, str]] = {}
    columns: dict[str, Any] = {}
    for key in values:
        name = f'values["{key}"]'
        entry = checked.entries.get(key)
        if key in on_cluster:
            array = _dask_array(on_cluster[key], name)
            kind = array.dtype.kind
            if kind == "b":
                msg = f"'{name}' must be numeric (got booleans); pass them as 0/1 if you mean it"
                raise InvalidInputError(msg)
            if kind not in "iuf":
                msg = f"'{name}' must be numeric (got dtype {array.dtype})"
                raise InvalidInputError(msg)
            if array.shape[0] != n:
                msg = (
                    f"'{name}' must have one value per row "
                    f"('{name}' has {array.shape[0]}, the scores have {n})"
                )
                raise InvalidInputError(msg)
        elif isinstance(entry, np.ndarray):
            array = _dask("dask.array").from_array(entry, chunks=score.chunks)
        else:
            spec[key] = 0.0 if entry is None else float(entry)
            continue
        spec[key] = (1.0, name)
        columns[name] = array
    return spec, columns


def _is_dask_collection(value: Any) -> bool:
    return type(value).__module__.split(".")[0] in {"dask", "dask_expr"}


def _ungrouped(groups: list[list[int]], results: Sequence[list[T]]) -> list[T]:
    """Per-group lists of per-part results, back in part order.

    Examples
    --------
    >>> _ungrouped([[0, 2], [1, 3]], [["a", "c"], ["b", "d"]])
    ['a', 'b', 'c', 'd']
    """
    out: dict[int, T] = {}
    for group, found in zip(groups, results, strict=True):
        out.update(zip(group, found, strict=True))
    return [out[i] for i in range(len(out))]


def _current_client() -> Any:
    """The distributed Client that ``dask.compute`` uses now, or None."""
    dask = _dask()

    scheduler = dask.base.get_scheduler()
    client = getattr(scheduler, "__self__", None)
    return client if type(client).__name__ == "Client" else None


def _dask(name: str = "dask") -> Any:
    """Dask's module, imported on first use (``import cutpoints`` never loads it)."""
    return importlib.import_module(name)


def _kind(dtype: Any) -> str:
    """numpy's kind letter of a (pandas) dtype; "O" for strings, categories and the like."""
    try:
        return str(np.dtype(dtype).kind)
    except TypeError:
        kind = getattr(dtype, "kind", "O")
        numpy_dtype = getattr(dtype, "numpy_dtype", None)
        return str(numpy_dtype.kind) if numpy_dtype is not None else str(kind)


def _numpy_dtype(dtype: Any) -> Any:
    try:
        return np.dtype(dtype)
    except TypeError:
        return object
