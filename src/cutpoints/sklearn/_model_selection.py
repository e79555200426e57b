"""Honest estimates of a tuned threshold, and a scorer for scikit-learn's model search.

:func:`cross_validate` runs nested cross-validation: in each outer fold a
:class:`~cutpoints.CutpointClassifier` is fitted and tuned on the outer training part
only (with its own inner cross-validation), and its threshold is then applied to the
outer test part it never saw. The objective measured there is an honest estimate of
what the tuned model will do on new data; the objective reported by tuning itself is
optimistic, because the threshold was chosen to be best on exactly those scores.

:func:`make_scorer` scores a model by its metric at its *own* best threshold on the
evaluation fold, for ``GridSearchCV(scoring=...)``: it ranks models by what they can
reach after threshold tuning, and is optimistic in absolute terms.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from sklearn.base import clone
from sklearn.model_selection import check_cv
from sklearn.utils import _safe_indexing
from sklearn.utils.parallel import Parallel, delayed
from sklearn.utils.validation import _num_samples, indexable

from .._display import shown_metrics
from .._metrics import MetricLike, get_metric
from .._responses import (
    RESPONSE_METHODS,
    default_threshold,
    positive_scores,
    resolve_response_method,
    tuned_parts,
)
from .._validation import check_choice, check_weights
from ..errors import CutpointsError, InvalidParameterError
from ..selection import TIE_RULES, ConstraintLike, TieRule, as_constraints
from ._base import Rule, check_binary_target, check_rule
from ._classifier import CutpointClassifier
from ._cv import Tuning

__all__ = ["CrossValidationResult", "cross_validate", "make_scorer"]


@dataclass(frozen=True)
class CrossValidationResult:
    """What :func:`cross_validate` measured, per outer fold and in summary.

    Attributes
    ----------
    metric : str
        The objective's name.
    maximize : bool
        Whether larger objective values are better.
    folds : dict of ndarrays
        One element per outer fold (``pandas.DataFrame(result.folds)`` makes a table):
        ``fold``, ``n_train``, ``n_test``, ``n_positive``, ``threshold`` (chosen without
        the fold), ``tuning_objective`` (the objective tuning reported on the inner
        out-of-fold scores: optimistic), ``objective`` (on the outer test fold: honest),
        ``optimism`` (``tuning_objective - objective``; positive means tuning looked
        better than it is, for a maximized metric), ``default_objective`` (the objective
        on the test fold at the estimator's default cut, 0.5 for probabilities and 0 for
        decision functions), and ``<metric>`` for the constrained and key metrics
        (precision, recall, specificity, flag_rate) at the chosen threshold.
    summary : dict of dict
        For every numeric column of ``folds``: ``mean``, ``std`` (ddof=1), ``min`` and
        ``max`` over folds.
    pooled : dict of float
        The outer test folds' confusion counts added up (each at its own fold's
        threshold) and the metrics computed from the totals.
    thresholds : ndarray of shape (n_folds,)
        The chosen thresholds.
    threshold_spread : dict of float
        ``mean``, ``std``, ``min``, ``max``, ``range`` of the thresholds: how stable the
        tuned threshold is under a change of training data.
    estimators : list of CutpointClassifier or None
        The fitted outer-fold estimators when ``return_estimators=True``.
    groups : list or None
        With per-group thresholds (``group_mode``): the group labels, in the order of
        the columns of ``thresholds``; None otherwise.
    group_threshold_spread : dict or None
        With ``group_mode``: group label -> the ``threshold_spread`` of that group's
        thresholds over the folds that tuned one; None otherwise.

    Notes
    -----
    With ``group_mode`` each fold has one threshold per group: ``folds`` has a column
    ``threshold[<group>]`` per group instead of ``threshold`` (NaN in a fold whose
    training part had no row of the group), and a column ``<metric>_gap`` for each gap
    limit (``"recall_gap <= 0.05"``): the largest between-group difference of the metric
    on the test fold, at the fold's thresholds. ``thresholds`` has shape
    ``(n_folds, n_groups)`` and ``threshold_spread`` is empty (see
    ``group_threshold_spread``). The objective and the metrics of each test fold are
    computed from its counts with every row flagged by its own group's threshold.
    """

    metric: str
    maximize: bool
    folds: dict[str, np.ndarray]
    summary: dict[str, dict[str, float]]
    pooled: dict[str, float]
    thresholds: np.ndarray
    threshold_spread: dict[str, float]
    estimators: list[CutpointClassifier] | None = field(default=None, repr=False)
    groups: list[Any] | None = None
    group_threshold_spread: dict[Any, dict[str, float]] | None = None

    def to_frame(self) -> Any:
        """The per-fold table as a pandas DataFrame (needs pandas)."""
        import pandas as pd

        return pd.DataFrame(self.folds)

    def __str__(self) -> str:
        s = self.summary
        lines = [
            f"cross-validated {self.metric} ({len(self.thresholds)} outer folds)",
            f"  honest (outer test folds): {s['objective']['mean']:.4g} "
            f"± {s['objective']['std']:.2g}",
            f"  reported by tuning:        {s['tuning_objective']['mean']:.4g}",
            f"  at the default cut:        {s['default_objective']['mean']:.4g}",
        ]
        spreads = (
            {"threshold": self.threshold_spread}
            if self.group_threshold_spread is None
            else {f"threshold[{g}]": v for g, v in self.group_threshold_spread.items()}
        )
        lines += [
            f"  {name}: {v['mean']:.4g} (min {v['min']:.4g}, max {v['max']:.4g})"
            for name, v in spreads.items()
        ]
        return "\n".join(lines)


def _summary(values: np.ndarray) -> dict[str, float]:
    finite = values[~np.isnan(values)]
    if finite.size == 0:
        return {"mean": math.nan, "std": math.nan, "min": math.nan, "max": math.nan}
    return {
        "mean": float(finite.mean()),
        "std": float(finite.std(ddof=1)) if finite.size > 1 else math.nan,
        "min": float(finite.min()),
        "max": float(finite.max()),
    }


def _outer_fold(
    tuner: CutpointClassifier,
    X: Any,
    y: np.ndarray,
    weights: np.ndarray | None,
    train: np.ndarray,
    test: np.ndarray,
    groups: Any,
    fit_params: dict[str, Any],
) -> tuple[CutpointClassifier, np.ndarray, str]:
    model = clone(tuner)
    w_train = None if weights is None else weights[train]
    g_train = None if groups is None else _safe_indexing(groups, train)
    model.fit(_safe_indexing(X, train), y[train], w_train, groups=g_train, **fit_params)
    if model.group_mode is not None:  # scored as predict(X, groups=) scores (no one threshold)
        method = resolve_response_method(model.estimator_, model.response_method)
        scores = positive_scores(
            model.estimator_,
            _safe_indexing(X, test),
            response_method=method,
            pos_label=model._pos_label_,
        )
        return model, scores, method
    # The tuned model scores through its inner model, as it was tuned (its own method
    # and positive label), so its threshold applies to these scores.
    scores = positive_scores(model, _safe_indexing(X, test))
    parts = tuned_parts(model)
    assert parts is not None  # a fitted CutpointClassifier always has its parts
    return model, scores, parts.response_method


def cross_validate(
    estimator: Any,
    X: Any,
    y: Any,
    *,
    metric: MetricLike = "f1",
    constraints: ConstraintLike | Iterable[ConstraintLike] | None = (),
    maximize: bool | None = None,
    cv: Any = 5,
    inner_cv: Any = None,
    ties: TieRule = "highest",
    rule: Rule = ">=",
    aggregate: str = "pooled",
    response_method: str = "auto",
    pos_label: Any = None,
    group_mode: str | None = None,
    fallback: Any = None,
    sample_weight: Any = None,
    groups: Any = None,
    random_state: Any = None,
    n_jobs: int | None = None,
    return_estimators: bool = False,
    **fit_params: Any,
) -> CrossValidationResult:
    """Nested cross-validation of threshold tuning: an honest estimate of the result.

    For each outer fold, a :class:`CutpointClassifier` (``cv=inner_cv``) is fitted and
    tuned on the outer training part alone; its threshold is then applied to the outer
    test part. The objective there is honest. The objective tuning *reported* (on its own
    out-of-fold scores) is kept too, so the optimism of "tune and evaluate on the same
    data" can be read off per fold.

    Parameters
    ----------
    estimator : estimator instance
        A binary classifier with ``predict_proba`` or ``decision_function``; or a
        :class:`CutpointClassifier`, which is then cross-validated exactly as configured
        (its metric, constraints, ``group_mode``, ``fallback``, ...; its ``cv`` is the
        inner cv unless ``inner_cv`` is given), and the tuning arguments below must be
        left at their defaults.
    X : {array-like, sparse matrix, DataFrame} of shape (n_samples, n_features)
    y : array-like of shape (n_samples,)
        Binary target.
    metric, constraints, maximize, ties, rule, aggregate, response_method, pos_label
        As in :class:`CutpointClassifier`.
    group_mode : {None, 'independent', 'joint'}, default=None
        As in :class:`CutpointClassifier`: one threshold per group of ``groups``, tuned
        in each outer fold on its training rows and applied to its test rows by their
        own group (gap limits such as ``"recall_gap <= 0.05"`` are then allowed in
        ``constraints``). See the Notes of :class:`CrossValidationResult`.
    fallback : None, ('group', label) or ('threshold', number), default=None
        With ``group_mode``: the threshold of a test row whose group the fold's
        training part did not have (None: an error naming the group and the fold).
    cv : int, splitter or iterable of splits, default=5
        The outer splits (where the honest estimate is measured).
    inner_cv : int, float, splitter or None, default=None
        The ``cv`` of each outer fold's :class:`CutpointClassifier` (where the threshold
        is chosen); None means 5 folds, or the ``cv`` of a given
        :class:`CutpointClassifier`. An iterable of splits is not allowed here: its
        indices would refer to the whole data, not to an outer training part.
    sample_weight : array-like of shape (n_samples,), optional
        Used to fit, to tune, and to weight the test-fold counts.
    groups : array-like of shape (n_samples,), optional
        Group labels for group-aware outer and inner splitters. With ``group_mode``
        (here or on the given :class:`CutpointClassifier`) they are also each row's
        group for the per-group thresholds, and required: exactly as
        ``CutpointClassifier.fit(X, y, groups=...)`` uses them, each outer fold's model
        gets ``groups[train]`` and its test rows are decided with ``groups[test]``. To
        split by other labels, pass the outer splits themselves
        (``cv=list(GroupKFold(5).split(X, y, other))``).
    random_state : int or None, default=None
        Seeds float ``inner_cv`` hold-outs.
    n_jobs : int, optional
        Outer folds run in parallel.
    return_estimators : bool, default=False
        Keep each outer fold's fitted :class:`CutpointClassifier`.
    **fit_params : dict
        Passed to the estimator's ``fit``.

    Returns
    -------
    CrossValidationResult
        ``folds`` (per-fold table), ``summary``, ``pooled``, ``thresholds`` and
        ``threshold_spread``.

    Raises
    ------
    InfeasibleConstraintError
        When the constraints cannot be met when tuning in some outer fold; the message
        names the fold.
    InvalidParameterError
        A tuning argument given together with a :class:`CutpointClassifier`, or
        ``group_mode`` without ``groups``.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from sklearn.linear_model import LogisticRegression
    >>> import cutpoints as cp
    >>> X, y = make_classification(n_samples=600, weights=[0.9], random_state=0)
    >>> res = cp.cross_validate(LogisticRegression(), X, y, metric="f1", cv=3, inner_cv=3)
    >>> res.folds["threshold"].round(3)
    array([0.225, 0.393, 0.471])
    >>> s = res.summary
    >>> round(s["objective"]["mean"], 3), round(s["tuning_objective"]["mean"], 3)
    (0.871, 0.869)

    One threshold per region, each fold's thresholds applied to its test rows by region:

    >>> region = np.array(["north", "south"])[np.arange(600) % 2]
    >>> res = cp.cross_validate(LogisticRegression(), X, y, cv=3, inner_cv=3,
    ...                         group_mode="independent", groups=region)
    >>> res.groups, res.thresholds.shape
    (['north', 'south'], (3, 2))
    """
    tuning_args = {
        "metric": (metric, "f1"),
        "constraints": (constraints, ()),
        "maximize": (maximize, None),
        "ties": (ties, "highest"),
        "rule": (rule, ">="),
        "aggregate": (aggregate, "pooled"),
        "response_method": (response_method, "auto"),
        "pos_label": (pos_label, None),
        "group_mode": (group_mode, None),
        "fallback": (fallback, None),
    }
    if isinstance(estimator, CutpointClassifier):
        tuner = _given_tuner(estimator, inner_cv, random_state, tuning_args)
    else:
        tuner = CutpointClassifier(
            estimator,
            metric=metric,
            constraints=constraints,
            maximize=maximize,
            cv=5 if inner_cv is None else inner_cv,
            refit=True,
            ties=ties,
            rule=rule,
            aggregate=aggregate,  # type: ignore[arg-type]
            response_method=response_method,  # type: ignore[arg-type]
            pos_label=pos_label,
            random_state=random_state,
            group_mode=group_mode,  # type: ignore[arg-type]  # checked by _check_params
            fallback=fallback,
        )
    _check_outer_and_inner_cv(cv, tuner.cv)
    X, y = indexable(X, y)
    target = check_binary_target(y, tuner.pos_label)
    n = _num_samples(X)
    weights = (
        None
        if sample_weight is None
        else np.asarray(check_weights(sample_weight, n, "sample_weight"))
    )
    objective, constraint_list = tuner._check_params()
    resolve_response_method(tuner.estimator, tuner.response_method)
    labels = None if tuner.group_mode is None else _threshold_groups(groups, n, tuner.group_mode)
    outer = check_cv(cv, target.y, classifier=True)
    with warnings.catch_warnings():
        if labels is not None:
            # With group_mode the groups are for the thresholds; a splitter that does
            # not use them is no mistake (as in CutpointClassifier.fit).
            warnings.filterwarnings("ignore", "The groups parameter is ignored", UserWarning)
        splits = [
            (np.asarray(tr, dtype=np.intp), np.asarray(te, dtype=np.intp))
            for tr, te in outer.split(X, target.y, groups)
        ]

    def run(k: int, train: np.ndarray, test: np.ndarray) -> tuple[CutpointClassifier, Any, str]:
        try:
            return _outer_fold(tuner, X, target.y, weights, train, test, groups, fit_params)
        except Exception as exc:
            note = f"in outer fold {k} of {len(splits)} ({len(train)} training rows)"
            if isinstance(exc, CutpointsError) and exc.args and isinstance(exc.args[0], str):
                exc.args = (f"{exc.args[0]} [{note}]", *exc.args[1:])
            elif hasattr(exc, "add_note"):  # Python >= 3.11
                exc.add_note(note)
            raise

    results = Parallel(n_jobs=n_jobs)(
        delayed(run)(k, train, test) for k, (train, test) in enumerate(splits)
    )
    tuning = Tuning(
        objective, constraint_list, tuner.maximize, tuner.ties, tuner.rule, target.pos_label
    )
    if labels is None:
        result = _measure(tuning, target.y, weights, splits, results)
    else:
        result = _measure_groups(tuning, target.y, weights, splits, results, labels, tuner)
    if return_estimators:
        result = replace(result, estimators=[r[0] for r in results])
    return result


def _given_tuner(
    estimator: CutpointClassifier,
    inner_cv: Any,
    random_state: Any,
    tuning_args: dict[str, tuple[Any, Any]],
) -> CutpointClassifier:
    """A :class:`CutpointClassifier` passed as ``estimator``: cross-validated as it is
    configured, so tuning arguments given to :func:`cross_validate` too would be two
    answers to one question: refused, by name."""
    for name, (given, default) in tuning_args.items():
        unset = given is None if default is None else _same(given, default)
        if not unset:
            msg = (
                f"'{name}' must be left at its default when 'estimator' is a "
                f"CutpointClassifier (got {given!r}): set it on the CutpointClassifier"
            )
            raise InvalidParameterError(msg)
    tuner: CutpointClassifier = clone(estimator)
    if inner_cv is not None:
        tuner.set_params(cv=inner_cv)
    if random_state is not None:
        tuner.set_params(random_state=random_state)
    return tuner


def _same(given: Any, default: Any) -> bool:
    if isinstance(default, tuple):  # constraints: any empty collection is "none"
        return given is None or (isinstance(given, (list, tuple)) and not given)
    return isinstance(given, str) and given == default


def _threshold_groups(groups: Any, n: int, group_mode: str) -> np.ndarray:
    """``groups`` as each row's group for the per-group thresholds (required)."""
    from ..groups._estimator import row_groups

    if groups is None:
        msg = (
            f"'groups' is required with group_mode={group_mode!r} (got None): pass each "
            "row's group, cross_validate(..., groups=g)"
        )
        raise InvalidParameterError(msg)
    return row_groups(groups, n)


