"""Thresholds per group: independent, joint under a shared budget, parity limits.

Oracles: find_cutpoint on each group's own rows (independent), and brute force over every
combination of per-group thresholds (joint and gap constraints), with each group's counts
from tests/oracle.py's loop over every threshold.
"""

from __future__ import annotations

import itertools
import math
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import cutpoints as cp
from cutpoints.errors import (
    InfeasibleConstraintError,
    InvalidInputError,
    InvalidLabelsError,
    InvalidParameterError,
)

from .oracle import brute_force_counts
from .strategies import TIE_POOL


# ------------------------------------------------------------------------ data
@st.composite
def grouped_problems(draw, max_groups=3, max_size=7, weighted=None, pool=None):
    """(y, score, weight or None, groups): every group holds both classes."""
    n_groups = draw(st.integers(1, max_groups))
    ys, scores, ws, gs = [], [], [], []
    use_weights = draw(st.booleans()) if weighted is None else weighted
    values = pool or [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]
    for g in range(n_groups):
        m = draw(st.integers(2, max_size))
        y = [True, False, *draw(st.lists(st.booleans(), min_size=m - 2, max_size=m - 2))]
        s = draw(st.lists(st.sampled_from(values), min_size=m, max_size=m))
        w = [1] * m
        if use_weights:
            w = [draw(st.integers(1, 4)) for _ in range(m)]
        ys += y
        scores += s
        ws += w
        gs += [f"g{g}"] * m
    order = draw(st.permutations(range(len(ys))))
    pick = lambda xs: [xs[i] for i in order]  # noqa: E731 - groups need not be contiguous
    weight = np.array(pick(ws)) if use_weights else None
    return np.array(pick(ys)), np.array(pick(scores), dtype=float), weight, np.array(pick(gs))


def per_group_counts(y, score, weight, groups, rule=">="):
    """Brute-force counts at every candidate threshold of each group, groups sorted."""
    out = {}
    for g in sorted(set(groups.tolist())):
        m = groups == g
        out[g] = brute_force_counts(y[m], score[m], None if weight is None else weight[m], rule)
    return out


def brute_force_joint(counts, metric, constraints=(), gaps=(), maximize=None):
    """(best value, list of optimal choices) over every combination of thresholds."""
    metric = cp.get_metric(metric)
    maximize = metric.greater_is_better if maximize is None else maximize
    cons = [cp.Constraint.parse(c) for c in constraints]
    gap_cons = [cp.GapConstraint.parse(c) for c in gaps]
    labels = list(counts)
    total_p = sum(c[1][-1] + c[4][-1] for c in counts.values())
    total_n = sum(c[2][-1] + c[3][-1] for c in counts.values())
    best, best_choices = None, []
    for combo in itertools.product(*(range(len(counts[g][0])) for g in labels)):
        tp = sum(counts[g][1][i] for g, i in zip(labels, combo))
        fp = sum(counts[g][2][i] for g, i in zip(labels, combo))
        args = [np.array([x]) for x in (tp, fp, total_n - fp, total_p - tp)]
        with np.errstate(all="ignore"):
            value = float(metric(*args)[0])
            ok = not math.isnan(value) and all(bool(c.mask(c.metric(*args))[0]) for c in cons)
            for gc in gap_cons:
                per = []
                for g, i in zip(labels, combo):
                    t = [np.array([counts[g][k][i]]) for k in (1, 2, 3, 4)]
                    per.append(float(gc.metric(*t)[0]))
                ok = ok and gc.holds(
                    max(per) - min(per) if not any(map(math.isnan, per)) else math.nan
                )
        if not ok:
            continue
        if best is None or (value > best if maximize else value < best):
            best, best_choices = value, [combo]
        elif value == best:
            best_choices.append(combo)
    return best, best_choices


def chosen_rows(result, counts):
    return tuple(int(np.flatnonzero(counts[g][0] == result.thresholds[g])[0]) for g in counts)


def close(a, b):
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


