"""Per-row values through ``cp.scan``: files streamed give the in-memory sort answer.

Values are integer-valued (weights dyadic), so every sum is exact in float64 in any
order and the answers compare EQUAL: threshold, counts, the value of each outcome, tied
optima and runners-up (``Cutpoint.to_dict()`` without the curve's fingerprint and the
scan's column names), or the exception's type and message. Engines with few bins, tiny
batches and several files exercise the counting levels, the per-bin value sums and the
refining pass on every example.
"""

from __future__ import annotations

import os
import tempfile

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import cutpoints as cp
from cutpoints.engines import BinnedCurve, HistogramEngine
from cutpoints.errors import CutpointsError, InvalidInputError, InvalidParameterError

from .strategies import binary_problems

OUTCOMES = ("tp", "fp", "fn", "tn")
STREAMED = {
    "bits=1": HistogramEngine(bits=1, sort_rows=0),
    "bits=3": HistogramEngine(bits=3, sort_rows=1),
    "bits=16": HistogramEngine(),
}
CONSTRAINTS = ["flagged <= 5", "precision >= 0.5", "value >= 0", "value >= -50", "recall >= 0.3"]


def answer(cut: cp.Cutpoint) -> dict[str, object]:
    data = cut.to_dict()
    data["data"] = {k: v for k, v in data["data"].items() if k != "fingerprint"}
    data.pop("columns", None)
    return data


def outcome(call):
    try:
        return answer(call())
    except CutpointsError as exc:
        return type(exc), str(exc)


@st.composite
def value_problems(draw, **kwargs):
    """A binary problem, values for memory, and the same values named for a scan.

    Returns ``(y, score, weight, values, spec, columns)``: ``columns`` are the value
    columns to write beside the labels and scores, ``spec`` names them as
    ``cp.scan(values=...)`` does (``"-name"`` negated, numbers as they are).
    """
    y, score, weight = draw(binary_problems(**kwargs))
    n = len(y)
    values, spec, columns = {}, {}, {}
    for key in draw(st.lists(st.sampled_from(OUTCOMES), min_size=1, max_size=4, unique=True)):
        if draw(st.booleans()):
            number = draw(st.integers(-20, 20))
            values[key] = float(number)
            spec[key] = number
        else:
            column = draw(hnp.arrays(np.int64, n, elements=st.integers(-100, 100)))
            name = f"v_{key}"
            columns[name] = column
            negate = draw(st.booleans())
            values[key] = -column * 1.0 if negate else column * 1.0
            spec[key] = f"-{name}" if negate else name
    if "v_tp" in columns and "fn" not in columns and draw(st.booleans()):
        # The money case: fn is minus the column tp reads.
        values["fn"] = -values["tp"]
        spec["fn"] = spec["tp"][1:] if spec["tp"].startswith("-") else f"-{spec['tp']}"
    return y, score, weight, values, spec, columns


