"""The bootstrap of an optimal threshold: one sort, re-weighted resamples, one kernel.

Every resample's threshold is chosen by :func:`cutpoints.selection.select_rows` (the
kernel :func:`cutpoints.find_cutpoint` uses) on the resample's counts, with the scores
absent from the resample made ineligible and block pruning on: so the chosen threshold
is exactly the one :func:`cutpoints.find_cutpoint` returns on the same resample built
row by row, and a resample where it would raise is counted with the kernel's status.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import numpy.typing as npt

from .._api import confusion_curve, select_cutpoint
from .._curve import Rule
from .._metrics import BoundMetric, MetricLike, get_metric, summary_metrics
from .._random import seed_sequence
from .._validation import (
    check_choice,
    check_consistent_length,
    check_scores,
    check_target,
    check_weights,
)
from .._values import check_values
from ..errors import (
    InfeasibleConstraintError,
    InvalidInputError,
    InvalidLabelsError,
    InvalidParameterError,
    UndefinedMetricError,
)
from ..selection import TIE_RULES, Constraint, ConstraintLike, TieRule, select_rows
from ._intervals import default_grid
from ._progress import progress_bar, want_progress
from ._resample import Plan, Resample, make_plan, map_batches
from ._result import STATUS, BootstrapResult, metric_values

if TYPE_CHECKING:
    pass

__all__ = ["BootstrapWarning", "bootstrap", "failure_counts"]

IntArray = npt.NDArray[np.int64]
SelectRule = Literal["point", "lower_bound"]
#: Resamples x rows above which ``progress=None`` shows a bar (about a second of work).
PROGRESS_WORK = 10**8


class BootstrapWarning(UserWarning):
    """Some resamples (or repeats) had no feasible threshold: counted, not dropped."""


@dataclass(frozen=True)
class _Task:
    objective: BoundMetric
    constraints: tuple[Constraint, ...]
    maximize: bool
    ties: str
    fixed_row: int
    grid_rows: IntArray
    with_values: bool = False


def _select(r: Resample, task: _Task) -> tuple[int, int]:
    """The kernel's choice on one resample: (curve row or -1, status code)."""
    # A Resample's columns are computed at the rows the kernel reads (see _resample),
    # which is what keeps pruning cheap.
    selection = select_rows(
        r,
        task.objective,
        task.constraints,
        ties=task.ties,
        maximize=task.maximize,
        eligible=r.present,
        prune=True,
    )
    return selection.index, STATUS[selection.status]


def _run_batch(plan: Plan, task: _Task, seeds: list[np.random.SeedSequence]) -> dict[str, Any]:
    """Evaluate a batch of resamples; returns plain numpy arrays."""
    keys: tuple[str, ...] = ("chosen", "status", "tp", "fp", "n_pos", "n_neg", "oob_tp")
    keys += ("oob_fp", "oob_n_pos", "oob_n_neg", "fixed_tp", "fixed_fp")
    cols: dict[str, list[Any]] = {k: [] for k in (*keys, "grid_tp", "grid_fp")}
    fixed = np.array([task.fixed_row])
    for seed in seeds:
        r = Resample(plan, seed)
        row, status = _select(r, task)
        at = np.array([max(row, 0)])
        o_tp, o_fp, o_pos, o_neg = r.out_of_bag(max(row, 0))
        values = (
            row,
            status,
            r.tp[at][0],
            r.fp[at][0],
            r.n_positive,
            r.n_negative,
            o_tp,
            o_fp,
            o_pos,
            o_neg,
            r.tp[fixed][0],
            r.fp[fixed][0],
        )
        for k, v in zip(keys, values, strict=True):
            cols[k].append(v)
        cols["grid_tp"].append(r.tp[task.grid_rows])
        cols["grid_fp"].append(r.fp[task.grid_rows])
        if r.values is not None:  # per-row values: the total value, as tp and fp
            v = r.values
            cols.setdefault("value", []).append(v[at][0])
            cols.setdefault("oob_value", []).append(r.out_of_bag_value(max(row, 0)))
            cols.setdefault("fixed_value", []).append(v[fixed][0])
            cols.setdefault("grid_value", []).append(v[task.grid_rows])
    out = {k: np.asarray(v) for k, v in cols.items() if not k.startswith("grid")}
    for k in ("grid_tp", "grid_fp", "grid_value"):
        if k in cols:
            out[k] = np.stack(cols[k])
    return out


