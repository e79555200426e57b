"""Cross-validated tuning: splits, out-of-fold scores, and the choice on them.

:func:`tune_on_folds` is the whole tuning step of :class:`CutpointClassifier`: per fold,
the fold's own optimum (a diagnostic, or the input to ``aggregate='mean'/'median'``);
then the threshold on the pooled out-of-fold scores. Every choice goes through
:func:`cutpoints.select_cutpoint` (the selection kernel): nothing here takes an argmax.
"""

from __future__ import annotations

import math
import numbers
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from sklearn.base import clone
from sklearn.model_selection import StratifiedShuffleSplit, check_cv
from sklearn.utils import _safe_indexing
from sklearn.utils.validation import _check_method_params

from .._api import confusion_curve, cutpoint_at_row, select_cutpoint
from .._curve import ConfusionCurve
from .._cutpoint import Cutpoint
from .._display import shown_metrics
from .._metrics import BoundMetric
from .._responses import positive_scores
from ..errors import (
    CutpointsError,
    InfeasibleConstraintError,
    InvalidInputError,
    InvalidParameterError,
)
from ..selection import Constraint
from ._base import estimator_name

__all__ = ["Tuning", "fit_and_score", "resolve_splits", "tune_on_folds"]

Split = tuple[np.ndarray, np.ndarray]


