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
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from .._counts import Counts as CountTable
from .._curve import ConfusionCurve, Rule
from ..errors import InvalidParameterError
from ..selection._kernel import block_bounds, may_reach, select_rows
from ._sort import sort_threads, sweep_with_top

if TYPE_CHECKING:
    from .._metrics import BoundMetric
    from ..selection import Constraint

__all__ = ["BinnedCurve", "HistogramEngine", "PartialSweep", "bin_layout"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
KeyArray = npt.NDArray[np.uint64]
Counts = npt.NDArray[np.int64] | npt.NDArray[np.float64]
Weights = npt.NDArray[np.float64] | npt.NDArray[np.int64] | None
Scores = npt.NDArray[np.float64] | npt.NDArray[np.float32]  # float32 is read as given

BIN_BITS = 16  # 2**16 bins: the per-bin table (1 MB) stays in cache while counting
_HIGH = np.uint64(1 << 63)
_LOW = np.uint64((1 << 63) - 1)
_ONE = np.uint64(1)
_CHUNK = 1 << 18  # rows per chunk: temporaries of a few MB, recycled
_GROUP = 1 << 22  # rows per task; fixed, so float sums do not depend on the thread count
_MAX_RANGES = 16  # refined key ranges selected by comparisons; more walk the levels
_FULL_SHARE = 0.5  # refine more than this share of the rows: sort them all instead
_MAX_LEVELS = 4  # 16 key bits a level: four reach single keys from any float64 range


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


def histogram(
    score: Scores,
    is_positive: BoolArray,
    weight: Weights,
    layout: BinLayout,
    levels: Sequence[Level],
) -> Histogram:
    """Count each class in each cell of the last level: one pass over every row."""
    n_cells = levels[-1].n_cells
    integer_weights = weight is not None and weight.dtype.kind in "iu"
    count_rows = weight is not None and not weight.min() > 0  # weights with zeros

    def task(start: int, stop: int) -> tuple[np.ndarray, IntArray | None]:
        size = min(_CHUNK, stop - start)
        out = np.empty(size, dtype=np.uint64)
        tmp = np.empty(size, dtype=np.int64)
        by_class = np.zeros(2 * n_cells, dtype=np.int64 if weight is None else np.float64)
        rows = np.zeros(n_cells, dtype=np.int64) if count_rows else None
        for a in range(start, stop, _CHUNK):
            b = min(a + _CHUNK, stop)
            rel = _relative_keys_into(_wide(score[a:b], out), layout, out[: b - a], tmp[: b - a])
            labels, w = is_positive[a:b], None if weight is None else weight[a:b]
            if len(levels) == 1:
                # The first pass, over every row: shift in place, no temporaries.
                rel >>= np.uint64(layout.shift)
                cells = rel.view(np.int64)
            else:
                picked, cells = _walk(rel, levels)[-1]
                assert picked is not None
                labels = labels[picked]
                w = None if w is None else w[picked]
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

    parts = _map_groups(task, len(score))
    by_class = parts[0][0]
    for part, _ in parts[1:]:
        by_class += part  # in group order: float sums are reproducible
    if integer_weights:
        by_class = by_class.astype(np.int64)  # exact: integer totals are below 2**53
    positive, negative = by_class[1::2], by_class[0::2]
    if weight is None:
        rows = positive + negative
    elif count_rows:
        rows = parts[0][1]
        for _, part_rows in parts[1:]:
            rows += part_rows
    else:
        total = positive + negative
        # At least one row where there is weight: the estimate never hides a cell.
        estimate = np.ceil(total * (len(score) / max(float(total.sum()), 1e-300)))
        rows = np.where(total > 0, np.maximum(estimate, 1), 0).astype(np.int64)
    return Histogram(positive, negative, rows)


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
    bounds: tuple[np.ndarray, np.ndarray] | None = ranges
    if ranges is not None and score.dtype == np.float32:
        bounds = (_ceil32(ranges[0]), _ceil32(ranges[1]))  # compare float32 as float32

    def task(start: int, stop: int) -> tuple[FloatArray, BoolArray, Weights]:
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
        rows = np.concatenate(picked)
        sub_score = np.asarray(score[rows], dtype=np.float64)
        return sub_score, is_positive[rows], None if weight is None else weight[rows]

    parts = _map_groups(task, len(score))
    sub_weight = None if weight is None else np.concatenate([p[2] for p in parts])
    return (
        np.concatenate([p[0] for p in parts]),
        np.concatenate([p[1] for p in parts]),
        sub_weight,
    )


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
        source: tuple[Any, Scores, BoolArray, Weights] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(thresholds, tp, fp, **kwargs)
        self._source = source  # (engine, scores as the engine saw them, labels, weights)
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
        """
        if self._source is None:
            msg = "this BinnedCurve was built without its data, so it cannot be completed"
            raise InvalidParameterError(msg)
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

    @property
    def complete(self) -> bool:
        """Whether these are the counts at every distinct score (the full curve)."""
        return self.observed is None

    def curve(
        self,
        *,
        rule: Rule = ">=",
        source: tuple[Any, Scores, BoolArray, Weights] | None = None,
        **fields: Any,
    ) -> ConfusionCurve:
        """The confusion curve of these rows: a :class:`BinnedCurve` unless complete.

        The engine saw the scores negated for ``rule="<="``; the thresholds are turned
        back here. ``source`` (engine, scores, labels, weights as the engine saw them)
        lets :meth:`BinnedCurve.full` rebuild the full curve; ``fields`` are the other
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
    edges: CountTable,
    objective: BoundMetric,
    constraints: Sequence[Constraint],
    *,
    maximize: bool,
    n_runners_up: int,
) -> BoolArray | None:
    """Which bins may hold an optimal row, a tied optimum or a runner-up; None: all.

    ``edges`` has one row per bin edge (row 0 flags nothing; bin ``j`` lies between
    rows ``j`` and ``j + 1``). The kernel selects among the edge rows; the runner-up it
    ranks ``n_runners_up``-th among them (or the optimum, for none) is a value every
    answer row attains or beats, because adding rows can only raise the rank-k value.
    A bin is kept when each constraint could hold in it and the objective could reach
    that value there; with fewer ranked edge rows, every bin where the constraints
    could hold is kept.
    """
    n_blocks = len(edges.tp) - 1
    lower = np.arange(n_blocks, dtype=np.int64)
    upper = lower + 1
    objective_best = block_bounds(edges, lower, upper, objective, maximize=maximize)
    if objective_best is None:
        return None  # no declared monotonicity: nothing can be bounded
    keep = np.ones(n_blocks, dtype=bool)
    for c in constraints:
        best = block_bounds(edges, lower, upper, c.metric, maximize=c.wants_large)
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


