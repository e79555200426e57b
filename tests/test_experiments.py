"""Repeated experiments: splits, scores and curves against a by-hand oracle; selections
against find_cutpoint on each repeat's test set; joblib and Dask."""

from __future__ import annotations

import inspect

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.neighbors import KNeighborsClassifier

import cutpoints as cp
from cutpoints.datasets import load_demo
from cutpoints.errors import (
    CutpointsError,
    InfeasibleConstraintError,
    InvalidParameterError,
    UndefinedMetricError,
)
from cutpoints.uncertainty import BootstrapWarning

N_REPEATS = 4


@pytest.fixture(scope="module")
def demo():
    return load_demo()


def oracle_test_sets(estimator, X, y, *, random_state, n_repeats=N_REPEATS, pos_label=1,
                     weight=None, test_size=0.3):  # fmt: skip
    """Each repeat's (labels, scores, weights) on its test set, by hand: the documented
    seeds (child i of SeedSequence(random_state) gives the split's and the model's
    random_state), scikit-learn's split stratified by class, the positive class's
    predict_proba column."""
    out = []
    for child in np.random.SeedSequence(random_state).spawn(n_repeats):
        split_seed, model_seed = (int(v) for v in child.generate_state(2))
        is_pos = y == pos_label
        train, test = train_test_split(
            np.arange(len(y)), test_size=test_size, random_state=split_seed, stratify=is_pos
        )
        model = clone(estimator)
        if "random_state" in model.get_params(deep=False):
            model.set_params(random_state=model_seed)
        fit_params = {} if weight is None else {"sample_weight": weight[train]}
        model.fit(X[train], y[train], **fit_params)
        column = list(model.classes_).index(pos_label)
        score = model.predict_proba(X[test])[:, column]
        out.append((is_pos[test], score, None if weight is None else weight[test]))
    return out


def assert_same_curve(curve, reference):
    np.testing.assert_array_equal(curve.thresholds, reference.thresholds)
    np.testing.assert_array_equal(curve.tp, reference.tp)
    np.testing.assert_array_equal(curve.fp, reference.fp)
    assert curve.rule == reference.rule
    assert (curve.n_positive, curve.n_negative) == (reference.n_positive, reference.n_negative)


@pytest.fixture(scope="module")
def runs(demo):
    """One set of repeats, and the oracle's test sets for it."""
    res = cp.repeat_experiments(
        LogisticRegression(), demo.X_train, demo.y_train, n_repeats=N_REPEATS, random_state=3
    )
    sets = oracle_test_sets(LogisticRegression(), demo.X_train, demo.y_train, random_state=3)
    return res, sets


def test_curves_are_exact_sweeps_of_each_test_set(runs):
    res, sets = runs
    assert len(res.curves) == N_REPEATS
    for curve, (y, s, _) in zip(res.curves, sets):
        assert isinstance(curve, cp.ConfusionCurve)
        assert_same_curve(curve, cp.confusion_curve(y, s))
        assert curve.n_samples == len(y)


def test_joblib_matches_serial(demo, runs):
    res, _ = runs
    parallel = cp.repeat_experiments(
        LogisticRegression(), demo.X_train, demo.y_train, n_repeats=N_REPEATS, random_state=3,
        n_jobs=2,
    )  # fmt: skip
    for a, b in zip(res.curves, parallel.curves, strict=True):
        assert_same_curve(a, b)
    bands = res.bands()
    assert list(bands.columns) == ["metric", "threshold", "p2.5", "p50", "p97.5"]
    assert set(bands.metric) == {"precision", "recall", "f1", "flagged"}


def test_serial_is_the_default():
    assert inspect.signature(cp.repeat_experiments).parameters["n_jobs"].default is None
    assert inspect.signature(cp.bootstrap).parameters["n_jobs"].default is None


def test_bands_at_a_grid_threshold_by_hand(runs):
    res, sets = runs
    g = 0.05
    bands = res.bands(metrics=["flagged", "precision"], grid=[g], percentiles=[50])
    flagged = [int((s >= g).sum()) for _, s, _ in sets]
    precision = [(y & (s >= g)).sum() / (s >= g).sum() for y, s, _ in sets]
    table = bands.set_index("metric")["p50"]
    assert table["flagged"] == np.percentile(flagged, 50)
    assert table["precision"] == pytest.approx(np.percentile(precision, 50), rel=1e-12)


OPTIMA_CONSTRAINTS = [
    "precision >= 0.3", "recall >= 0.9", "flagged <= 20", "precision >= 0.6", "fpr <= 0.01",
]  # fmt: skip


