"""Plots of cutpoints results, in the scikit-learn "Display" style (needs matplotlib).

Every display draws views of one exact :class:`~cutpoints.ConfusionCurve` and is built
in one of four ways: ``from_predictions(y_true, y_score)``, ``from_cutpoint(cut)`` (the
curve the cutpoint was chosen from, its threshold marked), ``from_estimator(clf, X,
y)`` and ``from_curve(curve)``. Each returns the display, with the matplotlib artists
as attributes ending in ``_`` (``line_``, ``points_``, ``ax_``, ``figure_``) and the
drawn numbers as plain attributes. Nothing calls ``plt.show()``.

matplotlib is imported when a plot is drawn; without it the display raises
ImportError with ``pip install "cutpoints[plot]"``.
"""

from __future__ import annotations

from ._base import INSTALL_HINT, MAX_POINTS
from ._calibration import ReliabilityDisplay
from ._confusion import ConfusionMatrixDisplay
from ._cost import CostDisplay
from ._decision import DecisionCurveDisplay
from ._display import CurveDisplay
from ._distribution import ScoreDistributionDisplay
from ._groups import GroupDisplay
from ._metrics_vs_threshold import MetricsDisplay
from ._pr import PrecisionRecallDisplay
from ._roc import ROCDisplay
from ._summary import plot_summary
from ._value import ValueDisplay

__all__ = [
    "INSTALL_HINT",
    "MAX_POINTS",
    "ConfusionMatrixDisplay",
    "CostDisplay",
    "CurveDisplay",
    "DecisionCurveDisplay",
    "GroupDisplay",
    "MetricsDisplay",
    "PrecisionRecallDisplay",
    "ROCDisplay",
    "ReliabilityDisplay",
    "ScoreDistributionDisplay",
    "ValueDisplay",
    "plot_summary",
]
