"""GroupDisplay draws each group's exact curve and chosen point; tested on its data."""

from __future__ import annotations

import os

os.environ.setdefault("MPLBACKEND", "Agg")

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest

import cutpoints as cp
from cutpoints.errors import InvalidParameterError
from cutpoints.plotting import GroupDisplay


@pytest.fixture
def data():
    rng = np.random.default_rng(4)
    g = rng.choice(np.array(["a", "b", "c"]), size=400)
    y = rng.random(400) < 0.3
    s = np.round(rng.random(400) + 0.4 * y, 3)
    return y, s, g


def test_group_display_draws_each_groups_curve_and_choice(data):
    y, s, g = data
    result = cp.find_cutpoint(
        y, s, groups=g, mode="joint", metric="tp", constraints="flagged <= 60"
    )
    disp = GroupDisplay.from_group_cutpoint(result, metric="recall")
    assert disp.groups == ["a", "b", "c"]
    for k, cut in result.cutpoints.items():
        m = g == k
        curve = cp.confusion_curve(y[m], s[m])
        assert np.array_equal(disp.thresholds[k], curve.thresholds[1:])
        assert np.array_equal(disp.values[k], curve.metric("recall")[1:])
        assert disp.chosen[k] == (cut.threshold, cut.metrics["recall"])
        assert disp.flagged[k] == cut.flagged
    assert sum(b.get_height() for b in disp.bars_) == result.flagged <= 60
    assert len(disp.lines_) == 3 and disp.ax_.get_ylabel() == "recall"
    plt.close("all")


def test_group_display_on_given_axes_and_bad_input(data):
    y, s, g = data
    _, axes = plt.subplots(1, 2)
    disp = GroupDisplay.from_predictions(y, s, g, metric="f1", ax=axes)
    assert disp.ax_ is axes[0] and disp.budget_ax_ is axes[1]
    with pytest.raises(InvalidParameterError, match="two matplotlib Axes"):
        GroupDisplay.from_predictions(y, s, g, ax=[axes[0]])
    loaded = cp.GroupCutpoint.from_json(disp.result.to_json())
    with pytest.raises(InvalidParameterError, match="has no curve"):
        GroupDisplay(loaded)
    with pytest.raises(InvalidParameterError, match="GroupCutpoint"):
        GroupDisplay(cp.find_cutpoint(y, s))
    plt.close("all")


def test_report_section_lists_every_group(data, tmp_path):
    from cutpoints._report._groups import group_page, groups_section

    y, s, g = data
    result = cp.find_cutpoint(y, s, groups=g, mode="joint", metric="accuracy",
                              constraints=["recall_gap <= 0.1"])  # fmt: skip
    html = groups_section(result)
    for k, t in result.thresholds.items():
        assert f"<td>{k}</td>" in html
        assert repr(t) in html or f"{t:.6g}" in html
    assert "recall gap between groups" in html and "chosen together" in html
    path = tmp_path / "groups.html"
    page = group_page(result, path=path)
    assert path.read_text(encoding="utf-8") == page and page.startswith("<!DOCTYPE html>")


def test_report_gets_the_per_group_section(data):
    pytest.importorskip("plotly")
    y, s, g = data
    page = cp.report(y, s, groups=g, metric="f1")
    result = cp.find_cutpoint(y, s, groups=g, metric="f1")
    assert "Thresholds per group (independent)" in page
    for k, t in result.thresholds.items():
        assert f"<td>{k}</td>" in page and repr(t) in page
    joint = cp.find_cutpoint(y, s, groups=g, mode="joint", metric="tp", constraints="flagged <= 50")
    page = cp.report(y, s, groups=joint, metric="tp")
    assert "Thresholds per group (joint)" in page and "chosen together" in page
    assert "Thresholds per group" not in cp.report(y, s)