# ----------------------------------------------------------------- independent
@settings(max_examples=60)
@given(
    problem=grouped_problems(max_size=10, pool=TIE_POOL),
    metric=st.sampled_from(["f1", "youden", "mcc", "cost(fp=1, fn=5)", "gmean"]),
    ties=st.sampled_from(["highest", "lowest", "median"]),
    rule=st.sampled_from([">=", "<="]),
)
def test_independent_equals_find_cutpoint_on_each_group(problem, metric, ties, rule):
    y, score, weight, groups = problem
    kwargs = {"metric": metric, "ties": ties, "rule": rule}
    alone = {}
    for g in sorted(set(groups.tolist())):
        m = groups == g
        w = None if weight is None else weight[m]
        try:
            alone[g] = cp.find_cutpoint(y[m], score[m], sample_weight=w, **kwargs)
        except cp.errors.CutpointsError as exc:
            with pytest.raises(type(exc), match=f"group '{g}'"):
                cp.find_cutpoint(y, score, groups=groups, sample_weight=weight, **kwargs)
            return
    result = cp.find_cutpoint(y, score, groups=groups, sample_weight=weight, **kwargs)
    assert result.mode == "independent"
    assert list(result.cutpoints) == list(alone)
    for g, cut in result.cutpoints.items():
        assert cut == alone[g]
        assert cut.threshold == alone[g].threshold
    assert result.tp == sum(c.tp for c in result.cutpoints.values())
    assert result.fp + result.tn == (len(y) - y.sum() if weight is None else weight[~y].sum())
    flags = result.flag(score, groups)
    w = np.ones(len(y)) if weight is None else weight
    assert w[flags & y].sum() == result.tp
    assert w[flags & ~y].sum() == result.fp


def test_independent_per_group_constraints():
    rng = np.random.default_rng(3)
    y = rng.random(600) < 0.3
    s = np.round(rng.random(600) + 0.4 * y, 2)
    g = rng.integers(0, 3, 600)
    result = cp.find_cutpoint(y, s, groups=g, metric="recall", constraints=["flagged <= 40"])
    for label, cut in result.cutpoints.items():
        m = g == label
        assert cut.flagged <= 40
        assert (
            cut.threshold
            == cp.find_cutpoint(
                y[m], s[m], metric="recall", constraints=["flagged <= 40"]
            ).threshold
        )
    assert result.thresholds == {k: c.threshold for k, c in result.cutpoints.items()}
    assert set(result.thresholds) == {0, 1, 2}
    assert all(type(k) is int for k in result.thresholds)


# ----------------------------------------------------------------------- joint
JOINT_LINEAR = [
    ("tp", ["flagged <= 3"]),
    ("recall", ["flagged <= 4"]),
    ("cost(fp=1, fn=4)", []),
    ("cost(fp=1, fn=4)", ["fpr <= 0.4"]),
    ("fp", ["recall >= 0.6"]),
    ("youden", ["flag_rate < 0.5"]),
    ("accuracy", ["precision >= 0.7"]),
]


@pytest.mark.parametrize(("metric", "constraints"), JOINT_LINEAR)
@settings(max_examples=40)
@given(problem=grouped_problems())
def test_joint_additive_equals_brute_force(metric, constraints, problem):
    y, score, weight, groups = problem
    counts = per_group_counts(y, score, weight, groups)
    best, choices = brute_force_joint(counts, metric, constraints)
    if best is None:
        with pytest.raises(InfeasibleConstraintError, match="no choice of one threshold"):
            cp.find_cutpoint(
                y, score, groups=groups, mode="joint", metric=metric,
                constraints=constraints, sample_weight=weight,
            )  # fmt: skip
        return
    result = cp.find_cutpoint(
        y, score, groups=groups, mode="joint", metric=metric, constraints=constraints,
        sample_weight=weight,
    )  # fmt: skip
    assert close(result.score, best)
    assert chosen_rows(result, counts) in choices


