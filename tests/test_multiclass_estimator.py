"""CutpointClassifier on a multiclass target: class weights tuned on out-of-fold probabilities.

The oracle is :func:`cutpoints.find_class_weights` on out-of-fold probabilities computed
here by hand with the same folds.
"""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_wine, make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC
from sklearn.utils.estimator_checks import parametrize_with_checks

import cutpoints as cp
from cutpoints.errors import InvalidLabelsError, InvalidParameterError
from cutpoints.multiclass import find_class_weights

# The point of tuned weights is to decide differently from argmax(predict_proba), which
# check_classifiers_train asserts; scikit-learn expects the same failure from its own
# TunedThresholdClassifierCV.
EXPECTED = {"check_classifiers_train": "tuned class weights move decisions off the argmax"}


@parametrize_with_checks(
    [cp.CutpointClassifier(LogisticRegression(), cv=3)],
    expected_failed_checks=lambda _: EXPECTED,
)
def test_sklearn_compatible_with_multiclass_tags(estimator, check):
    check(estimator)


@pytest.fixture(scope="module")
def wine():
    X, y = load_wine(return_X_y=True)
    return X, y


def _model():
    return make_pipeline(StandardScaler(), LogisticRegression(C=0.05))


def _oof_proba(X, y, splits):
    proba = np.empty((len(y), len(np.unique(y))))
    for train, test in splits:
        proba[test] = clone(_model()).fit(X[train], y[train]).predict_proba(X[test])
    rows = np.concatenate([test for _, test in splits])
    return proba[rows], rows


@pytest.mark.parametrize(
    "metric", ["balanced_accuracy", "macro_f1", "cost(matrix=[[0, 1, 1], [5, 0, 1], [1, 1, 0]])"]
)
def test_weights_equal_the_function_on_pooled_out_of_fold_probabilities(wine, metric):
    X, y = wine
    cv = StratifiedKFold(4, shuffle=True, random_state=0)
    clf = cp.CutpointClassifier(_model(), metric=metric, cv=cv).fit(X, y)
    proba, rows = _oof_proba(X, y, list(cv.split(X, y)))
    expected = find_class_weights(y[rows], proba, metric=metric)
    assert clf.class_weights_.score == expected.score
    np.testing.assert_array_equal(clf.class_weights_.weights, expected.weights)
    np.testing.assert_array_equal(clf.oof_indices_, rows)
    assert not hasattr(clf, "threshold_") and not hasattr(clf, "cutpoint_")


def test_predict_applies_the_weights_and_predict_proba_passes_through(wine):
    X, y = wine
    clf = cp.CutpointClassifier(_model(), metric="balanced_accuracy", cv=3).fit(X, y)
    proba = clf.estimator_.predict_proba(X)
    np.testing.assert_array_equal(clf.predict_proba(X), proba)
    expected = clf.classes_[np.argmax(proba * clf.class_weights_.weights, axis=1)]
    np.testing.assert_array_equal(clf.predict(X), expected)
    assert clf.classes_.tolist() == [0, 1, 2]


def test_predict_moves_decisions_off_the_argmax():
    X, y = make_classification(
        n_samples=1500, n_classes=3, n_informative=3, weights=[0.8, 0.15], flip_y=0.05,
        random_state=1,
    )  # fmt: skip
    clf = cp.CutpointClassifier(LogisticRegression(), cv=4).fit(X, y)
    proba = clf.predict_proba(X)
    moved = clf.predict(X) != clf.estimator_.predict(X)
    assert moved.any()  # the tuned weights change some decisions ...
    expected = clf.classes_[np.argmax(proba * clf.class_weights_.weights, axis=1)]
    np.testing.assert_array_equal(clf.predict(X), expected)  # ... exactly as they say


def test_default_f1_means_macro_f1_and_binary_only_metrics_are_refused(wine):
    X, y = wine
    clf = cp.CutpointClassifier(_model(), cv=3).fit(X, y)
    assert clf.class_weights_.metric.name == "macro_f1"
    with pytest.raises(
        InvalidParameterError, match=r"'metric' 'gmean' has no multiclass counterpart"
    ):
        cp.CutpointClassifier(_model(), metric="gmean").fit(X, y)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"constraints": "precision >= 0.9"}, r"'constraints' bound one threshold's metrics"),
        ({"rule": "<="}, r"'rule' must be '>=' on a multiclass target"),
        ({"pos_label": 1}, r"'pos_label' has no meaning on a multiclass target"),
        ({"aggregate": "mean"}, r"'aggregate' must be 'pooled' on a multiclass target"),
        ({"response_method": "decision_function"}, r"'response_method' must be 'auto' or"),
        ({"maximize": False}, r"'maximize' cannot flip multiclass metric 'macro_f1'"),
        ({"refit": "yes"}, r"'refit' must be True, False or 'auto'"),
    ],
)
def test_binary_only_options_are_refused_by_name(wine, kwargs, message):
    X, y = wine
    with pytest.raises(InvalidParameterError, match=message):
        cp.CutpointClassifier(_model(), **kwargs).fit(X, y)


def test_estimator_without_predict_proba(wine):
    X, y = wine
    with pytest.raises(InvalidParameterError, match=r"LinearSVC\) has no predict_proba"):
        cp.CutpointClassifier(LinearSVC()).fit(X, y)


def test_text_labels_prefit_and_hold_out(wine):
    X, y = wine
    names = np.array(["barolo", "grignolino", "barbera"])[y]
    model = _model().fit(X[::2], names[::2])
    prefit = cp.CutpointClassifier(model, cv="prefit").fit(X[1::2], names[1::2])
    assert prefit.estimator_ is model
    assert set(prefit.predict(X).tolist()) <= set(names.tolist())
    held = cp.CutpointClassifier(_model(), cv=0.3, refit=False, random_state=0).fit(X, names)
    assert held.class_weights_.n_samples == int(np.ceil(0.3 * len(y)))
    assert held.predict(X[:3]).dtype.kind == "U"


def test_a_fold_without_some_class_gets_a_zero_column():
    X, y = make_classification(n_samples=60, n_classes=3, n_informative=4, random_state=0)
    y[:] = np.arange(60) % 2
    y[:3] = 2  # class 2 only among the first fold's test rows
    splits = [(np.arange(30, 60), np.arange(0, 30)), (np.arange(0, 30), np.arange(30, 60))]
    clf = cp.CutpointClassifier(LogisticRegression(), cv=splits).fit(X, y)
    assert clf.oof_proba_.shape == (60, 3)
    assert (clf.oof_proba_[:30, 2] == 0).all()  # that fold's model never saw class 2
    assert (clf.oof_proba_[30:, 2] > 0).all()


def test_refitting_switches_between_binary_and_multiclass_state(wine):
    X, y = wine
    clf = cp.CutpointClassifier(_model(), cv=3).fit(X, y)
    clf.fit(X, (y == 1).astype(int))
    assert not hasattr(clf, "class_weights_") and hasattr(clf, "threshold_")
    clf.fit(X, y)
    assert hasattr(clf, "class_weights_") and not hasattr(clf, "threshold_")
    with pytest.raises(InvalidLabelsError, match="fitted on a multiclass target"):
        clf.__cutpoints_tuned__()


def test_sample_weight_weights_the_tuning(wine):
    X, y = wine
    w = np.where(y == 2, 5.0, 1.0)
    X = StandardScaler().fit_transform(X)
    clf = cp.CutpointClassifier(LogisticRegression(C=0.05), cv=3).fit(X, y, sample_weight=w)
    assert clf.class_weights_.weighted
    assert clf.class_weights_.confusion_matrix.sum() == pytest.approx(w.sum())
