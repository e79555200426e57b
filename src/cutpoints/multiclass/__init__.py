"""Multiclass decisions: Bayes decisions from a cost matrix, and tuned per-class weights.

- :func:`bayes_decisions` predicts the class with the least expected cost under a K×K
  cost matrix (rows true, columns predicted): the optimal rule for calibrated
  probabilities.
- :func:`find_class_weights` tunes per-class weights (decide ``argmax_k w_k · p_k``) to
  maximize a metric of the K×K confusion matrix (macro-F1, balanced accuracy, a cost
  matrix, or your own), by coordinate ascent with an exact sweep per step. The result,
  :class:`ClassWeights`, predicts, saves to JSON, and carries the one-vs-rest binary
  cutpoints of each class for comparison.
- The multiclass metrics are their own catalog, with the binary catalog's conventions:
  :func:`get_multiclass_metric`, :func:`list_multiclass_metrics`,
  :func:`register_multiclass_metric`.

Needs only numpy. ``CutpointClassifier`` uses it for multiclass targets.
"""

from ._bayes import bayes_decisions, expected_costs
from ._metrics import (
    BoundMulticlassMetric,
    MulticlassMetric,
    check_cost_matrix,
    get_multiclass_metric,
    list_multiclass_metrics,
    register_multiclass_metric,
    unregister_multiclass_metric,
)
from ._result import ClassWeights, OneVsRest
from ._weights import confusion_matrix, find_class_weights

__all__ = [
    "BoundMulticlassMetric",
    "ClassWeights",
    "MulticlassMetric",
    "OneVsRest",
    "bayes_decisions",
    "check_cost_matrix",
    "confusion_matrix",
    "expected_costs",
    "find_class_weights",
    "get_multiclass_metric",
    "list_multiclass_metrics",
    "register_multiclass_metric",
    "unregister_multiclass_metric",
]