@pytest.mark.parametrize("metric", ["f1", "fbeta(beta=2)", "jaccard"])
@pytest.mark.parametrize("constraints", [[], ["flagged <= 4"], ["recall >= 0.5"]])
@settings(max_examples=30)
@given(problem=grouped_problems())
def test_joint_ratio_objective_is_exact(metric, constraints, problem):
    # Dinkelbach over the exact knapsack: the overall F-beta optimum, not an approximation.
    y, score, weight, groups = problem
    counts = per_group_counts(y, score, weight, groups)
    best, choices = brute_force_joint(counts, metric, constraints)
    if best is None:
        with pytest.raises(InfeasibleConstraintError):
            cp.find_cutpoint(y, score, groups=groups, mode="joint", metric=metric,
                             constraints=constraints, sample_weight=weight)  # fmt: skip
        return
    result = cp.find_cutpoint(y, score, groups=groups, mode="joint", metric=metric,
                              constraints=constraints, sample_weight=weight)  # fmt: skip
    assert close(result.score, best)
    assert chosen_rows(result, counts) in choices


def test_joint_beats_independent_under_a_shared_budget():
    # Group a's positives score higher: the shared queue goes there, which per-group
    # budgets (the same total split evenly) cannot do.
    y = np.array([1, 1, 1, 0, 0, 1, 0, 0, 1, 0])
    s = np.array([0.9, 0.8, 0.7, 0.2, 0.1, 0.9, 0.8, 0.7, 0.6, 0.1])
    g = np.array(["a"] * 5 + ["b"] * 5)
    joint = cp.find_cutpoint(y, s, groups=g, mode="joint", metric="tp", constraints="flagged <= 4")
    split = cp.find_cutpoint(y, s, groups=g, metric="tp", constraints="flagged <= 2")
    assert joint.flagged <= 4 and joint.tp == 4
    assert split.tp == 3
    assert joint.thresholds == {"a": 0.7, "b": 0.9}


def test_joint_knapsack_is_exact_where_the_hull_walk_is_not():
    # The LP/hull greedy takes group a's steep first step and then cannot fit b's
    # big step: greedy tp = 3, exact optimum 4 (b at 4 flagged).
    y = np.array([1, 0, 0, 0, 1, 1, 1, 1, 0, 0])
    s = np.array([0.9, 0.5, 0.4, 0.3, 0.8, 0.8, 0.8, 0.8, 0.2, 0.1])
    g = np.array([0, 0, 0, 0, 1, 1, 1, 1, 1, 1])
    counts = per_group_counts(y, s, None, g)
    best, choices = brute_force_joint(counts, "tp", ["flagged <= 4"])
    result = cp.find_cutpoint(y, s, groups=g, mode="joint", metric="tp", constraints="flagged <= 4")
    assert best == 4 and result.tp == 4
    assert chosen_rows(result, counts) in choices


def test_joint_larger_problem_matches_brute_force():
    rng = np.random.default_rng(11)
    n = 90
    g = rng.integers(0, 4, n)
    y = rng.random(n) < 0.35
    s = np.round(rng.random(n) * 0.6 + 0.3 * y + 0.05 * g, 1)
    counts = per_group_counts(y, s, None, g)
    for metric, cons in [
        ("tp", ["flagged <= 20"]),
        ("f1", ["flagged <= 25"]),
        ("cost(fp=1, fn=3)", []),
    ]:
        best, choices = brute_force_joint(counts, metric, cons)
        result = cp.find_cutpoint(y, s, groups=g, mode="joint", metric=metric, constraints=cons)
        assert close(result.score, best), metric
        assert chosen_rows(result, counts) in choices


def test_joint_rejects_what_it_cannot_solve_exactly():
    y, s, g = [1, 0, 1, 0], [0.9, 0.1, 0.8, 0.2], ["a", "a", "b", "b"]
    with pytest.raises(InvalidParameterError, match="'mcc'"):
        cp.find_cutpoint(y, s, groups=g, mode="joint", metric="mcc")
    with pytest.raises(InvalidParameterError, match="at most one overall constraint"):
        cp.find_cutpoint(
            y, s, groups=g, mode="joint", metric="tp", constraints=["flagged <= 1", "fpr <= 0.1"]
        )
    with pytest.raises(InvalidParameterError, match="'gmean >= 0.5'"):
        cp.find_cutpoint(y, s, groups=g, mode="joint", metric="tp", constraints=["gmean >= 0.5"])
    with pytest.raises(InvalidParameterError, match="'mode' must be one of"):
        cp.find_cutpoint(y, s, groups=g, mode="together")