@settings(max_examples=60, deadline=None)
@given(
    metric=st.sampled_from(["f1", "youden", "accuracy", "mcc", "cost(fp=1, fn=20)", "gmean"]),
    constraints=st.lists(st.sampled_from(OPTIMA_CONSTRAINTS), max_size=2, unique=True),
    ties=st.sampled_from(["highest", "lowest", "median"]),
    maximize=st.sampled_from([None, True, False]),
)
def test_each_repeats_optimum_is_find_cutpoint_on_its_test_set(
    runs, metric, constraints, ties, maximize
):
    res, sets = runs
    kwargs = {"constraints": constraints, "ties": ties, "maximize": maximize}
    table = res.optima(metric, **kwargs)
    assert list(table.status.index) == list(range(N_REPEATS))
    for i, (y, s, _) in enumerate(sets):
        row = table.iloc[i]
        try:
            ref = cp.find_cutpoint(y, s, metric=metric, **kwargs)
        except InfeasibleConstraintError:
            assert row.status == "infeasible"
            assert np.isnan(row.threshold)
            continue
        except UndefinedMetricError:
            assert row.status == "undefined"
            continue
        assert row.status == "ok"
        assert row.threshold == ref.threshold
        assert row[cp.get_metric(metric).name] == ref.score
        assert (row.tp, row.fp, row.tn, row.fn) == (ref.tp, ref.fp, ref.tn, ref.fn)


def test_at_optimum_summarizes_the_optima(runs):
    res, sets = runs
    opt = res.at_optimum("f1").set_index("quantity")
    per = [cp.find_cutpoint(y, s, metric="f1") for y, s, _ in sets]
    assert opt.loc["f1", "p50"] == pytest.approx(np.percentile([c.score for c in per], 50))
    assert opt.loc["threshold", "p50"] == np.percentile([c.threshold for c in per], 50)
    assert opt.attrs["status"] == {"ok": 4, "infeasible": 0, "undefined": 0, "one_class": 0}
    assert "f1" in str(res)
    assert res.summary().equals(res.at_optimum())


def test_infeasible_repeats_are_counted_not_dropped(runs):
    res, sets = runs
    # A precision floor at 90% recall that some test sets reach and others do not.
    half = ["recall >= 0.9"]
    best = sorted(
        cp.find_cutpoint(y, s, metric="precision", constraints=half).score for y, s, _ in sets
    )
    assert best[1] < best[2]
    constraints = [*half, f"precision >= {(best[1] + best[2]) / 2!r}"]
    with pytest.warns(
        BootstrapWarning, match=r"2 of 4 repeats had no threshold .*2 with infeasible"
    ):
        table = res.at_optimum("recall", constraints=constraints)
    assert table.attrs["status"]["infeasible"] == 2
    assert table.set_index("quantity").loc["threshold", "n"] == 2
    optima = res.optima("recall", constraints=constraints)
    assert list(optima.status).count("infeasible") == 2
    with pytest.raises(InfeasibleConstraintError, match="precision >= 1.1"):
        res.at_optimum("recall", constraints=["precision >= 1.1"])


def test_stored_selection_is_the_default(demo):
    res = cp.repeat_experiments(
        LogisticRegression(), demo.X_train, demo.y_train, n_repeats=2, random_state=5,
        metric="youden", constraints=["flagged <= 30"], ties="lowest",
    )  # fmt: skip
    assert res.at_optimum().equals(
        res.at_optimum("youden", constraints=["flagged <= 30"], ties="lowest")
    )
    assert not res.at_optimum().equals(res.at_optimum("f1", constraints=(), ties="highest"))


def test_at_capacity_is_the_lowest_threshold_within_capacity(runs):
    res, sets = runs
    cap = res.at_capacity(40).set_index("quantity")
    thresholds = []
    for y, s, _ in sets:
        ref = cp.find_cutpoint(
            y, s, metric="flagged", maximize=True, constraints=["flagged <= 40"], ties="lowest"
        )
        thresholds.append(ref.threshold)
        assert (s >= ref.threshold).sum() <= 40 < (s >= np.max(s[s < ref.threshold])).sum()
    assert cap.loc["threshold", "p50"] == np.percentile(thresholds, 50)
    assert cap.loc["flagged", "p97.5"] <= 40


