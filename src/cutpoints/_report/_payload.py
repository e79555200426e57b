"""The JSON the page's script reads: exact counts and metric values at the slider stops.

The browser computes nothing but tn = N - fp, fn = P - tp and the flagged share: every
metric value is computed here by the metric registry at each stop, so the live panel
shows the same numbers as :meth:`ConfusionCurve.at` and ``metrics_at`` for that stop.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from .._counts import evaluate_rows
from .._curve import ConfusionCurve
from .._cutpoint import Cutpoint
from .._metrics import BoundMetric
from .._saved_curve import unknown_above
from ._points import Point

__all__ = ["build_payload", "is_bounded", "json_numbers", "safe_json"]

IntArray = npt.NDArray[np.int64]


def safe_json(payload: Any) -> str:
    """JSON that is safe inside ``<script>``: ``<``, ``>`` and ``&`` become ``\\u003c`` ...

    So neither ``</script>`` nor ``<!--`` can appear in the embedded text, whatever the
    column names or titles hold, and the text stays valid JSON.
    """
    text = json.dumps(payload, allow_nan=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def json_numbers(values: Any) -> list[Any]:
    """A list of JSON numbers: integers stay integers, NaN and infinities become null."""
    array = np.asarray(values)
    if array.dtype.kind in "iu":
        return [int(v) for v in array.tolist()]
    return [v if math.isfinite(v) else None for v in array.astype(np.float64).tolist()]


def is_bounded(metric: BoundMetric) -> bool:
    """Whether a metric lives in [-1, 1] and so shares the axis of precision and recall."""
    low, high = metric.metric.value_range
    return bool(low >= -1 and high <= 1)


def build_payload(
    curve: ConfusionCurve,
    cut: Cutpoint,
    stops: IntArray,
    points: Sequence[Point],
    shown: Sequence[BoundMetric],
    bands: list[dict[str, Any]],
) -> dict[str, Any]:
    """Everything the page's script needs, as JSON-ready values."""
    stop_of = {int(row): i for i, row in enumerate(stops.tolist())}
    values = {m.name: evaluate_rows(curve, m, stops) for m in shown}
    objective = cut.metric
    return {
        "rule": curve.rule,
        "n_positive": json_numbers([curve.n_positive])[0],
        "n_negative": json_numbers([curve.n_negative])[0],
        "n_thresholds": len(curve),
        "stops": _stops_part(curve, stops),
        "chosen": stop_of[points[0].row],
        "points": [{"name": p.name, "stop": stop_of[p.row]} for p in points],
        "metrics": [
            {
                "name": m.name,
                "values": json_numbers(values[m.name]),
                "objective": m.name == objective.name,
                "bounded": is_bounded(m),
            }
            for m in shown
        ],
        "constraints": [
            {
                "text": str(c),
                "metric": c.metric.name,
                "satisfied": c.mask(values[c.metric.name]).astype(np.int8).tolist(),
            }
            for c in cut.constraints
        ],
        "charts": {
            "objective": objective.name,
            "objective_chart": not is_bounded(objective),
            "net_benefit": curve.probability_like and curve.rule == ">=",
            "bands": bands,
        },
    }


def _stops_part(curve: ConfusionCurve, stops: IntArray) -> dict[str, list[Any]]:
    """Rows, thresholds, the next row's threshold (for exact typed thresholds), counts."""
    following = np.minimum(stops + 1, len(curve) - 1)
    next_threshold = curve.thresholds[following].astype(np.float64)
    next_threshold[stops == len(curve) - 1] = np.nan  # the last row has no next row
    gaps = unknown_above(curve)
    if gaps is not None:
        # Unknown counts below the stop: a typed threshold is exact at it only if equal.
        below = gaps[following] & (stops < len(curve) - 1)
        away = -np.inf if curve.rule == ">=" else np.inf
        next_threshold[below] = np.nextafter(curve.thresholds[stops][below], away)
    return {
        "row": stops.tolist(),
        "threshold": json_numbers(curve.thresholds[stops]),
        "next": json_numbers(next_threshold),
        "tp": json_numbers(curve.tp[stops]),
        "fp": json_numbers(curve.fp[stops]),
    }
