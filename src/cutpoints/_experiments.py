"""Repeated experiments: refit, score and sweep a model on many random splits, in parallel.

Each repeat splits the data (stratified), clones and fits the estimator on the training
part, scores the test part and sweeps it exactly. Workers return plain numpy arrays (the
test set's confusion curve), never pandas objects, so results travel cheaply between
processes or Dask workers. Bands and ranges are computed afterwards from the curves.
"""

from __future__ import annotations

import contextlib
import math
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from ._bootstrap import (
    DEFAULT_BAND_METRICS,
    DEFAULT_PERCENTILES,
    _check_percentiles,
    _quantiles,
    default_grid,
    percentile_bands,
)
from ._metrics import MetricLike, get_metric, summary_metrics
from ._sweep import limit_sort_threads, sweep_with_top
from ._validation import check_target
from .errors import InvalidParameterError

__all__ = ["ExperimentsResult", "repeat_experiments"]

FloatArray = npt.NDArray[np.float64]


def _scores(model: Any, X: Any) -> FloatArray:
    if hasattr(model, "predict_proba"):
        proba = np.asarray(model.predict_proba(X))
        classes = list(getattr(model, "classes_", [0, 1]))
        col = classes.index(1) if 1 in classes else proba.shape[1] - 1
        return proba[:, col].astype(np.float64)
    return np.asarray(model.decision_function(X), dtype=np.float64).ravel()


def _one_experiment(
    estimator: Any, X: Any, y: npt.NDArray[np.int64], test_size: float, seed: int
) -> tuple[FloatArray, np.ndarray, np.ndarray]:
    """Split, fit, score and sweep once. Returns the test curve as numpy arrays."""
    from sklearn.base import clone
    from sklearn.model_selection import train_test_split

    idx = np.arange(len(y))
    train, test = train_test_split(idx, test_size=test_size, random_state=seed, stratify=y)
    model = clone(estimator)
    with contextlib.suppress(ValueError):  # estimators without a random_state
        model.set_params(random_state=seed)
    X_train = X.iloc[train] if hasattr(X, "iloc") else X[train]
    X_test = X.iloc[test] if hasattr(X, "iloc") else X[test]
    model.fit(X_train, y[train])
    score = _scores(model, X_test)
    # Experiments run one per core already: a multi-threaded sort would oversubscribe.
    with limit_sort_threads(1):
        thresholds, tp, fp = sweep_with_top(score, y[test] == 1)
    return np.ascontiguousarray(thresholds), np.ascontiguousarray(tp), np.ascontiguousarray(fp)


def _counts_at(
    curve: tuple[FloatArray, np.ndarray, np.ndarray], grid: FloatArray
) -> tuple[np.ndarray, np.ndarray]:
    thresholds, tp, fp = curve
    rows = np.searchsorted(-thresholds[1:], -grid, side="right")
    return tp[rows], fp[rows]


