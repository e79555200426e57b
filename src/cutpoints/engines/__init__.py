"""Engines: they turn a source of scores and labels into confusion counts.

See :mod:`cutpoints.engines._base` for the seam every engine plugs into.
"""

from ._base import (
    AUTO_HISTOGRAM_MIN_ROWS,
    ENGINES,
    Engine,
    SelectiveEngine,
    get_engine,
    register_engine,
)
from ._histogram import BinnedCurve, HistogramEngine, PartialSweep
from ._sort import SortEngine, exact_sweep, limit_sort_threads, sort_threads, sweep_with_top

register_engine(SortEngine())
register_engine(HistogramEngine())

__all__ = [
    "AUTO_HISTOGRAM_MIN_ROWS",
    "ENGINES",
    "BinnedCurve",
    "Engine",
    "HistogramEngine",
    "PartialSweep",
    "SelectiveEngine",
    "SortEngine",
    "exact_sweep",
    "get_engine",
    "limit_sort_threads",
    "register_engine",
    "sort_threads",
    "sweep_with_top",
]
