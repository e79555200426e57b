"""``CutpointClassifier`` on a multiclass target: tuned class weights on out-of-fold probabilities.

The binary estimator moves one threshold; with K classes it tunes K weights instead
(:func:`cutpoints.find_class_weights`) on the pooled out-of-fold ``predict_proba`` of
clones fitted in cross-validation, then refits on all rows. ``predict`` returns
``classes_[argmax_k w_k · p_k]``; ``predict_proba`` passes through unchanged. Needs
scikit-learn.
"""

from __future__ import annotations

import inspect
import warnings
from typing import Any

import numpy as np
from sklearn.base import clone
from sklearn.exceptions import DataConversionWarning
from sklearn.utils import _safe_indexing
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.parallel import Parallel, delayed
from sklearn.utils.validation import _check_method_params, _num_samples

from .._validation import check_weights
from ..errors import InvalidParameterError, UnknownMetricError
from ._metrics import (
    BoundMulticlassMetric,
    MulticlassMetric,
    get_multiclass_metric,
    list_multiclass_metrics,
)
from ._result import ClassWeights
from ._weights import find_class_weights

__all__ = ["fit_multiclass", "is_multiclass_target", "multiclass_metric", "predict_multiclass"]

#: Binary metric names with a multiclass counterpart (a CutpointClassifier's default
#: metric is "f1"; on a multiclass target it means macro-F1).
BINARY_COUNTERPARTS = {
    "f1": "macro_f1",
    "precision": "macro_precision",
    "recall": "balanced_accuracy",
    "youden": "balanced_accuracy",
    "kappa": "cohen_kappa",
}


def is_multiclass_target(y: Any) -> bool:
    """Whether ``y`` is a target with more than two classes (scikit-learn's rule), as a
    1-D array or a column vector. Anything doubtful is left to the binary checks, which
    word the errors (NaN, infinity, continuous or multilabel targets)."""
    if y is None:
        return False
    try:
        array = np.asarray(y)
    except (TypeError, ValueError):
        return False
    if array.ndim == 2 and array.shape[1] == 1:
        array = array[:, 0]
    if array.ndim != 1 or array.size == 0:
        return False
    if array.dtype.kind == "f" and not np.isfinite(array).all():
        return False
    try:
        return bool(type_of_target(array, input_name="y") == "multiclass")
    except ValueError:
        return False


def multiclass_metric(metric: Any) -> BoundMulticlassMetric:
    """The multiclass metric an estimator's ``metric`` names on a multiclass target."""
    if isinstance(metric, (BoundMulticlassMetric, MulticlassMetric)):
        return get_multiclass_metric(metric)
    if isinstance(metric, str):
        try:
            return get_multiclass_metric(metric)
        except UnknownMetricError:
            name = metric.strip().lower()
            if name in BINARY_COUNTERPARTS:
                return get_multiclass_metric(BINARY_COUNTERPARTS[name])
            known = ", ".join(m.name for m in list_multiclass_metrics())
            msg = (
                f"'metric' {metric!r} has no multiclass counterpart; on a multiclass "
                f"target use one of: {known} (or a function of the K×K confusion matrix)"
            )
            raise InvalidParameterError(msg) from None
    if callable(metric):
        try:
            n_args = len(inspect.signature(metric).parameters)
        except (TypeError, ValueError):
            n_args = 1
        if n_args == 1:
            return get_multiclass_metric(metric)
    msg = (
        "'metric' on a multiclass target must name a multiclass metric or be a function "
        f"f(C) of the K×K confusion matrix (got {metric!r})"
    )
    raise InvalidParameterError(msg)


def _proba_columns(model: Any, X: Any, classes: np.ndarray) -> np.ndarray:
    """``predict_proba`` with one column per class of ``classes`` (zeros for a class the
    model never saw in its fold)."""
    proba = np.asarray(model.predict_proba(X), dtype=np.float64)
    seen = np.asarray(model.classes_)
    if len(seen) == len(classes) and np.array_equal(seen, classes):
        return proba
    out = np.zeros((proba.shape[0], len(classes)))
    index = {c: i for i, c in enumerate(classes.tolist())}
    for col, c in enumerate(seen.tolist()):
        out[:, index[c]] = proba[:, col]
    return out


def _fit_fold(
    estimator: Any,
    X: Any,
    y: np.ndarray,
    train: np.ndarray,
    test: np.ndarray,
    fit_params: dict[str, Any],
    classes: np.ndarray,
    keep: bool,
) -> tuple[np.ndarray, Any]:
    """A clone fitted on ``train``: its probabilities on ``test`` (and itself if kept)."""
    model = clone(estimator)
    params = _check_method_params(X, fit_params, indices=train)
    model.fit(_safe_indexing(X, train), y[train], **params)
    return _proba_columns(model, _safe_indexing(X, test), classes), (model if keep else None)


