"""Per-row values through the histogram engine: the sort engine's answer, exactly.

Values are integer-valued (and weights dyadic), so every sum is exact in float64 in any
order and the answers compare EQUAL: threshold, counts, the value of each outcome, tied
optima and runners-up (``Cutpoint.to_dict()`` without the curve's fingerprint). Small
engines (few bins, ``sort_rows=0``, no fallback to a full sort) exercise the per-bin
value bounds, refinement and several counting levels on every example.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import cutpoints as cp
from cutpoints.engines import BinnedCurve, HistogramEngine
from cutpoints.engines._histogram import bins_to_refine
from cutpoints.errors import CutpointsError

from .strategies import binary_problems

OUTCOMES = ("tp", "fp", "fn", "tn")
SMALL = {
    "bits=1": HistogramEngine(bits=1, full_share=1.0, sort_rows=0),
    "bits=2": HistogramEngine(bits=2, full_share=1.0, sort_rows=3),
    "bits=4": HistogramEngine(bits=4, full_share=1.0),
}
CONSTRAINTS = ["flagged <= 5", "precision >= 0.5", "value >= 0", "value >= -50", "recall >= 0.3"]


def answer(cut: cp.Cutpoint) -> dict[str, object]:
    data = cut.to_dict()
    data["data"] = {k: v for k, v in data["data"].items() if k != "fingerprint"}
    return data


def outcome(y, score, weight, engine, **kwargs):
    """The answer, or the exception's type and message."""
    try:
        cut = cp.find_cutpoint(y, score, sample_weight=weight, engine=engine, **kwargs)
    except CutpointsError as exc:
        return type(exc), str(exc)
    return answer(cut)


@st.composite
def value_problems(draw, **kwargs):
    """A binary problem plus integer-valued values: scalars or one per row."""
    y, score, weight = draw(binary_problems(**kwargs))
    n = len(y)
    values = {}
    for key in draw(st.lists(st.sampled_from(OUTCOMES), min_size=1, max_size=4, unique=True)):
        if draw(st.booleans()):
            values[key] = float(draw(st.integers(-20, 20)))
        else:
            values[key] = draw(hnp.arrays(np.int64, n, elements=st.integers(-100, 100))) * 1.0
    if isinstance(values.get("tp"), np.ndarray) and draw(st.booleans()):
        values["fn"] = -values["tp"]  # the money case: a derived column
    return y, score, weight, values


@settings(max_examples=150, deadline=None)
@given(
    problem=value_problems(integer_weights=False),
    engine=st.sampled_from(list(SMALL)),
    constraints=st.lists(st.sampled_from(CONSTRAINTS), max_size=2, unique=True),
    ties=st.sampled_from(["highest", "lowest", "median"]),
    rule=st.sampled_from([">=", "<="]),
    maximize=st.sampled_from([None, False]),
)
def test_value_answers_are_identical(problem, engine, constraints, ties, rule, maximize):
    y, score, weight, values = problem
    kwargs = {
        "metric": "value",
        "values": values,
        "constraints": constraints,
        "ties": ties,
        "rule": rule,
        "maximize": maximize,
    }
    expected = outcome(y, score, weight, "sort", **kwargs)
    assert outcome(y, score, weight, SMALL[engine], **kwargs) == expected
    assert outcome(y, score, weight, "histogram", **kwargs) == expected


@settings(max_examples=60, deadline=None)
@given(
    problem=value_problems(min_size=2),
    spec=st.sampled_from(["f1", "flagged", "cost(fp=1, fn=4)"]),
    rule=st.sampled_from([">=", "<="]),
)
def test_other_objectives_with_value_constraints(problem, spec, rule):
    y, score, weight, values = problem
    kwargs = {"metric": spec, "values": values, "constraints": ["value >= -20"], "rule": rule}
    expected = outcome(y, score, weight, "sort", **kwargs)
    for engine in SMALL.values():
        assert outcome(y, score, weight, engine, **kwargs) == expected