def test_pos_label_scores_the_positive_class(demo):
    # Class 0 as the positive class: the model's probability of class 0 is thresholded.
    res = cp.repeat_experiments(
        LogisticRegression(), demo.X_train, demo.y_train, n_repeats=2, random_state=1,
        pos_label=0,
    )  # fmt: skip
    sets = oracle_test_sets(
        LogisticRegression(), demo.X_train, demo.y_train, random_state=1, n_repeats=2,
        pos_label=0,
    )  # fmt: skip
    for curve, (y, s, _) in zip(res.curves, sets):
        assert_same_curve(curve, cp.confusion_curve(y, s))
        assert curve.positive_label == 0
    labels = np.where(demo.y_train == 1, "fraud", "ok")
    named = cp.repeat_experiments(
        LogisticRegression(), demo.X_train, labels, n_repeats=2, random_state=1,
        pos_label="fraud",
    )  # fmt: skip
    sets = oracle_test_sets(
        LogisticRegression(), demo.X_train, labels, random_state=1, n_repeats=2,
        pos_label="fraud",
    )  # fmt: skip
    for curve, (y, s, _) in zip(named.curves, sets):
        assert_same_curve(curve, cp.confusion_curve(y, s))
        assert curve.positive_label == "fraud"


def test_sample_weight_fits_and_counts(demo):
    w = np.random.default_rng(0).integers(1, 4, size=len(demo.y_train))
    res = cp.repeat_experiments(
        LogisticRegression(), demo.X_train, demo.y_train, n_repeats=2, random_state=2,
        sample_weight=w,
    )  # fmt: skip
    sets = oracle_test_sets(
        LogisticRegression(), demo.X_train, demo.y_train, random_state=2, n_repeats=2, weight=w
    )
    for curve, (y, s, wt) in zip(res.curves, sets):
        assert_same_curve(curve, cp.confusion_curve(y, s, sample_weight=wt))
        assert curve.weighted
    with pytest.raises(
        InvalidParameterError, match=r"KNeighborsClassifier.fit takes no sample_weight"
    ):
        cp.repeat_experiments(KNeighborsClassifier(), demo.X_train, demo.y_train, sample_weight=w)


def test_lower_is_positive_rule(demo, runs):
    _, sets = runs
    low = cp.repeat_experiments(
        LogisticRegression(), demo.X_train, demo.y_train, n_repeats=N_REPEATS, random_state=3,
        rule="<=",
    )  # fmt: skip
    for curve, (y, s, _) in zip(low.curves, sets):
        assert_same_curve(curve, cp.confusion_curve(y, s, rule="<="))
    g = float(np.median(low.curves[0].thresholds[1:]))
    row = low.bands(metrics=["flagged"], grid=[g], percentiles=[50])
    assert row["p50"].iloc[0] == np.percentile([(s <= g).sum() for _, s, _ in sets], 50)


def test_bad_arguments(demo):
    X, y = demo.X_train, demo.y_train
    with pytest.raises(InvalidParameterError, match="'n_repeats'"):
        cp.repeat_experiments(LogisticRegression(), X, y, n_repeats=0)
    with pytest.raises(InvalidParameterError, match="'test_size'"):
        cp.repeat_experiments(LogisticRegression(), X, y, test_size=1.5)
    with pytest.raises(InvalidParameterError, match="'ties'"):
        cp.repeat_experiments(LogisticRegression(), X, y, ties="middle")
    with pytest.raises(InvalidParameterError, match="'response_method'"):
        cp.repeat_experiments(LogisticRegression(), X, y, response_method="proba")
    with pytest.raises(CutpointsError, match="f11"):  # before any fit
        cp.repeat_experiments(LogisticRegression(), X, y, metric="f11")
    with pytest.raises(InvalidParameterError, match="'random_state'"):
        cp.repeat_experiments(LogisticRegression(), X, y, random_state="seven")


def test_progress_bar_counts_every_repeat_on_stderr(demo, capsys):
    cp.repeat_experiments(
        LogisticRegression(), demo.X_train, demo.y_train, n_repeats=3, random_state=0,
        progress=True,
    )  # fmt: skip
    err = capsys.readouterr().err
    assert "experiments" in err and "3/3" in err
    cp.repeat_experiments(
        LogisticRegression(), demo.X_train, demo.y_train, n_repeats=3, random_state=0,
        progress=False,
    )  # fmt: skip
    assert capsys.readouterr().err == ""


@pytest.mark.cluster
# Dask may warn about closing workers / leaked resources on shutdown: not our code.
@pytest.mark.filterwarnings("ignore::ResourceWarning")
@pytest.mark.filterwarnings("ignore:.*(Port|port|closed|clos|leak).*:UserWarning")
@pytest.mark.filterwarnings("ignore::DeprecationWarning:distributed")
def test_dask_cluster_matches_local(demo, runs):
    from distributed import Client, LocalCluster

    res, _ = runs
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as cluster,
        Client(cluster) as client,
    ):
        d = cp.repeat_experiments(
            LogisticRegression(), demo.X_train, demo.y_train, n_repeats=N_REPEATS,
            client=client, random_state=3,
        )  # fmt: skip
    for a, b in zip(d.curves, res.curves, strict=True):
        assert_same_curve(a, b)