def _check_options(clf: Any) -> BoundMulticlassMetric:
    """The options a multiclass target supports; the rest are refused by name."""
    if clf.constraints not in (None, (), []):
        msg = (
            "'constraints' bound one threshold's metrics and do not apply to a multiclass "
            f"target (got {clf.constraints!r}); tune a multiclass metric instead"
        )
        raise InvalidParameterError(msg)
    if clf.rule != ">=":
        msg = f"'rule' must be '>=' on a multiclass target (got {clf.rule!r})"
        raise InvalidParameterError(msg)
    if clf.pos_label is not None:
        msg = f"'pos_label' has no meaning on a multiclass target (got {clf.pos_label!r})"
        raise InvalidParameterError(msg)
    if clf.aggregate != "pooled":
        msg = (
            f"'aggregate' must be 'pooled' on a multiclass target (got {clf.aggregate!r}): "
            "class weights are tuned once on every out-of-fold probability"
        )
        raise InvalidParameterError(msg)
    if clf.response_method not in ("auto", "predict_proba"):
        msg = (
            "'response_method' must be 'auto' or 'predict_proba' on a multiclass target "
            f"(got {clf.response_method!r}): class weights multiply probabilities"
        )
        raise InvalidParameterError(msg)
    metric = multiclass_metric(clf.metric)
    if clf.maximize is not None and bool(clf.maximize) != metric.greater_is_better:
        msg = (
            f"'maximize' cannot flip multiclass metric '{metric.name}' (got "
            f"maximize={clf.maximize!r})"
        )
        raise InvalidParameterError(msg)
    if not hasattr(clf.estimator, "predict_proba"):
        msg = (
            f"'estimator' ({type(clf.estimator).__name__}) has no predict_proba, which "
            "class weights need on a multiclass target"
        )
        raise InvalidParameterError(msg)
    return metric


def fit_multiclass(
    clf: Any,
    X: Any,
    y: Any,
    sample_weight: Any,
    groups: Any,
    fit_params: dict[str, Any],
    *,
    resolve_splits: Any,
    fit_params_with_weight: Any,
    is_fitted: Any,
    not_fitted_error: Any,
) -> None:
    """Fit ``clf`` (a CutpointClassifier) on a multiclass target, in place.

    Sets ``estimator_``, ``class_weights_`` (a :class:`ClassWeights`), ``oof_proba_``
    and ``oof_indices_``. The binary machinery it needs (splits, fit parameters, the
    fitted check) is passed in, so this module does not reach into the estimator's.
    """
    metric = _check_options(clf)
    y = np.asarray(y)
    if y.ndim == 2:  # a column vector: scikit-learn's warning, then as 1-D
        warnings.warn(
            "A column-vector y was passed when a 1d array was expected: y has shape "
            f"{y.shape}, so it is ravelled (pass y.ravel() to silence this)",
            DataConversionWarning,
            stacklevel=4,
        )
        y = y.ravel()
    n = _num_samples(X)
    weights = None if sample_weight is None else np.asarray(check_weights(sample_weight, n))
    classes = np.unique(y)
    prefit = isinstance(clf.cv, str) and clf.cv == "prefit"
    refit = (not prefit) if clf.refit == "auto" else bool(clf.refit)
    if prefit:
        if refit:
            msg = "'refit' must be False or 'auto' when cv='prefit'; pass refit='auto'"
            raise InvalidParameterError(msg)
        if not is_fitted(clf.estimator):
            msg = (
                f"'estimator' must be fitted when cv='prefit' (got an unfitted "
                f"{type(clf.estimator).__name__})"
            )
            raise not_fitted_error(msg)
        classes = np.asarray(clf.estimator.classes_)
        proba = _proba_columns(clf.estimator, X, classes)
        rows = np.arange(n)
        model = clf.estimator
    else:
        splits = resolve_splits(clf.cv, X, y, groups, clf.random_state)
        if not refit and len(splits) > 1:
            msg = (
                f"'refit' can be False only with a single split (got cv={clf.cv!r} with "
                f"{len(splits)} folds); pass refit='auto' or a float cv"
            )
            raise InvalidParameterError(msg)
        params = fit_params_with_weight(clf.estimator, weights, fit_params)
        parts = Parallel(n_jobs=clf.n_jobs)(
            delayed(_fit_fold)(clf.estimator, X, y, train, test, params, classes, not refit)
            for train, test in splits
        )
        proba = np.concatenate([p for p, _ in parts])
        rows = np.concatenate([test for _, test in splits])
        model = parts[0][1]  # the single split's model when there is no refit
    tuned = find_class_weights(
        y[rows],
        proba,
        metric=metric,
        classes=classes,
        sample_weight=None if weights is None else weights[rows],
    )
    if not prefit and refit:  # tuned first: a tuning error costs no extra fit
        model = clone(clf.estimator).fit(X, y, **params)
    clf.estimator_ = model
    clf.class_weights_ = tuned
    clf.oof_proba_ = proba
    clf.oof_indices_ = rows


def predict_multiclass(clf: Any, X: Any) -> np.ndarray:
    """``classes_[argmax_k w_k · p_k]`` for a fitted multiclass CutpointClassifier."""
    weights: ClassWeights = clf.class_weights_
    proba = _proba_columns(clf.estimator_, X, np.asarray(weights.classes))
    return weights.predict(proba)
