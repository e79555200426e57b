"""Per-row values (money): exact against a brute-force loop over every threshold."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import cutpoints as cp
from cutpoints.engines._sort import sweep_with_extra, sweep_with_top
from cutpoints.errors import InvalidInputError, InvalidParameterError, MetricError

from .oracle import candidate_thresholds, one_class
from .strategies import binary_problems, imbalanced_problems

OUTCOMES = ("tp", "fp", "fn", "tn")


def brute_force_values(y, score, weight, values, rule=">="):
    """thresholds and, per threshold, the value of each outcome, by a plain loop."""
    y = np.asarray(y, dtype=bool)
    n = len(y)
    w = np.ones(n) if weight is None else np.asarray(weight, dtype=float)
    per_row = {k: np.broadcast_to(np.asarray(values.get(k, 0.0), float), (n,)) for k in OUTCOMES}
    thresholds = candidate_thresholds(score, rule)
    rows = []
    for t in thresholds:
        split = dict.fromkeys(OUTCOMES, 0.0)
        for i in range(n):
            flagged = score[i] >= t if rule == ">=" else score[i] <= t
            key = ("tp" if y[i] else "fp") if flagged else ("fn" if y[i] else "tn")
            split[key] += w[i] * per_row[key][i]
        rows.append(split)
    return thresholds, rows


@st.composite
def value_problems(draw, **kwargs):
    """A binary problem plus values: integer-valued (sums exact), scalars or arrays."""
    y, score, weight = draw(binary_problems(**kwargs))
    n = len(y)
    values = {}
    for key in draw(st.lists(st.sampled_from(OUTCOMES), min_size=1, max_size=4, unique=True)):
        if draw(st.booleans()):
            values[key] = float(draw(st.integers(-20, 20)))
        else:
            values[key] = draw(hnp.arrays(np.int64, n, elements=st.integers(-1000, 1000))) * 1.0
    # The common money case: the same column for both outcomes of a class (fn = -amount).
    for flagged, other in (("tp", "fn"), ("fp", "tn")):
        if isinstance(values.get(flagged), np.ndarray) and draw(st.booleans()):
            values[other] = draw(st.sampled_from([-1.0, 1.0])) * values[flagged]
    return y, score, weight, values


@given(value_problems(), st.sampled_from([">=", "<="]))
def test_value_columns_equal_a_brute_force_loop(problem, rule):
    y, score, weight, values = problem
    curve = cp.confusion_curve(y, score, sample_weight=weight, rule=rule, values=values)
    thresholds, rows = brute_force_values(y, score, weight, values, rule)
    np.testing.assert_array_equal(curve.thresholds, thresholds)
    for key in OUTCOMES:
        np.testing.assert_array_equal(curve.values.outcome(key), [r[key] for r in rows])
    np.testing.assert_array_equal(curve.metric("value"), [sum(r.values()) for r in rows])


@given(value_problems(), st.sampled_from(["highest", "lowest", "median"]))
def test_find_cutpoint_maximizes_the_total_value_exactly(problem, ties):
    y, score, weight, values = problem
    if one_class(y, weight):
        with pytest.raises(cp.errors.InvalidLabelsError):
            cp.find_cutpoint(y, score, metric="value", sample_weight=weight, values=values)
        return
    cut = cp.find_cutpoint(y, score, metric="value", sample_weight=weight, values=values, ties=ties)
    thresholds, rows = brute_force_values(y, score, weight, values)
    totals = np.array([sum(r.values()) for r in rows])
    best = totals.max()
    assert cut.score == best
    optimal = tuple(float(t) for t, v in zip(thresholds, totals) if v == best)
    assert cut.optimal_thresholds == optimal
    assert cut.threshold in optimal
    i = list(thresholds).index(cut.threshold)
    assert cut.value_by_outcome == rows[i]
    assert cut.metrics["value"] == best


@settings(max_examples=30)
@given(imbalanced_problems(n=3000))
def test_extreme_imbalance_with_amounts(problem):
    y, score, _ = problem
    amount = np.round(np.random.default_rng(len(y)).pareto(1.5, len(y)) * 100)
    values = {"tp": amount, "fp": -5.0, "fn": -amount}
    if not y.any():
        with pytest.raises(cp.errors.InvalidLabelsError):
            cp.find_cutpoint(y, score, metric="value", values=values)
        return
    cut = cp.find_cutpoint(y, score, metric="value", values=values)
    # brute force over the distinct scores, vectorised per threshold (3000 rows).
    best = -np.inf
    for t in candidate_thresholds(score):
        f = score >= t
        total = amount[f & y].sum() - 5.0 * (f & ~y).sum() - amount[~f & y].sum()
        best = max(best, total)
    assert cut.score == best


def test_sort_engine_sums_extra_columns_in_the_same_sweep(rng):
    score = np.round(rng.normal(size=5000), 2)
    y = rng.random(5000) < 0.2
    weight = rng.integers(0, 4, 5000)
    extra = [rng.integers(-50, 50, 5000).astype(float), rng.integers(0, 9, 5000).astype(float)]
    t, tp, fp, sums = sweep_with_extra(score, y, weight, extra)
    t0, tp0, fp0 = sweep_with_top(score, y, weight)
    np.testing.assert_array_equal(t, t0)
    np.testing.assert_array_equal(tp, tp0)
    np.testing.assert_array_equal(fp, fp0)
    for column, summed in zip(extra, sums):
        np.testing.assert_array_equal(summed, [column[score >= x].sum() for x in t])


def test_fraud_example_by_hand():
    y = [0, 0, 1, 1, 0, 1]
    s = [0.1, 0.4, 0.35, 0.8, 0.2, 0.7]
    amount = np.array([10.0, 20, 30, 40, 50, 60])
    cut = cp.find_cutpoint(y, s, metric="value", values={"tp": amount, "fp": -5, "fn": -amount})
    # flag >= 0.35: catches 40 + 60 + 30, one review of a legitimate row costs 5.
    assert cut.threshold == 0.35
    assert cut.score == 125.0
    assert cut.value_by_outcome == {"tp": 130.0, "fp": -5.0, "fn": 0.0, "tn": 0.0}
    assert "value = 125" in str(cut)


def test_values_combine_with_constraints_and_weights():
    y = np.array([1, 1, 1, 0, 0, 0, 1, 0])
    s = np.array([0.9, 0.8, 0.7, 0.65, 0.6, 0.5, 0.4, 0.3])
    amount = np.array([100.0, 1, 1, 0, 0, 0, 500, 0])
    values = {"tp": amount, "fp": -10, "fn": -amount}
    free = cp.find_cutpoint(y, s, metric="value", values=values)
    assert free.threshold == 0.4  # catching the 500 is worth four reviews
    capped = cp.find_cutpoint(y, s, metric="value", values=values, constraints="flagged <= 3")
    assert capped.threshold == 0.7 and capped.flagged == 3
    precise = cp.find_cutpoint(y, s, metric="value", values=values, constraints="precision >= 0.8")
    assert precise.threshold == 0.7
    # weights multiply each row's value: weight 0 on the big fraud drops it.
    w = np.array([1, 1, 1, 1, 1, 1, 0, 1])
    weighted = cp.find_cutpoint(y, s, metric="value", values=values, sample_weight=w)
    assert weighted.threshold == 0.7
    assert weighted.score == 102.0
    assert weighted.value_by_outcome == {"tp": 102.0, "fp": 0.0, "fn": 0.0, "tn": 0.0}
    # and "value" is a constraint like any metric
    cut = cp.find_cutpoint(y, s, metric="fpr", values=values, constraints="value >= 570")
    assert (cut.threshold, cut.metrics["value"]) == (0.4, 572.0)
    with pytest.raises(
        cp.errors.InfeasibleConstraintError, match="closest is 572 at threshold 0.4"
    ):
        cp.find_cutpoint(y, s, metric="f1", values=values, constraints="value >= 590")


def test_value_metric_is_a_constraint_or_a_reported_metric_without_being_the_objective():
    y, s = [0, 1, 1, 0], [0.1, 0.9, 0.4, 0.3]
    cut = cp.find_cutpoint(y, s, metric="f1", values={"tp": 3, "fp": -1})
    assert cut.threshold == 0.4  # F1 = 1 there
    assert cut.value_by_outcome == {"tp": 6.0, "fp": 0.0, "fn": 0.0, "tn": 0.0}
    assert cut.metrics["value"] == 6.0
    assert cp.find_cutpoint(y, s, metric="f1").value_by_outcome is None


def test_value_metric_without_values_says_what_is_missing():
    with pytest.raises(MetricError, match="values="):
        cp.find_cutpoint([0, 1, 1, 0], [0.1, 0.9, 0.4, 0.3], metric="value")
    curve = cp.confusion_curve([0, 1, 1, 0], [0.1, 0.9, 0.4, 0.3])
    with pytest.raises(MetricError, match="values="):
        curve.metric("value")
    assert "value" not in cp.find_cutpoint([0, 1], [0.1, 0.9]).metrics


@pytest.mark.parametrize(
    ("values", "error", "match"),
    [
        ({"tp": [1.0, 2.0]}, InvalidInputError, r"values\[\"tp\"\]' must have one value per row"),
        ({"fn": [1.0, np.nan, 1, 1]}, InvalidInputError, r"values\[\"fn\"\]' must be finite"),
        ({"fp": [1.0, np.inf, 1, 1]}, InvalidInputError, r"values\[\"fp\"\]' must be finite"),
        ({"fp": np.inf}, InvalidInputError, r"values\[\"fp\"\]' must be finite"),
        ({"fnn": 1}, InvalidParameterError, "unknown outcome 'fnn'"),
        ({"tn": ["a", "b", "c", "d"]}, InvalidInputError, r"values\[\"tn\"\]' must be numeric"),
        ({"tp": "amount"}, InvalidParameterError, r"values\[\"tp\"\]' must be a number"),
        ({"tp": True}, InvalidParameterError, r"values\[\"tp\"\]' must be a number"),
        ({}, InvalidParameterError, "at least one outcome"),
        ([1, 2], InvalidParameterError, "'values' must be a mapping"),
    ],
)
def test_bad_values_name_the_key(values, error, match):
    with pytest.raises(error, match=match):
        cp.find_cutpoint([0, 1, 1, 0], [0.1, 0.9, 0.4, 0.3], metric="value", values=values)


def test_values_from_pandas_columns():
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"y": [0, 1, 1, 0], "s": [0.1, 0.9, 0.4, 0.3], "amount": [5, 7, 9, 11]})
    cut = cp.find_cutpoint(
        frame.y, frame.s, metric="value", values={"tp": frame.amount, "fn": -frame.amount}
    )
    assert cut.score == 16.0 and cut.threshold == 0.4
    with pytest.raises(InvalidInputError, match=r"values\[\"tp\"\]"):
        cp.find_cutpoint(frame.y, frame.s, metric="value", values={"tp": frame.y.astype(str)})


def test_histogram_engine_with_values_gives_the_sort_answer(rng):
    n = 4000
    y = rng.random(n) < 0.1
    s = np.round(rng.random(n) + 0.3 * y, 3)
    amount = np.round(rng.pareto(1.5, n) * 50)
    values = {"tp": amount, "fp": -5, "fn": -amount}
    a = cp.find_cutpoint(y, s, metric="value", values=values, engine="sort")
    b = cp.find_cutpoint(y, s, metric="value", values=values, engine="histogram")
    assert (a.threshold, a.score, a.value_by_outcome) == (b.threshold, b.score, b.value_by_outcome)
    assert a.optimal_thresholds == b.optimal_thresholds


def test_saved_cutpoint_keeps_the_value_split_and_refuses_a_bad_one(tmp_path):
    cut = cp.find_cutpoint([0, 1, 1, 0], [0.1, 0.9, 0.4, 0.3], metric="value",
                           values={"tp": [1.0, 2, 3, 4], "fp": -1})  # fmt: skip
    path = tmp_path / "cut.json"
    cut.save(path)
    again = cp.Cutpoint.load(path)
    assert again == cut and again.value_by_outcome == cut.value_by_outcome
    data = json.loads(cut.to_json())
    data["values"]["tp"] = 1000.0
    with pytest.raises(InvalidInputError, match="must add up to 'metrics.value'"):
        cp.Cutpoint.from_json(json.dumps(data))
    del data["values"]["tp"]
    with pytest.raises(InvalidInputError, match="'values'"):
        cp.Cutpoint.from_json(json.dumps(data))
    data["values"] = {"tp": "x", "fp": 0, "fn": 0, "tn": 0}
    with pytest.raises(InvalidInputError, match="values.tp"):
        cp.Cutpoint.from_json(json.dumps(data))


def test_curve_exposes_value_columns():
    curve = cp.confusion_curve([0, 1, 1, 0], [0.1, 0.9, 0.4, 0.3],
                               values={"tp": [0, 8.0, 4, 0], "fn": [0, -8.0, -4, 0], "fp": -1})  # fmt: skip
    table = curve.to_dict()
    np.testing.assert_array_equal(table["value"], [-12, 4, 12, 11, 10])
    np.testing.assert_array_equal(table["value_fn"], [-12, -4, 0, 0, 0])
    assert curve.metrics_at(0.4)["value"] == 12.0
    assert (
        curve.fingerprint() != cp.confusion_curve([0, 1, 1, 0], [0.1, 0.9, 0.4, 0.3]).fingerprint()
    )


# ----------------------------------------------------------------------------- estimator
def _fraud(n=1500, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    y = (X[:, 0] + rng.normal(size=n) > 1.8).astype(int)
    amount = np.round(rng.pareto(1.5, n) * 100 + 1)
    return X, y, amount


@pytest.mark.slow
def test_estimator_tunes_on_out_of_fold_values_routed_as_metadata():
    sklearn = pytest.importorskip("sklearn")
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_validate

    X, y, amount = _fraud()
    cv = StratifiedKFold(3, shuffle=True, random_state=0)
    values = {"tp": "amount", "fp": -5, "fn": "-amount"}
    clf = cp.CutpointClassifier(LogisticRegression(), metric="value", values=values, cv=cv)
    clf.fit(X, y, amount=amount)
    # The same choice by hand, on the out-of-fold scores and the amounts of those rows.
    rows = clf.oof_indices_
    by_hand = cp.find_cutpoint(
        y[rows], clf.oof_scores_, metric="value",
        values={"tp": amount[rows], "fp": -5, "fn": -amount[rows]},
    )  # fmt: skip
    assert clf.threshold_ == by_hand.threshold
    assert clf.cutpoint_.score == by_hand.score
    assert clf.cutpoint_.value_by_outcome == by_hand.value_by_outcome
    assert np.isfinite(clf.cv_results_["final_objective"]).all()
    # metadata routing: the named column is requested for fit and reaches it
    routing = clf.get_metadata_routing()
    assert routing.fit.requests["amount"] is True
    with sklearn.config_context(enable_metadata_routing=True):
        routed = cross_validate(clf, X, y, params={"amount": amount}, cv=2)
    assert routed["test_score"].shape == (2,)
    with pytest.raises(
        InvalidParameterError, match=r"names the column 'amount'.*fit\(X, y, amount="
    ):
        cp.CutpointClassifier(LogisticRegression(), metric="value", values=values).fit(X, y)
    with pytest.raises(InvalidInputError, match=r"values\[\"tp\"\]' must have one value per row"):
        clf.fit(X, y, amount=amount[:-1])
    with pytest.raises(InvalidParameterError, match="unknown outcome 'tpp'"):
        cp.CutpointClassifier(LogisticRegression(), values={"tpp": 1}).fit(X, y)


def test_estimator_with_values_passes_sklearn_checks():
    pytest.importorskip("sklearn")
    from sklearn.base import clone
    from sklearn.linear_model import LogisticRegression
    from sklearn.utils.estimator_checks import (
        check_get_params_invariance,
        check_no_attributes_set_in_init,
    )

    clf = cp.CutpointClassifier(LogisticRegression(), metric="value", values={"tp": 2.0, "fp": -1})
    check_no_attributes_set_in_init("CutpointClassifier", clf)
    check_get_params_invariance("CutpointClassifier", clf)
    assert clone(clf).get_params()["values"] == {"tp": 2.0, "fp": -1}
    X, y, _ = _fraud(400)
    fitted = clf.fit(X, y)  # numbers only: no metadata needed
    assert fitted.cutpoint_.metric.name == "value"
    assert fitted.cutpoint_.score == 2 * fitted.cutpoint_.tp - fitted.cutpoint_.fp
    # prefit: tuned on the data given to fit, with the metadata column
    X, y, amount = _fraud(600, seed=5)
    model = LogisticRegression().fit(X, y)
    values = {"tp": "amount", "fp": -5, "fn": "-amount"}
    prefit = cp.CutpointClassifier(model, cv="prefit", metric="value", values=values)
    prefit.fit(X, y, amount=amount)
    by_hand = cp.find_cutpoint(y, model.predict_proba(X)[:, 1], metric="value",
                               values={"tp": amount, "fp": -5, "fn": -amount})  # fmt: skip
    assert (prefit.threshold_, prefit.cutpoint_.score) == (by_hand.threshold, by_hand.score)


# ----------------------------------------------------------------------------- CLI
def test_cli_tune_with_value_columns(tmp_path):
    pq = pytest.importorskip("pyarrow.parquet")
    import pyarrow as pa
    from typer.testing import CliRunner

    from cutpoints.cli import app

    _, y, amount = _fraud(600, seed=3)
    score = np.round(np.random.default_rng(3).random(600) * 0.7 + 0.3 * y, 4)
    path = tmp_path / "scores.parquet"
    pq.write_table(pa.table({"y": y, "p": score, "amount": amount}), path)
    out = tmp_path / "cut.json"
    runner = CliRunner()
    args = ["tune", str(path), "-l", "y", "-s", "p", "-m", "value"]
    values = ["--value", "tp=amount", "--value", "fp=-5", "--value", "fn=-amount"]
    result = runner.invoke(app, [*args, *values, "--save", str(out), "--json"])
    assert result.exit_code == 0, result.output
    expected = cp.find_cutpoint(y, score, metric="value",
                                values={"tp": amount, "fp": -5, "fn": -amount})  # fmt: skip
    printed = json.loads(result.stdout)
    assert printed["threshold"] == expected.threshold
    assert printed["objective"]["value"] == expected.score
    saved = cp.Cutpoint.load(out)
    assert saved.value_by_outcome == expected.value_by_outcome
    assert saved.columns["value.fn"] == "-amount" and saved.columns["value.fp"] == "-5"
    bad = runner.invoke(app, [*args, "--value", "tp=amont"])
    assert bad.exit_code != 0 and "column 'amont' (--value) not found" in bad.output
    bad = runner.invoke(app, [*args, "--value", "tq=amount"])
    assert bad.exit_code != 0 and "unknown outcome 'tq'" in bad.output
    bad = runner.invoke(app, [*args, "--value", "tp"])
    assert bad.exit_code != 0 and "OUTCOME=COLUMN" in bad.output
    report = tmp_path / "r.html"
    result = runner.invoke(app, [*args, *values, "--report", str(report)])
    assert result.exit_code == 0, result.output
    assert 'id="cp-value"' in report.read_text(encoding="utf-8")


def test_cli_tune_bootstraps_with_value_columns(tmp_path):
    """``--value`` with ``--bootstrap``: the intervals of cp.bootstrap(values=) on the same
    rows and seed (the CLI used to refuse the combination)."""
    pq = pytest.importorskip("pyarrow.parquet")
    pytest.importorskip("pandas")
    import pyarrow as pa
    from typer.testing import CliRunner

    from cutpoints.cli import app

    _, y, amount = _fraud(400, seed=5)
    score = np.round(np.random.default_rng(5).random(400) * 0.7 + 0.3 * y, 3)
    path = tmp_path / "scores.parquet"
    pq.write_table(pa.table({"y": y, "p": score, "amount": amount}), path)
    flags = ["--value", "tp=amount", "--value", "fp=-5", "--value", "fn=-amount"]
    args = ["tune", str(path), "-l", "y", "-s", "p", "-m", "value", *flags]
    result = CliRunner().invoke(app, [*args, "--bootstrap", "40", "--json"])
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    values = {"tp": amount, "fp": -5, "fn": -amount}
    boot = cp.bootstrap(y, score, metric="value", values=values, n_resamples=40, random_state=0)
    expected = boot.summary().reset_index(drop=True).to_dict("records")
    assert printed["bootstrap"]["n_resamples"] == 40
    got = printed["bootstrap"]["summary"]
    assert [r["quantity"] for r in got] == [r["quantity"] for r in expected]
    for mine, theirs in zip(got, expected, strict=True):
        for key, want in theirs.items():
            if isinstance(want, float):
                assert mine[key] == pytest.approx(want, rel=1e-12, abs=1e-12), key
    assert printed["threshold"] == boot.cutpoint.threshold


# ----------------------------------------------------------------------------- report, plot
def test_report_shows_the_profit_curve_with_the_reference_points():
    y = [0, 0, 1, 1, 0, 1]
    s = [0.1, 0.4, 0.35, 0.8, 0.2, 0.7]
    amount = np.array([10.0, 20, 30, 40, 50, 60])
    cut = cp.find_cutpoint(y, s, metric="value", values={"tp": amount, "fp": -5, "fn": -amount})
    page = cp.report(cutpoint=cut)
    section = page[page.index('<section id="cp-value">') :]
    section = section[: section.index("</section>")]
    # chosen 0.35: 125; at 0.5: tp 100, fn -30 -> 70; nothing: -130; everything: 130 - 15
    for label, total in [("chosen threshold", "125"), ("threshold 0.5", "70"),
                         ("flag nothing", "-130"), ("flag everything", "115")]:  # fmt: skip
        assert f"<td>{label}</td>" in section
        assert f"<b>{total}</b>" in section.split(f"<td>{label}</td>")[1].split("</tr>")[0]
    assert 'id="cp-value-by-threshold"' in section and 'id="cp-value-by-flagged"' in section
    assert 'id="cp-value"' not in cp.report(y, s)
    # With the data: report() takes values= too (it used to refuse them).
    values = {"tp": amount, "fp": -5, "fn": -amount}
    again = cp.report(y, s, cutpoint=cut, values=values)
    assert '<section id="cp-value">' in again
    assert 'id="cp-value"' in cp.report(y, s, metric="value", values=values)
    from cutpoints.plotting import ValueDisplay  # the public name the guide uses
    from cutpoints.plotting._value import ValueDisplay as defined

    assert ValueDisplay is defined


def test_value_display_draws_the_exact_total():
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    from cutpoints.plotting._value import ValueDisplay

    y, s = [0, 0, 1, 1, 0, 1], [0.1, 0.4, 0.35, 0.8, 0.2, 0.7]
    values = {"tp": [0, 0, 30, 40, 0, 60.0], "fp": -5, "fn": [0, 0, -30, -40, 0, -60.0]}
    disp = ValueDisplay.from_predictions(y, s, values=values, thresholds=[0.5], by_outcome=True)
    np.testing.assert_array_equal(disp.values, [-50, 70, 65, 125, 120, 115])
    assert [p.get_xydata().tolist() for p in disp.points_] == [[[0.5, 70.0]]]
    np.testing.assert_array_equal(disp.components["fp"], [0, 0, -5, -5, -10, -15])
    flagged = ValueDisplay.from_predictions(y, s, values=values, x="flagged")
    np.testing.assert_array_equal(flagged.x, [0, 1, 2, 3, 4, 5, 6])
    with pytest.raises(InvalidParameterError, match="needs per-row values"):
        ValueDisplay.from_curve(cp.confusion_curve(y, s))
    matplotlib.pyplot.close("all")


def test_user_metrics_can_read_the_value_column():
    def value_per_alert(tp, fp, tn, fn, *, value):
        flagged = tp + fp
        return np.where(flagged > 0, value / np.where(flagged > 0, flagged, 1), np.nan)

    cp.register_metric("value_per_alert", value_per_alert, columns=("value",))
    try:
        metric = cp.get_metric("value_per_alert")
        assert metric.columns == ("value",) and metric.metric.params == {}
        y, s = [0, 1, 1, 0, 1], [0.1, 0.9, 0.8, 0.7, 0.2]
        cut = cp.find_cutpoint(y, s, metric="value_per_alert",
                               values={"tp": [0, 10.0, 2, 0, 9], "fp": -1})  # fmt: skip
        assert (cut.threshold, cut.score) == (0.9, 10.0)
        with pytest.raises(MetricError, match="reads the 'value' column"):
            cp.find_cutpoint(y, s, metric="value_per_alert")
    finally:
        cp.unregister_metric("value_per_alert")


def test_bootstrap_value_metric_without_values_says_so():
    with pytest.raises(MetricError, match="pass values="):
        cp.bootstrap([0, 1, 0, 1], [0.1, 0.9, 0.2, 0.8], metric="value", n_resamples=5)


def test_evaluate_threshold_reports_the_value_at_a_given_threshold():
    y, s = [0, 0, 1, 1, 0, 1], [0.1, 0.4, 0.35, 0.8, 0.2, 0.7]
    amount = np.array([10.0, 20, 30, 40, 50, 60])
    at = cp.evaluate_threshold(y, s, 0.5, values={"tp": amount, "fp": -5, "fn": -amount})
    assert at["value"] == 70.0
    assert (at["value_tp"], at["value_fp"], at["value_fn"], at["value_tn"]) == (100, 0, -30, 0)
    assert "value" not in cp.evaluate_threshold(y, s, 0.5)


def test_an_outcome_mirroring_another_needs_no_column_of_its_own():
    from cutpoints._values import check_values

    y = np.array([True, False, True, False])
    amount = np.array([3.0, 4, 5, 6])
    names, columns, derived = check_values(
        {"tp": amount, "fn": -amount, "fp": amount, "tn": amount * 2}, 4
    ).extra_columns(y, None)
    assert names == ["tp", "fp", "tn"] and derived == {"fn": ("tp", -1.0)}
    np.testing.assert_array_equal(columns[0], [3, 0, 5, 0])