def _check_outer_and_inner_cv(cv: Any, inner_cv: Any) -> None:
    if isinstance(inner_cv, str) and inner_cv == "prefit":
        msg = "'inner_cv' cannot be 'prefit': each outer fold must fit its own model"
        raise InvalidParameterError(msg)
    if not (
        isinstance(inner_cv, (int, float, np.integer, np.floating))
        or hasattr(inner_cv, "split")
        or inner_cv is None
    ):
        msg = (
            "'inner_cv' must be an int, a float or a splitter object (got "
            f"{type(inner_cv).__name__}); explicit splits would index the whole data, not "
            "each outer training part"
        )
        raise InvalidParameterError(msg)
    if isinstance(cv, str):
        msg = f"'cv' must be an int, a splitter or an iterable of splits (got {cv!r})"
        raise InvalidParameterError(msg)


def _measure(
    tuning: Tuning,
    y: np.ndarray,
    weights: np.ndarray | None,
    splits: list[tuple[np.ndarray, np.ndarray]],
    results: list[tuple[CutpointClassifier, np.ndarray, str]],
) -> CrossValidationResult:
    """Each outer test fold at its tuned model's threshold, then the summaries."""
    objective = tuning.objective
    maximize = objective.greater_is_better if tuning.maximize is None else bool(tuning.maximize)
    shown = shown_metrics(objective, tuning.constraints)[1:]
    keys = (
        "fold",
        "n_train",
        "n_test",
        "n_positive",
        "threshold",
        "tuning_objective",
        "objective",
        "optimism",
        "default_objective",
    )
    table: dict[str, list[Any]] = {key: [] for key in (*keys, *(m.name for m in shown))}
    totals = {"tp": 0.0, "fp": 0.0, "tn": 0.0, "fn": 0.0}
    for k, ((train, test), (model, scores, method)) in enumerate(zip(splits, results, strict=True)):
        curve = tuning.curve(y[test], scores, None if weights is None else weights[test])
        values = curve.metrics_at(model.threshold_, [objective, *shown])
        at_cut = curve.at(model.threshold_)
        for key in totals:
            totals[key] += float(at_cut[key])
        tuned = float(model.cutpoint_.score)
        table["fold"].append(k)
        table["n_train"].append(len(train))
        table["n_test"].append(len(test))
        table["n_positive"].append(float(curve.n_positive))
        table["threshold"].append(model.threshold_)
        table["tuning_objective"].append(tuned)
        table["objective"].append(values[objective.name])
        table["optimism"].append((tuned - values[objective.name]) * (1 if maximize else -1))
        default = curve.metrics_at(default_threshold(method), [objective])[objective.name]
        table["default_objective"].append(default)
        for m in shown:
            table[m.name].append(values[m.name])
    folds: dict[str, np.ndarray] = {
        key: np.array(vals, dtype=np.int64 if key in ("fold", "n_train", "n_test") else float)
        for key, vals in table.items()
    }
    summary = {
        key: _summary(np.asarray(vals, dtype=np.float64))
        for key, vals in folds.items()
        if key != "fold"
    }
    counts = [np.array([totals[k]]) for k in ("tp", "fp", "tn", "fn")]
    pooled = dict(totals)
    for m in [objective, *shown]:
        pooled[m.name] = float(m(*counts)[0])
    thresholds = folds["threshold"]
    spread = _summary(thresholds)
    spread["range"] = spread["max"] - spread["min"]
    return CrossValidationResult(
        metric=objective.name,
        maximize=maximize,
        folds=folds,
        summary=summary,
        pooled=pooled,
        thresholds=thresholds,
        threshold_spread=spread,
    )


