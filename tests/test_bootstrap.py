"""Bootstrap: the re-weighted fast path against resamples built row by row."""

from __future__ import annotations

from itertools import pairwise

import numpy as np
import pandas as pd
import pytest

import cutpoints as cp
from cutpoints.errors import InfeasibleConstraintError, InvalidInputError, InvalidParameterError
from cutpoints.uncertainty import BootstrapWarning


def _data(n=300, seed=0, ties=False):
    rng = np.random.default_rng(seed)
    y = rng.random(n) < 0.3
    s = rng.normal(size=n) + 1.2 * y
    if ties:
        s = np.round(s, 1)
    return y.astype(int), s


def _resample_optima(res, y, s, **kwargs):
    """find_cutpoint on every resample, built row by row."""
    out = []
    for i in range(res.n_resamples):
        rows = res.resample_indices(i)
        out.append(cp.find_cutpoint(y[rows], s[rows], **kwargs))
    return out


@pytest.mark.parametrize("stratified", [True, False])
@pytest.mark.parametrize("ties", ["highest", "lowest", "median"])
@pytest.mark.parametrize(
    ("metric", "constraints"),
    [("f1", ()), ("youden", ()), ("recall", ["precision >= 0.5"]), ("mcc", ["flagged <= 60"])],
)
def test_fast_path_equals_row_by_row(stratified, ties, metric, constraints):
    y, s = _data(ties=True)
    res = cp.bootstrap(
        y,
        s,
        metric=metric,
        constraints=constraints,
        n_resamples=25,
        stratified=stratified,
        ties=ties,
        random_state=1,
    )
    for i in range(res.n_resamples):
        rows = res.resample_indices(i)
        try:
            ref = cp.find_cutpoint(
                y[rows], s[rows], metric=metric, constraints=constraints, ties=ties
            )
        except InfeasibleConstraintError:
            assert res.status[i] == "infeasible"
            continue
        assert res.status[i] == "ok"
        assert res.thresholds[i] == ref.threshold
        for name in ("tp", "fp", "tn", "fn"):
            assert res.in_bag[name][i] == getattr(ref, name)
        # Out of bag: the chosen threshold applied to the rows never drawn.
        oob = np.setdiff1d(np.arange(len(y)), rows)
        flagged = s[oob] >= ref.threshold
        assert res.out_of_bag["tp"][i] == int((flagged & (y[oob] == 1)).sum())
        assert res.out_of_bag["fp"][i] == int((flagged & (y[oob] == 0)).sum())
        # At the fixed full-data threshold.
        at = cp.evaluate_threshold(y[rows], s[rows], res.threshold, metrics=["precision"])
        assert res.at_threshold["tp"][i] == at["tp"]
        assert res.at_threshold["fp"][i] == at["fp"]
        np.testing.assert_equal(res.at_threshold["precision"][i], at["precision"])


def test_integer_weights_equal_row_by_row():
    y, s = _data(n=120, seed=3, ties=True)
    w = np.random.default_rng(3).integers(0, 4, size=len(y))
    res = cp.bootstrap(y, s, sample_weight=w, n_resamples=20, random_state=5)
    for i in range(res.n_resamples):
        rows = res.resample_indices(i)
        ref = cp.find_cutpoint(y[rows], s[rows], sample_weight=w[rows])
        assert res.thresholds[i] == ref.threshold
        assert (res.in_bag["tp"][i], res.in_bag["fp"][i]) == (ref.tp, ref.fp)


def test_reproducible_and_independent_of_n_jobs():
    y, s = _data(n=400, seed=2)
    a = cp.bootstrap(y, s, n_resamples=60, random_state=7)
    b = cp.bootstrap(y, s, n_resamples=60, random_state=7, n_jobs=2)
    np.testing.assert_array_equal(a.thresholds, b.thresholds)
    for name in a.out_of_bag:
        np.testing.assert_array_equal(a.out_of_bag[name], b.out_of_bag[name])
    pd.testing.assert_frame_equal(a.summary(), b.summary())
    c = cp.bootstrap(y, s, n_resamples=60, random_state=8)
    assert not np.array_equal(a.thresholds, c.thresholds)