@dataclass
class ExperimentsResult:
    """Test-set confusion curves from repeated fit/score/sweep experiments.

    Attributes
    ----------
    curves : list of (thresholds, tp, fp)
        One exact test-set curve per repeat (row 0 flags nothing).
    n_repeats : int
    test_size : float
    metrics : tuple of str
        The metrics reported by :meth:`bands` by default.
    """

    curves: list[tuple[FloatArray, np.ndarray, np.ndarray]]
    n_repeats: int
    test_size: float
    metrics: tuple[str, ...] = DEFAULT_BAND_METRICS

    def _grid(self, size: int = 200) -> FloatArray:
        pooled = np.concatenate([c[0][1:] for c in self.curves])
        return default_grid(pooled, size)

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
            Thresholds (flag ``score >= g``); by default up to 200 pooled test scores,
            evenly spread in rank.

        Returns
        -------
        pandas.DataFrame
            Columns ``metric``, ``threshold`` and ``p{q:g}`` for each percentile.
        """
        pcts = _check_percentiles(percentiles)
        g = self._grid() if grid is None else np.asarray(grid, dtype=np.float64).ravel()
        bound = [get_metric(m) for m in (self.metrics if metrics is None else metrics)]
        tp = np.empty((self.n_repeats, g.size))
        fp = np.empty((self.n_repeats, g.size))
        n_pos = np.empty((self.n_repeats, 1))
        n_neg = np.empty((self.n_repeats, 1))
        for i, c in enumerate(self.curves):
            tp[i], fp[i] = _counts_at(c, g)
            n_pos[i], n_neg[i] = c[1][-1], c[2][-1]
        values = {m.name: m(tp, fp, n_neg - fp, n_pos - tp) for m in bound}
        return percentile_bands(g, values, pcts)

    def _ranges(self, rows: list[int], percentiles: Sequence[float]) -> Any:
        import pandas as pd

        pcts = _check_percentiles(percentiles)
        report = summary_metrics()
        records: dict[str, list[float]] = {"threshold": []}
        for m in report:
            records[m.name] = []
        for c, r in zip(self.curves, rows, strict=True):
            thresholds, tp, fp = c
            records["threshold"].append(float(thresholds[r]) if r >= 0 else math.nan)
            counts = (tp[r : r + 1], fp[r : r + 1], fp[-1] - fp[r : r + 1], tp[-1] - tp[r : r + 1])
            for m in report:
                records[m.name].append(float(m(*counts)[0]) if r >= 0 else math.nan)
        out = []
        for name, vals in records.items():
            v = np.asarray(vals)
            q = _quantiles(v, pcts)
            row: dict[str, Any] = {"quantity": name}
            row.update({f"p{p:g}": float(x) for p, x in zip(pcts, q, strict=True)})
            row["n"] = int((~np.isnan(v)).sum())
            out.append(row)
        return pd.DataFrame(out)

    def at_optimum(
        self, metric: MetricLike = "f1", percentiles: Sequence[float] = DEFAULT_PERCENTILES
    ) -> Any:
        """Ranges across repeats of the optimal threshold and every metric there.

        Each repeat's optimum is exact on its own test set (ties: highest threshold).

        Returns
        -------
        pandas.DataFrame
            One row per quantity (``threshold`` then each catalog metric), one column
            ``p{q:g}`` per percentile, and ``n`` (repeats where it is defined).
        """
        m = get_metric(metric)
        rows = []
        for _, tp, fp in self.curves:
            v = m(tp, fp, fp[-1] - fp, tp[-1] - tp)
            if np.isnan(v).all():
                rows.append(-1)
                continue
            rows.append(int(np.nanargmax(v) if m.greater_is_better else np.nanargmin(v)))
        return self._ranges(rows, percentiles)

    def at_capacity(
        self, capacity: float, percentiles: Sequence[float] = DEFAULT_PERCENTILES
    ) -> Any:
        """Ranges at the lowest threshold flagging at most ``capacity`` test rows.

        ``capacity`` counts rows of each test set (``test_size`` of the data); scale it
        when your production volume differs.
        """
        if not (isinstance(capacity, (int, float, np.number)) and capacity >= 0):
            msg = f"'capacity' must be a number >= 0 (got {capacity!r})"
            raise InvalidParameterError(msg)
        rows = []
        for _, tp, fp in self.curves:
            flagged = tp + fp
            rows.append(int(np.searchsorted(flagged, capacity, side="right") - 1))
        return self._ranges(rows, percentiles)

    def summary(self) -> Any:
        """The ranges at the F1 optimum (:meth:`at_optimum` with ``"f1"``)."""
        return self.at_optimum("f1")

    def __str__(self) -> str:
        t = self.at_optimum("f1").set_index("quantity")
        cols = list(t.columns)
        lo, mid, hi = cols[0], cols[len(cols) // 2 - 1 if len(cols) > 3 else 1], cols[-2]
        lines = [f"{self.n_repeats} repeated experiments (test size {self.test_size:g})"]
        for q in ("threshold", "f1", "precision", "recall"):
            lines.append(f"  {q:<10} {t.loc[q, mid]:.4g}  [{t.loc[q, lo]:.4g}, {t.loc[q, hi]:.4g}]")
        return "\n".join(lines)


def _progress(total: int, enabled: bool | None) -> Any:
    if enabled is None:
        enabled = sys.stderr.isatty()
    if not enabled:
        return None
    from rich.progress import Progress

    progress = Progress(transient=True)
    progress.start()
    progress.add_task("experiments", total=total)
    return progress


def repeat_experiments(
    estimator: Any,
    X: Any,
    y: Any,
    *,
    n_repeats: int = 20,
    test_size: float = 0.3,
    metrics: Iterable[MetricLike] = DEFAULT_BAND_METRICS,
    n_jobs: int | None = -1,
    client: Any = None,
    random_state: int | None = None,
    progress: bool | None = None,
    pos_label: Any = None,
) -> ExperimentsResult:
    """Repeat split / fit / score / sweep ``n_repeats`` times, in parallel.

    Parameters
    ----------
    estimator : scikit-learn classifier
        Cloned and refit on each training split (its ``random_state`` set per repeat
        when it has one). Scored with ``predict_proba`` (or ``decision_function``).
    X : array-like or DataFrame of shape (n_samples, n_features)
    y : array-like of shape (n_samples,)
        Binary labels.
    n_repeats : int, default=20
    test_size : float, default=0.3
        Share of rows held out (stratified) in each repeat.
    metrics : iterable of str
        The metrics :meth:`ExperimentsResult.bands` reports by default.
    n_jobs : int, default=-1
        joblib processes when no ``client`` is given (-1: all cores).
    client : dask.distributed.Client, optional
        Run the repeats on this Dask cluster instead (X and y are scattered once).
    random_state : int, optional
        Seeds the splits (repeat i uses seed ``random_state + i``).
    progress : bool, optional
        Show a rich progress bar; by default only when stderr is a terminal.

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
    ...                             n_repeats=4, n_jobs=1, random_state=0)
    >>> list(res.bands().columns)
    ['metric', 'threshold', 'p2.5', 'p50', 'p97.5']
    >>> cap = res.at_capacity(100).set_index("quantity")
    >>> bool(cap.loc["flagged", "p97.5"] <= 100)
    True
    """
    if isinstance(n_repeats, bool) or not isinstance(n_repeats, (int, np.integer)) or n_repeats < 1:
        msg = f"'n_repeats' must be an integer >= 1 (got {n_repeats!r})"
        raise InvalidParameterError(msg)
    if not (isinstance(test_size, (int, float)) and 0 < float(test_size) < 1):
        msg = f"'test_size' must be a fraction strictly between 0 and 1 (got {test_size!r})"
        raise InvalidParameterError(msg)
    names = tuple(get_metric(m).name for m in metrics)
    target = check_target(y, pos_label, "y")
    y_int = target.is_positive.astype(np.int64)
    base = 0 if random_state is None else int(random_state)
    seeds = [base + i for i in range(int(n_repeats))]
    bar = _progress(len(seeds), progress)
    curves: list[Any] = []
    try:
        if client is not None:
            from distributed import as_completed

            X_f, y_f, est_f = client.scatter([X, y_int, estimator], broadcast=True)
            futures = [
                client.submit(_one_experiment, est_f, X_f, y_f, float(test_size), s, pure=False)
                for s in seeds
            ]
            order = {f.key: i for i, f in enumerate(futures)}
            out: list[Any] = [None] * len(futures)
            for fut in as_completed(futures):  # type: ignore[no-untyped-call]
                out[order[fut.key]] = fut.result()
                if bar is not None:
                    bar.advance(bar.task_ids[0])
            curves = out
        elif n_jobs is None or n_jobs == 1:
            for s in seeds:
                curves.append(_one_experiment(estimator, X, y_int, float(test_size), s))
                if bar is not None:
                    bar.advance(bar.task_ids[0])
        else:
            from joblib import Parallel, delayed

            gen = Parallel(n_jobs=n_jobs, return_as="generator")(
                delayed(_one_experiment)(estimator, X, y_int, float(test_size), s) for s in seeds
            )
            for c in gen:
                curves.append(c)
                if bar is not None:
                    bar.advance(bar.task_ids[0])
    finally:
        if bar is not None:
            bar.stop()
    return ExperimentsResult(curves, int(n_repeats), float(test_size), names)
