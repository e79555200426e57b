"""Building one Cutpoint per group cheaply (a thousand groups, one summary-metric list)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .._api import N_RUNNERS_UP, _version
from .._curve import ConfusionCurve
from .._cutpoint import Cutpoint, MetricValues, closed_form_references
from .._metrics import BoundMetric, get_metric, summary_metrics
from ..selection import Constraint, Selection

__all__ = ["Brief", "CutpointFactory", "LazyCutpoints", "brief_items"]


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

    def brief(self, curve: ConfusionCurve, i: int, selection: Selection | None = None) -> Brief:
        """The Brief of row ``i``: the same numbers :meth:`at_row` puts in the Cutpoint."""
        tp, fp, tn, fn = (c[0].item() for c in curve._counts_at(i))
        if selection is not None:
            score = selection.best_value
        else:
            score = float(self.objective(*curve._counts_at(i))[0])
        return Brief(
            float(curve.thresholds[i]),
            tp,
            fp,
            tn,
            fn,
            n_samples=curve.n_samples,
            score=score,
            metric=self.objective,
        )


@dataclass(frozen=True)
class Brief:
    """What a group's table row and the overall counts read from its Cutpoint: built
    without the Cutpoint (its metric list and runners-up cost about 0.3 ms a group)."""

    threshold: float
    tp: Any
    fp: Any
    tn: Any
    fn: Any
    n_samples: int
    score: float
    metric: BoundMetric
    value_by_outcome: dict[str, float] | None = None


class LazyCutpoints(Mapping[Any, Cutpoint]):
    """Group label -> Cutpoint, each built on first access (then kept).

    ``briefs`` holds what the overall counts, ``thresholds`` and the per-group table
    need, so a result of a thousand groups builds no Cutpoint until one is asked for.
    Behaves as a read-only dict otherwise.
    """

    def __init__(
        self,
        labels: Sequence[Any],
        briefs: Sequence[Brief],
        build: Callable[[int], Cutpoint],
    ) -> None:
        self.labels = tuple(labels)
        self.briefs = tuple(briefs)
        self._build = build
        self._index = {label: i for i, label in enumerate(self.labels)}
        self._built: dict[int, Cutpoint] = {}

    def __getitem__(self, label: Any) -> Cutpoint:
        i = self._index[label]
        cut = self._built.get(i)
        if cut is None:
            cut = self._built[i] = self._build(i)
        return cut

    def __contains__(self, label: object) -> bool:
        try:
            return label in self._index
        except TypeError:  # an unhashable label is no group
            return False

    def __iter__(self) -> Iterator[Any]:
        return iter(self.labels)

    def __len__(self) -> int:
        return len(self.labels)

    def __repr__(self) -> str:
        return f"LazyCutpoints({len(self)} groups, {len(self._built)} built)"

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickled (and deep-copied) as the plain dict it stands for: the builder holds
        # the input's columns, which a saved result should not carry.
        return (dict, (list(self.items()),))

    def brief_items(self) -> list[tuple[Any, Brief]]:
        """(label, Brief) per group, in order, building nothing."""
        return list(zip(self.labels, self.briefs, strict=True))


def brief_items(cutpoints: Mapping[Any, Any]) -> list[tuple[Any, Any]]:
    """(label, Brief or Cutpoint) per group: the briefs of a lazy mapping, else the
    Cutpoints themselves (both have the fields a table row reads)."""
    if isinstance(cutpoints, LazyCutpoints):
        return cutpoints.brief_items()
    return list(cutpoints.items())
