"""The reject band: exact over every pair of thresholds, against a brute-force loop.

The oracle decides every row directly for every pair of candidate thresholds (a Python
loop, obviously right), so each fast path (separable costs, two pointers, Dinkelbach,
the pruned pair scan) is checked against the definition, with ties and weights.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import cutpoints as cp
from cutpoints._reject import (
    Budget,
    RejectBand,
    _window_max,
    chow_band,
    evaluate_reject_band,
    find_reject_band,
    select_reject_band,
)
from cutpoints.errors import (
    InfeasibleConstraintError,
    InvalidInputError,
    InvalidLabelsError,
    InvalidParameterError,
)

from .oracle import candidate_thresholds, one_class
from .strategies import binary_problems


# ----------------------------------------------------------------------------- oracle
def brute_force_bands(y, score, weight, rule=">="):
    """Every band (lo, hi) of candidate thresholds with its decided counts and abstained
    weight, by deciding each row directly."""
    y = np.asarray(y, dtype=bool)
    score = np.asarray(score, dtype=float)
    w = np.ones(len(score)) if weight is None else np.asarray(weight, dtype=float)
    cands = candidate_thresholds(score, rule)
    bands = []
    for i, pos_t in enumerate(cands):
        for neg_t in cands[i:]:
            tp = fp = tn = fn = ap = an = 0.0
            for s, pos, wi in zip(score, y, w):
                if rule == ">=":
                    outcome = "p" if s >= pos_t else "n" if s < neg_t else "a"
                else:
                    outcome = "p" if s <= pos_t else "n" if s > neg_t else "a"
                if outcome == "p":
                    tp, fp = (tp + wi, fp) if pos else (tp, fp + wi)
                elif outcome == "n":
                    fn, tn = (fn + wi, tn) if pos else (fn, tn + wi)
                elif pos:
                    ap += wi
                else:
                    an += wi
            lo, hi = (neg_t, pos_t) if rule == ">=" else (pos_t, neg_t)
            # Order of the positive threshold from "decides fewest positive" on.
            order = -pos_t if rule == ">=" else pos_t
            bands.append({"lo": lo, "hi": hi, "c": (tp, fp, tn, fn), "ab": ap + an, "pos": order})
    return bands


def oracle(y, score, weight, metric, *, budget=None, abstain_cost=None, constraints=(),
           rule=">="):  # fmt: skip
    """(best value, optimal bands) by brute force; optimal bands sorted by the tie order."""
    bound = cp.get_metric(metric)
    n = float(np.sum(np.ones(len(score)) if weight is None else weight))
    cons = [cp.Constraint.parse(c) for c in constraints]
    rows = []
    for b in brute_force_bands(y, score, weight, rule):
        counts = [np.array([v]) for v in b["c"]]
        if abstain_cost is None:
            value = float(bound(*counts)[0])
        else:
            raw = bound.metric.bind(**{**bound.params, "normalize": False})
            sign = 1.0 if bound.metric.name == "cost" else -1.0
            value = float(raw(*counts)[0]) + sign * abstain_cost * b["ab"]
            if bound.params.get("normalize"):
                value /= n
        if math.isnan(value):
            continue
        if budget is not None and not Budget(*budget).allows(b["ab"], n):
            continue
        if not all(c.mask(c.metric(*counts))[0] for c in cons):
            continue
        rows.append((value, b))
    if not rows:
        return None, []
    maximize = bound.greater_is_better
    best = max(v for v, _ in rows) if maximize else min(v for v, _ in rows)
    optimal = [b for v, b in rows if v == best]
    return best, optimal


def expected_choice(optimal, ties):
    """The tie rule: fewest abstained, then by ties on the positive threshold ('highest':
    the one deciding fewest rows positive)."""
    fewest = min(b["ab"] for b in optimal)
    kept = [b for b in optimal if b["ab"] == fewest]
    positives = sorted({b["pos"] for b in kept})
    pick = {"highest": positives[0], "lowest": positives[-1]}.get(
        ties, positives[(len(positives) - 1) // 2]
    )
    return [b for b in kept if b["pos"] == pick]


# ----------------------------------------------------------------------------- brute force
CASES = [
    # (metric, budget, abstain_cost, constraints, algorithm)
    ("f1", ("coverage", 0.7), None, (), "two-pointer"),
    ("fbeta(beta=2)", ("abstain_rate", 0.25), None, (), "two-pointer"),
    ("precision", ("max_abstained", 3), None, (), "two-pointer"),
    ("recall", ("coverage", 0.6), None, ("precision >= 0.5",), "two-pointer"),
    ("npv", ("coverage", 0.8), None, (), "two-pointer"),
    ("specificity", ("max_abstained", 2), None, (), "two-pointer"),
    ("accuracy", ("coverage", 0.7), None, (), "dinkelbach"),
    ("error_rate", ("abstain_rate", 0.3), None, (), "dinkelbach"),
    ("cost(fp=1, fn=3, normalize=true)", ("coverage", 0.75), None, (), "dinkelbach"),
    ("accuracy", ("coverage", 0.5), None, ("npv >= 0.6",), "dinkelbach"),
    ("balanced_accuracy", ("coverage", 0.7), None, (), "pairs"),
    ("youden", ("max_abstained", 3), None, (), "pairs"),
    ("mcc", ("coverage", 0.8), None, (), "pairs"),
    ("f1", ("coverage", 0.6), None, ("accuracy >= 0.6",), "pairs"),
    ("f1", ("coverage", 0.7), None, ("npv >= 0.5",), "two-pointer"),
    ("npv", ("max_abstained", 3), None, ("flagged >= 2",), "two-pointer"),
    ("cost(fp=1, fn=2)", None, 0.5, (), "separable"),
    ("cost(fp=1, fn=1)", None, 0.25, (), "separable"),
    ("cost(fp=2, fn=1, tp=-1)", ("coverage", 0.8), 0.5, (), "separable"),
    ("cost(fp=1, fn=4, normalize=true)", None, 0.75, (), "separable"),
    ("utility(tp=2, fp=-1, fn=-3)", None, 0.5, (), "separable"),
    ("cost(fp=1, fn=1)", ("coverage", 0.5), None, (), "separable"),
    ("tp", ("max_abstained", 2), None, ("precision >= 0.5",), "separable"),
]


def _kwargs(budget, abstain_cost, constraints):
    kwargs = {"constraints": list(constraints)}
    if budget is not None:
        kwargs[budget[0]] = budget[1]
    if abstain_cost is not None:
        kwargs["abstain_cost"] = abstain_cost
    return kwargs


@pytest.mark.parametrize(("metric", "budget", "abstain_cost", "constraints", "algorithm"), CASES)
@settings(max_examples=60)
@given(
    problem=binary_problems(max_size=14),
    ties=st.sampled_from(["highest", "lowest", "median"]),
    rule=st.sampled_from([">=", ">=", "<="]),
)
def test_band_equals_brute_force_over_every_pair(
    metric, budget, abstain_cost, constraints, algorithm, problem, ties, rule
):
    y, score, weight = problem
    kwargs = _kwargs(budget, abstain_cost, constraints)
    run = lambda: find_reject_band(  # noqa: E731
        y, score, metric=metric, sample_weight=weight, ties=ties, rule=rule, **kwargs
    )
    if one_class(y, weight):
        with pytest.raises(InvalidLabelsError, match="holds only one class"):
            run()
        return
    best, optimal = oracle(
        y, score, weight, metric, budget=budget, abstain_cost=abstain_cost,
        constraints=constraints, rule=rule,
    )  # fmt: skip
    if best is None:
        with pytest.raises(cp.errors.CutpointsError):
            run()
        return
    band = run()
    assert band.algorithm == algorithm
    assert band.score == best
    chosen = expected_choice(optimal, ties)
    assert (band.lo, band.hi) in [(b["lo"], b["hi"]) for b in chosen]
    match = next(b for b in chosen if (b["lo"], b["hi"]) == (band.lo, band.hi))
    assert (band.tp, band.fp, band.tn, band.fn) == match["c"]
    assert band.n_abstained == match["ab"]


@settings(max_examples=60)
@given(problem=binary_problems(max_size=14, weighted=False))
def test_applying_the_band_reproduces_its_counts(problem):
    y, score, _ = problem
    if one_class(y, None):
        return
    band = find_reject_band(y, score, metric="accuracy", coverage=0.6)
    codes = band.decide(score)
    y = np.asarray(y, dtype=bool)
    assert np.sum((codes == 1) & y) == band.tp
    assert np.sum((codes == 1) & ~y) == band.fp
    assert np.sum((codes == 0) & ~y) == band.tn
    assert np.sum((codes == 0) & y) == band.fn
    assert np.sum((codes == -1) & y) == band.abstained_positive
    assert np.sum((codes == -1) & ~y) == band.abstained_negative
    assert band.lo <= band.hi


# ------------------------------------------------------------------- bigger: pruned scan
def _vector_oracle(curve, metric, budget, maximize=True):
    """Every pair of rows of a curve, vectorized: the O(k²) definition on counts."""
    tp = curve.tp.astype(float)
    fp = curve.fp.astype(float)
    k = len(tp)
    h, ell = np.triu_indices(k)
    a = (tp[ell] + fp[ell]) - (tp[h] + fp[h])
    n = curve.n_positive + curve.n_negative
    ok = Budget(*budget).allows(a, n)
    values = cp.get_metric(metric)(
        tp[h], fp[h], curve.n_negative - fp[ell], curve.n_positive - tp[ell]
    )
    values = np.where(ok, values, np.nan)
    return np.nanmax(values) if maximize else np.nanmin(values)


@pytest.mark.slow
@pytest.mark.parametrize("metric", ["balanced_accuracy", "youden", "gmean", "accuracy", "f1"])
@pytest.mark.parametrize("budget", [("coverage", 0.8), ("max_abstained", 40)])
def test_long_curves_match_every_pair(metric, budget):
    rng = np.random.default_rng(7)
    n = 2500
    y = rng.random(n) < 0.35
    s = np.round(rng.normal(size=n) + 1.2 * y, 3)  # ties, about 1,900 distinct scores
    curve = cp.confusion_curve(y, s)
    assert len(curve) > 4 * 128  # long enough for the pair scan to prune blocks
    band = select_reject_band(curve, metric=metric, **{budget[0]: budget[1]})
    assert band.score == _vector_oracle(curve, metric, budget)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize(
    ("metric", "budget"),
    [
        ("accuracy", ("coverage", 0.6)),
        ("error_rate", ("max_abstained", 900)),
        ("cost(fp=1, fn=4, normalize=true)", ("coverage", 0.7)),
    ],
)
def test_dinkelbach_over_several_steps_matches_every_pair(seed, metric, budget):
    # Data where the best band without abstention is far from the optimum, so the
    # parametric search needs more than one step.
    rng = np.random.default_rng(seed)
    y = rng.random(3000) < 0.3
    s = np.round(rng.normal(size=y.size) + y + 0.8 * (rng.random(y.size) < 0.1), 2)
    curve = cp.confusion_curve(y, s)
    band = select_reject_band(curve, metric=metric, **{budget[0]: budget[1]})
    assert band.algorithm == "dinkelbach"
    expected = _vector_oracle(
        curve, metric, budget, maximize=cp.get_metric(metric).greater_is_better
    )
    assert band.score == expected


@pytest.mark.parametrize(
    ("metric", "kwargs"),
    [
        ("accuracy", {"coverage": 0.9}),
        ("cost(fp=1, fn=3)", {"abstain_cost": 0.4}),
        ("cost(fp=1, fn=3)", {"abstain_cost": 0.4, "coverage": 0.8}),
        ("error_rate", {"max_abstained": 2000}),
    ],
)
def test_separable_pruning_on_long_curves_changes_nothing(monkeypatch, metric, kwargs):
    import cutpoints._reject as reject

    rng = np.random.default_rng(21)
    y = rng.random(40_000) < 0.25
    s = np.round(rng.normal(size=y.size) + 1.2 * y, 4)  # about 25,000 distinct scores
    w = rng.integers(1, 3, size=y.size)
    pruned = find_reject_band(y, s, metric=metric, sample_weight=w, **kwargs)
    monkeypatch.setattr(reject, "_PRUNE_BLOCK", 10**9)  # never prune
    full = find_reject_band(y, s, metric=metric, sample_weight=w, **kwargs)
    assert (pruned.lo, pruned.hi, pruned.score) == (full.lo, full.hi, full.score)
    assert pruned.counts == full.counts


@pytest.mark.parametrize("metric", ["balanced_accuracy", "youden", "gmean", "accuracy"])
def test_skipped_blocks_hold_nothing_better_than_what_is_kept(metric):
    from cutpoints._reject import _block_bounds, _Problem, _signs, _surviving_blocks

    rng = np.random.default_rng(5)
    y = rng.random(2500) < 0.4
    curve = cp.confusion_curve(y, np.round(rng.normal(size=y.size) + 1.2 * y, 3))
    tp, fp = curve.tp.astype(float), curve.fp.astype(float)
    problem = _Problem(
        tp, fp, float(curve.n_positive), float(curve.n_negative), cp.get_metric(metric),
        True, 0.0, 1.0, Budget("coverage", 0.7), np.ones(len(tp), bool),
        np.ones(len(tp), bool), (), False,
    )  # fmt: skip
    keep, size = _surviving_blocks(problem)
    h, ell = np.triu_indices(len(tp))
    inside = ell <= problem.last[h]
    h, ell = h[inside], ell[inside]
    values = problem.values(h, ell)
    kept = keep[h // size, ell // size]
    assert kept.sum() < 0.5 * kept.size  # it does skip
    assert np.nanmax(values[~kept]) < np.nanmax(values[kept])
    # Soundness, block by block: no band beats its block's bound.
    bound = _block_bounds(problem, _signs(problem.objective), size)
    at = bound[h // size, ell // size]
    defined = ~np.isnan(values) & ~np.isnan(at)
    assert np.all(values[defined] <= at[defined] + 1e-12)


@pytest.mark.parametrize("seed", range(4))
def test_window_allocation_pruning_keeps_every_near_optimal_band(monkeypatch, seed):
    import cutpoints._reject as reject

    rng = np.random.default_rng(seed)
    k = 20_000
    tp = np.cumsum(rng.integers(0, 2, size=k)).astype(float)
    fp = np.cumsum(rng.integers(0, 2, size=k)).astype(float) + np.arange(k) * 0
    problem = reject._Problem(
        tp, fp, float(tp[-1]), float(fp[-1]), cp.get_metric("tp"), True, 0.0, 1.0,
        Budget("abstain_rate", 0.05), np.ones(k, bool), rng.random(k) < 0.9, (), False,
    )  # fmt: skip
    f = np.round(rng.normal(size=k) * 50)  # noise: a block's best f is far from its first
    g = np.where(problem.lmask, np.round(rng.normal(size=k) * 50), -np.inf)
    pruned = reject._near_optimal(f, g, problem, 0.0)
    monkeypatch.setattr(reject, "_PRUNE_BLOCK", 10**9)
    full = reject._near_optimal(f, g, problem, 0.0)
    assert pruned[2] == full[2]
    assert sorted(zip(*pruned[:2])) == sorted(zip(*full[:2]))


def test_pruning_skips_most_blocks_on_a_long_curve():
    from cutpoints._reject import _Problem, _surviving_blocks

    rng = np.random.default_rng(3)
    y = rng.random(20_000) < 0.3
    s = rng.normal(size=y.size) + 1.5 * y
    curve = cp.confusion_curve(y, s)
    tp, fp = curve.tp.astype(float), curve.fp.astype(float)
    problem = _Problem(
        tp, fp, float(curve.n_positive), float(curve.n_negative),
        cp.get_metric("balanced_accuracy"), True, 0.0, 1.0, Budget("coverage", 0.9),
        np.ones(len(tp), bool), np.ones(len(tp), bool), (), False,
    )  # fmt: skip
    keep, size = _surviving_blocks(problem)
    feasible = np.triu(np.ones_like(keep))
    assert keep.sum() < 0.05 * feasible.sum()
    assert size >= 128


@pytest.mark.parametrize(
    ("metric", "kwargs"),
    [
        ("f1", {"coverage": 0.9}),
        ("fbeta(beta=2)", {"max_abstained": 1500}),
        ("precision", {"abstain_rate": 0.05, "constraints": ["flagged >= 500"]}),
        ("npv", {"coverage": 0.85}),
        ("specificity", {"coverage": 0.95, "constraints": ["npv >= 0.9"]}),
    ],
)
def test_two_pointer_pruning_changes_nothing(monkeypatch, metric, kwargs):
    import cutpoints._reject as reject

    rng = np.random.default_rng(12)
    y = rng.random(30_000) < 0.2
    s = np.round(rng.normal(size=y.size) + 1.3 * y, 4)  # some ties, ~24,000 distinct scores
    w = rng.integers(1, 3, size=y.size)
    pruned = find_reject_band(y, s, metric=metric, sample_weight=w, **kwargs)
    calls = []
    original = reject._promising_rows
    monkeypatch.setattr(reject, "_promising_rows", lambda *a: calls.append(original(*a)))
    full = find_reject_band(y, s, metric=metric, sample_weight=w, **kwargs)
    assert pruned.algorithm == full.algorithm == "two-pointer"
    assert (pruned.lo, pruned.hi, pruned.score) == (full.lo, full.hi, full.score)
    assert pruned.counts == full.counts
    kept = calls[0]
    assert kept is not None and len(kept) < 0.5 * len(full.curve)  # most blocks skipped


# --------------------------------------------------------------------------- pieces
@settings(max_examples=200)
@given(
    values=st.lists(st.integers(-50, 50), min_size=1, max_size=120),
    data=st.data(),
)
def test_window_max_equals_a_loop(values, data):
    g = np.array(values, dtype=float)
    k = len(g)
    starts = np.array(data.draw(st.lists(st.integers(0, k - 1), min_size=1, max_size=30)))
    lengths = np.array(
        data.draw(st.lists(st.integers(0, k), min_size=len(starts), max_size=len(starts)))
    )
    ends = np.minimum(starts + lengths, k - 1)
    got = _window_max(g, starts, ends)
    assert got.tolist() == [g[a : b + 1].max() for a, b in zip(starts, ends)]


def test_budget_is_the_documented_rule_at_its_edge():
    # 10 rows, coverage 0.8: abstaining on 2 rows leaves exactly 80% decided (allowed),
    # although (1 - 0.8) * 10 rounds below 2 in float64.
    assert (1 - 0.8) * 10 < 2
    assert Budget("coverage", 0.8).allows(2.0, 10.0)
    assert not Budget("coverage", 0.8).allows(3.0, 10.0)
    y = [0, 1] * 5
    s = np.arange(10) / 10
    band = find_reject_band(y, s, metric="accuracy", coverage=0.8)
    assert band.n_abstained <= 2 and band.coverage >= 0.8


def test_cost_band_matches_chow_on_calibrated_probabilities():
    rng = np.random.default_rng(11)
    p = rng.random(200_000)
    y = rng.random(p.size) < p  # calibrated by construction
    band = find_reject_band(y, p, metric="cost(fp=1, fn=2)", abstain_cost=0.4)
    lo, hi = chow_band(cost_fp=1, cost_fn=2, abstain_cost=0.4)
    assert (lo, hi) == pytest.approx((0.2, 0.6))
    assert band.chow == pytest.approx((0.2, 0.6))
    assert band.lo == pytest.approx(lo, abs=0.02)
    assert band.hi == pytest.approx(hi, abs=0.02)
    assert band.algorithm == "separable"


def test_chow_band_without_abstention_is_the_bayes_threshold():
    assert chow_band(cost_fp=1, cost_fn=4, abstain_cost=1.0) == (0.2, 0.2)
    with pytest.raises(InvalidParameterError, match="each error to cost more"):
        chow_band(cost_fp=0, cost_fn=1, abstain_cost=0.1)


def test_expensive_abstention_gives_the_single_best_threshold(toy):
    y, s = toy
    band = find_reject_band(y, s, metric="cost(fp=1, fn=3)", abstain_cost=10)
    cut = cp.find_cutpoint(y, s, metric="cost(fp=1, fn=3)")
    assert band.lo == band.hi == cut.threshold
    assert band.score == cut.score and band.n_abstained == 0


def test_full_coverage_is_the_best_single_threshold(toy):
    y, s = toy
    band = find_reject_band(y, s, metric="f1", coverage=1.0)
    assert band.lo == band.hi == cp.find_cutpoint(y, s, metric="f1").threshold


def test_utility_score_subtracts_the_abstention_cost():
    y = [0, 1, 0, 1, 1, 0]
    s = [0.1, 0.2, 0.4, 0.6, 0.8, 0.9]
    band = find_reject_band(y, s, metric="utility(tp=1, fp=-1, tn=1, fn=-1)", abstain_cost=0.25)
    decided = band.tp - band.fp + band.tn - band.fn
    assert band.score == decided - 0.25 * band.n_abstained
    assert band.maximize


# ------------------------------------------------------------------------- applying
def test_predict_with_labels_and_the_abstain_value():
    y = ["no", "no", "yes", "yes", "no", "yes"]
    s = [0.1, 0.3, 0.35, 0.8, 0.5, 0.9]
    band = evaluate_reject_band(y, s, lo=0.3, hi=0.6, pos_label="yes")
    assert band.predict([0.2, 0.4, 0.7]).tolist() == ["no", "abstain", "yes"]
    assert band.predict([0.4], abstain_label=None).tolist() == [None]
    assert band.decide([0.2, 0.4, 0.7]).tolist() == [0, -1, 1]
    minus = evaluate_reject_band([-1, 1, -1, 1], [0.1, 0.2, 0.3, 0.4], lo=0.15, hi=0.35)
    assert minus.abstain_label == 0  # -1 is a label
    assert minus.predict([0.1, 0.2, 0.4]).tolist() == [-1, 0, 1]


def test_lower_is_positive_rule_mirrors_the_band():
    y = [1, 1, 0, 1, 0, 0]
    s = [0.1, 0.2, 0.3, 0.4, 0.5, 0.9]
    band = evaluate_reject_band(y, s, lo=0.25, hi=0.45, rule="<=")
    assert band.decide([0.2, 0.25, 0.3, 0.45, 0.5]).tolist() == [1, 1, -1, -1, 0]
    assert band.counts == {
        "positive": {"tp": 2, "fp": 0},
        "negative": {"tn": 2, "fn": 0},
        "abstain": {"positive": 1, "negative": 1},
    }


def test_decide_refuses_nan():
    band = evaluate_reject_band([0, 1], [0.2, 0.8], lo=0.3, hi=0.6)
    with pytest.raises(InvalidInputError, match="'scores' must be finite"):
        band.decide([0.5, np.nan])


# ---------------------------------------------------------------------------- JSON
def test_json_round_trip_and_file(tmp_path):
    y = [0, 0, 1, 1, 0, 1, 1, 0]
    s = [0.1, 0.2, 0.3, 0.45, 0.5, 0.6, 0.8, 0.9]
    band = find_reject_band(
        y, s, metric="recall", coverage=0.7, constraints=["precision >= 0.5"],
        sample_weight=[1, 2, 1, 1, 3, 1, 1, 2],
    )  # fmt: skip
    again = RejectBand.from_json(band.to_json())
    assert again == band
    assert again.budget == Budget("coverage", 0.7)
    assert [str(c) for c in again.constraints] == ["precision >= 0.5"]
    path = tmp_path / "band.json"
    band.save(path)
    assert RejectBand.load(path) == band
    assert RejectBand.load(path).predict(s).tolist() == band.predict(s).tolist()
    assert not list(tmp_path.glob(".band.json.*"))  # no temporary file left behind


def _saved():
    y = [0, 0, 1, 1, 0, 1]
    s = [0.1, 0.2, 0.3, 0.45, 0.5, 0.8]
    return json.loads(find_reject_band(y, s, metric="accuracy", coverage=0.6).to_json())


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: d.update(lo=0.9, hi=0.1), r"field 'lo' must be <= 'hi'"),
        (lambda d: d.update(lo=None), r"field 'lo' must be a number"),
        (lambda d: d.update(rule="=>"), r"field 'rule' must be one of"),
        (lambda d: d["counts"]["abstain"].update(positive=-1), r"'counts.abstain.positive'.*>= 0"),
        (lambda d: d["counts"]["positive"].update(tp=99), r"'data.n_positive' must be the sum"),
        (lambda d: d["budget"].update(value=1.5), r"'budget.value' must be valid for coverage"),
        (lambda d: d["budget"].update(kind="queue"), r"'budget.kind' must be one of"),
        (lambda d: d["objective"].update(abstain_cost=-1), r"'objective.abstain_cost'.*>= 0"),
        (lambda d: d["labels"].update(abstain=[1]), r"'labels.abstain' must be a label"),
        (lambda d: d.pop("counts"), r"field 'counts' is missing"),
        (lambda d: d.update(format="cutpoints.cutpoint/1"), r"not a cutpoints reject band"),
    ],
)
def test_every_saved_field_is_checked_and_named(edit, message):
    data = _saved()
    edit(data)
    with pytest.raises(InvalidInputError, match=message):
        RejectBand.from_json(json.dumps(data))


def test_load_and_from_json_refuse_each_other(tmp_path):
    with pytest.raises(InvalidParameterError, match=r"RejectBand.load\(\) takes a file path"):
        RejectBand.load('{"format": 1}')
    with pytest.raises(InvalidInputError, match="reject band file not found"):
        RejectBand.load(tmp_path / "missing.json")
    with pytest.raises(InvalidInputError, match="not valid JSON.*RejectBand.load"):
        RejectBand.from_json("{oops")


# -------------------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"coverage": 0}, r"'coverage' must be in \(0, 1\] \(got 0\)"),
        ({"coverage": 1.2}, r"'coverage' must be in \(0, 1\] \(got 1.2\)"),
        ({"coverage": math.nan}, r"'coverage' must be finite"),
        ({"abstain_rate": 1}, r"'abstain_rate' must be in \[0, 1\)"),
        ({"max_abstained": -3}, r"'max_abstained' must be >= 0"),
        ({"coverage": 0.9, "abstain_rate": 0.1}, r"at most one of .*'coverage' and 'abstain_rate'"),
        ({}, r"needs what abstaining costs or how much may be abstained"),
        ({"abstain_cost": 1}, r"'abstain_cost' needs a cost or utility metric.*got metric 'f1'"),
        ({"abstain_cost": -1, "metric": "cost(fp=1, fn=1)"}, r"'abstain_cost' must be >= 0"),
        ({"coverage": True}, r"'coverage' must be a number"),
        ({"coverage": 0.9, "ties": "first"}, r"'ties' must be one of"),
    ],
)
def test_bad_requests_are_named(toy, kwargs, message):
    y, s = toy
    with pytest.raises(InvalidParameterError, match=message):
        find_reject_band(y, s, **kwargs)


def test_lo_above_hi_is_refused(toy):
    y, s = toy
    with pytest.raises(InvalidParameterError, match=r"'lo' must be <= 'hi' \(got lo=0.8, hi=0.2\)"):
        evaluate_reject_band(y, s, lo=0.8, hi=0.2)
    band = evaluate_reject_band(y, s, lo=0.2, hi=0.8)
    with pytest.raises(InvalidParameterError, match="needs lo <= hi"):
        RejectBand(**{**band.__dict__, "lo": 0.9})


def test_infeasible_constraint_names_the_closest_point(toy):
    y, s = toy
    with pytest.raises(InfeasibleConstraintError, match=r"'precision >= 1.5'.*closest is 1"):
        find_reject_band(y, s, metric="recall", coverage=0.5, constraints="precision >= 1.5")


def test_one_class_is_refused():
    with pytest.raises(InvalidLabelsError, match="holds only one class"):
        find_reject_band([1, 1, 1], [0.1, 0.2, 0.3], metric="f1", coverage=0.5)


def test_weights_count_like_repeated_rows():
    y = np.array([0, 1, 0, 1, 1, 0, 0, 1])
    s = np.array([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.9])
    w = np.array([1, 3, 2, 1, 2, 1, 2, 1])
    weighted = find_reject_band(y, s, metric="accuracy", coverage=0.75, sample_weight=w)
    repeated = find_reject_band(np.repeat(y, w), np.repeat(s, w), metric="accuracy", coverage=0.75)
    assert (weighted.lo, weighted.hi, weighted.score) == (repeated.lo, repeated.hi, repeated.score)
    assert weighted.weighted and not repeated.weighted
