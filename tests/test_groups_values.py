"""Per-row values (money) per group: independent and joint, against brute force.

Oracles: ``find_cutpoint(..., metric="value")`` on each group's own rows (independent),
and a naive loop that sums each row's value of its outcome at every combination of
per-group thresholds (joint). Values are dyadic (multiples of 1/4) and weights small
integers, so every sum is exact and optimal values compare with ``==``.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import cutpoints as cp
from cutpoints.errors import InfeasibleConstraintError, InvalidInputError, InvalidParameterError

from .oracle import candidate_thresholds
from .strategies import TIE_POOL

OUTCOMES = ("tp", "fp", "fn", "tn")
DYADIC = st.integers(-40, 40).map(lambda k: k / 4)


# ------------------------------------------------------------------------ data
@st.composite
def money_problems(draw, max_groups=3, max_size=6, weighted=None):
    """(y, score, weight or None, groups, values): both classes in every group."""
    n_groups = draw(st.integers(1, max_groups))
    ys: list[bool] = []
    gs: list[str] = []
    for g in range(n_groups):
        m = draw(st.integers(2, max_size))
        ys += [True, False, *draw(st.lists(st.booleans(), min_size=m - 2, max_size=m - 2))]
        gs += [f"g{g}"] * m
    n = len(ys)
    scores = draw(st.lists(st.sampled_from(TIE_POOL), min_size=n, max_size=n))
    use_weights = draw(st.booleans()) if weighted is None else weighted
    weight = np.array(draw(st.lists(st.integers(1, 3), min_size=n, max_size=n)))
    values: dict[str, object] = {}
    for key in draw(st.sets(st.sampled_from(OUTCOMES), min_size=1)):
        if draw(st.booleans()):
            values[key] = draw(DYADIC)
        else:
            values[key] = np.array(draw(st.lists(DYADIC, min_size=n, max_size=n)))
    order = draw(st.permutations(range(n)))  # groups need not be contiguous
    ys_, gs_ = np.array(ys)[order], np.array(gs)[order]
    # The scores and per-row values were drawn per row already: no reordering needed.
    return ys_, np.array(scores, dtype=float), weight if use_weights else None, gs_, values


def row_values(values, n):
    """Each outcome's value as one number per row."""
    return {k: np.broadcast_to(np.asarray(values.get(k, 0.0), float), (n,)) for k in OUTCOMES}


def brute_force_group(y, score, weight, values, rule=">="):
    """Per candidate threshold of one group: (threshold, tp, fp, value split dict)."""
    n = len(y)
    per = row_values(values, n)
    w = np.ones(n) if weight is None else np.asarray(weight, float)
    out = []
    for t in candidate_thresholds(score, rule):
        flagged = score >= t if rule == ">=" else score <= t
        tp = fp = 0.0
        split = dict.fromkeys(OUTCOMES, 0.0)
        for i in range(n):
            key = ("tp" if y[i] else "fp") if flagged[i] else ("fn" if y[i] else "tn")
            split[key] += w[i] * per[key][i]
            tp += w[i] * (flagged[i] and y[i])
            fp += w[i] * (flagged[i] and not y[i])
        out.append((float(t), tp, fp, split))
    return out


def brute_force_all(y, score, weight, groups, values, rule=">="):
    """Group label -> brute_force_group on its rows (values sliced per row)."""
    out = {}
    for g in sorted(set(groups.tolist())):
        m = groups == g
        vals = {k: (v[m] if isinstance(v, np.ndarray) else v) for k, v in values.items()}
        out[g] = brute_force_group(
            y[m], score[m], None if weight is None else weight[m], vals, rule
        )
    return out


