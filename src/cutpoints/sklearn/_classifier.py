""":class:`CutpointClassifier`: tune a classifier's threshold exactly on out-of-fold scores."""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from typing import Any, Literal

import numpy as np
from sklearn.base import clone
from sklearn.utils.parallel import Parallel, delayed
from sklearn.utils.validation import _num_samples, indexable

from .._metrics import BoundMetric, MetricLike, get_metric
from .._responses import TunedParts, positive_scores, resolve_response_method
from .._validation import check_choice, check_weights
from .._values import check_values, column_names, named_values, resolve_named
from ..errors import InvalidLabelsError, InvalidParameterError
from ..groups._estimator import (
    check_fallback,
    check_group_mode,
    group_constraints,
    group_flags,
    row_groups,
    tune_groups,
)
from ..multiclass._estimator import fit_multiclass, is_multiclass_target, predict_multiclass
from ..selection import TIE_RULES, Constraint, ConstraintLike, TieRule, as_constraints
from ._base import (
    BaseCutpointClassifier,
    NotFittedError,
    ResponseMethod,
    Rule,
    check_binary_target,
    check_rule,
    estimator_name,
    fit_params_with_weight,
    is_fitted,
    not_fitted,
)
from ._cv import Tuning, fit_and_score, resolve_splits, tune_on_folds

__all__ = ["CutpointClassifier"]

Aggregate = Literal["pooled", "mean", "median"]
AGGREGATES: tuple[str, ...] = ("pooled", "mean", "median")


