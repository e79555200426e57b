"""The engine seam: what turns validated scores into confusion counts.

An engine takes validated columns (finite float64 scores, a boolean "is positive", and
optional non-negative weights) and returns the counts at every candidate threshold:
``(thresholds, tp, fp)`` with a first row that flags nothing (``+inf``), thresholds in
decreasing order, tp and fp cumulative. Selection reads those counts through the kernel
(:func:`cutpoints.selection.select_rows`) and never knows which engine ran. Every engine
is tested against the sort engine to the count.

An engine may also be *selective* (:class:`SelectiveEngine`): given the objective and
constraints, it builds only the rows of the curve that selection can need -- exact counts
at bin edges plus the exact rows of the bins that could hold the answer -- and the
kernel, run on those rows, gives the same answer as on the full curve. The histogram
engine is one (:mod:`cutpoints.engines._histogram`).

Engines for data that does not fit in memory (files streamed in batches, Dask, Spark)
plug in here by name.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from ..errors import InvalidParameterError

if TYPE_CHECKING:
    from .._metrics import BoundMetric
    from ..selection import Constraint

__all__ = [
    "AUTO_HISTOGRAM_MIN_ROWS",
    "ENGINES",
    "Engine",
    "SelectiveEngine",
    "get_engine",
    "register_engine",
]

# engine="auto" picks the histogram engine for a selection on at least this many rows.
# Measured by benchmarks/bench_engines.py's crossover (F1, float32, 2-core box, median
# of 15 interleaved calls): 1e5 rows sort 29.8 ms vs histogram 31.2 ms (parity), 2e5
# 60.7 vs 40.8 ms, 5e5 137 vs 42 ms, 1e6 245 vs 57 ms, 1e7 4.1 s vs 0.36 s; below ~1.5e5
# the fixed cost of 2**16 bins outweighs the sort it saves. A histogram-engine Cutpoint
# carries a BinnedCurve; the report, plots, re-targeting and calibration checks read it
# (exact at its rows, refined from the data where they need more: _saved_curve.py).
AUTO_HISTOGRAM_MIN_ROWS: int | None = 200_000

Counts = npt.NDArray[np.int64] | npt.NDArray[np.float64]
# A selective engine also reads float32 scores as given (widening costs 8 bytes a row).
Scores = npt.NDArray[np.float64] | npt.NDArray[np.float32]


class Engine(Protocol):
    """Turns validated columns into confusion counts at every candidate threshold."""

    name: str

    def sweep(
        self,
        score: npt.NDArray[np.float64],
        is_positive: npt.NDArray[np.bool_],
        weight: npt.NDArray[np.float64] | npt.NDArray[np.int64] | None = None,
    ) -> tuple[npt.NDArray[np.float64], Counts, Counts]:
        """``(thresholds, tp, fp)``: row 0 is ``(+inf, 0, 0)``, then every distinct
        score in decreasing order with the (weighted) positives and negatives at or
        above it."""
        ...


@runtime_checkable
class SelectiveEngine(Protocol):
    """An engine that can build just the rows of the curve a selection needs."""

    name: str

    def sweep(
        self,
        score: Scores,
        is_positive: npt.NDArray[np.bool_],
        weight: npt.NDArray[np.float64] | npt.NDArray[np.int64] | None = None,
    ) -> tuple[npt.NDArray[np.float64], Counts, Counts]:
        """The full curve, as :meth:`Engine.sweep`."""
        ...

    def sweep_for(
        self,
        score: Scores,
        is_positive: npt.NDArray[np.bool_],
        weight: npt.NDArray[np.float64] | npt.NDArray[np.int64] | None = None,
        *,
        objective: BoundMetric,
        constraints: Sequence[Constraint] = (),
        maximize: bool,
        n_runners_up: int = 5,
        score_range: tuple[float, float] | None = None,
        weight_range: tuple[int, int] | None = None,
    ) -> Any:
        """A :class:`~cutpoints.engines._histogram.PartialSweep`: every row that could be
        optimal, tied with the optimum or one of ``n_runners_up`` runners-up, with exact
        counts, plus exact counts at bin edges (or the full curve)."""
        ...


ENGINES: dict[str, Engine] = {}


def register_engine(engine: Engine) -> None:
    """Make ``engine`` selectable as ``engine=<its name>``."""
    ENGINES[engine.name] = engine


def get_engine(
    name: str | Engine = "auto", *, n_rows: int | None = None, selective: bool = False
) -> Engine:
    """The engine called ``name``; ``"auto"`` picks by input.

    ``"auto"`` is the sort engine, except for a selection (``selective=True``: only the
    rows a selection needs are wanted) on at least :data:`AUTO_HISTOGRAM_MIN_ROWS`
    rows, where the histogram engine is faster (today that limit is None: see its
    comment). An engine object (anything with ``name`` and ``sweep``) is returned as is.
    """
    if not isinstance(name, str):
        if callable(getattr(name, "sweep", None)):
            return name
        msg = f"'engine' must be a name or an engine object (got {name!r})"
        raise InvalidParameterError(msg)
    key = name
    if name == "auto":
        limit = AUTO_HISTOGRAM_MIN_ROWS
        big = limit is not None and n_rows is not None and n_rows >= limit
        key = "histogram" if selective and big and "histogram" in ENGINES else "sort"
    if key not in ENGINES:
        msg = f"'engine' must be one of {['auto', *sorted(ENGINES)]!r} (got {name!r})"
        raise InvalidParameterError(msg)
    return ENGINES[key]
