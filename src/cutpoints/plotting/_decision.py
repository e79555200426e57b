"""Decision curve: net benefit against the threshold probability (Vickers & Elkin 2006)."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from ..errors import InvalidInputError, InvalidParameterError
from ._base import check_ax
from ._display import CurveDisplay

__all__ = ["DecisionCurveDisplay"]


def _net_benefit(tp: Any, fp: Any, n: float, pt: Any) -> npt.NDArray[np.float64]:
    pt = np.asarray(pt, dtype=np.float64)
    out: npt.NDArray[np.float64] = (
        np.asarray(tp, dtype=np.float64) - np.asarray(fp, dtype=np.float64) * pt / (1 - pt)
    ) / n
    return out


class DecisionCurveDisplay(CurveDisplay):
    """Net benefit of flagging ``score >= pt`` against the threshold probability ``pt``.

    For each ``pt`` the counts are the exact curve's row for threshold ``pt``
    (:meth:`~cutpoints.ConfusionCurve.index_at`), and the net benefit is
    ``tp/n − fp/n · pt/(1 − pt)``. The references are *treat all*
    (``P/n − N/n · pt/(1 − pt)``) and *treat none* (0). Scores must be probabilities
    in [0, 1].

    Parameters
    ----------
    curve : ConfusionCurve
        The exact curve (rule ``">="``).
    thresholds : float or list of float, optional
        Threshold probabilities to mark.
    cutpoint : Cutpoint, optional
        A chosen cutpoint, marked first.
    name : str, optional
        Legend name of the model.

    Attributes
    ----------
    pt : ndarray of shape (n_points,)
        The threshold probabilities drawn.
    net_benefit, treat_all : ndarray of shape (n_points,)
        The model's net benefit and that of flagging everyone, at ``pt``.
    line_, treat_all_line_, treat_none_line_ : matplotlib Line2D
    points_ : list of matplotlib Line2D
        One marker per marked threshold in (0, 1), at (t, net benefit at t).
    ax_, figure_ : matplotlib Axes and Figure

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from cutpoints.plotting import DecisionCurveDisplay
    >>> y, s = [0, 0, 1, 1, 0, 1], [0.1, 0.4, 0.35, 0.8, 0.2, 0.7]
    >>> disp = DecisionCurveDisplay.from_predictions(y, s, pt=[0.25, 0.5])
    >>> disp.net_benefit.round(4).tolist()
    [0.4444, 0.3333]
    >>> disp.treat_all.round(4).tolist()
    [0.3333, 0.0]
    """

    _what = "a decision curve"

    def plot(
        self,
        ax: Any = None,
        *,
        pt: Any = None,
        treat_all: bool = True,
        treat_none: bool = True,
        **kwargs: Any,
    ) -> DecisionCurveDisplay:
        """Draw the decision curve.

        Parameters
        ----------
        ax : matplotlib Axes, optional
            Where to draw; a new figure if None.
        pt : array-like of float in (0, 1), optional
            Threshold probabilities; ``0.01, 0.02, ..., 0.99`` by default.
        treat_all, treat_none : bool, default=True
            Draw the reference strategies.
        **kwargs
            Passed to ``ax.plot`` for the model's curve.

        Returns
        -------
        DecisionCurveDisplay
            ``self``.
        """
        curve = self.curve
        if curve.rule != ">=":
            msg = "a decision curve needs rule='>=' (higher score = higher probability)"
            raise InvalidParameterError(msg)
        observed = curve.thresholds[1:]
        if len(observed) and (observed.min() < 0 or observed.max() > 1):
            msg = (
                "'y_score' must be probabilities in [0, 1] for a decision curve (got "
                f"scores from {observed.min():.4g} to {observed.max():.4g})"
            )
            raise InvalidInputError(msg)
        grid = np.arange(1, 100) / 100 if pt is None else np.asarray(pt, dtype=np.float64)
        if grid.ndim != 1 or not len(grid) or not np.all((grid > 0) & (grid < 1)):
            msg = f"'pt' must be a non-empty 1-D array of values in (0, 1) (got {pt!r})"
            raise InvalidParameterError(msg)
        ax = check_ax(ax)
        n = float(curve.n_total)
        rows = np.array([curve.index_at(p) for p in grid], dtype=np.intp)
        self.pt = grid
        self.net_benefit = _net_benefit(curve.tp[rows], curve.fp[rows], n, grid)
        self.treat_all = _net_benefit(curve.n_positive, curve.n_negative, n, grid)
        kwargs.setdefault("label", self.name or "model")
        (self.line_,) = ax.plot(grid, self.net_benefit, **kwargs)
        self.treat_all_line_ = self.treat_none_line_ = None
        if treat_all:
            (self.treat_all_line_,) = ax.plot(
                grid, self.treat_all, color="0.45", lw=1, ls="--", label="treat all"
            )
        if treat_none:
            self.treat_none_line_ = ax.axhline(0.0, color="0.2", lw=1, ls=":", label="treat none")
        self.points_ = []
        for k, mark in enumerate(self.marked):
            if not 0 < mark.threshold < 1:
                continue
            value = _net_benefit(curve.tp[mark.index], curve.fp[mark.index], n, mark.threshold)
            (point,) = ax.plot(
                [mark.threshold],
                [float(value)],
                marker="o" if k == 0 else "s",
                markersize=8,
                linestyle="none",
                color=f"C{k + 1}",
                label=mark.label,
                zorder=3,
            )
            self.points_.append(point)
        top = max(curve.prevalence, float(np.nanmax(self.net_benefit)))
        ax.set_ylim(-0.25 * top, 1.15 * top)
        ax.set_xlim(grid.min(), grid.max())
        ax.set(xlabel="Threshold probability pt", ylabel="Net benefit")
        ax.legend(loc="best", fontsize="small")
        self._set_axes(ax)
        return self
