"""CutpointClassifier(group_mode=...): per-group thresholds learned in fit, applied in predict.

Oracles: ``find_cutpoint(..., groups=...)`` on the very tuning scores the estimator used
(out-of-fold or the prefit model's), each group's own ``find_cutpoint`` on its rows, and
the rule ``score >= thresholds[group]`` written out row by row.
"""

from __future__ import annotations

import numpy as np
import pytest
import sklearn
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import cutpoints as cp
from cutpoints.errors import InvalidInputError, InvalidLabelsError, InvalidParameterError

from .strategies import TIE_POOL
from .test_groups import grouped_problems


class FirstColumn(ClassifierMixin, BaseEstimator):
    """A real (trivial) classifier whose positive-class probability is ``X[:, 0]``.

    With ``cv='prefit'`` the tuning scores are then exactly the column we chose.
    """

    def fit(self, X, y):
        self.classes_ = np.unique(y)
        self.n_features_in_ = np.asarray(X).shape[1]
        return self

    def predict_proba(self, X):
        p = np.asarray(X, dtype=float)[:, 0]
        return np.column_stack([1 - p, p])


def _data(n=900, seed=0):
    X, y = make_classification(
        n_samples=n, n_features=6, weights=[0.8], flip_y=0.05, random_state=seed
    )
    rng = np.random.default_rng(seed)
    groups = rng.choice(np.array(["north", "south", "west"]), size=n)
    # Group-dependent shift, so the groups' best thresholds really differ.
    X[:, 0] += np.select([groups == "north", groups == "south"], [1.5, -1.0], 0.0)
    return X, y, groups


