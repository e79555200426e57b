"""What people are shown first: the one list of key metrics, and its order.

Every front end that shows a handful of metrics at a threshold (the command line, the
HTML report, the estimator's ``cv_results_``, printed summaries) takes them from here,
so they agree. The full catalog at a threshold is :func:`cutpoints._metrics.summary_metrics`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ._metrics import BoundMetric, get_metric

__all__ = ["KEY_METRICS", "shown_metrics"]

#: The metrics shown first at a threshold, in this order.
KEY_METRICS: tuple[str, ...] = (
    "precision",
    "recall",
    "specificity",
    "f1",
    "gmean",
    "youden",
    "mcc",
    "balanced_accuracy",
    "accuracy",
    "flag_rate",
)


def shown_metrics(
    objective: BoundMetric | None = None,
    constraints: Iterable[Any] = (),
    *,
    key: Iterable[str] = KEY_METRICS,
) -> list[BoundMetric]:
    """The objective, then each constrained metric, then the key metrics; no repeats.

    Parameters
    ----------
    objective : BoundMetric, optional
        Shown first.
    constraints : iterable of Constraint
        Their metrics are shown next.
    key : iterable of str, default=KEY_METRICS
        The rest (a front end may pass a subset of :data:`KEY_METRICS`).
    """
    out: list[BoundMetric] = []
    seen: set[str] = set()
    head = [] if objective is None else [objective]
    for m in [*head, *(c.metric for c in constraints), *map(get_metric, key)]:
        if m.name not in seen:
            seen.add(m.name)
            out.append(m)
    return out
