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

import importlib
from typing import Any

from . import errors
from ._api import confusion_curve, evaluate_threshold, find_cutpoint, select_cutpoint
from ._constraints import Constraint
from ._curve import ConfusionCurve
from ._cutpoint import Cutpoint, Reference
from ._metrics import (
    REQUIRED,
    BoundMetric,
    Metric,
    get_metric,
    list_metrics,
    register_metric,
    unregister_metric,
)

__version__ = "0.1.0"

# Subpackages with optional dependencies, imported on first attribute access
# (`cp.plotting.ROCDisplay`), so `import cutpoints` never imports matplotlib.
_LAZY_MODULES = ("datasets", "plotting")

# Public name -> module that defines it, imported on first attribute access.
_LAZY: dict[str, str] = {
    # scikit-learn front end (issue: meta-estimator)
    "CutpointClassifier": "._estimator",
    "FixedCutpointClassifier": "._estimator",
    "cross_validate": "._model_selection",
    "CrossValidationResult": "._model_selection",
    "make_scorer": "._model_selection",
    # uncertainty
    "bootstrap": "._bootstrap",
    "BootstrapResult": "._bootstrap",
    "BootstrapWarning": "._bootstrap",
    "repeat_experiments": "._experiments",
    "ExperimentsResult": "._experiments",
    "find_cutpoint_robust": "._bootstrap",
    "find_cutpoint_guaranteed": "._guarantees",
    "GuaranteedCutpoint": "._guarantees",
    # report
    "report": "._report",
}

__all__ = [
    "REQUIRED",
    "BoundMetric",
    "ConfusionCurve",
    "Constraint",
    "Cutpoint",
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


def __getattr__(name: str) -> Any:
    if name in _LAZY_MODULES:
        module = importlib.import_module(f".{name}", __name__)
        globals()[name] = module
        return module
    module_name = _LAZY.get(name)
    if module_name is None:
        msg = f"module 'cutpoints' has no attribute {name!r}"
        raise AttributeError(msg)
    value = getattr(importlib.import_module(module_name, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY) | set(_LAZY_MODULES))
