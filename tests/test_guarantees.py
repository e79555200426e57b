"""Guaranteed constraints: Clopper–Pearson bounds and fixed-sequence testing."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import binom, norm

import cutpoints as cp
from cutpoints._guarantees import clopper_pearson
from cutpoints.errors import InfeasibleConstraintError, InvalidParameterError


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
    g = cp.find_cutpoint_guaranteed(y, s, "precision >= 0.7", delta=0.05)
    assert g.bound >= 0.7
    assert g.estimate >= g.bound
    assert g.threshold == g.certified[-1]  # start high: the last certified flags most
    for t in g.certified:
        r = cp.evaluate_threshold(y, s, t, metrics=["precision"])
        lower = clopper_pearson(r["tp"], r["tp"] + r["fp"], 0.05)
        assert lower >= 0.7
    assert "precision >= 0.7" in str(g)


def test_recall_starts_low_and_objective_picks():
    y, s = _binormal(2000, 1)
    g = cp.find_cutpoint_guaranteed(y, s, "recall >= 0.8", delta=0.05)
    assert g.bound >= 0.8
    # recall is monotone: the chosen threshold is the highest certified one.
    assert g.threshold == g.certified.max()
    h = cp.find_cutpoint_guaranteed(
        y, s, "precision >= 0.6", delta=0.05, objective="f1", grid=np.linspace(-1, 2, 30)
    )
    assert h.threshold in set(np.linspace(-1, 2, 30).tolist()) or h.threshold in set(s.tolist())


def test_errors():
    y, s = _binormal(200, 2)
    with pytest.raises(InvalidParameterError, match="'delta'"):
        cp.find_cutpoint_guaranteed(y, s, "precision >= 0.9", delta=1.5)
    with pytest.raises(InvalidParameterError, match="binomial form"):
        cp.find_cutpoint_guaranteed(y, s, "f1 >= 0.5")
    with pytest.raises(InfeasibleConstraintError, match="no threshold can be certified"):
        cp.find_cutpoint_guaranteed(y, s, "precision >= 0.999")


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
        failures += bool(np.any(truth(g.certified) < p))
    assert claims > n_sets // 4  # the test is not vacuous
    print(f"{constraint}: {failures} failures in {claims} claims of {n_sets} data sets")
    # Stated rate delta; allow binomial noise of the simulation (3 sd).
    assert failures / n_sets <= delta + 3 * np.sqrt(delta * (1 - delta) / n_sets)