def _measure_groups(
    tuning: Tuning,
    y: np.ndarray,
    weights: np.ndarray | None,
    splits: list[tuple[np.ndarray, np.ndarray]],
    results: list[tuple[CutpointClassifier, np.ndarray, str]],
    labels: np.ndarray,
    tuner: CutpointClassifier,
) -> CrossValidationResult:
    """:func:`_measure` for per-group thresholds: each test row flagged by its group's
    threshold (as ``predict(X, groups=)``), the metrics from the fold's counts."""
    from ..groups._estimator import group_constraints, group_flags

    objective = tuning.objective
    maximize = objective.greater_is_better if tuning.maximize is None else bool(tuning.maximize)
    shown = shown_metrics(objective, tuning.constraints)[1:]
    gaps = group_constraints(tuner.constraints)[1]
    # With group_mode, each fitted model's cutpoint_ is a GroupCutpoint.
    cuts: list[Any] = [r[0].cutpoint_ for r in results]
    names = list(dict.fromkeys(g for cut in cuts for g in cut.cutpoints))
    table: dict[str, list[Any]] = {
        key: []
        for key in (
            "fold", "n_train", "n_test", "n_positive",
            *(f"threshold[{g}]" for g in names),
            "tuning_objective", "objective", "optimism", "default_objective",
            *(m.name for m in shown), *(f"{c.metric.name}_gap" for c in gaps),
        )
    }  # fmt: skip
    totals = np.zeros(4)
    for k, ((train, test), (model, scores, method)) in enumerate(zip(splits, results, strict=True)):
        cut = cuts[k]
        try:
            flags = group_flags(cut, scores, labels[test], model.fallback)  # type: ignore[arg-type]
        except CutpointsError as exc:  # an unseen group: name the fold too
            if exc.args and isinstance(exc.args[0], str):
                note = f"in outer fold {k} of {len(splits)} ({len(test)} test rows)"
                exc.args = (f"{exc.args[0]} [{note}]", *exc.args[1:])
            raise
        w = np.ones(len(test)) if weights is None else weights[test].astype(np.float64)
        positive = y[test] == tuning.pos_label
        counts = _counts(flags, positive, w)
        totals += counts
        values = _metrics_of(counts, [objective, *shown])
        tuned = float(cut.score)
        curve = tuning.curve(y[test], scores, None if weights is None else weights[test])
        table["fold"].append(k)
        table["n_train"].append(len(train))
        table["n_test"].append(len(test))
        table["n_positive"].append(float(counts[0] + counts[3]))
        for g in names:
            table[f"threshold[{g}]"].append(cut.thresholds.get(g, math.nan))
        table["tuning_objective"].append(tuned)
        table["objective"].append(values[objective.name])
        table["optimism"].append((tuned - values[objective.name]) * (1 if maximize else -1))
        default = curve.metrics_at(default_threshold(method), [objective])[objective.name]
        table["default_objective"].append(default)
        for m in shown:
            table[m.name].append(values[m.name])
        for c in gaps:
            table[f"{c.metric.name}_gap"].append(
                _test_gap(c.metric, flags, positive, w, labels[test])
            )
    folds: dict[str, np.ndarray] = {
        key: np.array(vals, dtype=np.int64 if key in ("fold", "n_train", "n_test") else float)
        for key, vals in table.items()
    }
    summary = {
        key: _summary(vals.astype(np.float64)) for key, vals in folds.items() if key != "fold"
    }
    pooled = dict(zip(("tp", "fp", "tn", "fn"), totals.tolist(), strict=True))
    pooled |= _metrics_of(totals, [objective, *shown])
    thresholds = np.column_stack([folds[f"threshold[{g}]"] for g in names])
    spreads = {}
    for g in names:
        spread = _summary(folds[f"threshold[{g}]"])
        spreads[g] = spread | {"range": spread["max"] - spread["min"]}
    return CrossValidationResult(
        metric=objective.name,
        maximize=maximize,
        folds=folds,
        summary=summary,
        pooled=pooled,
        thresholds=thresholds,
        threshold_spread={},
        groups=names,
        group_threshold_spread=spreads,
    )