def write(folder, y, score, weight, columns, *, parts=1, fmt="parquet"):
    """The rows split over ``parts`` files (the last ones may be empty)."""
    bounds = np.linspace(0, len(score), parts + 1).astype(int)
    for i in range(parts):
        rows = slice(bounds[i], bounds[i + 1])
        data = {"y": pa.array(np.asarray(y)[rows]), "s": pa.array(np.asarray(score)[rows])}
        if weight is not None:
            data["w"] = pa.array(np.asarray(weight)[rows])
        for name, column in columns.items():
            data[name] = pa.array(column[rows])
        table = pa.table(data)
        path = os.path.join(folder, f"part-{i:03d}.{fmt}")
        if fmt == "parquet":
            pq.write_table(table, path, row_group_size=max(1, len(score) // 3 or 1))
        else:
            pacsv.write_csv(table, path)


def scan_of(folder, weight, spec, **kwargs):
    return cp.scan(
        folder, label="y", score="s", weight=None if weight is None else "w", values=spec, **kwargs
    )


# ---------------------------------------------------------------------- properties
@pytest.mark.slow
@settings(max_examples=80, deadline=None)
@given(
    problem=value_problems(min_size=1, max_size=40, integer_weights=False),
    engine=st.sampled_from(sorted(STREAMED)),
    constraints=st.lists(st.sampled_from(CONSTRAINTS), max_size=2, unique=True),
    ties=st.sampled_from(["highest", "lowest", "median"]),
    rule=st.sampled_from([">=", "<="]),
    maximize=st.sampled_from([None, False]),
    parts=st.integers(1, 3),
    batch_size=st.integers(1, 7),
)
def test_scanned_values_give_the_in_memory_answer(
    problem, engine, constraints, ties, rule, maximize, parts, batch_size
):
    y, score, weight, values, spec, columns = problem
    kwargs = {"metric": "value", "constraints": constraints, "ties": ties, "maximize": maximize}
    expected = outcome(
        lambda: cp.find_cutpoint(
            y, score, sample_weight=weight, values=values, rule=rule, engine="sort", **kwargs
        )
    )
    with tempfile.TemporaryDirectory() as folder:
        write(folder, y, score, weight, columns, parts=parts)
        data = scan_of(folder, weight, spec, rule=rule, batch_size=batch_size)
        got = outcome(lambda: cp.find_cutpoint(data, engine=STREAMED[engine], **kwargs))
    assert got == expected


@pytest.mark.slow
@settings(max_examples=30, deadline=None)
@given(
    problem=value_problems(min_size=1, max_size=30),
    metric=st.sampled_from(["f1", "value"]),
    constraints=st.lists(st.sampled_from(CONSTRAINTS), max_size=1),
)
def test_values_as_constraints_and_in_the_answer_of_other_metrics(problem, metric, constraints):
    y, score, weight, values, spec, columns = problem
    kwargs = {"metric": metric, "constraints": constraints}
    expected = outcome(
        lambda: cp.find_cutpoint(y, score, sample_weight=weight, values=values, **kwargs)
    )
    with tempfile.TemporaryDirectory() as folder:
        write(folder, y, score, weight, columns, parts=2)
        data = scan_of(folder, weight, spec, batch_size=3)
        got = outcome(lambda: cp.find_cutpoint(data, engine=STREAMED["bits=1"], **kwargs))
        # A small scan with the default engine is read into memory: the same answer.
        small = outcome(lambda: cp.find_cutpoint(data, **kwargs))
    assert got == expected
    assert small == expected


@settings(max_examples=30, deadline=None)
@given(
    problem=value_problems(min_size=2, max_size=40, integer_weights=False),
    rule=st.sampled_from([">=", "<="]),
    at=st.lists(st.sampled_from([-1e300, -1.0, 0.0, 0.2, 0.25, 0.5, 1.0, 7.5]), max_size=3),
)
def test_a_scanned_curve_carries_the_exact_value_columns(problem, rule, at):
    y, score, weight, values, spec, columns = problem
    full = cp.confusion_curve(y, score, sample_weight=weight, rule=rule, values=values)
    with tempfile.TemporaryDirectory() as folder:
        write(folder, y, score, weight, columns, parts=2)
        data = scan_of(folder, weight, spec, rule=rule, batch_size=4)
        curve = cp.confusion_curve(data, at=at, engine=HistogramEngine(bits=2, sort_rows=0))
        assert isinstance(curve, BinnedCurve)
        rows = full.rows_at(curve.thresholds)
        np.testing.assert_array_equal(curve.tp, full.tp[rows])
        np.testing.assert_array_equal(curve.metric("value"), full.metric("value")[rows])
        for key in OUTCOMES:
            np.testing.assert_array_equal(
                curve.values.outcome(key), full.values.outcome(key, rows), err_msg=key
            )
        # full() re-reads the rows and keeps the value columns.
        whole = curve.full()
        np.testing.assert_array_equal(whole.thresholds, full.thresholds)
        np.testing.assert_array_equal(whole.metric("value"), full.metric("value"))
        # A small scan's curve (default engine) is the full in-memory curve.
        small = cp.confusion_curve(data)
        np.testing.assert_array_equal(small.metric("value"), full.metric("value"))


# ---------------------------------------------------------------------- examples
def money(n=3000, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.random(n) < 0.1
    score = np.round(np.clip(rng.normal(0.3 + 0.3 * y, 0.15), 0, 1), 3)
    amount = np.round(rng.pareto(1.5, n) * 40).astype(np.int64) + 1
    return y, score, amount


def test_the_fraud_case_matches_memory_across_csv_files():
    y, score, amount = money()
    values = {"tp": amount * 1.0, "fp": -5, "fn": -amount * 1.0}
    expected = cp.find_cutpoint(
        y, score, metric="value", values=values, constraints=["flagged <= 400"], engine="sort"
    )
    with tempfile.TemporaryDirectory() as folder:
        write(folder, y.astype(int), score, None, {"amount": amount}, parts=3, fmt="csv")
        data = cp.scan(
            folder,
            label="y",
            score="s",
            values={"tp": "amount", "fp": -5, "fn": "-amount"},
            batch_size=256,
        )
        cut = cp.find_cutpoint(
            data,
            metric="value",
            constraints=["flagged <= 400"],
            engine=HistogramEngine(bits=4, sort_rows=50),
        )
    assert answer(cut) == answer(expected)
    assert cut.value_by_outcome == expected.value_by_outcome
    assert cut.value_by_outcome["fp"] == -5 * cut.fp  # a number per outcome counts per row
    assert cut.score > 0
    # The columns used are recorded as `cutpoints tune --value` records them.
    assert cut.columns == {
        "label": "y", "score": "s", "value.tp": "amount", "value.fp": "-5", "value.fn": "-amount"
    }  # fmt: skip


def test_pass_zero_names_the_file_and_row_of_a_bad_value():
    with tempfile.TemporaryDirectory() as folder:
        good = pa.table({"y": [0, 1, 1], "s": [0.1, 0.2, 0.3], "a": [1.0, 2.0, 3.0]})
        bad = pa.table({"y": [0, 1, 1], "s": [0.1, 0.2, 0.3], "a": [1.0, 2.0, np.nan]})
        pq.write_table(good, os.path.join(folder, "a.parquet"))
        pq.write_table(bad, os.path.join(folder, "b.parquet"))
        data = cp.scan(folder, label="y", score="s", values={"tp": "a"})
        with pytest.raises(InvalidInputError, match=r"'a' must be finite \(got nan at row 2 of "):
            cp.find_cutpoint(data, metric="value")
        with pytest.raises(InvalidInputError, match="b.parquet"):
            cp.find_cutpoint(data, metric="value")


@pytest.mark.parametrize(
    ("column", "message"),
    [
        (pa.array(["1", "2", "3"]), r"'a' must be a numeric value column \(got string in "),
        (pa.array([True, False, True]), r"'a' must be a numeric value column \(got bool in "),
        (pa.array([1.0, None, 2.0]), r"'a' must not contain missing values \(got null at row 1"),
        (pa.array([1.0, -np.inf, 2.0]), r"'a' must be finite \(got -inf at row 1 "),
    ],
)
def test_bad_value_columns_are_refused(column, message):
    with tempfile.TemporaryDirectory() as folder:
        pq.write_table(
            pa.table({"y": [0, 1, 1], "s": [0.1, 0.2, 0.3], "a": column}),
            os.path.join(folder, "a.parquet"),
        )
        data = cp.scan(folder, label="y", score="s", values={"fn": "-a"})
        with pytest.raises(InvalidInputError, match=message):
            cp.confusion_curve(data)


def test_bad_value_specs_are_refused():
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "a.parquet")
        pq.write_table(pa.table({"y": [0, 1], "s": [0.1, 0.2], "a": [1, 2]}), path)
        with pytest.raises(InvalidParameterError, match="unknown outcome 'fnn'"):
            cp.scan(path, label="y", score="s", values={"fnn": "a"})
        with pytest.raises(InvalidParameterError, match=r"'values\[\"tp\"\]' must be a number"):
            cp.scan(path, label="y", score="s", values={"tp": "a b"})
        data = cp.scan(path, label="y", score="s", values={"tp": "amount"})
        with pytest.raises(InvalidInputError, match=r"'values\[\"tp\"\]' must name a column"):
            cp.find_cutpoint(data, metric="value")
        plain = cp.scan(path, label="y", score="s")
        with pytest.raises(InvalidParameterError, match="'values' must be None for a scan"):
            cp.find_cutpoint(plain, metric="value", values={"tp": 1})


def test_integer_value_columns_and_weights():
    y = np.array([1, 0, 1, 0, 1, 0, 0, 1])
    score = np.array([0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2])
    weight = np.array([1, 2, 0, 1, 3, 1, 2, 1])
    cost = np.array([3, 1, 4, 1, 5, 9, 2, 6])
    values = {"tp": cost * 1.0, "tn": 2, "fp": -cost * 1.0}
    expected = cp.find_cutpoint(y, score, sample_weight=weight, metric="value", values=values)
    with tempfile.TemporaryDirectory() as folder:
        write(folder, y, score, weight, {"cost": cost}, parts=2)
        data = scan_of(folder, weight, {"tp": "cost", "tn": 2, "fp": "-cost"}, batch_size=2)
        cut = cp.find_cutpoint(data, metric="value", engine=STREAMED["bits=1"])
    assert answer(cut) == answer(expected)


# ---------------------------------------------------------------------- Dask
@pytest.mark.parametrize("rule", [">=", "<="])
@pytest.mark.parametrize("weighted", [False, True])
def test_a_dask_dataframe_with_values_gives_the_in_memory_answer(dask_client, rule, weighted):
    dd = pytest.importorskip("dask.dataframe")
    pd = pytest.importorskip("pandas")
    y, score, amount = money(n=4000, seed=3)
    weight = (np.arange(len(y)) % 4) / 2.0 if weighted else None  # dyadic, with zeros
    values = {"tp": amount * 1.0, "fp": -5, "fn": -amount * 1.0, "tn": 1}
    kwargs = {"metric": "value", "constraints": ["flagged <= 300"], "ties": "lowest"}
    expected = cp.find_cutpoint(
        y, score, sample_weight=weight, values=values, rule=rule, engine="sort", **kwargs
    )
    frame = pd.DataFrame({"y": y.astype(int), "s": score, "amount": amount})
    if weighted:
        frame["w"] = weight
    data = cp.scan(
        dd.from_pandas(frame, npartitions=5),
        label="y",
        score="s",
        weight="w" if weighted else None,
        rule=rule,
        values={"tp": "amount", "fp": -5, "fn": "-amount", "tn": 1},
    )
    cut = cp.find_cutpoint(data, engine=HistogramEngine(bits=4, sort_rows=50), **kwargs)
    assert answer(cut) == answer(expected)
    assert cut.value_by_outcome == expected.value_by_outcome
    full = cp.confusion_curve(y, score, sample_weight=weight, rule=rule, values=values)
    curve = cp.confusion_curve(data, at=[0.3, 0.5])
    rows = full.rows_at(curve.thresholds)
    np.testing.assert_array_equal(curve.metric("value"), full.metric("value")[rows])


def test_dask_value_columns_are_checked():
    dd = pytest.importorskip("dask.dataframe")
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"y": [0, 1, 1, 0], "s": [0.1, 0.2, 0.3, 0.4], "a": [1.0, np.nan, 2, 3]})
    frame["t"] = ["x", "y", "z", "w"]
    data = dd.from_pandas(frame, npartitions=2)
    with pytest.raises(InvalidInputError, match=r"'t' must be a numeric value column"):
        cp.scan(data, label="y", score="s", values={"tp": "t"})
    with pytest.raises(InvalidInputError, match=r"'values\[\"fn\"\]' must name a column"):
        cp.scan(data, label="y", score="s", values={"fn": "-b"})
    with dask_scheduler("synchronous"):
        scanned = cp.scan(data, label="y", score="s", values={"tp": "a"})
        with pytest.raises(InvalidInputError, match=r"'a' must be finite and not missing \(got 1 "):
            cp.find_cutpoint(scanned, metric="value")


def dask_scheduler(name):
    dask = pytest.importorskip("dask")
    return dask.config.set(scheduler=name)
