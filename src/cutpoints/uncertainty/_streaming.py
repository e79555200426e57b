"""The bootstrap at scale: Poisson(1) resamples counted in streaming passes.

A multinomial resample draws ``n`` row indices, which needs every row in memory. A
Poisson resample gives each row an independent Poisson(1) weight instead (``k = 0``: the
row is absent), so a row's weights can be drawn where the row is read, one batch at a
time, and the resamples' counts summed like any other counts (Hanley & MacGibbon 2006;
Chamandy et al. 2012, "Estimating uncertainty for massive data streams").

Randomness. The weight of row ``i`` in resample ``b`` is a pure function of (the
resample's key, ``i``): the key comes from child ``b`` of
``SeedSequence(random_state).spawn(n_resamples)``; the row's 64 random bits are the
SplitMix64 generator seeded with that key at position ``i``, the row's global index
(``mix(key + i * gamma)``); an exact inverse CDF at 64-bit resolution turns them into a
Poisson(1) count. This counter-based draw is the finest "seed per fixed block of rows":
results cannot depend on batch size, thread count, file split or the order batches
finish in, and the few rows the refining pass keeps get their weights regenerated
alone, without drawing every row again.

Passes over a Source (:mod:`cutpoints.engines._source`: ``summary()`` and
``map_reduce``; files, Dask partitions, or in-memory arrays as :class:`ArrayBatches`):

0. the source's summary (rows, score range, weights' kind) and a sampling pass: the
   cells' bounds are quantiles of ~32 sampled rows per cell, so cells hold about equal
   numbers of rows (a score heavy enough to fill a cell gets one of its own);
1. counting: per resample, per class, the weighted count of each cell, and the weight
   of the rows drawn (the out-of-bag rows' counts are the full counts minus those). The
   inner loop (draw, look up, count) runs compiled by numba when it is installed and the
   work repays its start-up (:data:`COMPILED_WORK`); the numpy loop is the oracle.
   ``2**bits`` cells, at most 4,096, fewer as ``n_resamples`` grows so that each table
   (``n_resamples x cells x 2`` numbers) stays within :data:`TABLE_BYTES`;
2. refining: the rows of the union of every resample's candidate cells -- those that
   may hold its optimum or a tied optimum, bounded from the metric's declared
   monotonicity exactly as the histogram engine bounds bins
   (:func:`cutpoints.selection._kernel.block_bounds`) -- plus the cell of the full-data
   threshold.

Each resample's threshold is then chosen by :func:`cutpoints.selection.select_rows` on a
table of its exact counts at the edges of the cells it does not refine and at every
score it drew inside the cells it does: every row that can attain its optimum is there
with its exact counts, and only scores it drew are rows (a score whose rows all have
``k = 0`` is absent from the resample, so it is never a candidate). So the threshold is
the one :func:`cutpoints.find_cutpoint` returns on that resample built row by row (the
rows with ``k > 0``, weights ``k * sample_weight``). Counts are exact integers without
weights or with integer weights; with fractional weights they are float sums whose last
bits follow the batches, as in any streaming sum.

An objective that declares no monotonicity (MCC, kappa) cannot bound a cell: every row
is refined, so memory grows with the data (the guide says so).

Per-row values (``values=``, or a scan's): the batches carry each value column
(``weight * value`` on its outcome's class) and each row's flag gain split in its
positive and negative part (:class:`ValueSpec`). The counting pass sums ``k * column``
per resample and cell (and the column over the rows with ``k > 0``, for the out-of-bag
value), the refining pass keeps the refined rows' columns, and each resample's table
carries the ``"value"`` column summed from the same items as its counts. The drawn
gains bound the total value inside a cell, as the histogram engine bounds a bin
(:func:`cutpoints.engines._histogram.bins_to_refine`), so ``metric="value"`` and
``"value >= x"`` constraints refine a few cells too.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, getcontext
from typing import Any

import numpy as np
import numpy.typing as npt

from .._counts import Counts
from .._metrics import BoundMetric
from .._values import OUTCOMES, RowValues, ValueCurve, check_values, value_curve
from ..engines._histogram import _floats, _keys_of, bins_to_refine  # the engine's definitions
from ..engines._source import Batch, BatchSource, SourceSummary
from ..errors import InvalidInputError, InvalidParameterError
from ..selection import Constraint, select_rows
from ._result import STATUS, BootstrapResult, metric_values

__all__ = [
    "ArrayBatches",
    "PoissonBootstrapResult",
    "ValueSpec",
    "bootstrap_poisson",
    "poisson_weights",
    "resample_keys",
    "run_poisson",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
KeyArray = npt.NDArray[np.uint64]
Weights = npt.NDArray[np.float64] | npt.NDArray[np.int64] | None

#: Rows per batch when an in-memory array is streamed.
BATCH_ROWS = 1 << 16
#: At most this many bytes for each per-resample cell table (``n_resamples * 2 * cells * 8``;
#: a counting pass holds two or three per batch in flight).
TABLE_BYTES = 8 << 20
#: At most 2**12 cells (4,096, each ~1/4096 of the rows): a resample's candidate cells
#: are a few of them near its optimum.
MAX_BITS = 12
MIN_BITS = 4

# ---------------------------------------------------------------------------- draws
_GAMMA = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30, _S27, _S31, _S48 = np.uint64(30), np.uint64(27), np.uint64(31), np.uint64(48)
_AMBIGUOUS = 255


def _poisson_cdf_table() -> tuple[KeyArray, npt.NDArray[np.uint8]]:
    """Thresholds ``floor(P(X <= k) * 2**64)`` of Poisson(1), and a 16-bit lookup table.

    ``X = #{thresholds <= u}`` for a uniform 64-bit ``u`` is Poisson(1) up to 2**-64 per
    value. The table gives X from the top 16 bits of ``u`` where no threshold falls
    inside that slice of the range (all but 8 of the 65,536 slices).
    """
    getcontext().prec = 50
    p = Decimal(-1).exp()
    cdf, k = Decimal(0), 0
    limit = 2**64 - 1
    thresholds: list[int] = []
    while True:
        cdf += p
        t = int(cdf * 2**64)
        if t >= limit:
            break
        thresholds.append(t)
        k += 1
        p /= k
    thr = np.array(thresholds, dtype=np.uint64)
    top = np.arange(1 << 16, dtype=np.uint64) << _S48
    low = np.searchsorted(thr, top, side="right")
    high = np.searchsorted(thr, top | np.uint64((1 << 48) - 1), side="right")
    table = np.where(low == high, low, _AMBIGUOUS).astype(np.uint8)
    return thr, table


_THRESHOLDS, _TABLE = _poisson_cdf_table()


def _mix(z: KeyArray, tmp: KeyArray) -> None:
    """The SplitMix64 finalizer, in place."""
    np.right_shift(z, _S30, out=tmp)
    z ^= tmp
    z *= _M1
    np.right_shift(z, _S27, out=tmp)
    z ^= tmp
    z *= _M2
    np.right_shift(z, _S31, out=tmp)
    z ^= tmp


def resample_keys(random_state: np.random.SeedSequence, n_resamples: int) -> KeyArray:
    """One 64-bit key per resample, from child ``b`` of ``random_state.spawn(n)``.

    The children are built from their spawn keys, so asking again (to regenerate a
    resample's weights) gives the same keys.
    """
    root = random_state
    keys = np.empty(n_resamples, dtype=np.uint64)
    for b in range(n_resamples):
        child = np.random.SeedSequence(
            root.entropy, spawn_key=(*root.spawn_key, b), pool_size=root.pool_size
        )
        keys[b] = child.generate_state(1, dtype=np.uint64)[0]
    return keys


def _bits(counters: KeyArray, key: KeyArray, z: KeyArray, tmp: KeyArray) -> KeyArray:
    """64 random bits per row: SplitMix64 seeded with the resample's key, at the rows'
    ``counters`` (``row index * gamma``), written into ``z``."""
    np.add(counters, key, out=z)
    _mix(z, tmp)
    return z


def _top16(z: KeyArray) -> npt.NDArray[np.uint16]:
    out: npt.NDArray[np.uint16] = (
        z.view(np.uint16)[3::4] if _LITTLE else (z >> _S48).astype(np.uint16)
    )
    return out


def _draw(counters: KeyArray, key: KeyArray, z: KeyArray, tmp: KeyArray) -> npt.NDArray[np.uint8]:
    """Poisson(1) weights of the rows whose ``counters`` are ``row index * gamma``."""
    _bits(counters, key, z, tmp)
    k: npt.NDArray[np.uint8] = _TABLE[_top16(z)]
    odd = np.flatnonzero(k == _AMBIGUOUS)
    if odd.size:
        k[odd] = np.searchsorted(_THRESHOLDS, z[odd], side="right")
    return k


def _packed_draw(counters: KeyArray, key: KeyArray, z: KeyArray, tmp: KeyArray) -> FloatArray:
    """``k + (k > 0) * 2**32`` as float64 for the same draws as :func:`_draw`.

    One ``bincount`` of these sums both k and the rows drawn, exactly, for chunks of
    at most :data:`_CHUNK` rows (the sums stay below 2**53).
    """
    _bits(counters, key, z, tmp)
    v: FloatArray = _PACKED[_top16(z)]
    odd = np.flatnonzero(v < 0)
    if odd.size:
        k = np.searchsorted(_THRESHOLDS, z[odd], side="right")
        v[odd] = k + (k > 0) * _SHIFT32
    return v


_SHIFT32 = float(1 << 32)
_PACKED = np.where(_TABLE == _AMBIGUOUS, -1.0, _TABLE + (_TABLE > 0) * _SHIFT32).astype(np.float64)
_CHUNK = 1 << 16  # rows per chunk in the counting pass: temporaries stay in cache

_LITTLE = np.little_endian


def _counters(rows: npt.NDArray[Any]) -> KeyArray:
    out: KeyArray = np.asarray(rows, dtype=np.uint64) * _GAMMA
    return out


def poisson_weights(
    random_state: Any, n_resamples: int, rows: Any, resample: int | None = None
) -> npt.NDArray[np.uint8]:
    """The Poisson(1) weights of global ``rows`` in each resample (or one of them).

    Exactly the weights :func:`cutpoints.bootstrap` with ``method="poisson"`` (or a
    scan) gives those rows, whatever the batches: shape ``(n_resamples, len(rows))``,
    or ``(len(rows),)`` for one ``resample``.

    Examples
    --------
    >>> from cutpoints.uncertainty._streaming import poisson_weights
    >>> w = poisson_weights(0, 3, range(5))
    >>> w.shape, bool((poisson_weights(0, 3, [4], resample=2)[0] == w[2, 4]))
    ((3, 5), True)
    """
    from .._random import seed_sequence

    keys = resample_keys(seed_sequence(random_state), n_resamples)
    counters = _counters(np.asarray(rows, dtype=np.int64))
    z, tmp = np.empty_like(counters), np.empty_like(counters)
    if resample is not None:
        one: npt.NDArray[np.uint8] = _draw(counters, keys[resample], z, tmp).copy()
        return one
    out: npt.NDArray[np.uint8] = np.stack([_draw(counters, key, z, tmp) for key in keys])
    return out


# ---------------------------------------------------------------------------- values
_POSITIVE = {"tp": True, "fp": False, "fn": True, "tn": False}


@dataclass(frozen=True)
class ValueSpec:
    """Per-row values (``values=``) as the streamed bootstrap carries them.

    A batch's ``extra`` rows are, in order: one column per outcome in ``names``
    (``weight * value`` on the rows of the outcome's class, 0 on the others), then the
    positive and the negative part of each row's flag gain (the layout of
    :func:`cutpoints._scan.value_table`). Outcomes not in ``names`` are scalars (in
    ``scalars``): their value is the scalar times a count. Every total of the value is
    then a sum of these columns, re-weighted by the Poisson draws like the counts.
    """

    names: tuple[str, ...]
    scalars: dict[str, float]

    @property
    def n_columns(self) -> int:
        """How many value columns (the gains follow them in ``extra``)."""
        return len(self.names)

    def curve(self, tp: Any, fp: Any, sums: Sequence[Any], n_pos: Any, n_neg: Any) -> ValueCurve:
        """The value column of rows with counts ``tp, fp`` and the value columns'
        sums ``sums`` over their flagged rows; the last row must flag every row."""
        return value_curve(
            RowValues(self.scalars),
            tp,
            fp,
            list(self.names),
            [np.asarray(s, dtype=np.float64) for s in sums],
            n_positive=n_pos,
            n_negative=n_neg,
        )

    def at(self, tp: Any, fp: Any, sums: Sequence[Any]) -> FloatArray:
        """The total value at some rows: ``tp``, ``fp`` and each column's sums hold one
        entry per row, then one more for "flag everything" (the class totals and each
        column's total), which is not returned."""
        tp, fp = np.asarray(tp), np.asarray(fp)
        column = self.curve(tp, fp, sums, tp[-1], fp[-1])
        return column[slice(0, len(tp) - 1)]

    def outcome_values(
        self, extra: FloatArray, is_pos: BoolArray, flagged: BoolArray, weight: FloatArray
    ) -> FloatArray:
        """Each row's ``weight * value`` of its outcome (tp, fp, fn or tn) when the rows
        in ``flagged`` are flagged (the jackknife removes it from the total)."""
        out = np.zeros(len(is_pos), dtype=np.float64)
        for key in OUTCOMES:
            mine = (is_pos == _POSITIVE[key]) & (flagged == (key in ("tp", "fp")))
            if key in self.names:
                out[mine] = extra[self.names.index(key)][mine]
            elif key in self.scalars:
                out[mine] = self.scalars[key] * weight[mine]
        return out

    @classmethod
    def of_rows(
        cls, row_values: RowValues, is_pos: BoolArray, weight: Weights
    ) -> tuple[ValueSpec, FloatArray]:
        """The spec and the ``extra`` table of in-memory rows (``(k + 2, n)``)."""
        names = tuple(k for k, v in row_values.entries.items() if isinstance(v, np.ndarray))
        scalars = {
            k: float(v) for k, v in row_values.entries.items() if not isinstance(v, np.ndarray)
        }
        extra = np.zeros((len(names) + 2, len(is_pos)), dtype=np.float64)
        for j, key in enumerate(names):
            mask = is_pos if _POSITIVE[key] else ~is_pos
            np.copyto(extra[j], np.where(mask, row_values.entries[key], 0.0))
            if weight is not None:
                extra[j] *= weight
        gain = row_values.flag_gain(is_pos, weight)
        np.maximum(gain, 0.0, out=extra[-2])
        np.minimum(gain, 0.0, out=extra[-1])
        return cls(names, scalars), extra

    @classmethod
    def of_named(cls, spec: Any) -> ValueSpec:
        """The spec of a scan's parsed values (outcome -> number or ``(sign, column)``)."""
        names = tuple(k for k in OUTCOMES if isinstance(spec.get(k), tuple))
        scalars = {
            k: float(v) for k, v in spec.items() if not isinstance(v, tuple) and float(v) != 0.0
        }
        return cls(names, scalars)


# ---------------------------------------------------------------------------- sources
class ArrayBatches(BatchSource):
    """In-memory columns streamed in batches of ``batch_rows`` rows (views, no copies).

    A :class:`cutpoints.engines._source.BatchSource`, like a scan of files: the batches
    carry global row offsets, so the resamples are those of the same rows in files.
    ``score`` is as the engine sees it (negated for ``rule="<="``); ``extra`` the
    per-row value columns (see :class:`ValueSpec`), or None.
    """

    def __init__(
        self,
        score: npt.NDArray[Any],
        is_positive: BoolArray,
        weight: Weights = None,
        *,
        batch_rows: int = BATCH_ROWS,
        threads: int | None = None,
        extra: FloatArray | None = None,
    ) -> None:
        self.score = score
        self.is_positive = np.asarray(is_positive, dtype=bool)
        self.weight = weight
        self.batch_rows = int(batch_rows)
        self.threads = threads
        self.extra = extra

    def batches(self, pass_name: str = "pass") -> Iterator[Batch]:
        """The batches, in row order."""
        del pass_name
        n, size = len(self.score), self.batch_rows
        for a in range(0, n, size):
            b = min(a + size, n)
            w = None if self.weight is None else self.weight[a:b]
            extra = None if self.extra is None else self.extra[:, a:b]
            yield Batch(self.score[a:b], self.is_positive[a:b], w, extra, a)

    def summary(self) -> SourceSummary:
        """Rows, score range and the weights' kind."""
        n, w = len(self.score), self.weight
        return SourceSummary(
            n_rows=n,
            low=float(self.score.min()) if n else 0.0,
            high=float(self.score.max()) if n else 0.0,
            weighted=w is not None,
            integer_weights=w is not None and w.dtype.kind in "iu",
            zero_weights=w is not None and n > 0 and not w.min() > 0,
            n_extra=0 if self.extra is None else len(self.extra),
        )


def _map_reduce(
    source: Any, task: Callable[[Any], Any], combine: Callable[[Any, Any], Any], pass_name: str
) -> Any:
    """``source.map_reduce`` (the Source seam): ``task`` per batch, combined in order.

    ``pass_name`` (``"bootstrap: count"``, ...) reaches a scan's ``progress`` hook.
    """
    if not callable(getattr(source, "map_reduce", None)):
        msg = (
            f"the streaming bootstrap reads rows batch by batch, which a "
            f"{type(source).__name__} does not offer (it has no map_reduce)"
        )
        raise InvalidParameterError(msg)
    return source.map_reduce(task, combine, pass_name=pass_name)


def _extra(batch: Any, values: ValueSpec | None) -> FloatArray | None:
    """A batch's value columns and gains (``(k + 2, rows)``), or None without values."""
    if values is None:
        return None
    extra = batch.extra
    if extra is None or len(extra) != values.n_columns + 2:
        msg = (
            "this source does not pass its per-row values to the streamed bootstrap "
            f"(a batch of {type(batch).__name__} came without its value columns)"
        )
        raise InvalidParameterError(msg)
    return np.asarray(extra, dtype=np.float64)


def _columns(batch: Any) -> tuple[FloatArray, BoolArray, Weights, int]:
    score = np.asarray(batch.score, dtype=np.float64)
    w = batch.weight
    return (
        score,
        np.asarray(batch.is_positive, bool),
        None if w is None else np.asarray(w),
        int(batch.start),
    )


# ---------------------------------------------------------------------------- keys


@dataclass(frozen=True)
class Layout:
    """Cells of the score keys, cut at ``bounds``: cell ``j`` is ``bounds[j-1] <= key <
    bounds[j]`` (from the lowest key ``low`` to the highest, ``high``).

    The bounds are quantiles of a sample of the rows, so cells hold about equal numbers
    of rows wherever the scores crowd (key-uniform cells would give a whole binade of
    floats a couple of cells); a score heavy enough to fill a cell alone gets a cell of
    its own key. Any partition gives the same answers; this one keeps refining cheap.
    """

    low: int
    high: int
    bounds: KeyArray

    @property
    def n_cells(self) -> int:
        """How many cells."""
        return len(self.bounds) + 1

    @classmethod
    def from_sample(cls, sample: KeyArray, low: int, high: int, n_cells: int) -> Layout:
        """About ``n_cells`` cells at the quantiles of the sorted key ``sample``."""
        m = len(sample)
        if m == 0 or n_cells <= 1:
            return cls(low, high, np.empty(0, dtype=np.uint64))
        at = sample[(np.arange(1, n_cells) * m) // n_cells]
        values, counts = np.unique(sample, return_counts=True)
        heavy = values[counts * n_cells >= m]  # fills a cell alone: isolate its key
        bounds = np.unique(np.concatenate((at, heavy, heavy + np.uint64(1))))
        bounds = bounds[(bounds > np.uint64(low)) & (bounds <= np.uint64(high))]
        return cls(low, high, bounds)

    def cells(self, keys: KeyArray) -> IntArray:
        """The cell of each key."""
        out: IntArray = np.searchsorted(self.bounds, keys, side="right").astype(np.int64)
        return out

    def lower_keys(self) -> KeyArray:
        """The smallest key of each cell."""
        out: KeyArray = np.concatenate((np.array([self.low], dtype=np.uint64), self.bounds))
        return out

    def upper_keys(self) -> KeyArray:
        """The largest key of each cell."""
        out: KeyArray = np.concatenate(
            (self.bounds - np.uint64(1), np.array([self.high], dtype=np.uint64))
        )
        return out


#: Sampled rows per cell when the layout is chosen.
SAMPLE_PER_CELL = 32
_SAMPLE_KEY = np.uint64(0x2545F4914F6CDD1D)  # fixed: the layout depends on the data only


@dataclass(frozen=True)
class _Sample:
    """The keys of a fixed pseudo-random subset of a batch's rows (picklable)."""

    cutoff: np.uint64  # keep a row when its hash is below: rate ``cutoff / 2**64``

    def __call__(self, batch: Any) -> list[KeyArray]:
        score, _, _, start = _columns(batch)
        m = len(score)
        z = _counters(np.arange(start, start + m, dtype=np.int64)) ^ _SAMPLE_KEY
        _mix(z, np.empty_like(z))
        return [_keys_of(score[z < self.cutoff])]


def _layout(source: Any, summary: SourceSummary, n_cells: int) -> Layout:
    """A sampling pass: cells at the quantiles of about ``32 * n_cells`` rows."""
    low = int(_keys_of(np.array([summary.low]))[0])
    high = int(_keys_of(np.array([summary.high]))[0])
    rate = min(1.0, SAMPLE_PER_CELL * n_cells / max(summary.n_rows, 1))
    cutoff = np.uint64(min(int(rate * 2.0**64), 2**64 - 1))
    parts = _map_reduce(source, _Sample(cutoff), _add, "bootstrap: sample") or []
    sample = np.sort(np.concatenate(parts)) if parts else np.empty(0, np.uint64)
    return Layout.from_sample(sample, low, high, n_cells)


def resample_bits(n_resamples: int, n_rows: int, n_values: int = -1) -> int:
    """Cell bits for the resample tables: within :data:`TABLE_BYTES`, and ~n/4 cells.

    ``n_values``: how many value columns (per-row values; -1 without them), whose
    per-resample tables (``2 * n_values + 2`` numbers a cell) count against the same
    budget as the counts' two.
    """
    per_cell = 16 + (0 if n_values < 0 else 8 * (2 * n_values + 2))
    by_memory = int(math.log2(max(TABLE_BYTES // (per_cell * n_resamples), 1)))
    by_rows = max(1, n_rows // 4).bit_length()
    return max(MIN_BITS, min(MAX_BITS, by_memory, by_rows))


# ---------------------------------------------------------------------------- pass 1
@dataclass
class _Tables:
    """What the counting pass accumulates (per batch, then summed in batch order)."""

    full: np.ndarray  # (2 * C,): class totals per cell, slot 2 * cell + label
    rows: IntArray  # (C,): rows per cell
    drawn: np.ndarray  # (B, 2 * C): sum of k * w per cell and class
    inbag: np.ndarray  # (B, 2 * C): sum of w over the rows with k > 0
    present: IntArray | None  # (B, C): rows with k > 0 (only when weights hold zeros)
    # Per-row values (m value columns): None without them.
    value_full: FloatArray | None = None  # (m, C): each column's sum per cell
    value_drawn: FloatArray | None = None  # (B, m + 2, C): sum of k * column (and gains)
    value_inbag: FloatArray | None = None  # (B, m, C): sum of the column where k > 0

    def __iadd__(self, other: _Tables) -> _Tables:
        self.full += other.full
        self.rows += other.rows
        self.drawn += other.drawn
        self.inbag += other.inbag
        if self.present is not None and other.present is not None:
            self.present += other.present
        for name in ("value_full", "value_drawn", "value_inbag"):
            mine, theirs = getattr(self, name), getattr(other, name)
            if mine is not None and theirs is not None:
                mine += theirs
        return self


def _add(a: Any, b: Any) -> Any:
    a += b
    return a


@dataclass(frozen=True)
class _Plan:
    layout: Layout
    keys: KeyArray  # (B,): one key per resample
    dtype: type
    any_zero: bool
    values: ValueSpec | None = None

    def empty(self) -> _Tables:
        c, b = self.layout.n_cells, len(self.keys)
        m = -1 if self.values is None else self.values.n_columns
        return _Tables(
            np.zeros(2 * c, dtype=self.dtype),
            np.zeros(c, dtype=np.int64),
            np.zeros((b, 2 * c), dtype=self.dtype),
            np.zeros((b, 2 * c), dtype=self.dtype),
            np.zeros((b, c), dtype=np.int64) if self.any_zero else None,
            None if m < 0 else np.zeros((m, c)),
            None if m < 0 else np.zeros((b, m + 2, c)),
            None if m < 0 else np.zeros((b, m, c)),
        )


# ---------------------------------------------------------------------------- compiled
# The counting pass's inner loop (draw, look up, count) compiled by numba, when it is
# installed (a dependency of the package, imported lazily as in engines/_compiled.py):
# per row and resample, the same 64 bits, the same Poisson count and the same sums, in
# the same order, as the numpy loop, which stays the oracle (tests compare the tables).
_kernel_lock = threading.Lock()
_kernel: Callable[..., Any] | None = None
#: Rows x resamples from which the compiled loop repays numba's start-up (about 1-2 s).
COMPILED_WORK = 20_000_000


def _poisson_loop(  # pragma: no cover - compiled
    slot: Any,
    cell: Any,
    weight: Any,
    weighted: bool,
    start: int,
    keys: Any,
    thresholds: Any,
    table: Any,
    drawn: Any,
    inbag: Any,
    present: Any,
    count_present: bool,
    extra: Any,
    value_drawn: Any,
    value_inbag: Any,
    n_values: int,
    with_values: bool,
) -> None:
    """Add each resample's draws of rows ``start ..`` to its tables (see _Count); with
    values, each row's ``k * extra`` (and ``extra`` where ``k > 0``) to its cell's."""
    gamma = np.uint64(0x9E3779B97F4A7C15)
    m1 = np.uint64(0xBF58476D1CE4E5B9)
    m2 = np.uint64(0x94D049BB133111EB)
    n_thresholds = thresholds.shape[0]
    first = np.uint64(start)
    for b in range(keys.shape[0]):  # one resample's table stays in cache
        key = keys[b]
        for i in range(slot.shape[0]):
            z = (first + np.uint64(i)) * gamma + key
            z = (z ^ (z >> np.uint64(30))) * m1
            z = (z ^ (z >> np.uint64(27))) * m2
            z = z ^ (z >> np.uint64(31))
            k = np.int64(table[z >> np.uint64(48)])
            if k == 255:  # a slice with a CDF threshold inside: count them exactly
                k = 0
                while k < n_thresholds and thresholds[k] <= z:
                    k += 1
            if k == 0:
                continue
            s = slot[i]
            if weighted:
                drawn[b, s] += k * weight[i]
                inbag[b, s] += weight[i]
            else:
                drawn[b, s] += k
                inbag[b, s] += 1
            if count_present:
                present[b, cell[i]] += 1
            if with_values:
                c = cell[i]
                for j in range(extra.shape[0]):
                    value_drawn[b, j, c] += k * extra[j, i]
                for j in range(n_values):
                    value_inbag[b, j, c] += extra[j, i]


def _compiled_loop() -> Callable[..., Any] | None:
    """The compiled loop, or None where numba is missing or cannot be imported."""
    global _kernel
    from ..engines import _compiled

    if not _compiled.AVAILABLE:
        return None
    with _kernel_lock:
        if _kernel is None:
            try:
                import numba
            except ImportError:  # installed but broken
                return None
            _kernel = numba.njit(nogil=True, cache=True, boundscheck=False)(_poisson_loop)
    return _kernel


@dataclass(frozen=True)
class _Count:
    """The counting pass over one batch (a picklable task: Dask ships it).

    ``compiled``: run the inner loop compiled (same tables, bit for bit).
    """

    plan: _Plan
    compiled: bool = False

    def __call__(self, batch: Any) -> _Tables:
        acc = self.plan.empty()
        score, is_pos, w, start = _columns(batch)
        extra = _extra(batch, self.plan.values)
        loop = _compiled_loop() if self.compiled else None
        for a in range(0, len(score), _CHUNK):
            b = min(a + _CHUNK, len(score))
            chunk = (score[a:b], is_pos[a:b], None if w is None else w[a:b], start + a)
            part = None if extra is None else np.ascontiguousarray(extra[:, a:b])
            if loop is None:
                self._chunk(acc, *chunk, part)
            else:
                self._compiled_chunk(loop, acc, *chunk, part)
        return acc

    @staticmethod
    def _value_full(acc: _Tables, cell: IntArray, extra: FloatArray, c: int) -> None:
        """Each value column's sum per cell (every row, drawn or not)."""
        assert acc.value_full is not None
        for j in range(len(acc.value_full)):
            acc.value_full[j] += np.bincount(cell, weights=extra[j], minlength=c)

    def _cells(
        self, acc: _Tables, score: FloatArray, is_pos: BoolArray, w: Weights
    ) -> tuple[IntArray, IntArray, FloatArray | None]:
        c = self.plan.layout.n_cells
        cell = self.plan.layout.cells(_keys_of(score))
        slot = 2 * cell + is_pos
        wf = None if w is None else w.astype(np.float64)
        acc.full += np.bincount(slot, weights=wf, minlength=2 * c).astype(self.plan.dtype)
        acc.rows += np.bincount(cell, minlength=c)
        return cell, slot, wf

    def _chunk(
        self,
        acc: _Tables,
        score: FloatArray,
        is_pos: BoolArray,
        w: Weights,
        start: int,
        extra: FloatArray | None = None,
    ) -> None:
        plan = self.plan
        m, c = len(score), plan.layout.n_cells
        cell, slot, wf = self._cells(acc, score, is_pos, w)
        counters = _counters(np.arange(start, start + m, dtype=np.int64))
        z, tmp = np.empty(m, dtype=np.uint64), np.empty(m, dtype=np.uint64)
        if extra is not None:
            self._value_full(acc, cell, extra, c)
            n_values = len(extra) - 2
        for i, key in enumerate(plan.keys):
            if extra is not None:
                # Per-row values: each column re-weighted by the same draws as the counts.
                k = _draw(counters, key, z, tmp)
                drawn = k > 0
                ones = np.ones(m) if wf is None else wf
                self._add_draws(acc, i, cell, slot, k, drawn, ones, c)
                assert acc.value_drawn is not None
                assert acc.value_inbag is not None
                for j in range(len(extra)):
                    acc.value_drawn[i, j] += np.bincount(cell, weights=k * extra[j], minlength=c)
                for j in range(n_values):
                    acc.value_inbag[i, j] += np.bincount(
                        cell, weights=drawn * extra[j], minlength=c
                    )
                continue
            if wf is None:
                # One bincount sums k (low 32 bits) and the rows drawn (high bits).
                v = np.bincount(slot, weights=_packed_draw(counters, key, z, tmp), minlength=2 * c)
                high = np.floor(v / _SHIFT32)
                acc.drawn[i] += (v - high * _SHIFT32).astype(np.int64)
                acc.inbag[i] += high.astype(np.int64)
                continue
            k = _draw(counters, key, z, tmp)
            self._add_draws(acc, i, cell, slot, k, k > 0, wf, c)

    def _add_draws(
        self,
        acc: _Tables,
        i: int,
        cell: IntArray,
        slot: IntArray,
        k: npt.NDArray[np.uint8],
        drawn: BoolArray,
        wf: FloatArray,
        c: int,
    ) -> None:
        """Resample ``i``'s weighted counts of one chunk (draws ``k``, weights ``wf``)."""
        dtype = self.plan.dtype
        acc.drawn[i] += np.bincount(slot, weights=k * wf, minlength=2 * c).astype(dtype)
        acc.inbag[i] += np.bincount(slot, weights=drawn * wf, minlength=2 * c).astype(dtype)
        if acc.present is not None:
            acc.present[i] += np.bincount(cell, weights=drawn, minlength=c).astype(np.int64)

    def _compiled_chunk(
        self,
        loop: Callable[..., Any],
        acc: _Tables,
        score: FloatArray,
        is_pos: BoolArray,
        w: Weights,
        start: int,
        extra: FloatArray | None = None,
    ) -> None:
        cell, slot, wf = self._cells(acc, score, is_pos, w)
        exact = wf is None or self.plan.dtype is np.int64
        # Float sums: per chunk from zero, then added, in the numpy loop's order.
        drawn = acc.drawn if exact else np.zeros_like(acc.drawn)
        inbag = acc.inbag if exact else np.zeros_like(acc.inbag)
        weight: Any = np.zeros(0) if w is None else w if exact else wf
        present = acc.present if acc.present is not None else np.zeros((0, 0), np.int64)
        with_values = extra is not None
        if extra is not None:
            assert acc.value_drawn is not None
            assert acc.value_inbag is not None
            self._value_full(acc, cell, extra, self.plan.layout.n_cells)
            value_drawn = np.zeros_like(acc.value_drawn)  # per chunk, as bincount sums
            value_inbag = np.zeros_like(acc.value_inbag)
        else:
            extra, value_drawn, value_inbag = np.zeros((0, 0)), _NO_TABLE, _NO_TABLE
        loop(
            slot, cell, weight, w is not None, start, self.plan.keys, _THRESHOLDS, _TABLE,
            drawn, inbag, present, acc.present is not None,
            extra, value_drawn, value_inbag, len(extra) - 2, with_values,
        )  # fmt: skip
        if not exact:
            acc.drawn += drawn
            acc.inbag += inbag
        if with_values:
            assert acc.value_drawn is not None
            assert acc.value_inbag is not None
            acc.value_drawn += value_drawn
            acc.value_inbag += value_inbag


_NO_TABLE = np.zeros((0, 0, 0))


def _count_pass(source: Any, plan: _Plan, n_rows: int, compiled: bool | None = None) -> _Tables:
    """The counting pass; ``compiled`` None: compiled when numba is there and it pays."""
    if compiled is None:
        compiled = n_rows * len(plan.keys) >= COMPILED_WORK and _compiled_loop() is not None
    out = _map_reduce(source, _Count(plan, compiled), _add, "bootstrap: count")
    return plan.empty() if out is None else out  # type: ignore[no-any-return]


# ---------------------------------------------------------------------------- choice
def candidate_cells(
    edges: Counts,
    objective: BoundMetric,
    constraints: Sequence[Constraint],
    *,
    maximize: bool,
    gains: tuple[FloatArray, FloatArray] | None = None,
) -> BoolArray | None:
    """Cells that may hold an optimal row or a tied optimum; None: every cell.

    ``edges`` has one row per cell edge (row 0 flags nothing; cell ``j`` lies between
    rows ``j`` and ``j + 1``). The best edge row's value is one the optimum attains or
    beats, so a cell is kept when each constraint could hold in it and the objective
    could reach that value there: the histogram engine's rule
    (:func:`cutpoints.engines._histogram.bins_to_refine`), without runners-up.
    ``gains`` (per cell, the drawn sums of the positive and negative parts of the
    rows' flag gains) bound the metric ``"value"``; ``edges`` then has its ``"value"``
    column.
    """
    return bins_to_refine(
        edges, objective, constraints, maximize=maximize, n_runners_up=0, gains=gains
    )


@dataclass(frozen=True)
class _Resample:
    """One resample's cell view: present cells (top down), totals, candidates."""

    cells: IntArray  # present cells, highest keys first
    pos: np.ndarray  # drawn weight per present cell, positives
    neg: np.ndarray
    n_pos: Any
    n_neg: Any
    refine: BoolArray  # over all cells: rows needed


def _resample_cells(
    tables: _Tables,
    i: int,
    single_key: BoolArray,
    objective: BoundMetric,
    constraints: Sequence[Constraint],
    maximize: bool,
    values: ValueSpec | None = None,
) -> _Resample:
    drawn = tables.drawn[i]
    pos_all, neg_all = drawn[1::2], drawn[0::2]
    if tables.present is not None:
        here = tables.present[i] > 0
    else:
        inbag = tables.inbag[i]
        here = (inbag[1::2] + inbag[0::2]) > 0
    cells = np.flatnonzero(here)[::-1].astype(np.int64)
    pos, neg = pos_all[cells], neg_all[cells]
    n_pos, n_neg = pos.sum().item(), neg.sum().item()
    refine = np.zeros(len(here), dtype=bool)
    if n_pos > 0 and n_neg > 0:
        tp = np.concatenate(([pos.dtype.type(0)], np.cumsum(pos)))
        fp = np.concatenate(([neg.dtype.type(0)], np.cumsum(neg)))
        edges = Counts(tp, fp, n_pos, n_neg)
        gains = None
        if values is not None:  # the value at each edge, and the gains per cell
            assert tables.value_drawn is not None
            drawn_v = tables.value_drawn[i][:, cells]
            m = values.n_columns
            sums = [np.concatenate(([0.0], np.cumsum(drawn_v[j]))) for j in range(m)]
            column = values.curve(tp, fp, sums, n_pos, n_neg)
            edges = Counts(tp, fp, n_pos, n_neg, columns={"value": column})
            gains = (drawn_v[m], drawn_v[m + 1])
        keep = candidate_cells(edges, objective, constraints, maximize=maximize, gains=gains)
        chosen = cells if keep is None else cells[keep]
        refine[chosen] = True
        refine &= ~single_key  # a cell of one key is its own (edge) row
    return _Resample(cells, pos, neg, n_pos, n_neg, refine)


# ---------------------------------------------------------------------------- pass 2
@dataclass(frozen=True)
class _Rows:
    """The refined rows, sorted by key, highest first (ties by row index)."""

    key: KeyArray
    cell: IntArray
    is_positive: BoolArray
    weight: Weights
    index: IntArray
    extra: FloatArray | None = None  # (m, rows): the value columns (per-row values)


@dataclass(frozen=True)
class _Collect:
    """The refining pass over one batch: its rows in the wanted cells (picklable)."""

    layout: Layout
    wanted: BoolArray
    values: ValueSpec | None = None

    def __call__(self, batch: Any) -> list[tuple[Any, ...]]:
        score, is_pos, w, start = _columns(batch)
        extra = _extra(batch, self.values)
        if not len(score):
            return []
        keys = _keys_of(score)
        take = np.flatnonzero(self.wanted[self.layout.cells(keys)])
        if not take.size:
            return []
        picked = None if extra is None else extra[: len(extra) - 2, take]
        return [(keys[take], is_pos[take], None if w is None else w[take], take + start, picked)]


def _collect_pass(
    source: Any, layout: Layout, wanted: BoolArray, values: ValueSpec | None = None
) -> _Rows:
    task = _Collect(layout, wanted, values)
    parts = _map_reduce(source, task, _add, "bootstrap: refine") or []
    m = 0 if values is None else values.n_columns
    if not parts:
        empty = np.empty(0, dtype=np.int64)
        no_extra = None if values is None else np.zeros((m, 0))
        return _Rows(np.empty(0, np.uint64), empty, np.empty(0, bool), None, empty, no_extra)
    key = np.concatenate([p[0] for p in parts])
    is_pos = np.concatenate([p[1] for p in parts])
    weight = None if parts[0][2] is None else np.concatenate([p[2] for p in parts])
    index = np.concatenate([p[3] for p in parts]).astype(np.int64)
    extra = None if values is None else np.concatenate([p[4] for p in parts], axis=1)
    order = np.lexsort((index, ~key))  # keys descending, then row order
    return _Rows(
        key[order],
        layout.cells(key[order]),
        is_pos[order],
        None if weight is None else weight[order],
        index[order],
        None if extra is None else extra[:, order],
    )


@dataclass
class _Outcome:
    """Per-resample results, as plain arrays."""

    chosen_key: KeyArray  # 0: "flag nothing" (no finite score has key 0)
    status: IntArray
    tp: FloatArray
    fp: FloatArray
    n_pos: FloatArray
    n_neg: FloatArray
    oob: FloatArray  # (B, 4): tp, fp, P, N of the rows with k = 0 at the choice
    fixed: FloatArray  # (B, 2): tp, fp at the full-data threshold
    grid_tp: FloatArray
    grid_fp: FloatArray
    # The total value (per-row values): in bag, out of bag, at the full-data threshold,
    # and at the grid; None without values.
    value: dict[str, np.ndarray] | None = None


def _above(per_cell: np.ndarray) -> FloatArray:
    """For each cell, the sum over the cells with higher keys (summed top down)."""
    from_top = np.cumsum(per_cell[::-1].astype(np.float64))[::-1]
    out: FloatArray = np.concatenate((from_top[1:], [0.0]))
    return out


def _select_all(
    tables: _Tables,
    plan: _Plan,
    rows: _Rows,
    per_resample: list[_Resample],
    fixed: tuple[int, int] | None,
    grid_cells: IntArray,
    task: Task,
    values: ValueSpec | None = None,
    everything: bool = False,
) -> _Outcome:
    """Each resample's choice, its out-of-bag counts, its counts at the fixed threshold.

    ``fixed`` is (key, cell) of the full-data threshold when it falls in the layout
    (``everything``: the threshold flags every row). Each resample regenerates the
    weights of the collected rows it needs only. With ``values``, the total value at
    each of those places too.
    """
    layout = plan.layout
    n = len(plan.keys)
    lower_keys = layout.lower_keys()
    single_key = lower_keys == layout.upper_keys()
    full_pos, full_neg = tables.full[1::2], tables.full[0::2]
    counters = _counters(rows.index)
    w = np.ones(len(rows.key)) if rows.weight is None else rows.weight.astype(np.float64)
    fixed_cell = -1 if fixed is None else fixed[1]
    in_fixed = rows.cell == fixed_cell
    out = _Outcome(
        chosen_key=np.zeros(n, dtype=np.uint64),
        status=np.zeros(n, dtype=np.int64),
        tp=np.zeros(n),
        fp=np.zeros(n),
        n_pos=np.zeros(n),
        n_neg=np.zeros(n),
        oob=np.full((n, 4), np.nan),
        fixed=np.zeros((n, 2)),
        grid_tp=np.zeros((n, len(grid_cells))),
        grid_fp=np.zeros((n, len(grid_cells))),
    )
    if values is not None:
        out.value = {
            "value": np.full(n, np.nan),
            "oob_value": np.full(n, np.nan),
            "fixed_value": np.zeros(n),
            "grid_value": np.zeros((n, len(grid_cells))),
        }
    for i, r in enumerate(per_resample):
        sel = np.flatnonzero(r.refine[rows.cell] | in_fixed)
        sub_extra = None if rows.extra is None else rows.extra[:, sel]
        sub = _Rows(
            rows.key[sel], rows.cell[sel], rows.is_positive[sel], None, rows.index[sel], sub_extra
        )
        z, tmp = np.empty(len(sel), np.uint64), np.empty(len(sel), np.uint64)
        k = _draw(counters[sel], plan.keys[i], z, tmp)
        sub_w = w[sel]
        kw = k * sub_w
        pos = sub.is_positive
        drawn_pos, drawn_neg = tables.drawn[i][1::2], tables.drawn[i][0::2]
        above_pos, above_neg = _above(drawn_pos), _above(drawn_neg)
        out.n_pos[i], out.n_neg[i] = r.n_pos, r.n_neg
        # The bands' grid: flag every row of the cell and above it.
        out.grid_tp[i] = above_pos[grid_cells] + drawn_pos[grid_cells]
        out.grid_fp[i] = above_neg[grid_cells] + drawn_neg[grid_cells]
        if fixed is not None:
            key, cell = fixed
            at = (sub.cell == cell) & (sub.key >= np.uint64(key))
            out.fixed[i] = (
                above_pos[cell] + kw[at & pos].sum(),
                above_neg[cell] + kw[at & ~pos].sum(),
            )
        vals = None
        if values is not None:
            vals = _Values(values, tables, i, sub, k)
            assert out.value is not None
            out.value["grid_value"][i] = vals.at_grid(grid_cells, out.grid_tp[i], out.grid_fp[i])
            out.value["fixed_value"][i] = vals.at_fixed(fixed, everything, out.fixed[i])
        table, row_keys = _table(r, sub, k, kw, lower_keys, vals)
        selection = select_rows(
            table,
            task.objective,
            task.constraints,
            ties=task.ties,
            maximize=task.maximize,
            prune=True,
        )
        out.status[i] = STATUS[selection.status]
        if not selection.ok:
            continue
        j = selection.index
        out.tp[i], out.fp[i] = table.tp[j], table.fp[j]
        oob_pos = full_pos - tables.inbag[i][1::2]
        oob_neg = full_neg - tables.inbag[i][0::2]
        total = (float(oob_pos.sum()), float(oob_neg.sum()))
        if vals is not None:
            assert out.value is not None
            value_column = table.column("value")
            assert value_column is not None
            out.value["value"][i] = value_column[j : j + 1][0]
        if j == 0:  # flag nothing
            out.oob[i] = (0.0, 0.0, *total)
            if vals is not None:
                assert out.value is not None
                out.value["oob_value"][i] = vals.out_of_bag(None, out.oob[i])
            continue
        key = row_keys[j]
        out.chosen_key[i] = key
        cell = int(layout.cells(np.array([key], np.uint64))[0])
        if r.refine[cell]:
            inside = (sub.cell == cell) & (sub.key >= key) & (k == 0)
            in_pos, in_neg = sub_w[inside & pos].sum(), sub_w[inside & ~pos].sum()
        elif single_key[cell]:  # a cell of one key: every row of it is flagged
            in_pos, in_neg = oob_pos[cell], oob_neg[cell]
        else:  # pragma: no cover - the bounds keep every cell that can hold the optimum
            msg = "internal error: a resample chose the edge of a cell it did not read"
            raise AssertionError(msg)
        out.oob[i] = (
            _above(oob_pos)[cell] + in_pos,
            _above(oob_neg)[cell] + in_neg,
            *total,
        )
        if vals is not None:
            assert out.value is not None
            where = (cell, key, bool(r.refine[cell]))
            out.value["oob_value"][i] = vals.out_of_bag(where, out.oob[i])
    return out


class _Values:
    """One resample's value sums (per-row values), read where :func:`_select_all` needs
    them: each value column's drawn sum per cell, and of the refined rows it drew."""

    def __init__(self, spec: ValueSpec, tables: _Tables, i: int, sub: _Rows, k: Any) -> None:
        assert tables.value_drawn is not None
        assert sub.extra is not None
        m = spec.n_columns
        self.spec, self.tables, self.i, self.sub, self.k = spec, tables, i, sub, k
        self.drawn = tables.value_drawn[i][:m]  # (m, C)
        self.totals = self.drawn.sum(axis=1)
        self.above = [_above(self.drawn[j]) for j in range(m)]
        self.kv = k * sub.extra  # each refined row's k * weight * value

    def _total(self, tp: Any, fp: Any, sums: list[Any]) -> FloatArray:
        """The value at rows (``tp``, ``fp``, ``sums``), with the resample's totals."""
        t = self.tables
        n_pos, n_neg = t.drawn[self.i][1::2].sum(), t.drawn[self.i][0::2].sum()
        tp = np.append(np.asarray(tp, dtype=np.float64), n_pos)
        fp = np.append(np.asarray(fp, dtype=np.float64), n_neg)
        full = [np.append(s, total) for s, total in zip(sums, self.totals, strict=True)]
        return self.spec.at(tp, fp, full)

    def at_grid(self, cells: IntArray, tp: Any, fp: Any) -> FloatArray:
        """At the bands' grid: flagging every row of each cell and above it."""
        sums = [self.above[j][cells] + self.drawn[j][cells] for j in range(len(self.above))]
        return self._total(tp, fp, sums)

    def at_fixed(self, fixed: tuple[int, int] | None, everything: bool, counts: Any) -> float:
        """At the full-data threshold (``counts``: the resample's tp and fp there)."""
        if everything:
            sums = [np.array([s]) for s in self.totals]
            n_pos = self.tables.drawn[self.i][1::2].sum()
            n_neg = self.tables.drawn[self.i][0::2].sum()
            return float(self._total([n_pos], [n_neg], sums)[0])
        sums = [np.zeros(1) for _ in self.above]
        if fixed is not None:
            key, cell = fixed
            at = (self.sub.cell == cell) & (self.sub.key >= np.uint64(key))
            pairs = zip(self.above, self.kv, strict=True)
            sums = [np.array([above[cell] + kv[at].sum()]) for above, kv in pairs]
        return float(self._total([counts[0]], [counts[1]], sums)[0])

    def out_of_bag(self, where: tuple[int, Any, bool] | None, oob: Any) -> float:
        """Of the rows never drawn (k = 0), at the chosen row (``where``: its cell, key,
        and whether the cell was refined; None: flag nothing); ``oob``: their counts."""
        t, sub = self.tables, self.sub
        assert t.value_full is not None
        assert t.value_inbag is not None
        assert sub.extra is not None
        left = t.value_full - t.value_inbag[self.i]  # (m, C): each column, rows with k = 0
        sums = []
        for j in range(len(left)):
            s = 0.0
            if where is not None:
                cell, key, refined = where
                if refined:
                    inside = (sub.cell == cell) & (sub.key >= key) & (self.k == 0)
                    s = _above(left[j])[cell] + sub.extra[j][inside].sum()
                else:  # a cell of one key: every row of it is flagged
                    s = _above(left[j])[cell] + left[j][cell]
            sums.append(np.array([s, left[j].sum()]))
        tp = np.array([oob[0], oob[2]], dtype=np.float64)
        fp = np.array([oob[1], oob[3]], dtype=np.float64)
        return float(self.spec.curve(tp, fp, sums, oob[2], oob[3])[0:1][0])


def _table(
    r: _Resample,
    rows: _Rows,
    k: npt.NDArray[np.uint8],
    kw: FloatArray,
    lower_keys: KeyArray,
    values: _Values | None = None,
) -> tuple[Counts, KeyArray]:
    """The resample's selection table: edges of unrefined cells, rows of refined ones.

    Only present scores are rows: an unrefined cell's edge row is the count at its
    lowest drawn score (it flags exactly the cell and everything above), and refined
    cells contribute their rows with ``k > 0``. Row 0 flags nothing. With ``values``
    the table has the ``"value"`` column, summed from the same items.
    """
    plain = ~r.refine[r.cells]
    take = np.flatnonzero(r.refine[rows.cell] & (k > 0))
    item_key = np.concatenate((lower_keys[r.cells[plain]], rows.key[take]))
    positive = rows.is_positive[take]
    item_pos = np.concatenate((r.pos[plain].astype(np.float64), np.where(positive, kw[take], 0.0)))
    item_neg = np.concatenate((r.neg[plain].astype(np.float64), np.where(positive, 0.0, kw[take])))
    order = np.argsort(~item_key, kind="stable")  # highest key first
    item_key = item_key[order]
    # One row per distinct key: the last item of each run of equal keys.
    last = np.flatnonzero(np.concatenate((item_key[1:] != item_key[:-1], [True])))
    if not len(item_key):
        last = last[:0]
    tp: np.ndarray = np.concatenate(([0.0], np.cumsum(item_pos[order])[last]))
    fp: np.ndarray = np.concatenate(([0.0], np.cumsum(item_neg[order])[last]))
    n_pos: Any = r.n_pos
    n_neg: Any = r.n_neg
    if r.pos.dtype.kind in "iu":  # exact integers: keep the kernel's integer path
        tp, fp = tp.astype(np.int64), fp.astype(np.int64)
        n_pos, n_neg = int(n_pos), int(n_neg)
    row_keys = np.concatenate((np.zeros(1, np.uint64), item_key[last]))
    thresholds = np.concatenate(([np.inf], _floats(item_key[last])))
    columns: dict[str, Any] = {}
    if values is not None:
        sums = []
        for j in range(values.spec.n_columns):
            items = np.concatenate((values.drawn[j][r.cells[plain]], values.kv[j][take]))
            sums.append(np.concatenate(([0.0], np.cumsum(items[order])[last])))
        columns["value"] = values.spec.curve(tp, fp, sums, n_pos, n_neg)
    return Counts(tp, fp, n_pos, n_neg, thresholds, columns=columns), row_keys


# ---------------------------------------------------------------------------- result
@dataclass
class PoissonBootstrapResult(BootstrapResult):
    """A :class:`BootstrapResult` of Poisson(1) resamples (``method="poisson"``, scans).

    Everything reads as for the multinomial bootstrap. The differences: a resample is
    a Poisson(1) weight per row, not a list of row indices (:meth:`resample_weights`);
    resamples are never stratified; the bands' default grid is the edges of the
    resamples' score cells (up to 200, evenly spread in rank), where every resample's
    counts are exact without reading rows again.
    """

    method: str = "poisson"
    n_rows: int = 0
    _source: Any = field(default=None, repr=False)
    _random_state: Any = field(default=None, repr=False)
    _sign: float = field(default=1.0, repr=False)
    _values: ValueSpec | None = field(default=None, repr=False)

    def __str__(self) -> str:
        return super().__str__().replace(" resamples (simple),", " Poisson resamples,", 1)

    def resample_indices(self, i: int) -> IntArray:
        """Not defined for Poisson resamples: see :meth:`resample_weights`."""
        msg = (
            "Poisson resamples weight rows instead of listing them: use "
            f"resample_weights({i!r}) (the Poisson(1) weight of each row)"
        )
        raise InvalidParameterError(msg)

    def resample_weights(self, i: int, rows: Any = None) -> npt.NDArray[np.uint8]:
        """The Poisson(1) weight of every row (or of global ``rows``) in resample ``i``.

        Resample ``i`` is the data with row ``j`` counted ``weights[j]`` times (0:
        absent): :func:`cutpoints.find_cutpoint` on the rows with a positive weight,
        weighted by it (times ``sample_weight``), chooses ``thresholds[i]``.
        """
        if isinstance(i, bool) or not (
            isinstance(i, (int, np.integer)) and 0 <= int(i) < self.n_resamples
        ):
            msg = f"'i' must be a resample number in [0, {self.n_resamples}) (got {i!r})"
            raise InvalidParameterError(msg)
        where = np.arange(self.n_rows) if rows is None else rows
        return poisson_weights(self._random_state, self.n_resamples, where, resample=int(i))

    def _jackknife(self, metric: BoundMetric) -> tuple[FloatArray, FloatArray]:
        """Leave-one-row-out values at the fixed threshold, from one more pass."""
        if self._source is None:
            msg = "this result holds no data to compute the jackknife from"
            raise InvalidParameterError(msg)
        return _jackknife_pass(self, metric)

    def _replay(self, rows: IntArray) -> dict[str, Any]:
        msg = (
            "a custom 'grid' is not available for the bands of a Poisson bootstrap: the "
            "default grid (cell edges, exact in every resample) is"
        )
        raise InvalidParameterError(msg)


@dataclass(frozen=True)
class _JackknifeGroups:
    """Rows per (confusion cell at ``threshold``, weight) in one batch (picklable)."""

    threshold: float
    values: ValueSpec | None = None

    def __call__(self, batch: Any) -> dict[tuple[Any, ...], int]:
        score, is_pos, w, _ = _columns(batch)
        extra = _extra(batch, self.values)
        flagged = score >= self.threshold
        cell = np.where(flagged, np.where(is_pos, 0, 1), np.where(is_pos, 3, 2))
        weights = np.ones(len(score)) if w is None else w.astype(np.float64)
        parts = [cell.astype(np.float64), weights]
        if self.values is not None and extra is not None:
            # and each row's weight * value of its outcome, which it takes from the total
            parts.append(self.values.outcome_values(extra, is_pos, flagged, weights))
        pairs, counts = np.unique(np.stack(parts), axis=1, return_counts=True)
        return {
            (int(p[0]), *(float(x) for x in p[1:])): int(m)
            for p, m in zip(pairs.T, counts, strict=True)
        }


def _merge_counts(
    a: dict[tuple[Any, ...], int], b: dict[tuple[Any, ...], int]
) -> dict[tuple[Any, ...], int]:
    for key, m in b.items():
        a[key] = a.get(key, 0) + m
    return a


def _jackknife_pass(result: PoissonBootstrapResult, metric: BoundMetric) -> tuple[Any, Any]:
    """Rows grouped by (confusion cell at the threshold, weight): one pass, grouped values.

    Rows of one cell and one weight give the same leave-one-out value, as in
    :func:`cutpoints.uncertainty._intervals.jackknife`; with per-row values, rows of
    one cell, weight and ``weight * value`` (leaving a row out takes its value from the
    total).
    """
    cut = result.cutpoint
    task = _JackknifeGroups(result._sign * cut.threshold, result._values)
    groups = _map_reduce(result._source, task, _merge_counts, "bootstrap: jackknife") or {}
    base = np.array([cut.tp, cut.fp, cut.tn, cut.fn], dtype=np.float64)
    total = float(cut.metrics.get("value", math.nan))
    values, mult = [], []
    for key, m in sorted(groups.items()):
        c, wt = key[0], key[1]
        left = base.copy()
        left[c] -= wt
        row_value = key[2] if len(key) > 2 else math.nan
        extra = {name: np.array([total - row_value]) for name in metric.columns}
        values.append(float(metric(*[left[j : j + 1] for j in range(4)], **extra)[0]))
        mult.append(float(m))
    return np.asarray(values), np.asarray(mult)


# ---------------------------------------------------------------------------- driver
@dataclass(frozen=True)
class Task:
    """What each resample selects: the full data's objective, constraints and rule."""

    objective: BoundMetric
    constraints: tuple[Constraint, ...]
    maximize: bool
    ties: str


def _grid_cells(rows_per_cell: IntArray, size: int = 200) -> IntArray:
    """Up to ``size`` non-empty cells spread evenly in rank (top down)."""
    cells = np.flatnonzero(rows_per_cell)[::-1]
    if len(cells) > size:
        cells = cells[np.unique(np.linspace(0, len(cells) - 1, size).round().astype(np.int64))]
    return cells.astype(np.int64)


@dataclass
class Streamed:
    """The raw output of :func:`run_poisson`, for the bootstrap entry point."""

    thresholds: FloatArray
    status: IntArray
    in_bag: tuple[FloatArray, FloatArray, FloatArray, FloatArray]
    out_of_bag: tuple[FloatArray, FloatArray, FloatArray, FloatArray]
    fixed: tuple[FloatArray, FloatArray]
    grid: FloatArray
    grid_counts: dict[str, np.ndarray]
    n_rows: int
    bits: int
    n_refined_rows: int
    #: Per-row values: the total value in bag (``"value"``), out of bag
    #: (``"oob_value"``), at the full-data threshold (``"fixed_value"``) and at the
    #: grid (``"grid_value"``, one row per resample); None without values.
    value: dict[str, np.ndarray] | None = None


def run_poisson(
    source: Any,
    task: Task,
    *,
    n_resamples: int,
    random_state: np.random.SeedSequence,
    threshold: float | None,
    rule: str = ">=",
    bits: int | None = None,
    advance: Callable[[int], None] | None = None,
    compiled: bool | None = None,
    values: ValueSpec | None = None,
) -> Streamed:
    """Poisson(1) resamples of ``source``, each choosing as ``find_cutpoint`` would.

    ``source`` is a Source with ``summary()`` and ``map_reduce`` (its scores as the
    engine sees them: negated for ``rule="<="``); ``threshold`` is the full-data
    threshold, in the user's units (each resample's counts there are reported). Reads
    the source twice after its summary: the counting and the refining pass.
    ``values``: the per-row values the source's batches carry (``Batch.extra``), summed
    per cell and resample like the counts; the objective and constraints may then read
    the total value.
    """
    sign = 1.0 if rule == ">=" else -1.0
    summary: SourceSummary = source.summary()
    if summary.n_rows == 0:
        msg = "the data has no rows"
        raise InvalidParameterError(msg)
    if bits is None:
        n_values = -1 if values is None else values.n_columns
        bits = resample_bits(n_resamples, summary.n_rows, n_values)
    layout = _layout(source, summary, 1 << bits)
    integer = not summary.weighted or summary.integer_weights
    plan = _Plan(
        layout,
        resample_keys(random_state, n_resamples),
        np.int64 if integer else np.float64,
        summary.zero_weights,
        values,
    )
    tables = _count_pass(source, plan, summary.n_rows, compiled)
    step = advance or (lambda k: None)
    step(1)
    single_key = layout.lower_keys() == layout.upper_keys()
    t = task
    per_resample = [
        _resample_cells(tables, i, single_key, t.objective, t.constraints, t.maximize, values)
        for i in range(n_resamples)
    ]
    wanted = np.zeros(layout.n_cells, dtype=bool)
    for r in per_resample:
        wanted |= r.refine
    # Where the full-data threshold falls: above every score (flags nothing), at or
    # below the lowest (flags everything) or in a cell, whose rows are then read too.
    fixed: tuple[int, int] | None = None
    everything = False
    if threshold is not None and math.isfinite(threshold):
        key = int(_keys_of(np.array([sign * threshold]))[0])
        if key <= layout.low:
            everything = True
        elif key <= layout.high:
            cell = int(layout.cells(np.array([key], np.uint64))[0])
            fixed = (key, cell)
            wanted[cell] = True
    rows = _collect_pass(source, layout, wanted, values)
    step(1)
    grid_cells = _grid_cells(tables.rows)
    out = _select_all(tables, plan, rows, per_resample, fixed, grid_cells, task, values, everything)
    step(1)
    if everything:
        out.fixed[:, 0], out.fixed[:, 1] = out.n_pos, out.n_neg
    ok = out.status == STATUS["ok"]
    chosen = np.where(out.chosen_key == 0, np.inf, _floats(out.chosen_key))
    return Streamed(
        thresholds=np.where(ok, sign * chosen, np.nan),
        status=out.status,
        in_bag=(out.tp, out.fp, out.n_pos, out.n_neg),
        out_of_bag=(out.oob[:, 0], out.oob[:, 1], out.oob[:, 2], out.oob[:, 3]),
        fixed=(out.fixed[:, 0], out.fixed[:, 1]),
        grid=sign * _floats(layout.lower_keys()[grid_cells]),
        grid_counts={"tp": out.grid_tp, "fp": out.grid_fp, "n_pos": out.n_pos, "n_neg": out.n_neg}
        | ({} if out.value is None else {"value": out.value["grid_value"]}),
        n_rows=summary.n_rows,
        bits=bits,
        n_refined_rows=len(rows.key),
        value=out.value,
    )


def value_columns(out: Streamed) -> dict[str, dict[str, FloatArray]]:
    """Per table (in_bag, out_of_bag, at_threshold): the extra columns its metrics read
    (the total ``"value"`` with per-row values; none without)."""
    if out.value is None:
        return {"in_bag": {}, "out_of_bag": {}, "at_threshold": {}}
    return {
        "in_bag": {"value": out.value["value"]},
        "out_of_bag": {"value": out.value["oob_value"]},
        "at_threshold": {"value": out.value["fixed_value"]},
    }


def metric_tables(
    report: Sequence[BoundMetric], out: Streamed
) -> tuple[dict[str, FloatArray], dict[str, FloatArray], dict[str, FloatArray]]:
    """in_bag, out_of_bag and at_threshold metric values of a streamed run."""
    ok = out.status == STATUS["ok"]
    n_pos, n_neg = out.in_bag[2], out.in_bag[3]
    columns = value_columns(out)
    return (
        metric_values(report, *out.in_bag, ok, columns["in_bag"]),
        metric_values(report, *out.out_of_bag, ok, columns["out_of_bag"]),
        metric_values(
            report, out.fixed[0], out.fixed[1], n_pos, n_neg, columns=columns["at_threshold"]
        ),
    )


# ---------------------------------------------------------------------------- entry
def as_source(data: Any, rule: str) -> tuple[Any, str]:
    """The Source of a :func:`cutpoints.scan` and the rule it is read with.

    A scan carries its rule: ``rule`` must be ``">="`` (the default) or the same.
    """
    from .._scan import Scan

    if isinstance(data, Scan):
        if rule not in (">=", data.rule):
            msg = f"'rule' must be given to cp.scan(...) for a scan (got rule={rule!r})"
            raise InvalidParameterError(msg)
        return data.source(), data.rule
    msg = (
        "'y_score' is required (got None), unless 'y_true' is a streamed source such as "
        f"cutpoints.scan(...) (got y_true of type {type(data).__name__})"
    )
    raise InvalidInputError(msg)


def bootstrap_poisson(
    y_true: Any,
    y_score: Any,
    *,
    metric: Any,
    constraints: Any,
    ties: str,
    rule: str,
    sample_weight: Any,
    pos_label: Any,
    maximize: bool | None,
    n_resamples: int,
    confidence: float,
    random_state: Any,
    n_jobs: int | None,
    show_progress: bool | None,
    values: Any = None,
) -> PoissonBootstrapResult:
    """The Poisson bootstrap of in-memory arrays (``y_score`` given) or of a source.

    Arguments are checked by :func:`cutpoints.bootstrap`, which calls this. Per-row
    ``values`` come with the arrays, or inside the scan (``cp.scan(..., values=...)``).
    """
    from .._api import find_cutpoint
    from .._random import seed_sequence
    from .._validation import check_consistent_length, check_scores, check_target, check_weights
    from ._bootstrap import PROGRESS_WORK, _check_failures, _report_metrics
    from ._progress import progress_bar, want_progress

    options = {"metric": metric, "constraints": constraints, "maximize": maximize, "ties": ties}
    options |= {"rule": rule}
    threads = None if n_jobs is None else max(1, int(n_jobs))
    source: Any
    spec: ValueSpec | None = None
    if y_score is not None:
        score = check_scores(y_score, "y_score")
        target = check_target(y_true, pos_label, "y_true")
        check_consistent_length(y_true=target.is_positive, y_score=score)
        weight = check_weights(sample_weight, len(score)) if sample_weight is not None else None
        oriented = score if rule == ">=" else -score
        extra = None
        if values is not None:
            row_values = check_values(values, len(score))
            spec, extra = ValueSpec.of_rows(row_values, target.is_positive, weight)
        source = ArrayBatches(oriented, target.is_positive, weight, threads=threads, extra=extra)
        cut = find_cutpoint(
            y_true, y_score, sample_weight=sample_weight, pos_label=pos_label, values=values,
            **options,
        )  # fmt: skip
    else:
        for name, value in (
            ("sample_weight", sample_weight),
            ("pos_label", pos_label),
            ("values", values),
        ):
            if value is not None:
                msg = (
                    f"'{name}' must be None for a streamed source: give it to the source "
                    f"(cutpoints.scan(..., weight=...)) (got {value!r})"
                )
                raise InvalidParameterError(msg)
        source, rule = as_source(y_true, rule)
        spec = _scan_values(y_true)
        cut = find_cutpoint(y_true, **options)
    n_rows = int(source.summary().n_rows)
    task = Task(cut.metric, tuple(cut.constraints), cut.maximize, ties)
    root = seed_sequence(random_state)
    show = want_progress(show_progress, n_resamples * n_rows >= PROGRESS_WORK)
    # n_jobs: the threads that read and count the batches, for this call only.
    before = getattr(source, "threads", None)
    if threads is not None and isinstance(source, BatchSource):
        source.threads = threads
    try:
        with progress_bar(3, "bootstrap (Poisson: count, refine, choose)", show) as advance:
            out = run_poisson(
                source,
                task,
                n_resamples=n_resamples,
                random_state=root,
                threshold=cut.threshold,
                rule=rule,
                advance=advance,
                values=spec,
            )
    finally:
        if threads is not None and isinstance(source, BatchSource):
            source.threads = before
    names = {code: name for name, code in STATUS.items()}
    status = np.array([names[int(code)] for code in out.status])
    _check_failures(status, task)  # type: ignore[arg-type]
    report = _report_metrics(task.objective, task.constraints, spec is not None)
    in_bag, out_of_bag, at_threshold = metric_tables(report, out)
    return PoissonBootstrapResult(
        cutpoint=cut,
        metric=task.objective.name,
        confidence=confidence,
        n_resamples=n_resamples,
        thresholds=out.thresholds,
        status=status,
        in_bag=in_bag,
        out_of_bag=out_of_bag,
        at_threshold=at_threshold,
        select="point",
        stratified=False,
        _curve=cut.curve,
        _grid=out.grid,
        _grid_counts=out.grid_counts,
        _n_jobs=n_jobs,
        _metrics={m.name: m for m in report},
        n_rows=out.n_rows,
        _source=source,
        _random_state=root,
        _sign=1.0 if rule == ">=" else -1.0,
        _values=spec,
        _columns=value_columns(out),
    )


def _scan_values(data: Any) -> ValueSpec | None:
    """The per-row values a scan carries (``cp.scan(..., values=...)``), or None."""
    spec = getattr(data, "values", None)
    if spec is None:
        return None
    return ValueSpec.of_named(spec)


def check_poisson_options(stratified: bool | None, select: str) -> None:
    """Reject options the Poisson bootstrap does not have."""
    if stratified:
        msg = (
            "'stratified'=True is not available with Poisson resamples (class totals "
            f"vary from resample to resample); leave it None or False (got {stratified!r})"
        )
        raise InvalidParameterError(msg)
    if select != "point":
        msg = (
            "'select'='lower_bound' is not available with Poisson resamples (it would "
            f"need counts at every candidate threshold in every resample) (got {select!r})"
        )
        raise InvalidParameterError(msg)