def resolve_splits(cv: Any, X: Any, y: np.ndarray, groups: Any, random_state: Any) -> list[Split]:
    """The (train, test) index pairs of ``cv``: an int, a float hold-out, a splitter or splits."""
    if isinstance(cv, numbers.Real) and not isinstance(cv, (numbers.Integral, bool)):
        if not 0 < float(cv) < 1:
            msg = f"'cv' as a float is the hold-out fraction and must be in (0, 1) (got {cv!r})"
            raise InvalidParameterError(msg)
        splitter: Any = StratifiedShuffleSplit(
            n_splits=1, test_size=float(cv), random_state=random_state
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


def fit_and_score(
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
    scores = positive_scores(
        model, _safe_indexing(X, test), response_method=method, pos_label=pos_label
    )
    return scores, (model if keep else None)


@dataclass(frozen=True)
class Tuning:
    """How to choose: objective, constraints, direction, tie rule, decision rule."""

    objective: BoundMetric
    constraints: tuple[Constraint, ...]
    maximize: bool | None
    ties: str
    rule: str
    pos_label: Any
    # Per-row values (outcome -> number or an array over all rows of X), or None.
    values: dict[str, Any] | None = None

    def select(self, curve: ConfusionCurve) -> Cutpoint:
        return select_cutpoint(
            curve,
            metric=self.objective,
            constraints=self.constraints,
            maximize=self.maximize,
            ties=self.ties,  # type: ignore[arg-type]
        )

    def curve(
        self,
        y: np.ndarray,
        scores: np.ndarray,
        weights: np.ndarray | None,
        rows: np.ndarray | None = None,
    ) -> ConfusionCurve:
        """The curve of ``scores``, which belong to ``rows`` of X (for per-row values)."""
        values = None
        if self.values is not None:
            values = {
                k: v[rows] if isinstance(v, np.ndarray) and rows is not None else v
                for k, v in self.values.items()
            }
        return confusion_curve(
            y,
            scores,
            sample_weight=weights,
            pos_label=self.pos_label,
            rule=self.rule,  # type: ignore[arg-type]
            values=values,
        )


def _check_scores(estimator: Any, scores: np.ndarray, rows: np.ndarray) -> None:
    """Refuse non-finite scores and a constant predictor, naming the estimator."""
    if scores.size and not np.isfinite(scores).all():
        bad = int(np.flatnonzero(~np.isfinite(scores))[0])
        msg = (
            f"'estimator' ({estimator_name(estimator)}) returned a non-finite "
            f"score ({scores[bad]!r}) for row {int(rows[bad])}"
        )
        raise InvalidInputError(msg)
    if scores.size == 0 or scores.min() == scores.max():
        value = float(scores[0]) if scores.size else math.nan
        msg = (
            f"'estimator' ({estimator_name(estimator)}) gives every out-of-fold "
            f"row the same score ({value!r}), so no threshold can separate the "
            "classes; it is a constant predictor (check its features and parameters)"
        )
        raise InvalidInputError(msg)


def tune_on_folds(
    estimator: Any,
    tuning: Tuning,
    y: np.ndarray,
    weights: np.ndarray | None,
    splits: list[Split],
    fold_scores: list[npt.NDArray[np.float64]],
    aggregate: str,
) -> tuple[Cutpoint, dict[str, np.ndarray]]:
    """The tuned cutpoint on the pooled out-of-fold scores, and the per-fold table."""
    oof_index = np.concatenate([test for _, test in splits])
    oof_scores = np.concatenate(fold_scores)
    _check_scores(estimator, oof_scores, oof_index)

    def weight_of(rows: np.ndarray) -> np.ndarray | None:
        return None if weights is None else weights[rows]

    # Per fold: its own optimum (a diagnostic for 'pooled', the input to mean/median).
    curves: list[ConfusionCurve | None] = []
    fold_cuts: list[Cutpoint | None] = []
    statuses: list[str] = []
    for (_, rows), scores in zip(splits, fold_scores, strict=True):
        w = weight_of(rows)
        if w is not None and not w.any():
            curves.append(None)
            fold_cuts.append(None)
            statuses.append("all test weights are zero")
            continue
        curve = tuning.curve(y[rows], scores, w, rows)
        curves.append(curve)
        try:
            fold_cuts.append(tuning.select(curve))
            statuses.append("ok")
        except CutpointsError as exc:
            fold_cuts.append(None)
            kind = "infeasible" if isinstance(exc, InfeasibleConstraintError) else "undefined"
            statuses.append(f"{kind}: {exc}")

    failed = [k for k, s in enumerate(statuses) if s != "ok"]
    detail = "; ".join(f"fold {k}: {statuses[k]}" for k in failed)
    if failed and len(splits) > 1 and aggregate != "pooled":
        msg = (
            f"aggregate={aggregate!r} needs an optimal threshold in every fold, "
            f"but {len(failed)} of {len(splits)} folds have none ({detail}). Use "
            "aggregate='pooled', which tunes on all out-of-fold scores together, or "
            "relax the constraints"
        )
        raise InfeasibleConstraintError(msg)
    # One split (prefit, a hold-out): its curve and choice are the pooled ones; reuse them
    # rather than sort the same rows twice.
    single = len(splits) == 1 and curves[0] is not None
    pooled = (
        curves[0]
        if single
        else tuning.curve(y[oof_index], oof_scores, weight_of(oof_index), oof_index)
    )
    assert pooled is not None  # for mypy: curves[0] is not None when single
    if aggregate == "pooled":
        try:
            cut = fold_cuts[0] if single and fold_cuts[0] is not None else tuning.select(pooled)
        except InfeasibleConstraintError as exc:
            msg = (
                f"no threshold satisfies the constraints on the pooled out-of-fold scores "
                f"({pooled.n_samples} rows from {len(splits)} "
                f"fold{'s' if len(splits) > 1 else ''}): {exc}"
            )
            raise InfeasibleConstraintError(msg, exc.closest) from exc
    else:
        # Every fold has a threshold here (else the error above); an infinite one ("flag
        # nothing") is kept, so it pulls a mean to infinity rather than being dropped.
        chosen = np.array([c.threshold for c in fold_cuts if c is not None])
        threshold = float(np.mean(chosen) if aggregate == "mean" else np.median(chosen))
        cut = cutpoint_at_row(
            pooled,
            pooled.index_at(threshold),
            tuning.objective,
            tuning.constraints,
            maximize=(
                tuning.objective.greater_is_better if tuning.maximize is None else tuning.maximize
            ),
            ties=tuning.ties,
            threshold=threshold,
        )
    if failed and len(splits) > 1:  # only 'pooled' gets here with failed folds
        warnings.warn(
            f"{len(failed)} of {len(splits)} folds have no optimal threshold of their "
            f"own ({detail}). Their out-of-fold scores are still pooled for tuning; "
            "see cv_results_['status']",
            UserWarning,
            stacklevel=3,
        )
    table = fold_table(curves, fold_cuts, statuses, splits, tuning, cut.threshold)
    return cut, table


def fold_table(
    curves: list[ConfusionCurve | None],
    fold_cuts: list[Cutpoint | None],
    statuses: list[str],
    splits: list[Split],
    tuning: Tuning,
    threshold: float,
) -> dict[str, np.ndarray]:
    """``cv_results_``: per fold, its own optimum and the metrics at the final threshold."""
    objective = tuning.objective
    shown = shown_metrics(objective, tuning.constraints)
    names = [m.name for m in shown[1:]]
    table: dict[str, list[Any]] = {
        "fold": [],
        "n_train": [],
        "n_test": [],
        "n_positive": [],
        "status": [],
        "fold_threshold": [],
        "fold_objective": [],
        **{f"fold_{name}": [] for name in names},
        "final_threshold": [],
        "final_objective": [],
        **{f"final_{name}": [] for name in names},
    }
    nan_values = dict.fromkeys([objective.name, *names], math.nan)
    for k, (curve, cut, status, (train, test)) in enumerate(
        zip(curves, fold_cuts, statuses, splits, strict=True)
    ):
        table["fold"].append(k)
        table["n_train"].append(len(train))
        table["n_test"].append(len(test))
        table["n_positive"].append(math.nan if curve is None else float(curve.n_positive))
        table["status"].append(status)
        own = math.nan if cut is None else cut.threshold
        table["fold_threshold"].append(own)
        table["final_threshold"].append(threshold)
        for prefix, at in (("fold", own), ("final", threshold)):
            values = nan_values if curve is None or math.isnan(at) else curve.metrics_at(at, shown)
            table[f"{prefix}_objective"].append(values[objective.name])
            for name in names:
                table[f"{prefix}_{name}"].append(values[name])
    out: dict[str, np.ndarray] = {}
    for key, column in table.items():
        if key == "status":
            out[key] = np.array(column, dtype=object)
        elif key in ("fold", "n_train", "n_test"):
            out[key] = np.array(column, dtype=np.int64)
        else:
            out[key] = np.array(column, dtype=np.float64)
    return out
