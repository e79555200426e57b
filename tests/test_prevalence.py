"""Prevalence shift: re-targeting a threshold, odds re-basing, and estimating the new prevalence.

Simulations use a known prior shift: x | y=1 ~ N(mu, 1), x | y=0 ~ N(0, 1), and scores
that are the exact posterior at a chosen prevalence, p = sigmoid(mu x - mu^2/2 + logit(pi)).
"""

from __future__ import annotations

import dataclasses
import math
import warnings

import numpy as np
import pytest

import cutpoints as cp
from cutpoints.errors import (
    InfeasibleConstraintError,
    InvalidInputError,
    InvalidLabelsError,
    InvalidParameterError,
)
from cutpoints.shift import (
    PrevalenceEstimate,
    PrevalenceWarning,
    estimate_prevalence,
    rebase_probabilities,
    rebase_threshold,
    retarget,
    reweighted_curve,
)


def logit(p: float) -> float:
    return math.log(p / (1 - p))


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def simulate(rng, n, prevalence, *, mu=2.0, calibrated_at=0.5, exact_prevalence=False):
    """Labels and probabilities calibrated at ``calibrated_at``; x for scores of any kind."""
    if exact_prevalence:
        y = np.zeros(n, dtype=bool)
        y[: round(n * prevalence)] = True
        rng.shuffle(y)
    else:
        y = rng.random(n) < prevalence
    x = rng.normal(mu * y, 1.0)
    p = sigmoid(mu * x - mu * mu / 2 + logit(calibrated_at))
    return y, p, x


def posterior(x, prevalence, mu=2.0):
    return sigmoid(mu * x - mu * mu / 2 + logit(prevalence))


# ---------------------------------------------------------------------- re-targeting
def shift_weights(y, pi_new):
    pi = y.mean()
    return np.where(y, pi_new / pi, (1 - pi_new) / (1 - pi))


IDENTITY_CASES = [
    ("f1", ()),
    ("mcc", ()),
    ("cost(fp=1, fn=7)", ()),
    ("recall", ("precision >= 0.3",)),
    ("f1", ("flag_rate <= 10%",)),
    ("gmean", ("npv >= 0.99",)),
]


