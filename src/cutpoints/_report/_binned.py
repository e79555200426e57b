"""Reports of binned curves: exact counts at every point the page names.

A curve from the histogram engine (or one saved with a cutpoint) has exact counts at
some thresholds only (:mod:`cutpoints._saved_curve`). The chosen threshold is always
one of them; an alternative may not be: a given threshold (or the default 0.5) can
fall between two known rows, and an optimum chosen among the known rows (the F1
optimum, a review capacity) may not be the true one when a gap between rows could hold
a better threshold. When the curve still holds its data in memory, such points are
made exact (a counting pass for a threshold, the histogram engine's refinement for an
optimum) and added as rows; otherwise the page says which points are not exact.
"""

from __future__ import annotations

from typing import Any

from .._curve import ConfusionCurve
from .._cutpoint import Cutpoint
from .._saved_curve import (
    exact_choice,
    exact_counts_at,
    hidden_rows,
    is_complete,
    unknown_above,
    with_rows,
)
from ._points import Alternatives, operating_points

__all__ = ["exact_named_points"]


def exact_named_points(
    curve: ConfusionCurve, cut: Cutpoint, alternatives: Alternatives | None
) -> tuple[ConfusionCurve, list[str]]:
    """The curve with an exact row at every named point it can make exact, and the
    names of the points it cannot (no data at hand). A complete curve is returned as is.
    """
    gaps = unknown_above(curve)
    if gaps is None or is_complete(curve):
        return curve, []
    rows: list[tuple[float, Any, Any]] = []  # exact (threshold, tp, fp) to add
    given: dict[float, str] = {}  # thresholds inside a gap -> the point's name
    unsure: list[str] = []
    for point in operating_points(curve, cut, alternatives)[1:]:
        if point.selection is not None:
            objective, constraints = point.selection
            maximize = objective.greater_is_better
            if not len(hidden_rows(curve, objective, constraints, maximize=maximize)):
                continue  # the known rows prove it: exact already
            found = exact_choice(curve, objective, constraints)
            if found is None:
                unsure.append(point.name)
            else:
                rows.append(found)
            continue
        i = point.row
        # rows_at gives the last known row that flags no more than the threshold does;
        # a threshold strictly inside the gap below that row has unknown counts.
        if curve.thresholds[i] != point.threshold and i + 1 < len(curve) and gaps[i + 1]:
            given[point.threshold] = point.name
    counts = exact_counts_at(curve, list(given)) if given else None
    if counts is None:
        unsure += given.values()
    else:
        rows += zip(given, counts[0].tolist(), counts[1].tolist(), strict=True)
    added = with_rows(curve, [r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows])
    return added, unsure