def _check_count(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        msg = f"'{name}' must be an integer >= 1 (got {value!r})"
        raise InvalidParameterError(msg)
    return int(value)


def _check_confidence(confidence: Any) -> float:
    if (
        isinstance(confidence, bool)
        or not isinstance(confidence, (int, float, np.floating))
        or not (0 < float(confidence) < 1)
    ):
        msg = f"'confidence' must be a number strictly between 0 and 1 (got {confidence!r})"
        raise InvalidParameterError(msg)
    return float(confidence)


def _report_metrics(
    objective: BoundMetric, constraints: Iterable[Constraint], with_values: bool = False
) -> list[BoundMetric]:
    """The catalog metrics, the objective and the constrained metrics, without repeats
    (and the total value with per-row values, as :func:`find_cutpoint` reports it)."""
    unique: dict[str, BoundMetric] = {}
    extra = [get_metric("value")] if with_values else []
    for m in [*summary_metrics(), *extra, objective, *(c.metric for c in constraints)]:
        unique.setdefault(m.name, m)
    return list(unique.values())


def failure_counts(status: npt.NDArray[Any], unit: str) -> str:
    """``"3 with infeasible constraints, 1 with one class"``: the non-ok statuses."""
    words = {
        "infeasible": "with infeasible constraints",
        "undefined": "with the objective undefined",
        "one_class": "with one class only",
    }
    parts = [f"{n} {words[s]}" for s in words if (n := int((status == s).sum()))]
    return ", ".join(parts) or f"no {unit} failed"


def _check_failures(status: npt.NDArray[np.str_], task: _Task) -> None:
    """Raise when no resample had a threshold; warn when some had none."""
    n = len(status)
    n_bad = int((status != "ok").sum())
    why = failure_counts(status, "resample")
    if n_bad == n:
        msg = (
            f"no threshold in any of the {n} resamples for metric '{task.objective.name}' "
            f"with constraints {[str(c) for c in task.constraints]} ({why})"
        )
        if (status == "infeasible").any():
            raise InfeasibleConstraintError(msg, [])
        if (status == "undefined").any():
            raise UndefinedMetricError(msg)
        raise InvalidLabelsError(msg)
    if n_bad:
        warnings.warn(
            f"{n_bad} of {n} resamples had no feasible threshold ({why}); they are counted "
            "in 'status' and excluded from the threshold, in-bag and out-of-bag intervals",
            BootstrapWarning,
            stacklevel=3,
        )


def _check_values_options(y_true: Any, y_score: Any, sample_weight: Any) -> None:
    """Per-row values are resampled with arrays in memory (multinomial or Poisson) or
    beside Dask arrays (Poisson, where they live); a scan carries its own
    (``cp.scan(..., values=...)``)."""
    if y_score is None:
        msg = (
            "'values' of a streamed source are given to the source: "
            "cp.scan(..., values={...}) (got values= beside a source)"
        )
        raise InvalidParameterError(msg)


def bootstrap(
    y_true: Any,
    y_score: Any = None,
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
    stratified: bool | None = None,
    select: SelectRule = "point",
    random_state: Any = None,
    n_jobs: int | None = None,
    progress: bool | None = None,
    method: Literal["multinomial", "poisson"] | None = None,
    groups: Any = None,
    mode: str = "independent",
    values: Any = None,
) -> BootstrapResult:
    """Bootstrap the optimal threshold: its distribution and the metrics around it.

    The scores are sorted once; every resample re-weights the rows (draws row indices
    with replacement, then counts them per distinct score), so a resample costs a few
    O(n) passes and no sort. Each resample's threshold is chosen by the selection
    kernel of :func:`find_cutpoint`, among the scores present in the resample, so it is
    exactly the one :func:`find_cutpoint` finds on that resample built row by row; a
    resample where :func:`find_cutpoint` would raise is counted in ``status``.

    Parameters
    ----------
    y_true, y_score : array-like of shape (n_samples,)
        Labels and scores, as for :func:`find_cutpoint`; or a streamed source as
        ``y_true`` (``cutpoints.scan(...)``) and no ``y_score``: then the resamples are
        Poisson resamples computed while the files are read (see ``method``).
    metric, constraints, ties, rule, sample_weight, pos_label, maximize :
        As for :func:`find_cutpoint`. A drawn row contributes its weight each time it
        is drawn. With ``rule="<="`` every threshold (the chosen one, each resample's,
        the bands' grid) is in score units, flagging ``score <= threshold``.
    n_resamples : int, default=1000
        Number of bootstrap resamples (>= 1).
    confidence : float, default=0.95
        Coverage of the two-sided percentile intervals, in (0, 1).
    stratified : bool, optional
        Resample positives and negatives separately, keeping the class counts fixed
        (each class needs at least 2 rows); the default for ``method="multinomial"``.
        False: resample all rows together. Poisson resamples are never stratified.
    select : {'point', 'lower_bound'}, default='point'
        ``'point'`` chooses the full-data optimum. ``'lower_bound'`` chooses the
        threshold whose one-sided lower confidence bound of the objective (its
        ``(1 - confidence)`` quantile across resamples; the upper bound for minimized
        metrics) is best, among the candidates: the thresholds feasible on the full data
        (constraints hold, objective defined) that were some resample's choice or are
        among the 256 best on the full data. Among candidates with the best bound,
        :func:`find_cutpoint`'s kernel chooses on the full data: the best full-data
        value, then ``ties``. This prefers a threshold that is good in most resamples
        over a sharp, lucky peak. Costs a second pass.
    random_state : int, Generator or SeedSequence, optional
        Seeds the resamples: resample i draws from child i of
        ``numpy.random.SeedSequence(random_state).spawn(n_resamples)``, so the result
        does not depend on ``n_jobs``. None draws fresh entropy.
    n_jobs : int, optional
        joblib workers for batches of resamples; None (the default) runs in this
        process. With Poisson resamples: the threads that read and count the batches
        (None: ``CUTPOINTS_NUM_THREADS``, else up to 8 of the cores).
    progress : bool, optional
        Show a progress bar on stderr. None (the default) shows one only for large
        runs (``n_resamples * n_samples >= 1e8``) when stderr is a terminal.
    method : {'multinomial', 'poisson'}, optional
        ``'multinomial'`` (the default for arrays): each resample draws n rows with
        replacement, from one sort of every row in memory. ``'poisson'`` (the only
        method, and the default, for a streamed source): each row gets an independent
        Poisson(1) weight per resample (0: absent), drawn from ``random_state`` and its
        global row index, so the resamples are counted in a few passes over the data in
        bounded memory, and do not depend on batch size, threads or file split. Each
        resample's threshold is still the one :func:`find_cutpoint` finds on it (rows
        of positive weight, weighted). Returns a
        :class:`~cutpoints.uncertainty.BootstrapResult` whose
        ``resample_weights(i)`` gives the weights; ``select="lower_bound"`` and custom
        band grids are not available. See the guide, "Bootstrap at scale".
    groups : array-like of shape (n_samples,), optional
        Each row's group: then a dict group -> BootstrapResult of that group's own
        threshold, each group's rows resampled on their own (``mode='independent'``;
        see :func:`cutpoints.groups.find_group_cutpoint`).
    mode : {'independent'}, default='independent'
        With ``groups``: only independent per-group thresholds are bootstrapped.
    values : mapping of outcome to float or array-like, optional
        Per-row values, as for :func:`find_cutpoint` (``metric="value"``, a
        ``"value >= x"`` constraint, and ``metrics["value"]`` whatever the objective).
        A drawn row contributes its ``weight * value`` once per draw (``k`` times its
        ``weight * value`` for a Poisson weight ``k``), as it contributes its weight to
        the counts; the tables then hold ``"value"``, with its intervals and bands.
        ``select="lower_bound"`` then maximizes the lower bound of the total value. A
        streamed source carries its own values (``cp.scan(..., values=...)``).

    Returns
    -------
    BootstrapResult

    Raises
    ------
    InvalidParameterError
        ``n_resamples < 1``, ``confidence`` outside (0, 1), an unknown option.
    InvalidInputError
        Stratified resampling with a class of fewer than 2 rows.
    InfeasibleConstraintError, UndefinedMetricError, InvalidLabelsError
        No resample had a threshold: the constraints hold on none, the objective is
        undefined, or they hold one class (a :class:`BootstrapWarning` counts partial
        failures, which stay in ``status``).

    Examples
    --------
    >>> import cutpoints as cp
    >>> y = [0, 0, 1, 1, 0, 1, 0, 1, 1, 0]
    >>> s = [0.1, 0.4, 0.35, 0.8, 0.2, 0.7, 0.6, 0.3, 0.9, 0.05]
    >>> res = cp.bootstrap(y, s, metric="f1", n_resamples=200, random_state=0)
    >>> res.threshold, res.n_resamples, res.thresholds.shape
    (0.3, 200, (200,))
    >>> lo, hi = res.interval("precision", kind="at_threshold")
    >>> bool(0 <= lo <= hi <= 1)
    True
    >>> sorted(res.bands(metrics=["f1"]).columns)
    ['metric', 'p2.5', 'p50', 'p97.5', 'threshold']
    """
    if values is not None:  # per-row values: with arrays in memory
        _check_values_options(y_true, y_score, sample_weight)
    if groups is not None:  # one threshold per group: cutpoints.groups (issue #12)
        from ..groups._bootstrap import bootstrap_groups

        return bootstrap_groups(  # type: ignore[return-value]  # a dict group -> result
            y_true, y_score, groups=groups, mode=mode, sample_weight=sample_weight,
            random_state=random_state, metric=metric, constraints=constraints, ties=ties,
            rule=rule, pos_label=pos_label, maximize=maximize, n_resamples=n_resamples,
            confidence=confidence, stratified=stratified, select=select, n_jobs=n_jobs,
            progress=progress, method=method, values=values,
        )  # fmt: skip
    n_resamples = _check_count(n_resamples, "n_resamples")
    confidence = _check_confidence(confidence)
    check_choice(ties, "ties", TIE_RULES)
    check_choice(select, "select", ("point", "lower_bound"))
    check_choice(rule, "rule", (">=", "<="))
    # --- dispatch: Poisson resamples, streamed sources [bootstrap-at-scale work owns this]
    if method is not None:
        check_choice(method, "method", ("multinomial", "poisson"))
    if y_score is None and method == "multinomial":
        msg = (
            "'method'='multinomial' draws rows from arrays in memory: pass y_true and "
            "y_score, or use method='poisson' for a streamed source (got y_score=None)"
        )
        raise InvalidParameterError(msg)
    from .._api import _is_dask

    if _is_dask(y_true, y_score, sample_weight):
        # Dask arrays: resampled where they live (Poisson), never collected.
        from .._scan import _cluster_arrays

        if method == "multinomial":
            msg = (
                "'method'='multinomial' draws rows from arrays in memory: use "
                "method='poisson' (the default) for Dask arrays (got 'multinomial')"
            )
            raise InvalidParameterError(msg)
        data = _cluster_arrays(y_true, y_score, sample_weight, pos_label, rule, values)
        if data is not None:  # the values travel inside the scan, checked on the workers
            y_true, y_score, sample_weight, pos_label, rule = data, None, None, None, ">="
            values = None
    if y_score is None:
        method = "poisson"
    if method == "poisson":
        from ._streaming import bootstrap_poisson, check_poisson_options

        check_poisson_options(stratified, select)
        return bootstrap_poisson(
            y_true, y_score, metric=metric, constraints=constraints, ties=ties, rule=rule,
            sample_weight=sample_weight, pos_label=pos_label, maximize=maximize,
            n_resamples=n_resamples, confidence=confidence, random_state=random_state,
            n_jobs=n_jobs, show_progress=progress, values=values,
        )  # fmt: skip
    stratified = True if stratified is None else stratified
    # --- end of dispatch
    score = check_scores(y_score, "y_score")
    target = check_target(y_true, pos_label, "y_true")
    check_consistent_length(y_true=target.is_positive, y_score=score)
    weight = check_weights(sample_weight, len(score)) if sample_weight is not None else None
    is_pos = target.is_positive
    if stratified:
        for name, count in (("positive", int(is_pos.sum())), ("negative", int((~is_pos).sum()))):
            if count < 2:
                msg = (
                    f"'stratified'=True needs at least 2 rows of each class in 'y_true' "
                    f"(got {count} {name} rows); pass stratified=False or more data"
                )
                raise InvalidInputError(msg)
    show = want_progress(progress, n_resamples * len(score) >= PROGRESS_WORK)

    curve = confusion_curve(
        y_true, y_score, sample_weight=sample_weight, pos_label=pos_label, rule=rule,
        values=values,
    )  # fmt: skip
    row_values = None if values is None else check_values(values, len(score))
    cut = select_cutpoint(
        curve, metric=metric, constraints=constraints, maximize=maximize, ties=ties
    )
    objective, constraint_list = cut.metric, tuple(cut.constraints)
    report = _report_metrics(objective, constraint_list, row_values is not None)
    # The plan orders rows as the curve does (fewest flagged first): by decreasing score
    # for ">=", by increasing score for "<=" (decreasing negated score).
    plan = make_plan(
        curve, score if rule == ">=" else -score, is_pos, weight, bool(stratified), row_values
    )
    grid = default_grid(curve.thresholds)
    task = _Task(
        objective=objective,
        constraints=constraint_list,
        maximize=cut.maximize,
        ties=ties,
        fixed_row=curve.index_at(cut.threshold),
        grid_rows=curve.rows_at(grid),
        with_values=row_values is not None,
    )
    seeds = seed_sequence(random_state).spawn(n_resamples)
    passes = 2 if select == "lower_bound" else 1
    with progress_bar(passes * n_resamples, "bootstrap", show) as advance:
        out = map_batches(_run_batch, plan, task, seeds, n_jobs, advance)
        names = {code: name for name, code in STATUS.items()}
        status = np.array([names[int(s)] for s in out["status"]])
        _check_failures(status, task)
        ok = status == "ok"
        chosen = curve.thresholds[np.where(ok, out["chosen"], 0)]
        oob = (out["oob_tp"], out["oob_fp"], out["oob_n_pos"], out["oob_n_neg"])
        bag = (out["tp"], out["fp"], out["n_pos"], out["n_neg"])
        fixed = (out["fixed_tp"], out["fixed_fp"], out["n_pos"], out["n_neg"])
        # The value columns each table's metrics read (none without per-row values).
        columns: dict[str, dict[str, Any]] = {"in_bag": {}, "out_of_bag": {}, "at_threshold": {}}
        if "value" in out:
            columns = {
                "in_bag": {"value": out["value"]},
                "out_of_bag": {"value": out["oob_value"]},
                "at_threshold": {"value": out["fixed_value"]},
            }
        result = BootstrapResult(
            cutpoint=cut,
            metric=objective.name,
            confidence=confidence,
            n_resamples=n_resamples,
            thresholds=np.where(ok, chosen, np.nan),
            status=status,
            in_bag=metric_values(report, *bag, ok, columns["in_bag"]),
            out_of_bag=metric_values(report, *oob, ok, columns["out_of_bag"]),
            at_threshold=metric_values(report, *fixed, columns=columns["at_threshold"]),
            select=select,
            stratified=bool(stratified),
            _curve=curve,
            _plan=plan,
            _seeds=seeds,
            _grid=grid,
            _grid_counts={k: out[k] for k in ("n_pos", "n_neg")}
            | {"tp": out["grid_tp"], "fp": out["grid_fp"]}
            | ({"value": out["grid_value"]} if "grid_value" in out else {}),
            _n_jobs=n_jobs,
            _metrics={m.name: m for m in report},
            _columns=columns,
        )
        if select == "lower_bound":
            from ._robust import choose_lower_bound

            choose_lower_bound(result, report, advance)
    return result
