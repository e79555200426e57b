"""scikit-learn front end: tune a classifier's threshold exactly on out-of-fold scores.

:class:`CutpointClassifier` fits a classifier in cross-validation, pools the held-out
scores, and chooses the threshold with the core (:func:`cutpoints.confusion_curve` and
:func:`cutpoints.select_cutpoint`): every distinct out-of-fold score is a candidate, so
the optimum is exact (no grid of 100 thresholds, no interpolation between folds).
:class:`FixedCutpointClassifier` applies a known threshold (a number or a saved
:class:`cutpoints.Cutpoint`) to a model without tuning anything.

Both follow the scikit-learn estimator contract: ``__init__`` only stores its
arguments, ``fit`` validates, fitted state ends in ``_``, ``predict`` applies
``score >= threshold_`` and returns the estimator's own class labels.
"""

from __future__ import annotations

import math
import numbers
import os
import warnings
from collections.abc import Iterable
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

try:
    from sklearn.base import BaseEstimator, ClassifierMixin, MetaEstimatorMixin, clone
    from sklearn.exceptions import DataConversionWarning
    from sklearn.exceptions import NotFittedError as SklearnNotFittedError
    from sklearn.model_selection import StratifiedShuffleSplit, check_cv
    from sklearn.utils import _safe_indexing, get_tags
    from sklearn.utils.metaestimators import available_if
    from sklearn.utils.multiclass import type_of_target
    from sklearn.utils.parallel import Parallel, delayed
    from sklearn.utils.validation import (
        _check_method_params,
        _num_samples,
        check_is_fitted,
        has_fit_parameter,
        indexable,
    )
except ImportError as exc:  # pragma: no cover - exercised without scikit-learn
    msg = 'the scikit-learn front end needs scikit-learn: pip install "cutpoints[sklearn]"'
    raise ImportError(msg) from exc

from ._api import confusion_curve, cutpoint_at_row, select_cutpoint
from ._constraints import ConstraintLike, as_constraints
from ._curve import ConfusionCurve
from ._cutpoint import Cutpoint
from ._metrics import BoundMetric, MetricLike, get_metric
from ._selection import TIE_RULES, TieRule
from ._validation import check_choice, check_weights
from .errors import (
    CutpointsError,
    InfeasibleConstraintError,
    InvalidInputError,
    InvalidLabelsError,
    InvalidParameterError,
)

__all__ = ["CutpointClassifier", "FixedCutpointClassifier"]

ResponseMethod = Literal["auto", "predict_proba", "decision_function"]
Aggregate = Literal["pooled", "mean", "median"]

RESPONSE_METHODS: tuple[str, ...] = ("auto", "predict_proba", "decision_function")
AGGREGATES: tuple[str, ...] = ("pooled", "mean", "median")
# Metrics reported per fold in ``cv_results_`` besides the objective and constraints.
KEY_METRICS: tuple[str, ...] = ("precision", "recall", "specificity", "flag_rate")


# ---------------------------------------------------------------------------------------
# Helpers shared with _model_selection
# ---------------------------------------------------------------------------------------


def _estimator_name(estimator: Any) -> str:
    return type(estimator).__name__


def resolve_response_method(estimator: Any, response_method: str) -> str:
    """The prediction method that gives scores: ``predict_proba`` or ``decision_function``.

    ``"auto"`` prefers ``predict_proba``. Raises :class:`InvalidParameterError` naming the
    estimator when it has neither (or not the one asked for).
    """
    check_choice(response_method, "response_method", RESPONSE_METHODS)
    if response_method == "auto":
        for method in ("predict_proba", "decision_function"):
            if hasattr(estimator, method):
                return method
        msg = (
            f"'estimator' must have predict_proba or decision_function to give scores to "
            f"threshold (got {_estimator_name(estimator)}, which has neither). Use a "
            "probabilistic classifier, e.g. wrap it in "
            "sklearn.calibration.CalibratedClassifierCV"
        )
        raise InvalidParameterError(msg)
    if not hasattr(estimator, response_method):
        msg = (
            f"'response_method' is {response_method!r} but 'estimator' "
            f"({_estimator_name(estimator)}) has no {response_method} method; use "
            "response_method='auto'"
        )
        raise InvalidParameterError(msg)
    return response_method