def test_random_state_is_a_seed_sequence_spawned_once_per_resample():
    # Resample i draws from child i of SeedSequence(random_state): the documented
    # convention, shared with repeat_experiments.
    y, s = _data(n=50, seed=6)
    res = cp.bootstrap(y, s, n_resamples=5, random_state=123)
    child = np.random.SeedSequence(123).spawn(5)[3]
    rng = np.random.default_rng(child)
    pos = np.flatnonzero(y == 1)
    # Stratified: the positives' draws, then the negatives', as positions in class order.
    first = rng.integers(0, len(pos), len(pos))
    drawn = np.sort(res.resample_indices(3)[: len(pos)])
    order = pos[np.argsort(-s[pos], kind="stable")]
    np.testing.assert_array_equal(drawn, np.sort(order[first]))
    seeded = cp.bootstrap(y, s, n_resamples=5, random_state=np.random.SeedSequence(123))
    np.testing.assert_array_equal(seeded.thresholds, res.thresholds)


def test_stratified_keeps_class_counts():
    y, s = _data(n=200, seed=4)
    res = cp.bootstrap(y, s, n_resamples=30, random_state=0)
    n_pos = y.sum()
    assert np.all(res.in_bag["tp"] + res.in_bag["fn"] == n_pos)


def test_threshold_interval_is_the_percentiles_of_the_resample_optima():
    y, s = _data()
    res = cp.bootstrap(y, s, n_resamples=50, random_state=0)
    optima = [c.threshold for c in _resample_optima(res, y, s)]
    lo, hi = res.interval("threshold")
    expected = np.quantile(optima, [0.025, 0.975], method="inverted_cdf")
    assert (lo, hi) == tuple(expected)
    assert lo < res.threshold < hi  # this data's optimum is well inside its interval
    assert {lo, hi} <= set(s)  # observed scores, never interpolated


def test_summary_columns_and_str():
    y, s = _data()
    res = cp.bootstrap(y, s, n_resamples=50, random_state=0)
    table = res.summary()
    assert list(table.columns) == [
        "quantity",
        "estimate",
        "point",
        "mean",
        "std",
        "lower",
        "upper",
        "n",
    ]
    assert set(table["estimate"]) == {
        "threshold",
        "in_bag",
        "out_of_bag",
        "out_of_bag_scaled",
        "at_threshold",
    }
    row = table[(table.quantity == "precision") & (table.estimate == "at_threshold")].iloc[0]
    assert (row.lower, row.upper) == res.interval("precision", kind="at_threshold")
    assert row.n == 50
    text = str(res)
    assert "50 resamples" in text
    assert f"threshold  {res.threshold!r}  " in text  # shortest round-trip repr


def test_out_of_bag_totals_are_scaled_and_the_point_lies_inside():
    # Out-of-bag rows are ~37% of the data: raw out-of-bag counts sit far below the
    # full-data count; the summary scales them so that they compare with it.
    rng = np.random.default_rng(21)
    y = rng.random(2000) < 0.3
    s = rng.normal(size=2000) + 1.5 * y
    res = cp.bootstrap(y, s, constraints=["flagged <= 700"], n_resamples=200, random_state=0)
    table = res.summary().set_index(["quantity", "estimate"])
    for name in ("tp", "fp", "flagged"):
        raw_hi = res.interval(name, kind="out_of_bag")[1]
        assert raw_hi < table.loc[(name, "at_threshold"), "point"]  # why scaling is needed
        row = table.loc[(name, "out_of_bag_scaled")]
        assert row.lower <= row.point <= row.upper, name
        assert (name, "out_of_bag") not in table.index
    # Rates are shown as they are.
    oob = table.loc[("precision", "out_of_bag")]
    assert (oob.lower, oob.upper) == res.interval("precision", kind="out_of_bag")
    # Scaled: each resample's out-of-bag counts times (full rows / out-of-bag rows).
    o = res.out_of_bag
    scaled = (o["tp"] + o["fp"]) * len(y) / (o["tp"] + o["fp"] + o["tn"] + o["fn"])
    assert table.loc[("flagged", "out_of_bag_scaled"), "mean"] == pytest.approx(scaled.mean())
    text = str(res)
    assert "* out-of-bag rows are about 37% of the data" in text
    flagged_line = next(line for line in text.splitlines() if line.strip().startswith("flagged"))
    assert flagged_line.endswith("*")


