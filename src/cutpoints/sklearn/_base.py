"""What both estimators share: the target check, fit parameters, delegation, labels.

The scoring of a model (response method, ``pos_label`` column, sign of a decision
function) is :mod:`cutpoints._responses`; the label semantics are
:func:`cutpoints._validation.check_target`. This module adds only what the estimator
contract needs on top of them.
"""

from __future__ import annotations

import warnings
from typing import Any, Literal, NamedTuple

import numpy as np
import numpy.typing as npt

try:
    from sklearn.base import BaseEstimator, ClassifierMixin, MetaEstimatorMixin
    from sklearn.exceptions import DataConversionWarning
    from sklearn.exceptions import NotFittedError as SklearnNotFittedError
    from sklearn.utils import get_tags
    from sklearn.utils.metaestimators import available_if
    from sklearn.utils.multiclass import type_of_target
    from sklearn.utils.validation import check_is_fitted, has_fit_parameter
except ImportError as exc:  # pragma: no cover - exercised without scikit-learn
    msg = 'the scikit-learn front end needs scikit-learn: pip install "cutpoints[sklearn]"'
    raise ImportError(msg) from exc

from .._responses import TunedParts, positive_scores
from .._validation import check_choice, check_target
from ..errors import InvalidLabelsError
from ..errors import NotFittedError as CutpointsNotFittedError

__all__ = [
    "RULES",
    "BaseCutpointClassifier",
    "NotFittedError",
    "Target",
    "check_binary_target",
    "estimator_name",
    "fit_params_with_weight",
    "flag",
    "is_fitted",
]

ResponseMethod = Literal["auto", "predict_proba", "decision_function", "predict"]
Rule = Literal[">=", "<="]
RULES: tuple[str, ...] = (">=", "<=")


def estimator_name(estimator: Any) -> str:
    return type(estimator).__name__


class NotFittedError(CutpointsNotFittedError, SklearnNotFittedError):  # type: ignore[misc]
    """An estimator used before it is fitted (or with an unfitted ``cv='prefit'`` model).

    Both :class:`cutpoints.errors.NotFittedError` and scikit-learn's
    ``sklearn.exceptions.NotFittedError`` (so also ``ValueError`` and
    ``AttributeError``): code written for scikit-learn's threshold classifiers catches
    it unchanged.
    """


def not_fitted(estimator: Any) -> NotFittedError:
    """scikit-learn's message for an estimator used before ``fit``."""
    msg = (
        f"This {estimator_name(estimator)} instance is not fitted yet. Call 'fit' with "
        "appropriate arguments before using this estimator."
    )
    return NotFittedError(msg)


class Target(NamedTuple):
    """A validated binary target: the labels as an array, its two classes, pos_label."""

    y: np.ndarray
    classes: np.ndarray
    pos_label: Any


def _only_binary(kind: str, shape: tuple[int, ...], detail: str) -> InvalidLabelsError:
    # scikit-learn's check_classifier_not_supporting_multiclass matches the first sentence.
    msg = (
        f"Only binary classification is supported: 'y' must have two classes to tune one "
        f"threshold (got a {kind} target of shape {shape}{detail}). For multiclass "
        "decisions, threshold each class one-vs-rest (sklearn.multiclass."
        "OneVsRestClassifier with a CutpointClassifier per class), or decide with a cost "
        "matrix on predict_proba."
    )
    return InvalidLabelsError(msg)


def check_binary_target(y: Any, pos_label: Any) -> Target:
    """Validate ``y`` for a binary threshold, with scikit-learn's error contract.

    The label semantics (NaN or missing labels, mixed types, ``pos_label`` among the
    values) are :func:`cutpoints._validation.check_target`'s. This layer adds what the
    estimator checks expect: the ``y is None`` message, a warning (not an error) for a
    column vector, ``type_of_target``'s kinds ("Unknown label type" for a continuous
    target, "Only binary classification is supported" for multiclass and multilabel
    ones, with the shape), two classes to tune on, and scikit-learn's default positive
    class: ``classes[1]``, the greater label (1, True, 'yes' for {'no', 'yes'}).
    """
    if y is None:
        msg = "'y' is required: this estimator requires y to be passed, but the target y is None"
        raise InvalidLabelsError(msg)
    y_array = np.asarray(y)
    if y_array.ndim == 2 and y_array.shape[1] == 1:
        warnings.warn(
            "A column-vector y was passed when a 1d array was expected: y has shape "
            f"{y_array.shape}, so it is ravelled (pass y.ravel() to silence this)",
            DataConversionWarning,
            stacklevel=3,
        )
        y_array = y_array.ravel()
    if y_array.ndim != 1:
        kind = type_of_target(y_array, input_name="y") if y_array.ndim == 2 else "multi-dim"
        raise _only_binary(kind, y_array.shape, "")
    if y_array.dtype.kind == "f" and not np.isfinite(y_array.min() + y_array.max()):
        check_target(y_array, pos_label, "y")  # its message names the first NaN or inf
    kind = type_of_target(y_array, input_name="y")
    if kind == "multiclass":
        classes = np.unique(y_array)
        shown = ", ".join(repr(c) for c in classes[:6].tolist())
        more = ", ..." if len(classes) > 6 else ""
        raise _only_binary(kind, y_array.shape, f" with {len(classes)} classes: {shown}{more}")
    if kind != "binary":
        msg = (
            f"Unknown label type: {kind!r}. 'y' must hold two class labels to tune a "
            f"threshold (got {kind} values). For a continuous target, threshold it first "
            "(e.g. y = value >= cutoff) or use a regressor."
        )
        raise InvalidLabelsError(msg)
    classes = np.unique(y_array)
    if len(classes) < 2:
        msg = (
            f"'y' must have two classes to tune a threshold (got only one class, "
            f"{classes.tolist()!r})"
        )
        raise InvalidLabelsError(msg)
    positive = classes[1] if pos_label is None else pos_label
    target = check_target(y_array, positive, "y")
    return Target(y_array, classes, target.positive_label)