def test_joint_infeasible_budget_names_the_closest():
    y, s, g = [1, 0, 1, 0], [0.9, 0.1, 0.8, 0.2], ["a", "a", "b", "b"]
    with pytest.raises(InfeasibleConstraintError, match=r"recall = 1, flagging everything"):
        cp.find_cutpoint(y, s, groups=g, mode="joint", metric="fp", constraints="recall > 1")


# ------------------------------------------------------------------------ gaps
GAP_CASES = [
    ("accuracy", ["recall_gap <= 0.2"]),
    ("tp", ["flagged <= 4", "flag_rate_gap <= 0.25"]),
    ("f1", ["fpr_gap <= 0.3"]),
    ("cost(fp=1, fn=2)", ["recall_gap <= 0.5", "fpr_gap <= 0.5"]),
]


@pytest.mark.parametrize(("metric", "constraints"), GAP_CASES)
@settings(max_examples=30)
@given(problem=grouped_problems(max_groups=3, max_size=6))
def test_gap_constraints_equal_brute_force(metric, constraints, problem):
    y, score, weight, groups = problem
    counts = per_group_counts(y, score, weight, groups)
    plain = [c for c in constraints if "_gap" not in c]
    gaps = [c for c in constraints if "_gap" in c]
    best, choices = brute_force_joint(counts, metric, plain, gaps)
    kwargs = {"groups": groups, "mode": "joint", "metric": metric, "constraints": constraints,
                  "sample_weight": weight}  # fmt: skip
    if best is None:
        with pytest.raises(InfeasibleConstraintError):
            cp.find_cutpoint(y, score, **kwargs)
        return
    result = cp.find_cutpoint(y, score, **kwargs)
    assert close(result.score, best)
    assert chosen_rows(result, counts) in choices
    for text in gaps:
        gap = cp.GapConstraint.parse(text)
        assert gap.holds(result.gap(gap.metric))


def test_infeasible_gap_names_the_smallest_attainable_gap():
    # Alone the gap can be 0 (both recalls 0 or both 1); with the precision floor
    # neither works (recall 0 everywhere flags nothing; recall 1 costs b a false positive).
    y = np.array([1, 1, 0, 1, 0, 1, 1, 0])
    s = np.array([0.9, 0.5, 0.1, 0.9, 0.85, 0.8, 0.7, 0.1])
    g = np.array(["a", "a", "a", "b", "b", "b", "b", "b"])
    cons = ["recall_gap <= 0.1", "precision >= 0.9"]
    counts = per_group_counts(y, s, None, g)
    assert brute_force_joint(counts, "tp", cons[1:], cons[:1])[0] is None
    with pytest.raises(InfeasibleConstraintError, match="together with the other constraints; "
                       "alone the smallest attainable recall gap is 0"):  # fmt: skip
        cp.find_cutpoint(y, s, groups=g, mode="joint", metric="tp", constraints=cons)
    # mcc: a's values are {1, 0.5}, b's {0.61, 0.17, -0.17, 0.41}: the smallest gap is 0.09.
    y = np.array([1, 0, 0, 1, 1, 0, 0, 0])
    s = np.array([0.9, 0.8, 0.1, 0.9, 0.2, 0.8, 0.7, 0.1])
    g = np.array(["a", "a", "a", "b", "b", "b", "b", "b"])
    counts = per_group_counts(y, s, None, g)
    mcc = {
        k: [float(v) for v in cp.get_metric("mcc")(c[1], c[2], c[3], c[4]) if not np.isnan(v)]
        for k, c in counts.items()
    }
    smallest = min(abs(a - b) for a in mcc["a"] for b in mcc["b"])
    assert 0.09 < smallest < 0.1
    with pytest.raises(InfeasibleConstraintError) as info:
        cp.find_cutpoint(y, s, groups=g, mode="joint", metric="tp", constraints="mcc_gap <= 0.01")
    assert f"smallest attainable mcc gap between groups is {smallest:.6g}" in str(info.value)


