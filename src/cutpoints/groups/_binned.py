"""Per-group curves by one grouped histogram-refine pass, no full sort per group. Exact.

The ungrouped histogram engine (:mod:`cutpoints.engines._histogram`) applied to all
groups at once:

1. one counting pass over the rows (numpy, in chunks, on the sort threads) gives the
   class counts and row counts of every (group, score bin) cell; the bins are one layout
   over the order-preserving keys of all scores, about 16 rows a bin per group, at most
   2**20 cells in all (:func:`cell_bits`);
2. cumulative sums per group give exact counts at every bin edge of every group: rows
   of each group's exact curve (compiled and unweighted, steps 1 and 2 end in one
   pass over the threads' tables: :func:`~cutpoints.groups._kernels.group_edges`);
3. independent mode: vectorized over blocks of groups (:func:`_refine_by_blocks`:
   temporaries that stay in cache), the bins that may hold an optimal row,
   a tied optimum or a runner-up are found as
   :func:`~cutpoints.engines._histogram.bins_to_refine` finds them for one curve: a bin
   is kept when each constraint could hold in it and the objective could reach, at the
   corner of the bin's (tp, fp) box that the metric's declared monotonicity names, the
   value of the runner-up ranked last among the group's edge rows (edges of empty bins
   repeat the row above and are not counted). Each group's top and bottom bins are kept
   too, so its highest and lowest scores are observed, as on the full curve;
4. a second pass picks the rows of the kept cells; one sort by (group, score) of those
   rows gives their exact curve rows (the bin's upper edge plus the runs above them);
5. the selection kernel's rule is applied to every group at once on row 0 and those
   rows (:func:`_select`: the same float64 arithmetic, exact comparison and tie rule).
   They hold every row that can be the optimum, a tied optimum or a runner-up, in the
   same order with the same counts, so the choice is the full curve's. A group's
   Cutpoint is built when first read, from its :class:`BinnedCurve` (edges of the bins
   not kept, exact rows of the kept ones), on which the kernel chooses again.

Joint mode under a shared budget that only grows along every curve (``flagged <=
5000``) keeps instead every bin whose upper edge is within the budget
(:func:`budget_curves`): no row beyond it can be part of a feasible choice.

Used when the answer is bit for bit the sort path's: without per-row values, with no
weights or whole-number weights (their sums do not depend on the order), and in
independent mode for objectives that declare their monotonicity. A group that holds one
class or whose selection fails sends the call back to the sort path, which raises the
exact error.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from .._api import N_RUNNERS_UP, _Columns
from .._cutpoint import Cutpoint
from .._metrics import BoundMetric
from ..engines._compiled import _map
from ..engines._histogram import (
    BinLayout,
    BinnedCurve,
    _floats,
    _map_groups,
    _relative_keys_into,
    bin_layout,
)
from ..engines._sort import sweep_with_top
from ..selection import Constraint, select_rows
from ..selection._kernel import may_reach
from . import _kernels
from ._cuts import Brief, CutpointFactory, LazyCutpoints

__all__ = ["applicable", "budget_curves", "cell_bits", "choose_binned"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

_CHUNK = 1 << 20  # rows per counting chunk: temporaries of a few MB
_MAX_CELLS = 1 << 20  # (group, bin) cells in all: the count tables stay a few MB
_MIN_BITS, _MAX_BITS = 3, 12
_SLACK = 1e-9  # as the selection kernel's may_reach: rounding never drops a row


def cell_bits(n_rows: int, n_groups: int) -> int:
    """Bits of score bins per group: about 16 rows a bin (8 to 4096 bins), at most
    2**20 cells in all (down to 2 bins a group).

    Examples
    --------
    >>> cell_bits(10_000_000, 1000)
    10
    >>> cell_bits(100, 50)
    3
    >>> cell_bits(2_000_000, 500_000)
    1
    """
    per_group = max(1, n_rows // max(1, n_groups))
    bits = max(_MIN_BITS, min(_MAX_BITS, (per_group // 16).bit_length()))
    while bits > 1 and n_groups << bits > _MAX_CELLS:  # very many groups: fewer bins
        bits -= 1
    return bits


def applicable(columns: _Columns, objective: BoundMetric | None = None) -> bool:
    """Whether the grouped histogram path gives the sort path's exact answer here: no
    per-row values, counts that sum exactly in any order, and (for independent
    selection, ``objective`` given) an objective with declared monotonicity."""
    if columns.values is not None:
        return False
    if objective is not None and (objective.monotonicity is None or objective.columns):
        return False
    weight = columns.weight
    if weight is None or weight.dtype.kind in "iub":
        return True
    # Whole-number float weights sum exactly in any order (below 2**53).
    w = np.asarray(weight, dtype=np.float64)
    return bool(np.array_equal(w, np.floor(w))) and float(w.sum()) < 2.0**52


@dataclass(frozen=True)
class _Cells:
    """Per (group, bin) cell, bins highest scores first: class counts and rows."""

    positive: np.ndarray  # shape (groups, bins); int64, or float64 with float weights
    negative: np.ndarray
    rows: IntArray


def _cell_pairs(
    score: FloatArray,
    is_positive: BoolArray,
    codes: IntArray,
    layout: BinLayout,
    start: int,
    stop: int,
) -> Iterator[tuple[int, IntArray]]:
    """``2 * cell + is_positive`` of rows ``start:stop``, chunk by chunk: (first row,
    pairs). A cell is ``group * bins + bin`` (bins ascending). The buffers are reused
    from chunk to chunk (fresh large arrays cost page faults on every call)."""
    size = min(_CHUNK, stop - start)
    keys = np.empty(size, dtype=np.uint64)
    tmp = np.empty(size, dtype=np.int64)
    pairs = np.empty(size, dtype=np.int64)
    shift, one = np.uint64(layout.shift), np.uint64(1)
    for a in range(start, stop, _CHUNK):
        b = min(a + _CHUNK, stop)
        m = b - a
        rel = _relative_keys_into(score[a:b], layout, keys[:m], tmp[:m])
        rel >>= shift
        rel <<= one
        pair = np.multiply(codes[a:b], 2 * layout.n_bins, out=pairs[:m])
        pair += rel.view(np.int64)
        pair += is_positive[a:b]
        yield a, pair


def _count(
    score: FloatArray,
    is_positive: BoolArray,
    weight: np.ndarray | None,
    codes: IntArray,
    n_groups: int,
    layout: BinLayout,
    compiled: bool | None = None,
) -> _Cells:
    """One counting pass over blocks of rows (on the sort threads): compiled where
    :func:`~cutpoints.groups._kernels.worthwhile` (``compiled=None``), else numpy
    (the oracle)."""
    n_bins = layout.n_bins
    n_slots = 2 * n_groups * n_bins
    if _kernels.worthwhile(len(score)) if compiled is None else compiled:
        counts, rows = _kernels.cell_counts(score, is_positive, weight, codes, n_groups, layout)
        return _cells(counts, None if rows is None else [rows], weight, n_groups, n_bins)

    def task(start: int, stop: int) -> tuple[np.ndarray, IntArray | None]:
        counts = np.zeros(n_slots, dtype=np.int64 if weight is None else np.float64)
        rows = None if weight is None else np.zeros(n_slots // 2, dtype=np.int64)
        for a, pair in _cell_pairs(score, is_positive, codes, layout, start, stop):
            if weight is None:
                counts += np.bincount(pair, minlength=n_slots)
                continue
            w = np.asarray(weight[a : a + len(pair)], dtype=np.float64)
            counts += np.bincount(pair, weights=w, minlength=n_slots)
            pair >>= 1
            assert rows is not None
            rows += np.bincount(pair, minlength=n_slots // 2)
        return counts, rows

    parts = _map_groups(task, len(score))
    counts = parts[0][0]
    for part, _ in parts[1:]:
        counts += part
    row_parts = None if weight is None else [p[1] for p in parts]
    return _cells(counts, row_parts, weight, n_groups, n_bins)


def _cells(
    counts: np.ndarray,
    row_parts: list[Any] | None,
    weight: np.ndarray | None,
    n_groups: int,
    n_bins: int,
) -> _Cells:
    """The cells from the flat table (``2 * cell + is_positive``, bins ascending)."""
    table = counts.reshape(n_groups, n_bins, 2)[:, ::-1, :]  # highest scores first
    if weight is not None and weight.dtype.kind in "iub":
        table = table.astype(np.int64)  # whole numbers, summed exactly as floats
    positive, negative = table[:, :, 1], table[:, :, 0]
    if row_parts is None:
        rows = positive + negative
    else:
        rows = row_parts[0]
        for part_rows in row_parts[1:]:
            rows = rows + part_rows
        rows = rows.reshape(n_groups, n_bins)[:, ::-1]
    return _Cells(positive, negative, np.ascontiguousarray(rows))


def _rows_in(
    score: FloatArray,
    is_positive: BoolArray,
    codes: IntArray,
    layout: BinLayout,
    picked: BoolArray,
    n_picked: int,
    compiled: bool | None = None,
) -> IntArray:
    """The rows whose cell is picked (``picked`` by cell, bins ascending), in row order;
    ``n_picked`` of them. Compiled or numpy as in :func:`_count`."""
    if _kernels.worthwhile(len(score)) if compiled is None else compiled:
        return _kernels.picked_rows(score, is_positive, codes, layout, picked, n_picked).index
    slots = np.repeat(picked, 2)

    def task(start: int, stop: int) -> IntArray:
        found = [
            np.flatnonzero(slots[pair]) + a
            for a, pair in _cell_pairs(score, is_positive, codes, layout, start, stop)
        ]
        return np.concatenate(found)

    return np.concatenate(_map_groups(task, len(score)))


def _corner_bounds(
    tp: FloatArray,
    fp: FloatArray,
    n_pos: FloatArray,
    n_neg: FloatArray,
    metric: BoundMetric,
    maximize: bool,
) -> FloatArray | None:
    """:func:`~cutpoints.selection._kernel.block_bounds` for every bin of every group:
    the bin between edges ``j`` and ``j + 1`` (columns of ``tp`` and ``fp``)."""
    signs = metric.monotonicity
    if signs is None:
        return None
    s_tp, s_fp = signs
    t = tp[:, 1:] if (s_tp > 0) == maximize else tp[:, :-1]
    f = fp[:, 1:] if (s_fp > 0) == maximize else fp[:, :-1]
    with np.errstate(all="ignore"):
        bound: FloatArray = metric(t, f, n_neg - f, n_pos - t)
    return bound


def _to_refine(
    tp: FloatArray,
    fp: FloatArray,
    valid: BoolArray,
    objective: BoundMetric,
    constraints: Sequence[Constraint],
    maximize: bool,
) -> BoolArray:
    """Bins (groups x bins) that may hold an answer row: ``bins_to_refine`` per group.

    ``valid`` marks the edge rows that are rows of the curve (row 0 and the edges of
    non-empty bins): an empty bin's edge repeats the row above and must not count twice
    in the ranking of edge rows.
    """
    n_pos = tp[:, -1:]
    n_neg = fp[:, -1:]
    keep = np.ones((tp.shape[0], tp.shape[1] - 1), dtype=bool)
    for c in constraints:
        best = _corner_bounds(tp, fp, n_pos, n_neg, c.metric, c.wants_large)
        if best is not None:  # unknown monotonicity: the constraint may hold anywhere
            keep &= may_reach(best, c.bound, maximize=c.wants_large)
    with np.errstate(all="ignore"):
        values = np.asarray(objective(tp, fp, n_neg - fp, n_pos - tp), dtype=np.float64)
        feasible = valid & ~np.isnan(values)
        for c in constraints:
            feasible &= c.mask(np.asarray(c.metric(tp, fp, n_neg - fp, n_pos - tp)))
    sign = 1.0 if maximize else -1.0
    key = np.where(feasible, sign * values, -np.inf)
    best_key = key.max(axis=1, keepdims=True)
    if N_RUNNERS_UP > 0:
        # The runner-up ranked last: the N-th best edge value below the edges' optimum.
        others = np.where(key < best_key, key, -np.inf)
        n = min(N_RUNNERS_UP, others.shape[1])
        target = -np.partition(-others, n - 1, axis=1)[:, n - 1 : n]
    else:  # pragma: no cover - the package reports runners-up
        target = best_key
    # No optimum among the edges, or fewer ranked edge rows: keep every bin the
    # constraints allow (target -inf keeps all).
    target = np.where(np.isfinite(best_key), target, -np.inf)
    bound = _corner_bounds(tp, fp, n_pos, n_neg, objective, maximize)
    assert bound is not None  # checked by applicable()
    slack = _SLACK * np.maximum(1.0, np.abs(np.where(np.isfinite(target), target, 0.0)))
    keep &= ~(sign * bound < target - slack)  # NaN bounds are kept
    return keep


#: Table entries (groups x edges) per block of :func:`_refine_by_blocks`: its dozen
#: float64 temporaries stay in a core's cache.
_REFINE_BLOCK = 1 << 16


def _ours(metric: BoundMetric) -> bool:
    """Whether ``metric``'s function is cutpoints' own (safe to call from threads)."""
    module = getattr(metric.metric.func, "__module__", None) or ""
    return module == "cutpoints" or module.startswith("cutpoints.")


def _refine_by_blocks(
    table: _Table,
    objective: BoundMetric,
    constraints: Sequence[Constraint],
    maximize: bool,
    block: int = _REFINE_BLOCK,
) -> BoolArray:
    """:func:`_to_refine` on blocks of groups (each group's bins depend on its own row
    only): the same answer, with temporaries that stay in cache (on the whole table of
    2**20 cells each temporary streams through memory)."""
    n_groups, n_edges = table.tp_edges.shape
    step = max(1, block // n_edges)
    valid = table.valid

    def task(a: int, b: int) -> BoolArray:
        return _to_refine(
            table.tp_edges[a:b].astype(np.float64),
            table.fp_edges[a:b].astype(np.float64),
            valid[a:b],
            objective,
            constraints,
            maximize,
        )

    blocks = [(a, min(a + step, n_groups)) for a in range(0, n_groups, step)]
    # On the sort threads (numpy's ufuncs release the GIL), when every metric is one of
    # ours: a user's metric function is only ever called on the calling thread, so it
    # need not be thread-safe.
    threaded = all(_ours(m) for m in (objective, *(c.metric for c in constraints)))
    parts = _map(task, blocks) if threaded else [task(*block) for block in blocks]
    return parts[0] if len(parts) == 1 else np.concatenate(parts)


def choose_binned(
    columns: _Columns,
    labels: tuple[Any, ...],
    codes: IntArray,
    objective: BoundMetric,
    constraints: Sequence[Constraint],
    maximize: bool,
    ties: str,
) -> Mapping[Any, Cutpoint] | None:
    """Each group's Cutpoint (lazily built), or None: use the sort path instead.

    None when a group holds one class or its selection fails (the sort path raises the
    exact error).
    """
    table = _Table.of(columns, codes, len(labels))
    if table is None:
        return None
    refine = table.with_ends(_refine_by_blocks(table, objective, constraints, maximize))
    score, is_positive, weight = table.score, columns.is_positive, columns.weight
    layout, rows, tp_edges, fp_edges = table.layout, table.rows, table.tp_edges, table.fp_edges
    n_pos, n_neg = tp_edges[:, -1], fp_edges[:, -1]
    runs = _runs(score, is_positive, weight, codes, layout, refine, rows, tp_edges, fp_edges)
    picked = _select(runs, n_pos, n_neg, objective, constraints, maximize, ties)
    if picked is None:
        return None
    make = CutpointFactory(objective, constraints)
    sign = 1.0 if columns.rule == ">=" else -1.0
    sizes = rows.sum(axis=1)
    # Python scalars of every group at once (the counts' own dtype, as one row's would be).
    at = np.asarray(picked[0], dtype=np.int64)
    tp, fp = runs.tp[at], runs.fp[at]
    briefs = [
        Brief(threshold, tp_g, fp_g, tn_g, fn_g, n_samples=size, score=value, metric=objective)
        for threshold, tp_g, fp_g, tn_g, fn_g, size, value in zip(
            (sign * runs.thresholds[at]).tolist(),
            tp.tolist(),
            fp.tolist(),
            (n_neg - fp).tolist(),
            (n_pos - tp).tolist(),
            sizes.tolist(),
            picked[1],
            strict=True,
        )
    ]
    curves = _GroupCurves(columns, layout, runs, rows, refine, tp_edges, fp_edges, sign, codes)

    def build(g: int) -> Cutpoint:
        curve = curves.curve(g)
        selection = select_rows(curve, objective, tuple(constraints), ties=ties, maximize=maximize)
        return make.at_row(
            curve, selection.index, maximize=maximize, ties=ties, selection=selection
        )

    return LazyCutpoints(labels, briefs, build)


@dataclass(frozen=True)
class _Table:
    """The counting pass's result: per (group, bin) counts and every group's edges."""

    score: FloatArray
    layout: BinLayout
    rows: IntArray  # shape (groups, bins), bins highest scores first: rows per cell
    tp_edges: np.ndarray  # shape (groups, bins + 1): counts above each bin edge
    fp_edges: np.ndarray

    @classmethod
    def of(cls, columns: _Columns, codes: IntArray, n_groups: int) -> _Table | None:
        """Count; None if a group holds one class (the sort path names it)."""
        score = np.ascontiguousarray(columns.score, dtype=np.float64)
        bits = cell_bits(len(score), n_groups)
        compiled = _kernels.worthwhile(len(score))
        low, high = (
            _kernels.score_range(score) if compiled else (float(score.min()), float(score.max()))
        )
        layout = bin_layout(low, high, bits)
        weight = columns.weight
        if weight is None and compiled:
            # Compiled: the threads' tables added up and summed per group in one pass
            # (the same integers as below).
            tables = _kernels.group_edges(score, columns.is_positive, codes, n_groups, layout)
            rows, tp_edges, fp_edges = tables.rows, tables.tp_edges, tables.fp_edges
        else:
            cells = _count(score, columns.is_positive, weight, codes, n_groups, layout)
            zero = np.zeros((n_groups, 1), dtype=cells.positive.dtype)
            tp_edges = np.concatenate((zero, np.cumsum(cells.positive, axis=1)), axis=1)
            fp_edges = np.concatenate((zero, np.cumsum(cells.negative, axis=1)), axis=1)
            rows = cells.rows
        if not ((tp_edges[:, -1] > 0) & (fp_edges[:, -1] > 0)).all():
            return None
        return cls(score, layout, rows, tp_edges, fp_edges)

    @property
    def valid(self) -> BoolArray:
        """The edge rows that are rows of the curve: row 0 and the edges of non-empty
        bins (an empty bin's edge repeats the row above)."""
        first = np.ones((len(self.tp_edges), 1), dtype=bool)
        return np.concatenate((first, self.rows > 0), axis=1)

    def with_ends(self, refine: BoolArray) -> BoolArray:
        """``refine`` plus each group's top and bottom non-empty bins (its extreme
        scores are then observed), less the empty bins."""
        nonempty = self.rows > 0
        first = np.argmax(nonempty, axis=1)
        last = nonempty.shape[1] - 1 - np.argmax(nonempty[:, ::-1], axis=1)
        everyone = np.arange(len(nonempty))
        refine[everyone, first] = True
        refine[everyone, last] = True
        refine &= nonempty
        return refine


def budget_curves(
    columns: _Columns, codes: IntArray, n_groups: int, a: float, b: float, cap: float
) -> list[BinnedCurve] | None:
    """Each group's curve for a joint choice under a shared budget ``a tp + b fp <= cap``
    with ``a, b >= 0``; None if a group holds one class.

    Every group uses 0 of such a budget at its first row, so a row using more than
    ``cap`` alone is never part of a feasible choice: the curves hold the exact rows of
    every bin whose upper edge uses at most ``cap`` (every row that can be chosen), and
    the edge rows of the bins below, so the joint solver's answer is the full curves'.
    """
    table = _Table.of(columns, codes, n_groups)
    if table is None:
        return None
    use = a * table.tp_edges.astype(np.float64) + b * table.fp_edges.astype(np.float64)
    refine = table.with_ends(use[:, :-1] <= cap + _SLACK * max(1.0, abs(cap)))
    runs = _runs(
        table.score,
        columns.is_positive,
        columns.weight,
        codes,
        table.layout,
        refine,
        table.rows,
        table.tp_edges,
        table.fp_edges,
    )
    sign = 1.0 if columns.rule == ">=" else -1.0
    curves = _GroupCurves(
        columns,
        table.layout,
        runs,
        table.rows,
        refine,
        table.tp_edges,
        table.fp_edges,
        sign,
        codes,
    )
    return [curves.curve(g) for g in range(n_groups)]


@dataclass(frozen=True)
class _Runs:
    """Row 0 ("flag nothing") of every group, then the exact rows of its refined bins,
    group after group: group ``g`` is ``starts[g]:starts[g + 1]``. Thresholds as the
    engine saw the scores (negated for ``rule="<="``)."""

    group: IntArray
    bin: IntArray  # bins highest scores first; -1 for row 0
    thresholds: FloatArray
    tp: np.ndarray
    fp: np.ndarray
    starts: IntArray
    n_rows: IntArray  # input rows in each group's refined bins


def _runs(
    score: FloatArray,
    is_positive: BoolArray,
    weight: np.ndarray | None,
    codes: IntArray,
    layout: BinLayout,
    refine: BoolArray,
    cells_rows: IntArray,
    tp_edges: np.ndarray,
    fp_edges: np.ndarray,
    compiled: bool | None = None,
) -> _Runs:
    """The rows of the refined cells, sorted by (group, score), as exact curve rows
    (compiled or numpy as in :func:`_count`; compiled and unweighted, on the sort
    threads: :func:`~cutpoints.groups._kernels.bucketed_runs`)."""
    n_groups, n_bins = refine.shape
    # Cells number bins upwards; ``refine`` counts them downwards.
    rows_per_cell = cells_rows[refine]
    n_picked = int(rows_per_cell.sum())
    picked = refine[:, ::-1].ravel()
    if _kernels.worthwhile(len(score)) if compiled is None else compiled:
        found = _kernels.picked_rows(score, is_positive, codes, layout, picked, n_picked)
        if weight is None:
            return _Runs(*_kernels.bucketed_runs(found, refine, rows_per_cell, tp_edges, fp_edges))
        count_type = tp_edges.dtype
        picked_weight = (
            np.ones(n_picked, dtype=count_type)
            if weight is None
            else np.asarray(weight[found.index]).astype(count_type)
        )
        return _Runs(
            *_kernels.sorted_runs(found, picked_weight, refine, rows_per_cell, tp_edges, fp_edges)
        )
    index = _rows_in(score, is_positive, codes, layout, picked, n_picked, compiled=False)
    s = score[index] + 0.0  # -0.0 and 0.0 are one threshold
    # By group, then score descending: a sort of the scores, then a stable one of the
    # groups (two plain argsorts beat a lexsort several times over).
    by_score = np.argsort(-s)
    group_of = codes[index[by_score]]
    if n_groups <= 1 << 16:
        group_of = group_of.astype(np.uint16)  # a stable sort of 16-bit keys is a radix sort
    by_group = np.argsort(group_of, kind="stable")
    order = by_score[by_group]
    s, index = s[order], index[order]
    g = codes[index]
    starts = np.flatnonzero(np.concatenate(([True], (g[1:] != g[:-1]) | (s[1:] != s[:-1]))))
    count_type = tp_edges.dtype
    pos = is_positive[index]
    if weight is None:
        w_pos, w_neg = pos.astype(count_type), (~pos).astype(count_type)
    else:
        w = np.asarray(weight[index]).astype(count_type)
        w_pos, w_neg = (
            np.where(pos, w, 0).astype(count_type),
            np.where(pos, 0, w).astype(count_type),
        )
    run_pos = np.add.reduceat(w_pos, starts)
    run_neg = np.add.reduceat(w_neg, starts)
    run_t, run_g = s[starts], g[starts]
    keys = np.empty(len(run_t), dtype=np.uint64)
    rel = _relative_keys_into(run_t, layout, keys, np.empty(len(run_t), dtype=np.int64))
    run_bin = n_bins - 1 - (rel >> np.uint64(layout.shift)).view(np.int64)
    # Exact counts: the bin's upper edge plus the runs of the bin down to this one.
    segment = np.flatnonzero(
        np.concatenate(([True], (run_g[1:] != run_g[:-1]) | (run_bin[1:] != run_bin[:-1])))
    )
    lengths = np.diff(np.append(segment, len(run_t)))
    cum_pos, cum_neg = np.cumsum(run_pos), np.cumsum(run_neg)
    above_pos = np.repeat(cum_pos[segment] - run_pos[segment], lengths)
    above_neg = np.repeat(cum_neg[segment] - run_neg[segment], lengths)
    tp = tp_edges[run_g, run_bin] + (cum_pos - above_pos)
    fp = fp_edges[run_g, run_bin] + (cum_neg - above_neg)
    # Row 0 of each group in front of its runs (every group has runs: its top bin).
    first = np.searchsorted(run_g, np.arange(n_groups))
    at = first + np.arange(n_groups)  # where each row 0 lands
    return _Runs(
        group=np.insert(run_g, first, np.arange(n_groups)),
        bin=np.insert(run_bin, first, -1),
        thresholds=np.insert(run_t, first, np.inf),
        tp=np.insert(tp, first, 0),
        fp=np.insert(fp, first, 0),
        starts=np.append(at, len(run_t) + n_groups),
        n_rows=np.bincount(g, minlength=n_groups),
    )


def _select(
    runs: _Runs,
    n_pos: np.ndarray,
    n_neg: np.ndarray,
    objective: BoundMetric,
    constraints: Sequence[Constraint],
    maximize: bool,
    ties: str,
) -> tuple[list[int], list[float]] | None:
    """The selection kernel's choice in every group at once, on its runs: the chosen row
    (an index into ``runs``) and the optimum per group; None if a group has none.

    The same arithmetic as :func:`~cutpoints.selection.select_rows` (float64 counts,
    ``tn = n_negative - fp``), the same exact comparison and tie rule: these rows hold
    every row that can be optimal, so the choice is the full curve's.
    """
    sizes = np.diff(runs.starts)
    starts = runs.starts[:-1]
    tp = np.asarray(runs.tp, dtype=np.float64)
    fp = np.asarray(runs.fp, dtype=np.float64)
    tn = np.repeat(n_neg.astype(np.float64), sizes) - fp
    fn = np.repeat(n_pos.astype(np.float64), sizes) - tp
    with np.errstate(all="ignore"):
        values = np.asarray(objective(tp, fp, tn, fn), dtype=np.float64)
        feasible = ~np.isnan(values)
        for c in constraints:
            feasible &= c.mask(np.asarray(c.metric(tp, fp, tn, fn), dtype=np.float64))
    if not np.logical_or.reduceat(feasible, starts).all():
        return None  # infeasible or undefined somewhere: the sort path names the group
    if maximize:
        best = np.maximum.reduceat(np.where(feasible, values, -np.inf), starts)
    else:
        best = np.minimum.reduceat(np.where(feasible, values, np.inf), starts)
    optimal = np.flatnonzero((values == np.repeat(best, sizes)) & feasible)
    bounds = np.searchsorted(runs.group[optimal], np.arange(len(sizes) + 1))
    count = np.diff(bounds)
    if ties == "highest":
        at = bounds[:-1]
    elif ties == "lowest":
        at = bounds[1:] - 1
    else:  # the median of the tied set; of two middle ones, the one that flags fewer
        at = bounds[:-1] + (count - 1) // 2
    chosen = optimal[at]
    return chosen.tolist(), [float(v) for v in values[chosen]]


@dataclass(frozen=True)
class _GroupCurves:
    """Builds one group's :class:`BinnedCurve`: row 0, the edge row of every non-empty
    bin not refined, and the exact rows of the refined bins, highest scores first."""

    columns: _Columns
    layout: BinLayout
    runs: _Runs
    rows: IntArray  # per cell (groups x bins)
    refine: BoolArray
    tp_edges: np.ndarray
    fp_edges: np.ndarray
    sign: float
    codes: IntArray

    def curve(self, g: int) -> BinnedCurve:
        layout, runs = self.layout, self.runs
        n_bins = self.refine.shape[1]
        lower = _floats(
            (np.arange(n_bins - 1, -1, -1, dtype=np.uint64) << np.uint64(layout.shift))
            + np.uint64(layout.base)
        )
        plain = np.flatnonzero((self.rows[g] > 0) & ~self.refine[g])
        a, b = int(runs.starts[g]), int(runs.starts[g + 1])
        bins = np.concatenate((runs.bin[a:b], plain))
        order = np.argsort(bins, kind="stable")  # row 0 (bin -1) first; runs keep order
        bins = bins[order]
        thresholds = np.concatenate((runs.thresholds[a:b], lower[plain]))[order]
        tp = np.concatenate((runs.tp[a:b], self.tp_edges[g, plain + 1]))[order]
        fp = np.concatenate((runs.fp[a:b], self.fp_edges[g, plain + 1]))[order]
        one_key = layout.shift == 0
        observed = np.concatenate((np.ones(b - a, dtype=bool), np.full(len(plain), one_key)))
        last_of_bin = np.flatnonzero(np.diff(bins, append=n_bins) != 0)
        edge_rows = last_of_bin.astype(np.int64)  # row 0 is the last (only) row of bin -1
        columns = self.columns
        full = _GroupSweep(columns.score, columns.is_positive, columns.weight, self.codes, g)
        return BinnedCurve(
            self.sign * thresholds,
            tp,
            fp,
            observed=observed[order],
            edge_rows=edge_rows,
            bin_lower=self.sign * lower[bins[last_of_bin[1:]]],
            n_bins=int(np.count_nonzero(self.rows[g])),
            n_refined_bins=int(np.count_nonzero(self.refine[g])),
            n_refined_rows=int(runs.n_rows[g]),
            source=full,
            n_positive=self.tp_edges[g, -1].item(),
            n_negative=self.fp_edges[g, -1].item(),
            n_samples=int(self.rows[g].sum()),
            rule=columns.rule,
            weighted=columns.weight is not None,
            positive_label=columns.positive_label,
            negative_label=columns.negative_label,
        )


@dataclass(frozen=True)
class _GroupSweep:
    """The full sweep of group ``g``'s rows, for :meth:`BinnedCurve.full` (a class, not
    a closure, so that results pickle)."""

    score: np.ndarray
    is_positive: BoolArray
    weight: np.ndarray | None
    codes: IntArray
    g: int

    def __call__(self) -> Any:
        mine = self.codes == self.g
        w = None if self.weight is None else self.weight[mine]
        score = np.asarray(self.score[mine], dtype=np.float64)
        return sweep_with_top(score, self.is_positive[mine], w)
