"""Selection: optimum, constraints, ties and infeasibility, against brute force."""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import cutpoints as cp
from cutpoints._metrics import summary_metrics
from cutpoints.errors import (
    ConstraintSyntaxError,
    InfeasibleConstraintError,
    InvalidLabelsError,
    InvalidParameterError,
    UnknownMetricError,
)

from .oracle import brute_force_counts, brute_force_optimum, one_class
from .strategies import binary_problems

OBJECTIVES = [m.name for m in summary_metrics()] + ["cost(fp=1, fn=10)", "net_benefit(pt=0.3)"]


def oracle_selection(y, score, weight, spec, constraints=(), ties="highest"):
    thresholds, tp, fp, tn, fn = brute_force_counts(y, score, weight)
    metric = cp.get_metric(spec)
    values = metric(tp, fp, tn, fn)
    feasible = np.ones(len(thresholds), dtype=bool)
    for text in constraints:
        c = cp.Constraint.parse(text)
        cv = c.metric(tp, fp, tn, fn)
        feasible &= np.array([(not np.isnan(v)) and eval(f"{v!r} {c.op} {c.bound!r}") for v in cv])
    optimal = brute_force_optimum(values, feasible, metric.greater_is_better)
    return thresholds, values, optimal


@pytest.mark.parametrize("spec", OBJECTIVES)
@settings(max_examples=40)
@given(problem=binary_problems(), ties=st.sampled_from(["highest", "lowest", "median"]))
def test_optimum_equals_brute_force_for_every_metric(spec, problem, ties):
    y, score, weight = problem
    thresholds, values, optimal = oracle_selection(y, score, weight, spec)
    if one_class(y, weight):
        with pytest.raises(InvalidLabelsError, match="holds only one class"):
            cp.find_cutpoint(y, score, metric=spec, sample_weight=weight, ties=ties)
        return
    if not optimal:
        with pytest.raises(cp.errors.CutpointsError):
            cp.find_cutpoint(y, score, metric=spec, sample_weight=weight, ties=ties)
        return
    cut = cp.find_cutpoint(y, score, metric=spec, sample_weight=weight, ties=ties)
    assert list(cut.optimal_thresholds) == [thresholds[i] for i in optimal]
    chosen = {
        "highest": optimal[0],
        "lowest": optimal[-1],
        "median": optimal[(len(optimal) - 1) // 2],
    }
    assert cut.threshold == thresholds[chosen[ties]]
    assert cut.score == values[chosen[ties]]


CONSTRAINTS = [
    "precision >= 0.5", "recall >= 0.8", "fpr <= 0.25", "flagged <= 3", "flag_rate < 50%",
    "specificity > 0.4", "npv >= 0.6",
]  # fmt: skip


@settings(max_examples=150)
@given(
    problem=binary_problems(),
    spec=st.sampled_from(["f1", "recall", "precision", "mcc", "cost(fp=1, fn=4)", "flagged"]),
    constraints=st.lists(st.sampled_from(CONSTRAINTS), max_size=2, unique=True),
)
def test_constrained_optimum_equals_brute_force(problem, spec, constraints):
    y, score, weight = problem
    thresholds, _values, optimal = oracle_selection(y, score, weight, spec, constraints)
    if one_class(y, weight):
        with pytest.raises(InvalidLabelsError, match="holds only one class"):
            cp.find_cutpoint(y, score, metric=spec, constraints=constraints, sample_weight=weight)
        return
    try:
        cut = cp.find_cutpoint(y, score, metric=spec, constraints=constraints, sample_weight=weight)
    except (InfeasibleConstraintError, cp.errors.UndefinedMetricError, InvalidLabelsError):
        assert not optimal
        return
    assert optimal, "the library found a threshold the oracle says is infeasible"
    assert list(cut.optimal_thresholds) == [thresholds[i] for i in optimal]
    # The reported counts are those of applying the threshold.
    flagged = score >= cut.threshold
    w = np.ones(len(y)) if weight is None else weight
    assert cut.tp == w[flagged & y].sum() and cut.fp == w[flagged & ~y].sum()


def test_tie_rules_on_a_hand_checked_plateau():
    # Youden's J is 2/3 at both 0.7 and 0.35.
    y, s = [0, 0, 1, 1, 0, 1], [0.1, 0.4, 0.35, 0.8, 0.2, 0.7]
    assert cp.find_cutpoint(y, s, metric="youden").optimal_thresholds == (0.7, 0.35)
    assert cp.find_cutpoint(y, s, metric="youden", ties="highest").threshold == 0.7
    assert cp.find_cutpoint(y, s, metric="youden", ties="lowest").threshold == 0.35
    assert cp.find_cutpoint(y, s, metric="youden", ties="median").threshold == 0.7


def test_median_tie_rule_is_an_observed_member_of_the_tied_set():
    # accuracy ties at three thresholds; the median is the middle one, not a midpoint.
    y = [1, 0, 1, 0, 1, 0, 0]
    s = [0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3]
    cut = cp.find_cutpoint(y, s, metric="accuracy", ties="median")
    assert len(cut.optimal_thresholds) >= 3
    assert cut.threshold in cut.optimal_thresholds
    assert cut.threshold == cut.optimal_thresholds[(len(cut.optimal_thresholds) - 1) // 2]


def test_capacity_respects_ties_at_the_kth_score():
    # Five rows tie at 0.8: flagging at 0.8 flags 1 + 5 = 6 rows, more than K = 3.
    y = [1, 1, 0, 1, 0, 0, 1, 0]
    s = [0.9, 0.8, 0.8, 0.8, 0.8, 0.8, 0.2, 0.1]
    cut = cp.find_cutpoint(y, s, metric="recall", constraints="flagged <= 3")
    assert cut.threshold == 0.9 and cut.flagged == 1
    assert cp.find_cutpoint(y, s, metric="recall", constraints="flagged <= 6").threshold == 0.8


def test_capacity_on_a_large_tied_queue(rng):
    score = np.round(rng.random(100_000), 2)  # ~1,000 rows per distinct value
    y = rng.random(100_000) < 0.02
    cut = cp.find_cutpoint(y, score, metric="recall", constraints=["flagged <= 5000"])
    assert cut.flagged <= 5000
    assert np.sum(score >= cut.threshold) == cut.flagged
    next_lower = score[score < cut.threshold].max()
    assert np.sum(score >= next_lower) > 5000


def test_cost_can_choose_flag_nothing():
    cut = cp.find_cutpoint([0, 0, 1, 0], [0.9, 0.8, 0.1, 0.3], metric="cost(fp=5, fn=1)")
    assert cut.threshold == np.inf and cut.flagged == 0
    assert cut.predict([0.99, 1e300]).tolist() == [0, 0]


def test_nan_objective_never_wins():
    # precision is NaN at "flag nothing"; a metric maximized there must not pick it.
    cut = cp.find_cutpoint([1, 0, 0], [0.2, 0.9, 0.8], metric="precision")
    assert cut.threshold == 0.2 and cut.score == pytest.approx(1 / 3)


def test_maximize_overrides_the_metric_direction(toy):
    worst = cp.find_cutpoint(*toy, metric="f1", maximize=False)
    assert worst.score == 0.0 and worst.maximize is False
    most = cp.find_cutpoint(*toy, metric="flagged", maximize=True, constraints=["precision >= 0.6"])
    assert most.flagged == 6


def test_infeasible_constraint_names_it_and_the_closest_point(toy):
    with pytest.raises(InfeasibleConstraintError) as info:
        cp.find_cutpoint(*toy, metric="f1", constraints=["recall >= 0.9", "precision >= 0.9"])
    message = str(info.value)
    assert "no threshold satisfies all constraints together, though each holds alone" in message
    assert "'recall >= 0.9' holds alone" in message
    closest = {p.constraint: p for p in info.value.closest}
    assert closest["precision >= 0.9"].value == 1.0 and closest["precision >= 0.9"].threshold == 0.8
    assert closest["recall >= 0.9"].value == 1.0 and closest["recall >= 0.9"].threshold == 0.3


def test_impossible_constraint_reports_the_best_attainable_value(toy):
    with pytest.raises(
        InfeasibleConstraintError,
        match=r"'mcc >= 0.95' never holds; closest is 0\.57735 at threshold 0\.7",
    ):
        cp.find_cutpoint(*toy, metric="f1", constraints="mcc >= 0.95")
    with pytest.raises(ValueError):  # also a ValueError for generic handlers
        cp.find_cutpoint(*toy, metric="f1", constraints="mcc >= 0.95")


def test_undefined_everywhere_constraint_is_reported():
    # Perfectly separated: fp = 0 or fn = 0 at every threshold, so the odds ratio is NaN.
    with pytest.raises(InfeasibleConstraintError, match="undefined at every threshold"):
        cp.find_cutpoint([1, 1, 0], [0.3, 0.2, 0.1], metric="recall", constraints=["dor >= 1"])


@pytest.mark.parametrize("metric", ["youden", "precision", "f1", "cost(fp=1, fn=5)"])
def test_one_class_is_refused_plainly_for_every_metric(metric):
    # With only positives, flagging everything has F1 = 1: a meaningless "optimum".
    with pytest.raises(
        InvalidLabelsError,
        match=rf"'y_true' holds only one class: every row \(with weight\) is positive, none "
        rf"negative; choosing a threshold for '{re.escape(metric)}' needs both classes",
    ):
        cp.find_cutpoint([1, 1, 1], [0.1, 0.2, 0.3], metric=metric)
    # Weights that zero out every negative leave one class too.
    with pytest.raises(InvalidLabelsError, match="is negative, none positive"):
        cp.find_cutpoint([1, 0, 0], [0.1, 0.2, 0.3], metric=metric, sample_weight=[0, 1, 1])


# ------------------------------------------------------------------ constraint syntax
@pytest.mark.parametrize(
    ("text", "metric", "op", "bound"),
    [
        ("precision >= 0.9", "precision", ">=", 0.9),
        ("precision>=0.9", "precision", ">=", 0.9),
        ("flagged <= 5_000", "flagged", "<=", 5000.0),
        ("flag_rate <= 2%", "flag_rate", "<=", 0.02),
        ("fbeta(beta=2) > 0.5", "fbeta(beta=2)", ">", 0.5),
        ("cost(fp=1, fn=10) < 1e3", "cost(fp=1, fn=10)", "<", 1000.0),
        ("youden >= -0.5", "youden", ">=", -0.5),
    ],
)
def test_constraint_parsing(text, metric, op, bound):
    c = cp.Constraint.parse(text)
    assert (c.metric.name, c.op, c.bound) == (metric, op, bound)


@pytest.mark.parametrize(
    ("constraint", "error", "message"),
    [
        (
            "precision = 0.9",
            ConstraintSyntaxError,
            r"operator must be one of >=, <=, >, < \(got '='",
        ),
        ("precision == 0.9", ConstraintSyntaxError, r"got '=='"),
        ("precision 0.9", ConstraintSyntaxError, r"must look like '<metric> <op> <value>'"),
        (
            "precision >> 0.9",
            ConstraintSyntaxError,
            r"must have one operator of >=, <=, >, < \(got 'precision >> 0.9'\)",
        ),
        ("precision >=< 0.9", ConstraintSyntaxError, r"must have one operator"),
        ("recall => 0.8", ConstraintSyntaxError, r"'=>' is not an operator; did you mean '>='"),
        ("recall =< 0.8", ConstraintSyntaxError, r"'=<' is not an operator; did you mean '<='"),
        ("x" * 1001 + " >= 1", ConstraintSyntaxError, r"at most 1000 characters \(got 1006"),
        ("precision >= high", ConstraintSyntaxError, r"bound must be a number \(got 'high'"),
        ("precision >= inf", ConstraintSyntaxError, r"bound must be finite"),
        (
            "presicion >= 0.9",
            UnknownMetricError,
            r"in constraint 'presicion >= 0.9': unknown metric 'presicion'; did you mean 'precision'",
        ),
        (("precision", "~", 0.9), ConstraintSyntaxError, r"got '~'"),
        (("precision", ">=", "x"), ConstraintSyntaxError, r"bound must be a number \(got 'x'\)"),
        (42, ConstraintSyntaxError, r"each constraint must be text"),
    ],
)
def test_malformed_constraints_are_named(toy, constraint, error, message):
    with pytest.raises(error, match=message):
        cp.find_cutpoint(*toy, constraints=[constraint])


def test_constraint_forms_are_equivalent(toy):
    texts = cp.find_cutpoint(*toy, metric="recall", constraints=["precision >= 0.6"])
    single = cp.find_cutpoint(*toy, metric="recall", constraints="precision >= 0.6")
    tuples = cp.find_cutpoint(*toy, metric="recall", constraints=[("precision", ">=", 0.6)])
    objects = cp.find_cutpoint(
        *toy, metric="recall", constraints=[cp.Constraint.parse("precision >= 0.6")]
    )
    assert texts == single == tuples == objects
    assert [str(c) for c in texts.constraints] == ["precision >= 0.6"]
    assert repr(texts.constraints[0]) == "Constraint.parse('precision >= 0.6')"


def test_bad_tie_rule_is_named(toy):
    with pytest.raises(
        InvalidParameterError,
        match=r"'ties' must be one of \['highest', 'lowest', 'median'\] \(got 'middle'\)",
    ):
        cp.find_cutpoint(*toy, ties="middle")


def test_runners_up_are_the_next_best_feasible(toy):
    cut = cp.find_cutpoint(*toy, metric="f1")
    values = [v for _, v in cut.runners_up]
    assert values == sorted(values, reverse=True)
    assert all(v < cut.score for v in values)
    assert cut.runners_up[0] == (0.2, pytest.approx(8 / 11))


@pytest.mark.parametrize(
    "text",
    [
        "precision" + " " * 100_000 + ">= 0.5",  # took 199 s of CPU with a backtracking regex
        "f1(beta=" + "1" * 100_000 + ") >= 0.5",
        ">" * 100_000,
    ],
)
def test_huge_constraints_are_refused_at_once(text):
    with pytest.raises(ConstraintSyntaxError, match=r"at most 1000 characters \(got 1000[0-9]{2}"):
        cp.find_cutpoint([0, 1, 0, 1], [0.1, 0.2, 0.3, 0.4], constraints=[text])
