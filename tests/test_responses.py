"""cutpoints._responses: the one way scores are read from a model."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import FixedThresholdClassifier, TunedThresholdClassifierCV
from sklearn.svm import SVC

import cutpoints as cp
from cutpoints._responses import (
    RESPONSE_METHODS,
    ThresholdModel,
    TunedParts,
    default_threshold,
    positive_scores,
    resolve_response_method,
    tuned_parts,
)
from cutpoints.errors import InvalidLabelsError, InvalidParameterError, NotFittedError


@pytest.fixture(scope="module")
def data():
    X, y = make_classification(n_samples=300, n_features=5, weights=[0.7], random_state=2)
    return X, y


@pytest.fixture(scope="module")
def model(data):
    X, y = data
    return LogisticRegression().fit(X, y)


# ----------------------------------------------------------------------- plain models


def test_each_response_method_and_pos_label(data, model):
    X, _ = data
    proba = model.predict_proba(X)
    raw = model.decision_function(X)
    np.testing.assert_array_equal(positive_scores(model, X), proba[:, 1])
    np.testing.assert_array_equal(positive_scores(model, X, pos_label=0), proba[:, 0])
    np.testing.assert_array_equal(
        positive_scores(model, X, response_method="decision_function"), raw
    )
    np.testing.assert_array_equal(
        positive_scores(model, X, response_method="decision_function", pos_label=0), -raw
    )
    hard = positive_scores(model, X, response_method="predict")
    assert hard.dtype == np.float64
    np.testing.assert_array_equal(hard, (model.predict(X) == 1).astype(float))
    np.testing.assert_array_equal(
        positive_scores(model, X, response_method="predict", pos_label=0), 1.0 - hard
    )


def test_string_labels_and_svc_decision_function(data):
    X, y = data
    labels = np.where(y == 1, "yes", "no")
    svc = SVC().fit(X, labels)
    assert resolve_response_method(svc) == "decision_function"
    raw = svc.decision_function(X)
    np.testing.assert_array_equal(positive_scores(svc, X), raw)  # classes_[1] == "yes"
    np.testing.assert_array_equal(positive_scores(svc, X, pos_label="no"), -raw)


def test_resolve_response_method(model):
    assert RESPONSE_METHODS == ("auto", "predict_proba", "decision_function", "predict")
    assert resolve_response_method(model) == "predict_proba"
    assert resolve_response_method(model, "predict") == "predict"
    assert resolve_response_method(LogisticRegression(), "decision_function") == (
        "decision_function"
    )  # an unfitted model: only its methods are looked at
    with pytest.raises(InvalidParameterError, match=r"'response_method' must be one of .*'proba'"):
        resolve_response_method(model, "proba")
    with pytest.raises(InvalidParameterError, match=r"'response_method' is 'predict_proba'.*SVC"):
        resolve_response_method(SVC(), "predict_proba")
    with pytest.raises(InvalidParameterError, match=r"\(object\) has no predict_proba or decision"):
        resolve_response_method(object())
    assert default_threshold("predict_proba") == 0.5
    assert default_threshold("decision_function") == 0.0


def test_errors_name_what_is_wrong(data, model):
    X, y = data
    with pytest.raises(InvalidParameterError, match=r"'pos_label' must be one of the classes"):
        positive_scores(model, X, pos_label=7)
    three = LogisticRegression().fit(X, np.arange(len(y)) % 3)
    with pytest.raises(InvalidLabelsError, match=r"binary classifier .*\[0, 1, 2\]"):
        positive_scores(three, X)
    with pytest.raises(NotFittedError, match=r"LogisticRegression\) has no classes_"):
        positive_scores(LogisticRegression(), X)


# ----------------------------------------------------------------------- tuned models


def test_cutpoint_classifier_is_scored_as_it_was_tuned(data):
    X, y = data
    clf = cp.CutpointClassifier(
        LogisticRegression(), cv=3, response_method="decision_function", pos_label=0
    ).fit(X, y)
    parts = tuned_parts(clf)
    assert isinstance(clf, ThresholdModel)
    assert parts == TunedParts(
        clf.estimator_, clf.cutpoint_, clf.threshold_, "decision_function", 0, ">="
    )
    raw = clf.estimator_.decision_function(X)
    # 'auto' means the tuned method and label, not the wrapper's own predict_proba
    np.testing.assert_array_equal(positive_scores(clf, X), -raw)
    np.testing.assert_array_equal(clf.predict(X) == 0, -raw >= clf.threshold_)
    with pytest.raises(NotFittedError, match="instance is not fitted"):
        tuned_parts(cp.CutpointClassifier(LogisticRegression()))


def test_fixed_cutpoint_classifier_prefit_and_fitted(data, model):
    X, y = data
    prefit = cp.FixedCutpointClassifier(model, threshold=0.3, rule="<=")
    parts = tuned_parts(prefit)
    assert parts is not None
    assert (parts.estimator, parts.threshold, parts.rule, parts.pos_label) == (
        model,
        0.3,
        "<=",
        1,
    )
    fitted = cp.FixedCutpointClassifier(LogisticRegression(), threshold=0.3).fit(X, y)
    fitted_parts = tuned_parts(fitted)
    assert fitted_parts is not None
    assert fitted_parts.estimator is fitted.estimator_
    with pytest.raises(NotFittedError):
        tuned_parts(cp.FixedCutpointClassifier(LogisticRegression(), threshold=0.3))


@pytest.mark.parametrize("pos_label", [None, 0])
def test_scikit_learn_threshold_wrappers(data, model, pos_label):
    """Their parts reproduce their own predict exactly."""
    X, y = data
    wrappers = [
        FixedThresholdClassifier(model, threshold=0.35, pos_label=pos_label),
        FixedThresholdClassifier(
            model, threshold="auto", response_method="decision_function", pos_label=pos_label
        ),
        TunedThresholdClassifierCV(
            LogisticRegression(),
            scoring="balanced_accuracy" if pos_label is None else "f1",
            cv=3,
        ).fit(X, y),
    ]
    for wrapper in wrappers:
        parts = tuned_parts(wrapper)
        assert parts is not None
        scores = positive_scores(wrapper, X)
        classes = np.asarray(parts.estimator.classes_)
        other = classes[classes != parts.pos_label][0]
        predicted = np.where(scores >= parts.threshold, parts.pos_label, other)
        np.testing.assert_array_equal(predicted, wrapper.predict(X))
    assert tuned_parts(wrappers[1]).threshold == 0.0  # 'auto' on a decision function
    with pytest.raises(NotFittedError, match="TunedThresholdClassifierCV"):
        tuned_parts(TunedThresholdClassifierCV(LogisticRegression()))
    with pytest.raises(NotFittedError, match="FixedThresholdClassifier"):
        tuned_parts(FixedThresholdClassifier(LogisticRegression()))


class _Wrapper:
    """A third party's fitted threshold wrapper: estimator_ and threshold_ only."""

    def __init__(self, estimator, threshold, pos_label=None):
        self.estimator_ = estimator
        self.threshold_ = threshold
        self.pos_label = pos_label