def test_gap_constraints_need_joint_mode_and_an_upper_limit():
    y, s, g = [1, 0, 1, 0], [0.9, 0.1, 0.8, 0.2], ["a", "a", "b", "b"]
    with pytest.raises(InvalidParameterError, match="mode='joint'"):
        cp.find_cutpoint(y, s, groups=g, constraints="recall_gap <= 0.05")
    with pytest.raises(cp.errors.ConstraintSyntaxError, match="upper limit"):
        cp.find_cutpoint(y, s, groups=g, mode="joint", metric="tp", constraints="recall_gap >= 0.1")
    with pytest.raises(cp.errors.UnknownMetricError):
        cp.GapConstraint.parse("recal_gap <= 0.1")


# ------------------------------------------------------------------- bad input
def test_bad_input_is_named():
    y, s = [1, 0, 1, 0, 1], [0.9, 0.1, 0.8, 0.2, 0.4]
    with pytest.raises(InvalidLabelsError, match="group 'b' holds only one class"):
        cp.find_cutpoint(y, s, groups=["a", "a", "b", "a", "b"])
    with pytest.raises(InvalidLabelsError, match="group 'b' holds only one class"):
        cp.find_cutpoint(y, s, groups=["a", "a", "b", "a", "b"], mode="joint", metric="tp")
    with pytest.raises(InvalidInputError, match="'groups' has 4"):
        cp.find_cutpoint(y, s, groups=["a", "a", "b", "b"])
    with pytest.raises(InvalidInputError, match="NaN group labels .*row 2"):
        cp.find_cutpoint(y, s, groups=[1.0, 1.0, np.nan, 2.0, 2.0])
    with pytest.raises(InvalidInputError, match="missing group labels"):
        cp.find_cutpoint(y, s, groups=np.array(["a", "a", None, "b", "b"], dtype=object))
    with pytest.raises(InvalidParameterError, match="'values' must be a mapping"):
        cp.find_cutpoint(y, s, groups=["a", "a", "b", "a", "b"], values=[1] * 5)


def test_group_with_too_few_rows_for_its_constraints_is_named():
    y = [1, 0, 1, 0, 1, 0, 0, 1]
    s = [0.9, 0.1, 0.8, 0.2, 0.7, 0.3, 0.6, 0.5]
    g = ["big", "big", "big", "big", "big", "big", "tiny", "tiny"]
    with pytest.raises(InfeasibleConstraintError, match=r"group 'tiny' \(2 rows\)") as info:
        cp.find_cutpoint(y, s, groups=g, metric="recall", constraints="precision >= 0.9",
                         ties="lowest")  # fmt: skip
    assert info.value.closest  # the kernel's closest points are kept


# ---------------------------------------------------------------- applying it
@pytest.fixture
def fitted():
    rng = np.random.default_rng(5)
    y = rng.random(300) < 0.3
    s = np.round(rng.random(300) + 0.5 * y, 3)
    g = np.array(["north", "south", "east"])[rng.integers(0, 3, 300)]
    return cp.find_cutpoint(y, s, groups=g, metric="f1"), y, s, g


def test_predict_uses_each_groups_threshold(fitted):
    result, _y, s, g = fitted
    expected = np.array([s[i] >= result.thresholds[g[i]] for i in range(len(s))])
    assert np.array_equal(result.flag(s, g), expected)
    assert np.array_equal(result.predict(s, g), expected.astype(int))


