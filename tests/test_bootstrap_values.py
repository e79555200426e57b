"""The bootstrap with per-row values (issue #15): each resample re-weights the values.

Values and weights are dyadic rationals of small magnitude, so every sum is exact in
float64 whatever its order: the bootstrap's re-weighted sums and the sort engine's sums
on the resample built row by row must then agree to the bit, thresholds and values.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import cutpoints as cp
from cutpoints.errors import InfeasibleConstraintError, InvalidParameterError, UndefinedMetricError
from cutpoints.uncertainty import BootstrapWarning

from .strategies import binary_problems


def _data(n=160, seed=0, weighted=False):
    rng = np.random.default_rng(seed)
    y = rng.random(n) < 0.3
    s = np.round(rng.random(n) + 0.4 * y, 1)  # heavy ties
    amount = np.round(rng.pareto(1.5, n) * 8) / 4  # heavy-tailed, exact in float64
    w = rng.integers(0, 9, n) / 4 if weighted else None
    return y, s, amount, w


def _values(amount):
    return {"tp": amount, "fp": -1.25, "fn": -amount}


def _brute_value(y, s, w, values, threshold, rule):
    """The total value flagging at ``threshold``, summed row by row."""
    flagged = s >= threshold if rule == ">=" else s <= threshold
    w = np.ones(len(y)) if w is None else w
    total = 0.0
    for key, mask in (
        ("tp", flagged & y),
        ("fp", flagged & ~y),
        ("fn", ~flagged & y),
        ("tn", ~flagged & ~y),
    ):
        v = np.broadcast_to(np.asarray(values.get(key, 0.0), dtype=np.float64), len(y))
        total += float(np.sum(w[mask] * v[mask]))
    return total


def _take(values, rows):
    return {k: v[rows] if isinstance(v, np.ndarray) else v for k, v in values.items()}


def _check_row_by_row(res, y, s, w, values, *, rule, ties, **kwargs):
    """Every resample: the threshold, status and value find_cutpoint gives row by row."""
    n_checked = 0
    for i in range(res.n_resamples):
        rows = res.resample_indices(i)
        vals, wr = _take(values, rows), None if w is None else w[rows]
        try:
            ref = cp.find_cutpoint(
                y[rows], s[rows], values=vals, sample_weight=wr, rule=rule, ties=ties, **kwargs
            )
        except InfeasibleConstraintError:
            assert res.status[i] == "infeasible"
            continue
        except UndefinedMetricError:
            assert res.status[i] == "undefined"
            continue
        assert res.status[i] == "ok"
        assert res.thresholds[i] == ref.threshold
        assert res.in_bag["value"][i] == ref.metrics["value"]
        assert res.in_bag["value"][i] == _brute_value(
            y[rows], s[rows], wr, vals, ref.threshold, rule
        )
        # Out of bag: the resample's threshold on the rows never drawn.
        oob = np.setdiff1d(np.arange(len(y)), rows)
        ob_w = None if w is None else w[oob]
        expected = _brute_value(y[oob], s[oob], ob_w, _take(values, oob), ref.threshold, rule)
        assert res.out_of_bag["value"][i] == expected
        # At the full-data threshold, on the resample.
        at = _brute_value(y[rows], s[rows], wr, vals, res.threshold, rule)
        assert res.at_threshold["value"][i] == at
        n_checked += 1
    return n_checked


@pytest.mark.parametrize("rule", [">=", "<="])
@pytest.mark.parametrize("ties", ["highest", "lowest", "median"])
@pytest.mark.parametrize("weighted", [False, True])
def test_value_objective_equals_row_by_row(rule, ties, weighted):
    y, s, amount, w = _data(weighted=weighted)
    values = _values(amount)
    res = cp.bootstrap(
        y, s, metric="value", values=values, sample_weight=w, rule=rule, ties=ties,
        n_resamples=15, random_state=3,
    )  # fmt: skip
    full = cp.find_cutpoint(
        y, s, metric="value", values=values, sample_weight=w, rule=rule, ties=ties
    )
    assert res.threshold == full.threshold
    assert res.metric == "value"
    assert _check_row_by_row(res, y, s, w, values, rule=rule, ties=ties, metric="value") == 15


@pytest.mark.parametrize("stratified", [True, False])
def test_value_constraint_and_value_under_constraints(stratified):
    y, s, amount, _ = _data(n=200, seed=1)
    values = {"tp": amount, "fp": -0.5, "tn": 0.25}
    full = cp.find_cutpoint(y, s, metric="f1", values=values)
    bound = f"value >= {full.metrics['value'] - 4}"  # binds on some resamples, not all
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BootstrapWarning)
        res = cp.bootstrap(
            y, s, metric="f1", constraints=bound, values=values, n_resamples=30,
            random_state=4, stratified=stratified,
        )  # fmt: skip
    n = _check_row_by_row(
        res, y, s, None, values, rule=">=", ties="highest", metric="f1", constraints=bound
    )
    assert n >= 1
    # And the value as objective under a capacity constraint.
    res = cp.bootstrap(
        y, s, metric="value", constraints="flagged <= 40", values=values, n_resamples=10,
        random_state=5, stratified=stratified,
    )  # fmt: skip
    n = _check_row_by_row(
        res, y, s, None, values, rule=">=", ties="highest", metric="value",
        constraints="flagged <= 40",
    )  # fmt: skip
    assert n == 10


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    problem=binary_problems(min_size=4, max_size=30, integer_weights=False),
    raw=st.lists(st.integers(-40, 40), min_size=30, max_size=30),
    scalar=st.sampled_from([0.0, -1.0, 0.5]),
    rule=st.sampled_from([">=", "<="]),
    ties=st.sampled_from(["highest", "lowest"]),
)
def test_property_row_by_row(problem, raw, scalar, rule, ties):
    y, s, w = problem
    n = len(y)
    amount = np.asarray(raw[:n], dtype=np.float64) / 8
    values = {"tp": amount, "fp": scalar, "fn": -amount[::-1].copy()}
    try:
        full = cp.find_cutpoint(
            y, s, metric="value", values=values, sample_weight=w, rule=rule, ties=ties
        )
    except cp.errors.CutpointsError:  # one class, or no weight: nothing to bootstrap
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BootstrapWarning)
        try:
            res = cp.bootstrap(
                y, s, metric="value", values=values, sample_weight=w, rule=rule, ties=ties,
                n_resamples=4, stratified=False, random_state=0,
            )  # fmt: skip
        except cp.errors.CutpointsError:  # every resample drew one class
            return
    assert res.threshold == full.threshold
    for i in range(res.n_resamples):
        rows = res.resample_indices(i)
        wr = None if w is None else w[rows]
        try:
            ref = cp.find_cutpoint(
                y[rows], s[rows], metric="value", values=_take(values, rows), sample_weight=wr,
                rule=rule, ties=ties,
            )  # fmt: skip
        except cp.errors.CutpointsError:
            assert res.status[i] != "ok"
            continue
        assert res.status[i] == "ok"
        assert res.thresholds[i] == ref.threshold
        assert res.in_bag["value"][i] == ref.score


def test_result_reports_the_value_and_its_intervals():
    y, s, amount, w = _data(n=300, seed=2, weighted=True)
    values = _values(amount)
    res = cp.bootstrap(
        y, s, metric="value", values=values, sample_weight=w, n_resamples=40, random_state=0
    )
    point = res.cutpoint.score
    lo, hi = res.interval("value", kind="at_threshold")
    assert lo <= hi and np.isfinite([lo, hi]).all()
    assert lo == pytest.approx(np.percentile(res.at_threshold["value"], 2.5))
    table = res.summary(bca=True).set_index(["quantity", "estimate"])
    assert table.loc[("value", "at_threshold"), "point"] == point
    # A total: out of bag it is scaled to the full data's size, counts and value alike.
    oob = res.out_of_bag
    scale = (res.cutpoint.n_positive + res.cutpoint.n_negative) / (
        oob["tp"] + oob["fp"] + oob["tn"] + oob["fn"]
    )
    scaled = table.loc[("value", "out_of_bag_scaled")]
    assert scaled["mean"] == pytest.approx(float(np.mean(oob["value"] * scale)))
    bca = table.loc[("value", "at_threshold"), ["bca_lower", "bca_upper"]]
    assert np.isfinite(bca.to_numpy(dtype=float)).all()
    assert "value" in str(res)
    # Bands of the value: the default grid, and a custom grid (same resamples again).
    bands = res.bands(metrics=["value"])
    g = float(bands["threshold"].iloc[3])
    again = res.bands(metrics=["value"], grid=[g])
    assert again["p50"].iloc[0] == bands["p50"].iloc[3]
    rows0 = res.resample_indices(0)
    at_g = _brute_value(y[rows0], s[rows0], w[rows0], _take(values, rows0), g, ">=")
    one = cp.bootstrap(
        y, s, metric="value", values=values, sample_weight=w, n_resamples=1, random_state=0
    )
    np.testing.assert_array_equal(one.resample_indices(0), rows0)
    assert one.bands(metrics=["value"], grid=[g])["p50"].iloc[0] == at_g


def test_bca_jackknife_of_the_value_is_leave_one_row_out():
    y, s, amount, w = _data(n=60, seed=7, weighted=True)
    values = _values(amount)
    res = cp.bootstrap(
        y, s, metric="value", values=values, sample_weight=w, n_resamples=5, random_state=0
    )
    jack, mult = res._jackknife(res._metric("value"))
    got = sorted(np.repeat(jack, mult.astype(int)).tolist())
    brute = []
    for i in range(len(y)):
        keep = np.arange(len(y)) != i
        brute.append(
            _brute_value(y[keep], s[keep], w[keep], _take(values, keep), res.threshold, ">=")
        )
    assert got == sorted(brute)


def test_count_metrics_unchanged_and_no_value_without_values():
    y, s, _, _ = _data(n=120, seed=3)
    res = cp.bootstrap(y, s, n_resamples=5, random_state=0)
    assert "value" not in res.in_bag
    with pytest.raises(InvalidParameterError, match="per-row values"):
        res.bands(metrics=["value"])


@pytest.mark.parametrize("weighted", [False, True])
def test_groups_resample_each_groups_values_row_by_row(weighted):
    """With groups, each group's resamples carry that group's values (issue #12 + #15)."""
    y, s, amount, w = _data(n=240, weighted=weighted)
    groups = np.array(["north", "south", "east"])[np.arange(240) % 3]
    values = _values(amount)
    res = cp.bootstrap(
        y, s, metric="value", values=values, sample_weight=w, groups=groups,
        n_resamples=8, random_state=5,
    )  # fmt: skip
    assert sorted(res) == ["east", "north", "south"]
    for label, result in res.items():
        rows = np.flatnonzero(groups == label)
        wg = None if w is None else w[rows]
        vg = _take(values, rows)
        own = cp.find_cutpoint(y[rows], s[rows], metric="value", values=vg, sample_weight=wg)
        assert result.threshold == own.threshold
        checked = _check_row_by_row(
            result, y[rows], s[rows], wg, vg, rule=">=", ties="highest", metric="value"
        )
        assert checked == 8


def test_groups_with_values_check_all_rows_first():
    y, s, amount, _ = _data()
    with pytest.raises(InvalidParameterError, match="'mode' must be 'independent'"):
        cp.bootstrap(
            y, s, metric="value", values=_values(amount), n_resamples=5,
            groups=np.arange(160) % 2, mode="joint",
        )  # fmt: skip
    with pytest.raises(cp.errors.InvalidInputError, match=r'values\["tp"\].* has 80, .* have 160'):
        cp.bootstrap(
            y, s, metric="value", values={"tp": amount[:80]}, n_resamples=5,
            groups=np.arange(160) % 2,
        )  # fmt: skip


def _lower_bound_brute(res, y, s, w, values, *, constraints=(), confidence):
    """The lower-bound choice from every resample's value at every threshold, row by row.

    Every threshold feasible on the full data is a candidate (fewer than the 256 best
    of the rule); among those whose bound (the ``1 - confidence`` quantile across
    resamples) is best, the best full-data value, then the highest threshold.
    """
    curve = cp.confusion_curve(y, s, sample_weight=w, values=values)
    full = curve.metric("value")
    feasible = np.ones(len(curve), dtype=bool)
    for c in cp.selection.as_constraints(list(constraints)):
        feasible &= c.mask(curve.evaluate(c.metric))
    thresholds = curve.thresholds[feasible]
    per_resample = []
    for i in range(res.n_resamples):
        rows = res.resample_indices(i)
        wr = None if w is None else w[rows]
        per_resample.append(
            [_brute_value(y[rows], s[rows], wr, _take(values, rows), t, ">=") for t in thresholds]
        )
    table = np.array(per_resample)  # (resamples, candidates)
    bound = np.quantile(table, 1 - confidence, axis=0)
    best = np.flatnonzero(bound == bound.max())
    top = best[full[feasible][best] == full[feasible][best].max()]
    j = top[np.argmax(thresholds[top])]
    return thresholds[j], table[:, j], thresholds[np.argmax(np.where(feasible, full, -np.inf))]


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("constraints", [(), ("flagged <= 45",)])
def test_lower_bound_of_the_total_value_against_brute_force(weighted, constraints):
    y, s, amount, w = _data(n=150, seed=11, weighted=weighted)
    values = _values(amount)
    res = cp.bootstrap(
        y, s, metric="value", values=values, sample_weight=w, constraints=list(constraints),
        select="lower_bound", confidence=0.8, n_resamples=40, random_state=6,
    )  # fmt: skip
    expected, at, _ = _lower_bound_brute(
        res, y, s, w, values, constraints=constraints, confidence=0.8
    )
    assert res.select == "lower_bound"
    assert res.threshold == expected
    full = cp.find_cutpoint(
        y, s, metric="value", values=values, sample_weight=w, constraints=list(constraints)
    )
    at_chosen = _brute_value(y, s, w, values, res.threshold, ">=")
    assert res.cutpoint.score == at_chosen == res.cutpoint.metrics["value"]
    assert res.cutpoint.score <= full.score
    # The tables at the chosen threshold hold each resample's value there.
    np.testing.assert_array_equal(res.at_threshold["value"], at)
    np.testing.assert_array_equal(res._columns["at_threshold"]["value"], at)
    robust = cp.find_cutpoint_robust(
        y, s, metric="value", values=values, sample_weight=w, constraints=list(constraints),
        confidence=0.8, n_resamples=40, random_state=6,
    )  # fmt: skip
    assert robust.threshold == res.threshold


def test_lower_bound_prefers_a_steady_value_over_a_lucky_peak():
    # Heavy-tailed amounts: a threshold whose total leans on a few large amounts has
    # the best point estimate, but the resamples that miss them pull its lower bound
    # down. The data are chosen so that the two choices differ (the brute force says
    # so), and the bootstrap agrees with the brute force.
    rng = np.random.default_rng(1)
    n = 120
    y = rng.random(n) < 0.4
    s = np.round(rng.random(n) + 0.5 * y, 2)
    amount = np.round(rng.pareto(1.2, n) * 4) / 2
    values = {"tp": amount, "fp": -2.0, "fn": -amount}
    res = cp.bootstrap(
        y, s, metric="value", values=values, select="lower_bound", confidence=0.9,
        n_resamples=60, random_state=1,
    )  # fmt: skip
    expected, at, point = _lower_bound_brute(res, y, s, None, values, confidence=0.9)
    assert res.threshold == expected
    assert expected != point  # the case discriminates: a bound, not the point estimate
    np.testing.assert_array_equal(res.at_threshold["value"], at)
    np.testing.assert_array_equal(res._columns["at_threshold"]["value"], at)
    lo, _ = res.interval("value", kind="at_threshold")
    assert lo == pytest.approx(np.percentile(at, 5))


def test_bad_values_name_the_key():
    y, s, amount, _ = _data()
    with pytest.raises(cp.errors.InvalidInputError, match='values\\["tp"\\]'):
        cp.bootstrap(y, s, metric="value", values={"tp": amount[:-1]}, n_resamples=5)


def test_values_independent_of_n_jobs():
    y, s, amount, w = _data(n=200, seed=8, weighted=True)
    kwargs = {"metric": "value", "values": _values(amount), "sample_weight": w}
    a = cp.bootstrap(y, s, n_resamples=12, random_state=2, **kwargs)
    b = cp.bootstrap(y, s, n_resamples=12, random_state=2, n_jobs=2, **kwargs)
    np.testing.assert_array_equal(a.thresholds, b.thresholds)
    for table in ("in_bag", "out_of_bag", "at_threshold"):
        np.testing.assert_array_equal(getattr(a, table)["value"], getattr(b, table)["value"])
