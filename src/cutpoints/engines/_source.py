"""The Source seam: where the histogram engine's rows come from.

The histogram-refine engine (:mod:`cutpoints.engines._histogram`) never touches rows
itself. It asks a *source*, which answers over all of its rows:

``summary()``
    pass 0: row count, the lowest and highest score as the engine sees them (negated
    for ``rule="<="``), class totals, and what the weights are like;
``histogram(layout, levels)``
    a counting pass: per-cell class totals and row counts
    (:class:`~cutpoints.engines._histogram.Histogram`);
``rows_in(layout, levels, chosen, ranges)``
    the refining pass: the (few) rows inside the chosen cells.

Every source returns the same histogram for the same rows: integer counts are exact,
float weights are summed in a fixed order per source (so unweighted, integer and dyadic
weights give identical counts whatever the source; other float weights may differ in
the last bits, as between the engines).

Sources here: :class:`ArraySource` (arrays in memory: fixed groups of rows on the
engine's threads) and :class:`BatchSource`, the base of every streamed source (files:
:mod:`cutpoints._scan`; Dask and Spark plug in through their own ``histogram`` and
``rows_in``). A batch source implements ``batches()`` and ``summary()``; counting and
refining are :meth:`BatchSource.map_reduce` over its batches, which other passes (the
streaming bootstrap) use as well.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, cast, runtime_checkable

import numpy as np
import numpy.typing as npt

from ..errors import InvalidInputError
from ._histogram import (
    _GROUP,
    BinLayout,
    Histogram,
    Level,
    _compiled_kernel,
    _indices_in_cells,
    _map_groups,
    _rows_in_cells,
    count_cells,
    finish_histogram,
    histogram,
    histogram_collecting,
    histogram_collecting_weighted,
    window_marks,
)
from ._sort import limit_sort_threads, sort_threads

if TYPE_CHECKING:
    from ._histogram import Scores, Weights

__all__ = [
    "ArraySource",
    "Batch",
    "BatchSource",
    "Source",
    "SourceSummary",
    "StaleSummary",
    "ordered_map_reduce",
]

T = TypeVar("T")
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
Rows = tuple[FloatArray, BoolArray, "Weights"]
Ranges = tuple[FloatArray, FloatArray] | None
ExtraRows = tuple[FloatArray, BoolArray, "Weights", FloatArray]  # rows_in + extra columns


class StaleSummary(Exception):
    """A provisional summary (file statistics) did not hold for the rows being counted.

    Raised by a source's first counting pass; the driver then asks :meth:`summary`
    again (a real pass 0) and counts on the layout of the exact range.
    """


@dataclass(frozen=True)
class SourceSummary:
    """What pass 0 learns about a source (scores as the engine sees them).

    Attributes
    ----------
    n_rows : int
        Rows in the source.
    low, high : float
        The lowest and highest score as the engine sees it (negated for ``rule="<="``).
    n_positive, n_negative : int, float or None
        (Weighted) class totals; None where the source did not count them (in memory
        the engine does not need them).
    weighted : bool
        Whether rows carry weights.
    integer_weights : bool
        Weights are integers (counts stay exact integers).
    zero_weights : bool
        Some weight is zero (such rows still make thresholds: rows are counted too).
    positive_label, negative_label : object
        The user's label values (``negative_label`` None if only one class was seen).
    n_extra : int
        Per-row value columns the batches carry (``Batch.extra``); 0 for none.
    """

    n_rows: int
    low: float
    high: float
    n_positive: float | None = None
    n_negative: float | None = None
    weighted: bool = False
    integer_weights: bool = False
    zero_weights: bool = False
    positive_label: Any = 1
    negative_label: Any = 0
    n_extra: int = 0


@dataclass(frozen=True)
class Batch:
    """Validated rows of one batch, as the engine sees them.

    Attributes
    ----------
    score : ndarray of float64 or float32
        Finite scores, negated for ``rule="<="``.
    is_positive : ndarray of bool
    weight : ndarray of int64 or float64, or None
        Non-negative weights (None: every row weighs 1).
    extra : ndarray of float64, shape (k, rows), or None
        Per-row value columns carried along (for value metrics: see
        :attr:`SourceSummary.n_extra`); None without them.
    start : int
        The global offset of the batch's first row: deterministic given the input order
        (the same for every pass), so per-row random draws can be seeded from it.
    """

    score: Scores
    is_positive: BoolArray
    weight: Weights
    extra: FloatArray | None
    start: int

    def __len__(self) -> int:
        return len(self.score)


@runtime_checkable
class Source(Protocol):
    """Anything the histogram engine can count: see the module notes."""

    def summary(self) -> SourceSummary:
        """Pass 0: rows, score range, class totals (cached after the first call)."""
        ...

    def histogram(self, layout: BinLayout, levels: Sequence[Level]) -> Histogram:
        """A counting pass over every row: per-cell class totals of the last level."""
        ...

    def rows_in(
        self,
        layout: BinLayout,
        levels: Sequence[Level],
        chosen: list[BoolArray],
        ranges: Ranges,
    ) -> Rows:
        """The rows in the chosen cells (``chosen[l]`` marks level l's cells), as
        ``(score float64, is_positive, weight or None)``; ``ranges`` (score intervals
        ``[low, high)`` covering exactly those cells, or None) may be used instead."""
        ...

    def map_reduce(
        self,
        task: Callable[[Batch], T],
        combine: Callable[[T, T], T],
        *,
        pass_name: str = "pass",
    ) -> T | None:
        """``task`` on every batch of rows, results combined in batch order (None: no
        batches); ``pass_name`` labels the pass for progress reports. Each batch's
        ``start`` is its global row offset, the same in every pass."""
        ...


class _Speculating:
    """Speculative refinement's state, shared by the in-memory and streamed sources.

    A window of first-level bins (set by ``speculate`` / ``speculate_first_batch``),
    the rows the first counting pass collected in it, and ``speculation``: "off" (no
    window), "hit" (every refining read came from the collected rows: one pass over the
    input), "miss" (a chosen cell lay outside the window: the rows were read again) or
    "overflow" (the window held more rows than the buffer: read again).
    """

    _window: tuple[BinLayout, tuple[int, int], BoolArray, int] | None = None
    _collected: tuple[Scores, BoolArray] | None = None
    _collected_weight: Weights = None  # the collected rows' weights (weighted arrays)
    speculation = "off"

    def _begin(self, layout: BinLayout, window: tuple[int, int], capacity: int) -> None:
        self._window = (layout, window, window_marks(layout, window), int(capacity))
        self._collected = None
        self.speculation = "hit"

    def _inside(self, layout: BinLayout, levels: Sequence[Level], cells: list[BoolArray]) -> bool:
        """Whether the collected rows hold every row of the marked cells."""
        return _window_covers(self._window, self._collected, layout, levels, cells)

    def _missed(self) -> None:
        if self.speculation == "hit":
            self.speculation = "miss"

    def summary(self) -> SourceSummary:
        """The source's pass 0 (its row count scales estimates from collected rows)."""
        raise NotImplementedError

    def stop_speculating(self) -> None:
        """Forget a window and its rows (a source can serve several calls)."""
        self._window, self._collected, self.speculation = None, None, "off"
        self._collected_weight = None

    def _deeper_from_collected(
        self, layout: BinLayout, levels: Sequence[Level]
    ) -> Histogram | None:
        """A deeper level's counts from the collected rows when its split first-level
        bins lie inside the window (integer counts or integer weights: the same sums in
        any order); None (and a miss) otherwise.

        Positive integer weights (the only weighted rows collected) come without row
        counts: each cell's rows are estimated from its weight and the source's row
        count, as the pass over every row estimates them, so that the curve does not
        depend on whether the speculation hit.
        """
        parent_rank = levels[1].parent_rank if len(levels) > 1 else None
        if parent_rank is not None and self._inside(layout, levels[:1], [parent_rank >= 0]):
            assert self._collected is not None
            weight = self._collected_weight
            n_rows = self.summary().n_rows
            return histogram(
                *self._collected, weight, layout, levels, count_rows=False, n_rows=n_rows
            )
        self._missed()
        return None

    def _rows_from_collected(
        self, layout: BinLayout, levels: Sequence[Level], chosen: list[BoolArray], ranges: Ranges
    ) -> Rows | None:
        """The rows in the chosen cells from the collected rows (in input order) when
        they hold them all; None (and a miss, where a window was set) otherwise."""
        if self._inside(layout, levels, chosen):
            assert self._collected is not None
            weight = self._collected_weight
            return _rows_in_cells(*self._collected, weight, layout, levels, chosen, ranges)
        if self._window is not None:
            self._missed()
        return None


class ArraySource(_Speculating):
    """Arrays in memory: today's engine, on fixed groups of rows, on several threads.

    ``score`` may be float32 (read as given, never widened to a copy). ``extra``
    (shape ``(k, n)``): per-row columns each counting pass sums per cell
    (:attr:`~._histogram.Histogram.extra`) and :meth:`rows_with_extra` returns.
    """

    def __init__(
        self,
        score: Scores,
        is_positive: BoolArray,
        weight: Weights = None,
        extra: FloatArray | None = None,
        *,
        score_range: tuple[float, float] | None = None,
        weight_range: tuple[int, int] | None = None,
    ) -> None:
        self.score = score
        self.is_positive = np.asarray(is_positive, dtype=bool)
        self.weight = weight
        self.extra = None if extra is None else np.asarray(extra, dtype=np.float64)
        # The validated (min, max) of ``score``, when the caller has them: each is a
        # full pass over the scores (about 20 ms at 1e8), so they are not taken twice.
        self.score_range = score_range
        # Likewise the validated (min, max) of ``weight``: whether some weight is zero,
        # and the bound on a cell's integer weight (see :meth:`can_speculate`).
        self.weight_range = weight_range
        self._bounds: dict[int, Any] = {}  # the weights' min (0) and max (1) once taken
        self._summary: SourceSummary | None = None

    def speculate(self, layout: BinLayout, window: tuple[int, int], capacity: int) -> bool:
        """Let the next first-level counting pass also collect the rows of ``window``.

        ``window`` is a range of bins of ``layout`` (first, last; the top bin is
        collected too: :func:`~._histogram.window_marks`); each thread's part keeps the
        scores, labels and weights (if any) of at most ``capacity`` rows. Later passes
        over cells inside the window (deeper counting levels, the refining pass) then
        read the collected rows only. False (and nothing changes) where it does not
        apply (:meth:`can_speculate`).
        """
        if not self.can_speculate():
            return False
        self._begin(layout, window, capacity)
        return True

    def can_speculate(self) -> bool:
        """Whether a counting pass can collect a window's rows: no extra columns, and
        no weights or positive integer ones with the compiled kernel there (float sums
        keep the numpy pass's order; zero weights need row counts: both count twice)."""
        if self.extra is not None:
            return False
        w = self.weight
        if w is None:
            return True
        if w.dtype.kind not in "iu" or _compiled_kernel(len(self.score)) is None:
            return False
        return len(w) > 0 and self._weight_bound(0) > 0

    def _weight_bound(self, which: int) -> Any:
        """The weights' min (``which=0``) or max (1): as validated, else taken (once)."""
        assert self.weight is not None
        if self.weight_range is not None:
            return self.weight_range[which]
        if which not in self._bounds:
            self._bounds[which] = (self.weight.min() if which == 0 else self.weight.max()).item()
        return self._bounds[which]

    def summary(self) -> SourceSummary:
        """Row count and score range (class totals are not counted: not needed here)."""
        if self._summary is None:
            n = len(self.score)
            w = self.weight
            if not n:
                low = high = 0.0
            elif self.score_range is not None:
                low, high = self.score_range
            else:
                low, high = float(self.score.min()), float(self.score.max())
            self._summary = SourceSummary(
                n_rows=n,
                low=low,
                high=high,
                weighted=w is not None,
                integer_weights=w is not None and w.dtype.kind in "iu",
                zero_weights=w is not None and n > 0 and not self._weight_bound(0) > 0,
                n_extra=0 if self.extra is None else len(self.extra),
            )
        return self._summary

    def histogram(self, layout: BinLayout, levels: Sequence[Level]) -> Histogram:
        """One counting pass over the arrays (see :func:`~._histogram.histogram`)."""
        count_rows = self.summary().zero_weights
        if self._window is not None and self.speculation != "overflow":
            layout_w, window, _, capacity = self._window
            if len(levels) == 1 and layout_w == layout:
                if self.weight is None:
                    hist, self._collected = histogram_collecting(
                        self.score, self.is_positive, layout, levels[0], window, capacity
                    )
                else:
                    try:
                        hist, found = histogram_collecting_weighted(
                            self.score, self.is_positive, self.weight, layout, window,
                            capacity, int(self._weight_bound(1)),
                        )  # fmt: skip
                    except ImportError:  # numba installed but broken: count, collect nothing
                        self.stop_speculating()
                        return self.histogram(layout, levels)
                    self._collected = None if found is None else found[:2]
                    self._collected_weight = None if found is None else found[2]
                if self._collected is None:
                    self.speculation = "overflow"
                return hist
            # A deeper level counts only the rows of the split first-level bins.
            deeper = self._deeper_from_collected(layout, levels)
            if deeper is not None:
                return deeper
        w = self.weight
        # Positive integer weights of known maximum: the compiled first pass sums them in
        # a leaner loop (the maximum bounds its int32 cells). Not worth a scan of its own.
        known = self.weight_range is not None or 1 in self._bounds
        positive = w is not None and w.dtype.kind in "iu" and not count_rows
        positive = positive and known and len(levels) == 1
        return histogram(
            self.score,
            self.is_positive,
            w,
            layout,
            levels,
            count_rows=count_rows,
            extra=self.extra,
            weight_max=int(self._weight_bound(1)) if positive else None,
        )

    def rows_in(
        self,
        layout: BinLayout,
        levels: Sequence[Level],
        chosen: list[BoolArray],
        ranges: Ranges,
    ) -> Rows:
        """The rows in the chosen cells, in input order."""
        collected = self._rows_from_collected(layout, levels, chosen, ranges)
        if collected is not None:
            return collected
        return _rows_in_cells(
            self.score, self.is_positive, self.weight, layout, levels, chosen, ranges
        )

    def rows_with_extra(
        self,
        layout: BinLayout,
        levels: Sequence[Level],
        chosen: list[BoolArray],
        ranges: Ranges,
    ) -> tuple[FloatArray, BoolArray, Weights, FloatArray]:
        """:meth:`rows_in` plus the rows' extra columns (shape ``(k, rows)``)."""
        rows = _indices_in_cells(self.score, layout, levels, chosen, ranges)
        weight = None if self.weight is None else self.weight[rows]
        extra = np.zeros((0, len(rows))) if self.extra is None else self.extra[:, rows]
        score = np.asarray(self.score[rows], dtype=np.float64)
        return score, self.is_positive[rows], weight, extra

    def map_reduce(
        self,
        task: Callable[[Batch], T],
        combine: Callable[[T, T], T],
        *,
        pass_name: str = "pass",
    ) -> T:
        """``task`` over fixed groups of rows (on the engine's threads), combined in order.

        ``pass_name`` is accepted for the protocol (arrays report no progress)."""
        n = len(self.score)

        def run(start: int, stop: int) -> T:
            w = None if self.weight is None else self.weight[start:stop]
            batch = Batch(self.score[start:stop], self.is_positive[start:stop], w, None, start)
            return task(batch)

        parts = _map_groups(run, n) if n else [run(0, 0)]
        out = parts[0]
        for part in parts[1:]:
            out = combine(out, part)
        return out


class BatchSource(_Speculating):
    """The base of streamed sources: subclasses give ``batches()`` and ``summary()``.

    Batches are read in order in the calling thread and processed on up to
    ``threads`` worker threads (numpy releases the GIL), at most ``2 * threads``
    batches in flight, so memory stays bounded by a few batches; results are combined
    in batch order, so float sums do not depend on the thread count.
    """

    threads: int | None = None  # None: the engine's thread setting (CUTPOINTS_NUM_THREADS)

    def first_batch(self) -> Batch | None:
        """The first batch of rows, read on its own (a sample to guess a window from);
        None where the source cannot give it cheaply. Its rows need not be validated:
        the guess only steers speed."""
        return None

    def speculate_first_batch(
        self, layout: BinLayout, guess: Callable[[Batch], tuple[tuple[int, int], int] | None]
    ) -> bool:
        """Let the next first-level counting pass also collect the rows of a window.

        ``guess`` turns the first batch (:meth:`first_batch`) into a window of bins of
        ``layout`` and a capacity (see :meth:`ArraySource.speculate`), or None. The
        counting pass then keeps the scores and labels of the rows in the window, up to
        the capacity in all (past it, none: memory stays bounded), and later passes over
        cells inside the window read those instead of the input. False where it does
        not apply: weights, value columns, no compiled kernel, no first batch, no guess.
        """
        summary = self.summary()
        if summary.weighted or summary.n_extra or _compiled_kernel(summary.n_rows) is None:
            return False
        try:
            first = self.first_batch()
            got = None if first is None or not len(first) else guess(first)
        except (InvalidInputError, ValueError, FloatingPointError):
            got = None  # an unvalidated first batch (outside a stale range): no guess
        if got is None:
            return False
        self._begin(layout, *got)
        return True

    def _collecting_histogram(self, layout: BinLayout, kernel: Any) -> Histogram:
        """The first counting pass (unweighted, compiled) that also collects the rows of
        the window, in batch order, up to its capacity in all."""
        assert self._window is not None
        window, capacity = self._window[1], self._window[3]
        summary = self.summary()
        Part = tuple[np.ndarray, list[tuple[Any, BoolArray]] | None, int]

        def task(batch: Batch) -> Part:
            with limit_sort_threads(1):  # the batches are the parallel work
                by_class, rows = kernel.collect_counts(
                    batch.score, batch.is_positive, layout, window=window, capacity=len(batch)
                )
            assert rows is not None  # a batch's buffer holds all of its rows
            return by_class, [rows], len(rows[1])

        def combine(a: Part, b: Part) -> Part:
            a[0][:] += b[0]
            found = a[2] + b[2]
            if a[1] is None or b[1] is None or found > capacity:
                return a[0], None, found  # past the capacity: drop them all
            a[1].extend(b[1])
            return a[0], a[1], found

        total = self.map_reduce(task, combine, pass_name="count")
        if total is None:
            by_class = np.zeros(2 * layout.n_bins, dtype=np.int64)
            parts: list[tuple[Any, BoolArray]] | None = []
        else:
            by_class, parts = total[0], total[1]
        if parts is None:
            self.speculation = "overflow"
            self._collected = None
        elif parts:
            self._collected = (
                np.concatenate([p[0] for p in parts]),
                np.concatenate([p[1] for p in parts]),
            )
        else:
            self._collected = (np.zeros(0), np.zeros(0, dtype=bool))
        return finish_histogram(
            by_class, None, weighted=False, integer_weights=False, n_rows=summary.n_rows
        )

    def batches(self, pass_name: str) -> Iterator[Batch]:
        """Every row, batch after batch, in a fixed order (``pass_name`` for progress)."""
        raise NotImplementedError

    def summary(self) -> SourceSummary:
        """Pass 0 (see :class:`SourceSummary`)."""
        raise NotImplementedError

    def map_reduce(
        self,
        task: Callable[[Batch], T],
        combine: Callable[[T, T], T],
        *,
        pass_name: str = "pass",
    ) -> T | None:
        """``task`` on every batch, results combined in batch order (None: no batches)."""
        return ordered_map_reduce(self.batches(pass_name), task, combine, self.threads)

    def histogram(self, layout: BinLayout, levels: Sequence[Level]) -> Histogram:
        """A counting pass: per-batch partial counts, summed in batch order."""
        summary = self.summary()
        count_rows = summary.zero_weights

        n_extra, n_cells = summary.n_extra, levels[-1].n_cells
        # The first level without value columns: the compiled kernel when it pays (big
        # inputs: numba's start-up, about a second, is then small). It gives the numpy
        # pass's tables to the bit (tests/test_compiled.py) at about 60% of its CPU time
        # (2e7 Parquet rows: 0.045 s vs 0.076 s; decoding them takes 0.12-0.19 s).
        kernel = _compiled_kernel(summary.n_rows) if len(levels) == 1 and not n_extra else None
        if self._window is not None and self.speculation != "overflow":
            if len(levels) == 1 and kernel is not None and self._window[0] == layout:
                return self._collecting_histogram(layout, kernel)
            deeper = self._deeper_from_collected(layout, levels)
            if deeper is not None:
                return deeper
        Part = tuple[np.ndarray, np.ndarray | None, np.ndarray | None]

        def compiled(batch: Batch, kernel: Any) -> Part | None:
            w = batch.weight
            if w is not None and w.dtype.kind == "f" and len(batch) > _GROUP:
                return None  # the kernel would sum float weights per group: other bits
            try:
                with limit_sort_threads(1):  # the batches are the parallel work
                    by_class, rows = kernel.layout_counts(
                        batch.score,
                        batch.is_positive,
                        batch.weight,
                        layout,
                        count_rows=count_rows,
                    )
            except ImportError:  # numba installed but broken: the numpy pass is exact too
                return None
            return by_class, rows if count_rows else None, None

        def task(batch: Batch) -> Part:
            if kernel is not None:
                part = compiled(batch, kernel)
                if part is not None:
                    return part
            # Per-row value columns (n_extra of them) are summed per cell like the counts.
            sums = np.zeros((n_extra, n_cells)) if n_extra else None
            by_class, rows = count_cells(
                batch.score,
                batch.is_positive,
                batch.weight,
                layout,
                levels,
                count_rows=count_rows,
                extra=batch.extra if n_extra else None,
                extra_out=sums,
            )
            return by_class, rows, sums

        def combine(a: Part, b: Part) -> Part:
            a[0][:] += b[0]
            if a[1] is not None and b[1] is not None:
                a[1][:] += b[1]
            if a[2] is not None and b[2] is not None:
                a[2][:] += b[2]  # in batch order: float sums are reproducible
            return a

        name = "count" if len(levels) == 1 else f"count (level {len(levels)})"
        total = self.map_reduce(task, combine, pass_name=name)
        if total is None:
            empty = count_cells(
                np.zeros(0), np.zeros(0, bool), None, layout, levels, count_rows=count_rows
            )
            total = (*empty, np.zeros((n_extra, n_cells)) if n_extra else None)
        by_class, rows, sums = total
        if summary.weighted and by_class.dtype != np.float64:
            by_class = by_class.astype(np.float64)
        hist = finish_histogram(
            by_class,
            rows,
            weighted=summary.weighted,
            integer_weights=summary.integer_weights,
            n_rows=summary.n_rows,
        )
        if sums is None:
            return hist
        return Histogram(hist.positive, hist.negative, hist.rows, sums)

    def rows_in(
        self,
        layout: BinLayout,
        levels: Sequence[Level],
        chosen: list[BoolArray],
        ranges: Ranges,
    ) -> Rows:
        """The refining pass: each batch's rows in the chosen cells, concatenated."""
        summary = self.summary()
        collected = self._rows_from_collected(layout, levels, chosen, ranges)
        if collected is not None:
            return collected

        def task(batch: Batch) -> list[Rows]:
            return [
                _rows_in_cells(
                    batch.score, batch.is_positive, batch.weight, layout, levels, chosen, ranges
                )
            ]

        def combine(a: list[Rows], b: list[Rows]) -> list[Rows]:
            a.extend(b)
            return a

        parts = self.map_reduce(task, combine, pass_name="refine") or []
        if not parts:
            empty_w: Weights = None
            if summary.weighted:
                dtype = np.int64 if summary.integer_weights else np.float64
                empty_w = cast("Weights", np.zeros(0, dtype=dtype))
            return np.zeros(0), np.zeros(0, dtype=bool), empty_w
        weight: Weights = None
        if parts[0][2] is not None:
            weight = cast("Weights", np.concatenate([p[2] for p in parts if p[2] is not None]))
        return (
            np.concatenate([p[0] for p in parts]),
            np.concatenate([p[1] for p in parts]),
            weight,
        )

    def rows_with_extra(
        self,
        layout: BinLayout,
        levels: Sequence[Level],
        chosen: list[BoolArray],
        ranges: Ranges,
    ) -> ExtraRows:
        """:meth:`rows_in` plus the rows' extra columns (shape ``(n_extra, rows)``)."""
        summary = self.summary()
        n_extra = summary.n_extra

        def task(batch: Batch) -> list[ExtraRows]:
            rows = _indices_in_cells(batch.score, layout, levels, chosen, ranges)
            weight = None if batch.weight is None else batch.weight[rows]
            extra = np.zeros((n_extra, len(rows))) if batch.extra is None else batch.extra[:, rows]
            score = np.asarray(batch.score[rows], dtype=np.float64)
            return [(score, batch.is_positive[rows], weight, extra)]

        def combine(a: list[ExtraRows], b: list[ExtraRows]) -> list[ExtraRows]:
            a.extend(b)
            return a

        parts = self.map_reduce(task, combine, pass_name="refine") or []
        weight: Weights = None
        if summary.weighted:
            dtype = np.int64 if summary.integer_weights else np.float64
            pieces = [p[2] for p in parts if p[2] is not None]
            weight = cast("Weights", np.concatenate(pieces) if pieces else np.zeros(0, dtype))
        return (
            np.concatenate([p[0] for p in parts]) if parts else np.zeros(0),
            np.concatenate([p[1] for p in parts]) if parts else np.zeros(0, dtype=bool),
            weight,
            np.concatenate([p[3] for p in parts], axis=1) if parts else np.zeros((n_extra, 0)),
        )


def _window_covers(
    window: tuple[BinLayout, tuple[int, int], BoolArray, int] | None,
    collected: tuple[Scores, BoolArray] | None,
    layout: BinLayout,
    levels: Sequence[Level],
    cells: list[BoolArray],
) -> bool:
    """Whether rows collected in ``window`` hold every row of the marked cells
    (``cells[l]`` over level l): each marked cell lies in a first-level bin of it."""
    if window is None or collected is None or window[0] != layout:
        return False
    marks = window[2]
    for level, marked in zip(levels, cells, strict=False):
        ids = np.flatnonzero(marked)
        bins = level.grid[ids] >> np.uint64(levels[0].shift - level.shift)
        if not marks[bins.view(np.int64)].all():
            return False
    return True


def ordered_map_reduce(
    items: Iterable[Any],
    task: Callable[[Any], T],
    combine: Callable[[T, T], T],
    threads: int | None = None,
) -> T | None:
    """``task`` on each item on up to ``threads`` threads, results combined in order.

    Items are drawn in the calling thread (reading stays sequential); at most
    ``2 * threads`` are in flight, so memory holds a few of them. None: no items.
    """
    threads = sort_threads() if threads is None else threads
    out: T | None = None
    if threads <= 1:
        for item in items:
            part = task(item)
            out = part if out is None else combine(out, part)
        return out
    pending: deque[Future[T]] = deque()
    with ThreadPoolExecutor(threads, thread_name_prefix="cutpoints-scan") as pool:
        for item in items:
            pending.append(pool.submit(task, item))
            while len(pending) >= 2 * threads:
                part = pending.popleft().result()
                out = part if out is None else combine(out, part)
        while pending:
            part = pending.popleft().result()
            out = part if out is None else combine(out, part)
    return out


def array_batches(
    score: Scores, is_positive: BoolArray, weight: Weights, batch_size: int = _GROUP
) -> Iterator[Batch]:
    """Arrays cut into batches (a helper for sources that hold arrays in pieces)."""
    for start in range(0, len(score), batch_size):
        stop = start + batch_size
        w = None if weight is None else weight[start:stop]
        yield Batch(score[start:stop], is_positive[start:stop], w, None, start)