def test_unseen_group_needs_an_explicit_fallback(fitted):
    result, *_ = fitted
    with pytest.raises(InvalidInputError, match="group 'west' .* not seen in tuning"):
        result.predict([0.5], ["west"])
    t = result.thresholds["north"]
    assert result.flag([t, t], ["west", "north"], fallback_group="north").tolist() == [True, True]
    assert result.flag([0.5, 0.5], ["west", "west"], fallback_threshold=0.6).tolist() == [False] * 2
    with pytest.raises(InvalidParameterError, match="'fallback_group' must be a tuned group"):
        result.flag([0.5], ["west"], fallback_group="west")
    with pytest.raises(InvalidParameterError, match="not both"):
        result.flag([0.5], ["west"], fallback_group="north", fallback_threshold=0.5)
    with pytest.raises(InvalidInputError, match="same length"):
        result.flag([0.5, 0.2], ["north"])


def test_json_round_trip_and_strict_loading(fitted, tmp_path):
    result, *_ = fitted
    again = cp.GroupCutpoint.from_json(result.to_json())
    assert again == result
    assert again.thresholds == result.thresholds
    path = tmp_path / "groups.json"
    result.save(path)
    assert cp.GroupCutpoint.load(path) == result
    data = result.to_dict()
    data["tp"] += 1
    with pytest.raises(InvalidInputError, match="'tp' must equal the sum over groups"):
        cp.GroupCutpoint.from_dict(data)
    data = result.to_dict()
    data["groups"][0]["cutpoint"]["threshold"] = None
    with pytest.raises(InvalidInputError, match="group 'east'.*threshold"):
        cp.GroupCutpoint.from_dict(data)
    data = result.to_dict()
    data["groups"].append(data["groups"][0])
    with pytest.raises(InvalidInputError, match="distinct group labels"):
        cp.GroupCutpoint.from_dict(data)
    with pytest.raises(InvalidInputError, match="not a cutpoints group cutpoint"):
        cp.GroupCutpoint.from_json(cp.find_cutpoint([0, 1], [0.1, 0.9]).to_json())
    joint = cp.find_cutpoint(
        [1, 0, 1, 0, 1, 0], [0.9, 0.1, 0.8, 0.2, 0.7, 0.3], groups=[1, 1, 2, 2, 2, 1],
        mode="joint", metric="accuracy", constraints=["recall_gap <= 0.5"],
    )  # fmt: skip
    back = cp.GroupCutpoint.from_json(joint.to_json())
    assert back == joint and [str(c) for c in back.gap_constraints] == ["recall_gap <= 0.5"]
    assert list(back.cutpoints) == [1, 2]


def test_to_frame_is_the_per_group_table(fitted):
    pytest.importorskip("pandas")
    result, _y, _s, g = fitted
    frame = result.to_frame()
    assert list(frame["group"]) == ["east", "north", "south"]
    assert frame["tp"].sum() == result.tp
    assert list(frame["threshold"]) == [result.thresholds[k] for k in frame["group"]]
    north = frame.set_index("group").loc["north"]
    assert north["recall"] == result.cutpoints["north"].metrics["recall"]
    assert north["n"] == int((g == "north").sum())
    assert re.search(r"GroupCutpoint\(independent", str(result))


def test_joint_strict_budget_is_strict():
    # flag_rate < 0.5 of 4 rows: at most one row, though two fit 'flag_rate <= 0.5'.
    y, s, g = [1, 0, 1, 0], [0.2, 0.1, 0.9, 0.1], ["a", "a", "b", "b"]
    strict = cp.find_cutpoint(y, s, groups=g, mode="joint", metric="youden",
                              constraints="flag_rate < 0.5")  # fmt: skip
    assert (strict.flagged, strict.score) == (1, 0.5)
    assert strict.thresholds in ({"a": math.inf, "b": 0.9}, {"a": 0.2, "b": math.inf})
    loose = cp.find_cutpoint(y, s, groups=g, mode="joint", metric="youden",
                             constraints="flag_rate <= 0.5")  # fmt: skip
    assert (loose.flagged, loose.score) == (2, 1.0)