def test_whole_number_totals_get_observed_interval_ends():
    y, s = _data(n=400, seed=8)
    res = cp.bootstrap(y, s, n_resamples=50, random_state=3)
    for name in ("tp", "fp", "flagged"):
        lo, hi = res.interval(name, kind="at_threshold")
        values = res.at_threshold[name]
        assert lo in values and hi in values, name
        assert (lo, hi) == tuple(np.quantile(values, [0.025, 0.975], method="inverted_cdf"))
    # Rates interpolate.
    lo, hi = res.interval("precision", kind="at_threshold")
    expected = np.quantile(res.at_threshold["precision"], [0.025, 0.975])
    assert (lo, hi) == pytest.approx(tuple(expected), rel=1e-12)
    assert not all(v in res.at_threshold["precision"] for v in (lo, hi))


def test_bca_columns_only_on_request_with_a_note():
    y, s = _data()
    res = cp.bootstrap(y, s, n_resamples=60, random_state=0)
    assert "bca_lower" not in res.summary().columns
    table = res.summary(bca=True)
    assert {"bca_lower", "bca_upper"} <= set(table.columns)
    assert "at_threshold" in table.attrs["notes"][0]
    at = table[table.estimate == "at_threshold"].set_index("quantity")
    assert (at.loc["precision", "bca_lower"], at.loc["precision", "bca_upper"]) == res.interval(
        "precision", kind="at_threshold", method="bca"
    )
    others = table[table.estimate != "at_threshold"]
    assert others[["bca_lower", "bca_upper"]].isna().all().all()


def test_bands_format_and_custom_grid():
    y, s = _data()
    res = cp.bootstrap(y, s, n_resamples=40, random_state=0)
    bands = res.bands()
    assert list(bands.columns) == ["metric", "threshold", "p2.5", "p50", "p97.5"]
    assert set(bands.metric) == {"precision", "recall", "f1", "flagged"}
    assert (bands["p2.5"].fillna(0) <= bands["p97.5"].fillna(0)).all()
    # A custom grid replays the same resamples: on the default grid it agrees.
    grid = bands.loc[bands.metric == "f1", "threshold"].to_numpy()
    again = res.bands(metrics=["f1"], grid=grid)
    np.testing.assert_array_equal(
        again["p50"].to_numpy(), bands.loc[bands.metric == "f1", "p50"].to_numpy()
    )
    # Flagged count at a grid threshold, median over resamples, by hand.
    g = float(grid[10])
    counts = [int((s[res.resample_indices(i)] >= g).sum()) for i in range(40)]
    got = res.bands(metrics=["flagged"], grid=[g], percentiles=[50])
    assert got["p50"].iloc[0] == np.percentile(counts, 50)
    # An unobserved grid value applies the next observed score below it.
    between = (float(grid[10]) + float(grid[11])) / 2
    counts = [int((s[res.resample_indices(i)] >= between).sum()) for i in range(40)]
    got = res.bands(metrics=["flagged"], grid=[between], percentiles=[50])
    assert got["p50"].iloc[0] == np.percentile(counts, 50)