# ---------------------------------------------------------------------------- engine
def _full(score: Scores, is_positive: BoolArray, weight: Weights) -> PartialSweep:
    thresholds, tp, fp = sweep_with_top(np.asarray(score, dtype=np.float64), is_positive, weight)
    return PartialSweep(thresholds, tp, fp)


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

    def __len__(self) -> int:
        return len(self.lower)

    def edges(self) -> CountTable:
        """Exact counts at every block edge: cumulative from the top, row 0 flags nothing."""
        pos, neg = self.positive, self.negative
        tp = np.concatenate(([pos.dtype.type(0)], np.cumsum(pos)))
        fp = np.concatenate(([neg.dtype.type(0)], np.cumsum(neg)))
        return CountTable(tp, fp, tp[-1].item(), fp[-1].item())

    def take(self, mask: BoolArray) -> _Blocks:
        """The blocks where ``mask`` holds."""
        return _Blocks(*(getattr(self, f)[mask] for f in _BLOCK_FIELDS))


_BLOCK_FIELDS = ("lower", "upper", "positive", "negative", "rows", "level", "cell")


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
    blocks: _Blocks, sorted_: BoolArray, sub: tuple[FloatArray, Counts, Counts]
) -> tuple[FloatArray, Counts, Counts, BoolArray, IntArray]:
    """Merge edge rows of blocks not sorted with the exact rows of the sorted ones.

    Each output row adds its own counts (a whole block, or one run of equal scores)
    to the rows above, from the top down, as the sort engine accumulates.
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
    # A row is at an observed score if it came from a sort, or its block is one key.
    one_key = blocks.lower[plain] == blocks.upper[plain]
    observed = np.empty(n + 1, dtype=bool)
    observed[0] = True
    observed[1:] = np.concatenate((one_key, np.ones(len(run_t), bool)))[order]
    return thresholds, tp, fp, observed, block[order]


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
    score: Scores,
    is_positive: BoolArray,
    weight: Weights,
    layout: BinLayout,
    levels: Sequence[Level],
    blocks: _Blocks,
    keep: BoolArray,
) -> tuple[tuple[FloatArray, Any, Any], int]:
    """The sort engine's sweep of the rows in the kept blocks, and how many rows."""
    kept = blocks.take(keep)
    if not len(kept):  # every block that matters is one key: nothing to sort
        zero_tp = np.zeros(1, dtype=blocks.positive.dtype)
        return (np.array([np.inf]), zero_tp, np.zeros(1, dtype=blocks.negative.dtype)), 0
    chosen = [np.zeros(level.n_cells, dtype=bool) for level in levels]
    for index, cell in zip(kept.level, kept.cell, strict=True):
        chosen[index][cell] = True
    ranges = _score_ranges(kept, layout.top)
    rows = _rows_in_cells(score, is_positive, weight, layout, levels, chosen, ranges)
    return sweep_with_top(*rows), len(rows[0])