def test_big_input_refines_and_carries_exact_value_columns():
    rng = np.random.default_rng(7)
    n = 30_000
    y = rng.random(n) < 0.1
    score = np.round(rng.normal(1.5 * y, 1.0), 3)
    amount = rng.integers(1, 200, n).astype(float)
    weight = rng.integers(0, 4, n)
    values = {"tp": amount, "fp": -20.0, "fn": -amount, "tn": 1.0}
    kwargs = {"metric": "value", "values": values, "sample_weight": weight}
    expected = cp.find_cutpoint(y, score, engine="sort", **kwargs)
    for engine in (HistogramEngine(), HistogramEngine(bits=6, full_share=1.0, sort_rows=200)):
        cut = cp.find_cutpoint(y, score, engine=engine, **kwargs)
        assert answer(cut) == answer(expected)
        curve = cut.curve
        assert isinstance(curve, BinnedCurve)
        if engine.bits == 16:
            assert curve.n_refined_rows < n // 5  # the value bound skipped most bins
        # Every row's value split is that of flagging with its threshold.
        full = expected.curve
        rows = full.rows_at(curve.thresholds[1:])
        for key in OUTCOMES:
            np.testing.assert_array_equal(
                curve.values.outcome(key)[1:], full.values.outcome(key)[rows]
            )
        # full() keeps the value columns.
        whole = curve.full()
        np.testing.assert_array_equal(whole.metric("value"), full.metric("value"))


def test_value_bound_covers_every_row_of_a_bin():
    # Two bins; the lower holds a row worth +100 and one worth -100 when flagged: its
    # edges are worth the same, but a row inside is worth 100 more, so it is refined.
    y = np.array([True, False, True, False])
    score = np.array([0.9, 0.8, 0.2, 0.1])
    values = {"tp": np.array([0.0, 0.0, 100.0, 0.0]), "fp": np.array([0.0, 0.0, 0.0, -100.0])}
    engine = HistogramEngine(bits=1, full_share=1.0, sort_rows=0)
    cut = cp.find_cutpoint(y, score, metric="value", values=values, engine=engine)
    assert cut.threshold == 0.2
    assert cut.value_by_outcome["tp"] == 100.0


def test_bins_to_refine_bounds_value_with_gains():
    from cutpoints._counts import Counts

    # Edges worth 0, 0, 0; bin 0 can gain 5 inside, bin 1 nothing above its edge.
    edges = Counts(np.array([0, 1, 2]), np.array([0, 1, 2]), 2, 2, columns={"value": np.zeros(3)})
    value = cp.get_metric("value")
    gains = (np.array([5.0, 0.0]), np.array([-5.0, 0.0]))
    keep = bins_to_refine(edges, value, (), maximize=True, n_runners_up=0, gains=gains)
    assert keep is not None and keep.tolist() == [True, True]  # ties at 0 live in bin 1
    gains = (np.array([5.0, -1.0]), np.array([-5.0, -1.0]))
    keep = bins_to_refine(edges, value, (), maximize=True, n_runners_up=0, gains=gains)
    assert keep is not None and keep.tolist() == [True, False]
    # Without gains "value" cannot be bounded (it declares no monotonicity).
    assert bins_to_refine(edges, value, (), maximize=True, n_runners_up=0) is None


@pytest.mark.parametrize("rule", [">=", "<="])
def test_infeasible_value_constraint_names_the_full_curve(rule):
    y = np.array([True, False, True, False] * 50)
    score = np.linspace(0, 1, 200)
    values = {"tp": 1.0, "fp": -1.0}
    kwargs = {"metric": "value", "values": values, "constraints": ["value >= 1000"], "rule": rule}
    expected = outcome(y, score, None, "sort", **kwargs)
    assert isinstance(expected, tuple)
    assert outcome(y, score, None, HistogramEngine(bits=2, full_share=1.0), **kwargs) == expected


def test_auto_engine_uses_the_histogram_with_values_on_float32_scores():
    from cutpoints.engines import AUTO_HISTOGRAM_MIN_ROWS

    rng = np.random.default_rng(3)
    n = AUTO_HISTOGRAM_MIN_ROWS
    y = rng.random(n) < 0.1
    score = rng.normal(1.5 * y, 1.0).astype(np.float32)
    amount = rng.integers(1, 100, n) * 1.0
    values = {"tp": amount, "fp": -20.0, "fn": -amount}
    expected = cp.find_cutpoint(y, score, metric="value", values=values, engine="sort")
    cut = cp.find_cutpoint(y, score, metric="value", values=values)  # engine="auto"
    assert isinstance(cut.curve, BinnedCurve)  # not the full sort any more
    assert answer(cut) == answer(expected)