def test_lower_bound_selection_and_plateau():
    y, s = _data(n=500, seed=9)
    point = cp.bootstrap(y, s, n_resamples=80, random_state=0)
    robust = cp.bootstrap(y, s, n_resamples=80, random_state=0, select="lower_bound")
    assert robust.select == "lower_bound"
    curve = cp.confusion_curve(y, s)
    assert robust.threshold in set(curve.thresholds)
    # The robust threshold's lower bound is at least the point choice's.
    q = 2.5 * 2
    assert np.percentile(robust.at_threshold["f1"], q) >= np.percentile(point.at_threshold["f1"], q)
    plateau = point.plateau()
    assert point.threshold in set(plateau.threshold)
    assert (plateau["f1"] >= point.interval("f1", kind="at_threshold")[0]).all()
    assert cp.find_cutpoint_robust(y, s, n_resamples=80, random_state=0) == robust.cutpoint


@pytest.mark.parametrize("ties", ["highest", "lowest", "median"])
def test_lower_bound_ties_follow_find_cutpoint(ties):
    # Two zero-weight rows between each pair of neighbouring scores add thresholds with
    # the counts of the score above them, in the data and in every resample: each
    # threshold comes with two twins tied on the bound and on the full-data value, so
    # the tie rule alone decides among them, as in find_cutpoint.
    y, s = _data(n=80, seed=4, ties=True)
    distinct = np.unique(s)[::-1]
    gaps = np.concatenate([np.linspace(a, b, 4)[1:-1] for a, b in pairwise(distinct)])
    y2 = np.concatenate((y, np.zeros(len(gaps), dtype=int)))
    s2 = np.concatenate((s, gaps))
    w2 = np.concatenate((np.ones(len(y), dtype=int), np.zeros(len(gaps), dtype=int)))
    robust = cp.find_cutpoint_robust(
        y2, s2, sample_weight=w2, ties=ties, n_resamples=60, random_state=0
    )
    tied = robust.optimal_thresholds
    assert len(tied) == 3
    assert tied[0] in set(s) and set(tied[1:]) <= set(gaps)
    pick = {"highest": tied[0], "lowest": tied[-1], "median": tied[1]}
    assert robust.threshold == pick[ties]
    assert robust.ties == ties


def test_infeasible_resamples_are_counted_and_warned():
    y, s = _data(n=60, seed=1)
    # Unstratified resamples with fewer positives than the data cannot reach tp >= P.
    with pytest.warns(BootstrapWarning, match=r"\d+ of 100 resamples had no feasible"):
        res = cp.bootstrap(
            y,
            s,
            metric="f1",
            constraints=[f"tp >= {y.sum()}"],
            n_resamples=100,
            random_state=0,
            stratified=False,
        )
    assert res.n_infeasible > 0
    assert np.isnan(res.thresholds[res.status == "infeasible"]).all()
    assert res.summary().query("quantity == 'threshold'").n.iloc[0] == 100 - res.n_infeasible


def test_one_class_resamples_are_counted_as_find_cutpoint_refuses_them():
    y = np.array([1, 0, 0, 0, 0, 0])
    s = np.array([0.9, 0.1, 0.2, 0.3, 0.4, 0.5])
    with pytest.warns(BootstrapWarning, match=r"\d+ with one class only"):
        res = cp.bootstrap(y, s, metric="f1", n_resamples=40, stratified=False, random_state=0)
    assert (res.status == "one_class").sum() > 0
    for i in range(res.n_resamples):
        rows = res.resample_indices(i)
        if res.status[i] == "one_class":
            with pytest.raises(cp.errors.InvalidLabelsError):
                cp.find_cutpoint(y[rows], s[rows])
        else:
            assert res.thresholds[i] == cp.find_cutpoint(y[rows], s[rows]).threshold


def test_all_infeasible_raises():
    y = np.array([0, 1, 0, 1, 0, 1])
    s = np.array([0.9, 0.1, 0.8, 0.2, 0.7, 0.3])
    with pytest.raises(InfeasibleConstraintError):
        cp.bootstrap(y, s, metric="recall", constraints=["precision >= 0.99"], n_resamples=5)


@pytest.mark.parametrize("bad", [0, -1, 2.5, True])
def test_bad_n_resamples(bad):
    with pytest.raises(InvalidParameterError, match=r"'n_resamples' must be .*got"):
        cp.bootstrap([0, 1, 0, 1], [0.1, 0.2, 0.3, 0.4], n_resamples=bad)


