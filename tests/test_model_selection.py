"""cross_validate (nested, honest) and make_scorer, checked against the core."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_val_score
from sklearn.svm import SVC

import cutpoints as cp
from cutpoints._display import shown_metrics
from cutpoints.errors import InfeasibleConstraintError, InvalidLabelsError, InvalidParameterError
from cutpoints.selection import as_constraints


@pytest.fixture(scope="module")
def data():
    X, y = make_classification(
        n_samples=600, n_features=6, weights=[0.85], flip_y=0.05, random_state=1
    )
    return X, y


def test_each_outer_fold_is_tuned_without_it_and_scored_on_it(data):
    X, y = data
    res = cp.cross_validate(
        LogisticRegression(), X, y, metric="f1", cv=3, inner_cv=4, return_estimators=True
    )
    f1 = cp.get_metric("f1")
    totals = np.zeros(4)
    for k, (train, test) in enumerate(StratifiedKFold(3).split(X, y)):
        tuned = cp.CutpointClassifier(LogisticRegression(), metric="f1", cv=4)
        tuned.fit(X[train], y[train])
        assert res.folds["threshold"][k] == tuned.threshold_
        assert res.folds["tuning_objective"][k] == tuned.cutpoint_.score
        scores = tuned.predict_proba(X[test])[:, 1]
        at = cp.evaluate_threshold(y[test], scores, tuned.threshold_, metrics=[f1, "recall"])
        assert res.folds["objective"][k] == at["f1"]
        assert res.folds["recall"][k] == at["recall"]
        default = cp.evaluate_threshold(y[test], scores, 0.5, metrics=[f1])["f1"]
        assert res.folds["default_objective"][k] == default
        assert res.folds["optimism"][k] == pytest.approx(tuned.cutpoint_.score - at["f1"])
        totals += [at["tp"], at["fp"], at["tn"], at["fn"]]
        assert res.estimators[k].threshold_ == tuned.threshold_
    assert [res.pooled[k] for k in ("tp", "fp", "tn", "fn")] == totals.tolist()
    tp, fp, _, fn = totals
    assert res.pooled["f1"] == pytest.approx(2 * tp / (2 * tp + fp + fn))
    assert res.summary["objective"]["mean"] == pytest.approx(res.folds["objective"].mean())
    assert res.summary["objective"]["std"] == pytest.approx(res.folds["objective"].std(ddof=1))
    spread = res.threshold_spread
    assert spread["min"] == res.thresholds.min()
    assert spread["range"] == pytest.approx(res.thresholds.max() - res.thresholds.min())
    assert "cross-validated f1 (3 outer folds)" in str(res)


def test_result_loads_into_pandas(data):
    pd = pytest.importorskip("pandas")
    X, y = data
    res = cp.cross_validate(
        LogisticRegression(), X, y, metric="mcc", constraints="precision >= 0.5", cv=3, inner_cv=3
    )
    frame = res.to_frame()
    assert isinstance(frame, pd.DataFrame)
    assert list(frame["fold"]) == [0, 1, 2]
    assert {"threshold", "objective", "tuning_objective", "precision", "flag_rate"} <= set(frame)
    # one column per entry of res.folds, in order, holding exactly those values
    assert list(frame.columns) == list(res.folds)
    for name, values in res.folds.items():
        np.testing.assert_array_equal(frame[name].to_numpy(), values)
    # the metric columns are the front ends' one list: the constrained metric, key metrics
    shown = shown_metrics(cp.get_metric("mcc"), as_constraints("precision >= 0.5"))
    metric_columns = list(frame.columns)[list(frame.columns).index("default_objective") + 1 :]
    assert metric_columns == [m.name for m in shown[1:]]
    assert frame["fold"].dtype == np.int64
    for k, (train, test) in enumerate(StratifiedKFold(3).split(X, y)):
        assert frame["n_test"][k] == len(test)
        assert frame["n_train"][k] == len(train)
        assert frame["n_positive"][k] == y[test].sum()


def test_minimized_metric_optimism_sign(data):
    X, y = data
    res = cp.cross_validate(LogisticRegression(), X, y, metric="cost(fp=1, fn=5)", cv=3)
    assert not res.maximize
    expected = res.folds["objective"] - res.folds["tuning_objective"]
    np.testing.assert_allclose(res.folds["optimism"], expected)


def test_sample_weight_and_decision_function(data):
    X, y = data
    w = np.random.default_rng(0).integers(1, 3, size=len(y))
    res = cp.cross_validate(SVC(), X, y, cv=2, inner_cv=2, sample_weight=w)
    ((train, test), _) = StratifiedKFold(2).split(X, y)
    tuned = cp.CutpointClassifier(SVC(), cv=2).fit(X[train], y[train], sample_weight=w[train])
    assert res.folds["threshold"][0] == tuned.threshold_
    scores = tuned.decision_function(X[test])
    at = cp.evaluate_threshold(y[test], scores, tuned.threshold_, sample_weight=w[test])
    assert res.folds["objective"][0] == at["f1"]


def test_errors_name_the_argument_and_the_fold(data):
    X, y = data
    with pytest.raises(InvalidParameterError, match="'inner_cv' cannot be 'prefit'"):
        cp.cross_validate(LogisticRegression(), X, y, inner_cv="prefit")
    with pytest.raises(InvalidParameterError, match="'inner_cv' must be an int"):
        cp.cross_validate(LogisticRegression(), X, y, inner_cv=[(np.arange(5), np.arange(5))])
    with pytest.raises(InvalidLabelsError, match="3 classes"):
        cp.cross_validate(LogisticRegression(), X, np.arange(len(y)) % 3)
    with pytest.raises(InfeasibleConstraintError, match=r"outer fold 0 of 2") as info:
        cp.cross_validate(
            LogisticRegression(), X, y, constraints="flagged >= 10000", cv=2, inner_cv=2
        )
    assert info.value.closest


# ----------------------------------------------------------------------- make_scorer


def test_scorer_is_the_metric_at_the_folds_own_optimum(data):
    X, y = data
    scorer = cp.make_scorer("f1")
    model = LogisticRegression().fit(X[:300], y[:300])
    value = scorer(model, X[300:], y[300:])
    expected = cp.find_cutpoint(y[300:], model.predict_proba(X[300:])[:, 1], metric="f1")
    assert value == expected.score
    # never below the metric at the default cut on the same fold
    assert value >= cp.evaluate_threshold(y[300:], model.predict_proba(X[300:])[:, 1], 0.5)["f1"]


def test_scorer_negates_minimized_metrics_and_uses_constraints(data):
    X, y = data
    model = LogisticRegression().fit(X[:300], y[:300])
    s = model.predict_proba(X[300:])[:, 1]
    cost = cp.make_scorer("cost(fp=1, fn=10)")
    assert (
        cost(model, X[300:], y[300:])
        == -cp.find_cutpoint(y[300:], s, metric="cost(fp=1, fn=10)").score
    )
    rec = cp.make_scorer("recall", constraints=["precision >= 0.8"])
    exp = cp.find_cutpoint(y[300:], s, metric="recall", constraints=["precision >= 0.8"])
    assert rec(model, X[300:], y[300:]) == exp.score
    assert repr(rec) == "make_scorer('recall', constraints=['precision >= 0.8'])"


def test_scorer_in_grid_search_and_cross_val_score(data):
    X, y = data
    scorer = cp.make_scorer("mcc")
    scores = cross_val_score(LogisticRegression(), X, y, scoring=scorer, cv=3)
    for k, (train, test) in enumerate(StratifiedKFold(3).split(X, y)):
        model = LogisticRegression().fit(X[train], y[train])
        s = model.predict_proba(X[test])[:, 1]
        assert scores[k] == cp.find_cutpoint(y[test], s, metric="mcc").score
    search = GridSearchCV(LogisticRegression(), {"C": [0.001, 1.0]}, scoring=scorer, cv=3)
    search.fit(X, y)
    assert search.best_params_ == {"C": 1.0}
    tuned = GridSearchCV(
        cp.CutpointClassifier(LogisticRegression(), metric="mcc", cv=3),
        {"estimator__C": [0.001, 1.0]},
        scoring=scorer,
        cv=2,
    ).fit(X, y)
    assert tuned.best_estimator_.threshold_ > 0


def test_scorer_bad_arguments():
    with pytest.raises(InvalidParameterError, match="'ties' must be one of"):
        cp.make_scorer("f1", ties="first")
    with pytest.raises(InvalidParameterError, match="'response_method' must be one of"):
        cp.make_scorer("f1", response_method="proba")
    with pytest.raises(InvalidParameterError, match="'rule' must be one of"):
        cp.make_scorer("f1", rule="<")
    with pytest.raises(InvalidParameterError, match="f11"):
        cp.make_scorer("f11")


@pytest.mark.slow
def test_demo_nested_estimate_numbers_quoted_in_the_guide():
    """The numbers docs/guide/estimator.md quotes (rounded there)."""
    from cutpoints.datasets import load_demo

    demo = load_demo()
    X = np.vstack([demo.X_train, demo.X_test])
    y = np.concatenate([demo.y_train, demo.y_test])
    res = cp.cross_validate(LogisticRegression(), X, y, metric="f1", cv=5, inner_cv=5)
    assert res.summary["tuning_objective"]["mean"] > res.summary["objective"]["mean"]
    assert res.summary["objective"]["mean"] > res.summary["default_objective"]["mean"]


# ----------------------------------------------------------------------- rule '<='


def test_cross_validate_with_rule_le(data):
    X, y = data
    res = cp.cross_validate(
        LogisticRegression(),
        X,
        y,
        metric="mcc",
        rule="<=",
        cv=2,
        inner_cv=2,
        return_estimators=True,
    )
    for k, (train, test) in enumerate(StratifiedKFold(2).split(X, y)):
        tuned = cp.CutpointClassifier(LogisticRegression(), metric="mcc", cv=2, rule="<=")
        tuned.fit(X[train], y[train])
        assert tuned.cutpoint_.rule == "<="
        assert res.folds["threshold"][k] == tuned.threshold_
        scores = tuned.predict_proba(X[test])[:, 1]
        at = cp.evaluate_threshold(y[test], scores, tuned.threshold_, rule="<=")
        np.testing.assert_equal(res.folds["objective"][k], at["mcc"])  # NaN-aware
        default = cp.evaluate_threshold(y[test], scores, 0.5, rule="<=")["mcc"]
        np.testing.assert_equal(res.folds["default_objective"][k], default)
        assert res.estimators[k].cutpoint_.rule == "<="


def test_scorer_with_rule_le(data):
    X, y = data
    model = LogisticRegression().fit(X[:300], y[:300])
    s = model.predict_proba(X[300:])[:, 1]
    scorer = cp.make_scorer("mcc", rule="<=")
    assert (
        scorer(model, X[300:], y[300:])
        == cp.find_cutpoint(y[300:], s, metric="mcc", rule="<=").score
    )
    assert repr(scorer) == "make_scorer('mcc', rule='<=')"
    # a model trained the other way round scores well only with '<='
    flipped = LogisticRegression().fit(X[:300], 1 - y[:300])
    assert scorer(flipped, X[300:], y[300:]) > cp.make_scorer("mcc")(flipped, X[300:], y[300:])


def test_scorer_scores_a_tuned_model_through_its_inner_model(data):
    X, y = data
    tuned = cp.CutpointClassifier(
        LogisticRegression(), cv=3, response_method="decision_function"
    ).fit(X[:300], y[:300])
    raw = tuned.estimator_.decision_function(X[300:])
    expected = cp.find_cutpoint(y[300:], raw, metric="f1").score
    assert cp.make_scorer("f1")(tuned, X[300:], y[300:]) == expected
