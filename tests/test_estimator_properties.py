"""Property tests: the estimator selects exactly what find_cutpoint selects on its scores.

A tiny real classifier whose scores are a column of X lets Hypothesis control the scores
(ties, extremes, weights) that :class:`CutpointClassifier` tunes on, for every tie rule,
both decision rules, with and without constraints: on the prefit path (the scores of
the given rows) and on the pooled out-of-fold path (every row's held-out score).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.model_selection import KFold

import cutpoints as cp
from cutpoints.errors import CutpointsError

from .strategies import binary_problems

METRICS = ["f1", "youden", "mcc", "accuracy", "cost(fp=1, fn=4)", "recall"]
CONSTRAINTS = ["precision >= 0.5", "recall >= 0.8", "fpr <= 0.25", "flagged <= 3", "npv >= 0.6"]


class ColumnScorer(ClassifierMixin, BaseEstimator):
    """Scores rows by their first feature (a decision function); fit learns nothing else.

    Its classes are both booleans even when a training fold holds one class only, so
    every fold can score its held-out rows.
    """

    def fit(self, X, y, sample_weight=None):
        self.classes_ = np.array([False, True])
        self.n_features_in_ = np.asarray(X).shape[1]
        return self

    def decision_function(self, X):
        return np.asarray(X, dtype=np.float64)[:, 0]


def _outcome(fn):
    """The Cutpoint, or the type of cutpoints error raised (both paths must agree)."""
    try:
        return fn()
    except CutpointsError as exc:
        return type(exc)


def _assert_same_selection(got, expected):
    if isinstance(expected, type) or isinstance(got, type):
        assert got is expected
        return
    assert got.threshold == expected.threshold or (
        np.isinf(got.threshold) and got.threshold == expected.threshold
    )
    assert (got.tp, got.fp, got.tn, got.fn) == (expected.tp, expected.fp, expected.tn, expected.fn)
    assert got.optimal_thresholds == expected.optimal_thresholds
    np.testing.assert_equal(got.score, expected.score)
    assert got.rule == expected.rule
    assert got == expected  # everything that is saved, too


problems = binary_problems(min_size=4, max_size=30)
choices = {
    "metric": st.sampled_from(METRICS),
    "constraints": st.lists(st.sampled_from(CONSTRAINTS), max_size=2, unique=True),
    "ties": st.sampled_from(["highest", "lowest", "median"]),
    "rule": st.sampled_from([">=", "<="]),
}


def _usable(y, score):
    # The estimator refuses one-class targets and constant scores before selecting (a
    # constant predictor); find_cutpoint answers those, so they are not compared here.
    return bool(y.any() and (~y).any() and score.min() < score.max())


@settings(max_examples=80, deadline=None)
@given(problem=problems, **choices)
def test_prefit_selection_equals_find_cutpoint(problem, metric, constraints, ties, rule):
    y, score, weight = problem
    assume(_usable(y, score))
    X = score.reshape(-1, 1)
    model = ColumnScorer().fit(X, y)
    options = {"metric": metric, "constraints": constraints, "ties": ties, "rule": rule}
    expected = _outcome(lambda: cp.find_cutpoint(y, score, sample_weight=weight, **options))
    got = _outcome(
        lambda: (
            cp.CutpointClassifier(model, cv="prefit", **options)
            .fit(X, y, sample_weight=weight)
            .cutpoint_
        )
    )
    _assert_same_selection(got, expected)


@settings(max_examples=60, deadline=None)
@given(problem=problems, **choices)
def test_pooled_out_of_fold_selection_equals_find_cutpoint(
    problem, metric, constraints, ties, rule
):
    y, score, weight = problem
    assume(_usable(y, score))
    X = score.reshape(-1, 1)
    options = {"metric": metric, "constraints": constraints, "ties": ties, "rule": rule}
    # Every row is held out once, so the pooled out-of-fold scores are all the scores.
    expected = _outcome(lambda: cp.find_cutpoint(y, score, sample_weight=weight, **options))
    clf = cp.CutpointClassifier(ColumnScorer(), cv=KFold(3), **options)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "fold k has no optimum of its own"
        got = _outcome(lambda: clf.fit(X, y, sample_weight=weight).cutpoint_)
    _assert_same_selection(got, expected)
    if isinstance(got, type):
        return
    np.testing.assert_array_equal(np.sort(clf.oof_indices_), np.arange(len(y)))
    np.testing.assert_array_equal(clf.oof_scores_, score[clf.oof_indices_])
    # each fold's own optimum is find_cutpoint on that fold alone (NaN when it has none)
    for k, (_, test) in enumerate(KFold(3).split(X)):
        w = None if weight is None else weight[test]
        own = _outcome(
            lambda t=test, w=w: cp.find_cutpoint(y[t], score[t], sample_weight=w, **options)
        )
        fold_threshold = clf.cv_results_["fold_threshold"][k]
        if isinstance(own, type):
            assert np.isnan(fold_threshold)
            assert clf.cv_results_["status"][k] != "ok"
        else:
            assert fold_threshold == own.threshold
            assert clf.cv_results_["status"][k] == "ok"


@pytest.mark.parametrize("aggregate", ["mean", "median"])
@settings(max_examples=30, deadline=None)
@given(problem=problems, ties=choices["ties"], rule=choices["rule"])
def test_aggregated_threshold_has_the_pooled_counts_there(problem, aggregate, ties, rule):
    y, score, weight = problem
    assume(_usable(y, score))
    X = score.reshape(-1, 1)
    clf = cp.CutpointClassifier(
        ColumnScorer(), cv=KFold(2), metric="youden", ties=ties, rule=rule, aggregate=aggregate
    )
    try:
        clf.fit(X, y, sample_weight=weight)
    except CutpointsError:
        return  # a fold without an optimum: aggregate refuses (tested elsewhere)
    per_fold = clf.cv_results_["fold_threshold"]
    assert clf.threshold_ == getattr(np, aggregate)(per_fold)
    if np.isfinite(clf.threshold_):
        flagged = score >= clf.threshold_ if rule == ">=" else score <= clf.threshold_
        w = np.ones(len(y)) if weight is None else weight
        assert clf.cutpoint_.tp == w[flagged & y].sum()
        assert clf.cutpoint_.fp == w[flagged & ~y].sum()