@pytest.mark.parametrize(("metric", "constraints"), IDENTITY_CASES)
@pytest.mark.parametrize("ties", ["highest", "lowest", "median"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_retarget_equals_reweighting_rows_and_tuning_again(metric, constraints, ties, seed):
    """retarget(curve, pi') == find_cutpoint on rows weighted by pi'/pi and (1-pi')/(1-pi).

    Threshold and the set of optimal thresholds are compared exactly; counts with a
    relative tolerance of 1e-12, since a weighted cumulative sum and a scaled integer
    count differ by float rounding only.
    """
    rng = np.random.default_rng(seed)
    y, p, _ = simulate(rng, 3000, 0.4)
    s = np.round(p, 2)  # many tied scores
    pi_new = [0.05, 0.13, 0.3][seed]
    curve = cp.confusion_curve(y, s)
    moved = retarget(curve, pi_new, metric=metric, constraints=list(constraints), ties=ties)
    again = cp.find_cutpoint(
        y,
        s,
        metric=metric,
        constraints=list(constraints),
        ties=ties,
        sample_weight=shift_weights(y, pi_new),
    )
    assert moved.threshold == again.threshold
    assert moved.optimal_thresholds == again.optimal_thresholds
    got = [moved.tp, moved.fp, moved.tn, moved.fn, moved.n_positive, moved.n_negative]
    want = [again.tp, again.fp, again.tn, again.fn, again.n_positive, again.n_negative]
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-9)
    assert moved.score == pytest.approx(again.score, rel=1e-12, abs=1e-12)
    assert moved.prevalence == pytest.approx(pi_new, rel=1e-12)


def test_retarget_equals_reweighting_exactly_with_dyadic_weights():
    """pi = 1/2 and pi' = 1/4 give weights 1/2 and 3/2: sums are exact, so counts are equal."""
    rng = np.random.default_rng(5)
    y, p, _ = simulate(rng, 4000, 0.5, exact_prevalence=True)
    s = np.round(p, 3)
    curve = cp.confusion_curve(y, s)
    for metric in ("f1", "accuracy", "fbeta(beta=2)"):
        moved = retarget(curve, 0.25, metric=metric)
        again = cp.find_cutpoint(y, s, metric=metric, sample_weight=shift_weights(y, 0.25))
        assert (moved.threshold, moved.optimal_thresholds) == (
            again.threshold,
            again.optimal_thresholds,
        )
        assert (moved.tp, moved.fp, moved.tn, moved.fn) == (again.tp, again.fp, again.tn, again.fn)
        assert np.array_equal(moved.curve.tp, again.curve.tp)
        assert np.array_equal(moved.curve.fp, again.curve.fp)


def test_retarget_volume_scales_counts_and_count_constraints():
    rng = np.random.default_rng(3)
    y, p, _ = simulate(rng, 2000, 0.5)
    curve = cp.confusion_curve(y, p)
    volume = 100_000
    moved = retarget(curve, 0.02, metric="recall", constraints="flagged <= 1500", volume=volume)
    weights = shift_weights(y, 0.02) * volume / len(y)
    again = cp.find_cutpoint(
        y, p, metric="recall", constraints="flagged <= 1500", sample_weight=weights
    )
    assert moved.threshold == again.threshold
    assert moved.flagged == pytest.approx(again.flagged, rel=1e-12)
    assert moved.flagged <= 1500
    assert moved.n_positive + moved.n_negative == pytest.approx(volume, rel=1e-12)
    assert moved.n_positive == pytest.approx(0.02 * volume, rel=1e-12)
    # Without the volume, the same constraint reads "of the 2,000 validation rows".
    small = retarget(curve, 0.02, metric="recall", constraints="flagged <= 1500")
    assert small.n_positive + small.n_negative == pytest.approx(len(y))
    assert small.threshold != moved.threshold


def test_retarget_a_cutpoint_keeps_its_choices_unless_overridden():
    rng = np.random.default_rng(4)
    y, p, _ = simulate(rng, 3000, 0.5)
    cut = cp.find_cutpoint(y, p, metric="fbeta(beta=2)", constraints="recall >= 0.5", ties="lowest")
    moved = retarget(cut, 0.1)
    assert moved.metric.name == "fbeta(beta=2)"
    assert [str(c) for c in moved.constraints] == ["recall >= 0.5"]
    assert moved.ties == "lowest"
    direct = retarget(
        cut.curve, 0.1, metric="fbeta(beta=2)", constraints="recall >= 0.5", ties="lowest"
    )
    assert moved == direct
    other = retarget(cut, 0.1, metric="mcc", constraints=())
    assert other.metric.name == "mcc"
    assert other.constraints == ()
    assert other == retarget(cut.curve, 0.1, metric="mcc", ties="lowest")
    # Retargeting twice is retargeting once: the weights compose.
    twice = retarget(retarget(cut, 0.3), 0.1)
    assert twice.threshold == moved.threshold
    assert twice.optimal_thresholds == moved.optimal_thresholds


def test_retarget_metrics_move_with_prevalence_but_class_rates_do_not():
    rng = np.random.default_rng(6)
    y, p, _ = simulate(rng, 5000, 0.5)
    curve = cp.confusion_curve(y, p)
    t = 0.7
    before = curve.metrics_at(t, ["precision", "recall", "fpr", "npv"])
    after = reweighted_curve(curve, 0.05).metrics_at(t, ["precision", "recall", "fpr", "npv"])
    assert after["recall"] == pytest.approx(before["recall"], rel=1e-12)
    assert after["fpr"] == pytest.approx(before["fpr"], rel=1e-12)
    # Precision at pi' from Bayes' rule with the same tpr and fpr.
    tpr, fpr = before["recall"], before["fpr"]
    expected = 0.05 * tpr / (0.05 * tpr + 0.95 * fpr)
    assert after["precision"] == pytest.approx(expected, rel=1e-12)
    assert after["precision"] < before["precision"] - 0.3
    assert after["npv"] > before["npv"]


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_retarget_finds_the_deployment_optimum_in_a_simulation(seed):
    """Tuned on balanced data, re-targeted to 1%: the deployment F1 is near its optimum,
    where the un-moved threshold loses a lot."""
    rng = np.random.default_rng(100 + seed)
    y_val, p_val, _ = simulate(rng, 40_000, 0.5)
    y_dep, p_dep, _ = simulate(rng, 1_000_000, 0.01)
    cut = cp.find_cutpoint(y_val, p_val, metric="f1")
    moved = retarget(cut, 0.01)
    deploy = cp.confusion_curve(y_dep, p_dep)
    best = cp.select_cutpoint(deploy, metric="f1")

    def f1_at(t):
        return deploy.metrics_at(t, ["f1"])["f1"]

    assert f1_at(moved.threshold) > best.score - 0.01
    assert f1_at(cut.threshold) < best.score - 0.05  # not moving it costs much more
    assert abs(moved.threshold - best.threshold) < 0.05
    # The expected precision at pi' is what deployment shows at that threshold.
    shown = deploy.metrics_at(moved.threshold, ["precision"])["precision"]
    assert moved.metrics["precision"] == pytest.approx(shown, rel=0.15)


def test_rebasing_calibrated_probabilities_gives_the_posterior_at_the_new_prevalence():
    rng = np.random.default_rng(7)
    _, p, x = simulate(rng, 1000, 0.5, calibrated_at=0.3)
    for new in (0.01, 0.3, 0.8):
        rebased = rebase_probabilities(p, new, reference_prevalence=0.3)
        np.testing.assert_allclose(rebased, posterior(x, new), rtol=1e-9, atol=1e-15)
    assert rebase_probabilities([0.0, 1.0], 0.2, reference_prevalence=0.6).tolist() == [0.0, 1.0]
    # rebase_threshold is the inverse map: p >= rebase_threshold(t) iff rebased p >= t.
    t = rebase_threshold(0.5, 0.01, reference_prevalence=0.3)
    rebased = rebase_probabilities(p, 0.01, reference_prevalence=0.3)
    flagged_by_t = p >= t
    assert np.array_equal(
        flagged_by_t[np.abs(rebased - 0.5) > 1e-12], (rebased >= 0.5)[np.abs(rebased - 0.5) > 1e-12]
    )
    assert rebase_probabilities(t, 0.01, reference_prevalence=0.3) == pytest.approx(0.5)


def test_retarget_moves_closed_form_cost_threshold_by_odds_rebasing():
    """For a cost matrix, the Bayes threshold at pi' on the model's scores is Elkan's moved
    threshold, and the empirical re-targeted optimum lands near it."""
    rng = np.random.default_rng(8)
    y, p, _ = simulate(rng, 200_000, 0.5, exact_prevalence=True)
    cut = cp.find_cutpoint(y, p, metric="cost(fp=1, fn=10)")
    (bayes,) = cut.references
    assert bayes.threshold == pytest.approx(1 / 11)
    moved = retarget(cut, 0.02)
    (ref,) = moved.references
    elkan = rebase_threshold(1 / 11, 0.02, reference_prevalence=0.5)
    assert ref.threshold == pytest.approx(elkan, rel=1e-12)
    assert ref.threshold > 0.5  # far from 1/11: at 2% a false alarm is far more likely
    assert "Elkan" in ref.explanation
    assert abs(moved.threshold - ref.threshold) < 0.03


@pytest.mark.parametrize("bad", [0, 1, 0.0, 1.0, -0.1, 1.5, math.nan, math.inf, "0.1", True, None])
def test_retarget_refuses_prevalence_outside_open_unit_interval(bad):
    curve = cp.confusion_curve([0, 1, 0, 1], [0.1, 0.9, 0.4, 0.6])
    with pytest.raises(
        InvalidParameterError, match=r"'prevalence' must be a share of positives in \(0, 1\) \(got"
    ):
        retarget(curve, bad)


def test_retarget_bad_sources_say_what_to_pass():
    cut = cp.find_cutpoint([0, 1, 0, 1], [0.1, 0.9, 0.4, 0.6])
    loaded = cp.Cutpoint.from_json(cut.to_json())
    with pytest.raises(InvalidParameterError, match=r"without its curve.*confusion_curve"):
        retarget(loaded, 0.1)
    with pytest.raises(InvalidParameterError, match=r"'curve' must be a cutpoints.ConfusionCurve"):
        retarget([0.1, 0.2], 0.1)
    one_class = cp.confusion_curve([1, 1, 1], [0.1, 0.2, 0.3])
    with pytest.raises(InvalidInputError, match="both classes"):
        retarget(one_class, 0.1)
    with pytest.raises(InvalidParameterError, match="'volume'"):
        retarget(cut, 0.1, volume=-5)
    with pytest.raises(InvalidParameterError, match="'ties'"):
        retarget(cut, 0.1, ties="middle")
    # A precision floor that cannot hold at a rare prevalence is infeasible, plainly.
    # (The top score is a negative, so no threshold has precision 1 at any prevalence.)
    y = [0, 1, 1, 0, 1, 0, 0]
    s = [0.99, 0.9, 0.8, 0.7, 0.6, 0.3, 0.2]
    curve = cp.confusion_curve(y, s)
    assert retarget(curve, 0.5, metric="recall", constraints="precision >= 0.6").threshold == 0.6
    with pytest.raises(InfeasibleConstraintError, match="precision >= 0.6"):
        retarget(curve, 0.05, metric="recall", constraints="precision >= 0.6")


def test_rebase_refuses_non_probabilities():
    with pytest.raises(
        InvalidInputError, match=r"odds re-basing needs probabilities in \[0, 1\] \(got 1.5"
    ):
        rebase_probabilities([0.2, 1.5], 0.1, reference_prevalence=0.5)
    with pytest.raises(InvalidParameterError, match="'reference_prevalence'"):
        rebase_probabilities([0.2], 0.1, reference_prevalence=1.0)
    with pytest.raises(InvalidParameterError, match="'threshold' must be a probability"):
        rebase_threshold(2.0, 0.1, reference_prevalence=0.5)


# ---------------------------------------------------------------------- estimating
def saerens_em(p: np.ndarray, pi0: float, tol: float = 1e-14, max_iter: int = 100_000) -> float:
    """The textbook EM of Saerens et al. (2002), two classes, written out plainly."""
    prior = np.array([1 - pi0, pi0])
    posteriors = np.column_stack([1 - p, p])
    current = prior.copy()
    for _ in range(max_iter):
        scaled = posteriors * (current / prior)
        scaled /= scaled.sum(axis=1, keepdims=True)
        new = scaled.mean(axis=0)
        if abs(new[1] - current[1]) < tol:
            return float(new[1])
        current = new
    raise AssertionError("the oracle EM did not converge")


@pytest.mark.parametrize(
    ("pi_new", "pi0", "mu"), [(0.01, 0.5, 2.0), (0.3, 0.5, 1.0), (0.7, 0.2, 1.5)]
)
@pytest.mark.parametrize("solver", ["newton", "em"])
def test_em_finds_the_saerens_fixed_point(pi_new, pi0, mu, solver):
    rng = np.random.default_rng(11)
    _, p, _ = simulate(rng, 20_000, pi_new, mu=mu, calibrated_at=pi0)
    est = estimate_prevalence(
        p, "em", reference_prevalence=pi0, n_resamples=0, tol=1e-12, solver=solver
    )
    assert est.converged
    assert abs(est.step) < 1e-12
    assert est.prevalence == pytest.approx(saerens_em(p, pi0), abs=1e-9)
    assert est.method == "em"
    assert est.solver == solver
    if solver == "newton":
        assert est.iterations <= 12  # quadratic convergence; plain EM takes many more


def test_newton_needs_far_fewer_iterations_than_plain_em():
    rng = np.random.default_rng(12)
    _, p, _ = simulate(rng, 50_000, 0.01, mu=1.5)
    fast = estimate_prevalence(p, reference_prevalence=0.5, n_resamples=0)
    slow = estimate_prevalence(p, reference_prevalence=0.5, n_resamples=0, solver="em")
    assert fast.prevalence == pytest.approx(slow.prevalence, abs=1e-6)
    assert fast.iterations * 5 < slow.iterations


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("pi_new", [0.01, 0.1, 0.4])
def test_em_and_acc_recover_known_shifted_priors(seed, pi_new):
    """Truth known: the simulated deployment prevalence. Tolerance: 20% of it plus 0.005
    for EM with a known prior (about 4 standard errors at n = 200,000), twice that for
    ACC, whose variance is larger."""
    rng = np.random.default_rng(1000 + seed)
    y_val, _, x_val = simulate(rng, 50_000, 0.5)
    _, p_new, x_new = simulate(rng, 200_000, pi_new)
    em = estimate_prevalence(p_new, "em", reference_prevalence=0.5, n_resamples=0)
    assert abs(em.prevalence - pi_new) < 0.2 * pi_new * 0.5 + 0.0025
    # ACC needs no probabilities: the raw x, negative values and all.
    acc = estimate_prevalence(x_new, "acc", reference=(y_val, x_val), n_resamples=0)
    assert abs(acc.prevalence - pi_new) < 0.2 * pi_new + 0.005
    assert acc.converged and acc.iterations == 0


def test_acc_is_the_adjusted_count_at_the_threshold():
    rng = np.random.default_rng(13)
    y_val, _, x_val = simulate(rng, 4000, 0.5)
    _, _, x_new = simulate(rng, 10_000, 0.2)
    cut = cp.find_cutpoint(y_val, x_val, metric="youden")
    est = estimate_prevalence(x_new, "acc", reference=cut, n_resamples=0)
    tpr, fpr = cut.tp / cut.n_positive, cut.fp / cut.n_negative
    share = float(np.mean(x_new >= cut.threshold))
    assert est.threshold == cut.threshold
    assert (est.tpr, est.fpr, est.flagged_share) == (tpr, fpr, share)
    assert est.prevalence == pytest.approx((share - fpr) / (tpr - fpr), rel=1e-12)
    # Data as reference: the default threshold maximizes tpr - fpr (Youden's J).
    from_data = estimate_prevalence(x_new, "acc", reference=(y_val, x_val), n_resamples=0)
    assert from_data.threshold == cut.threshold
    # A given threshold is used as given.
    at = estimate_prevalence(x_new, "acc", reference=(y_val, x_val), threshold=1.5, n_resamples=0)
    curve = cp.confusion_curve(y_val, x_val)
    counts = curve.at(1.5)
    assert at.tpr == counts["tp"] / curve.n_positive
    assert at.flagged_share == float(np.mean(x_new >= 1.5))


def test_estimates_from_a_saved_cutpoint():
    """A cutpoint loaded from JSON has no curve, but its counts serve ACC and its
    prevalence serves EM."""
    rng = np.random.default_rng(14)
    y_val, p_val, _ = simulate(rng, 5000, 0.5)
    _, p_new, _ = simulate(rng, 20_000, 0.05)
    cut = cp.find_cutpoint(y_val, p_val, metric="youden")
    loaded = cp.Cutpoint.from_json(cut.to_json())
    for method in ("em", "acc"):
        a = estimate_prevalence(p_new, method, reference=cut, random_state=1, n_resamples=50)
        b = estimate_prevalence(p_new, method, reference=loaded, random_state=1, n_resamples=50)
        assert a == b
    em = estimate_prevalence(p_new, "em", reference=loaded, n_resamples=0)
    assert em.reference_prevalence == cut.prevalence


def coverage_run(seed, method):
    rng = np.random.default_rng(5000 + seed)
    y_val, p_val, _ = simulate(rng, 3000, 0.5)
    _, p_new, _ = simulate(rng, 3000, 0.1)
    return estimate_prevalence(
        p_new, method, reference=(y_val, p_val), n_resamples=400, random_state=seed
    )


@pytest.mark.slow
@pytest.mark.parametrize("method", ["em", "acc"])
def test_bootstrap_intervals_cover_the_true_prevalence(method):
    """40 simulated shifts (reference and new data both drawn afresh): the 95% intervals
    cover the true 0.1 in at least 34 (a fair 95% interval misses that often with
    probability 0.2%), and are not trivially wide."""
    runs = [coverage_run(seed, method) for seed in range(40)]
    covered = sum(r.interval[0] <= 0.1 <= r.interval[1] for r in runs)
    widths = [r.interval[1] - r.interval[0] for r in runs]
    assert covered >= 34, covered
    assert max(widths) < 0.12
    assert all(r.interval[0] <= r.prevalence <= r.interval[1] for r in runs)


def row_bootstrap(p_new, y_val, method, n_resamples, seed, threshold=None):
    """The bootstrap written out: resample the new rows and each class of the reference."""
    rng = np.random.default_rng(seed)
    pos = np.flatnonzero(y_val)
    neg = np.flatnonzero(~y_val)
    out = []
    for _ in range(n_resamples):
        new = p_new[rng.integers(0, len(p_new), len(p_new))]
        if method == "em":
            labels = y_val[rng.integers(0, len(y_val), len(y_val))]
            out.append(saerens_em(new, labels.mean(), tol=1e-10))
        else:
            tpr = np.mean(p_val_global[pos[rng.integers(0, len(pos), len(pos))]] >= threshold)
            fpr = np.mean(p_val_global[neg[rng.integers(0, len(neg), len(neg))]] >= threshold)
            out.append(np.clip((np.mean(new >= threshold) - fpr) / (tpr - fpr), 0, 1))
    return np.percentile(out, [2.5, 97.5])


p_val_global: np.ndarray = np.empty(0)


@pytest.mark.slow
@pytest.mark.parametrize("method", ["em", "acc"])
def test_fast_bootstrap_matches_a_row_bootstrap(method):
    """The binomial (ACC) and binned multinomial (EM) resamples give the interval a plain
    row-resampling bootstrap gives: endpoints within 12% of the interval's width."""
    global p_val_global
    rng = np.random.default_rng(77)
    y_val, p_val, _ = simulate(rng, 2000, 0.5)
    _, p_new, _ = simulate(rng, 4000, 0.15)
    p_val_global = p_val
    est = estimate_prevalence(
        p_new, method, reference=(y_val, p_val), n_resamples=2000, random_state=0
    )
    slow = row_bootstrap(p_new, y_val, method, 600, seed=1, threshold=est.threshold)
    width = slow[1] - slow[0]
    assert abs(est.interval[0] - slow[0]) < 0.12 * width
    assert abs(est.interval[1] - slow[1]) < 0.12 * width


def test_same_seed_same_interval_and_no_resamples_no_interval():
    rng = np.random.default_rng(15)
    y_val, p_val, _ = simulate(rng, 2000, 0.5)
    _, p_new, _ = simulate(rng, 5000, 0.2)
    for method in ("em", "acc"):
        a = estimate_prevalence(
            p_new, method, reference=(y_val, p_val), n_resamples=100, random_state=3
        )
        b = estimate_prevalence(
            p_new, method, reference=(y_val, p_val), n_resamples=100, random_state=3
        )
        assert a.interval == b.interval
        none = estimate_prevalence(p_new, method, reference=(y_val, p_val), n_resamples=0)
        assert all(math.isnan(v) for v in none.interval)
        assert none.to_dict()["interval"] == [None, None]


def test_em_that_does_not_converge_says_so_with_its_iterations():
    rng = np.random.default_rng(16)
    _, p, _ = simulate(rng, 10_000, 0.02, mu=1.0)
    with pytest.warns(
        PrevalenceWarning, match=r"EM did not converge: after 3 iterations \(max_iter=3\)"
    ):
        est = estimate_prevalence(
            p, reference_prevalence=0.5, solver="em", max_iter=3, n_resamples=0
        )
    assert not est.converged
    assert est.iterations == 3
    assert abs(est.step) >= 1e-8
    assert "NOT converged after 3 iterations" in str(est)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ok = estimate_prevalence(p, reference_prevalence=0.5, n_resamples=0)
    assert ok.converged


def test_acc_outside_unit_interval_is_clipped_with_a_warning():
    rng = np.random.default_rng(17)
    y_val, _, x_val = simulate(rng, 3000, 0.5)
    x_new = rng.normal(0.0, 1.0, 200) - 1.0  # fewer flagged than the reference's fpr allows
    with pytest.warns(PrevalenceWarning, match=r"outside \[0, 1\], and was clipped to 0"):
        est = estimate_prevalence(x_new, "acc", reference=(y_val, x_val), n_resamples=0)
    assert est.prevalence == 0.0
    assert est.raw < 0


def test_bad_input_is_named():
    y_val, p_val = [0, 1, 0, 1, 1, 0], [0.1, 0.9, 0.3, 0.8, 0.6, 0.2]
    with pytest.raises(
        InvalidParameterError,
        match=r"method='em' needs calibrated probabilities in \[0, 1\] \(got 1.7 at index 1 of 'y_score_unlabeled'\); use method='acc'",
    ):
        estimate_prevalence([0.2, 1.7], "em", reference=(y_val, p_val))
    with pytest.raises(
        InvalidParameterError,
        match=r"method='em' needs calibrated probabilities.*\(got -0.5 at index 0",
    ):
        estimate_prevalence([-0.5, 0.5], "em", reference=(y_val, p_val))
    with pytest.raises(
        InvalidLabelsError,
        match=r"'reference' holds only one class \(got n_positive=2, n_negative=0\)",
    ):
        estimate_prevalence([0.2, 0.3], "em", reference=([1, 1], [0.3, 0.4]))
    with pytest.raises(InvalidParameterError, match="'method'"):
        estimate_prevalence([0.2], "mle", reference=(y_val, p_val))
    with pytest.raises(InvalidParameterError, match="needs 'reference'"):
        estimate_prevalence([0.2], "acc")
    with pytest.raises(InvalidParameterError, match="'reference' must be"):
        estimate_prevalence([0.2], "acc", reference=[y_val, p_val])
    with pytest.raises(
        InvalidParameterError,
        match=r"'reference_prevalence' must be a share of positives in \(0, 1\) \(got 1.0\)",
    ):
        estimate_prevalence([0.2], "em", reference_prevalence=1.0)
    with pytest.raises(InvalidParameterError, match="needs method='em'"):
        estimate_prevalence([0.2], "acc", reference=(y_val, p_val), reference_prevalence=0.5)
    with pytest.raises(InvalidParameterError, match="'n_resamples'"):
        estimate_prevalence([0.2], "em", reference=(y_val, p_val), n_resamples=-1)
    with pytest.raises(InvalidParameterError, match="'confidence'"):
        estimate_prevalence([0.2], "em", reference=(y_val, p_val), confidence=95)
    with pytest.raises(InvalidInputError, match="'y_score_unlabeled' must be finite"):
        estimate_prevalence([0.2, math.nan], "acc", reference=(y_val, p_val))
    with pytest.raises(
        InvalidParameterError, match=r"tpr exceeds its fpr \(got tpr 0 <= fpr 0.*threshold 0.95"
    ):
        estimate_prevalence([0.2], "acc", reference=(y_val, p_val), threshold=0.95)
    lower = cp.find_cutpoint(y_val, p_val, rule="<=")
    with pytest.raises(InvalidParameterError, match="rule '>='"):
        estimate_prevalence([0.2], "em", reference=lower)


def test_estimate_summary_and_retarget_from_an_estimate():
    rng = np.random.default_rng(18)
    y_val, p_val, _ = simulate(rng, 4000, 0.5)
    _, p_new, _ = simulate(rng, 20_000, 0.05)
    cut = cp.find_cutpoint(y_val, p_val, metric="f1")
    est = estimate_prevalence(p_new, reference=cut, n_resamples=200, random_state=0)
    assert isinstance(est, PrevalenceEstimate)
    assert float(est) == est.prevalence
    assert est.expected_positives() == pytest.approx(est.prevalence * 20_000)
    text = str(est)
    assert "95% interval" in text and "EM, converged in" in text and "20,000 scores" in text
    assert retarget(cut, est) == retarget(cut, est.prevalence)
    d = est.to_dict()
    assert d["method"] == "em" and d["converged"] is True and len(d["interval"]) == 2
    assert dataclasses.replace(est, prevalence=0.0).prevalence == 0.0
    with pytest.raises(InvalidParameterError, match=r"prevalence \(estimated\)"):
        retarget(cut, dataclasses.replace(est, prevalence=0.0))


# ---------------------------------------------------------------------- streaming sketch
def test_sketch_counts_and_em_equal_the_arrays():
    """Batches merged in a ScoreSketch give the exact flagged counts, ACC exactly, and
    EM within 1e-9 of EM on the rows (fine logit bins)."""
    from cutpoints.shift import ScoreSketch

    rng = np.random.default_rng(21)
    y_val, p_val, _ = simulate(rng, 5000, 0.5)
    _, p_new, _ = simulate(rng, 100_000, 0.03)
    p_new[:3] = [0.0, 1.0, 0.5]  # the ends of [0, 1] land in the end bins
    curve = cp.confusion_curve(y_val, p_val)
    halves = [ScoreSketch(curve.thresholds), ScoreSketch(curve.thresholds)]
    for k, start in enumerate(range(0, len(p_new), 7919)):
        halves[k % 2].update(p_new[start : start + 7919])
    sketch = halves[0].merge(halves[1])
    assert sketch.n_samples == len(p_new)
    assert (sketch.low, sketch.high) == (0.0, 1.0)
    for t in curve.thresholds[::250]:
        assert sketch.flagged(t) == int(np.sum(p_new >= t))
    exact = estimate_prevalence(p_new, reference=curve, n_resamples=0, tol=1e-12)
    streamed = estimate_prevalence(sketch, reference=curve, n_resamples=0, tol=1e-12)
    assert streamed.prevalence == pytest.approx(exact.prevalence, abs=1e-9)
    assert streamed.n_samples == exact.n_samples
    acc_exact = estimate_prevalence(p_new, "acc", reference=curve, random_state=2)
    acc_streamed = estimate_prevalence(sketch, "acc", reference=curve, random_state=2)
    assert acc_streamed == acc_exact
    with_interval = estimate_prevalence(sketch, reference=curve, random_state=0)
    low, high = with_interval.interval
    assert low < streamed.prevalence < high


def test_sketch_rule_and_errors():
    from cutpoints.shift import ScoreSketch

    lower = ScoreSketch([0.2, 0.5], rule="<=")
    lower.update([0.1, 0.2, 0.3, 0.6])
    assert (lower.flagged(0.2), lower.flagged(0.5)) == (2, 3)
    with pytest.raises(InvalidParameterError, match="only at the thresholds it was made with"):
        lower.flagged(0.3)
    with pytest.raises(InvalidParameterError, match="same thresholds and rule"):
        lower.merge(ScoreSketch([0.2, 0.5]))
    logits = ScoreSketch([0.0])
    logits.update([0.5, 0.7])
    logits.update([0.2, -1.5])
    assert logits.not_probability == (-1.5, 3)
    first, second = ScoreSketch([0.0]), ScoreSketch([0.0])
    first.update([0.5, 0.7])
    second.update([0.2, 1.5])
    assert first.merge(second).not_probability == (1.5, 3)  # its position in the whole
    y_val, p_val = [0, 1, 0, 1], [0.1, 0.9, 0.3, 0.8]
    with pytest.raises(
        InvalidParameterError,
        match=r"needs calibrated probabilities in \[0, 1\] \(got -1.5 at index 3 of the sketch\)",
    ):
        estimate_prevalence(logits, "em", reference=(y_val, p_val))
    with pytest.raises(InvalidParameterError, match="empty ScoreSketch"):
        estimate_prevalence(ScoreSketch(), "em", reference=(y_val, p_val))
    with pytest.raises(InvalidInputError, match="'scores' must be finite"):
        ScoreSketch().update([0.1, math.nan])
