"""Guaranteed constraints: Clopper–Pearson bounds and fixed-sequence testing."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import binom, norm

import cutpoints as cp
from cutpoints.errors import (
    InfeasibleConstraintError,
    InvalidInputError,
    InvalidLabelsError,
    InvalidParameterError,
)
from cutpoints.uncertainty import clopper_pearson


def test_clopper_pearson_is_exact():
    # The lower bound L solves P(Binom(n, L) >= k) = delta.
    for k, n in [(1, 1), (5, 10), (9, 10), (37, 50)]:
        lower = clopper_pearson(k, n, 0.05)
        assert binom.sf(k - 1, n, lower) == pytest.approx(0.05, rel=1e-9)
        if k < n:  # the upper bound solves P(Binom(n, U) <= k) = delta
            upper = clopper_pearson(k, n, 0.05, side="upper")
            assert binom.cdf(k, n, upper) == pytest.approx(0.05, rel=1e-9)
    assert clopper_pearson(0, 10, 0.05) == 0
    assert clopper_pearson(10, 10, 0.05, side="upper") == 1
    assert np.isnan(clopper_pearson(0, 0, 0.05))


def _binormal(n, seed, pi=0.2, mu=1.5):
    rng = np.random.default_rng(seed)
    y = rng.random(n) < pi
    return y, rng.normal(size=n) + mu * y


def test_certified_thresholds_meet_the_bound_on_calibration_data():
    y, s = _binormal(3000, 0)
    cut = cp.find_cutpoint_guaranteed(y, s, "precision >= 0.7", delta=0.05)
    g = cut.guarantee
    assert isinstance(cut, cp.Cutpoint) and isinstance(g, cp.Guarantee)
    assert g.bound >= 0.7 and g.confidence == 0.95 and g.delta == pytest.approx(0.05)
    assert g.estimate == cut.metrics["precision"] >= g.bound
    assert str(g.constraint) == "precision >= 0.7" and cut.constraints == (g.constraint,)
    # Start high: by default the last certified threshold, the one flagging most.
    assert cut.threshold == g.certified[-1] == min(g.certified)
    assert cut.metric.name == "flagged" and cut.score == cut.flagged
    for t in g.certified:
        r = cp.evaluate_threshold(y, s, t, metrics=["precision"])
        lower = clopper_pearson(r["tp"], r["tp"] + r["fp"], 0.05)
        assert lower >= 0.7
    r = cp.evaluate_threshold(y, s, cut.threshold)
    assert (cut.tp, cut.fp, cut.tn, cut.fn) == (r["tp"], r["fp"], r["tn"], r["fn"])
    assert "precision >= 0.7 with probability >= 0.95" in str(cut)


def test_recall_starts_low_and_picks_the_highest_certified():
    y, s = _binormal(2000, 1)
    cut = cp.find_cutpoint_guaranteed(y, s, "recall >= 0.8", delta=0.05)
    assert cut.guarantee.bound >= 0.8
    # recall is monotone: the chosen threshold is the highest certified one.
    assert cut.threshold == max(cut.guarantee.certified)


@pytest.mark.parametrize("ties", ["highest", "lowest", "median"])
@pytest.mark.parametrize("metric", ["f1", "accuracy", "youden"])
def test_metric_picks_the_best_certified_threshold_by_the_tie_rule(metric, ties):
    # A coarse score (few distinct values, many ties in the metric) on a fixed grid.
    y, s = _binormal(3000, 3)
    s = np.round(s, 1)
    grid = np.round(np.linspace(-1, 2.5, 36), 1)
    cut = cp.find_cutpoint_guaranteed(
        y, s, "precision >= 0.6", delta=0.05, metric=metric, ties=ties, grid=grid
    )
    certified = sorted(cut.guarantee.certified, reverse=True)  # fewest flagged first
    assert set(certified) <= set(grid.tolist())
    values = [cp.evaluate_threshold(y, s, t, metrics=[metric])[metric] for t in certified]
    best = max(values)
    tied = [t for t, v in zip(certified, values) if v == best]
    rows = [cp.confusion_curve(y, s).index_at(t) for t in tied]
    assert rows == sorted(rows)
    expected = {"highest": tied[0], "lowest": tied[-1], "median": tied[(len(tied) - 1) // 2]}
    assert cut.threshold == expected[ties]
    assert cut.optimal_thresholds == tuple(tied)
    assert cut.score == best and cut.metric.name == metric


def test_a_guaranteed_cutpoint_is_a_cutpoint_everywhere(tmp_path):
    y, s = _binormal(2000, 4)
    cut = cp.find_cutpoint_guaranteed(y, s, "precision >= 0.7", metric="recall")
    path = tmp_path / "cut.json"
    cut.save(path)
    again = cp.Cutpoint.load(path)
    assert again == cut and again.guarantee == cut.guarantee
    assert again.predict(s).tolist() == (s >= cut.threshold).tolist()
    assert again.guarantee.certified == cut.guarantee.certified


def test_rule_weights_and_labels_follow_the_common_vocabulary():
    y, s = _binormal(2000, 5)
    up = cp.find_cutpoint_guaranteed(y, s, "precision >= 0.7")
    down = cp.find_cutpoint_guaranteed(y, -s, "precision >= 0.7", rule="<=")
    assert down.threshold == -up.threshold and down.rule == "<="
    assert (down.tp, down.fp) == (up.tp, up.fp)
    labels = np.where(y, "fraud", "ok")
    named = cp.find_cutpoint_guaranteed(labels, s, "precision >= 0.7", pos_label="fraud")
    assert named.threshold == up.threshold and named.positive_label == "fraud"
    # Integer weights are frequency weights: weight 2 equals the row repeated.
    w = np.where(np.arange(len(y)) % 3 == 0, 2, 1)
    weighted = cp.find_cutpoint_guaranteed(y, s, "precision >= 0.7", sample_weight=w)
    repeated = cp.find_cutpoint_guaranteed(np.repeat(y, w), np.repeat(s, w), "precision >= 0.7")
    assert weighted.threshold == repeated.threshold
    assert weighted.guarantee.bound == repeated.guarantee.bound
    with pytest.raises(InvalidInputError, match="whole numbers"):
        cp.find_cutpoint_guaranteed(y, s, "precision >= 0.7", sample_weight=w / 3)
    # Halves that sum to whole counts are still not frequency weights.
    halves = np.full(len(y), 0.5)
    with pytest.raises(InvalidInputError, match="whole numbers"):
        cp.find_cutpoint_guaranteed(y, s, "precision >= 0.7", sample_weight=halves * 2 * 0.5)
    assert (
        cp.find_cutpoint_guaranteed(
            y, s, "precision >= 0.7", sample_weight=w.astype(float)
        ).threshold
        == weighted.threshold
    )


def test_errors():
    y, s = _binormal(200, 2)
    with pytest.raises(InvalidParameterError, match="'delta'"):
        cp.find_cutpoint_guaranteed(y, s, "precision >= 0.9", delta=1.5)
    with pytest.raises(InvalidParameterError, match="binomial form"):
        cp.find_cutpoint_guaranteed(y, s, "f1 >= 0.5")
    with pytest.raises(InvalidParameterError, match="exactly one bound to certify \\(got 2"):
        cp.find_cutpoint_guaranteed(y, s, ["precision >= 0.5", "recall >= 0.5"])
    with pytest.raises(InfeasibleConstraintError, match="no threshold can be certified"):
        cp.find_cutpoint_guaranteed(y, s, "precision >= 0.999")
    with pytest.raises(InvalidLabelsError, match="holds only one class"):
        cp.find_cutpoint_guaranteed(np.ones(50, bool), s[:50], "precision >= 0.5")


@pytest.mark.slow
@pytest.mark.parametrize(
    ("constraint", "target", "delta"),
    [("precision >= 0.7", "precision", 0.1), ("recall >= 0.8", "recall", 0.1)],
)
def test_coverage_by_simulation(constraint, target, delta):
    pi, mu, p = 0.2, 1.5, float(constraint.split(">=")[1])

    def truth(t):
        tp = pi * norm.sf(t - mu)
        fp = (1 - pi) * norm.sf(t)
        return tp / (tp + fp) if target == "precision" else norm.sf(t - mu)

    n_sets, failures, claims = 2000, 0, 0
    for seed in range(n_sets):
        y, s = _binormal(1000, seed, pi, mu)
        try:
            g = cp.find_cutpoint_guaranteed(y, s, constraint, delta=delta)
        except InfeasibleConstraintError:
            continue  # no claim made: not a failure of the guarantee
        claims += 1
        # The guarantee covers every certified threshold at once.
        failures += bool(np.any(truth(np.array(g.guarantee.certified)) < p))
    assert claims > n_sets // 4  # the test is not vacuous
    print(f"{constraint}: {failures} failures in {claims} claims of {n_sets} data sets")
    # Stated rate delta; allow binomial noise of the simulation (3 sd).
    assert failures / n_sets <= delta + 3 * np.sqrt(delta * (1 - delta) / n_sets)
