"""Independent per-group selection by the grouped histogram-refine pass (groups/_binned.py).

Oracle: the grouped sort path (``engine="sort"``: every group's full curve), itself
tested against find_cutpoint per group and brute force in tests/test_groups.py. The two
must agree exactly: thresholds, counts, scores, tied optima, runners-up, errors.
"""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import cutpoints as cp
from cutpoints.engines._histogram import BinnedCurve
from cutpoints.errors import CutpointsError, InvalidParameterError
from cutpoints.groups import _binned
from cutpoints.groups._cuts import LazyCutpoints

from .strategies import TIE_POOL

FIELDS = (
    "threshold",
    "score",
    "tp",
    "fp",
    "tn",
    "fn",
    "optimal_thresholds",
    "runners_up",
    "references",
    "n_samples",
    "n_positive",
    "n_negative",
)


def assert_same(sort, hist):
    """Every answer field equal, per group and overall (the fingerprint aside: a binned
    curve hashes its bin edges)."""
    assert sort.thresholds == hist.thresholds
    for k in ("tp", "fp", "tn", "fn"):
        assert getattr(sort, k) == getattr(hist, k)
        assert type(getattr(sort, k)) is type(getattr(hist, k))
    assert sort.score == hist.score or (np.isnan(sort.score) and np.isnan(hist.score))
    assert repr(sort.rows()) == repr(hist.rows())  # NaN-aware, types too
    for g, a in sort.cutpoints.items():
        b = hist.cutpoints[g]
        for f in FIELDS:
            assert getattr(a, f) == getattr(b, f), (g, f)
        ma, mb = dict(a.metrics), dict(b.metrics)
        assert ma.keys() == mb.keys()
        assert all(ma[k] == mb[k] or (np.isnan(ma[k]) and np.isnan(mb[k])) for k in ma)


def both(y, s, g, **kwargs):
    """(sort result, histogram result), or the error both raise (the same)."""
    try:
        sort = cp.find_cutpoint(y, s, groups=g, engine="sort", **kwargs)
    except CutpointsError as exc:
        error = exc
    else:
        return sort, cp.find_cutpoint(y, s, groups=g, engine="histogram", **kwargs)
    with pytest.raises(type(error)) as raised:
        cp.find_cutpoint(y, s, groups=g, engine="histogram", **kwargs)
    assert str(raised.value) == str(error)
    return None


@st.composite
def grouped(draw):
    """Groups of 1 to 60 rows with heavy ties (zeros of both signs, extreme values)."""
    n_groups = draw(st.integers(1, 4))
    pool = draw(st.sampled_from([TIE_POOL, [0.1, 0.2, 0.3, 0.4], [0.5], None]))
    ys, ss, gs = [], [], []
    for k in range(n_groups):
        m = draw(st.integers(1, 60))
        ys += draw(st.lists(st.booleans(), min_size=m, max_size=m))
        if pool is None:
            ss += draw(st.lists(st.floats(-1e3, 1e3, allow_nan=False), min_size=m, max_size=m))
        else:
            ss += draw(st.lists(st.sampled_from(pool), min_size=m, max_size=m))
        gs += [k * 7] * m
    order = draw(st.permutations(range(len(ys))))
    y = np.array(ys)[order]
    s = np.array(ss, dtype=float)[order]
    g = np.array(gs)[order]
    weight = draw(st.sampled_from([None, "int", "whole"]))
    w = None
    if weight is not None:
        w = np.array(draw(st.lists(st.integers(0, 4), min_size=len(y), max_size=len(y))))
        w = w if weight == "int" else w.astype(float)
    return y, s, g, w


