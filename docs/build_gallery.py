"""Build the images of docs/gallery.md from the demo data.

Run from the repository root::

    python docs/build_gallery.py

It writes one PNG per display into ``docs/images/`` (dpi 90, to keep the repository
small). Needs the ``demo`` extra (scikit-learn, matplotlib).
"""

from __future__ import annotations

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np

import cutpoints as cp
from cutpoints.datasets import load_demo
from cutpoints.plotting import (
    ConfusionMatrixDisplay,
    CostDisplay,
    DecisionCurveDisplay,
    MetricsDisplay,
    PrecisionRecallDisplay,
    ROCDisplay,
    ScoreDistributionDisplay,
    plot_summary,
)

OUT = Path(__file__).resolve().parent / "images"
DPI = 90


def _bands(y: np.ndarray, s: np.ndarray) -> object:
    """Bootstrap percentile bands in the tidy format of ``bootstrap(...).bands()``."""
    grid = np.linspace(0.01, 0.6, 60)
    return cp.bootstrap(y, s, metric="f1", n_resamples=300, random_state=0).bands(grid=grid)


def save(display_or_fig: object, name: str) -> None:
    fig = getattr(display_or_fig, "figure_", display_or_fig)
    path = OUT / name
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    print(f"wrote {path.relative_to(OUT.parent.parent)}")


def main() -> int:
    OUT.mkdir(exist_ok=True)
    demo = load_demo()
    y, s = demo.y_test, demo.y_score
    cut = cp.find_cutpoint(y, s, metric="f1")
    cost_cut = cp.find_cutpoint(y, s, metric="cost(fp=1, fn=10)")
    capped = cp.find_cutpoint(y, s, metric="recall", constraints="flagged <= 60")

    fig, ax = plt.subplots(figsize=(5.5, 5.5), layout="constrained")
    ROCDisplay.from_cutpoint(cost_cut, thresholds=0.5, iso_cost=(1, 10), ax=ax, name="logistic")
    save(fig, "roc.png")

    fig, ax = plt.subplots(figsize=(6, 5), layout="constrained")
    PrecisionRecallDisplay.from_cutpoint(cut, thresholds=0.5, ax=ax, name="logistic")
    save(fig, "precision_recall.png")

    fig, ax = plt.subplots(figsize=(7.5, 4.5), layout="constrained")
    MetricsDisplay.from_cutpoint(
        capped, thresholds=cut.threshold, metrics=["precision", "recall", "f1"], ax=ax
    )
    ax.set_xlim(0, 0.6)
    save(fig, "metrics.png")

    fig, ax = plt.subplots(figsize=(7.5, 4.5), layout="constrained")
    MetricsDisplay.from_cutpoint(
        cut, metrics=["precision", "recall", "f1"], bands=_bands(y, s), ax=ax
    )
    ax.set_xlim(0, 0.6)
    save(fig, "metrics_bands.png")

    disp = ConfusionMatrixDisplay.from_cutpoint(cut, thresholds=0.5, mode="side_by_side")
    save(disp, "confusion_side_by_side.png")

    fig, ax = plt.subplots(figsize=(4.8, 4.2), layout="constrained")
    ConfusionMatrixDisplay.from_predictions(
        y, s, thresholds=[0.5, cut.threshold], mode="difference", ax=ax, colorbar=True
    )
    save(fig, "confusion_difference.png")

    fig, ax = plt.subplots(figsize=(7, 4.5), layout="constrained")
    CostDisplay.from_cutpoint(cost_cut, thresholds=0.5, ax=ax)
    ax.set_xlim(0, 0.8)
    ax.set_ylim(0, 600)  # flagging everything costs 4,950: off the scale
    save(fig, "cost.png")

    fig, ax = plt.subplots(figsize=(7, 4.5), layout="constrained")
    DecisionCurveDisplay.from_cutpoint(
        cost_cut, pt=np.linspace(0.005, 0.5, 100), ax=ax, name="logistic"
    )
    save(fig, "decision_curve.png")

    fig, ax = plt.subplots(figsize=(7, 4.5), layout="constrained")
    ScoreDistributionDisplay.from_cutpoint(cut, thresholds=0.5, bins=40, log=True, ax=ax)
    save(fig, "score_distribution.png")

    fig = plot_summary(cut, compare_to=0.5)
    save(fig, "summary.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
