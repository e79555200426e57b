"""Choosing by a lower confidence bound: ``bootstrap(select="lower_bound")``.

Two steps, the second being the selection kernel of :func:`cutpoints.find_cutpoint`:

1. Candidates are the thresholds feasible on the full data (every constraint holds, the
   objective is defined) that were some resample's choice or are among the 256 best on
   the full data. Each candidate's bound is the ``1 - confidence`` quantile of the
   objective across resamples (the ``confidence`` quantile for a minimized objective).
2. The candidates with the best bound are made eligible, and the kernel chooses among
   them on the full data, exactly as :func:`cutpoints.find_cutpoint` would: the best
   full-data value, then the tie rule (``highest``, ``lowest`` or the ``median`` of the
   tied set), under the same constraints.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from .._api import cutpoint_at_row
from .._curve import Rule
from .._cutpoint import Cutpoint
from .._metrics import BoundMetric, MetricLike
from ..selection import ConstraintLike, TieRule, select_rows
from ._intervals import quantiles
from ._resample import map_batches, replay_batch
from ._result import BootstrapResult, metric_values

__all__ = ["N_TOP", "choose_lower_bound", "find_cutpoint_robust"]

#: How many of the best full-data thresholds are always candidates.
N_TOP = 256


def choose_lower_bound(
    result: BootstrapResult,
    report: list[BoundMetric],
    advance: Callable[[int], None] | None = None,
) -> None:
    """Re-choose ``result``'s threshold by the lower confidence bound (in place)."""
    curve, plan = result._curve, result._plan
    assert curve is not None
    assert plan is not None
    cut = result.cutpoint
    objective, constraints, maximize = cut.metric, tuple(cut.constraints), cut.maximize
    full = select_rows(curve, objective, constraints, ties=cut.ties, maximize=maximize)
    top = np.concatenate((full.optimal_indices, full.ranked(N_TOP)))[:N_TOP]
    seen = curve.rows_at(result.thresholds[~np.isnan(result.thresholds)])
    candidates = np.union1d(top, seen[full.feasible[seen]]).astype(np.int64)
    c = map_batches(replay_batch, plan, candidates, result._seeds, result._n_jobs, advance)
    n_pos, n_neg = c["n_pos"][:, None], c["n_neg"][:, None]
    # Per-row values: each resample's total value at every candidate ("value" column).
    extra = {k: c[k] for k in ("value",) if k in c}
    columns = {name: extra[name] for name in objective.columns}
    values = objective(c["tp"], c["fp"], n_neg - c["fp"], n_pos - c["tp"], **columns)
    q = 100 * (1 - result.confidence) if maximize else 100 * result.confidence
    bound = quantiles(values, (q,), axis=0)[0]
    key = np.where(np.isnan(bound), -np.inf, bound if maximize else -bound)
    eligible = np.zeros(len(curve), dtype=bool)
    eligible[candidates[key == key.max()]] = True
    choice = select_rows(
        curve, objective, constraints, ties=cut.ties, maximize=maximize, eligible=eligible
    ).raise_for_status()
    row = choice.index
    j = int(np.searchsorted(candidates, row))
    result.cutpoint = cutpoint_at_row(
        curve,
        row,
        objective,
        constraints,
        maximize=maximize,
        ties=cut.ties,
        score=choice.best_value,
        optimal_thresholds=tuple(float(t) for t in curve.thresholds[choice.optimal_indices]),
    )
    at = {k: v[:, j] for k, v in extra.items()}
    result.at_threshold = metric_values(
        report, c["tp"][:, j], c["fp"][:, j], c["n_pos"], c["n_neg"], columns=at
    )
    if at:
        result._columns["at_threshold"] = at


def find_cutpoint_robust(
    y_true: Any,
    y_score: Any,
    *,
    metric: MetricLike = "f1",
    constraints: ConstraintLike | Iterable[ConstraintLike] | None = (),
    ties: TieRule = "highest",
    rule: Rule = ">=",
    sample_weight: Any = None,
    pos_label: Any = None,
    maximize: bool | None = None,
    n_resamples: int = 1000,
    confidence: float = 0.95,
    stratified: bool = True,
    random_state: Any = None,
    n_jobs: int | None = None,
    progress: bool | None = None,
    values: Any = None,
) -> Cutpoint:
    """The threshold maximizing a lower confidence bound of ``metric`` (not its estimate).

    Shorthand for ``bootstrap(..., select="lower_bound").cutpoint``; every parameter is
    :func:`bootstrap`'s, which says how the bound and the candidates are defined. Among
    the candidates whose bound is best, the threshold is chosen as
    :func:`find_cutpoint` chooses: by the full-data value, then by ``ties``.
    ``optimal_thresholds`` lists the candidates tied on both. With per-row ``values``
    and ``metric="value"``, it is the threshold whose lower bound of the total value is
    best.

    Examples
    --------
    >>> import cutpoints as cp
    >>> y = [0, 0, 1, 1, 0, 1, 0, 1, 1, 0]
    >>> s = [0.1, 0.4, 0.35, 0.8, 0.2, 0.7, 0.6, 0.3, 0.9, 0.05]
    >>> cut = cp.find_cutpoint_robust(y, s, n_resamples=100, random_state=0)
    >>> cut.threshold in s
    True
    """
    from ._bootstrap import bootstrap  # the entry point imports this module

    return bootstrap(
        y_true,
        y_score,
        metric=metric,
        constraints=constraints,
        ties=ties,
        rule=rule,
        sample_weight=sample_weight,
        pos_label=pos_label,
        maximize=maximize,
        n_resamples=n_resamples,
        confidence=confidence,
        stratified=stratified,
        select="lower_bound",
        random_state=random_state,
        n_jobs=n_jobs,
        progress=progress,
        values=values,
    ).cutpoint