def is_fitted(estimator: Any) -> bool:
    """Whether scikit-learn considers ``estimator`` fitted (False for a non-estimator)."""
    try:
        check_is_fitted(estimator)
    except SklearnNotFittedError:
        return False
    except TypeError:  # not an estimator at all; let the caller's checks say so
        return False
    return True


def fit_params_with_weight(
    estimator: Any, sample_weight: np.ndarray | None, fit_params: dict[str, Any]
) -> dict[str, Any]:
    """Add ``sample_weight`` to the fit parameters when the estimator accepts it.

    When it does not, warn once: the weights are then used for tuning only.
    """
    params = dict(fit_params)
    if sample_weight is None:
        return params
    if has_fit_parameter(estimator, "sample_weight"):
        params["sample_weight"] = sample_weight
    else:
        warnings.warn(
            f"'estimator' ({estimator_name(estimator)}) does not accept sample_weight in "
            "fit; the weights are used to tune the threshold only",
            UserWarning,
            stacklevel=3,
        )
    return params


def flag(scores: npt.NDArray[np.float64], threshold: float, rule: str) -> npt.NDArray[np.bool_]:
    """The decision rule: ``score >= threshold`` (or ``<=``)."""
    return scores >= threshold if rule == ">=" else scores <= threshold


def check_rule(rule: Any) -> str:
    return str(check_choice(rule, "rule", RULES))


def _estimator_has(attr: str) -> Any:
    def check(self: Any) -> bool:
        fitted = getattr(self, "estimator_", None)
        if fitted is not None:
            return hasattr(fitted, attr)
        return hasattr(self.estimator, attr)

    return check


class BaseCutpointClassifier(ClassifierMixin, MetaEstimatorMixin, BaseEstimator):  # type: ignore[misc]
    """Shared plumbing: delegation of prediction methods, labels, tags, tuned parts.

    Subclasses implement ``__cutpoints_tuned__`` (the :class:`cutpoints._responses.
    ThresholdModel` protocol, which raises NotFittedError before fit); ``predict``
    applies its threshold and rule to :func:`cutpoints._responses.positive_scores`.
    """

    estimator: Any
    response_method: ResponseMethod
    pos_label: Any

    def __cutpoints_tuned__(self) -> TunedParts:
        raise NotImplementedError  # pragma: no cover - every subclass defines it

    def _final_estimator(self) -> Any:
        return self.__cutpoints_tuned__().estimator

    @property
    def classes_(self) -> np.ndarray:
        """The class labels, from the fitted estimator."""
        estimator = getattr(self, "estimator_", None)
        if estimator is None:
            msg = f"{type(self).__name__} has no classes_ before fit"
            raise AttributeError(msg)
        return np.asarray(estimator.classes_)

    @property
    def n_features_in_(self) -> int:
        """Number of features seen by the fitted estimator."""
        estimator = getattr(self, "estimator_", None)
        if estimator is None or not hasattr(estimator, "n_features_in_"):
            msg = f"{type(self).__name__} has no n_features_in_ before fit"
            raise AttributeError(msg)
        return int(estimator.n_features_in_)

    @property
    def feature_names_in_(self) -> np.ndarray:
        """Feature names seen by the fitted estimator (when X had string column names)."""
        estimator = getattr(self, "estimator_", None)
        if estimator is None or not hasattr(estimator, "feature_names_in_"):
            msg = f"{type(self).__name__} has no feature_names_in_"
            raise AttributeError(msg)
        return np.asarray(estimator.feature_names_in_)

    def predict(self, X: Any) -> np.ndarray:
        """Class labels: the positive class iff the estimator's score passes the threshold.

        Parameters
        ----------
        X : {array-like, sparse matrix, DataFrame} of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,)
            Element i is the positive class if ``score[i] >= threshold_`` (``<=`` with
            ``rule='<='``), else the other class (labels as in ``classes_``).
        """
        parts = self.__cutpoints_tuned__()
        scores = positive_scores(
            parts.estimator, X, response_method=parts.response_method, pos_label=parts.pos_label
        )
        classes = np.asarray(parts.estimator.classes_)
        pos_index = int(np.flatnonzero(classes == parts.pos_label)[0])
        flags = flag(scores, parts.threshold, parts.rule)
        return classes[np.where(flags, pos_index, 1 - pos_index)]  # type: ignore[no-any-return]

    @available_if(_estimator_has("predict_proba"))  # type: ignore[untyped-decorator]
    def predict_proba(self, X: Any) -> np.ndarray:
        """The estimator's class probabilities (unchanged by the threshold).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, 2)
            Column j is the probability of ``classes_[j]``.
        """
        return self._final_estimator().predict_proba(X)  # type: ignore[no-any-return]

    @available_if(_estimator_has("predict_log_proba"))  # type: ignore[untyped-decorator]
    def predict_log_proba(self, X: Any) -> np.ndarray:
        """The estimator's class log-probabilities (unchanged by the threshold)."""
        return self._final_estimator().predict_log_proba(X)  # type: ignore[no-any-return]

    @available_if(_estimator_has("decision_function"))  # type: ignore[untyped-decorator]
    def decision_function(self, X: Any) -> np.ndarray:
        """The estimator's decision function (unchanged by the threshold)."""
        return self._final_estimator().decision_function(X)  # type: ignore[no-any-return]

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = False
        tags.input_tags.sparse = get_tags(self.estimator).input_tags.sparse
        tags.input_tags.allow_nan = get_tags(self.estimator).input_tags.allow_nan
        return tags