@pytest.mark.slow
@settings(max_examples=150, deadline=None)
@given(
    problem=grouped(),
    metric=st.sampled_from(["f1", "youden", "cost(fp=1, fn=5)", "gmean", "precision", "mcc"]),
    constraints=st.sampled_from([[], ["recall >= 0.5"], ["flagged <= 5"], ["precision >= 0.4"]]),
    ties=st.sampled_from(["highest", "lowest", "median"]),
    rule=st.sampled_from([">=", "<="]),
    bits=st.sampled_from([None, 1, 2]),
    maximize=st.sampled_from([None, None, False]),
)
def test_histogram_equals_sort(problem, metric, constraints, ties, rule, bits, maximize):
    y, s, g, w = problem
    with pytest.MonkeyPatch.context() as patch:
        if bits is not None:  # few, crowded bins per group
            patch.setattr(_binned, "cell_bits", lambda n_rows, n_groups: bits)
        found = both(
            y,
            s,
            g,
            metric=metric,
            constraints=constraints,
            ties=ties,
            rule=rule,
            sample_weight=w,
            maximize=maximize,
        )
    if found is not None:
        assert_same(*found)


def make(n, n_groups, seed=0, decimals=3):
    rng = np.random.default_rng(seed)
    g = rng.integers(0, n_groups, n)
    y = rng.random(n) < 0.1 + 0.2 * (g % 3 == 0)
    s = np.round(1 / (1 + np.exp(-(rng.normal(size=n) + (1 + g / n_groups) * y - 2))), decimals)
    return y, s, g


@pytest.mark.parametrize(
    "kwargs",
    [
        {"metric": "f1"},
        {"metric": "f1", "ties": "median", "rule": "<="},
        {"metric": "recall", "constraints": ["precision >= 0.3"]},
        {"metric": "cost(fp=1, fn=10)"},
        {"metric": "precision", "constraints": ["recall >= 0.2"]},
    ],
)
def test_larger_data_refines_few_rows_and_agrees(kwargs):
    y, s, g = make(60_000, 40)
    sort, hist = both(y, s, g, **kwargs)
    assert_same(sort, hist)
    curve = hist.cutpoints[5].curve
    assert isinstance(curve, BinnedCurve)
    assert curve.n_refined_rows < curve.n_samples / 2
    full = curve.full()
    exact = sort.cutpoints[5].curve
    assert np.array_equal(full.thresholds, exact.thresholds)
    assert np.array_equal(full.tp, exact.tp)
    assert np.array_equal(full.fp, exact.fp)
    assert curve.fingerprint().startswith("sha256-binned:")


def test_cutpoints_are_built_on_access_only():
    y, s, g = make(20_000, 30)
    gc = cp.find_cutpoint(y, s, groups=g, engine="histogram")
    assert isinstance(gc.cutpoints, LazyCutpoints)
    assert gc.thresholds and gc.to_frame() is not None
    assert repr(gc.cutpoints) == "LazyCutpoints(30 groups, 0 built)"
    assert gc.predict(s[:5], g[:5]).tolist() == [
        int(v >= gc.thresholds[k]) for v, k in zip(s[:5], g[:5], strict=True)
    ]
    assert repr(gc.cutpoints) == "LazyCutpoints(30 groups, 0 built)"
    assert gc.cutpoints[3] is gc.cutpoints[3]
    assert repr(gc.cutpoints) == "LazyCutpoints(30 groups, 1 built)"
    again = cp.GroupCutpoint.from_json(gc.to_json())
    assert again == gc
    copied = pickle.loads(pickle.dumps(gc))
    assert type(copied.cutpoints) is dict
    assert copied == gc
    assert 3 in gc.cutpoints and 99 not in gc.cutpoints and [1] not in gc.cutpoints


def test_auto_takes_the_histogram_path_by_size(monkeypatch):
    y, s, g = make(5_000, 10)
    small = cp.find_cutpoint(y, s, groups=g)
    assert not isinstance(small.cutpoints[0].curve, BinnedCurve)
    monkeypatch.setattr(cp.groups, "AUTO_HISTOGRAM_MIN_ROWS", 1_000)
    big = cp.find_cutpoint(y, s, groups=g)
    assert isinstance(big.cutpoints[0].curve, BinnedCurve)
    assert_same(small, big)


