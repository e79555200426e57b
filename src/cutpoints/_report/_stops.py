"""Which curve rows the report embeds: the slider's stops.

A curve of n distinct scores has n + 1 rows; embedding them all made a report of a
million rows weigh 56 MB. The report embeds exact counts at a bounded set of rows
instead: every named point (the chosen threshold, each alternative, the first and last
rows), rows spread evenly in flagged count, and rows spread evenly along the total
variation of each followed curve (recall, false positive rate, precision, the objective,
each constraint), so stretches where a curve changes sharply get more stops, and each
jump wider than one step of the spread is kept with both its ends.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import numpy.typing as npt

from .._curve import ConfusionCurve

__all__ = ["MAX_STOPS", "choose_stops"]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

#: Slider stops beyond the named points, at most (about 60 bytes each in the page).
MAX_STOPS = 4_000


def choose_stops(
    curve: ConfusionCurve,
    named: Iterable[int],
    follow: Sequence[FloatArray],
    max_stops: int = MAX_STOPS,
) -> IntArray:
    """The rows the slider stops at, increasing: every row when there are few.

    Parameters
    ----------
    curve : ConfusionCurve
        The curve.
    named : iterable of int
        Rows that must be stops (the points the page names).
    follow : sequence of ndarray, each of shape (len(curve),)
        Curves whose shape the stops keep (NaN where undefined).
    max_stops : int
        At most this many stops besides ``named`` and the two end rows.

    Returns
    -------
    ndarray of int64
        Sorted distinct rows.
    """
    n = len(curve)
    ends = np.array([0, n - 1], dtype=np.int64)
    must = np.union1d(np.asarray(list(named), dtype=np.int64), ends)
    if n <= max_stops:
        return np.arange(n, dtype=np.int64)
    flagged = np.asarray(curve.tp, dtype=np.float64) + np.asarray(curve.fp, dtype=np.float64)
    profiles = [flagged, *follow]
    # Each spread brackets its targets with two rows, hence the factor 2.
    per_profile = max(1, max_stops // (2 * len(profiles)))
    picks = [must, *(_even_in_variation(values, per_profile) for values in profiles)]
    return np.unique(np.concatenate(picks))


def _even_in_variation(values: FloatArray, k: int) -> IntArray:
    """Rows bracketing ``k`` targets spread evenly along the total variation of ``values``.

    Between two consecutive picked rows the curve varies by at most 1/k of its total
    variation, except across a single step that varies by more, whose two end rows are
    both picked. NaN (undefined) contributes no variation.
    """
    steps = np.abs(np.diff(np.asarray(values, dtype=np.float64)))
    steps[~np.isfinite(steps)] = 0.0
    cumulative = np.concatenate([[0.0], np.cumsum(steps)])
    total = cumulative[-1]
    if not total > 0:
        return np.empty(0, dtype=np.int64)
    targets = np.linspace(0.0, total, k)
    after = np.searchsorted(cumulative, targets, side="left").astype(np.int64)
    after = np.minimum(after, len(values) - 1)
    return np.concatenate([after, np.maximum(after - 1, 0)])