@pytest.mark.parametrize("bad", [0, 1, 1.5, -0.1, float("nan")])
def test_bad_confidence(bad):
    with pytest.raises(InvalidParameterError, match=r"'confidence' must be .*got"):
        cp.bootstrap([0, 1, 0, 1], [0.1, 0.2, 0.3, 0.4], confidence=bad)


def test_bad_progress_is_named():
    with pytest.raises(InvalidParameterError, match=r"'progress' must be .*got 'yes'"):
        cp.bootstrap([0, 1, 0, 1], [0.1, 0.2, 0.3, 0.4], progress="yes")


def test_stratified_needs_two_rows_per_class():
    with pytest.raises(InvalidInputError, match=r"got 1 positive rows"):
        cp.bootstrap([0, 0, 0, 1], [0.1, 0.2, 0.3, 0.4], n_resamples=5)
    res = cp.bootstrap(
        [0, 0, 0, 1, 0],
        [0.1, 0.2, 0.3, 0.4, 0.5],
        metric="accuracy",
        n_resamples=5,
        stratified=False,
        random_state=0,
    )
    assert res.n_resamples == 5


@pytest.mark.parametrize("ties", ["highest", "lowest", "median"])
@pytest.mark.parametrize(
    ("metric", "constraints"),
    [
        ("f1", ()),
        ("youden", ()),
        ("cost(fp=1, fn=5)", ()),
        ("gmean", ()),
        ("mcc", ()),
        ("f1", ["precision >= 0.45"]),
        ("recall", ["flagged <= 2500"]),
    ],
)
def test_block_pruning_path_equals_row_by_row(metric, constraints, ties):
    # Enough distinct scores (> 4 blocks of 1,024) that monotone objectives skip blocks,
    # with and without constraints.
    rng = np.random.default_rng(11)
    n = 12_000
    y = (rng.random(n) < 0.2).astype(int)
    s = np.round(rng.normal(size=n) + y, 3)
    assert len(np.unique(s)) > 4 * 1024
    res = cp.bootstrap(
        y, s, metric=metric, constraints=constraints, ties=ties, n_resamples=4, random_state=2
    )
    for i in range(res.n_resamples):
        rows = res.resample_indices(i)
        ref = cp.find_cutpoint(y[rows], s[rows], metric=metric, constraints=constraints, ties=ties)
        assert res.thresholds[i] == ref.threshold
        assert (res.in_bag["tp"][i], res.in_bag["fp"][i]) == (ref.tp, ref.fp)


def test_block_pruning_reads_a_fraction_of_the_rows_and_respects_direction():
    from cutpoints.selection import select_rows
    from cutpoints.uncertainty._resample import Resample, make_plan

    rng = np.random.default_rng(12)
    n = 12_000
    y = (rng.random(n) < 0.2).astype(int)
    s = np.round(rng.normal(size=n) + 2 * y, 3)
    curve = cp.confusion_curve(y, s)
    plan = make_plan(curve, s, y == 1, None, True)
    r = Resample(plan, np.random.SeedSequence(0))
    pruned = select_rows(r, cp.get_metric("f1"), eligible=r.present, prune=True)
    full = select_rows(r, cp.get_metric("f1"), eligible=np.asarray(r.present))
    assert pruned.rows is not None and 0 < len(pruned.rows) < len(curve)
    assert pruned.index == full.index
    np.testing.assert_array_equal(pruned.optimal_indices, full.optimal_indices)
    res = cp.bootstrap(y, s, metric="f1", maximize=False, n_resamples=3, random_state=0)
    for i in range(3):
        idx = res.resample_indices(i)
        ref = cp.find_cutpoint(y[idx], s[idx], metric="f1", maximize=False)
        assert res.thresholds[i] == ref.threshold