def brute_force_joint(table, metric, constraints=(), gaps=(), maximize=True):
    """(best objective, optimal combinations) over every choice of thresholds."""
    metric = cp.get_metric(metric)
    cons = [cp.Constraint.parse(c) for c in constraints]
    gap_cons = [cp.GapConstraint.parse(c) for c in gaps]
    labels = list(table)
    p = sum(r[-1][1] for r in table.values())
    n = sum(r[-1][2] for r in table.values())
    best, choices = None, []
    for combo in itertools.product(*(range(len(table[g])) for g in labels)):
        rows = [table[g][i] for g, i in zip(labels, combo)]
        tp = sum(r[1] for r in rows)
        fp = sum(r[2] for r in rows)
        value = sum(sum(r[3].values()) for r in rows)
        args = [np.array([x]) for x in (tp, fp, n - fp, p - tp)]
        cols = {"value": np.array([value])}
        with np.errstate(all="ignore"):
            obj = float(metric(*args, **{k: cols[k] for k in metric.columns})[0])
            ok = not math.isnan(obj)
            for c in cons:
                got = c.metric(*args, **{k: cols[k] for k in c.metric.columns})
                ok = ok and bool(c.mask(got)[0])
            for gc in gap_cons:
                per = []
                for g, i in zip(labels, combo):
                    _, gtp, gfp = table[g][i][:3]
                    gp, gn = table[g][-1][1], table[g][-1][2]
                    t = [np.array([x]) for x in (gtp, gfp, gn - gfp, gp - gtp)]
                    per.append(float(gc.metric(*t)[0]))
                ok = ok and gc.holds(max(per) - min(per))
        if not ok:
            continue
        if best is None or (obj > best if maximize else obj < best):
            best, choices = obj, [combo]
        elif obj == best:
            choices.append(combo)
    return best, choices


def chosen(result, table):
    return tuple(
        next(i for i, r in enumerate(table[g]) if r[0] == result.thresholds[g]) for g in table
    )


def total_value(result):
    return sum(sum(c.value_by_outcome.values()) for c in result.cutpoints.values())


# ----------------------------------------------------------------- independent
@settings(max_examples=60, deadline=None)
@given(
    problem=money_problems(),
    ties=st.sampled_from(["highest", "lowest", "median"]),
    rule=st.sampled_from([">=", "<="]),
)
def test_independent_value_is_each_groups_own_value_optimum(problem, ties, rule):
    y, score, weight, groups, values = problem
    kwargs = {"metric": "value", "ties": ties, "rule": rule}
    result = cp.find_cutpoint(
        y, score, groups=groups, sample_weight=weight, values=values, **kwargs
    )
    table = brute_force_all(y, score, weight, groups, values, rule)
    for g, rows in table.items():
        m = groups == g
        vals = {k: (v[m] if isinstance(v, np.ndarray) else v) for k, v in values.items()}
        w = None if weight is None else weight[m]
        alone = cp.find_cutpoint(y[m], score[m], sample_weight=w, values=vals, **kwargs)
        cut = result.cutpoints[g]
        assert cut.threshold == alone.threshold
        assert cut.score == alone.score
        assert cut.value_by_outcome == alone.value_by_outcome
        # and the brute force: the best total value of the group, split by outcome
        best = max(sum(r[3].values()) for r in rows)
        assert cut.score == best
        row = next(r for r in rows if r[0] == cut.threshold)
        assert cut.value_by_outcome == row[3]
        assert cut.metrics["value"] == best
    assert result.score == sum(result.cutpoints[g].score for g in table)
    assert result.value_by_outcome == {
        k: sum(c.value_by_outcome[k] for c in result.cutpoints.values()) for k in OUTCOMES
    }


def test_independent_value_with_a_per_group_budget_and_a_scalar_cost():
    # group a: amounts 8 and 2 on positives; group b: one big fraud at a low score
    y = np.array([1, 0, 1, 0, 1, 0, 0, 1])
    s = np.array([0.9, 0.8, 0.3, 0.2, 0.9, 0.7, 0.6, 0.1])
    g = np.array(["a", "a", "a", "a", "b", "b", "b", "b"])
    amount = np.array([8.0, 0, 2, 0, 1, 0, 0, 40])
    values = {"tp": amount, "fp": -3, "fn": -amount}
    free = cp.find_cutpoint(y, s, groups=g, metric="value", values=values)
    # a: down to 0.3: 8 + 2 - 3 = 7 (0.9 alone: 8 - 2 = 6); b: everything: 1 + 40 - 6 = 35
    assert free.thresholds == {"a": 0.3, "b": 0.1}
    assert free.score == 42.0
    assert free.cutpoints["b"].value_by_outcome == {"tp": 41.0, "fp": -6.0, "fn": 0.0, "tn": 0.0}
    capped = cp.find_cutpoint(
        y, s, groups=g, metric="value", values=values, constraints=["flagged <= 2"]
    )
    # a: 0.9 alone (6; down to 0.8: 8 - 3 - 2 = 3); b may flag 2 rows: 0.9 and 0.7 ->
    # 1 - 3 - 40 = -42 vs only 0.9: 1 - 40 = -39
    assert capped.thresholds == {"a": 0.9, "b": 0.9}
    assert capped.score == 6.0 + -39.0
    assert capped.constraints == (cp.Constraint.parse("flagged <= 2"),)


