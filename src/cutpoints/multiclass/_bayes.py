"""Bayes decisions: the class with the least expected cost under a K×K cost matrix."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._validation import _to_numpy
from ..errors import InvalidParameterError
from ._metrics import check_cost_matrix
from ._validation import check_proba

__all__ = ["bayes_decisions", "expected_costs"]


def expected_costs(y_proba: Any, cost_matrix: Any, *, normalize: bool = False) -> np.ndarray:
    """The expected cost of predicting each class: ``y_proba @ cost_matrix``.

    Element ``[r, j]`` is ``Σ_i p_ri · cost_matrix[i, j]``, the expected cost of
    predicting class j for row r when its class probabilities are ``p_r``.
    """
    matrix = check_cost_matrix(cost_matrix, "cost_matrix")
    proba = check_proba(y_proba, normalize=normalize, n_classes=len(matrix))
    return proba @ matrix  # type: ignore[no-any-return]


def bayes_decisions(
    y_proba: Any,
    cost_matrix: Any,
    classes: Any = None,
    *,
    utility: bool = False,
    normalize: bool = False,
) -> np.ndarray:
    """The class with the least expected cost for each row (Bayes' decision rule).

    With calibrated probabilities this is the optimal decision for a cost matrix: no
    other rule has a lower expected total cost. Binary costs reduce to the familiar
    threshold ``p >= c_fp / (c_fp + c_fn)``.

    Parameters
    ----------
    y_proba : array-like of shape (n_samples, n_classes)
        Class probabilities (rows sum to 1), columns in the order of ``classes``.
    cost_matrix : array-like of shape (n_classes, n_classes)
        ``cost_matrix[i, j]`` is the cost of predicting class j when the true class is
        i (rows true, columns predicted, as in scikit-learn's confusion matrix). Costs
        off the diagonal must be >= 0; the diagonal may hold any finite value.
    classes : array-like of shape (n_classes,), optional
        The class of each column; by default the column indices 0 .. K-1.
    utility : bool, default=False
        The matrix holds gains instead: predict the class with the greatest expected
        gain (any finite values).
    normalize : bool, default=False
        Divide each row of ``y_proba`` by its sum first (scores that are not
        probabilities yet); otherwise rows that do not sum to 1 are an error.

    Returns
    -------
    ndarray of shape (n_samples,)
        Element r is ``classes[argmin_j Σ_i y_proba[r, i] · cost_matrix[i, j]]`` (the
        first such class when expected costs are equal in floating point).

    Examples
    --------
    >>> import cutpoints as cp
    >>> proba = [[0.95, 0.04, 0.01], [0.6, 0.3, 0.1], [0.3, 0.6, 0.1]]
    >>> costs = [[0, 1, 1], [1, 0, 1], [10, 10, 0]]  # missing class 2 costs 10
    >>> cp.bayes_decisions(proba, costs).tolist()
    [0, 2, 2]
    >>> cp.bayes_decisions(proba, costs, classes=["a", "b", "c"]).tolist()
    ['a', 'c', 'c']
    >>> import numpy as np
    >>> np.argmax(proba, axis=1).tolist()  # the plain argmax ignores the costs
    [0, 0, 1]
    """
    if utility:
        matrix = check_cost_matrix(cost_matrix, "cost_matrix", utility=True)
        proba = check_proba(y_proba, normalize=normalize, n_classes=len(matrix))
        chosen = np.argmax(proba @ matrix, axis=1)
    else:
        chosen = np.argmin(expected_costs(y_proba, cost_matrix, normalize=normalize), axis=1)
    k = np.asarray(cost_matrix).shape[0]
    if classes is None:
        return chosen  # type: ignore[no-any-return]
    labels = np.asarray(_to_numpy(classes, "classes"))
    if labels.ndim != 1 or len(labels) != k:
        msg = f"'classes' must name one class per column ({k}) (got {labels.tolist()!r:.80})"
        raise InvalidParameterError(msg)
    return labels[chosen]  # type: ignore[no-any-return]
