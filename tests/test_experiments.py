"""Repeated experiments: joblib, Dask, bands and ranges."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

import cutpoints as cp
from cutpoints._experiments import _one_experiment
from cutpoints.datasets import load_demo
from cutpoints.errors import InvalidParameterError


@pytest.fixture(scope="module")
def demo():
    return load_demo()


def test_curves_are_exact_sweeps(demo):
    thresholds, tp, fp = _one_experiment(LogisticRegression(), demo.X_train, demo.y_train, 0.3, 0)
    from sklearn.base import clone
    from sklearn.model_selection import train_test_split

    idx = np.arange(len(demo.y_train))
    train, test = train_test_split(idx, test_size=0.3, random_state=0, stratify=demo.y_train)
    model = clone(LogisticRegression()).fit(demo.X_train[train], demo.y_train[train])
    s = model.predict_proba(demo.X_train[test])[:, 1]
    ref = cp.confusion_curve(demo.y_train[test], s)
    np.testing.assert_array_equal(ref.thresholds, thresholds)
    np.testing.assert_array_equal(ref.tp, tp)
    np.testing.assert_array_equal(ref.fp, fp)


def test_joblib_matches_sequential(demo):
    a = cp.repeat_experiments(
        LogisticRegression(),
        demo.X_train,
        demo.y_train,
        n_repeats=4,
        n_jobs=1,
        random_state=3,
        progress=False,
    )
    b = cp.repeat_experiments(
        LogisticRegression(),
        demo.X_train,
        demo.y_train,
        n_repeats=4,
        n_jobs=2,
        random_state=3,
        progress=False,
    )
    for ca, cb in zip(a.curves, b.curves, strict=True):
        for xa, xb in zip(ca, cb, strict=True):
            np.testing.assert_array_equal(xa, xb)
    bands = a.bands()
    assert list(bands.columns) == ["metric", "threshold", "p2.5", "p50", "p97.5"]
    assert set(bands.metric) == {"precision", "recall", "f1", "flagged"}


def test_ranges_at_optimum_and_capacity(demo):
    res = cp.repeat_experiments(
        LogisticRegression(),
        demo.X_train,
        demo.y_train,
        n_repeats=5,
        n_jobs=1,
        random_state=0,
        progress=False,
    )
    opt = res.at_optimum("f1").set_index("quantity")
    per = [
        cp.select_cutpoint(
            cp.ConfusionCurve(t, tp, fp, n_positive=tp[-1], n_negative=fp[-1], n_samples=0),
            metric="f1",
        )
        for t, tp, fp in res.curves
    ]
    np.testing.assert_allclose(opt.loc["f1", "p50"], np.percentile([c.score for c in per], 50))
    np.testing.assert_allclose(
        opt.loc["threshold", "p50"], np.percentile([c.threshold for c in per], 50)
    )
    cap = res.at_capacity(40).set_index("quantity")
    assert cap.loc["flagged", "p97.5"] <= 40
    assert "f1" in str(res)


def test_bad_arguments(demo):
    with pytest.raises(InvalidParameterError, match="'n_repeats'"):
        cp.repeat_experiments(LogisticRegression(), demo.X_train, demo.y_train, n_repeats=0)
    with pytest.raises(InvalidParameterError, match="'test_size'"):
        cp.repeat_experiments(LogisticRegression(), demo.X_train, demo.y_train, test_size=1.5)


@pytest.mark.cluster
# Dask may warn about closing workers / leaked resources on shutdown: not our code.
@pytest.mark.filterwarnings("ignore::ResourceWarning")
@pytest.mark.filterwarnings("ignore:.*(Port|port|closed|clos|leak).*:UserWarning")
@pytest.mark.filterwarnings("ignore::DeprecationWarning:distributed")
def test_dask_cluster_matches_local(demo):
    from distributed import Client, LocalCluster

    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        Client(cluster) as client,
    ):
        d = cp.repeat_experiments(
            LogisticRegression(),
            demo.X_train,
            demo.y_train,
            n_repeats=4,
            client=client,
            random_state=1,
            progress=False,
        )
    local = cp.repeat_experiments(
        LogisticRegression(),
        demo.X_train,
        demo.y_train,
        n_repeats=4,
        n_jobs=1,
        random_state=1,
        progress=False,
    )
    for ca, cb in zip(d.curves, local.curves, strict=True):
        for xa, xb in zip(ca, cb, strict=True):
            np.testing.assert_array_equal(xa, xb)
            assert isinstance(xa, np.ndarray)


def test_progress_bar_forced_on(demo):
    res = cp.repeat_experiments(
        LogisticRegression(),
        demo.X_train,
        demo.y_train,
        n_repeats=2,
        n_jobs=1,
        random_state=0,
        progress=True,
    )
    assert res.n_repeats == 2
    assert len(res.curves) == 2