class CutpointClassifier(BaseCutpointClassifier):
    """A classifier whose decision threshold is tuned exactly on out-of-fold scores.

    ``fit`` fits clones of ``estimator`` in cross-validation, pools their held-out
    scores, and chooses the threshold with :func:`cutpoints.select_cutpoint`: every
    distinct out-of-fold score is a candidate, the optimum is exact, and the threshold
    is an observed score. Then the estimator is refit on all the data and
    :meth:`predict` flags ``score >= threshold_`` (``<=`` with ``rule='<='``).

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
    values : dict, optional
        Per-row values (money) of each outcome for ``metric="value"`` (and the
        reported value split): ``{"tp": "amount", "fp": -5, "fn": "-amount"}``. A
        number is the value of every row; a name is a row-aligned array passed to
        :meth:`fit` as metadata under that name (``fit(X, y, amount=amount)``; a
        leading ``-`` negates it), split by fold with the rows and never passed to the
        estimator. With scikit-learn's metadata routing enabled the named columns are
        requested for ``fit``, so ``cross_validate(..., params={"amount": amount})``
        routes them here. See the guide "Deciding with money".
    cv : int, float, splitter, iterable of splits or 'prefit', default=5
        Where the tuning scores come from:

        - int: (stratified) K-fold; out-of-fold scores of all K folds are tuned on;
        - float in (0, 1): one stratified hold-out of that fraction (``random_state``
          seeds it);
        - a splitter (``StratifiedKFold(shuffle=True)``, ``RepeatedStratifiedKFold``,
          ``GroupKFold``...) or an iterable of ``(train, test)`` index arrays;
        - ``'prefit'``: ``estimator`` is already fitted; tune on the data passed to
          ``fit`` (which should be data it was *not* trained on) and never refit.
    refit : bool or 'auto', default='auto'
        Refit the estimator on all the data after tuning. ``'auto'`` refits unless
        ``cv='prefit'``. ``False`` keeps the model fitted on the training part of a
        single split (a float ``cv`` or a one-split splitter); with several folds there
        is no single model, so ``False`` is an error, and so is ``True`` with
        ``cv='prefit'``.
    ties : {'highest', 'lowest', 'median'}, default='highest'
        Which threshold to choose when several attain the optimum exactly.
    rule : {'>=', '<='}, default='>='
        Flag iff ``score >= threshold``; ``'<='`` for scores where lower means
        positive (a distance, a risk rank, the decision function of a model trained
        the other way). Used to tune and in :meth:`predict`.
    aggregate : {'pooled', 'mean', 'median'}, default='pooled'
        How folds combine. ``'pooled'`` tunes once on all out-of-fold scores together
        (exact, uses every row, best when scores are comparable across folds, which is
        the usual case). ``'mean'``/``'median'`` tune each fold on its own and average
        the per-fold optimal thresholds; prefer them when fold models' scores live on
        different scales (uncalibrated ``decision_function`` of models that vary a lot
        between folds), with ``'median'`` robust to one odd fold.
    response_method : {'auto', 'predict_proba', 'decision_function', 'predict'}, \
default='auto'
        Which scores to threshold; ``'auto'`` prefers ``predict_proba``.
    pos_label : object, optional
        The positive class; by default ``classes_[1]`` (1, True, or the greater label).
    random_state : int, RandomState instance or None, default=None
        Seeds the hold-out split of a float ``cv`` (scikit-learn's convention).
    n_jobs : int, optional
        Folds fitted in parallel (joblib); None runs them one after another.
    group_mode : {None, 'independent', 'joint'}, default=None
        ``None``: one threshold; ``groups`` passed to :meth:`fit` only reach a
        group-aware splitter. ``'independent'`` or ``'joint'``: one threshold per group
        of the ``groups`` passed to :meth:`fit` (which still reach the splitter too),
        chosen on the pooled tuning scores exactly as
        ``find_cutpoint(y, scores, groups=groups, mode=group_mode)`` does (gap
        constraints such as ``"recall_gap <= 0.05"`` need ``'joint'``); then
        ``cutpoint_`` is a :class:`~cutpoints.GroupCutpoint`, ``thresholds_`` maps group
        to threshold, and :meth:`predict` needs ``groups``. Needs
        ``aggregate='pooled'``. See the guide "Thresholds per group".
    fallback : None, ('group', label) or ('threshold', number), default=None
        With ``group_mode`` set: what :meth:`predict` does with a group not seen in
        :meth:`fit`. ``None`` raises an error naming it; ``('group', 'north')`` applies
        that tuned group's threshold; ``('threshold', 0.5)`` applies 0.5 (the command
        line's ``--fallback-group`` and ``--fallback-threshold``).

    Attributes
    ----------
    threshold_ : float
        The decision threshold: :meth:`predict` flags ``score >= threshold_``. Not set
        with ``group_mode`` (see ``thresholds_``).
    cutpoint_ : Cutpoint or GroupCutpoint
        The full result of tuning on the pooled out-of-fold scores (counts, every
        catalog metric, all optimal thresholds, JSON export); a
        :class:`~cutpoints.GroupCutpoint` with ``group_mode``.
    thresholds_ : dict
        With ``group_mode`` only: group label -> threshold.
    estimator_ : estimator instance
        The fitted estimator used by :meth:`predict`.
    classes_ : ndarray of shape (2,)
        The class labels.
    cv_results_ : dict of ndarrays
        One entry per fold (load with ``pandas.DataFrame(cv_results_)``): ``fold``,
        ``n_train``, ``n_test``, ``n_positive``, ``status`` (``"ok"`` or what went
        wrong), ``fold_threshold`` (the fold's own optimal threshold, NaN if it has
        none), ``fold_objective`` and ``fold_<metric>`` there, and ``final_objective``
        and ``final_<metric>`` at ``threshold_``. Metrics are the objective, the
        constrained metrics, then the key metrics every front end shows
        (``cutpoints._display.KEY_METRICS``: precision, recall, specificity, ...).
        With ``group_mode``: ``fold``, ``n_train``, ``n_test`` and ``n_positive`` only
        (the per-group results are ``cutpoint_.to_frame()``).
    oof_scores_ : ndarray of shape (n_tuning_rows,)
        The pooled out-of-fold scores that were tuned on, fold after fold.
    oof_indices_ : ndarray of shape (n_tuning_rows,)
        The row of ``X`` each element of ``oof_scores_`` belongs to.
    n_features_in_ : int
        Number of features seen by ``estimator_``.
    class_weights_ : ClassWeights
        On a multiclass target only (no ``threshold_``, ``cutpoint_`` or
        ``cv_results_`` then): the per-class weights tuned on the pooled out-of-fold
        probabilities to optimize ``metric`` (``"f1"`` means macro-F1 there; any
        multiclass metric such as ``"balanced_accuracy"`` or ``"cost(matrix=...)"``
        works); :meth:`predict` returns ``classes_[argmax_k w_k · p_k]``. See
        :func:`cutpoints.find_class_weights`.
    oof_proba_ : ndarray of shape (n_tuning_rows, n_classes)
        On a multiclass target: the pooled out-of-fold probabilities tuned on.

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

    .. versionchanged:: 0.2
       ``refit`` defaults to ``'auto'`` (so ``cv='prefit'`` needs no ``refit=False``),
       and ``rule`` is new. An unfitted model with ``cv='prefit'`` raises
       :class:`~cutpoints.errors.NotFittedError`.

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
        values: Any = None,
        cv: Any = 5,
        refit: bool | Literal["auto"] = "auto",
        ties: TieRule = "highest",
        rule: Rule = ">=",
        aggregate: Aggregate = "pooled",
        response_method: ResponseMethod = "auto",
        pos_label: Any = None,
        random_state: Any = None,
        n_jobs: int | None = None,
        group_mode: Literal["independent", "joint"] | None = None,
        fallback: tuple[str, Any] | None = None,
    ) -> None:
        self.estimator = estimator
        self.metric = metric
        self.constraints = constraints
        self.maximize = maximize
        self.values = values
        self.cv = cv
        self.refit = refit
        self.ties = ties
        self.rule = rule
        self.aggregate = aggregate
        self.response_method = response_method
        self.pos_label = pos_label
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.group_mode = group_mode
        self.fallback = fallback

    # ------------------------------------------------------------------ validation
    def _check_params(self) -> tuple[BoundMetric, tuple[Constraint, ...]]:
        check_choice(self.ties, "ties", TIE_RULES)
        check_rule(self.rule)
        check_choice(self.aggregate, "aggregate", AGGREGATES)
        if not (isinstance(self.refit, (bool, np.bool_)) or self.refit == "auto"):
            msg = f"'refit' must be True, False or 'auto' (got {self.refit!r})"
            raise InvalidParameterError(msg)
        if self.maximize is not None and not isinstance(self.maximize, (bool, np.bool_)):
            msg = f"'maximize' must be None, True or False (got {self.maximize!r})"
            raise InvalidParameterError(msg)
        if check_group_mode(self.group_mode) is not None:
            check_fallback(self.fallback)
            if self.aggregate != "pooled":
                msg = (
                    f"'aggregate' must be 'pooled' with group_mode={self.group_mode!r} "
                    f"(got {self.aggregate!r}): per-group thresholds are tuned on the "
                    "pooled out-of-fold scores"
                )
                raise InvalidParameterError(msg)
        if not (hasattr(self.estimator, "fit") or self.cv == "prefit"):
            msg = f"'estimator' must be a scikit-learn classifier (got {self.estimator!r})"
            raise InvalidParameterError(msg)
        if self.group_mode is not None:  # gap limits ("recall_gap <= 0.05") are allowed
            return get_metric(self.metric), group_constraints(self.constraints)[0]
        return get_metric(self.metric), tuple(as_constraints(self.constraints))

    def _get_metadata_request(self) -> Any:
        # The columns named in ``values`` are fit-time metadata: request them, so that
        # metadata routing passes them to fit like sample_weight.
        requests = super()._get_metadata_request()
        if self.values is not None:
            for name in column_names(named_values(self.values)):
                if name not in requests.fit.requests:
                    requests.fit.add_request(param=name, alias=True)
        return requests

    def _row_values(self, fit_params: dict[str, Any], n: int) -> dict[str, Any] | None:
        """The ``values`` with their named columns taken out of ``fit_params``."""
        if self.values is None:
            return None
        spec = named_values(self.values)
        columns = {}
        for name in column_names(spec):
            if name not in fit_params:
                outcome = next(k for k, v in spec.items() if isinstance(v, tuple) and v[1] == name)
                msg = (
                    f"'values[\"{outcome}\"]' names the column {name!r}: pass it to fit "
                    f"(fit(X, y, {name}=...), one value per row)"
                )
                raise InvalidParameterError(msg)
            columns[name] = fit_params.pop(name)
        resolved = resolve_named(spec, columns)
        return dict(check_values(resolved, n).entries)

    def _refit(self) -> bool:
        prefit = isinstance(self.cv, str) and self.cv == "prefit"
        return not prefit if self.refit == "auto" else bool(self.refit)

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
            Binary target; or a multiclass one, for which class weights are tuned
            instead of a threshold (``class_weights_``).
        sample_weight : array-like of shape (n_samples,), optional
            Row weights: passed to the estimator's ``fit`` when it accepts them (a
            warning says when it does not), and always used to weight the confusion
            counts the threshold is tuned on.
        groups : array-like of shape (n_samples,), optional
            Group labels for group-aware splitters (``GroupKFold``...); with
            ``group_mode`` also the groups whose thresholds are tuned (then required).
        **fit_params : dict
            Passed to the estimator's ``fit`` (row-aligned arrays are split by fold).

        Returns
        -------
        self : CutpointClassifier

        Raises
        ------
        NotFittedError
            ``cv='prefit'`` with an estimator that is not fitted (also scikit-learn's
            ``NotFittedError``).
        """
        if is_multiclass_target(y):  # K > 2 classes: tuned class weights, not a threshold
            if check_group_mode(self.group_mode) is not None:
                msg = (
                    f"'group_mode' must be None on a multiclass target (got "
                    f"{self.group_mode!r}): per-group thresholds need a binary 'y'"
                )
                raise InvalidParameterError(msg)
            return self._fit_multiclass(X, y, sample_weight, groups, fit_params)
        for stale in ("class_weights_", "oof_proba_", "threshold_", "thresholds_"):
            self.__dict__.pop(stale, None)
        objective, constraints = self._check_params()
        X, y = indexable(X, y)
        target = check_binary_target(y, self.pos_label)
        n = _num_samples(X)
        tuning_groups = None if self.group_mode is None else row_groups(groups, n)
        fit_params = dict(fit_params)
        row_values = self._row_values(fit_params, n)
        weights = (
            None
            if sample_weight is None
            else np.asarray(check_weights(sample_weight, n, "sample_weight"))
        )
        method = resolve_response_method(self.estimator, self.response_method)
        tuning = Tuning(
            objective,
            constraints,
            self.maximize,
            self.ties,
            self.rule,
            target.pos_label,
            values=row_values,
        )
        refit = self._refit()
        if isinstance(self.cv, str) and self.cv == "prefit":
            if refit:
                msg = (
                    "'refit' must be False or 'auto' when cv='prefit' (the estimator is "
                    "used as fitted and never refit); pass refit='auto'"
                )
                raise InvalidParameterError(msg)
            if not is_fitted(self.estimator):
                msg = (
                    f"'estimator' must be fitted when cv='prefit' (got an unfitted "
                    f"{estimator_name(self.estimator)}); fit it first, or pass cv=5 to "
                    "fit it in cross-validation"
                )
                raise NotFittedError(msg)
            splits = [(np.empty(0, dtype=np.intp), np.arange(n, dtype=np.intp))]
            scores = positive_scores(
                self.estimator, X, response_method=method, pos_label=target.pos_label
            )
            self._tune(tuning, target.y, weights, splits, [scores], tuning_groups)
            self.estimator_ = self.estimator
            self._pos_label_ = target.pos_label
            return self
        with warnings.catch_warnings():
            if tuning_groups is not None:
                # With group_mode the groups are for the thresholds; a splitter that does
                # not use them (the default StratifiedKFold) need not warn that it ignores them.
                warnings.filterwarnings("ignore", "The groups parameter is ignored", UserWarning)
            splits = resolve_splits(self.cv, X, target.y, groups, self.random_state)
        if not refit and len(splits) > 1:
            msg = (
                f"'refit' can be False only with a single split (got cv={self.cv!r} "
                f"with {len(splits)} folds, so there is no single fitted model to "
                "keep); pass refit='auto' or a float cv"
            )
            raise InvalidParameterError(msg)
        params = fit_params_with_weight(self.estimator, weights, fit_params)
        results = Parallel(n_jobs=self.n_jobs)(
            delayed(fit_and_score)(
                self.estimator,
                X,
                target.y,
                train,
                test,
                params,
                method,
                target.pos_label,
                not refit,
            )
            for train, test in splits
        )
        # Tune before the refit: a tuning error (infeasible constraints, constant
        # scores) then costs no extra fit.
        self._tune(tuning, target.y, weights, splits, [r[0] for r in results], tuning_groups)
        if refit:
            self.estimator_ = clone(self.estimator).fit(X, target.y, **params)
        else:
            self.estimator_ = results[0][1]
        self._pos_label_ = target.pos_label
        return self

    def _tune(
        self,
        tuning: Tuning,
        y: np.ndarray,
        weights: np.ndarray | None,
        splits: list[tuple[np.ndarray, np.ndarray]],
        fold_scores: list[np.ndarray],
        groups: np.ndarray | None = None,
    ) -> None:
        if groups is not None:
            self._tune_groups(tuning, y, weights, splits, fold_scores, groups)
            return
        cut, table = tune_on_folds(
            self.estimator, tuning, y, weights, splits, fold_scores, self.aggregate
        )
        self.oof_scores_ = np.concatenate(fold_scores)
        self.oof_indices_ = np.concatenate([test for _, test in splits])
        self.cutpoint_ = cut
        self.threshold_ = float(cut.threshold)
        self.cv_results_ = table

    def _tune_groups(
        self,
        tuning: Tuning,
        y: np.ndarray,
        weights: np.ndarray | None,
        splits: list[tuple[np.ndarray, np.ndarray]],
        fold_scores: list[np.ndarray],
        groups: np.ndarray,
    ) -> None:
        """Per-group thresholds on the pooled tuning scores (``group_mode``)."""
        rows = np.concatenate([test for _, test in splits])
        scores = np.concatenate(fold_scores)
        assert self.group_mode is not None  # for mypy: only called with group_mode
        cut = tune_groups(
            y=y,
            scores=scores,
            rows=rows,
            groups=groups,
            weights=weights,
            mode=self.group_mode,
            objective=tuning.objective,
            constraints=(*tuning.constraints, *group_constraints(self.constraints)[1]),
            maximize=tuning.maximize,
            ties=tuning.ties,
            rule=tuning.rule,
            pos_label=tuning.pos_label,
            values=tuning.values,
        )
        self.oof_scores_ = scores
        self.oof_indices_ = rows
        self.cutpoint_ = cut  # type: ignore[assignment]
        self.thresholds_ = cut.thresholds
        self.cv_results_ = {
            "fold": np.arange(len(splits), dtype=np.int64),
            "n_train": np.array([len(train) for train, _ in splits], dtype=np.int64),
            "n_test": np.array([len(test) for _, test in splits], dtype=np.int64),
            "n_positive": np.array(
                [float(np.sum(y[test] == tuning.pos_label)) for _, test in splits]
            ),
        }

    def _fit_multiclass(
        self, X: Any, y: Any, sample_weight: Any, groups: Any, fit_params: dict[str, Any]
    ) -> CutpointClassifier:
        """Tune class weights on out-of-fold probabilities (:mod:`cutpoints.multiclass`)."""
        check_choice(self.ties, "ties", TIE_RULES)
        if not (isinstance(self.refit, (bool, np.bool_)) or self.refit == "auto"):
            msg = f"'refit' must be True, False or 'auto' (got {self.refit!r})"
            raise InvalidParameterError(msg)
        X, y = indexable(X, y)
        fit_multiclass(
            self, X, y, sample_weight, groups, fit_params,
            resolve_splits=resolve_splits, fit_params_with_weight=fit_params_with_weight,
            is_fitted=is_fitted, not_fitted_error=NotFittedError,
        )  # fmt: skip
        for stale in (
            "cutpoint_", "threshold_", "thresholds_", "cv_results_", "oof_scores_", "_pos_label_"
        ):  # fmt: skip
            self.__dict__.pop(stale, None)
        return self

    def _final_estimator(self) -> Any:
        if getattr(self, "class_weights_", None) is not None or hasattr(self, "thresholds_"):
            return self.estimator_
        return super()._final_estimator()

    def predict(self, X: Any, groups: Any = None) -> np.ndarray:
        """Class labels: the threshold's decision, or on a multiclass target
        ``classes_[argmax_k class_weights_.weights[k] · predict_proba(X)[:, k]]``.

        Parameters
        ----------
        X : {array-like, sparse matrix, DataFrame} of shape (n_samples, n_features)
        groups : array-like of shape (n_samples,), optional
            Each row's group: required when fitted with ``group_mode``, where a row is
            positive iff its score passes its group's threshold (``fallback`` decides
            for groups not seen in fit). Ignored otherwise.

        Returns
        -------
        ndarray of shape (n_samples,)
        """
        if getattr(self, "class_weights_", None) is not None:
            return predict_multiclass(self, X)
        if hasattr(self, "thresholds_"):
            return self._predict_groups(X, groups)
        return super().predict(X)

    def score(self, X: Any, y: Any, sample_weight: Any = None, groups: Any = None) -> float:
        """Accuracy of :meth:`predict` (which needs ``groups`` with ``group_mode``)."""
        from sklearn.metrics import accuracy_score

        predicted = self.predict(X, groups=groups)
        return float(accuracy_score(y, predicted, sample_weight=sample_weight))

    def _predict_groups(self, X: Any, groups: Any) -> np.ndarray:
        estimator = self.estimator_
        method = resolve_response_method(estimator, self.response_method)
        scores = positive_scores(estimator, X, response_method=method, pos_label=self._pos_label_)
        flags = group_flags(self.cutpoint_, scores, groups, self.fallback)  # type: ignore[arg-type]
        classes = np.asarray(estimator.classes_)
        pos_index = int(np.flatnonzero(classes == self._pos_label_)[0])
        return classes[np.where(flags, pos_index, 1 - pos_index)]  # type: ignore[no-any-return]

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = True  # via tuned class weights
        return tags

    def __cutpoints_tuned__(self) -> TunedParts:
        """The fitted model, cutpoint, threshold, response method and positive label."""
        if getattr(self, "class_weights_", None) is not None:
            msg = (
                "this CutpointClassifier was fitted on a multiclass target: it decides with "
                "class weights (class_weights_), not one threshold"
            )
            raise InvalidLabelsError(msg)
        if hasattr(self, "thresholds_"):
            msg = (
                f"this CutpointClassifier was fitted with group_mode={self.group_mode!r}: "
                "it decides with one threshold per group (thresholds_, a GroupCutpoint in "
                "cutpoint_), not one threshold; call predict(X, groups=...)"
            )
            raise InvalidParameterError(msg)
        if not hasattr(self, "cutpoint_") or not hasattr(self, "estimator_"):
            raise not_fitted(self)
        return TunedParts(
            estimator=self.estimator_,
            cutpoint=self.cutpoint_,
            threshold=self.threshold_,
            response_method=resolve_response_method(self.estimator_, self.response_method),
            pos_label=self._pos_label_,
            rule=self.cutpoint_.rule,
        )