@pytest.mark.parametrize("weighted", [False, True])
def test_bca_jackknife_equals_leave_one_out(weighted):
    y, s = _data(n=80, seed=5, ties=True)
    w = np.random.default_rng(5).integers(1, 4, size=len(y)) if weighted else None
    res = cp.bootstrap(y, s, sample_weight=w, n_resamples=200, random_state=0)
    metric = cp.get_metric("precision")
    vals, mult = res._jackknife(metric)
    brute = []
    for i in range(len(y)):
        keep = np.arange(len(y)) != i
        r = cp.evaluate_threshold(
            y[keep],
            s[keep],
            res.threshold,
            metrics=["precision"],
            sample_weight=None if w is None else w[keep],
        )
        brute.append(r["precision"])
    got = np.sort(np.repeat(vals, mult.astype(int)))
    np.testing.assert_allclose(got, np.sort(brute), rtol=1e-12)
    lo, hi = res.interval("precision", kind="at_threshold", method="bca")
    assert 0 <= lo <= res.cutpoint.metrics["precision"] <= hi <= 1
    with pytest.raises(InvalidParameterError, match="'method'"):
        res.interval("threshold", method="bca")


def test_lower_is_positive_rule_mirrors_negated_scores():
    # rule="<=" on s must be the ">=" bootstrap of -s, with every threshold negated.
    rng = np.random.default_rng(7)
    n = 600
    y = rng.random(n) < 0.3
    s = np.round(rng.normal(size=n) - 1.2 * y, 1)  # lower = positive, heavy ties
    kwargs = {"metric": "f1", "n_resamples": 60, "random_state": 3}
    low = cp.bootstrap(y, s, rule="<=", **kwargs)
    high = cp.bootstrap(y, -s, **kwargs)
    assert low.cutpoint.rule == "<="
    assert low.threshold == -high.threshold
    np.testing.assert_array_equal(low.thresholds, -high.thresholds)
    for table in ("in_bag", "out_of_bag", "at_threshold"):
        for name, values in getattr(high, table).items():
            np.testing.assert_array_equal(getattr(low, table)[name], values, err_msg=name)
    lo, hi = low.interval("threshold")
    assert (lo, hi) == pytest.approx(
        (-high.interval("threshold")[1], -high.interval("threshold")[0])
    )
    bands_low = low.bands(metrics=("precision",)).sort_values("threshold").reset_index(drop=True)
    bands_high = high.bands(metrics=("precision",))
    bands_high = bands_high.assign(threshold=-bands_high["threshold"]).sort_values("threshold")
    np.testing.assert_array_equal(bands_low["threshold"], bands_high["threshold"])
    np.testing.assert_array_equal(bands_low["p50"], bands_high["p50"].to_numpy())
    np.testing.assert_array_equal(
        np.sort(low.plateau()["threshold"]), np.sort(-high.plateau()["threshold"])
    )
    robust_low = cp.bootstrap(y, s, rule="<=", select="lower_bound", **kwargs)
    robust_high = cp.bootstrap(y, -s, select="lower_bound", **kwargs)
    assert robust_low.threshold == -robust_high.threshold
    # Applying the chosen threshold with the "<=" rule reproduces its counts.
    flagged = s <= low.threshold
    assert (flagged & y).sum() == low.cutpoint.tp
    assert (flagged & ~y).sum() == low.cutpoint.fp


def test_progress_bar_counts_every_resample_on_stderr(capsys):
    y, s = _data(n=100)
    cp.bootstrap(y, s, n_resamples=30, random_state=0, progress=True)
    err = capsys.readouterr().err
    assert "bootstrap" in err and "30/30" in err
    cp.bootstrap(y, s, n_resamples=30, random_state=0, select="lower_bound", progress=True)
    assert "60/60" in capsys.readouterr().err  # the lower-bound pass replays them all
    cp.bootstrap(y, s, n_resamples=30, random_state=0, progress=False)
    cp.bootstrap(y, s, n_resamples=30, random_state=0)  # auto: small, not a terminal
    assert capsys.readouterr().err == ""