def _first_level_edges(blocks: _Blocks, row_block: IntArray, layout: BinLayout) -> IntArray:
    """The rows at the first-level bins' edges: the last row of each bin's last block.

    Blocks of later levels nest in the first-level bins, so those edges are rows.
    """
    shift, base = np.uint64(layout.shift), np.uint64(layout.base)
    row_bin = ((blocks.lower - base) >> shift)[row_block].view(np.int64)
    last = np.flatnonzero(np.diff(row_bin, append=-1) != 0) + 1
    return np.concatenate(([0], last)).astype(np.int64)


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
        as much as sorting 1/16 of the rows. Small values of all three exercise the
        refinement in tests.
    """

    name = "histogram"

    def __init__(
        self, bits: int = BIN_BITS, full_share: float = _FULL_SHARE, sort_rows: int | None = None
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
        self.bits = bits
        self.full_share = float(full_share)
        self.sort_rows = sort_rows

    def __repr__(self) -> str:
        return (
            f"HistogramEngine(bits={self.bits}, full_share={self.full_share}, "
            f"sort_rows={self.sort_rows})"
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

        Returns
        -------
        PartialSweep
            Every row that could be optimal, tied with the optimum or a runner-up, plus
            the edge rows of every bin; or the full curve when nothing can be bounded.
        """
        is_positive = np.asarray(is_positive, dtype=bool)
        n = len(score)
        if objective.monotonicity is None or n == 0:
            return _full(score, is_positive, weight)
        layout = bin_layout(float(score.min()), float(score.max()), self.bits)
        levels = [Level(layout.shift, 0, None, np.arange(layout.n_bins, dtype=np.uint64))]
        first = _blocks_of(
            histogram(score, is_positive, weight, layout, levels), layout, 0, levels[0]
        )

        def refine(blocks: _Blocks) -> BoolArray:
            keep = bins_to_refine(
                blocks.edges(),
                objective,
                constraints,
                maximize=maximize,
                n_runners_up=n_runners_up,
            )
            assert keep is not None  # monotonicity was checked above
            keep[0] = True  # the top block: the first row is then the highest score
            keep &= blocks.lower != blocks.upper  # a cell of one key is its only row
            return keep

        sort_rows = max(1 << 16, n >> 5) if self.sort_rows is None else self.sort_rows
        max_levels = max(_MAX_LEVELS, -(-64 // self.bits))
        blocks, keep = first, refine(first)
        n_kept = min(int(blocks.rows[keep].sum()), n)  # estimates (weighted) round up
        # While the blocks that matter hold many rows, split them on the next key bits
        # (one more counting pass) and bound again; stop when a split stops paying.
        while n_kept > sort_rows and len(levels) < max_levels and levels[-1].shift > 0:
            kept = blocks.take(keep)
            if (kept.level != len(levels) - 1).any():
                break  # an older block came back: splitting is not narrowing things down
            levels.append(_split(levels[-1], np.sort(kept.cell), self.bits))
            hist = histogram(score, is_positive, weight, layout, levels)
            blocks = _joined(
                blocks.take(~keep), _blocks_of(hist, layout, len(levels) - 1, levels[-1])
            )
            keep = refine(blocks)
            before, n_kept = n_kept, min(int(blocks.rows[keep].sum()), n)
            if n_kept > before // 2:
                break
        if n_kept > self.full_share * n:
            return _full(score, is_positive, weight)
        sub, n_sorted = _sorted_rows(score, is_positive, weight, layout, levels, blocks, keep)
        thresholds, tp, fp, observed, row_block = _splice(blocks, keep, sub)
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
        )
