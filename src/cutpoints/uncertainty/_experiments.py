"""Repeated experiments: refit, score and sweep a model on many random splits.

Each repeat splits the data (stratified by class), clones and fits the estimator on the
training part, scores the test part (:func:`cutpoints._responses.positive_scores`) and
sweeps it exactly. Workers return plain numpy arrays (the test set's confusion counts),
never pandas objects, so results travel cheaply between processes or Dask workers; the
parent wraps them as :class:`~cutpoints.ConfusionCurve` objects. Thresholds are chosen
afterwards on each curve by the selection kernel of :func:`cutpoints.find_cutpoint`.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from .._api import confusion_curve
from .._curve import ConfusionCurve, Rule
from .._metrics import BoundMetric, MetricLike, get_metric, summary_metrics
from .._random import seed_sequence
from .._responses import RESPONSE_METHODS, positive_scores
from .._validation import as_1d, check_choice, check_consistent_length, check_target, check_weights
from ..engines import limit_sort_threads
from ..errors import InvalidParameterError
from ..selection import (
    TIE_RULES,
    Constraint,
    ConstraintLike,
    Selection,
    TieRule,
    as_constraints,
    select_rows,
)
from ._bootstrap import BootstrapWarning, failure_counts
from ._intervals import (
    DEFAULT_BAND_METRICS,
    DEFAULT_PERCENTILES,
    check_percentiles,
    default_grid,
    percentile_bands,
    quantiles,
)
from ._progress import progress_bar, want_progress
from ._result import STATUS

__all__ = ["ExperimentsResult", "repeat_experiments"]

FloatArray = npt.NDArray[np.float64]
Arrays = tuple[FloatArray, np.ndarray, np.ndarray, int]


@dataclass(frozen=True)
class _Spec:
    """What every repeat shares besides the data (small, pickled to each worker)."""

    test_size: float
    response_method: str
    pos_label: Any
    rule: Rule


def _one_experiment(
    estimator: Any,
    X: Any,
    y: np.ndarray,
    is_pos: npt.NDArray[np.bool_],
    weight: np.ndarray | None,
    spec: _Spec,
    seed: np.random.SeedSequence,
) -> Arrays:
    """Split, fit, score and sweep once: the test curve's (thresholds, tp, fp, n_rows).

    The model is fit on the user's labels ``y``; ``is_pos`` marks the positive class.
    """
    from sklearn.base import clone
    from sklearn.model_selection import train_test_split

    split_seed, model_seed = (int(v) for v in seed.generate_state(2))
    train, test = train_test_split(
        np.arange(len(y)), test_size=spec.test_size, random_state=split_seed, stratify=is_pos
    )
    model = clone(estimator)
    if "random_state" in model.get_params(deep=False):
        model.set_params(random_state=model_seed)
    X_train = X.iloc[train] if hasattr(X, "iloc") else X[train]
    X_test = X.iloc[test] if hasattr(X, "iloc") else X[test]
    if weight is None:
        model.fit(X_train, y[train])
    else:
        model.fit(X_train, y[train], sample_weight=weight[train])
    score = positive_scores(
        model, X_test, response_method=spec.response_method, pos_label=spec.pos_label
    )
    # Experiments run one per core already: a multi-threaded sort would oversubscribe.
    with limit_sort_threads(1):
        curve = confusion_curve(
            is_pos[test],
            score,
            sample_weight=None if weight is None else weight[test],
            rule=spec.rule,
        )
    return (
        np.ascontiguousarray(curve.thresholds),
        np.ascontiguousarray(curve.tp),
        np.ascontiguousarray(curve.fp),
        len(test),
    )


@dataclass
class ExperimentsResult:
    """Test-set confusion curves from repeated fit/score/sweep experiments.

    Attributes
    ----------
    curves : list of ConfusionCurve
        One exact test-set curve per repeat.
    n_repeats : int
    test_size : float
    metrics : tuple of str
        The metrics reported by :meth:`bands` by default.
    metric, constraints, ties, maximize :
        The selection :meth:`at_optimum` and :meth:`optima` use by default (those given
        to :func:`repeat_experiments`).
    """

    curves: list[ConfusionCurve]
    n_repeats: int
    test_size: float
    metrics: tuple[str, ...] = DEFAULT_BAND_METRICS
    metric: BoundMetric = field(default_factory=lambda: get_metric("f1"))
    constraints: tuple[Constraint, ...] = ()
    ties: str = "highest"
    maximize: bool | None = None

    def _grid(self, size: int = 200) -> FloatArray:
        pooled = np.unique(np.concatenate([c.thresholds[1:] for c in self.curves]))
        rule = self.curves[0].rule if self.curves else ">="
        # default_grid keeps curve order: fewest flagged first.
        return default_grid(pooled[::-1] if rule == ">=" else pooled, size)

    def bands(
        self,
        metrics: Sequence[MetricLike] | None = None,
        percentiles: Sequence[float] = DEFAULT_PERCENTILES,
        grid: Any = None,
    ) -> Any:
        """Percentile bands across repeats of metrics as functions of the threshold.

        Parameters
        ----------
        metrics : sequence of str, optional
            Defaults to the ``metrics`` given to :func:`repeat_experiments`.
            ``"flagged"`` is the flagged count on each test set.
        percentiles : sequence of float, default=(2.5, 50, 97.5)
        grid : array-like, optional
            Thresholds (flag ``score >= g``, or ``<=`` under ``rule="<="``); by default
            up to 200 pooled test scores, evenly spread in rank.

        Returns
        -------
        pandas.DataFrame
            Columns ``metric``, ``threshold`` and ``p{q:g}`` for each percentile.
        """
        pcts = check_percentiles(percentiles)
        g = self._grid() if grid is None else np.asarray(grid, dtype=np.float64).ravel()
        bound = [get_metric(m) for m in (self.metrics if metrics is None else metrics)]
        tp = np.empty((self.n_repeats, g.size))
        fp = np.empty((self.n_repeats, g.size))
        n_pos = np.empty((self.n_repeats, 1))
        n_neg = np.empty((self.n_repeats, 1))
        for i, c in enumerate(self.curves):
            rows = c.rows_at(g)
            tp[i], fp[i] = c.tp[rows], c.fp[rows]
            n_pos[i], n_neg[i] = c.n_positive, c.n_negative
        values = {m.name: m(tp, fp, n_neg - fp, n_pos - tp) for m in bound}
        return percentile_bands(g, values, pcts)

    def _selections(
        self,
        objective: BoundMetric,
        constraints: tuple[Constraint, ...],
        ties: str,
        maximize: bool | None,
    ) -> list[Selection]:
        """The kernel's choice on each repeat's test curve."""
        return [
            select_rows(c, objective, constraints, ties=ties, maximize=maximize)
            for c in self.curves
        ]

    def _table(self, chosen: list[Selection], extra: Sequence[BoundMetric]) -> Any:
        """Per repeat: status, threshold and every catalog metric at the chosen row."""
        import pandas as pd

        rows = [s.index for s in chosen]
        status = [s.status for s in chosen]

        report: dict[str, BoundMetric] = {}
        for m in [*summary_metrics(), *extra]:
            report.setdefault(m.name, m)
        records: dict[str, list[Any]] = {"repeat": [], "status": [], "threshold": []}
        records.update({name: [] for name in report})
        for i, (c, r, s) in enumerate(zip(self.curves, rows, status, strict=True)):
            records["repeat"].append(i)
            records["status"].append(s)
            records["threshold"].append(float(c.thresholds[r]) if r >= 0 else math.nan)
            counts = (
                c.tp[r : r + 1],
                c.fp[r : r + 1],
                c.n_negative - c.fp[r : r + 1],
                c.n_positive - c.tp[r : r + 1],
            )
            for name, m in report.items():
                records[name].append(float(m(*counts)[0]) if r >= 0 else math.nan)
        return pd.DataFrame(records)

    def optima(
        self,
        metric: MetricLike | None = None,
        *,
        constraints: ConstraintLike | Iterable[ConstraintLike] | None = None,
        ties: TieRule | None = None,
        maximize: bool | None = None,
    ) -> Any:
        """Each repeat's optimal threshold on its test set, and every metric there.

        Chosen by the selection kernel of :func:`find_cutpoint`: the same threshold
        :func:`find_cutpoint` returns on that test set, honoring ``constraints`` and
        ``ties``. Arguments left as None take the values given to
        :func:`repeat_experiments`.

        Returns
        -------
        pandas.DataFrame
            One row per repeat: ``repeat``, ``status`` (``"ok"``, ``"infeasible"``: no
            threshold meets the constraints, ``"undefined"``: the objective is NaN
            wherever they hold, ``"one_class"``: the test set holds one class, as the
            kernel says), ``threshold`` (NaN unless ok) and one column per catalog
            metric (plus the objective and the constrained metrics).
        """
        return self._optima(metric, constraints, ties, maximize)[0]

    def _optima(
        self,
        metric: MetricLike | None,
        constraints: ConstraintLike | Iterable[ConstraintLike] | None,
        ties: str | None,
        maximize: bool | None,
    ) -> tuple[Any, list[Selection]]:
        """(per-repeat table, the kernel's selections) for :meth:`optima`."""
        objective = self.metric if metric is None else get_metric(metric)
        cons = self.constraints if constraints is None else tuple(as_constraints(constraints))
        tie_rule = self.ties if ties is None else ties
        check_choice(tie_rule, "ties", TIE_RULES)
        direction = self.maximize if maximize is None else maximize
        chosen = self._selections(objective, cons, tie_rule, direction)
        return self._table(chosen, [objective, *(c.metric for c in cons)]), chosen

    def _ranges(
        self, table: Any, chosen: list[Selection], percentiles: Sequence[float], what: str
    ) -> Any:
        """Percentiles across repeats of each column of a per-repeat table."""
        import pandas as pd

        pcts = check_percentiles(percentiles)
        status = table["status"].to_numpy()
        counts = {s: int((status == s).sum()) for s in STATUS}
        n_bad = self.n_repeats - counts["ok"]
        if n_bad == self.n_repeats:
            raise chosen[0].error()
        if n_bad:
            warnings.warn(
                f"{n_bad} of {self.n_repeats} repeats had no threshold {what} "
                f"({failure_counts(status, 'repeat')}); they are counted in 'status' "
                "(see optima()) and excluded from the ranges",
                BootstrapWarning,
                stacklevel=3,
            )
        out = []
        for name in table.columns.drop(["repeat", "status"]):
            v = table[name].to_numpy(dtype=np.float64)
            q = quantiles(v, pcts)
            row: dict[str, Any] = {"quantity": name}
            row.update({f"p{p:g}": float(x) for p, x in zip(pcts, q, strict=True)})
            row["n"] = int((~np.isnan(v)).sum())
            out.append(row)
        frame = pd.DataFrame(out)
        frame.attrs["status"] = counts
        return frame

    def at_optimum(
        self,
        metric: MetricLike | None = None,
        percentiles: Sequence[float] = DEFAULT_PERCENTILES,
        *,
        constraints: ConstraintLike | Iterable[ConstraintLike] | None = None,
        ties: TieRule | None = None,
        maximize: bool | None = None,
    ) -> Any:
        """Ranges across repeats of the optimal threshold and every metric there.

        Each repeat's optimum is :meth:`optima`'s: exactly :func:`find_cutpoint` on its
        test set, with ``constraints`` and ``ties``. Arguments left as None take the
        values given to :func:`repeat_experiments`.

        Returns
        -------
        pandas.DataFrame
            One row per quantity (``threshold`` then each catalog metric), one column
            ``p{q:g}`` per percentile, and ``n`` (repeats where it is defined).
            ``attrs["status"]`` counts the repeats by status; repeats without a
            threshold are excluded from the ranges, counted there, and warned about
            (:class:`BootstrapWarning`).

        Raises
        ------
        InfeasibleConstraintError, UndefinedMetricError, InvalidLabelsError
            No repeat had a threshold: the first repeat's reason, as
            :func:`find_cutpoint` would raise it (``optima()`` lists every repeat's).
        """
        table, chosen = self._optima(metric, constraints, ties, maximize)
        return self._ranges(table, chosen, percentiles, "meeting the constraints")

    def at_capacity(
        self, capacity: float, percentiles: Sequence[float] = DEFAULT_PERCENTILES
    ) -> Any:
        """Ranges at the lowest threshold flagging at most ``capacity`` test rows.

        That threshold is the kernel's choice for "maximize ``flagged`` subject to
        ``flagged <= capacity``", lowest threshold among equals. ``capacity`` counts
        (weighted) rows of each test set (``test_size`` of the data); scale it when
        your production volume differs.
        """
        if isinstance(capacity, bool) or not (
            isinstance(capacity, (int, float, np.number)) and capacity >= 0
        ):
            msg = f"'capacity' must be a number >= 0 (got {capacity!r})"
            raise InvalidParameterError(msg)
        flagged = get_metric("flagged")
        limit = (Constraint(flagged, "<=", float(capacity)),)
        chosen = self._selections(flagged, limit, "lowest", True)
        table = self._table(chosen, [])
        return self._ranges(table, chosen, percentiles, f"flagging at most {capacity:g}")

    def summary(self) -> Any:
        """The ranges at the optimum (:meth:`at_optimum` with the stored selection)."""
        return self.at_optimum()

    def __str__(self) -> str:
        t = self.summary().set_index("quantity")
        cols = [c for c in t.columns if c != "n"]
        lo, mid, hi = cols[0], cols[len(cols) // 2], cols[-1]
        lines = [f"{self.n_repeats} repeated experiments (test size {self.test_size:g})"]
        # Percentiles across repeats (interpolated, not thresholds anyone applies): 4 digits.
        for q in dict.fromkeys(("threshold", self.metric.name, "precision", "recall")):
            lines.append(f"  {q:<10} {t.loc[q, mid]:.4g}  [{t.loc[q, lo]:.4g}, {t.loc[q, hi]:.4g}]")
        return "\n".join(lines)


def _check_arguments(n_repeats: Any, test_size: Any, response_method: Any) -> None:
    if isinstance(n_repeats, bool) or not isinstance(n_repeats, (int, np.integer)) or n_repeats < 1:
        msg = f"'n_repeats' must be an integer >= 1 (got {n_repeats!r})"
        raise InvalidParameterError(msg)
    if isinstance(test_size, bool) or not (
        isinstance(test_size, (int, float)) and 0 < float(test_size) < 1
    ):
        msg = f"'test_size' must be a fraction strictly between 0 and 1 (got {test_size!r})"
        raise InvalidParameterError(msg)
    check_choice(response_method, "response_method", RESPONSE_METHODS)


def _check_fit_weights(estimator: Any, weight: np.ndarray | None) -> None:
    from sklearn.utils.validation import has_fit_parameter

    if weight is not None and not has_fit_parameter(estimator, "sample_weight"):
        msg = (
            f"'sample_weight' is passed to each repeat's fit, but "
            f"{type(estimator).__name__}.fit takes no sample_weight (got weights for "
            f"{len(weight)} rows); use an estimator whose fit does"
        )
        raise InvalidParameterError(msg)


def repeat_experiments(
    estimator: Any,
    X: Any,
    y: Any,
    *,
    metric: MetricLike = "f1",
    constraints: ConstraintLike | Iterable[ConstraintLike] | None = (),
    ties: TieRule = "highest",
    rule: Rule = ">=",
    sample_weight: Any = None,
    pos_label: Any = None,
    maximize: bool | None = None,
    response_method: str = "auto",
    n_repeats: int = 20,
    test_size: float = 0.3,
    metrics: Iterable[MetricLike] = DEFAULT_BAND_METRICS,
    random_state: Any = None,
    n_jobs: int | None = None,
    client: Any = None,
    progress: bool | None = None,
) -> ExperimentsResult:
    """Repeat split / fit / score / sweep ``n_repeats`` times.

    Parameters
    ----------
    estimator : scikit-learn classifier
        Cloned and refit on each training split (its ``random_state``, when it has one,
        set per repeat). Scored with :func:`cutpoints._responses.positive_scores`.
    X : array-like or DataFrame of shape (n_samples, n_features)
    y : array-like of shape (n_samples,)
        Binary labels, as for :func:`find_cutpoint`. The model is fit on these labels.
    metric, constraints, ties, maximize :
        The selection :meth:`ExperimentsResult.at_optimum` (and ``summary``) apply on
        each test set by default, with :func:`find_cutpoint`'s meanings; checked now,
        so a typo fails before any fit.
    rule : {'>=', '<='}, default='>='
        Flag iff ``score >= threshold`` (or ``<=``), as for :func:`find_cutpoint`.
    sample_weight : array-like of shape (n_samples,), optional
        Row weights, used twice: passed to each training fit (the estimator's ``fit``
        must take ``sample_weight``) and weighting each test set's counts, so curves,
        bands and optima are weighted as in :func:`find_cutpoint`.
    pos_label : object, optional
        The positive class (needed unless labels are {0, 1}, {-1, 1} or boolean); the
        scores are the model's for this class.
    response_method : {'auto', 'predict_proba', 'decision_function', 'predict'}
        How the model scores (``'auto'``: ``predict_proba``, else
        ``decision_function``).
    n_repeats : int, default=20
    test_size : float, default=0.3
        Share of rows held out (stratified by class) in each repeat.
    metrics : iterable of str
        The metrics :meth:`ExperimentsResult.bands` reports by default.
    random_state : int, Generator or SeedSequence, optional
        Repeat i uses child i of ``numpy.random.SeedSequence(random_state).spawn(
        n_repeats)`` for its split and its model's ``random_state``; None draws fresh
        entropy.
    n_jobs : int, optional
        joblib workers when no ``client`` is given; None (the default) runs the repeats
        one after the other, which is never slower than two workers for light models
        (see ``docs/benchmarks.md``). joblib's ``parallel_config`` chooses the backend.
    client : dask.distributed.Client, optional
        Run the repeats on this Dask cluster instead (X and y are scattered once).
    progress : bool, optional
        Show a rich progress bar on stderr; by default only when stderr is a terminal.

    Returns
    -------
    ExperimentsResult

    Examples
    --------
    >>> import cutpoints as cp
    >>> from sklearn.linear_model import LogisticRegression
    >>> from cutpoints.datasets import load_demo
    >>> demo = load_demo()
    >>> res = cp.repeat_experiments(LogisticRegression(), demo.X_train, demo.y_train,
    ...                             n_repeats=4, random_state=0)
    >>> list(res.bands().columns)
    ['metric', 'threshold', 'p2.5', 'p50', 'p97.5']
    >>> cap = res.at_capacity(100).set_index("quantity")
    >>> bool(cap.loc["flagged", "p97.5"] <= 100)
    True
    """
    _check_arguments(n_repeats, test_size, response_method)
    check_choice(ties, "ties", TIE_RULES)
    check_choice(rule, "rule", (">=", "<="))
    objective = get_metric(metric)
    constraint_list = tuple(as_constraints(constraints))
    names = tuple(get_metric(m).name for m in metrics)
    labels = as_1d(y, "y")
    target = check_target(labels, pos_label, "y")
    weight = None if sample_weight is None else check_weights(sample_weight, len(labels))
    check_consistent_length(y=labels, sample_weight=weight)
    _check_fit_weights(estimator, weight)
    spec = _Spec(float(test_size), response_method, target.positive_label, rule)
    seeds = seed_sequence(random_state).spawn(int(n_repeats))
    show = want_progress(progress, True)
    with progress_bar(len(seeds), "experiments", show) as advance:
        data = (X, labels, target.is_positive, weight)
        arrays = _run(estimator, data, spec, seeds, n_jobs, client, advance)
    curves = [
        ConfusionCurve(
            t,
            tp,
            fp,
            n_positive=tp[-1].item(),
            n_negative=fp[-1].item(),
            n_samples=n_test,
            rule=rule,
            weighted=weight is not None,
            positive_label=target.positive_label,
            negative_label=target.negative_label,
        )
        for t, tp, fp, n_test in arrays
    ]
    return ExperimentsResult(
        curves,
        int(n_repeats),
        float(test_size),
        names,
        metric=objective,
        constraints=constraint_list,
        ties=ties,
        maximize=maximize,
    )


def _run(
    estimator: Any,
    data: tuple[Any, np.ndarray, npt.NDArray[np.bool_], np.ndarray | None],
    spec: _Spec,
    seeds: list[np.random.SeedSequence],
    n_jobs: int | None,
    client: Any,
    advance: Any,
) -> list[Arrays]:
    """The repeats, in seed order: on a Dask client, joblib workers, or here.

    ``data`` is (X, labels, is_positive, weights), shipped to the workers once.
    """
    out: list[Any] = [None] * len(seeds)
    if client is not None:
        from distributed import as_completed

        *shared, est_f = client.scatter([*data, estimator], broadcast=True)
        futures = [
            client.submit(_one_experiment, est_f, *shared, spec, s, pure=False) for s in seeds
        ]
        order = {f.key: i for i, f in enumerate(futures)}
        for fut in as_completed(futures):  # type: ignore[no-untyped-call]
            out[order[fut.key]] = fut.result()
            if advance is not None:
                advance(1)
        return out
    if n_jobs is None or n_jobs == 1:
        results: Iterable[Arrays] = (_one_experiment(estimator, *data, spec, s) for s in seeds)
    else:
        from joblib import Parallel, delayed

        results = Parallel(n_jobs=n_jobs, return_as="generator")(
            delayed(_one_experiment)(estimator, *data, spec, s) for s in seeds
        )
    for i, arrays in enumerate(results):
        out[i] = arrays
        if advance is not None:
            advance(1)
    return out
