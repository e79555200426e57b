"""Thresholds per group: each group's metric against the threshold, and the budget used."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np

from .._metrics import MetricLike, get_metric
from ..errors import InvalidParameterError
from ._base import check_ax, drawing_indices, import_pyplot

__all__ = ["GroupDisplay"]


class GroupDisplay:
    """Per-group panel: the metric against the threshold for every group, each group's
    chosen threshold marked, and the rows each group flags (its share of the budget).

    Every line is one group's exact curve (row 0, "flag nothing", has no x position and
    is not drawn); element i is the metric when that group flags ``score >= t_i``.

    Parameters
    ----------
    result : GroupCutpoint
        Per-group thresholds with their curves (as returned, not loaded from a file).
    metric : str, optional
        The metric to draw; by default the result's objective (for a joint objective
        such as ``tp``, each group's own value of it).

    Attributes
    ----------
    groups : list
        The group labels, in drawing order.
    thresholds, values : dict
        Group -> the drawn thresholds and metric values (numpy arrays).
    chosen : dict
        Group -> (threshold, metric value) of the chosen point.
    flagged : dict
        Group -> rows flagged at its threshold.
    lines_, points_, bars_, ax_, budget_ax_, figure_
        The matplotlib artists.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from cutpoints.plotting import GroupDisplay
    >>> y = [0, 1, 1, 0, 0, 1, 0, 1]
    >>> s = [0.1, 0.8, 0.6, 0.3, 0.2, 0.9, 0.4, 0.7]
    >>> disp = GroupDisplay.from_predictions(y, s, ["a"] * 4 + ["b"] * 4)
    >>> disp.chosen["a"], disp.flagged
    ((0.6, 1.0), {'a': 2, 'b': 2})
    """

    def __init__(self, result: Any, metric: MetricLike | None = None) -> None:
        from ..groups import GroupCutpoint

        if not isinstance(result, GroupCutpoint):
            msg = f"'result' must be a cutpoints.GroupCutpoint (got {type(result).__name__})"
            raise InvalidParameterError(msg)
        missing = [g for g, c in result.cutpoints.items() if c.curve is None]
        if missing:
            msg = (
                f"group {missing[0]!r} has no curve (a loaded result keeps thresholds "
                "only): draw the result find_cutpoint(..., groups=...) returned"
            )
            raise InvalidParameterError(msg)
        self.result = result
        self.metric = result.metric if metric is None else get_metric(metric)
        self.groups = list(result.cutpoints)
        self.thresholds: dict[Any, np.ndarray] = {}
        self.values: dict[Any, np.ndarray] = {}
        self.chosen: dict[Any, tuple[float, float]] = {}
        self.flagged: dict[Any, float] = {}
        for g, cut in result.cutpoints.items():
            curve = cut.curve
            assert curve is not None
            row = int(curve.index_at(cut.threshold))
            values = np.asarray(curve.evaluate(self.metric), dtype=np.float64)
            keep = drawing_indices(len(curve.thresholds) - 1, [row - 1]) + 1
            self.thresholds[g] = np.asarray(curve.thresholds)[keep]
            self.values[g] = values[keep]
            self.chosen[g] = (float(cut.threshold), float(values[row]))
            self.flagged[g] = cut.flagged

    @classmethod
    def from_predictions(
        cls,
        y_true: Any,
        y_score: Any,
        groups: Any,
        *,
        metric: MetricLike = "f1",
        constraints: Any = (),
        mode: str = "independent",
        sample_weight: Any = None,
        pos_label: Any = None,
        ax: Iterable[Any] | None = None,
    ) -> GroupDisplay:
        """Choose per-group thresholds (:func:`cutpoints.find_cutpoint` with ``groups``)
        and draw them."""
        from ..groups import find_group_cutpoint

        result = find_group_cutpoint(
            y_true,
            y_score,
            groups=groups,
            mode=mode,
            metric=metric,
            constraints=constraints,
            sample_weight=sample_weight,
            pos_label=pos_label,
        )
        return cls(result).plot(ax=ax)

    @classmethod
    def from_group_cutpoint(
        cls, result: Any, *, metric: MetricLike | None = None, ax: Iterable[Any] | None = None
    ) -> GroupDisplay:
        """Draw an existing :class:`~cutpoints.GroupCutpoint`."""
        return cls(result, metric).plot(ax=ax)

    def plot(self, ax: Iterable[Any] | None = None) -> GroupDisplay:
        """Draw on two Axes ``(metric_ax, budget_ax)``, or on a new figure of two panels."""
        plt = import_pyplot()
        if ax is None:
            figure, (left, right) = plt.subplots(
                1, 2, figsize=(11, 4), gridspec_kw={"width_ratios": [3, 1]}
            )
        else:
            axes = list(ax)
            if len(axes) != 2:
                msg = f"'ax' must be two matplotlib Axes: (metric, budget) (got {len(axes)})"
                raise InvalidParameterError(msg)
            left, right = check_ax(axes[0]), check_ax(axes[1])
            figure = left.figure
        self.lines_, self.points_ = [], []
        for g in self.groups:
            (line,) = left.plot(self.thresholds[g], self.values[g], label=str(g), lw=1.2)
            t, v = self.chosen[g]
            x = t if math.isfinite(t) else float(np.max(self.thresholds[g]))
            (point,) = left.plot([x], [v], "o", color=line.get_color(), ms=6)
            self.lines_.append(line)
            self.points_.append(point)
        left.set_xlabel("threshold")
        left.set_ylabel(self.metric.name)
        left.set_title(f"{self.metric.name} per group ({self.result.mode}); dots: chosen")
        left.legend(title="group", fontsize="small")
        labels = [str(g) for g in self.groups]
        self.bars_ = right.bar(labels, [self.flagged[g] for g in self.groups],
                               color=[ln.get_color() for ln in self.lines_])  # fmt: skip
        right.set_ylabel("rows flagged")
        right.set_title(f"budget used: {self.result.flagged:g} flagged")
        self.ax_, self.budget_ax_, self.figure_ = left, right, figure
        return self