def test_gap_search_keeps_going_after_a_window_that_the_budget_spoils():
    # The window with the best bound (ignoring the budget) is solved first; under the
    # budget its optimum (accuracy 4/11) is beaten by a later window's (6/11).
    y = np.array([0, 1, 1, 0, 1, 1, 0, 1, 1, 0, 1])
    s = np.array([0.9, 0.3, 0.2, 0.5, 0.5, 1.0, 0.8, 0.5, 0.6, 0.3, 1.0])
    g = np.array([0, 1, 0, 0, 1, 0, 1, 1, 1, 1, 0])
    cons = ["flagged <= 4", "fpr_gap <= 0.2"]
    counts = per_group_counts(y, s, None, g)
    best, choices = brute_force_joint(counts, "accuracy", cons[:1], cons[1:])
    result = cp.find_cutpoint(y, s, groups=g, mode="joint", metric="accuracy", constraints=cons)
    assert best == 6 / 11 and close(result.score, best)
    assert chosen_rows(result, counts) in choices


def test_bootstrap_with_groups_is_each_groups_own_bootstrap():
    rng = np.random.default_rng(8)
    y = rng.random(300) < 0.3
    s = np.round(rng.random(300) + 0.4 * y, 2)
    g = rng.choice(np.array(["a", "b"]), size=300)
    res = cp.bootstrap(y, s, groups=g, n_resamples=30, random_state=5)
    children = np.random.SeedSequence(5).spawn(2)
    for k, child in zip(["a", "b"], children):
        m = g == k
        alone = cp.bootstrap(y[m], s[m], n_resamples=30, random_state=child)
        assert res[k].threshold == alone.threshold
        assert np.array_equal(res[k].thresholds, alone.thresholds)
    assert res["a"].threshold == cp.find_cutpoint(y, s, groups=g).thresholds["a"]
    with pytest.raises(InvalidParameterError, match="'mode' must be 'independent'"):
        cp.bootstrap(y, s, groups=g, mode="joint", n_resamples=5)


def test_an_objective_named_like_a_count_keeps_the_count_column():
    # metric="tp" is the tp count: the table keeps the count (an int), not a float copy.
    y, s, g = [1, 0, 1, 0, 1, 1], [0.9, 0.1, 0.8, 0.2, 0.7, 0.3], ["a", "a", "b", "b", "b", "a"]
    result = cp.find_cutpoint(y, s, groups=g, metric="tp", constraints=["flagged <= 2"])
    for row in result.rows():
        cut = result.cutpoints[row["group"]]
        assert type(row["tp"]) is int and row["tp"] == cut.tp == cut.score


@pytest.mark.parametrize("kind", ["numpy strings", "python strings"])
def test_text_labels_coded_by_factorize_as_by_unique(kind, monkeypatch):
    # pandas.factorize gives np.unique's labels, order and codes: code-point order,
    # prefixes, case, accents, the empty string, and strings that read as missing
    # values elsewhere ("nan", "None", "NA").
    pd = pytest.importorskip("pandas")
    from cutpoints.groups import _data

    pool = ["b", "a", "ab", "a ", "", "B", "ä", "z", "nan", "None", "NA", "日本", "a\u0301"]
    labels = np.random.default_rng(0).choice(np.array(pool), 3000)
    labels = labels if kind == "numpy strings" else labels.astype(object)
    distinct, want = np.unique(labels, return_inverse=True)  # the oracle
    calls = []
    real = pd.factorize
    monkeypatch.setattr(pd, "factorize", lambda *a, **k: calls.append(1) or real(*a, **k))
    got = _data.encode_groups(labels, len(labels))
    assert calls  # the pandas path ran (pandas is imported here)
    assert got[0] == tuple(str(v) for v in distinct) == tuple(sorted(pool))
    assert all(type(v) is str for v in got[0])
    assert got[1].dtype == np.int64
    np.testing.assert_array_equal(got[1], want)
    # Without pandas loaded, small inputs keep np.unique (pandas' import costs more).
    monkeypatch.delitem(__import__("sys").modules, "pandas")
    assert not _data._factorize_wanted(10)
    assert _data._factorize_wanted(_data.FACTORIZE_MIN_ROWS)
