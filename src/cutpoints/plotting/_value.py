"""The profit curve: total value (money) against the threshold or the flagged count."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._api import confusion_curve
from ..errors import InvalidParameterError
from ._base import check_ax, drawing_indices
from ._display import CurveDisplay

__all__ = ["ValueDisplay"]

_AXES = ("threshold", "flagged")


class ValueDisplay(CurveDisplay):
    """Total value of the decisions (per-row ``values=``) with the chosen point marked.

    Element i of the line is the total value when flagging ``score >= thresholds[i]``,
    exact from the curve's cumulative value columns (``curve.metric("value")``). Against
    the threshold, row 0 (flag nothing) has no x position; against the flagged count it
    is x = 0. Flagging nothing and flagging everything are drawn as reference lines.

    Build it with ``from_cutpoint(cut)`` (a cutpoint found with ``values=``),
    ``from_curve(curve)`` or ``from_predictions(y_true, y_score, values=...)``.

    Attributes
    ----------
    x, values : ndarray
        The x positions drawn (thresholds, or flagged counts) and the total value there.
    components : dict of str to ndarray
        With ``by_outcome=True``: each outcome's value at the same rows.
    line_ : matplotlib Line2D
    outcome_lines_ : list of matplotlib Line2D
    points_ : list of matplotlib Line2D
        One marker per marked threshold, at its exact value.
    flag_none_line_, flag_all_line_ : matplotlib Line2D
    ax_, figure_ : matplotlib Axes and Figure

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import cutpoints as cp
    >>> from cutpoints.plotting._value import ValueDisplay
    >>> y, s = [0, 0, 1, 1, 0, 1], [0.1, 0.4, 0.35, 0.8, 0.2, 0.7]
    >>> amount = [10, 20, 30, 40, 50, 60]
    >>> cut = cp.find_cutpoint(y, s, metric="value",
    ...                        values={"tp": amount, "fp": -5, "fn": [-a for a in amount]})
    >>> disp = ValueDisplay.from_cutpoint(cut, x="flagged")
    >>> disp.points_[0].get_xydata().tolist()
    [[4.0, 125.0]]
    """

    _what = "a profit curve"

    @classmethod
    def from_predictions(  # type: ignore[override]
        cls,
        y_true: Any,
        y_score: Any,
        *,
        values: Any,
        thresholds: Any = None,
        sample_weight: Any = None,
        pos_label: Any = None,
        rule: Any = ">=",
        name: str | None = None,
        ax: Any = None,
        **kwargs: Any,
    ) -> ValueDisplay:
        """Sweep ``y_true`` and ``y_score`` with per-row ``values`` and draw."""
        curve = confusion_curve(
            y_true,
            y_score,
            sample_weight=sample_weight,
            pos_label=pos_label,
            rule=rule,
            values=values,
        )
        display: ValueDisplay = cls(curve, thresholds=thresholds, name=name)._draw(ax, kwargs)
        return display

    def plot(
        self, ax: Any = None, *, x: str = "threshold", by_outcome: bool = False, **kwargs: Any
    ) -> ValueDisplay:
        """Draw the total value against ``x``.

        Parameters
        ----------
        ax : matplotlib Axes, optional
            Where to draw; a new figure if None.
        x : {'threshold', 'flagged'}, default='threshold'
            The x axis: the threshold, or the (weighted) number of flagged rows.
        by_outcome : bool, default=False
            Also draw the value of each outcome (tp, fp, fn, tn) that has one.
        **kwargs
            Passed to ``ax.plot`` for the total's line.

        Returns
        -------
        ValueDisplay
            ``self``.
        """
        if x not in _AXES:
            msg = f"'x' must be one of {list(_AXES)!r} (got {x!r})"
            raise InvalidParameterError(msg)
        curve = self.curve
        value_curve = getattr(curve, "values", None)
        if value_curve is None:
            msg = (
                "a profit curve needs per-row values: build the curve or cutpoint with "
                "values={'tp': ..., 'fp': ..., 'fn': ..., 'tn': ...}"
            )
            raise InvalidParameterError(msg)
        ax = check_ax(ax)
        total = curve.metric("value")
        first = 1 if x == "threshold" else 0  # row 0 has no threshold position
        positions = (
            curve.thresholds[1:]
            if x == "threshold"
            else np.asarray(curve.tp, dtype=np.float64) + np.asarray(curve.fp, dtype=np.float64)
        )
        self.x = positions
        self.values = total[first:]
        keep = [m.index - first for m in self.marked if m.index >= first]
        idx = drawing_indices(len(self.x), keep)
        kwargs.setdefault("label", "total value")
        if x == "threshold":
            kwargs.setdefault("drawstyle", "steps-post")
        (self.line_,) = ax.plot(self.x[idx], self.values[idx], **kwargs)
        self.components: dict[str, Any] = {}
        self.outcome_lines_ = []
        if by_outcome:
            for k, key in enumerate(value_curve.outcomes):
                self.components[key] = value_curve.outcome(key)[first:]
                (line,) = ax.plot(
                    self.x[idx],
                    self.components[key][idx],
                    lw=1,
                    alpha=0.7,
                    color=f"C{k + 4}",
                    label=f"value of {key}",
                )
                self.outcome_lines_.append(line)
        self.flag_none_line_ = ax.axhline(
            total[0], color="0.55", ls="--", lw=1, label="flag nothing"
        )
        self.flag_all_line_ = ax.axhline(
            total[-1], color="0.55", ls=":", lw=1, label="flag everything"
        )
        self.points_ = []
        for k, mark in enumerate(self.marked):
            if mark.index < first:  # flag nothing, against the threshold: its line shows it
                continue
            (point,) = ax.plot(
                [mark.threshold if x == "threshold" else positions[mark.index]],
                [total[mark.index]],
                marker="o" if k == 0 else "s",
                markersize=8,
                linestyle="none",
                color=f"C{k + 1}",
                label=f"{mark.label}: {total[mark.index]:.6g}",
                zorder=3,
            )
            self.points_.append(point)
        rule = curve.rule
        ax.set(
            xlabel=f"Threshold (flag if score {'≥' if rule == '>=' else '≤'} t)"
            if x == "threshold"
            else "Rows flagged",
            ylabel="Total value",
        )
        if self.name:
            ax.set_title(self.name)
        ax.legend(loc="best", fontsize="small")
        self._set_axes(ax)
        return self
