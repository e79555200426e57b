"""One figure with the four views a report or the CLI needs."""

from __future__ import annotations

import os
from typing import Any

from .._cutpoint import Cutpoint
from .._files import atomic_path
from ._base import curve_of, import_pyplot
from ._confusion import ConfusionMatrixDisplay
from ._metrics_vs_threshold import MetricsDisplay
from ._pr import PrecisionRecallDisplay
from ._roc import ROCDisplay

__all__ = ["plot_summary"]


def plot_summary(
    cutpoint: Cutpoint,
    path: str | os.PathLike[str] | None = None,
    *,
    compare_to: float | None = None,
    dpi: float = 100,
) -> Any:
    """A 2x2 figure of a cutpoint: ROC, precision-recall, metrics by threshold, matrix.

    Parameters
    ----------
    cutpoint : Cutpoint
        A cutpoint with its curve (as returned by :func:`cutpoints.find_cutpoint`).
    path : str or path-like, optional
        Save the figure there too (the format follows the suffix: ``.png``, ``.svg``,
        ``.pdf``).
    compare_to : float, optional
        A second threshold (e.g. the default ``0.5``) to mark on the curves. The
        confusion matrix is always the cutpoint's.
    dpi : float, default=100
        Resolution when saving.

    Returns
    -------
    matplotlib.figure.Figure
        The figure (not shown; close it with ``plt.close(fig)`` when done).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import cutpoints as cp
    >>> from cutpoints.plotting import plot_summary
    >>> cut = cp.find_cutpoint([0, 0, 1, 1, 0, 1], [0.1, 0.4, 0.35, 0.8, 0.2, 0.7])
    >>> fig = plot_summary(cut)
    >>> len(fig.axes) >= 4
    True
    """
    curve_of(cutpoint)
    plt = import_pyplot()
    fig, axes = plt.subplots(2, 2, figsize=(11, 9.5), layout="constrained")
    extra = None if compare_to is None else [compare_to]
    ROCDisplay.from_cutpoint(cutpoint, thresholds=extra, ax=axes[0, 0])
    PrecisionRecallDisplay.from_cutpoint(cutpoint, thresholds=extra, ax=axes[0, 1])
    MetricsDisplay.from_cutpoint(cutpoint, thresholds=extra, ax=axes[1, 0])
    ConfusionMatrixDisplay.from_cutpoint(cutpoint, ax=axes[1, 1])
    axes[0, 0].set_title("ROC curve")
    axes[0, 1].set_title("Precision-recall curve")
    axes[1, 0].set_title("Metrics by threshold")
    fig.suptitle(
        str(cutpoint.metric) + f" = {cutpoint.score:.4g} at threshold {cutpoint.threshold!r}"
    )
    if path is not None:
        # Whole or not at all: render to a temporary file, then rename over ``path``.
        # The format comes from path's extension (the temporary name has none).
        suffix = os.path.splitext(os.fspath(path))[1].lstrip(".").lower() or None
        with atomic_path(path) as tmp:
            fig.savefig(tmp, dpi=dpi, format=suffix)
    return fig
