"""Published results on real data, reproduced.

The suicide-screening data bundled with R's cutpointr (532 adults; the DSI suicidality
score, 0-11; past suicide attempt as the outcome) reduces to the counts below. cutpointr's
documentation reports, for Youden's J with higher DSI meaning positive, the optimal
cutpoint DSI >= 2 with sensitivity 0.8889 and specificity 0.8629, and AUC 0.9238.
"""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

import cutpoints as cp

# DSI score -> (attempters "yes", non-attempters "no")
SUICIDE_COUNTS = {
    0: (2, 376), 1: (2, 52), 2: (3, 12), 3: (1, 12), 4: (8, 28), 5: (4, 10),
    6: (9, 5), 7: (3, 0), 8: (1, 0), 9: (1, 0), 10: (1, 1), 11: (1, 0),
}  # fmt: skip


def suicide_rows() -> tuple[np.ndarray, np.ndarray]:
    labels, scores = [], []
    for dsi, (yes, no) in SUICIDE_COUNTS.items():
        labels += ["yes"] * yes + ["no"] * no
        scores += [dsi] * (yes + no)
    return np.array(labels), np.array(scores)


def test_youden_optimum_matches_cutpointr():
    labels, dsi = suicide_rows()
    assert len(dsi) == 532
    cut = cp.find_cutpoint(labels, dsi, metric="youden", pos_label="yes")
    assert cut.threshold == 2
    assert (cut.tp, cut.fp, cut.tn, cut.fn) == (32, 68, 428, 4)
    assert cut.metrics["recall"] == pytest.approx(0.8889, abs=5e-5)  # sensitivity
    assert cut.metrics["specificity"] == pytest.approx(0.8629, abs=5e-5)
    assert cut.predict([1, 2]).tolist() == ["no", "yes"]


def test_auc_from_the_curve_matches_published_value():
    labels, dsi = suicide_rows()
    curve = cp.confusion_curve(labels, dsi, pos_label="yes")
    fpr, tpr = curve.metric("fpr"), curve.metric("tpr")
    auc = np.sum(np.diff(fpr) * (tpr[1:] + tpr[:-1]) / 2)  # trapezoids: ties count half
    assert auc == pytest.approx(0.9238, abs=5e-5)
    assert auc == pytest.approx(roc_auc_score(labels == "yes", dsi), rel=1e-12)


def test_counts_as_weights_equal_the_rows():
    labels, dsi = suicide_rows()
    rows = cp.find_cutpoint(labels, dsi, metric="youden", pos_label="yes")
    weighted_labels = ["yes", "no"] * len(SUICIDE_COUNTS)
    weighted_scores = [d for d in SUICIDE_COUNTS for _ in range(2)]
    weights = [w for pair in SUICIDE_COUNTS.values() for w in pair]
    weighted = cp.find_cutpoint(
        weighted_labels, weighted_scores, metric="youden", pos_label="yes", sample_weight=weights
    )
    assert (weighted.threshold, weighted.tp, weighted.fp) == (rows.threshold, rows.tp, rows.fp)
    assert weighted.score == rows.score