def _counts(flags: np.ndarray, positive: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Weighted (tp, fp, tn, fn)."""
    return np.array(
        [
            math.fsum(w[flags & positive]),
            math.fsum(w[flags & ~positive]),
            math.fsum(w[~flags & ~positive]),
            math.fsum(w[~flags & positive]),
        ]
    )


def _metrics_of(counts: np.ndarray, metrics: list[Any]) -> dict[str, float]:
    with np.errstate(all="ignore"):  # an undefined metric is NaN, as on a curve
        return {m.name: float(m(*(np.array([c]) for c in counts))[0]) for m in metrics}


def _test_gap(
    metric: Any, flags: np.ndarray, positive: np.ndarray, w: np.ndarray, labels: np.ndarray
) -> float:
    """Largest minus smallest ``metric`` over the groups of a test fold (NaN if any
    group's is undefined, as ``GroupCutpoint.gap``)."""
    values = []
    for g in dict.fromkeys(labels.tolist()):
        rows = labels == g
        values.append(_metrics_of(_counts(flags[rows], positive[rows], w[rows]), [metric]))
    per_group = [v[metric.name] for v in values]
    if any(math.isnan(v) for v in per_group):
        return math.nan
    return max(per_group) - min(per_group)


class _CutpointScorer:
    """Score a fitted classifier by its metric at its own best threshold on (X, y)."""

    def __init__(
        self,
        metric: MetricLike,
        constraints: Any,
        maximize: bool | None,
        ties: TieRule,
        rule: str,
        response_method: str,
        pos_label: Any,
    ) -> None:
        self.metric = metric
        self.constraints = constraints
        self.maximize = maximize
        self.ties = ties
        self.rule = rule
        self.response_method = response_method
        self.pos_label = pos_label
        self._objective = get_metric(metric)
        self._constraints = tuple(as_constraints(constraints))
        self._sign = (
            1.0 if (self._objective.greater_is_better if maximize is None else maximize) else -1.0
        )

    def __repr__(self) -> str:
        extra = (
            f", constraints={[str(c) for c in self._constraints]!r}" if self._constraints else ""
        )
        rule = "" if self.rule == ">=" else f", rule={self.rule!r}"
        sign = "" if self._sign > 0 else ", sign=-1"
        return f"make_scorer({self._objective.name!r}{extra}{rule}{sign})"

    def __call__(self, estimator: Any, X: Any, y_true: Any, sample_weight: Any = None) -> float:
        target = check_binary_target(y_true, self.pos_label)
        scores = positive_scores(
            estimator, X, response_method=self.response_method, pos_label=target.pos_label
        )
        tuning = Tuning(
            self._objective,
            self._constraints,
            self.maximize,
            self.ties,
            self.rule,
            target.pos_label,
        )
        weights = None if sample_weight is None else np.asarray(sample_weight)
        cut = tuning.select(tuning.curve(target.y, scores, weights))
        return self._sign * float(cut.score)


def make_scorer(
    metric: MetricLike = "f1",
    *,
    constraints: ConstraintLike | Iterable[ConstraintLike] | None = (),
    maximize: bool | None = None,
    ties: TieRule = "highest",
    rule: Rule = ">=",
    response_method: str = "auto",
    pos_label: Any = None,
) -> Any:
    """A scikit-learn scorer: the metric at the model's own best threshold on the fold.

    For ``GridSearchCV(scoring=...)``, ``cross_val_score`` and friends. On each
    evaluation fold, the exact optimal threshold for ``metric`` (under ``constraints``)
    is found on that fold's scores, and the metric there is the score. This ranks models
    by what they can reach once their threshold is tuned, rather than at the arbitrary
    0.5 cut.

    The value is optimistic: the threshold was chosen on the very rows it is scored on.
    Use it to *compare* models; for an honest estimate of the chosen one, use
    :func:`cross_validate`.

    Parameters
    ----------
    metric : str, Metric or callable, default='f1'
        The objective, as in :func:`cutpoints.find_cutpoint`.
    constraints : str or list, default=()
        Bounds that must hold at the threshold. A fold where no threshold satisfies them
        raises :class:`~cutpoints.errors.InfeasibleConstraintError`, which
        ``GridSearchCV`` reports as a failed fit with ``error_score``.
    maximize : bool, optional
        Override the metric's direction.
    ties : {'highest', 'lowest', 'median'}, default='highest'
        Which optimal threshold is chosen (it changes the score only with constraints
        or a tie between thresholds of different metric values, never otherwise).
    rule : {'>=', '<='}, default='>='
        Flag iff ``score >= threshold``; ``'<='`` for scores where lower means positive.
    response_method : {'auto', 'predict_proba', 'decision_function', 'predict'}, \
default='auto'
        Which scores the threshold applies to (a tuned cutpoints model: its own).
    pos_label : object, optional
        The positive class; by default the greater label.

    Returns
    -------
    callable
        ``scorer(estimator, X, y, sample_weight=None) -> float``. Greater is better: a
        minimized metric (a cost, an error rate) is returned negated, as scikit-learn's
        ``neg_*`` scorers are.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.model_selection import GridSearchCV
    >>> import cutpoints as cp
    >>> X, y = make_classification(n_samples=300, weights=[0.9], random_state=0)
    >>> search = GridSearchCV(LogisticRegression(), {"C": [0.01, 1.0]},
    ...                       scoring=cp.make_scorer("f1"), cv=3).fit(X, y)
    >>> search.best_params_
    {'C': 0.01}
    >>> cp.make_scorer("cost(fp=1, fn=10)")
    make_scorer('cost(fp=1, fn=10)', sign=-1)
    """
    check_choice(ties, "ties", TIE_RULES)
    check_rule(rule)
    check_choice(response_method, "response_method", RESPONSE_METHODS)
    return _CutpointScorer(metric, constraints, maximize, ties, rule, response_method, pos_label)