def _fitted_prefit(X):
    return FirstColumn().fit(X, np.array([0, 1] * (len(X) // 2) + [0] * (len(X) % 2)))


# ------------------------------------------------------------------ tuning = find_cutpoint
def test_independent_cv_equals_find_cutpoint_on_the_out_of_fold_scores():
    X, y, g = _data()
    w = np.random.default_rng(1).integers(1, 4, size=len(y)).astype(float)
    clf = cp.CutpointClassifier(
        LogisticRegression(), group_mode="independent", metric="f1", random_state=0
    ).fit(X, y, sample_weight=w, groups=g)
    rows = clf.oof_indices_
    # The folds reorder the rows: the groups and weights must follow them.
    assert not np.array_equal(rows, np.arange(len(y)))
    expected = cp.find_cutpoint(
        y[rows], clf.oof_scores_, groups=g[rows], sample_weight=w[rows], metric="f1"
    )
    assert isinstance(clf.cutpoint_, cp.GroupCutpoint)
    assert clf.cutpoint_ == expected
    assert clf.thresholds_ == expected.thresholds
    assert len(set(clf.thresholds_.values())) == 3  # really one threshold per group
    for label, cut in clf.cutpoint_.cutpoints.items():
        m = g[rows] == label
        alone = cp.find_cutpoint(y[rows][m], clf.oof_scores_[m], sample_weight=w[rows][m])
        assert cut.threshold == alone.threshold
    assert not hasattr(clf, "threshold_")
    assert clf.cv_results_["n_test"].sum() == len(y)


def test_joint_prefit_equals_find_cutpoint_with_a_shared_budget():
    X, y, g = _data(seed=3)
    X[:, 0] = 1 / (1 + np.exp(-X[:, 0]))  # probabilities in (0, 1)
    model = _fitted_prefit(X)
    clf = cp.CutpointClassifier(
        model, cv="prefit", group_mode="joint", metric="tp", constraints=["flagged <= 120"]
    ).fit(X, y, groups=g)
    expected = cp.find_cutpoint(
        y, X[:, 0], groups=g, mode="joint", metric="tp", constraints=["flagged <= 120"]
    )
    assert clf.cutpoint_ == expected
    assert clf.cutpoint_.mode == "joint"
    assert clf.cutpoint_.flagged <= 120
    assert clf.estimator_ is model
    # predict on the tuning rows flags exactly the counted rows
    flagged = clf.predict(X, groups=g) == 1
    assert flagged.sum() == clf.cutpoint_.flagged
    assert (flagged & (y == 1)).sum() == clf.cutpoint_.tp


def test_joint_with_a_parity_limit_equals_find_cutpoint():
    X, y, g = _data(seed=4)
    X[:, 0] = 1 / (1 + np.exp(-X[:, 0]))
    constraints = ["flag_rate <= 0.3", "recall_gap <= 0.05"]
    clf = cp.CutpointClassifier(
        _fitted_prefit(X), cv="prefit", group_mode="joint", metric="recall",
        constraints=constraints,
    ).fit(X, y, groups=g)  # fmt: skip
    expected = cp.find_cutpoint(
        y, X[:, 0], groups=g, mode="joint", metric="recall", constraints=constraints
    )
    assert clf.cutpoint_ == expected
    assert [str(c) for c in clf.cutpoint_.gap_constraints] == ["recall_gap <= 0.05"]
    assert clf.cutpoint_.gap("recall") <= 0.05


@settings(max_examples=30, deadline=None)
@given(
    problem=grouped_problems(max_size=8, pool=TIE_POOL),
    metric=st.sampled_from(["f1", "youden", "cost(fp=1, fn=5)"]),
    ties=st.sampled_from(["highest", "lowest", "median"]),
    rule=st.sampled_from([">=", "<="]),
)
def test_prefit_property_equals_find_cutpoint(problem, metric, ties, rule):
    y, score, weight, groups = problem
    X = np.column_stack([score, np.zeros_like(score)])
    clf = cp.CutpointClassifier(
        _fitted_prefit(X), cv="prefit", group_mode="independent", metric=metric, ties=ties,
        rule=rule,
    )  # fmt: skip
    kwargs = {"metric": metric, "ties": ties, "rule": rule, "sample_weight": weight}
    try:
        expected = cp.find_cutpoint(y, score, groups=groups, **kwargs)
    except cp.errors.CutpointsError as exc:
        with pytest.raises(type(exc)):
            clf.fit(X, y, sample_weight=weight, groups=groups)
        return
    clf.fit(X, y, sample_weight=weight, groups=groups)
    assert clf.cutpoint_ == expected
    wanted = np.array([expected.thresholds[label] for label in groups.tolist()])
    flags = score >= wanted if rule == ">=" else score <= wanted
    np.testing.assert_array_equal(clf.predict(X, groups=groups), flags)


# ------------------------------------------------------------------ predict
def test_predict_applies_each_groups_threshold_with_string_labels():
    X, y, g = _data(seed=5)
    labels = np.where(y == 1, "fraud", "ok")
    clf = cp.CutpointClassifier(
        LogisticRegression(), group_mode="independent", pos_label="fraud"
    ).fit(X, labels, groups=g)
    scores = clf.predict_proba(X)[:, list(clf.classes_).index("fraud")]
    wanted = np.array([clf.thresholds_[label] for label in g])
    expected = np.where(scores >= wanted, "fraud", "ok")
    np.testing.assert_array_equal(clf.predict(X, groups=g), expected)
    assert clf.score(X, labels, groups=g) == np.mean(expected == labels)
    # One shared threshold would decide some rows differently.
    one = cp.CutpointClassifier(LogisticRegression(), pos_label="fraud").fit(X, labels)
    assert (one.predict(X) != expected).any()


def test_fallbacks_for_an_unseen_group():
    X, y, g = _data(seed=7)
    clf = cp.CutpointClassifier(LogisticRegression(), group_mode="independent").fit(X, y, groups=g)
    new = np.array(["north", "east", "south", "east"])
    with pytest.raises(InvalidInputError, match="group 'east' .* not seen in tuning"):
        clf.predict(X[:4], groups=new)
    scores = clf.predict_proba(X[:4])[:, 1]
    t = clf.thresholds_
    by_group = clf.set_params(fallback=("group", "west")).predict(X[:4], groups=new)
    np.testing.assert_array_equal(
        by_group, scores >= np.array([t["north"], t["west"], t["south"], t["west"]])
    )
    fixed = clf.set_params(fallback=("threshold", 0.25)).predict(X[:4], groups=new)
    np.testing.assert_array_equal(fixed, scores >= np.array([t["north"], 0.25, t["south"], 0.25]))
    clf.set_params(fallback=("group", "east"))
    with pytest.raises(InvalidParameterError, match="'fallback_group' must be a tuned group"):
        clf.predict(X[:4], groups=new)
    for bad in ["west", ("threshold", "x"), ("threshold", float("nan")), ("nearest", 1)]:
        clf.set_params(fallback=bad)
        with pytest.raises(InvalidParameterError, match="'fallback' must be"):
            clf.predict(X[:4], groups=new)
        with pytest.raises(InvalidParameterError, match="'fallback' must be"):
            clone(clf).fit(X, y, groups=g)


# ------------------------------------------------------------------ routing and splitters
def test_pipeline_routes_groups_to_fit_and_predict():
    X, y, g = _data(seed=11)
    with sklearn.config_context(enable_metadata_routing=True):
        clf = (
            cp.CutpointClassifier(LogisticRegression(), group_mode="independent")
            .set_fit_request(groups=True)
            .set_predict_request(groups=True)
            .set_score_request(groups=True)
        )
        pipe = make_pipeline(StandardScaler(), clf).fit(X, y, groups=g)
        routed = pipe.predict(X, groups=g)
        assert pipe.score(X, y, groups=g) == np.mean(routed == y)
        with pytest.raises(InvalidInputError, match="'groups' is required"):
            pipe.predict(X)
    Xs = StandardScaler().fit_transform(X)
    direct = cp.CutpointClassifier(LogisticRegression(), group_mode="independent")
    direct.fit(Xs, y, groups=g)
    assert pipe[-1].thresholds_ == direct.thresholds_
    np.testing.assert_array_equal(routed, direct.predict(Xs, groups=g))


def test_groups_also_reach_a_group_splitter():
    X, y, _ = _data(seed=13)
    g = np.arange(len(y)) % 6  # six groups, integer labels
    clf = cp.CutpointClassifier(LogisticRegression(), cv=GroupKFold(3), group_mode="independent")
    clf.fit(X, y, groups=g)
    ends = np.cumsum(clf.cv_results_["n_test"])
    folds = np.split(clf.oof_indices_, ends[:-1])
    seen = [set(g[rows].tolist()) for rows in folds]
    assert len(folds) == 3
    assert all(len(s) == 2 for s in seen)  # GroupKFold: whole groups per test fold
    assert set().union(*seen) == set(range(6))
    assert sorted(clf.thresholds_) == list(range(6))


def test_group_mode_none_keeps_one_threshold():
    X, y, g = _data(seed=17)
    clf = cp.CutpointClassifier(LogisticRegression(), group_mode="independent").fit(X, y, groups=g)
    # Without group_mode the groups only reach the splitter (which says it ignores them).
    with pytest.warns(UserWarning, match="groups parameter is ignored by StratifiedKFold"):
        clf.set_params(group_mode=None).fit(X, y, groups=g)
    assert not hasattr(clf, "thresholds_")
    assert isinstance(clf.cutpoint_, cp.Cutpoint)
    plain = cp.CutpointClassifier(LogisticRegression()).fit(X, y)
    assert clf.threshold_ == plain.threshold_
    np.testing.assert_array_equal(clf.predict(X, groups=g), plain.predict(X))


# ------------------------------------------------------------------ errors
def test_errors():
    X, y, g = _data(seed=19)
    grouped = cp.CutpointClassifier(LogisticRegression(), group_mode="independent")
    with pytest.raises(InvalidInputError, match="'groups' is required when group_mode is set"):
        clone(grouped).fit(X, y)
    with pytest.raises(InvalidInputError, match="same length"):
        clone(grouped).fit(X, y, groups=g[:-1])
    with pytest.raises(InvalidInputError, match="NaN"):
        clone(grouped).fit(X, y, groups=np.where(np.arange(len(y)) == 4, np.nan, 1.0))
    with pytest.raises(InvalidParameterError, match="'group_mode' must be None"):
        cp.CutpointClassifier(LogisticRegression(), group_mode="pooled").fit(X, y, groups=g)
    with pytest.raises(InvalidParameterError, match="'aggregate' must be 'pooled'"):
        clone(grouped).set_params(aggregate="mean").fit(X, y, groups=g)
    y3 = np.arange(len(y)) % 3
    with pytest.raises(InvalidParameterError, match="multiclass"):
        clone(grouped).fit(X, y3, groups=g)
    one_class = np.where(g == "west", 0, y)
    with pytest.raises(InvalidLabelsError, match="group 'west' holds only one class"):
        clone(grouped).fit(X, one_class, groups=g)
    with pytest.raises(InvalidParameterError, match="mode='joint'"):
        clone(grouped).set_params(constraints=["recall_gap <= 0.1"]).fit(X, y, groups=g)
    fitted = clone(grouped).fit(X, y, groups=g)
    with pytest.raises(InvalidInputError, match="'groups' is required"):
        fitted.predict(X)
    with pytest.raises(InvalidInputError, match="same length"):
        fitted.predict(X, groups=g[:10])
    with pytest.raises(InvalidParameterError, match="one threshold per group"):
        fitted.__cutpoints_tuned__()


def test_group_mode_with_per_row_values_equals_find_cutpoint():
    # Money per group: the named value column is fit metadata, taken at the tuning rows.
    X, y, g = _data(seed=5)
    X[:, 0] = 1 / (1 + np.exp(-X[:, 0]))
    amount = np.random.default_rng(5).integers(1, 200, len(y)).astype(float)
    values = {"tp": "amount", "fp": -5, "fn": "-amount"}
    clf = cp.CutpointClassifier(
        _fitted_prefit(X), cv="prefit", group_mode="independent", metric="value", values=values
    ).fit(X, y, groups=g, amount=amount)
    expected = cp.find_cutpoint(
        y, X[:, 0], groups=g, metric="value", values={"tp": amount, "fp": -5, "fn": -amount}
    )
    assert clf.cutpoint_ == expected
    assert clf.cutpoint_.score == sum(c.score for c in expected.cutpoints.values())


# ---------------------------------------------------------------- cross_validate


@pytest.fixture(scope="module")
def cv_data():
    X, y = make_classification(
        n_samples=450, n_features=5, weights=[0.8], flip_y=0.05, random_state=3
    )
    region = np.array(["north", "south", "west"])[np.arange(450) % 3]
    return X, y, region


def _by_hand(clf, X, y, region, splits):
    """Each outer fold fitted by hand: (its GroupCutpoint, its test rows' predictions)."""
    out = []
    for train, test in splits:
        tuned = clone(clf).fit(X[train], y[train], groups=region[train])
        out.append((tuned.cutpoint_, tuned.predict(X[test], groups=region[test])))
    return out


def _counts(y, pred):
    return np.array([np.sum((pred == 1) & (y == 1)), np.sum((pred == 1) & (y == 0)),
                     np.sum((pred == 0) & (y == 0)), np.sum((pred == 0) & (y == 1))])  # fmt: skip


@pytest.mark.parametrize(
    ("mode", "metric", "constraints"),
    [
        ("independent", "f1", []),
        pytest.param(
            "joint", "tp", ["flag_rate <= 0.2", "recall_gap <= 0.2"], marks=pytest.mark.slow
        ),
    ],
)
def test_cross_validate_grouped_equals_fitting_each_fold_by_hand(
    cv_data, mode, metric, constraints
):
    from sklearn.model_selection import StratifiedKFold

    X, y, region = cv_data
    res = cp.cross_validate(
        LogisticRegression(), X, y, metric=metric, constraints=constraints, cv=3, inner_cv=3,
        group_mode=mode, groups=region, return_estimators=True,
    )  # fmt: skip
    clf = cp.CutpointClassifier(
        LogisticRegression(), metric=metric, constraints=constraints, cv=3, group_mode=mode
    )
    splits = list(StratifiedKFold(3).split(X, y))
    objective = cp.get_metric(metric)
    totals = np.zeros(4)
    assert res.groups == ["north", "south", "west"] and res.thresholds.shape == (3, 3)
    assert "threshold" not in res.folds and res.threshold_spread == {}
    for k, (cut, pred) in enumerate(_by_hand(clf, X, y, region, splits)):
        test = splits[k][1]
        assert cut == res.estimators[k].cutpoint_
        for j, g in enumerate(res.groups):
            assert res.folds[f"threshold[{g}]"][k] == cut.thresholds[g] == res.thresholds[k, j]
        counts = _counts(y[test], pred)
        totals += counts
        honest = float(objective(*(np.array([c]) for c in counts))[0])
        assert res.folds["objective"][k] == pytest.approx(honest)
        assert res.folds["tuning_objective"][k] == cut.score
        assert res.folds["flag_rate"][k] == pytest.approx(pred.mean())
        if mode == "joint":  # the parity limit's gap, measured on the test fold
            recalls = [np.mean(pred[(region[test] == g) & (y[test] == 1)]) for g in res.groups]
            assert res.folds["recall_gap"][k] == pytest.approx(max(recalls) - min(recalls))
    assert [res.pooled[k] for k in ("tp", "fp", "tn", "fn")] == totals.tolist()
    spread = res.group_threshold_spread["west"]
    assert spread["range"] == pytest.approx(np.ptp(res.thresholds[:, 2]))
    assert "threshold[west]" in str(res)
    # The same model given as a configured CutpointClassifier: the same folds.
    again = cp.cross_validate(clf, X, y, cv=3, groups=region)
    for key, column in res.folds.items():
        np.testing.assert_array_equal(again.folds[key], column)


def test_cross_validate_grouped_unseen_groups_need_a_fallback(cv_data):
    X, y, region = cv_data
    # GroupKFold by region: every test fold is a region its training part never saw.
    with pytest.raises(InvalidInputError, match=r"group '\w+'.*outer fold 0 of 3"):
        cp.cross_validate(
            LogisticRegression(), X, y, cv=GroupKFold(3), inner_cv=3,
            group_mode="independent", groups=region,
        )  # fmt: skip
    res = cp.cross_validate(
        LogisticRegression(), X, y, cv=GroupKFold(3), inner_cv=3,
        group_mode="independent", groups=region, fallback=("threshold", 0.3),
    )  # fmt: skip
    clf = cp.CutpointClassifier(
        LogisticRegression(), cv=3, group_mode="independent", fallback=("threshold", 0.3)
    )
    splits = list(GroupKFold(3).split(X, y, region))
    for k, (cut, pred) in enumerate(_by_hand(clf, X, y, region, splits)):
        test = splits[k][1]
        assert set(region[test]).isdisjoint(cut.thresholds)
        counts = _counts(y[test], pred)
        assert res.folds["objective"][k] == pytest.approx(
            2 * counts[0] / (2 * counts[0] + counts[1] + counts[3])
        )
        assert np.isnan(res.folds[f"threshold[{region[test][0]}]"][k])


def test_cross_validate_grouped_errors(cv_data):
    X, y, region = cv_data
    with pytest.raises(InvalidParameterError, match="'groups' is required with group_mode"):
        cp.cross_validate(LogisticRegression(), X, y, cv=2, group_mode="joint")
    with pytest.raises(InvalidParameterError, match="'group_mode' must be None"):
        cp.cross_validate(LogisticRegression(), X, y, cv=2, group_mode="each", groups=region)
    clf = cp.CutpointClassifier(LogisticRegression(), group_mode="independent")
    with pytest.raises(InvalidParameterError, match="'metric' must be left at its default"):
        cp.cross_validate(clf, X, y, metric="mcc", groups=region)
    with pytest.raises(InvalidParameterError, match="'group_mode' must be left at its default"):
        cp.cross_validate(clf, X, y, group_mode="joint", groups=region)
    with pytest.raises(InvalidInputError, match="groups"):
        cp.cross_validate(LogisticRegression(), X, y, group_mode="joint", groups=region[:-1])


def test_cross_validate_grouped_weights_the_test_counts(cv_data):
    from sklearn.model_selection import StratifiedKFold

    X, y, region = cv_data
    w = np.random.default_rng(5).integers(1, 4, size=len(y)).astype(float)
    res = cp.cross_validate(
        LogisticRegression(), X, y, metric="recall", constraints="precision >= 0.6",
        cv=2, inner_cv=2, group_mode="independent", groups=region, sample_weight=w,
    )  # fmt: skip
    clf = cp.CutpointClassifier(
        LogisticRegression(), metric="recall", constraints="precision >= 0.6", cv=2,
        group_mode="independent",
    )  # fmt: skip
    totals = np.zeros(4)
    for k, (train, test) in enumerate(StratifiedKFold(2).split(X, y)):
        tuned = clone(clf).fit(X[train], y[train], sample_weight=w[train], groups=region[train])
        pred = tuned.predict(X[test], groups=region[test])
        yt, wt = y[test], w[test]
        counts = np.array([wt[(pred == 1) & (yt == 1)].sum(), wt[(pred == 1) & (yt == 0)].sum(),
                           wt[(pred == 0) & (yt == 0)].sum(), wt[(pred == 0) & (yt == 1)].sum()])  # fmt: skip
        totals += counts
        assert res.folds["objective"][k] == pytest.approx(counts[0] / (counts[0] + counts[3]))
        assert res.folds["precision"][k] == pytest.approx(counts[0] / (counts[0] + counts[1]))
        assert res.folds["n_positive"][k] == counts[0] + counts[3]
    assert [res.pooled[k] for k in ("tp", "fp", "tn", "fn")] == pytest.approx(totals.tolist())
