"""Brute-force reference: count the confusion matrix directly at every candidate threshold.

Deliberately naive (a Python loop, one comparison per row per threshold) so that it is
obviously right; the exact engine is tested against it.
"""

from __future__ import annotations

import math

import numpy as np


def candidate_thresholds(score: np.ndarray, rule: str = ">=") -> np.ndarray:
    """+inf ("flag nothing") then every distinct score, fewest flagged first."""
    distinct = sorted({float(s) for s in score}, reverse=(rule == ">="))
    top = np.inf if rule == ">=" else -np.inf
    return np.array([top, *distinct])


def brute_force_counts(
    y_positive: np.ndarray,
    score: np.ndarray,
    weight: np.ndarray | None = None,
    rule: str = ">=",
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """thresholds, tp, fp, tn, fn by looping over every candidate threshold."""
    y_positive = np.asarray(y_positive, dtype=bool)
    score = np.asarray(score, dtype=float)
    w = np.ones(len(score)) if weight is None else np.asarray(weight, dtype=float)
    thresholds = candidate_thresholds(score, rule)
    rows = []
    for t in thresholds:
        flagged = score >= t if rule == ">=" else score <= t
        tp = fp = tn = fn = 0.0
        for f, pos, wi in zip(flagged, y_positive, w):
            if f and pos:
                tp += wi
            elif f:
                fp += wi
            elif pos:
                fn += wi
            else:
                tn += wi
        rows.append((tp, fp, tn, fn))
    counts = np.array(rows).reshape(-1, 4)
    return thresholds, counts[:, 0], counts[:, 1], counts[:, 2], counts[:, 3]


def brute_force_optimum(
    metric_values: np.ndarray, feasible: np.ndarray, maximize: bool
) -> list[int]:
    """Indices attaining the best defined, feasible value (exact comparison)."""
    best = None
    for v, ok in zip(metric_values, feasible):
        if not ok or np.isnan(v):
            continue
        if best is None or (v > best if maximize else v < best):
            best = v
    if best is None:
        return []
    return [i for i, (v, ok) in enumerate(zip(metric_values, feasible)) if ok and v == best]


def one_class(y_positive: np.ndarray, weight: np.ndarray | None = None) -> bool:
    """Whether the (weighted) data holds one class only: no threshold is then chosen."""
    y_positive = np.asarray(y_positive, dtype=bool)
    w = np.ones(len(y_positive)) if weight is None else np.asarray(weight, dtype=float)
    return not (w[y_positive].sum() > 0 and w[~y_positive].sum() > 0)


def assert_same_threshold_quantiles(poisson: np.ndarray, multinomial: np.ndarray) -> None:
    """The Poisson bootstrap's thresholds put each of the multinomial's quantiles at the
    same level, within 4 sd of the difference of two B-sample proportions
    (sd = sqrt(2 p (1 - p) / B))."""
    b = len(multinomial)
    for p in (0.1, 0.25, 0.5, 0.75, 0.9):
        q = np.quantile(multinomial, p, method="inverted_cdf")
        low = float((poisson < q).mean())
        high = float((poisson <= q).mean())
        sd = math.sqrt(2 * p * (1 - p) / b)
        assert low - 4 * sd <= p <= high + 4 * sd, (p, low, high)