class _Declares:
    """Declares a threshold protocol of its own."""

    def __init__(self, parts):
        self.parts = parts

    def __cutpoints_tuned__(self):
        return self.parts


def test_protocols(data, model):
    X, _ = data
    parts = tuned_parts(_Wrapper(model, 0.4, pos_label=0))
    assert parts == TunedParts(model, None, 0.4, "predict_proba", 0, ">=")
    np.testing.assert_array_equal(
        positive_scores(_Wrapper(model, 0.4, pos_label=0), X), model.predict_proba(X)[:, 0]
    )
    own = TunedParts(model, None, 1.5, "decision_function", 1, "<=")
    assert tuned_parts(_Declares(own)) is own
    np.testing.assert_array_equal(positive_scores(_Declares(own), X), model.decision_function(X))


class MyCutpointLogistic(LogisticRegression):
    """A plain classifier whose class name happens to contain 'cutpoint'."""


def test_a_class_name_is_never_read(data):
    """Tuned models are recognized by type or protocol; a name proves nothing."""
    from cutpoints.plotting._base import scores_from_estimator

    X, y = data
    plain = MyCutpointLogistic().fit(X, y)
    assert tuned_parts(plain) is None
    expected = plain.predict_proba(X)[:, 1]
    np.testing.assert_array_equal(positive_scores(plain, X), expected)
    scores, cut, threshold, pos_label = scores_from_estimator(plain, X)
    np.testing.assert_array_equal(scores, expected)
    assert (cut, threshold, pos_label) == (None, None, 1)


def test_imports_and_scores_without_scikit_learn():
    code = textwrap.dedent(
        """
        import sys
        sys.modules["sklearn"] = None  # any import of scikit-learn now fails
        import numpy as np
        from cutpoints._responses import positive_scores, tuned_parts

        class Model:
            classes_ = np.array(["a", "b"])
            def predict_proba(self, X):
                p = np.asarray(X, dtype=float)[:, 0]
                return np.column_stack([1 - p, p])

        X = [[0.2], [0.9]]
        assert tuned_parts(Model()) is None
        print(positive_scores(Model(), X, pos_label="a").tolist())
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[0.8, 0.09999999999999998]"