# ----------------------------------------------------------------------- joint
JOINT_CASES = [
    ("value", []),
    ("value", ["flagged <= 3"]),
    ("value", ["flagged < 5"]),
    ("value", ["recall >= 0.5"]),
    ("value", ["fp <= 1"]),
    ("tp", ["value >= 0"]),
    ("f1", ["value >= 1"]),
    ("cost(fp=1, fn=2)", ["value > -3"]),
]


@pytest.mark.parametrize(("metric", "constraints"), JOINT_CASES)
@settings(max_examples=25, deadline=None)
@given(problem=money_problems())
def test_joint_value_equals_brute_force(metric, constraints, problem):
    y, score, weight, groups, values = problem
    table = brute_force_all(y, score, weight, groups, values)
    maximize = cp.get_metric(metric).greater_is_better
    best, choices = brute_force_joint(table, metric, constraints, maximize=maximize)
    kwargs = {"metric": metric, "constraints": constraints, "values": values}
    if best is None:
        with pytest.raises(InfeasibleConstraintError):
            cp.find_cutpoint(y, score, groups=groups, sample_weight=weight, mode="joint", **kwargs)
        return
    result = cp.find_cutpoint(y, score, groups=groups, sample_weight=weight, mode="joint", **kwargs)
    assert chosen(result, table) in choices
    assert math.isclose(result.score, best, rel_tol=1e-12, abs_tol=1e-12)
    if metric == "value":
        assert result.score == best == total_value(result)
        assert sum(result.value_by_outcome.values()) == best


@settings(max_examples=25, deadline=None)
@given(problem=money_problems(max_groups=3, max_size=5))
def test_joint_value_with_a_gap_limit_equals_brute_force(problem):
    y, score, weight, groups, values = problem
    table = brute_force_all(y, score, weight, groups, values)
    gaps = ["flag_rate_gap <= 0.34"]
    best, choices = brute_force_joint(table, "value", gaps=gaps)
    kwargs = {"metric": "value", "constraints": gaps, "values": values, "mode": "joint"}
    if best is None:
        with pytest.raises(InfeasibleConstraintError):
            cp.find_cutpoint(y, score, groups=groups, sample_weight=weight, **kwargs)
        return
    result = cp.find_cutpoint(y, score, groups=groups, sample_weight=weight, **kwargs)
    assert chosen(result, table) in choices
    assert result.score == best


def test_joint_value_beats_independent_under_a_shared_budget():
    # Each group alone flags its two best rows; the shared budget of 2 goes to the
    # two largest amounts, both in group "b".
    y = np.array([1, 1, 0, 1, 1, 0])
    s = np.array([0.9, 0.8, 0.1, 0.9, 0.8, 0.1])
    g = np.array(["a", "a", "a", "b", "b", "b"])
    amount = np.array([3.0, 2.0, 0.0, 10.0, 7.0, 0.0])
    values = {"tp": amount, "fp": -1.0}
    joint = cp.find_cutpoint(
        y, s, groups=g, mode="joint", metric="value", values=values,
        constraints=["flagged <= 2"],
    )  # fmt: skip
    assert joint.thresholds == {"a": math.inf, "b": 0.8}
    assert joint.score == 17.0 and joint.flagged == 2
    assert joint.cutpoints["a"].value_by_outcome == dict.fromkeys(OUTCOMES, 0.0)
    assert joint.cutpoints["b"].value_by_outcome["tp"] == 17.0
    independent = cp.find_cutpoint(
        y, s, groups=g, metric="value", values=values, constraints=["flagged <= 2"]
    )
    assert independent.flagged == 4 and independent.score == 22.0


def test_joint_float_values_under_a_value_floor():
    # Non-dyadic money: the Pareto-state knapsack on floats, checked by brute force.
    rng = np.random.default_rng(7)
    n = 24
    y = rng.random(n) < 0.4
    y[:4] = [True, False, True, False]
    s = np.round(rng.random(n), 2)
    g = np.repeat(["x", "y", "z", "w"], 6)
    y[::6], y[1::6] = True, False
    amount = np.round(rng.lognormal(3, 1, n), 2)
    values = {"tp": amount, "fp": -7.5, "fn": -amount}
    table = brute_force_all(y, s, None, g, values)
    for metric, cons in [("value", ["flagged <= 7"]), ("tp", ["value >= -150.5"])]:
        best, choices = brute_force_joint(table, metric, cons)
        result = cp.find_cutpoint(
            y, s, groups=g, mode="joint", metric=metric, values=values, constraints=cons
        )
        assert math.isclose(result.score, best, rel_tol=1e-12)
        assert chosen(result, table) in choices


