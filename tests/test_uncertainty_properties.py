"""Properties: every bootstrap choice is find_cutpoint's on the same rows, for any data.

Each resample of :func:`cutpoints.bootstrap` is rebuilt row by row
(``BootstrapResult.resample_indices``) and handed to :func:`cutpoints.find_cutpoint`:
the threshold, the counts and the status (or the error find_cutpoint raises) must
agree for every tie rule, with and without constraints (some of which make resamples
infeasible), weights, both decision rules, stratified or not. The lower-bound choice is
checked against a brute-force oracle built from the same resamples.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

import cutpoints as cp
from cutpoints.errors import (
    CutpointsError,
    InfeasibleConstraintError,
    InvalidInputError,
    InvalidLabelsError,
    UndefinedMetricError,
)
from cutpoints.selection import as_constraints
from cutpoints.uncertainty import BootstrapWarning

from .strategies import binary_problems

TIES = st.sampled_from(["highest", "lowest", "median"])
METRICS = st.sampled_from(["f1", "youden", "mcc", "precision", "accuracy", "cost(fp=1, fn=3)"])
CONSTRAINTS = [
    "precision >= 0.5", "recall >= 0.8", "flagged <= 3", "fpr <= 0.25", "tp >= 4", "npv >= 0.6",
    "precision >= 0.7", "recall >= 0.9", "tp >= P",
]  # fmt: skip
N_RESAMPLES = 12


def _with_totals(constraints, y, weight):
    """``"tp >= P"`` is the data's (weighted) positive total: a resample that draws
    fewer positives cannot meet it (infeasible), one that draws as many can."""
    w = np.ones(len(y)) if weight is None else weight
    return [c.replace("P", repr(float(w[y].sum()))) for c in constraints]


def _both_classes(y):
    """The drawn labels with both classes present (else every call is refused alike)."""
    y = y.copy()
    y[0] = not y[-1]
    return y


def _bootstrap_or_error(y, score, weight, **kwargs):
    """The result, or the error bootstrap raised (partial failures only warn)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BootstrapWarning)
        try:
            return cp.bootstrap(y, score, sample_weight=weight, **kwargs), None
        except CutpointsError as exc:
            return None, exc


def _reference(y, score, weight, rows, **kwargs):
    """find_cutpoint on the resample built row by row: (Cutpoint or None, status)."""
    w = None if weight is None else weight[rows]
    try:
        return cp.find_cutpoint(y[rows], score[rows], sample_weight=w, **kwargs), "ok"
    except InfeasibleConstraintError:
        return None, "infeasible"
    except UndefinedMetricError:
        return None, "undefined"
    except InvalidLabelsError:
        return None, "one_class"
    except InvalidInputError as exc:  # every drawn row has weight 0: no class at all
        message = str(exc)
    assert "all zero" in message
    return None, "one_class"


@settings(max_examples=120, deadline=None)
@given(
    problem=binary_problems(min_size=2, max_size=30),
    metric=METRICS,
    constraints=st.lists(st.sampled_from(CONSTRAINTS), max_size=2, unique=True),
    ties=TIES,
    rule=st.sampled_from([">=", "<="]),
    stratified=st.booleans(),
    seed=st.integers(0, 2**32 - 1),
)
def test_each_resample_is_find_cutpoint_on_its_rows(
    problem, metric, constraints, ties, rule, stratified, seed
):
    y, score, weight = problem
    y = _both_classes(y)
    constraints = _with_totals(constraints, y, weight)
    if stratified and (y.sum() < 2 or (~y).sum() < 2):
        stratified = False
    kwargs = {"metric": metric, "constraints": constraints, "ties": ties, "rule": rule}
    res, error = _bootstrap_or_error(
        y, score, weight, n_resamples=N_RESAMPLES, stratified=stratified, random_state=seed,
        **kwargs,
    )  # fmt: skip
    event(f"bootstrap raised {type(error).__name__}" if error else "bootstrap ran")
    if error is not None:
        # Either find_cutpoint refuses the full data the same way, or no resample had a
        # threshold (the message counts them).
        try:
            cp.find_cutpoint(y, score, sample_weight=weight, **kwargs)
        except CutpointsError as exc:
            full_error: CutpointsError | None = exc
        else:
            full_error = None
        if full_error is not None:
            assert type(full_error) is type(error)
        else:
            assert f"in any of the {N_RESAMPLES} resamples" in str(error)
        return
    for i in range(N_RESAMPLES):
        rows = res.resample_indices(i)
        ref, status = _reference(y, score, weight, rows, **kwargs)
        assert res.status[i] == status, (i, status)
        event(f"a resample {status}")
        if ref is None:
            assert np.isnan(res.thresholds[i])
            continue
        assert res.thresholds[i] == ref.threshold
        assert (res.in_bag["tp"][i], res.in_bag["fp"][i]) == (ref.tp, ref.fp)
        assert (res.in_bag["tn"][i], res.in_bag["fn"][i]) == (ref.tn, ref.fn)


