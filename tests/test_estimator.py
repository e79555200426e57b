"""CutpointClassifier and FixedCutpointClassifier: the scikit-learn front end.

The core is the oracle: the tuned threshold must equal ``find_cutpoint`` on the same
pooled out-of-fold scores, computed here independently of the estimator.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import make_classification
from sklearn.dummy import DummyClassifier
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.model_selection import (
    GridSearchCV,
    KFold,
    StratifiedKFold,
    StratifiedShuffleSplit,
    TunedThresholdClassifierCV,
)
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC
from sklearn.utils.estimator_checks import parametrize_with_checks

import cutpoints as cp
from cutpoints.errors import (
    CutpointsError,
    InfeasibleConstraintError,
    InvalidInputError,
    InvalidLabelsError,
    InvalidParameterError,
    NotFittedError,
)

# A moved threshold is the point: predict() may disagree with argmax(predict_proba) by
# design, which is what check_classifiers_train asserts. scikit-learn marks the same check as
# an expected failure for its own TunedThresholdClassifierCV and FixedThresholdClassifier.
# FixedCutpointClassifier(threshold=0.3) disagrees with it on a few rows; the tuned
# CutpointClassifier happens to pass on the check's easy data, so nothing is expected to
# fail for it.
EXPECTED_FAILED = {
    "check_classifiers_train": "a fixed threshold of 0.3 is not the 0.5 / argmax rule by design"
}


def _expected_failed(estimator):
    if isinstance(estimator, cp.FixedCutpointClassifier):
        return EXPECTED_FAILED
    # scikit-learn marks the same check for its own TunedThresholdClassifierCV.
    return {
        "check_classifiers_train": (
            "tuned class weights move multiclass decisions off argmax(predict_proba) by design"
        )
    }


@parametrize_with_checks(
    [
        cp.CutpointClassifier(LogisticRegression(), cv=3),
        cp.FixedCutpointClassifier(LogisticRegression(), threshold=0.3),
    ],
    expected_failed_checks=_expected_failed,
)
def test_sklearn_compatible(estimator, check):
    check(estimator)


@pytest.fixture(scope="module")
def data():
    X, y = make_classification(
        n_samples=600, n_features=6, weights=[0.85], flip_y=0.05, random_state=0
    )
    return X, y


def _oof(estimator, X, y, splits, method="predict_proba", sample_weight=None):
    """Pooled out-of-fold positive-class scores, computed by hand."""
    scores, rows = [], []
    for train, test in splits:
        model = clone(estimator)
        kw = {} if sample_weight is None else {"sample_weight": sample_weight[train]}
        model.fit(X[train], y[train], **kw)
        s = getattr(model, method)(X[test])
        scores.append(s[:, 1] if s.ndim == 2 else s)
        rows.append(test)
    return np.concatenate(scores), np.concatenate(rows)


# ----------------------------------------------------------------------- exactness


@pytest.mark.parametrize(
    ("metric", "constraints"),
    [("f1", ()), ("mcc", ()), ("cost(fp=1, fn=10)", ()), ("recall", ["precision >= 0.7"])],
)
def test_threshold_equals_core_on_pooled_oof_scores(data, metric, constraints):
    X, y = data
    splits = list(StratifiedKFold(5).split(X, y))
    clf = cp.CutpointClassifier(LogisticRegression(), metric=metric, constraints=constraints)
    clf.fit(X, y)
    scores, rows = _oof(LogisticRegression(), X, y, splits)
    np.testing.assert_array_equal(clf.oof_indices_, rows)
    np.testing.assert_allclose(clf.oof_scores_, scores, rtol=0, atol=1e-12)
    expected = cp.find_cutpoint(y[rows], clf.oof_scores_, metric=metric, constraints=constraints)
    assert clf.threshold_ == expected.threshold
    assert clf.cutpoint_ == expected
    assert clf.threshold_ in set(clf.oof_scores_.tolist())  # an observed score


def test_refit_on_all_data_and_predict_uses_ge_rule(data):
    X, y = data
    clf = cp.CutpointClassifier(LogisticRegression(C=0.5)).fit(X, y)
    ref = LogisticRegression(C=0.5).fit(X, y)
    np.testing.assert_allclose(clf.estimator_.coef_, ref.coef_)
    proba = ref.predict_proba(X)[:, 1]
    np.testing.assert_array_equal(clf.predict(X), (proba >= clf.threshold_).astype(int))
    np.testing.assert_allclose(clf.predict_proba(X), ref.predict_proba(X))
    np.testing.assert_allclose(clf.decision_function(X), ref.decision_function(X))
    assert clf.score(X, y) == np.mean(clf.predict(X) == y)
    # a row scored exactly at the threshold is positive (>=, never >)
    prefit = cp.FixedCutpointClassifier(ref, threshold=float(proba[7]))
    assert prefit.predict(X[7:8])[0] == 1


def test_never_worse_than_tuned_threshold_classifier_cv(data):
    X, y = data
    cv = StratifiedKFold(5)
    ours = cp.CutpointClassifier(LogisticRegression(), metric="f1", cv=cv).fit(X, y)
    theirs = TunedThresholdClassifierCV(LogisticRegression(), scoring="f1", cv=cv).fit(X, y)
    y_oof = y[ours.oof_indices_]
    f1 = cp.get_metric("f1")

    def objective(t):
        return cp.evaluate_threshold(y_oof, ours.oof_scores_, t, metrics=[f1])["f1"]

    assert objective(ours.threshold_) >= objective(theirs.best_threshold_)
    assert objective(ours.threshold_) == ours.cutpoint_.score


def test_decision_function_and_string_labels(data):
    X, y = data
    labels = np.where(y == 1, "yes", "no")
    clf = cp.CutpointClassifier(SVC(), metric="youden", cv=3).fit(X, labels)
    assert list(clf.classes_) == ["no", "yes"]
    scores, rows = _oof(SVC(), X, labels, StratifiedKFold(3).split(X, labels), "decision_function")
    expected = cp.find_cutpoint(labels[rows], scores, metric="youden", pos_label="yes")
    assert clf.threshold_ == expected.threshold
    assert clf.cutpoint_.positive_label == "yes"
    assert clf.cutpoint_.negative_label == "no"
    pred = clf.predict(X)
    assert set(pred) <= {"no", "yes"}
    np.testing.assert_array_equal(
        pred == "yes", clf.estimator_.decision_function(X) >= clf.threshold_
    )


def test_pos_label_of_the_lower_class_flips_decision_function(data):
    X, y = data
    clf = cp.CutpointClassifier(
        LogisticRegression(), response_method="decision_function", pos_label=0, cv=3
    ).fit(X, y)
    raw = clf.estimator_.decision_function(X)
    np.testing.assert_array_equal(clf.predict(X) == 0, -raw >= clf.threshold_)
    assert clf.cutpoint_.positive_label == 0


def test_response_method_auto_prefers_predict_proba(data):
    X, y = data
    a = cp.CutpointClassifier(LogisticRegression(), cv=3).fit(X, y)
    b = cp.CutpointClassifier(LogisticRegression(), cv=3, response_method="predict_proba")
    assert a.threshold_ == b.fit(X, y).threshold_
    assert 0 <= a.threshold_ <= 1


# ----------------------------------------------------------------------- cv options


def test_cv_float_is_one_stratified_holdout_and_refit_false_keeps_that_model(data):
    X, y = data
    clf = cp.CutpointClassifier(LogisticRegression(), cv=0.3, refit=False, random_state=1)
    clf.fit(X, y)
    ((train, test),) = StratifiedShuffleSplit(1, test_size=0.3, random_state=1).split(X, y)
    model = LogisticRegression().fit(X[train], y[train])
    np.testing.assert_allclose(clf.estimator_.coef_, model.coef_)
    expected = cp.find_cutpoint(y[test], model.predict_proba(X[test])[:, 1])
    assert clf.threshold_ == expected.threshold
    assert len(clf.cv_results_["fold"]) == 1


def test_cv_splitter_and_iterable_give_the_same_result(data):
    X, y = data
    splitter = KFold(4, shuffle=True, random_state=3)
    a = cp.CutpointClassifier(LogisticRegression(), cv=splitter).fit(X, y)
    b = cp.CutpointClassifier(LogisticRegression(), cv=list(splitter.split(X, y))).fit(X, y)
    assert a.threshold_ == b.threshold_
    assert a.cutpoint_ == b.cutpoint_


def test_group_splitter_gets_groups(data):
    from sklearn.model_selection import GroupKFold

    X, y = data
    groups = np.arange(len(y)) % 7
    clf = cp.CutpointClassifier(LogisticRegression(), cv=GroupKFold(3)).fit(X, y, groups=groups)
    scores, rows = _oof(LogisticRegression(), X, y, GroupKFold(3).split(X, y, groups))
    assert clf.threshold_ == cp.find_cutpoint(y[rows], scores).threshold
    for _, test in GroupKFold(3).split(X, y, groups):
        assert len(set(groups[test])) < 7  # whole groups held out


def test_prefit_tunes_on_the_given_data_and_never_refits(data):
    X, y = data
    model = LogisticRegression().fit(X[:300], y[:300])
    coef = model.coef_.copy()
    clf = cp.CutpointClassifier(model, cv="prefit", refit=False).fit(X[300:], y[300:])
    assert clf.estimator_ is model
    np.testing.assert_array_equal(model.coef_, coef)
    expected = cp.find_cutpoint(y[300:], model.predict_proba(X[300:])[:, 1])
    assert clf.threshold_ == expected.threshold


@pytest.mark.parametrize("aggregate", ["mean", "median"])
def test_aggregate_mean_median_of_per_fold_optima(data, aggregate):
    X, y = data
    splits = list(StratifiedKFold(5).split(X, y))
    clf = cp.CutpointClassifier(LogisticRegression(), aggregate=aggregate).fit(X, y)
    per_fold = []
    for train, test in splits:
        model = LogisticRegression().fit(X[train], y[train])
        per_fold.append(cp.find_cutpoint(y[test], model.predict_proba(X[test])[:, 1]).threshold)
    np.testing.assert_array_equal(clf.cv_results_["fold_threshold"], per_fold)
    assert clf.threshold_ == getattr(np, aggregate)(per_fold)
    # the cutpoint's counts are those of the pooled out-of-fold scores at that threshold
    at = cp.evaluate_threshold(y[clf.oof_indices_], clf.oof_scores_, clf.threshold_)
    assert (clf.cutpoint_.tp, clf.cutpoint_.fp) == (at["tp"], at["fp"])
    assert clf.cutpoint_.score == at["f1"]


def test_cv_results_per_fold_against_core(data):
    pd = pytest.importorskip("pandas")
    X, y = data
    clf = cp.CutpointClassifier(
        LogisticRegression(), metric="f1", constraints="precision >= 0.5", cv=4
    ).fit(X, y)
    frame = pd.DataFrame(clf.cv_results_)
    assert len(frame) == 4
    assert {"fold_objective", "fold_precision", "final_objective", "final_recall", "status"} <= set(
        frame
    )
    start = 0
    for k, row in frame.iterrows():
        n = int(row["n_test"])
        rows = clf.oof_indices_[start : start + n]
        s = clf.oof_scores_[start : start + n]
        start += n
        own = cp.find_cutpoint(y[rows], s, metric="f1", constraints="precision >= 0.5")
        assert row["fold"] == k
        assert row["status"] == "ok"
        assert row["fold_threshold"] == own.threshold
        assert row["fold_objective"] == own.score
        at = cp.evaluate_threshold(y[rows], s, clf.threshold_)
        assert row["final_objective"] == at["f1"]
        assert row["final_precision"] == at["precision"]


# ----------------------------------------------------------------------- integration


def test_pipeline_gridsearch_clone_get_params(data):
    X, y = data
    pipe = make_pipeline(StandardScaler(), cp.CutpointClassifier(LogisticRegression(), cv=3))
    search = GridSearchCV(
        pipe,
        {"cutpointclassifier__estimator__C": [0.1, 1.0], "cutpointclassifier__metric": ["f1"]},
        cv=2,
    ).fit(X, y)
    assert search.best_params_["cutpointclassifier__estimator__C"] in (0.1, 1.0)
    clf = cp.CutpointClassifier(LogisticRegression(C=2.0), metric="mcc", ties="lowest")
    params = clf.get_params()
    assert params["estimator__C"] == 2.0
    assert params["metric"] == "mcc"
    twin = clone(clf)
    assert twin.get_params()["metric"] == "mcc"
    assert not hasattr(twin, "threshold_")


def test_pandas_and_polars_inputs(data):
    pd = pytest.importorskip("pandas")
    pl = pytest.importorskip("polars")
    X, y = data
    ref = cp.CutpointClassifier(LogisticRegression(), cv=3).fit(X, y)
    cols = [f"x{i}" for i in range(X.shape[1])]
    frame = pd.DataFrame(X, columns=cols)
    a = cp.CutpointClassifier(LogisticRegression(), cv=3).fit(frame, pd.Series(y))
    assert a.threshold_ == ref.threshold_
    assert list(a.feature_names_in_) == cols
    np.testing.assert_array_equal(a.predict(frame), ref.predict(X))
    b = cp.CutpointClassifier(LogisticRegression(), cv=3).fit(pl.DataFrame(frame), pl.Series(y))
    assert b.threshold_ == ref.threshold_
    np.testing.assert_array_equal(b.predict(pl.DataFrame(frame)), ref.predict(X))


def test_hist_gradient_boosting(data):
    X, y = data
    est = HistGradientBoostingClassifier(max_iter=5, max_leaf_nodes=8, random_state=0)
    clf = cp.CutpointClassifier(est, cv=3).fit(X, y)
    scores, rows = _oof(est, X, y, StratifiedKFold(3).split(X, y))
    assert clf.threshold_ == cp.find_cutpoint(y[rows], scores).threshold


# ----------------------------------------------------------------------- weights


def test_sample_weight_used_for_fitting_and_tuning(data):
    X, y = data
    w = np.random.default_rng(0).integers(1, 4, size=len(y))
    clf = cp.CutpointClassifier(LogisticRegression(), cv=3).fit(X, y, sample_weight=w)
    splits = StratifiedKFold(3).split(X, y)
    scores, rows = _oof(LogisticRegression(), X, y, splits, sample_weight=w)
    expected = cp.find_cutpoint(y[rows], scores, sample_weight=w[rows])
    assert clf.threshold_ == expected.threshold
    assert clf.cutpoint_.weighted
    assert clf.cutpoint_.tp == expected.tp
    ref = LogisticRegression().fit(X, y, sample_weight=w)
    np.testing.assert_allclose(clf.estimator_.coef_, ref.coef_)


def test_integer_weights_equal_repeated_rows_when_tuning(data):
    X, y = data
    model = LogisticRegression().fit(X[:300], y[:300])
    Xt, yt = X[300:], y[300:]
    w = np.random.default_rng(1).integers(0, 3, size=len(yt))
    weighted = cp.CutpointClassifier(model, cv="prefit", refit=False).fit(Xt, yt, w)
    rows = np.repeat(np.arange(len(yt)), w)
    repeated = cp.CutpointClassifier(model, cv="prefit", refit=False).fit(Xt[rows], yt[rows])
    assert weighted.threshold_ == repeated.threshold_
    c1, c2 = weighted.cutpoint_, repeated.cutpoint_
    assert (c1.tp, c1.fp, c1.tn, c1.fn) == (c2.tp, c2.fp, c2.tn, c2.fn)


def test_estimator_without_sample_weight_warns_and_still_tunes_with_it(data):
    X, y = data
    w = np.ones(len(y))
    w[:50] = 3.0
    with pytest.warns(UserWarning, match="KNeighborsClassifier.*tune the threshold only"):
        clf = cp.CutpointClassifier(KNeighborsClassifier(), cv=3).fit(X, y, sample_weight=w)
    assert clf.cutpoint_.weighted


# ----------------------------------------------------------------------- errors


def test_a_fixed_threshold_refuses_a_multiclass_target():
    # CutpointClassifier tunes class weights on multiclass targets (test_multiclass_estimator);
    # one fixed threshold cannot decide among three classes.
    X, y = make_classification(n_samples=90, n_classes=3, n_informative=3, random_state=0)
    with pytest.raises(InvalidLabelsError, match=r"3 classes"):
        cp.FixedCutpointClassifier(LogisticRegression(), threshold=0.5).fit(X, y)


def test_continuous_and_single_class_targets(data):
    X, _ = data
    with pytest.raises(InvalidLabelsError, match=r"'y' must hold two class labels.*continuous"):
        cp.CutpointClassifier(LogisticRegression()).fit(X, np.linspace(0, 1, len(X)))
    with pytest.raises(InvalidLabelsError, match=r"only one class, \[1\]"):
        cp.CutpointClassifier(LogisticRegression()).fit(X, np.ones(len(X), dtype=int))


def test_estimator_without_scores():
    X, y = make_classification(n_samples=60, random_state=0)
    with pytest.raises(InvalidParameterError, match=r"LinearRegression\) has no predict_proba or"):
        cp.CutpointClassifier(LinearRegression()).fit(X, y)
    with pytest.raises(InvalidParameterError, match=r"'response_method' is 'predict_proba'.*SVC"):
        cp.CutpointClassifier(SVC(), response_method="predict_proba").fit(X, y)


def test_constant_predictor(data):
    X, y = data
    with pytest.raises(InvalidInputError, match=r"DummyClassifier.*same score.*constant"):
        cp.CutpointClassifier(DummyClassifier(strategy="prior")).fit(X, y)


def test_prefit_errors(data):
    X, y = data
    for refit in ("auto", False):
        with pytest.raises(NotFittedError, match="'estimator' must be fitted when cv='prefit'"):
            cp.CutpointClassifier(LogisticRegression(), cv="prefit", refit=refit).fit(X, y)
    model = LogisticRegression().fit(X, y)
    with pytest.raises(InvalidParameterError, match="'refit' must be False or 'auto' when cv="):
        cp.CutpointClassifier(model, cv="prefit", refit=True).fit(X, y)
    with pytest.raises(InvalidParameterError, match=r"'refit' must be True, False or 'auto'"):
        cp.CutpointClassifier(model, cv="prefit", refit="yes").fit(X, y)


def test_prefit_unfitted_raises_not_fitted_error_of_both_libraries(data):
    """Issue 9 item 18: code moving from scikit-learn catches its NotFittedError."""
    from sklearn.exceptions import NotFittedError as SklearnNotFittedError

    X, y = data
    clf = cp.CutpointClassifier(LogisticRegression(), cv="prefit")
    for caught in (NotFittedError, SklearnNotFittedError, ValueError, AttributeError):
        with pytest.raises(caught, match="unfitted LogisticRegression"):
            clf.fit(X, y)
    # with refit='auto' (the default), a fitted model needs no refit=False
    model = LogisticRegression().fit(X, y)
    tuned = cp.CutpointClassifier(model, cv="prefit").fit(X, y)
    assert tuned.estimator_ is model


def test_multilabel_target_says_only_binary_with_the_shape():
    """Issue 9 item 18: multilabel gets the multiclass message, not "'y' must be 1-D"."""
    from sklearn.datasets import make_multilabel_classification

    X, Y = make_multilabel_classification(n_samples=100, n_classes=5, random_state=0)
    pattern = r"Only binary classification is supported.*multilabel-indicator.*\(100, 5\)"
    for estimator in (
        cp.CutpointClassifier(LogisticRegression()),
        cp.FixedCutpointClassifier(LogisticRegression(), threshold=0.5),
    ):
        with pytest.raises(InvalidLabelsError, match=pattern):
            estimator.fit(X, Y)
    with pytest.raises(InvalidLabelsError, match=pattern):
        cp.cross_validate(LogisticRegression(), X, Y)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"refit": False}, "'refit' can be False only with a single split"),
        ({"cv": 1.5}, r"'cv' as a float .* \(got 1.5\)"),
        ({"cv": 1}, r"'cv' as an int .* >= 2 \(got 1\)"),
        ({"cv": "five"}, "'cv' must be an int"),
        ({"aggregate": "mode"}, "'aggregate' must be one of"),
        ({"ties": "first"}, "'ties' must be one of"),
        ({"metric": "f11"}, "f11"),
    ],
)
def test_bad_parameters_name_argument_and_value(data, kwargs, match):
    X, y = data
    with pytest.raises(InvalidParameterError, match=match):
        cp.CutpointClassifier(LogisticRegression(), **kwargs).fit(X, y)


def _uneven_splits(y):
    """Three folds; fold 2 tests only 20 rows, so it cannot flag 30 of them."""
    rows = np.arange(len(y))
    tests = [rows[:290], rows[290:580], rows[580:]]
    return [(np.setdiff1d(rows, t), t) for t in tests]


def test_infeasible_constraint_on_some_folds_is_reported(data):
    X, y = data
    splits = _uneven_splits(y)
    clf = cp.CutpointClassifier(LogisticRegression(), constraints="flagged >= 30", cv=splits)
    with pytest.warns(UserWarning, match=r"1 of 3 folds.*fold 2: infeasible"):
        clf.fit(X, y)
    status = clf.cv_results_["status"]
    assert status[0] == "ok"
    assert status[1] == "ok"
    assert status[2].startswith("infeasible")
    assert np.isnan(clf.cv_results_["fold_threshold"][2])
    # the fold is not dropped: its scores are in the pool and it has final metrics
    assert len(clf.oof_scores_) == len(y)
    assert not np.isnan(clf.cv_results_["final_objective"][2])
    with pytest.raises(InfeasibleConstraintError, match=r"aggregate='mean'.*fold 2: infeasible"):
        cp.CutpointClassifier(
            LogisticRegression(), constraints="flagged >= 30", cv=splits, aggregate="mean"
        ).fit(X, y)


def test_infeasible_everywhere_reports_closest_point(data):
    X, y = data
    clf = cp.CutpointClassifier(LogisticRegression(), constraints="precision >= 1.01", cv=3)
    with pytest.raises(InfeasibleConstraintError, match="pooled out-of-fold") as info:
        clf.fit(X, y)  # no per-fold warning first: the error says it all
    assert info.value.closest[0].constraint == "precision >= 1.01"


def test_predict_before_fit():
    from sklearn.exceptions import NotFittedError as SklearnNotFittedError

    for caught in (SklearnNotFittedError, NotFittedError):
        with pytest.raises(caught, match="CutpointClassifier instance is not fitted"):
            cp.CutpointClassifier(LogisticRegression()).predict(np.zeros((2, 3)))
        with pytest.raises(caught, match="FixedCutpointClassifier instance is not fitted"):
            cp.FixedCutpointClassifier(LogisticRegression(), threshold=0.5).predict(
                np.zeros((2, 3))
            )
        with pytest.raises(caught):
            cp.CutpointClassifier(LogisticRegression()).predict_proba(np.zeros((2, 3)))


# ----------------------------------------------------------------------- FixedCutpointClassifier


def test_fixed_from_float_and_from_cutpoint_file(data, tmp_path):
    X, y = data
    tuned = cp.CutpointClassifier(LogisticRegression(), metric="f1", cv=3).fit(X, y)
    path = tmp_path / "cut.json"
    tuned.cutpoint_.save(path)
    expected = tuned.predict(X)
    for source in (tuned.cutpoint_, path, str(path)):
        fixed = cp.FixedCutpointClassifier(tuned.estimator_, cutpoint=source)
        np.testing.assert_array_equal(fixed.predict(X), expected)
    # JSON text is not a path: never guessed (Cutpoint.from_json(text) makes a Cutpoint)
    with pytest.raises(CutpointsError, match="takes a file path; use Cutpoint.from_json"):
        cp.FixedCutpointClassifier(tuned.estimator_, cutpoint=tuned.cutpoint_.to_json()).predict(X)
    with pytest.raises(InvalidParameterError, match="'cutpoint' must be a cutpoints.Cutpoint"):
        cp.FixedCutpointClassifier(tuned.estimator_, cutpoint=0.5).predict(X)
    by_value = cp.FixedCutpointClassifier(tuned.estimator_, threshold=tuned.threshold_)
    np.testing.assert_array_equal(by_value.predict(X), expected)
    # fit() refits a clone and keeps the threshold
    refit = cp.FixedCutpointClassifier(LogisticRegression(), cutpoint=path).fit(X, y)
    np.testing.assert_array_equal(refit.predict(X), expected)
    assert refit.threshold_ == tuned.threshold_
    assert json.loads(path.read_text())["threshold"] == tuned.threshold_


def test_fixed_parameter_errors(data):
    X, y = data
    model = LogisticRegression().fit(X, y)
    with pytest.raises(InvalidParameterError, match="exactly one of 'threshold' and 'cutpoint'"):
        cp.FixedCutpointClassifier(model).predict(X)
    with pytest.raises(InvalidParameterError, match="exactly one"):
        cp.FixedCutpointClassifier(model, threshold=0.5, cutpoint="{}").predict(X)
    with pytest.raises(InvalidParameterError, match="'threshold' must be a number"):
        cp.FixedCutpointClassifier(model, threshold="high").predict(X)
    cut = cp.find_cutpoint(np.where(y == 1, "a", "b"), y * 0.5, pos_label="a")
    with pytest.raises(InvalidParameterError, match="positive label 'a' is not one of"):
        cp.FixedCutpointClassifier(model, cutpoint=cut).predict(X)


def test_save_with_skops_and_json(data, tmp_path):
    sio = pytest.importorskip("skops.io")
    X, y = data
    tuned = cp.CutpointClassifier(LogisticRegression(), cv=3).fit(X, y)
    # recommended: the model with skops, the cutpoint as JSON (plain data)
    sio.dump(tuned.estimator_, tmp_path / "model.skops")
    tuned.cutpoint_.save(tmp_path / "cut.json")
    model_file = tmp_path / "model.skops"
    model = sio.load(model_file, trusted=sio.get_untrusted_types(file=model_file))
    loaded = cp.FixedCutpointClassifier(model, cutpoint=cp.Cutpoint.load(tmp_path / "cut.json"))
    np.testing.assert_array_equal(loaded.predict(X), tuned.predict(X))
    # a FixedCutpointClassifier with a float threshold round-trips whole
    fixed = cp.FixedCutpointClassifier(tuned.estimator_, threshold=tuned.threshold_).fit(X, y)
    sio.dump(fixed, tmp_path / "fixed.skops")
    untrusted = sio.get_untrusted_types(file=tmp_path / "fixed.skops")
    assert "cutpoints.sklearn._fixed.FixedCutpointClassifier" in untrusted
    again = sio.load(tmp_path / "fixed.skops", trusted=untrusted)
    np.testing.assert_array_equal(again.predict(X), tuned.predict(X))


def test_joblib_round_trip(data, tmp_path):
    joblib = pytest.importorskip("joblib")
    X, y = data
    tuned = cp.CutpointClassifier(LogisticRegression(), cv=3).fit(X, y)
    joblib.dump(tuned, tmp_path / "m.joblib")
    again = joblib.load(tmp_path / "m.joblib")
    assert again.threshold_ == tuned.threshold_
    assert again.cutpoint_ == tuned.cutpoint_
    np.testing.assert_array_equal(again.predict(X), tuned.predict(X))


def test_old_module_paths_still_name_the_classes():
    """Models pickled or saved with skops under the old module path still find them."""
    import pickle

    import cutpoints._estimator as old_estimator
    import cutpoints._model_selection as old_model_selection

    assert old_estimator.FixedCutpointClassifier is cp.FixedCutpointClassifier
    assert old_estimator.CutpointClassifier is cp.CutpointClassifier
    assert old_model_selection.cross_validate is cp.cross_validate
    fixed = cp.FixedCutpointClassifier(LogisticRegression(), threshold=0.25)
    text = pickle.dumps(fixed, protocol=0)  # protocol 0 names the class as plain text
    assert b"cutpoints.sklearn._fixed" in text
    old = text.replace(b"cutpoints.sklearn._fixed", b"cutpoints._estimator")
    assert pickle.loads(old).get_params()["threshold"] == 0.25


# ----------------------------------------------------------------------- rule '<='


def test_rule_le_tunes_and_predicts_with_lower_scores_positive(data):
    """Scores where lower means positive: a model trained the other way round."""
    X, y = data
    flipped = LogisticRegression().fit(X[:300], 1 - y[:300])  # its class 1 is y's class 0
    Xt, yt = X[300:], y[300:]
    scores = flipped.predict_proba(Xt)[:, 1]  # lower = more likely y == 1
    clf = cp.CutpointClassifier(flipped, cv="prefit", rule="<=", metric="f1").fit(Xt, yt)
    expected = cp.find_cutpoint(yt, scores, metric="f1", rule="<=")
    assert clf.cutpoint_ == expected
    assert clf.cutpoint_.rule == "<="
    assert clf.threshold_ == expected.threshold
    flagged = scores <= clf.threshold_
    assert flagged.sum() == expected.tp + expected.fp
    np.testing.assert_array_equal(clf.predict(Xt), flagged.astype(int))
    # '<=' on s is '>=' on -s: same counts, threshold negated
    mirrored = cp.find_cutpoint(yt, -scores, metric="f1")
    assert (mirrored.tp, mirrored.fp, mirrored.threshold) == (
        expected.tp,
        expected.fp,
        -expected.threshold,
    )
    # and it is the right way round for these scores: far better than '>='
    wrong_way = cp.CutpointClassifier(flipped, cv="prefit", metric="f1").fit(Xt, yt)
    assert clf.cutpoint_.score > wrong_way.cutpoint_.score + 0.2


def test_rule_le_reaches_every_fold_and_predict(data):
    X, y = data
    clf = cp.CutpointClassifier(LogisticRegression(), cv=3, rule="<=", metric="mcc").fit(X, y)
    expected = cp.find_cutpoint(y[clf.oof_indices_], clf.oof_scores_, metric="mcc", rule="<=")
    assert clf.cutpoint_ == expected
    start = 0
    for k, n in enumerate(clf.cv_results_["n_test"]):
        rows, s = clf.oof_indices_[start : start + n], clf.oof_scores_[start : start + n]
        start += n
        own = cp.find_cutpoint(y[rows], s, metric="mcc", rule="<=")
        assert clf.cv_results_["fold_threshold"][k] == own.threshold
    proba = clf.estimator_.predict_proba(X)[:, 1]
    np.testing.assert_array_equal(clf.predict(X), (proba <= clf.threshold_).astype(int))
    for aggregate in ("mean", "median"):
        agg = cp.CutpointClassifier(
            LogisticRegression(), cv=3, rule="<=", metric="mcc", aggregate=aggregate
        ).fit(X, y)
        per_fold = agg.cv_results_["fold_threshold"]
        assert agg.threshold_ == getattr(np, aggregate)(per_fold)
        at = cp.evaluate_threshold(y[agg.oof_indices_], agg.oof_scores_, agg.threshold_, rule="<=")
        assert (agg.cutpoint_.tp, agg.cutpoint_.fp) == (at["tp"], at["fp"])


def test_rule_is_validated(data):
    X, y = data
    with pytest.raises(InvalidParameterError, match=r"'rule' must be one of \['>=', '<='\]"):
        cp.CutpointClassifier(LogisticRegression(), rule=">").fit(X, y)


# ----------------------------------------------------------------------- Fixed: files, rules


def test_fixed_reads_its_file_once(data, tmp_path):
    """fit reads the file and keeps cutpoint_; predict never reads it again."""
    X, y = data
    model = LogisticRegression().fit(X, y)
    cut = cp.find_cutpoint(y, model.predict_proba(X)[:, 1], metric="youden")
    path = tmp_path / "cut.json"
    cut.save(path)
    expected = cut.predict(model.predict_proba(X)[:, 1])
    fitted = cp.FixedCutpointClassifier(LogisticRegression(), cutpoint=path).fit(X, y)
    assert fitted.cutpoint_ == cut
    assert fitted.threshold_ == cut.threshold
    path.unlink()  # the file is gone: predictions must not need it
    np.testing.assert_array_equal(fitted.predict(X), expected)
    # without fit (a prefit model), the first prediction reads it, later ones reuse it
    cut.save(path)
    prefit = cp.FixedCutpointClassifier(model, cutpoint=str(path))
    np.testing.assert_array_equal(prefit.predict(X), expected)
    path.unlink()
    np.testing.assert_array_equal(prefit.predict(X), expected)
    # a changed parameter is a new source; fit reads afresh
    with pytest.raises(CutpointsError, match="cutpoint file not found"):
        prefit.set_params(cutpoint=tmp_path / "other.json").predict(X)
    with pytest.raises(CutpointsError, match="cutpoint file not found"):
        cp.FixedCutpointClassifier(LogisticRegression(), cutpoint=path).fit(X, y)


def test_fixed_pickles_without_the_file_cache(data, tmp_path):
    import pickle

    X, y = data
    model = LogisticRegression().fit(X, y)
    path = tmp_path / "cut.json"
    cp.find_cutpoint(y, model.predict_proba(X)[:, 1]).save(path)
    prefit = cp.FixedCutpointClassifier(model, cutpoint=path)
    before = prefit.predict(X)
    assert "_loaded_" in vars(prefit)
    again = pickle.loads(pickle.dumps(prefit))
    assert "_loaded_" not in vars(again)
    np.testing.assert_array_equal(again.predict(X), before)  # reads the file itself


def test_fixed_with_a_guaranteed_cutpoint(data, tmp_path):
    X, y = data
    model = LogisticRegression().fit(X[:300], y[:300])
    calib = model.predict_proba(X[300:])[:, 1]
    cut = cp.find_cutpoint_guaranteed(y[300:], calib, "precision >= 0.6", delta=0.1)
    assert cut.guarantee is not None
    path = tmp_path / "certified.json"
    cut.save(path)
    scores = model.predict_proba(X)[:, 1]
    for source in (cut, path):
        fixed = cp.FixedCutpointClassifier(model, cutpoint=source)
        np.testing.assert_array_equal(fixed.predict(X), cut.predict(scores))
    refit = cp.FixedCutpointClassifier(LogisticRegression(), cutpoint=path).fit(X[:300], y[:300])
    assert refit.cutpoint_.guarantee == cut.guarantee
    np.testing.assert_array_equal(refit.predict(X), cut.predict(scores))


def test_fixed_rule(data, tmp_path):
    X, y = data
    model = LogisticRegression().fit(X, y)
    scores = model.predict_proba(X)[:, 1]
    low = cp.FixedCutpointClassifier(model, threshold=0.3, rule="<=")
    np.testing.assert_array_equal(low.predict(X), (scores <= 0.3).astype(int))
    assert cp.FixedCutpointClassifier(model, threshold=0.3).fit(X, y)._rule_ == ">="
    cut = cp.find_cutpoint(y, scores, rule="<=", metric="accuracy")
    path = tmp_path / "le.json"
    cut.save(path)
    from_file = cp.FixedCutpointClassifier(model, cutpoint=path)
    np.testing.assert_array_equal(from_file.predict(X), (scores <= cut.threshold).astype(int))
    same = cp.FixedCutpointClassifier(model, cutpoint=path, rule="<=")
    np.testing.assert_array_equal(same.predict(X), from_file.predict(X))
    with pytest.raises(InvalidParameterError, match="'rule' is '>=' but the cutpoint"):
        cp.FixedCutpointClassifier(model, cutpoint=path, rule=">=").predict(X)
    with pytest.raises(InvalidParameterError, match="'rule' must be one of"):
        cp.FixedCutpointClassifier(model, threshold=0.3, rule="=>").predict(X)


def test_cv_results_show_the_key_metrics_of_the_front_ends(data):
    from cutpoints._display import shown_metrics
    from cutpoints.selection import as_constraints

    X, y = data
    clf = cp.CutpointClassifier(
        LogisticRegression(), metric="mcc", constraints="recall >= 0.5", cv=3
    ).fit(X, y)
    shown = shown_metrics(cp.get_metric("mcc"), as_constraints("recall >= 0.5"))
    names = [m.name for m in shown[1:]]
    assert names[0] == "recall"
    expected = ["fold", "n_train", "n_test", "n_positive", "status", "fold_threshold"]
    expected += ["fold_objective", *(f"fold_{n}" for n in names)]
    expected += ["final_threshold", "final_objective", *(f"final_{n}" for n in names)]
    assert list(clf.cv_results_) == expected
    start = 0
    for k, n in enumerate(clf.cv_results_["n_test"]):
        rows, s = clf.oof_indices_[start : start + n], clf.oof_scores_[start : start + n]
        start += n
        at = cp.evaluate_threshold(y[rows], s, clf.threshold_)
        for name in names:
            np.testing.assert_equal(clf.cv_results_[f"final_{name}"][k], at[name])


def test_target_checks_name_the_bad_label(data):
    X, y = data
    bad = y.astype(float)
    bad[3] = np.nan
    with pytest.raises(
        InvalidLabelsError, match=r"'y' must not contain NaN or infinity \(got nan at index 3"
    ):
        cp.CutpointClassifier(LogisticRegression()).fit(X, bad)
    bad[3] = np.inf
    with pytest.raises(
        InvalidLabelsError, match=r"'y' must not contain NaN or infinity \(got inf at index 3"
    ):
        cp.CutpointClassifier(LogisticRegression()).fit(X, bad)
    with pytest.raises(InvalidLabelsError, match=r"'pos_label' must be one of the values of 'y'"):
        cp.CutpointClassifier(LogisticRegression(), pos_label=7).fit(X, y)
    with pytest.raises(InvalidLabelsError, match="Unknown label type"):
        cp.CutpointClassifier(LogisticRegression()).fit(X, y.astype(object))
    with pytest.raises(InvalidLabelsError, match="requires y to be passed"):
        cp.CutpointClassifier(LogisticRegression()).fit(X, None)


def test_fixed_fitted_from_a_file_round_trips_with_skops_and_joblib(data, tmp_path):
    sio = pytest.importorskip("skops.io")
    joblib = pytest.importorskip("joblib")
    X, y = data
    model = LogisticRegression().fit(X, y)
    path = tmp_path / "cut.json"
    cp.find_cutpoint(y, model.predict_proba(X)[:, 1], metric="fbeta(beta=2)").save(path)
    fixed = cp.FixedCutpointClassifier(LogisticRegression(), cutpoint=path).fit(X, y)
    expected = fixed.predict(X)
    path.unlink()  # the saved model carries cutpoint_; it never needs the file again
    sio.dump(fixed, tmp_path / "fixed.skops")
    untrusted = sio.get_untrusted_types(file=tmp_path / "fixed.skops")
    assert "cutpoints._cutpoint.Cutpoint" in untrusted
    again = sio.load(tmp_path / "fixed.skops", trusted=untrusted)
    np.testing.assert_array_equal(again.predict(X), expected)
    assert again.cutpoint_ == fixed.cutpoint_
    joblib.dump(fixed, tmp_path / "fixed.joblib")
    np.testing.assert_array_equal(joblib.load(tmp_path / "fixed.joblib").predict(X), expected)
