"""Uncertainty: how much a chosen threshold, and the metrics at it, would move.

- :func:`bootstrap` / :class:`BootstrapResult`: resample the scored rows (re-weighting
  one sorted curve, never re-sorting) and choose on every resample with the selection
  kernel of :func:`cutpoints.find_cutpoint`;
- :func:`find_cutpoint_robust`: choose by a lower confidence bound of the metric;
- :func:`repeat_experiments` / :class:`ExperimentsResult`: refit the model on many
  random splits and compare the test-set curves;
- :func:`find_cutpoint_guaranteed`: a threshold certified to meet a bound on new data
  (Clopper–Pearson bounds, fixed-sequence testing).

Rooms: ``_resample`` (the reweighting engine: plan, draws, out-of-bag), ``_intervals``
(percentiles, bands, BCa), ``_result`` (:class:`BootstrapResult`), ``_bootstrap`` (the
entry point), ``_streaming`` (Poisson resamples counted in streaming passes: scans and
``method="poisson"``), ``_robust`` (the lower-bound choice), ``_experiments``,
``_guarantees``, ``_progress``.
"""

from ._bootstrap import BootstrapWarning, bootstrap
from ._experiments import ExperimentsResult, repeat_experiments
from ._guarantees import clopper_pearson, find_cutpoint_guaranteed
from ._intervals import percentile_bands
from ._result import BootstrapResult
from ._robust import find_cutpoint_robust

__all__ = [
    "BootstrapResult",
    "BootstrapWarning",
    "ExperimentsResult",
    "bootstrap",
    "clopper_pearson",
    "find_cutpoint_guaranteed",
    "find_cutpoint_robust",
    "percentile_bands",
    "repeat_experiments",
]
