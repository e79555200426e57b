"""cutpoints: turn classifier scores into decisions.

Find the threshold that is best for what you care about (a metric, a cost matrix, a
review capacity, a floor on precision), exactly, from one sort of the scores.

>>> import cutpoints as cp
>>> cut = cp.find_cutpoint([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8], metric="f1")
>>> cut.threshold, cut.score
(0.35, 0.8)

The core (this namespace's eager imports) needs only numpy. Front ends that need
optional packages (scikit-learn, matplotlib, plotly, dask) are imported on first use
through ``_LAZY`` below, so ``import cutpoints`` stays light and never fails for a
missing extra.
"""

from __future__ import annotations

import importlib as _importlib
from typing import Any as _Any

from . import errors
from ._api import confusion_curve, evaluate_threshold, find_cutpoint, select_cutpoint
from ._curve import ConfusionCurve
from ._cutpoint import Cutpoint, Guarantee, Reference
from ._metrics import (
    REQUIRED,
    BoundMetric,
    Metric,
    get_metric,
    list_metrics,
    register_metric,
    unregister_metric,
)
from .selection import Constraint

__version__ = "0.1.0"

# Subpackages with optional dependencies, imported on first attribute access
# (`cp.plotting.ROCDisplay`), so `import cutpoints` never imports matplotlib.
_LAZY_MODULES = ("datasets", "groups", "multiclass", "plotting", "shift")

# Public name -> module that defines it, imported on first attribute access.
_LAZY: dict[str, str] = {
    # scikit-learn front end (issue: meta-estimator)
    "CutpointClassifier": ".sklearn",
    "FixedCutpointClassifier": ".sklearn",
    "cross_validate": ".sklearn",
    "CrossValidationResult": ".sklearn",
    "make_scorer": ".sklearn",
    # uncertainty
    "bootstrap": ".uncertainty",
    "BootstrapResult": ".uncertainty",
    "BootstrapWarning": ".uncertainty",
    "repeat_experiments": ".uncertainty",
    "ExperimentsResult": ".uncertainty",
    "find_cutpoint_robust": ".uncertainty",
    "find_cutpoint_guaranteed": ".uncertainty",
    # reject band and multiclass decisions
    "find_reject_band": "._reject",
    "select_reject_band": "._reject",
    "evaluate_reject_band": "._reject",
    "RejectBand": "._reject",
    "chow_band": "._reject",
    "bayes_decisions": ".multiclass",
    "find_class_weights": ".multiclass",
    "ClassWeights": ".multiclass",
    # deployment differs from validation
    "retarget": ".shift",
    "estimate_prevalence": ".shift",
    "PrevalenceEstimate": ".shift",
    "PrevalenceWarning": ".shift",
    "check_calibration": ".shift",
    "Calibration": ".shift",
    "CalibrationWarning": ".shift",
    "ScoreSketch": ".shift",
    "RetargetWarning": ".shift",
    # thresholds per group (issue #12)
    "GroupCutpoint": ".groups",
    "GapConstraint": ".groups",
    "find_group_cutpoint": ".groups",
    # report
    "report": "._report",
    # files larger than memory (big-data issue)
    "scan": "._scan",
    "Scan": "._scan",
}

__all__ = [
    "REQUIRED",
    "BoundMetric",
    "ConfusionCurve",
    "Constraint",
    "Cutpoint",
    "Guarantee",
    "Metric",
    "Reference",
    "__version__",
    "confusion_curve",
    "errors",
    "evaluate_threshold",
    "find_cutpoint",
    "get_metric",
    "list_metrics",
    "register_metric",
    "select_cutpoint",
    "unregister_metric",
    *_LAZY,
]


def __getattr__(name: str) -> _Any:
    if name in _LAZY_MODULES:
        module = _importlib.import_module(f".{name}", __name__)
        globals()[name] = module
        return module
    module_name = _LAZY.get(name)
    if module_name is None:
        msg = f"module 'cutpoints' has no attribute {name!r}"
        raise AttributeError(msg)
    value = getattr(_importlib.import_module(module_name, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    # The public names only: not the helpers this module imports for itself.
    return sorted(set(__all__) | set(_LAZY_MODULES))
