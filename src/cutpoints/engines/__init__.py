"""Engines: they turn a source of scores and labels into confusion counts.

See :mod:`cutpoints.engines._base` for the seam every engine plugs into, and
:mod:`cutpoints.engines._source` for the Source seam the histogram engine reads rows
through (arrays, files, clusters).
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
from ._source import ArraySource, Batch, BatchSource, Source, SourceSummary

register_engine(SortEngine())
register_engine(HistogramEngine())

__all__ = [
    "AUTO_HISTOGRAM_MIN_ROWS",
    "ENGINES",
    "ArraySource",
    "Batch",
    "BatchSource",
    "BinnedCurve",
    "Engine",
    "HistogramEngine",
    "PartialSweep",
    "SelectiveEngine",
    "SortEngine",
    "Source",
    "SourceSummary",
    "exact_sweep",
    "get_engine",
    "limit_sort_threads",
    "register_engine",
    "sort_threads",
    "sweep_with_top",
]