# ------------------------------------------------------------------ save, load
def test_group_cutpoint_with_values_round_trips_strictly(tmp_path):
    y = np.array([1, 0, 1, 0, 1, 0, 1, 0])
    s = np.array([0.9, 0.8, 0.7, 0.2, 0.9, 0.4, 0.3, 0.1])
    g = np.array([1, 1, 1, 1, 2, 2, 2, 2])
    amount = np.array([5.0, 0, 9, 0, 2, 0, 30, 0])
    result = cp.find_cutpoint(
        y, s, groups=g, metric="value", values={"tp": amount, "fp": -2, "fn": -amount}
    )
    path = tmp_path / "money.json"
    result.save(path)
    back = cp.GroupCutpoint.load(path)
    assert back == result
    assert back.value_by_outcome == result.value_by_outcome
    assert back.cutpoints[2].value_by_outcome == result.cutpoints[2].value_by_outcome
    assert back.score == result.score == total_value(result)
    data = result.to_dict()
    data["score"] += 1
    with pytest.raises(InvalidInputError, match="'score' must equal the total value"):
        cp.GroupCutpoint.from_dict(data)
    data = result.to_dict()
    del data["groups"][0]["cutpoint"]["values"]
    with pytest.raises(InvalidInputError, match="every group or of none .*group 1"):
        cp.GroupCutpoint.from_dict(data)
    data = result.to_dict()
    data["groups"][1]["cutpoint"]["values"]["tp"] += 1
    with pytest.raises(InvalidInputError, match="group 2.*'values' must add up"):
        cp.GroupCutpoint.from_dict(data)


# ------------------------------------------------------------------- bad input
def test_values_errors_name_the_key_and_need_values_for_the_metric():
    y, s, g = [1, 0, 1, 0], [0.9, 0.1, 0.8, 0.2], ["a", "a", "b", "b"]
    with pytest.raises(InvalidInputError, match=r'values\["tp"\].* has 3'):
        cp.find_cutpoint(y, s, groups=g, metric="value", values={"tp": [1, 2, 3]})
    with pytest.raises(InvalidInputError, match=r'values\["fn"\].*finite'):
        cp.find_cutpoint(y, s, groups=g, metric="value", values={"fn": [1, np.nan, 3, 4]})
    with pytest.raises(InvalidParameterError, match="unknown outcome 'gain'"):
        cp.find_cutpoint(y, s, groups=g, metric="value", values={"gain": 1})
    for mode in ("independent", "joint"):
        with pytest.raises(InvalidParameterError, match="metric 'value' .*pass values="):
            cp.find_cutpoint(y, s, groups=g, metric="value", mode=mode)
        with pytest.raises(InvalidParameterError, match="metric 'value' .*pass values="):
            cp.find_cutpoint(y, s, groups=g, metric="tp", mode=mode, constraints=["value >= 1"])


def test_estimator_tuning_takes_each_rows_values():
    # The estimator's hook: per-row values over all rows of X, taken at the tuning rows
    # (out-of-fold order) like y and the weights.
    from cutpoints.groups._estimator import tune_groups

    y = np.array([1, 0, 1, 0, 1, 0, 1, 0])
    g = np.array(["a", "a", "a", "a", "b", "b", "b", "b"])
    amount = np.array([4.0, 0, 9, 0, 2, 0, 30, 0])
    rows = np.array([7, 2, 5, 0, 3, 6, 1, 4])  # the folds' test rows, concatenated
    scores = np.array([0.1, 0.3, 0.4, 0.9, 0.2, 0.35, 0.8, 0.9])  # in that order
    values = {"tp": amount, "fp": -1.0, "fn": -amount}
    cut = tune_groups(
        y=y, scores=scores, rows=rows, groups=g, weights=None, mode="independent",
        objective=cp.get_metric("value"), constraints=(), maximize=None, ties="highest",
        rule=">=", pos_label=None, values=values,
    )  # fmt: skip
    at_rows = {"tp": amount[rows], "fp": -1.0, "fn": -amount[rows]}
    direct = cp.find_cutpoint(y[rows], scores, groups=g[rows], metric="value", values=at_rows)
    assert cut == direct
    # a: rows 0 (4 at 0.9) and 2 (9 at 0.3), a negative at 0.8: flag down to 0.3
    assert cut.thresholds["a"] == 0.3 and cut.cutpoints["a"].score == 12.0
    assert cut.score == 12.0 + (2.0 + 30.0 - 1.0)  # b: down to 0.35
