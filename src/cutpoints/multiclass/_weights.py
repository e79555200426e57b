"""Tuned per-class weights: decide ``argmax_k w_k · p_k`` with the weights that score best.

Coordinate ascent, where each step is exact. Holding every weight but ``w_j`` fixed,
row r predicts class j iff ``w_j · p_rj > m_r = max_{k≠j} w_k · p_rk``, i.e. iff
``w_j > t_r = m_r / p_rj``; below that it keeps its best other class ``a_r``. So as
``w_j`` grows from 0 to infinity, rows switch to j one by one at the breakpoints
``t_r``, and the confusion matrix changes only there: sorting the breakpoints and
accumulating the switches (each moves a row's weight from cell (y_r, a_r) to
(y_r, j)) gives the confusion matrix on every interval between breakpoints, hence the
metric everywhere, in O(n log n + n·K²). The best interval is taken (the current one if
it is among the best, so a step never moves without gaining), ``w_j`` is set inside it,
and the decisions are recomputed directly to confirm the value. A round visits every
class; the search stops when a round gains nothing (a coordinate-wise optimum) or after
``max_rounds``. It starts from the plain argmax (all weights 1), and optionally also
from the inverse class frequencies, keeping the better end point.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from .._validation import check_choice
from ..errors import InvalidParameterError, UndefinedMetricError
from ._metrics import BoundMulticlassMetric, MulticlassMetricLike, get_multiclass_metric
from ._result import ClassWeights, OneVsRest
from ._validation import check_classes, check_proba, check_sample_weight

__all__ = ["confusion_matrix", "find_class_weights"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
_CHUNK_CELLS = 1 << 21  # breakpoints x K² cells per chunk of the sweep (16 MB)
STARTS = ("argmax", "inverse_prior")


def confusion_matrix(
    y_index: IntArray, predicted: IntArray, n_classes: int, weight: FloatArray | None = None
) -> np.ndarray:
    """The (weighted) K×K confusion matrix of class indices, rows true, columns predicted."""
    flat = y_index * n_classes + predicted
    counts = np.bincount(flat, weights=weight, minlength=n_classes * n_classes)
    if weight is None:
        counts = counts.astype(np.int64)
    return counts.reshape(n_classes, n_classes)


class _Search:
    """The data of one tuning run and the exact one-coordinate sweep."""

    def __init__(
        self,
        y: IntArray,
        proba: FloatArray,
        weight: FloatArray | None,
        metric: BoundMulticlassMetric,
    ) -> None:
        self.y = y
        self.proba = proba
        self.weight = weight
        self.metric = metric
        self.k = proba.shape[1]
        self.maximize = metric.greater_is_better
        self.w_rows = np.ones(len(y)) if weight is None else weight

    def predict(self, w: FloatArray) -> IntArray:
        chosen: IntArray = np.argmax(self.proba * w, axis=1).astype(np.int64)
        return chosen

    def evaluate(self, w: FloatArray) -> tuple[float, np.ndarray]:
        matrix = confusion_matrix(self.y, self.predict(w), self.k, self.weight)
        return float(self.metric(matrix)), matrix

    def better(self, a: float, b: float) -> bool:
        """Whether ``a`` beats ``b`` (NaN never beats anything; anything beats NaN)."""
        if math.isnan(a):
            return False
        if math.isnan(b):
            return True
        return a > b if self.maximize else a < b

    def sweep(self, j: int, w: FloatArray) -> tuple[FloatArray, FloatArray]:
        """(breakpoints, metric on each interval) as ``w_j`` runs over (0, inf).

        Interval r lies between breakpoints r-1 and r (interval 0 below the first,
        the last above the last); its value is the metric of the decisions there.
        """
        k = self.k
        scaled = self.proba * w
        scaled[:, j] = -np.inf
        other = np.argmax(scaled, axis=1)
        m = scaled[np.arange(len(other)), other]
        pj = self.proba[:, j]
        t = _switch_points(pj, m, j < other)
        always = t == 0  # j wins at any weight (no other class scores above 0)
        base = np.where(always, j, other)
        movable = np.flatnonzero((t > 0) & np.isfinite(t))
        order = movable[np.argsort(t[movable])]  # equal breakpoints are grouped below
        ts = t[order]
        ends = np.flatnonzero(np.r_[ts[1:] != ts[:-1], True]) if ts.size else ts.astype(np.int64)
        breakpoints = ts[ends]
        start = confusion_matrix(self.y, base, k, self.weight).astype(np.float64)
        # Each switch moves the row's weight from cell (y, other) to cell (y, j).
        y, a, moved = self.y[order], other[order], self.w_rows[order]
        metric = self.metric
        if metric.metric.cells is not None:
            values = self._linear(start, j, y, a, moved, ends)
        elif metric.metric.margins is not None:
            values = self._by_margins(start, j, y, a, moved, ends)
        else:
            values = self._dense(start, j, y, a, moved, ends)
        return breakpoints, values

    def _linear(
        self, start: np.ndarray, j: int, y: IntArray, a: IntArray, moved: FloatArray, ends: IntArray
    ) -> FloatArray:
        """A metric linear in the cells: one running total."""
        matrix = np.asarray(self.metric.metric.cells(self.metric.params), dtype=np.float64)  # type: ignore[misc]
        total = float((start * matrix).sum())
        running = total + np.cumsum(moved * (matrix[y, j] - matrix[y, a]))
        values: FloatArray = np.r_[total, running[ends]]
        if self.metric.params.get("normalize"):
            values = values / float(start.sum())
        return values

    def _by_margins(
        self, start: np.ndarray, j: int, y: IntArray, a: IntArray, moved: FloatArray, ends: IntArray
    ) -> FloatArray:
        """A metric of the margins: the diagonal and the column sums change (2K numbers).

        Built from one-hot rows (a broadcast comparison, no scattered writes), then one
        cumulative sum down each column.
        """
        k = self.k
        true = start.sum(axis=1)
        diag, pred = np.diagonal(start).copy(), start.sum(axis=0)
        values = np.empty(len(ends) + 1)
        values[0] = self.metric.from_margins(diag, true, pred)
        labels = np.arange(k)
        chunk = max(1, _CHUNK_CELLS // (2 * k))
        out = 1
        for s in range(0, len(y), chunk):
            e = min(s + chunk, len(y))
            w, ys, aa = moved[s:e], y[s:e], a[s:e]
            leaving = aa[:, None] == labels  # the class each row stops being predicted as
            dp = leaving * -w[:, None]
            dp[:, j] += w
            dd = leaving * -np.where(ys == aa, w, 0.0)[:, None]  # a correct row turns wrong
            dd[:, j] += np.where(ys == j, w, 0.0)  # a row of class j turns right
            here = ends[(ends >= s) & (ends < e)] - s
            np.cumsum(dd, axis=0, out=dd)
            np.cumsum(dp, axis=0, out=dp)
            last_d, last_p = dd[-1] + diag, dp[-1] + pred
            if len(here) < e - s:  # tied breakpoints: only the end of each tie group
                dd, dp = dd[here], dp[here]
            dd += diag
            dp += pred
            values[out : out + len(here)] = self.metric.from_margins(dd, true, dp)
            out += len(here)
            diag, pred = last_d, last_p
        return values

    def _dense(
        self, start: np.ndarray, j: int, y: IntArray, a: IntArray, moved: FloatArray, ends: IntArray
    ) -> FloatArray:
        """Any metric of the whole matrix: the K² cells, in chunks."""
        k = self.k
        values = np.empty(len(ends) + 1)
        values[0] = self.metric(start)
        add, sub = y * k + j, y * k + a
        chunk = max(1, _CHUNK_CELLS // (k * k))
        carry = start.ravel()
        out = 1
        for s in range(0, len(y), chunk):
            e = min(s + chunk, len(y))
            rows = np.arange(e - s)
            delta = np.zeros((e - s, k * k))
            delta[rows, add[s:e]] += moved[s:e]
            delta[rows, sub[s:e]] -= moved[s:e]
            np.cumsum(delta, axis=0, out=delta)
            delta += carry
            here = ends[(ends >= s) & (ends < e)] - s
            values[out : out + len(here)] = self.metric(delta[here].reshape(-1, k, k))
            out += len(here)
            carry = delta[-1].copy()
        return values

    def step(self, j: int, w: FloatArray, score: float) -> tuple[FloatArray, float] | None:
        """The best weight for class j, if it beats ``score``; None otherwise."""
        breakpoints, values = self.sweep(j, w)
        defined = ~np.isnan(values)
        if not defined.any():
            return None
        best = float(np.max(values[defined]) if self.maximize else np.min(values[defined]))
        if not self.better(best, score):
            return None
        current = int(np.searchsorted(breakpoints, w[j], side="right"))
        candidates = np.flatnonzero(values == best)
        candidates = candidates[np.argsort(np.abs(candidates - current), kind="stable")]
        fallback: tuple[FloatArray, float] | None = None
        for r in candidates[:5]:
            trial = w.copy()
            trial[j] = _inside(breakpoints, int(r))
            got, _ = self.evaluate(trial)
            if got == best:
                return trial, got
            if self.better(got, score) and (fallback is None or self.better(got, fallback[1])):
                fallback = trial, got  # rounding moved a row; still a gain
        return fallback

    def ascend(self, w: FloatArray, max_rounds: int) -> tuple[FloatArray, float, int, bool]:
        """Cycle over the classes until K steps in a row gain nothing (or max_rounds)."""
        score, _ = self.evaluate(w)
        still = 0  # consecutive steps without a gain
        for step in range(max_rounds * self.k):
            moved = self.step(step % self.k, w, score)
            if moved is None:
                still += 1
                if still >= self.k:
                    return w, score, step // self.k + 1, True
            else:
                w, score = moved
                still = 1  # the class just moved is at its best
        return w, score, max_rounds, False


def _switch_points(p: FloatArray, m: FloatArray, wins_ties: np.ndarray) -> FloatArray:
    """For each row, the smallest float weight x at which the row predicts class j.

    The decision is made in floating point, ``argmax(proba * w)``: the row predicts j
    iff ``fl(x·p) > m``, or ``fl(x·p) == m`` where j comes first among the tied columns
    (``wins_ties``). ``m / p`` is within an ulp or two of that point; stepping to
    neighbouring floats makes it exact, so the sweep's intervals are exactly the
    decisions ``argmax`` takes (two rows whose points differ only by rounding switch
    together). inf: never (p == 0); 0: always (m == 0).
    """
    with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
        x: FloatArray = np.where(p > 0, m / p, np.inf)

        def switched(v: FloatArray, rows: np.ndarray) -> np.ndarray:
            product = v * p[rows]
            out: np.ndarray = (product > m[rows]) | ((product == m[rows]) & wins_ties[rows])
            return out

        live = np.flatnonzero(np.isfinite(x) & (x > 0))
        late = live
        for _ in range(64):  # up to the first float where it has switched
            late = late[~switched(x[late], late)]
            if late.size == 0:
                break
            x[late] = np.nextafter(x[late], np.inf)
        early = live
        for _ in range(64):  # down while the float below has switched too
            below = np.nextafter(x[early], 0.0)
            keep = switched(below, early) & (below > 0)
            early = early[keep]
            if early.size == 0:
                break
            x[early] = below[keep]
    return x


def _inside(breakpoints: FloatArray, r: int) -> float:
    """A weight giving the decisions of interval r: from breakpoint r-1 (the first float
    at which those rows have switched) up to, not including, breakpoint r."""
    if r == 0:
        return float(breakpoints[0]) / 2
    return float(breakpoints[r - 1])


def _normalized(w: FloatArray) -> FloatArray:
    """The weights scaled by a power of two to a geometric mean between 1/√2 and √2.

    A power of two scales every product ``w_k · p_k`` exactly, so every decision, and
    every comparison the search made, is unchanged (any other factor could break exact
    ties between classes differently).
    """
    exponent = round(float(np.mean(np.log2(w))))
    return np.ldexp(w, -exponent)  # type: ignore[no-any-return]


def _one_vs_rest(
    y: IntArray,
    proba: FloatArray,
    weight: FloatArray | None,
    classes: np.ndarray,
    metric: BoundMulticlassMetric,
) -> tuple[OneVsRest, ...]:
    """For each class, the best binary threshold on its own probability (one vs rest)."""
    from .._api import find_cutpoint
    from ..errors import CutpointsError

    out = []
    for i, label in enumerate(classes.tolist()):
        binary = _binary_metric(metric, i, y, weight)
        try:
            cut = find_cutpoint(y == i, proba[:, i], metric=binary, sample_weight=weight)
            out.append(OneVsRest(label, float(cut.threshold), cut.metric.name, float(cut.score)))
        except CutpointsError:
            out.append(OneVsRest(label, math.nan, binary, math.nan))
    return tuple(out)


def _binary_metric(
    metric: BoundMulticlassMetric, i: int, y: IntArray, weight: FloatArray | None
) -> str:
    """The binary metric playing ``metric``'s role for class i against the rest.

    For a cost matrix: a false positive of class i costs the prior-weighted mean of
    column i off the diagonal, a miss the mean of row i off the diagonal.
    """
    name = metric.metric.name
    if name in ("cost", "utility"):
        matrix = np.asarray(metric.params["matrix"], dtype=np.float64)
        if name == "utility":
            matrix = matrix.max() - matrix  # regret: a cost matrix
        k = len(matrix)
        others = np.arange(k) != i
        prior = np.bincount(y, weights=weight, minlength=k)[others]
        fp = float(np.average(matrix[others, i], weights=prior)) if prior.sum() else 0.0
        fn = float(matrix[i, others].mean())
        if fp > 0 or fn > 0:
            return f"cost(fp={fp!r}, fn={fn!r})"
        return "f1"
    return metric.metric.binary or "f1"


def find_class_weights(
    y_true: Any,
    y_proba: Any,
    *,
    metric: MulticlassMetricLike = "macro_f1",
    classes: Any = None,
    sample_weight: Any = None,
    normalize: bool = False,
    max_rounds: int = 50,
    starts: Sequence[str] = ("argmax",),
) -> ClassWeights:
    """Per-class weights maximizing a multiclass metric of ``argmax_k w_k · p_k``.

    The multiclass counterpart of moving a threshold: weights of 1 give the usual
    argmax; raising a class's weight predicts it more often. Each step of the search is
    an exact sweep over every weight where a decision changes (see the module notes),
    so the result is a coordinate-wise optimum: no single weight can be changed to do
    better.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        Class labels.
    y_proba : array-like of shape (n_samples, n_classes)
        Class probabilities, one column per class (held-out predictions, e.g. from
        ``cross_val_predict(..., method="predict_proba")``).
    metric : str, MulticlassMetric or callable, default='macro_f1'
        ``"macro_f1"``, ``"balanced_accuracy"``, ``"accuracy"``, ``"mcc"``,
        ``"cost(matrix=[[...]])"``, ... or ``f(C)`` of the K×K confusion matrix. See
        :func:`cutpoints.multiclass.list_multiclass_metrics`.
    classes : array-like of shape (n_classes,), optional
        The class of each column; by default the sorted distinct labels of ``y_true``
        (scikit-learn's ``classes_``). Every class must occur in ``y_true``.
    sample_weight : array-like of shape (n_samples,), optional
        Row weights for the confusion matrix.
    normalize : bool, default=False
        Divide each row of ``y_proba`` by its sum first; otherwise rows that do not sum
        to 1 are an error.
    max_rounds : int, default=50
        At most this many rounds over the classes per start.
    starts : sequence of {'argmax', 'inverse_prior'}, default=('argmax',)
        Where the search starts: all weights 1 (the plain argmax), and/or weights
        1 / class frequency; with both, the better end point is kept (twice the time).

    Returns
    -------
    ClassWeights
        ``classes``, ``weights``, ``score`` (and ``baseline_score`` of the plain
        argmax), ``predict(y_proba)``, ``confusion_matrix``, ``one_vs_rest`` (the best
        binary threshold of each class on its own), ``to_json``.

    Examples
    --------
    >>> import numpy as np
    >>> import cutpoints as cp
    >>> rng = np.random.default_rng(0)
    >>> y = rng.choice(3, size=600, p=[0.7, 0.2, 0.1])
    >>> proba = rng.dirichlet([1, 1, 1], size=600) * 0.5
    >>> proba[np.arange(600), y] += 0.5
    >>> proba /= proba.sum(axis=1, keepdims=True)
    >>> tuned = cp.find_class_weights(y, proba, metric="macro_f1")
    >>> bool(tuned.score >= tuned.baseline_score)
    True
    >>> tuned.predict(proba[:4]).tolist() == tuned.classes[
    ...     np.argmax(proba[:4] * tuned.weights, axis=1)].tolist()
    True
    """
    bound = get_multiclass_metric(metric)
    if (
        isinstance(max_rounds, bool)
        or not isinstance(max_rounds, (int, np.integer))
        or max_rounds < 1
    ):
        msg = f"'max_rounds' must be an integer >= 1 (got {max_rounds!r})"
        raise InvalidParameterError(msg)
    starts = tuple(starts)
    if not starts:
        msg = "'starts' must name at least one start ('argmax' or 'inverse_prior')"
        raise InvalidParameterError(msg)
    for s in starts:
        check_choice(s, "starts", STARTS)
    proba = check_proba(y_proba, normalize=normalize)
    y, labels = check_classes(y_true, classes, proba.shape[1])
    if len(y) != len(proba):
        msg = (
            f"inputs must have the same length ('y_true' has {len(y)}, 'y_proba' has {len(proba)})"
        )
        raise InvalidParameterError(msg)
    weight = check_sample_weight(sample_weight, len(y))
    search = _Search(y, proba, weight, bound)
    k = proba.shape[1]
    baseline, _ = search.evaluate(np.ones(k))
    best: tuple[FloatArray, float, int, bool] | None = None
    for s in starts:
        if s == "argmax":
            w0 = np.ones(k)
        else:
            prior = np.bincount(y, weights=weight, minlength=k)
            w0 = prior.sum() / (k * prior)
        result = search.ascend(w0, int(max_rounds))
        if best is None or search.better(result[1], best[1]):
            best = result
    assert best is not None
    w, score, rounds, converged = best
    if math.isnan(score):
        msg = (
            f"metric '{bound.name}' is undefined for every weighting tried (it is NaN "
            f"when {bound.metric.undefined or 'its denominator is 0'})"
        )
        raise UndefinedMetricError(msg)
    w = _normalized(w)
    final, matrix = search.evaluate(w)
    from .. import __version__

    return ClassWeights(
        classes=labels,
        weights=w,
        score=final,
        metric=bound,
        confusion_matrix=matrix,
        baseline_score=baseline,
        n_samples=len(y),
        weighted=weight is not None,
        n_rounds=rounds,
        converged=converged,
        one_vs_rest=_one_vs_rest(y, proba, weight, labels, bound),
        version=__version__,
    )
