"""When deployment differs from validation: prevalence shift and calibration checks.

- :func:`retarget`: re-select a threshold for a new share of positives, through the
  selection kernel on the re-weighted validation curve (:mod:`._retarget`);
- :func:`estimate_prevalence`: the share of positives in new, unlabeled scores, by EM
  (Saerens et al. 2002) or adjusted classify-and-count, with a bootstrap interval
  (:mod:`._estimate`), from arrays or a :class:`ScoreSketch` streamed from a file
  (:mod:`._sketch`);
- :func:`check_calibration`: reliability diagram data, Brier score, expected calibration
  error and the gap between the empirical and the closed-form threshold
  (:mod:`._calibration`).
"""

from ._calibration import Calibration, CalibrationWarning, check_calibration
from ._estimate import PrevalenceEstimate, PrevalenceWarning, estimate_prevalence
from ._retarget import (
    RetargetWarning,
    rebase_probabilities,
    rebase_threshold,
    retarget,
    reweighted_curve,
)
from ._sketch import ScoreSketch

__all__ = [
    "Calibration",
    "CalibrationWarning",
    "PrevalenceEstimate",
    "PrevalenceWarning",
    "RetargetWarning",
    "ScoreSketch",
    "check_calibration",
    "estimate_prevalence",
    "rebase_probabilities",
    "rebase_threshold",
    "retarget",
    "reweighted_curve",
]