def positive_scores(fitted: Any, X: Any, method: str, pos_label: Any) -> npt.NDArray[np.float64]:
    """Scores for ``pos_label`` from a fitted binary classifier; higher = more positive.

    ``predict_proba`` gives the column of ``pos_label``; ``decision_function`` gives the
    score of ``classes_[1]``, negated when ``pos_label`` is ``classes_[0]``.
    """
    classes = np.asarray(fitted.classes_)
    if len(classes) != 2:
        msg = f"'estimator' must be a binary classifier (its classes_ are {classes.tolist()!r})"
        raise InvalidLabelsError(msg)
    matches = np.flatnonzero(classes == pos_label)
    if matches.size != 1:
        msg = f"'pos_label' must be one of the classes {classes.tolist()!r} (got {pos_label!r})"
        raise InvalidLabelsError(msg)
    col = int(matches[0])
    if method == "predict_proba":
        proba = np.asarray(fitted.predict_proba(X), dtype=np.float64)
        return np.ascontiguousarray(proba[:, col])
    values = np.asarray(fitted.decision_function(X), dtype=np.float64)
    if values.ndim == 2 and values.shape[1] == 1:
        values = values[:, 0]
    if values.ndim != 1:
        msg = (
            f"'estimator' decision_function must return one score per row for a binary "
            f"problem (got shape {values.shape})"
        )
        raise InvalidInputError(msg)
    return values if col == 1 else -values


