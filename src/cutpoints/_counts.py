"""Confusion counts at candidate rows, and metrics evaluated on them in bounded chunks.

The common currency between engines (which produce counts) and selection (which reads
them): anything with ``tp``, ``fp``, ``n_positive`` and ``n_negative`` will do.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from ._metrics import BoundMetric

__all__ = ["Column", "Counts", "CountsLike", "evaluate_rows", "float_counts"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
_CHUNK = 1 << 14  # rows per chunk: temporaries stay small enough to be recycled


class Column(Protocol):
    """A count column: its length, and the values at a slice or an array of rows.

    A numpy array is one; so is a lazily computed column (a bootstrap resample computes
    its counts only at the rows the kernel reads).
    """

    def __len__(self) -> int: ...

    def __getitem__(self, rows: Any, /) -> Any: ...


class CountsLike(Protocol):
    """Anything that yields confusion counts: a ConfusionCurve, a resample, a fold.

    ``tp[i]`` and ``fp[i]`` are the (weighted) true and false positives at row ``i``;
    rows run from the one flagging fewest to the one flagging most, so both never
    decrease. ``n_positive`` and ``n_negative`` are the class totals.
    """

    @property
    def tp(self) -> Column: ...

    @property
    def fp(self) -> Column: ...

    @property
    def n_positive(self) -> Any: ...

    @property
    def n_negative(self) -> Any: ...


@dataclass(frozen=True)
class Counts:
    """Plain confusion counts at candidate rows: the smallest :class:`CountsLike`.

    Attributes
    ----------
    tp, fp : ndarray, shape (n_rows,)
        Counts at each candidate row, non-decreasing along the rows.
    n_positive, n_negative : int or float
        The (weighted) class totals.
    thresholds : ndarray of float64 or None
        The threshold of each row, for messages (optional).
    """

    tp: np.ndarray
    fp: np.ndarray
    n_positive: Any
    n_negative: Any
    thresholds: FloatArray | None = None


def float_counts(
    source: CountsLike, rows: slice | IntArray
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """(tp, fp, tn, fn) at ``rows`` as float64: the metric contract.

    Exact: counts below 2**53 are exact in float64.
    """
    tp = np.asarray(source.tp[rows], dtype=np.float64)
    fp = np.asarray(source.fp[rows], dtype=np.float64)
    return tp, fp, float(source.n_negative) - fp, float(source.n_positive) - tp


def evaluate_rows(
    source: CountsLike, metric: BoundMetric, rows: IntArray | None = None
) -> FloatArray:
    """``metric`` at ``rows`` of ``source`` (every row by default), in bounded chunks.

    tn and fn are derived per chunk, so no full-length float64 copies of the four count
    columns are made (at 1e8 rows each would be 800 MB).
    """
    n = len(source.tp) if rows is None else len(rows)
    if n <= _CHUNK:
        return metric(*float_counts(source, slice(None) if rows is None else rows))
    out = np.empty(n, dtype=np.float64)
    for start in range(0, n, _CHUNK):
        part = slice(start, start + _CHUNK)
        out[part] = metric(*float_counts(source, part if rows is None else rows[part]))
    return out