def _oracle_lower_bound(res, y, score, weight, metric, constraints, ties, confidence):
    """The documented lower-bound rule, by brute force on the rebuilt resamples.

    With at most 31 thresholds, every feasible full-data threshold is a candidate (the
    256 best on the full data cover them all).
    """
    full = cp.confusion_curve(y, score, sample_weight=weight)
    objective = cp.get_metric(metric)
    values = full.evaluate(objective)
    feasible = ~np.isnan(values)
    for c in as_constraints(constraints):
        feasible &= c.mask(full.evaluate(c.metric))
    candidates = np.flatnonzero(feasible)
    per_resample = []
    for i in range(res.n_resamples):
        rows = res.resample_indices(i)
        w = np.ones(len(rows)) if weight is None else weight[rows]
        yy, ss = y[rows], score[rows]
        row_values = []
        for t in full.thresholds[candidates]:
            flagged = ss >= t
            tp, fp = w[flagged & yy].sum(), w[flagged & ~yy].sum()
            tn, fn = w[~flagged & ~yy].sum(), w[~flagged & yy].sum()
            row_values.append(objective(*(np.array([v], dtype=float) for v in (tp, fp, tn, fn))))
        per_resample.append(np.concatenate(row_values))
    table = np.array(per_resample)
    maximize = objective.greater_is_better
    q = (100 * (1 - confidence) if maximize else 100 * confidence) / 100  # as documented
    bounds = []
    for j in range(len(candidates)):
        col = table[:, j][~np.isnan(table[:, j])]
        b = np.quantile(col, q) if col.size else np.nan
        bounds.append(-np.inf if np.isnan(b) else (b if maximize else -b))
    bounds = np.array(bounds)
    best_bound = candidates[bounds == bounds.max()]
    # find_cutpoint's rule among them: best full-data value, then the tie rule.
    key = values[best_bound] if maximize else -values[best_bound]
    optimal = best_bound[key == key.max()]
    pick = {
        "highest": optimal[0],
        "lowest": optimal[-1],
        "median": optimal[(len(optimal) - 1) // 2],
    }
    return full.thresholds[pick[ties]], tuple(full.thresholds[optimal])


@settings(max_examples=60, deadline=None)
@given(
    problem=binary_problems(min_size=4, max_size=30),
    metric=st.sampled_from(["f1", "accuracy", "youden", "cost(fp=1, fn=3)"]),
    constraints=st.lists(st.sampled_from(CONSTRAINTS), max_size=1),
    ties=TIES,
    seed=st.integers(0, 2**32 - 1),
)
def test_lower_bound_choice_equals_the_documented_rule(problem, metric, constraints, ties, seed):
    y, score, weight = problem
    y = _both_classes(y)
    constraints = _with_totals(constraints, y, weight)
    res, error = _bootstrap_or_error(
        y, score, weight, metric=metric, constraints=constraints, ties=ties,
        n_resamples=N_RESAMPLES, confidence=0.8, stratified=False, select="lower_bound",
        random_state=seed,
    )  # fmt: skip
    event("bootstrap raised" if error is not None else "bootstrap ran")
    if error is not None:
        return  # no threshold on the full data or in any resample: nothing to choose
    expected, tied = _oracle_lower_bound(res, y, score, weight, metric, constraints, ties, 0.8)
    event(f"{len(tied)} tied" if len(tied) < 3 else "3+ tied")
    assert res.threshold == expected
    assert res.cutpoint.optimal_thresholds == tied
    assert res.cutpoint.ties == ties


@pytest.mark.parametrize("ties", ["highest", "lowest", "median"])
def test_absent_scores_are_never_chosen(ties):
    # A plateau of tied optima in the full data, most of whose scores a resample lacks:
    # the resample's median/lowest must be taken among its own scores.
    y = np.array([1, 0] * 10 + [0] * 10)
    s = np.arange(30, 0, -1) / 30.0
    res = cp.bootstrap(
        y, s, metric="accuracy", ties=ties, n_resamples=20, stratified=False, random_state=4
    )
    for i in range(res.n_resamples):
        rows = res.resample_indices(i)
        if res.status[i] == "ok":
            assert res.thresholds[i] in {*s[rows], np.inf}  # inf: flag nothing
            ref = cp.find_cutpoint(y[rows], s[rows], metric="accuracy", ties=ties)
            assert res.thresholds[i] == ref.threshold