def check_binary_target(y: Any, pos_label: Any) -> tuple[np.ndarray, np.ndarray, Any]:
    """Validate ``y`` for a binary threshold: returns (y as array, classes, pos_label).

    The positive class defaults to ``classes[1]`` (scikit-learn's convention: the
    greater label, so 1 for {0, 1}, True for booleans, 'yes' for {'no', 'yes'}).
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
    elif y_array.ndim != 1:
        msg = f"'y' must be 1-D (got shape {y_array.shape})"
        raise InvalidLabelsError(msg)
    if y_array.dtype.kind == "f" and not np.isfinite(y_array).all():
        first = int(np.flatnonzero(~np.isfinite(y_array))[0])
        msg = f"'y' must not contain NaN or infinity (got {y_array[first]!r} at index {first})"
        raise InvalidLabelsError(msg)
    kind = type_of_target(y_array, input_name="y")
    if kind not in ("binary", "multiclass"):
        msg = (
            f"Unknown label type: {kind!r}. 'y' must hold two class labels to tune a "
            f"threshold (got {kind} values). For a continuous target, threshold it first "
            "(e.g. y = value >= cutoff) or use a regressor."
        )
        raise InvalidLabelsError(msg)
    classes = np.unique(y_array)
    if len(classes) > 2:
        shown = ", ".join(repr(c) for c in classes[:6].tolist())
        msg = (
            "Only binary classification is supported: "
            f"'y' must have two classes to tune one threshold (got {len(classes)} classes: "
            f"{shown}{', ...' if len(classes) > 6 else ''}). For multiclass decisions, "
            "threshold each class one-vs-rest (sklearn.multiclass.OneVsRestClassifier "
            "with a CutpointClassifier per class), or decide with a cost matrix on "
            "predict_proba."
        )
        raise InvalidLabelsError(msg)
    if len(classes) < 2:
        msg = (
            f"'y' must have two classes to tune a threshold (got only one class, "
            f"{classes.tolist()!r})"
        )
        raise InvalidLabelsError(msg)
    if pos_label is None:
        pos_label = classes[1]
    elif not (classes == pos_label).any():
        msg = f"'pos_label' must be one of the classes {classes.tolist()!r} (got {pos_label!r})"
        raise InvalidLabelsError(msg)
    return y_array, classes, pos_label.item() if isinstance(pos_label, np.generic) else pos_label


def report_metrics(objective: BoundMetric, constraints: list[Any]) -> list[BoundMetric]:
    """Objective, constrained metrics, then the key metrics, without repeats."""
    out: list[BoundMetric] = []
    seen: set[str] = set()
    for m in [objective, *(c.metric for c in constraints), *map(get_metric, KEY_METRICS)]:
        if m.name not in seen:
            seen.add(m.name)
            out.append(m)
    return out


def _fit_and_score(
    estimator: Any,
    X: Any,
    y: np.ndarray,
    train: np.ndarray,
    test: np.ndarray,
    fit_params: dict[str, Any],
    method: str,
    pos_label: Any,
    keep: bool,
) -> tuple[npt.NDArray[np.float64], Any]:
    """Fit a clone on ``train``, return its scores on ``test`` (and the model if kept)."""
    model = clone(estimator)
    params = _check_method_params(X, fit_params, indices=train)
    model.fit(_safe_indexing(X, train), y[train], **params)
    scores = positive_scores(model, _safe_indexing(X, test), method, pos_label)
    return scores, (model if keep else None)


def _is_fitted(estimator: Any) -> bool:
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
            f"'estimator' ({_estimator_name(estimator)}) does not accept sample_weight in "
            "fit; the weights are used to tune the threshold only",
            UserWarning,
            stacklevel=3,
        )
    return params


# ---------------------------------------------------------------------------------------
# Base
# ---------------------------------------------------------------------------------------


def _estimator_has(attr: str) -> Any:
    def check(self: Any) -> bool:
        fitted = getattr(self, "estimator_", None)
        if fitted is not None:
            return hasattr(fitted, attr)
        return hasattr(self.estimator, attr)

    return check


class _BaseCutpointClassifier(ClassifierMixin, MetaEstimatorMixin, BaseEstimator):  # type: ignore[misc]
    """Shared plumbing: delegation of prediction methods, labels, tags."""

    estimator: Any
    response_method: ResponseMethod
    pos_label: Any

    def _final_estimator(self) -> Any:
        check_is_fitted(self, "estimator_")
        return self.estimator_

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

    def _scores(self, X: Any, estimator: Any, pos_label: Any) -> npt.NDArray[np.float64]:
        method = resolve_response_method(estimator, self.response_method)
        return positive_scores(estimator, X, method, pos_label)

    @staticmethod
    def _labels(flags: np.ndarray, classes: np.ndarray, pos_label: Any) -> np.ndarray:
        pos_index = int(np.flatnonzero(classes == pos_label)[0])
        return classes[np.where(flags, pos_index, 1 - pos_index)]

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


# ---------------------------------------------------------------------------------------
# CutpointClassifier
# ---------------------------------------------------------------------------------------


class CutpointClassifier(_BaseCutpointClassifier):
    """A classifier whose decision threshold is tuned exactly on out-of-fold scores.

    ``fit`` fits clones of ``estimator`` in cross-validation, pools their held-out
    scores, and chooses the threshold with :func:`cutpoints.select_cutpoint`: every
    distinct out-of-fold score is a candidate, the optimum is exact, and the threshold
    is an observed score. Then the estimator is refit on all the data and
    :meth:`predict` flags ``score >= threshold_``.

    Read more in the user guide (``docs/guide/estimator.md``).

    Parameters
    ----------
    estimator : estimator instance
        A binary classifier with ``predict_proba`` or ``decision_function``. Fitted
        already if ``cv="prefit"``.
    metric : str, Metric or callable, default='f1'
        The objective, as in :func:`cutpoints.find_cutpoint`: ``"f1"``, ``"mcc"``,
        ``"youden"``, ``"cost(fp=1, fn=10)"``, ... or ``f(tp, fp, tn, fn)``.
    constraints : str or list, default=()
        Bounds that must hold at the threshold, e.g. ``"precision >= 0.9"`` or
        ``"flag_rate <= 5%"``. Checked on the tuning (out-of-fold) scores.
    maximize : bool, optional
        Override the metric's direction.
    cv : int, float, splitter, iterable of splits or 'prefit', default=5
        Where the tuning scores come from:

        - int: (stratified) K-fold; out-of-fold scores of all K folds are tuned on;
        - float in (0, 1): one stratified hold-out of that fraction (``random_state``
          seeds it);
        - a splitter (``StratifiedKFold(shuffle=True)``, ``RepeatedStratifiedKFold``,
          ``GroupKFold``...) or an iterable of ``(train, test)`` index arrays;
        - ``'prefit'``: ``estimator`` is already fitted; tune on the data passed to
          ``fit`` (which should be data it was *not* trained on) and never refit.
    refit : bool, default=True
        Refit the estimator on all the data after tuning. ``False`` keeps the model
        fitted on the training part of a single split (a float ``cv`` or a one-split
        splitter); with several folds there is no single model, so ``False`` is an
        error. Must be ``False`` with ``cv='prefit'``.
    ties : {'highest', 'lowest', 'median'}, default='highest'
        Which threshold to choose when several attain the optimum exactly.
    aggregate : {'pooled', 'mean', 'median'}, default='pooled'
        How folds combine. ``'pooled'`` tunes once on all out-of-fold scores together
        (exact, uses every row, best when scores are comparable across folds, which is
        the usual case). ``'mean'``/``'median'`` tune each fold on its own and average
        the per-fold optimal thresholds; prefer them when fold models' scores live on
        different scales (uncalibrated ``decision_function`` of models that vary a lot
        between folds), with ``'median'`` robust to one odd fold.
    response_method : {'auto', 'predict_proba', 'decision_function'}, default='auto'
        Which scores to threshold; ``'auto'`` prefers ``predict_proba``.
    pos_label : object, optional
        The positive class; by default ``classes_[1]`` (1, True, or the greater label).
    random_state : int, RandomState instance or None, default=None
        Seeds the hold-out split of a float ``cv``.
    n_jobs : int, optional
        Folds fitted in parallel (joblib).

    Attributes
    ----------
    threshold_ : float
        The decision threshold: :meth:`predict` flags ``score >= threshold_``.
    cutpoint_ : Cutpoint
        The full result of tuning on the pooled out-of-fold scores (counts, every
        catalog metric, all optimal thresholds, JSON export).
    estimator_ : estimator instance
        The fitted estimator used by :meth:`predict`.
    classes_ : ndarray of shape (2,)
        The class labels.
    cv_results_ : dict of ndarrays
        One entry per fold (load with ``pandas.DataFrame(cv_results_)``): ``fold``,
        ``n_test``, ``n_positive``, ``status`` (``"ok"`` or what went wrong),
        ``fold_threshold`` (the fold's own optimal threshold, NaN if it has none),
        ``fold_objective`` and ``fold_<metric>`` there, and ``final_objective`` and
        ``final_<metric>`` at ``threshold_``. Metrics are the objective, the
        constrained metrics, precision, recall, specificity and flag_rate.
    oof_scores_ : ndarray of shape (n_tuning_rows,)
        The pooled out-of-fold scores that were tuned on, fold after fold.
    oof_indices_ : ndarray of shape (n_tuning_rows,)
        The row of ``X`` each element of ``oof_scores_`` belongs to.
    n_features_in_ : int
        Number of features seen by ``estimator_``.

    See Also
    --------
    FixedCutpointClassifier : apply a known threshold without tuning.
    cutpoints.cross_validate : an honest (nested) estimate of the tuned model.
    sklearn.model_selection.TunedThresholdClassifierCV : scikit-learn's grid version.

    Notes
    -----
    The objective at ``threshold_`` (``cutpoint_.score``) is measured on the scores it
    was chosen on, so it is optimistic; :func:`cutpoints.cross_validate` tells how much.
    ``score`` is scikit-learn's accuracy of :meth:`predict` (so at ``threshold_``).

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from sklearn.linear_model import LogisticRegression
    >>> import cutpoints as cp
    >>> X, y = make_classification(n_samples=400, weights=[0.9], random_state=0)
    >>> clf = cp.CutpointClassifier(LogisticRegression(), metric="f1").fit(X, y)
    >>> round(clf.threshold_, 3), round(clf.cutpoint_.score, 3)
    (0.274, 0.571)
    >>> clf.predict(X[:5])
    array([0, 0, 0, 0, 0])
    """

    def __init__(
        self,
        estimator: Any,
        *,
        metric: MetricLike = "f1",
        constraints: ConstraintLike | Iterable[ConstraintLike] | None = (),
        maximize: bool | None = None,
        cv: Any = 5,
        refit: bool = True,
        ties: TieRule = "highest",
        aggregate: Aggregate = "pooled",
        response_method: ResponseMethod = "auto",
        pos_label: Any = None,
        random_state: Any = None,
        n_jobs: int | None = None,
    ) -> None:
        self.estimator = estimator
        self.metric = metric
        self.constraints = constraints
        self.maximize = maximize
        self.cv = cv
        self.refit = refit
        self.ties = ties
        self.aggregate = aggregate
        self.response_method = response_method
        self.pos_label = pos_label
        self.random_state = random_state
        self.n_jobs = n_jobs

    # ------------------------------------------------------------------ validation
    def _check_params(self) -> tuple[BoundMetric, list[Any]]:
        check_choice(self.ties, "ties", TIE_RULES)
        check_choice(self.aggregate, "aggregate", AGGREGATES)
        if not isinstance(self.refit, (bool, np.bool_)):
            msg = f"'refit' must be True or False (got {self.refit!r})"
            raise InvalidParameterError(msg)
        if self.maximize is not None and not isinstance(self.maximize, (bool, np.bool_)):
            msg = f"'maximize' must be None, True or False (got {self.maximize!r})"
            raise InvalidParameterError(msg)
        if not (hasattr(self.estimator, "fit") or self.cv == "prefit"):
            msg = f"'estimator' must be a scikit-learn classifier (got {self.estimator!r})"
            raise InvalidParameterError(msg)
        objective = get_metric(self.metric)
        constraints = as_constraints(self.constraints)
        return objective, constraints

    def _splits(self, X: Any, y: np.ndarray, groups: Any) -> list[tuple[np.ndarray, np.ndarray]]:
        cv = self.cv
        if isinstance(cv, numbers.Real) and not isinstance(cv, (numbers.Integral, bool)):
            if not 0 < float(cv) < 1:
                msg = f"'cv' as a float is the hold-out fraction and must be in (0, 1) (got {cv!r})"
                raise InvalidParameterError(msg)
            splitter: Any = StratifiedShuffleSplit(
                n_splits=1, test_size=float(cv), random_state=self.random_state
            )
        elif isinstance(cv, str):
            msg = f"'cv' must be an int, a float, a splitter, splits or 'prefit' (got {cv!r})"
            raise InvalidParameterError(msg)
        else:
            if isinstance(cv, numbers.Integral) and not isinstance(cv, bool) and cv < 2:
                msg = f"'cv' as an int is the number of folds and must be >= 2 (got {cv!r})"
                raise InvalidParameterError(msg)
            try:
                splitter = check_cv(cv, y, classifier=True)
            except ValueError as exc:
                msg = f"'cv' is not a usable cross-validation strategy (got {cv!r}): {exc}"
                raise InvalidParameterError(msg) from exc
        try:
            splits = [
                (np.asarray(train, dtype=np.intp), np.asarray(test, dtype=np.intp))
                for train, test in splitter.split(X, y, groups)
            ]
        except ValueError as exc:
            msg = f"'cv' ({cv!r}) cannot split these {len(y)} rows: {exc}"
            raise InvalidInputError(msg) from exc
        if not splits:
            msg = f"'cv' ({cv!r}) produced no splits"
            raise InvalidParameterError(msg)
        for k, (_, test) in enumerate(splits):
            if test.size == 0:
                msg = f"'cv' ({cv!r}) produced an empty test fold (fold {k})"
                raise InvalidParameterError(msg)
        return splits

    # ------------------------------------------------------------------ fit
    def fit(
        self, X: Any, y: Any, sample_weight: Any = None, *, groups: Any = None, **fit_params: Any
    ) -> CutpointClassifier:
        """Fit in cross-validation, tune the threshold exactly, refit.

        Parameters
        ----------
        X : {array-like, sparse matrix, DataFrame} of shape (n_samples, n_features)
            Training data, as the estimator accepts it (numpy, pandas, polars...).
        y : array-like of shape (n_samples,)
            Binary target.
        sample_weight : array-like of shape (n_samples,), optional
            Row weights: passed to the estimator's ``fit`` when it accepts them (a
            warning says when it does not), and always used to weight the confusion
            counts the threshold is tuned on.
        groups : array-like of shape (n_samples,), optional
            Group labels for group-aware splitters (``GroupKFold``...).
        **fit_params : dict
            Passed to the estimator's ``fit`` (row-aligned arrays are split by fold).

        Returns
        -------
        self : CutpointClassifier
        """
        objective, constraint_list = self._check_params()
        X, y = indexable(X, y)
        y_array, _classes, pos_label = check_binary_target(y, self.pos_label)
        n = _num_samples(X)
        weights = (
            None
            if sample_weight is None
            else np.asarray(check_weights(sample_weight, n, "sample_weight"))
        )
        method = resolve_response_method(self.estimator, self.response_method)

        if self.cv == "prefit":
            if self.refit:
                msg = (
                    "'refit' must be False when cv='prefit' (the estimator is used as "
                    "fitted and never refit); pass refit=False"
                )
                raise InvalidParameterError(msg)
            if not _is_fitted(self.estimator):
                msg = (
                    f"'estimator' must be fitted when cv='prefit' (got an unfitted "
                    f"{_estimator_name(self.estimator)}); fit it first, or pass cv=5 to "
                    "fit it in cross-validation"
                )
                raise InvalidParameterError(msg)
            all_rows = np.arange(n, dtype=np.intp)
            splits = [(np.empty(0, dtype=np.intp), all_rows)]
            fold_scores = [positive_scores(self.estimator, X, method, pos_label)]
            self._tune(objective, constraint_list, y_array, weights, splits, fold_scores, pos_label)
            self.estimator_ = self.estimator
            self._pos_label_ = pos_label
            return self
        splits = self._splits(X, y_array, groups)
        if not self.refit and len(splits) > 1:
            msg = (
                f"'refit' can be False only with a single split (got cv={self.cv!r} "
                f"with {len(splits)} folds, so there is no single fitted model to "
                "keep); pass refit=True or a float cv"
            )
            raise InvalidParameterError(msg)
        params = fit_params_with_weight(self.estimator, weights, fit_params)
        keep = not self.refit
        results = Parallel(n_jobs=self.n_jobs)(
            delayed(_fit_and_score)(
                self.estimator, X, y_array, train, test, params, method, pos_label, keep
            )
            for train, test in splits
        )
        fold_scores = [r[0] for r in results]
        # Tune before the refit: a tuning error (infeasible constraints, constant
        # scores) then costs no extra fit.
        self._tune(objective, constraint_list, y_array, weights, splits, fold_scores, pos_label)
        if self.refit:
            model = clone(self.estimator)
            model.fit(X, y_array, **params)
            self.estimator_ = model
        else:
            self.estimator_ = results[0][1]
        self._pos_label_ = pos_label
        return self

    def _tune(
        self,
        objective: BoundMetric,
        constraint_list: list[Any],
        y: np.ndarray,
        weights: np.ndarray | None,
        splits: list[tuple[np.ndarray, np.ndarray]],
        fold_scores: list[npt.NDArray[np.float64]],
        pos_label: Any,
    ) -> None:
        test_rows = [test for _, test in splits]
        oof_index = np.concatenate(test_rows)
        oof_scores = np.concatenate(fold_scores)
        self.oof_scores_ = oof_scores
        self.oof_indices_ = oof_index
        if oof_scores.size and not np.isfinite(oof_scores).all():
            bad = int(np.flatnonzero(~np.isfinite(oof_scores))[0])
            msg = (
                f"'estimator' ({_estimator_name(self.estimator)}) returned a non-finite "
                f"score ({oof_scores[bad]!r}) for row {int(oof_index[bad])}"
            )
            raise InvalidInputError(msg)
        if oof_scores.size == 0 or oof_scores.min() == oof_scores.max():
            value = float(oof_scores[0]) if oof_scores.size else math.nan
            msg = (
                f"'estimator' ({_estimator_name(self.estimator)}) gives every out-of-fold "
                f"row the same score ({value!r}), so no threshold can separate the "
                "classes; it is a constant predictor (check its features and parameters)"
            )
            raise InvalidInputError(msg)
        tuning = {
            "metric": objective,
            "constraints": constraint_list,
            "maximize": self.maximize,
            "ties": self.ties,
        }

        def weight_of(rows: np.ndarray) -> np.ndarray | None:
            return None if weights is None else weights[rows]

        # Per fold: its own optimum (a diagnostic for 'pooled', the input to mean/median).
        curves: list[ConfusionCurve | None] = []
        fold_cuts: list[Cutpoint | None] = []
        statuses: list[str] = []
        for rows, scores in zip(test_rows, fold_scores, strict=True):
            w = weight_of(rows)
            if w is not None and not w.any():
                curves.append(None)
                fold_cuts.append(None)
                statuses.append("all test weights are zero")
                continue
            curve = confusion_curve(y[rows], scores, sample_weight=w, pos_label=pos_label)
            curves.append(curve)
            try:
                fold_cuts.append(select_cutpoint(curve, **tuning))  # type: ignore[arg-type]
                statuses.append("ok")
            except CutpointsError as exc:
                fold_cuts.append(None)
                kind = "infeasible" if isinstance(exc, InfeasibleConstraintError) else "undefined"
                statuses.append(f"{kind}: {exc}")

        failed = [k for k, s in enumerate(statuses) if s != "ok"]
        if failed and len(splits) > 1:
            detail = "; ".join(f"fold {k}: {statuses[k]}" for k in failed)
            if self.aggregate != "pooled":
                msg = (
                    f"aggregate={self.aggregate!r} needs an optimal threshold in every fold, "
                    f"but {len(failed)} of {len(splits)} folds have none ({detail}). Use "
                    "aggregate='pooled', which tunes on all out-of-fold scores together, or "
                    "relax the constraints"
                )
                raise InfeasibleConstraintError(msg)
        w_pool = None if weights is None else weights[oof_index]
        pooled = confusion_curve(
            y[oof_index], oof_scores, sample_weight=w_pool, pos_label=pos_label
        )
        if self.aggregate == "pooled":
            try:
                cut = select_cutpoint(pooled, **tuning)  # type: ignore[arg-type]
            except InfeasibleConstraintError as exc:
                msg = (
                    f"no threshold satisfies the constraints on the pooled out-of-fold scores "
                    f"({pooled.n_samples} rows from {len(splits)} folds): {exc}"
                )
                raise InfeasibleConstraintError(msg, exc.closest) from exc
        else:
            # Every fold has a threshold here (else the error above); +inf ("flag
            # nothing") is kept, so it pulls a mean to +inf rather than being dropped.
            chosen = np.array([c.threshold for c in fold_cuts if c is not None])
            agg = np.mean if self.aggregate == "mean" else np.median
            threshold = float(agg(chosen))
            cut = _cutpoint_at(pooled, threshold, objective, constraint_list, self, tuning)
        if failed and len(splits) > 1:  # only 'pooled' gets here with failed folds
            detail = "; ".join(f"fold {k}: {statuses[k]}" for k in failed)
            warnings.warn(
                f"{len(failed)} of {len(splits)} folds have no optimal threshold of their "
                f"own ({detail}). Their out-of-fold scores are still pooled for tuning; "
                "see cv_results_['status']",
                UserWarning,
                stacklevel=3,
            )

        self.cutpoint_ = cut
        self.threshold_ = float(cut.threshold)
        self.cv_results_ = _fold_table(
            curves, fold_cuts, statuses, splits, objective, constraint_list, self.threshold_
        )

    # ------------------------------------------------------------------ predict
    def predict(self, X: Any) -> np.ndarray:
        """Class labels: the positive class iff the estimator's score ``>= threshold_``.

        Parameters
        ----------
        X : {array-like, sparse matrix, DataFrame} of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,)
            Element i is the positive class if ``score[i] >= threshold_``, else the other
            class (labels as in ``classes_``).
        """
        check_is_fitted(self, "threshold_")
        scores = self._scores(X, self.estimator_, self._pos_label_)
        return self._labels(scores >= self.threshold_, self.classes_, self._pos_label_)


def _cutpoint_at(
    curve: ConfusionCurve,
    threshold: float,
    objective: BoundMetric,
    constraint_list: list[Any],
    owner: CutpointClassifier,
    tuning: dict[str, Any],
) -> Cutpoint:
    """A Cutpoint for a given (aggregated) threshold, with counts from ``curve``."""
    maximize = objective.greater_is_better if owner.maximize is None else bool(owner.maximize)
    return cutpoint_at_row(
        curve,
        curve.index_at(threshold),
        objective,
        constraint_list,
        maximize=maximize,
        ties=str(tuning["ties"]),
        threshold=threshold,
    )


def _fold_table(
    curves: list[ConfusionCurve | None],
    fold_cuts: list[Cutpoint | None],
    statuses: list[str],
    splits: list[tuple[np.ndarray, np.ndarray]],
    objective: BoundMetric,
    constraint_list: list[Any],
    threshold: float,
) -> dict[str, np.ndarray]:
    shown = report_metrics(objective, constraint_list)
    table: dict[str, list[Any]] = {
        "fold": [],
        "n_train": [],
        "n_test": [],
        "n_positive": [],
        "status": [],
        "fold_threshold": [],
        "fold_objective": [],
        **{f"fold_{m.name}": [] for m in shown[1:]},
        "final_threshold": [],
        "final_objective": [],
        **{f"final_{m.name}": [] for m in shown[1:]},
    }
    for k, (curve, cut, status, (train, test)) in enumerate(
        zip(curves, fold_cuts, statuses, splits, strict=True)
    ):
        table["fold"].append(k)
        table["n_train"].append(len(train))
        table["n_test"].append(len(test))
        table["n_positive"].append(math.nan if curve is None else float(curve.n_positive))
        table["status"].append(status)
        if cut is not None and curve is not None:
            at_fold = curve.metrics_at(cut.threshold, shown)
            table["fold_threshold"].append(cut.threshold)
        else:
            at_fold = {m.name: math.nan for m in shown}
            table["fold_threshold"].append(math.nan)
        at_final = (
            {m.name: math.nan for m in shown}
            if curve is None
            else curve.metrics_at(threshold, shown)
        )
        table["final_threshold"].append(threshold)
        for prefix, values in (("fold", at_fold), ("final", at_final)):
            table[f"{prefix}_objective"].append(values[objective.name])
            for m in shown[1:]:
                table[f"{prefix}_{m.name}"].append(values[m.name])
    out: dict[str, np.ndarray] = {}
    for key, column in table.items():
        if key == "status":
            out[key] = np.array(column, dtype=object)
        elif key in ("fold", "n_train", "n_test"):
            out[key] = np.array(column, dtype=np.int64)
        else:
            out[key] = np.array(column, dtype=np.float64)
    return out


# ---------------------------------------------------------------------------------------
# FixedCutpointClassifier
# ---------------------------------------------------------------------------------------


class FixedCutpointClassifier(_BaseCutpointClassifier):
    """A classifier that applies a known threshold (a number or a saved Cutpoint).

    Wrap an already fitted model and a threshold tuned elsewhere (for instance
    ``CutpointClassifier.cutpoint_`` saved with :meth:`cutpoints.Cutpoint.to_json`):
    :meth:`predict` works at once, without ``fit``. Calling ``fit`` fits a clone of the
    estimator and keeps the threshold.

    Parameters
    ----------
    estimator : estimator instance
        A binary classifier with ``predict_proba`` or ``decision_function``.
    threshold : float, optional
        Flag ``score >= threshold``. Give ``threshold`` or ``cutpoint``, not both.
    cutpoint : Cutpoint, str or path, optional
        A :class:`cutpoints.Cutpoint`, its JSON text, or the path of its JSON file. Its
        threshold, rule (``>=`` or ``<=``) and positive label are used.
    response_method : {'auto', 'predict_proba', 'decision_function'}, default='auto'
        Which scores the threshold applies to; must be the scores it was tuned on.
    pos_label : object, optional
        The positive class; by default the cutpoint's positive label, else
        ``classes_[1]``.

    Attributes
    ----------
    estimator_ : estimator instance
        The fitted estimator (``estimator`` itself when it was fitted already).
    threshold_ : float
        The threshold applied.
    cutpoint_ : Cutpoint or None
        The cutpoint, when one was given.
    classes_ : ndarray of shape (2,)

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from sklearn.linear_model import LogisticRegression
    >>> import cutpoints as cp
    >>> X, y = make_classification(n_samples=200, random_state=0)
    >>> model = LogisticRegression().fit(X, y)
    >>> strict = cp.FixedCutpointClassifier(model, threshold=0.9)
    >>> int(strict.predict(X).sum()), int(model.predict(X).sum())
    (68, 103)
    """

    def __init__(
        self,
        estimator: Any,
        *,
        threshold: float | None = None,
        cutpoint: Cutpoint | str | os.PathLike[str] | None = None,
        response_method: ResponseMethod = "auto",
        pos_label: Any = None,
    ) -> None:
        self.estimator = estimator
        self.threshold = threshold
        self.cutpoint = cutpoint
        self.response_method = response_method
        self.pos_label = pos_label

    def _resolve(self) -> tuple[float, str, Cutpoint | None]:
        if (self.threshold is None) == (self.cutpoint is None):
            msg = (
                "give exactly one of 'threshold' and 'cutpoint' (got "
                f"threshold={self.threshold!r}, cutpoint="
                f"{'None' if self.cutpoint is None else type(self.cutpoint).__name__})"
            )
            raise InvalidParameterError(msg)
        if self.cutpoint is not None:
            cut = (
                self.cutpoint
                if isinstance(self.cutpoint, Cutpoint)
                else Cutpoint.from_json(self.cutpoint)
            )
            return float(cut.threshold), cut.rule, cut
        try:
            value = float(self.threshold)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            msg = f"'threshold' must be a number (got {self.threshold!r})"
            raise InvalidParameterError(msg) from None
        if math.isnan(value):
            msg = "'threshold' must be a number, not NaN"
            raise InvalidParameterError(msg)
        return value, ">=", None

    def _state(self, estimator: Any) -> tuple[float, str, Cutpoint | None, Any]:
        """(threshold, rule, cutpoint, positive label) for a fitted ``estimator``."""
        threshold, rule, cut = self._resolve()
        resolve_response_method(estimator, self.response_method)
        classes = np.asarray(estimator.classes_)
        if len(classes) != 2:
            msg = f"'estimator' must be a binary classifier (its classes_ are {classes.tolist()!r})"
            raise InvalidLabelsError(msg)
        pos = self.pos_label
        if pos is None:
            pos = cut.positive_label if cut is not None else classes[1]
            if cut is not None and not (classes == pos).any():
                msg = (
                    f"the cutpoint's positive label {pos!r} is not one of the estimator's "
                    f"classes {classes.tolist()!r}; pass pos_label"
                )
                raise InvalidParameterError(msg)
        elif not (classes == pos).any():
            msg = f"'pos_label' must be one of the classes {classes.tolist()!r} (got {pos!r})"
            raise InvalidLabelsError(msg)
        pos = pos.item() if isinstance(pos, np.generic) else pos
        return threshold, rule, cut, pos

    def fit(
        self, X: Any, y: Any, sample_weight: Any = None, **fit_params: Any
    ) -> FixedCutpointClassifier:
        """Fit a clone of the estimator; the threshold stays as given.

        Parameters
        ----------
        X : {array-like, sparse matrix, DataFrame} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
            Binary target.
        sample_weight : array-like of shape (n_samples,), optional
            Passed to the estimator's ``fit`` when it accepts it.
        **fit_params : dict
            Passed to the estimator's ``fit``.

        Returns
        -------
        self : FixedCutpointClassifier
        """
        self._resolve()
        X, y = indexable(X, y)
        y_array, _, _ = check_binary_target(y, self.pos_label)
        resolve_response_method(self.estimator, self.response_method)
        weights = (
            None
            if sample_weight is None
            else np.asarray(check_weights(sample_weight, _num_samples(X), "sample_weight"))
        )
        params = fit_params_with_weight(self.estimator, weights, fit_params)
        model = clone(self.estimator)
        model.fit(X, y_array, **params)
        threshold, _, cut, _ = self._state(model)
        self.estimator_ = model
        self.threshold_ = threshold
        self.cutpoint_ = cut
        return self

    def _final_estimator(self) -> Any:
        fitted = getattr(self, "estimator_", None)
        if fitted is not None:
            return fitted
        if not _is_fitted(self.estimator):
            check_is_fitted(self, "estimator_")  # raises scikit-learn's NotFittedError
        return self.estimator

    @property
    def classes_(self) -> np.ndarray:
        """The class labels, from the (fitted) estimator."""
        fitted = getattr(self, "estimator_", None)
        if fitted is None:
            if not _is_fitted(self.estimator):
                msg = "FixedCutpointClassifier has no classes_ before its estimator is fitted"
                raise AttributeError(msg)
            fitted = self.estimator
        return np.asarray(fitted.classes_)

    def predict(self, X: Any) -> np.ndarray:
        """Class labels: positive iff the estimator's score ``>= threshold``.

        With a cutpoint of rule ``'<='`` the comparison is ``<=``. Works without
        ``fit`` when ``estimator`` is fitted already.

        Parameters
        ----------
        X : {array-like, sparse matrix, DataFrame} of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,)
            Element i is the positive class if ``score[i] >= threshold``, else the other.
        """
        estimator = self._final_estimator()
        threshold, rule, _, pos = self._state(estimator)
        scores = self._scores(X, estimator, pos)
        flags = scores >= threshold if rule == ">=" else scores <= threshold
        return self._labels(flags, np.asarray(estimator.classes_), pos)
