"""The operating points a report names: the chosen one and the alternatives beside it."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .._curve import ConfusionCurve
from .._cutpoint import Cutpoint
from .._metrics import BoundMetric, get_metric
from ..errors import InvalidParameterError
from ..selection import Constraint, select_rows
from ._format import fmt_count, fmt_threshold

__all__ = ["Alternatives", "Point", "operating_points", "why_short"]

Alternatives = Mapping[str, Any] | Sequence[Any]


@dataclass(frozen=True)
class Point:
    """A named threshold of the report and the curve row that applies it.

    Attributes
    ----------
    name : str
        What the page calls it (``"chosen: f1"``, ``"capacity K = 120"``).
    threshold : float
        The threshold (an observed score, or a value the user gave).
    row : int
        The curve row whose counts equal flagging with ``threshold``.
    how : str
        How it was chosen, in words.
    selection : (BoundMetric, tuple of Constraint) or None
        For a point chosen by a selection (an optimum, a capacity): what it optimizes
        under which constraints, so a binned curve can refine it (:mod:`._binned`).
    """

    name: str
    threshold: float
    row: int
    how: str
    selection: tuple[BoundMetric, tuple[Constraint, ...]] | None = None


def why_short(cut: Cutpoint) -> str:
    """``maximize f1 s.t. recall >= 0.4``: the objective, direction and constraints."""
    direction = "maximize" if cut.maximize else "minimize"
    text = f"{direction} {cut.metric.name}"
    if cut.constraints:
        text += " s.t. " + ", ".join(str(c) for c in cut.constraints)
    return text


def operating_points(
    curve: ConfusionCurve, cut: Cutpoint, alternatives: Alternatives | None
) -> list[Point]:
    """The chosen point first, then the given alternatives or the default ones."""
    chosen = Point(
        f"chosen: {cut.metric.name}", cut.threshold, curve.index_at(cut.threshold), why_short(cut)
    )
    if alternatives is not None:
        return [chosen, *_given(curve, alternatives)]
    return [chosen, *_defaults(curve, cut)]


def _given(curve: ConfusionCurve, alternatives: Alternatives) -> list[Point]:
    """Points from ``{name: threshold or Cutpoint}`` or a list of either."""
    if isinstance(alternatives, Mapping):
        items = [(str(name), value) for name, value in alternatives.items()]
    elif isinstance(alternatives, (str, bytes)) or not isinstance(alternatives, Sequence):
        msg = (
            "'alternatives' must be a dict {name: threshold or Cutpoint} or a list of "
            f"thresholds or Cutpoints (got {alternatives!r})"
        )
        raise InvalidParameterError(msg)
    else:
        items = [(_default_name(value), value) for value in alternatives]
    points = []
    for name, value in items:
        if isinstance(value, Cutpoint):
            threshold, how = value.threshold, why_short(value)
        else:
            threshold, how = _threshold(name, value), "given"
        points.append(Point(name, threshold, curve.index_at(threshold), how))
    return points


def _default_name(value: Any) -> str:
    if isinstance(value, Cutpoint):
        return f"{value.metric.name} optimum"
    return f"threshold {fmt_threshold(_threshold('alternatives', value))}"


def _threshold(name: str, value: Any) -> float:
    try:
        threshold = float(value)
    except (TypeError, ValueError):
        threshold = math.nan
    if math.isnan(threshold):
        msg = (
            f"alternative {name!r} must be a threshold (a number, not NaN) or a Cutpoint "
            f"(got {value!r})"
        )
        raise InvalidParameterError(msg)
    return threshold


def _defaults(curve: ConfusionCurve, cut: Cutpoint) -> list[Point]:
    """The F1 optimum, 0.5 for probabilities, and review capacities K and 2K."""
    points = []
    if cut.metric.name != "f1" or cut.constraints:
        f1 = select_rows(curve, get_metric("f1"))
        if f1.ok:
            at = float(curve.thresholds[f1.index])
            points.append(Point("F1 optimum", at, f1.index, "maximize f1", (get_metric("f1"), ())))
    if curve.probability_like:
        points.append(
            Point("default 0.5", 0.5, curve.index_at(0.5), "the usual default for probabilities")
        )
    k = curve.n_positive
    recall, flagged = get_metric("recall"), get_metric("flagged")
    for multiple, label in ((1, "K"), (2, "2K")):
        capacity = k * multiple
        if not 0 < capacity < curve.n_total:
            continue
        within = (Constraint(flagged, "<=", float(capacity)),)
        best = select_rows(curve, recall, within)
        if best.ok:
            points.append(
                Point(
                    f"capacity {label} = {fmt_count(capacity)}",
                    float(curve.thresholds[best.index]),
                    best.index,
                    f"max recall with flagged <= {fmt_count(capacity)} (K = number of positives)",
                    (recall, within),
                )
            )
    return points
