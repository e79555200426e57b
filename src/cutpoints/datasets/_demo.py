"""The demo: a 99:1 problem where the default cut at 0.5 is badly wrong.

It reproduces the classic threshold-moving example: ``make_classification`` with
10,000 rows and 1% positives, a 50/50 stratified split, and a logistic regression
whose test-set probabilities are the scores. Everything is generated from a fixed
seed, so no file is downloaded or shipped. Needs scikit-learn.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["DemoData", "load_demo"]


@dataclass(frozen=True)
class DemoData:
    """The demo data set.

    Attributes
    ----------
    X_train, X_test : ndarray of shape (5000, 2)
        Features.
    y_train, y_test : ndarray of int64, shape (5000,)
        Labels (1 = positive, about 1%).
    y_score : ndarray of float64, shape (5000,)
        The fitted logistic regression's probability of the positive class on ``X_test``.
    model : sklearn.linear_model.LogisticRegression
        The fitted model.
    """

    X_train: npt.NDArray[np.float64]
    X_test: npt.NDArray[np.float64]
    y_train: npt.NDArray[np.int64]
    y_test: npt.NDArray[np.int64]
    y_score: npt.NDArray[np.float64]
    model: Any


def load_demo(random_state: int = 2) -> DemoData:
    """Make the demo data: 10,000 rows, 99:1, split 50/50, scored by logistic regression.

    Parameters
    ----------
    random_state : int, default=2
        Seed for ``make_classification`` and the split.

    Returns
    -------
    DemoData

    Examples
    --------
    >>> from cutpoints.datasets import load_demo
    >>> demo = load_demo()
    >>> demo.y_test.shape, int(demo.y_test.sum())
    ((5000,), 50)
    """
    try:
        from sklearn.datasets import make_classification
        from sklearn.linear_model import LogisticRegression
        from sklearn.model_selection import train_test_split
    except ImportError as exc:  # pragma: no cover - exercised without scikit-learn
        msg = 'the demo needs scikit-learn: pip install "cutpoints[demo]"'
        raise ImportError(msg) from exc
    X, y = make_classification(
        n_samples=10_000,
        n_features=2,
        n_redundant=0,
        n_clusters_per_class=1,
        weights=[0.99],
        flip_y=0,
        random_state=4,
    )
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.5, random_state=random_state, stratify=y
    )
    model = LogisticRegression().fit(X_train, y_train)
    y_score = model.predict_proba(X_test)[:, 1]
    return DemoData(
        X_train, X_test, y_train.astype(np.int64), y_test.astype(np.int64), y_score, model
    )