def test_paths_it_leaves_to_the_sort_path():
    y, s, g = make(5_000, 10)
    for kwargs in (
        {"metric": "mcc"},  # no declared monotonicity
        {"metric": "f1", "sample_weight": np.full(len(y), 0.5)},  # fractional weights
        {"metric": "value", "values": {"tp": 3.0, "fp": -1.0}},  # per-row values
    ):
        gc = cp.find_cutpoint(y, s, groups=g, engine="histogram", **kwargs)
        assert not isinstance(gc.cutpoints[0].curve, BinnedCurve)


def test_failing_group_is_named_as_by_the_sort_path():
    y, s, g = make(5_000, 10)
    y = y.copy()
    y[g == 4] = False
    assert both(y, s, g, metric="f1") is None
    with pytest.raises(cp.errors.InvalidLabelsError, match="group 4"):
        cp.find_cutpoint(y, s, groups=g, engine="histogram")
    y, s, g = make(5_000, 10)
    assert both(y, s, g, metric="f1", constraints=["precision >= 0.999"]) is None


def test_engine_is_checked():
    with pytest.raises(InvalidParameterError, match="'engine' must be one of"):
        cp.find_cutpoint([0, 1], [0.1, 0.9], groups=[1, 1], engine="spark")


def test_empty_bins_do_not_count_twice_among_the_edge_rows():
    # One group, recall: edges at tp 0, 15, then 16 repeated by four empty bins, 17..20.
    # The runner-up ranked 5th among the real edge rows is 15 (19, 18, 17, 16, 15): the
    # first bin (0 -> 15) may hold a runner-up. Counting the repeats would make it 16.
    tp = np.array([[0, 15, 16, 16, 16, 16, 16, 17, 18, 19, 20]], dtype=float)
    fp = 2 * tp + 1
    fp[0, 0] = 0
    valid = np.array([[True, True, True, False, False, False, False, True, True, True, True]])
    keep = _binned._to_refine(tp, fp, valid, cp.get_metric("recall"), (), True)
    assert keep[0, 0]
    assert keep[0, 1:].all()


@pytest.mark.parametrize("bits", [2, 4])
@pytest.mark.parametrize("metric", ["cost(fp=1, fn=20)", "precision", "f1"])
def test_extreme_scores_stay_observed_in_coarse_bins(bits, metric, monkeypatch):
    # Scores in [0, 1] but one above: the group's top row must be that observed score
    # (probability-only references then do not apply), as on the full curve.
    rng = np.random.default_rng(2)
    y = rng.random(400) < 0.4
    s = np.round(0.1 + rng.random(400) * 0.8 + 0.1 * y, 2)
    s[0], y[0] = 1.0625, False
    g = np.zeros(400, dtype=int)
    monkeypatch.setattr(_binned, "cell_bits", lambda n_rows, n_groups: bits)
    sort, hist = both(y, s, g, metric=metric)
    assert_same(sort, hist)
    curve = hist.cutpoints[0].curve
    assert curve.thresholds[1] == 1.0625
    assert curve.thresholds[-1] == s.min()
    assert curve.observed[1] and curve.observed[-1]


# ----------------------------------------------------------------------- joint
@pytest.mark.slow
@settings(max_examples=80, deadline=None)
@given(
    problem=grouped(),
    metric=st.sampled_from(["tp", "recall", "f1", "accuracy", "cost(fp=1, fn=4)"]),
    budget=st.sampled_from(
        ["flagged <= 6", "flag_rate <= 0.2", "fp < 4", "tp <= 3", "flagged <= 0"]
    ),
    bits=st.sampled_from([None, 1, 2]),
)
def test_joint_under_a_growing_budget_equals_sort(problem, metric, budget, bits):
    y, s, g, w = problem
    with pytest.MonkeyPatch.context() as patch:
        if bits is not None:
            patch.setattr(_binned, "cell_bits", lambda n_rows, n_groups: bits)
        found = both(y, s, g, mode="joint", metric=metric, constraints=[budget], sample_weight=w)
    if found is not None:
        assert_same(*found)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"metric": "recall", "constraints": ["flagged <= 300"]},
        {"metric": "f1", "constraints": ["flag_rate <= 0.005"], "rule": "<="},
        {"metric": "tp", "constraints": ["fp <= 200"]},
    ],
)
def test_joint_budget_curves_hold_exact_rows_up_to_the_budget(kwargs):
    y, s, g = make(60_000, 20, decimals=4)
    sort, hist = both(y, s, g, mode="joint", **kwargs)
    assert_same(sort, hist)
    curve = hist.cutpoints[3].curve
    assert isinstance(curve, BinnedCurve)
    assert curve.n_refined_rows < curve.n_samples / 2
    exact = sort.cutpoints[3].curve
    # Its rows are rows of the full curve, all of them down to the budget.
    at = (
        np.searchsorted(-exact.thresholds, -curve.thresholds)
        if curve.rule == ">="
        else (np.searchsorted(exact.thresholds, curve.thresholds))
    )
    observed = curve.observed
    assert np.array_equal(exact.tp[at[observed]], curve.tp[observed])
    assert np.array_equal(exact.fp[at[observed]], curve.fp[observed])


