"""Building one Cutpoint per group cheaply (a thousand groups, one summary-metric list)."""

from __future__ import annotations

from collections.abc import Sequence

from .._api import N_RUNNERS_UP, _version
from .._curve import ConfusionCurve
from .._cutpoint import Cutpoint, MetricValues, closed_form_references
from .._metrics import BoundMetric, get_metric, summary_metrics
from ..selection import Constraint, Selection

__all__ = ["CutpointFactory"]


class CutpointFactory:
    """Makes the Cutpoint of a group's chosen row, as ``cutpoint_at_row`` does.

    ``summary_metrics()`` rebuilds the catalog's list on every call (3 ms); a grouped
    result makes one Cutpoint per group, so the list is built once here.
    """

    def __init__(self, objective: BoundMetric, constraints: Sequence[Constraint]) -> None:
        self.objective = objective
        self.constraints = tuple(constraints)
        self.metrics = [*summary_metrics(), objective, *(c.metric for c in constraints)]
        self.value_metric = get_metric("value")
        self.version = _version()

    def at_row(
        self,
        curve: ConfusionCurve,
        i: int,
        *,
        maximize: bool,
        ties: str,
        selection: Selection | None = None,
    ) -> Cutpoint:
        """The Cutpoint at row ``i`` (with the selection's ties and runners-up if given)."""
        counts = curve._counts_at(i)
        values = curve.values
        # With per-row values the Cutpoint carries the value column at its row (for
        # "value" in its metrics, and in the score) and the value of each outcome.
        columns = {} if values is None else {"value": values[i : i + 1]}
        metrics = self.metrics if values is None else [self.value_metric, *self.metrics]
        threshold = float(curve.thresholds[i])
        if selection is not None:
            score = selection.best_value
            thresholds = curve.thresholds
            optimal = tuple(float(t) for t in thresholds[selection.optimal_indices])
            runners = tuple(
                (float(thresholds[j]), selection.value_at(int(j)))
                for j in selection.ranked(N_RUNNERS_UP)
            )
            references = (
                tuple(closed_form_references(self.objective, score))
                if curve.probability_like
                else ()
            )
        else:
            at_row = {k: columns[k] for k in self.objective.columns if k in columns}
            score = float(self.objective(*counts, **at_row)[0])
            optimal, runners, references = (threshold,), (), ()
        return Cutpoint(
            threshold=threshold,
            score=score,
            metric=self.objective,
            maximize=maximize,
            optimal_thresholds=optimal,
            ties=ties,
            constraints=self.constraints if selection is not None else (),
            tp=counts[0][0].item(),
            fp=counts[1][0].item(),
            tn=counts[2][0].item(),
            fn=counts[3][0].item(),
            metrics=MetricValues(metrics, counts, columns),
            value_by_outcome=None if values is None else values.split(i),
            references=references,
            runners_up=runners,
            version=self.version,
            **curve.provenance(),
        )
