"""The selection kernel: one answer whether it prunes, masks or reads plain counts."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import cutpoints as cp
from cutpoints._counts import Counts
from cutpoints.selection import Constraint, select_rows

from .oracle import brute_force_optimum

TIES = ["highest", "lowest", "median"]
PRUNABLE = ["f1", "precision", "recall", "youden", "accuracy", "gmean", "cost(fp=1, fn=7)",
            "utility(tp=3, fp=-1)", "jaccard", "fpr", "balanced_accuracy"]  # fmt: skip
CONSTRAINTS = ["precision >= 0.3", "recall >= 0.6", "flagged <= 3000", "fpr <= 0.2"]


def _long_curve(seed: int, n: int, n_distinct: int, prevalence: float, weighted: bool):
    """A curve long enough for the kernel to prune (> 4 blocks), with plateaus."""
    rng = np.random.default_rng(seed)
    y = rng.random(n) < prevalence
    score = np.round(rng.normal(size=n) + 1.2 * y, 3)
    score = np.floor(score * n_distinct / 8) / (n_distinct / 8)  # many ties per value
    weight = rng.integers(0, 4, n) if weighted else None
    if weighted:
        weight[0] = 1
    return cp.confusion_curve(y, score, sample_weight=weight), y, score, weight


@pytest.mark.parametrize("spec", PRUNABLE)
@settings(max_examples=15, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    prevalence=st.sampled_from([0.001, 0.05, 0.5]),
    weighted=st.booleans(),
    ties=st.sampled_from(TIES),
    constraints=st.lists(st.sampled_from(CONSTRAINTS), max_size=2, unique=True),
    eligible_share=st.sampled_from([None, 0.3, 0.9]),
)
def test_pruning_never_changes_the_answer(
    spec, seed, prevalence, weighted, ties, constraints, eligible_share
):
    curve, *_ = _long_curve(seed, 40_000, 20_000, prevalence, weighted)
    assert len(curve) > 4 * 1024 or curve.n_positive == 0
    metric = cp.get_metric(spec)
    cons = [Constraint.parse(c) for c in constraints]
    eligible = None
    if eligible_share is not None:
        eligible = np.random.default_rng(seed).random(len(curve)) < eligible_share
        eligible[0] = True
    full = select_rows(curve, metric, cons, ties=ties, eligible=eligible)
    pruned = select_rows(curve, metric, cons, ties=ties, eligible=eligible, prune=True)
    assert pruned.status == full.status
    if full.ok:
        assert pruned.index == full.index
        np.testing.assert_array_equal(pruned.optimal_indices, full.optimal_indices)
        assert pruned.best_value == full.best_value


def test_pruning_really_skips_rows():
    rng = np.random.default_rng(1)
    y = rng.random(200_000) < 0.05
    curve = cp.confusion_curve(y, rng.normal(size=y.size) + 1.5 * y)
    pruned = select_rows(curve, cp.get_metric("f1"), prune=True)
    assert pruned.rows is not None and len(pruned.rows) < len(curve) // 4
    # MCC declares no monotonicity: nothing is pruned.
    assert select_rows(curve, cp.get_metric("mcc"), prune=True).rows is None


@settings(max_examples=200)
@given(
    tp=st.lists(st.integers(0, 3), min_size=1, max_size=30),
    fp=st.lists(st.integers(0, 3), min_size=1, max_size=30),
    ties=st.sampled_from(TIES),
    spec=st.sampled_from(["f1", "mcc", "cost(fp=1, fn=3)", "accuracy", "flagged"]),
)
def test_plain_counts_equal_brute_force(tp, fp, ties, spec):
    n = min(len(tp), len(fp))
    tp_c = np.cumsum([0, *tp[:n]])
    fp_c = np.cumsum([0, *fp[:n]])
    metric = cp.get_metric(spec)
    source = Counts(tp_c, fp_c, int(tp_c[-1]), int(fp_c[-1]))
    sel = select_rows(source, metric, ties=ties)
    if tp_c[-1] == 0 or fp_c[-1] == 0:
        assert sel.status == "one_class"
        with pytest.raises(cp.errors.InvalidLabelsError, match="only one class"):
            sel.raise_for_status()
        return
    values = metric(tp_c, fp_c, fp_c[-1] - fp_c, tp_c[-1] - tp_c)
    optimal = brute_force_optimum(values, np.ones(len(values), bool), metric.greater_is_better)
    if not optimal:
        assert sel.status == "undefined"
        return
    assert sel.optimal_indices.tolist() == optimal
    pick = {
        "highest": optimal[0],
        "lowest": optimal[-1],
        "median": optimal[(len(optimal) - 1) // 2],
    }
    assert sel.index == pick[ties]


def test_ineligible_rows_are_never_chosen():
    y, s = [0, 0, 1, 1, 0, 1], [0.1, 0.4, 0.35, 0.8, 0.2, 0.7]
    curve = cp.confusion_curve(y, s)
    f1 = cp.get_metric("f1")
    best = select_rows(curve, f1)
    eligible = np.ones(len(curve), bool)
    eligible[best.index] = False
    other = select_rows(curve, f1, eligible=eligible)
    assert other.ok and other.index != best.index and eligible[other.index]
    nothing = select_rows(curve, f1, eligible=np.zeros(len(curve), bool))
    assert nothing.status == "infeasible"
    assert "no threshold is eligible" in str(nothing.error())


def test_status_and_error_say_why():
    curve = cp.confusion_curve([0, 1, 0, 1], [0.4, 0.2, 0.3, 0.1])
    sel = select_rows(curve, cp.get_metric("f1"), [Constraint.parse("precision >= 0.99")])
    assert sel.status == "infeasible" and not sel.ok and sel.index == -1
    assert np.isnan(sel.best_value)
    with pytest.raises(cp.errors.InfeasibleConstraintError, match="'precision >= 0.99' never"):
        sel.raise_for_status()