def test_joint_leaves_other_constraints_to_the_sort_path():
    y, s, g = make(5_000, 6)
    for constraints in (["recall >= 0.5"], ["cost(fp=1, fn=4) <= 2000"], []):
        gc = cp.find_cutpoint(
            y, s, groups=g, mode="joint", metric="tp" if constraints else "youden",
            constraints=constraints, engine="histogram",
        )  # fmt: skip
        assert not isinstance(gc.cutpoints[0].curve, BinnedCurve)


def test_joint_can_spend_the_whole_budget_in_one_group(monkeypatch):
    # Group 0 ranks its 60 positives first; group 1's scores say nothing. The best use
    # of 'flagged <= 55' is 55 rows of group 0: a row inside one of its bins (8 bins of
    # 12.5 rows), which must be there exactly.
    s0 = 1.0 + np.arange(100)[::-1] / 100
    y0 = np.arange(100) < 60
    rng = np.random.default_rng(4)
    s1 = 1.0 + rng.random(100)
    y1 = rng.random(100) < 0.3
    y, s = np.concatenate((y0, y1)), np.concatenate((s0, s1))
    g = np.repeat([0, 1], 100)
    monkeypatch.setattr(_binned, "cell_bits", lambda n_rows, n_groups: 3)
    sort, hist = both(y, s, g, mode="joint", metric="tp", constraints=["flagged <= 55"])
    assert_same(sort, hist)
    assert hist.cutpoints[0].flagged == 55 and hist.tp == 55


@pytest.mark.parametrize(
    ("metric", "constraints", "maximize"),
    [
        ("f1", (), True),
        ("precision", ("recall >= 0.6",), True),
        ("cost(fp=1, fn=20)", ("flagged <= 300",), False),
    ],
)
def test_bins_to_refine_found_block_by_block_equal_the_whole_table(metric, constraints, maximize):
    # Blocks of a few groups (their temporaries stay in cache) give the whole table's
    # answer, also where a block ends inside the groups and the last block is short.
    rng = np.random.default_rng(5)
    n, n_groups = 40_000, 37
    g = rng.integers(0, n_groups, n)
    y = rng.random(n) < 0.2 + 0.01 * g
    # Group-dependent scores on a coarse grid: each group's empty bins lie elsewhere.
    s = np.round(1 / (1 + np.exp(-(rng.normal(size=n) + 2 * y - 2 + 0.05 * g))), 2)
    from cutpoints.groups._data import grouped_input
    from cutpoints.selection import as_constraints

    given_ = grouped_input(y, s, g)
    table = _binned._Table.of(given_.columns, given_.codes, len(given_.labels))
    objective = cp.get_metric(metric)
    bounds = as_constraints(list(constraints))
    whole = _binned._refine_by_blocks(table, objective, bounds, maximize, block=1 << 40)
    n_edges = table.tp_edges.shape[1]
    nonempty = table.rows > 0
    assert 0 < (whole & nonempty).sum() < nonempty.sum()  # some bins refined, not all
    for groups_per_block in (1, 5, 36):
        blocks = _binned._refine_by_blocks(
            table, objective, bounds, maximize, block=groups_per_block * n_edges
        )
        np.testing.assert_array_equal(blocks, whole)
