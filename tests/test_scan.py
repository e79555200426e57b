"""cp.scan: files streamed through the histogram engine give the in-memory answer.

Every comparison is EQUAL: ``Cutpoint.to_dict()`` without the data fingerprint (which
hashes the curve each engine built) and without ``columns`` (a scan records its column
names), or the exception's type and message word for word. Small inputs use engines
with few bins, tiny batches and no refinement budget, so that several batches, several
files, several levels and the refining pass are exercised on every example.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import tempfile
import textwrap

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import cutpoints as cp
from cutpoints._scan import SMALL_ROWS
from cutpoints.engines import BinnedCurve, HistogramEngine
from cutpoints.errors import (
    CutpointsError,
    InvalidInputError,
    InvalidLabelsError,
    InvalidParameterError,
)

from .strategies import binary_problems

TIES = ["highest", "lowest", "median"]
OBJECTIVES = ["f1", "youden", "accuracy", "mcc", "cost(fp=1, fn=10)", "recall"]
CONSTRAINTS = [(), ("precision >= 0.5",), ("flagged <= 3",), ("fpr <= 0.25", "recall >= 0.5")]
# Streamed engines that refine on small inputs: few bins; sort_rows=0 splits cells as
# far as the levels go; max_rows large enough for the tiny inputs.
STREAMED = {
    "bits=1": HistogramEngine(bits=1, sort_rows=0),
    "bits=3": HistogramEngine(bits=3, sort_rows=1),
    "bits=16": HistogramEngine(),
}


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


def write(folder, y, score, weight=None, *, parts=1, fmt="parquet", name="part"):
    """Split the rows over ``parts`` files (the last may be empty); return the paths."""
    bounds = np.linspace(0, len(score), parts + 1).astype(int)
    paths = []
    for i in range(parts):
        rows = slice(bounds[i], bounds[i + 1])
        columns = {"y": pa.array(np.asarray(y)[rows]), "s": pa.array(np.asarray(score)[rows])}
        if weight is not None:
            columns["w"] = pa.array(np.asarray(weight)[rows])
        table = pa.table(columns)
        path = os.path.join(folder, f"{name}-{i:03d}.{fmt}")
        if fmt == "parquet":
            pq.write_table(table, path, row_group_size=max(1, len(score) // 3 or 1))
        else:
            pacsv.write_csv(table, path)
        paths.append(path)
    return paths


# ---------------------------------------------------------------------- properties
@pytest.mark.slow
@settings(max_examples=40, deadline=None)
@given(
    problem=binary_problems(min_size=1, max_size=40, integer_weights=False),
    objective=st.sampled_from(OBJECTIVES),
    constraints=st.sampled_from(CONSTRAINTS),
    ties=st.sampled_from(TIES),
    rule=st.sampled_from([">=", "<="]),
    engine=st.sampled_from(sorted(STREAMED)),
    parts=st.integers(1, 3),
    batch_size=st.integers(1, 7),
)
def test_scanned_files_give_the_in_memory_answer(
    problem, objective, constraints, ties, rule, engine, parts, batch_size
):
    y, score, weight = problem
    kwargs = {"metric": objective, "constraints": list(constraints), "ties": ties}
    expected = outcome(
        lambda: cp.find_cutpoint(y, score, sample_weight=weight, rule=rule, engine="sort", **kwargs)
    )
    with tempfile.TemporaryDirectory() as folder:
        write(folder, y, score, weight, parts=parts)
        data = cp.scan(
            folder,
            label="y",
            score="s",
            weight=None if weight is None else "w",
            rule=rule,
            batch_size=batch_size,
        )
        got = outcome(lambda: cp.find_cutpoint(data, engine=STREAMED[engine], **kwargs))
    assert got == expected


@pytest.mark.slow
@settings(max_examples=25, deadline=None)
@given(
    problem=binary_problems(min_size=2, max_size=40),
    rule=st.sampled_from([">=", "<="]),
    at=st.lists(st.sampled_from([-1e300, -1.0, -0.0, 0.2, 0.25, 0.3, 0.6, 1.0, 7.5]), max_size=4),
)
def test_a_scanned_curve_is_exact_at_its_edges_and_at_the_asked_points(problem, rule, at):
    y, score, weight = problem
    full = cp.confusion_curve(y, score, sample_weight=weight, rule=rule)
    with tempfile.TemporaryDirectory() as folder:
        write(folder, y, score, weight, parts=2)
        data = cp.scan(
            folder, label="y", score="s", weight=None if weight is None else "w", rule=rule,
            batch_size=5,
        )  # fmt: skip
        curve = cp.confusion_curve(data, at=at, engine=HistogramEngine(bits=2, sort_rows=0))
        assert isinstance(curve, BinnedCurve)
        for t in at:
            assert curve.at(t) == full.at(t), t
        # Every row has the counts of flagging with its own threshold.
        rows = full.rows_at(curve.thresholds)
        np.testing.assert_array_equal(curve.tp, full.tp[rows])
        np.testing.assert_array_equal(curve.fp, full.fp[rows])
        completed = curve.full()
    np.testing.assert_array_equal(completed.thresholds, full.thresholds)
    np.testing.assert_array_equal(completed.tp, full.tp)
    np.testing.assert_array_equal(completed.fp, full.fp)


# ---------------------------------------------------------------------- formats
@pytest.fixture
def mixture(rng):
    n = 5_000
    y = rng.random(n) < 0.2
    score = np.round(rng.normal(size=n) + 1.5 * y, 3)
    return y, score, rng.integers(0, 4, n)


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
@pytest.mark.parametrize("dtype", ["float64", "float32", "int64"])
def test_formats_dtypes_and_source_kinds(tmp_path, mixture, fmt, dtype):
    y, score, weight = mixture
    score = (score * 1000).astype(dtype) if dtype == "int64" else score.astype(dtype)
    paths = write(str(tmp_path), y.astype(int), score, weight, parts=3, fmt=fmt)
    # The same rows in memory, as the files hold them (CSV text reads back as float64).
    read = pq.read_table if fmt == "parquet" else pacsv.read_csv
    table = pa.concat_tables([read(p) for p in paths])
    y_back, s_back, w_back = (table.column(c).to_numpy() for c in ("y", "s", "w"))
    assert s_back.dtype == (np.float64 if fmt == "csv" and dtype == "float32" else score.dtype)
    expected = answer(
        cp.find_cutpoint(y_back, s_back, sample_weight=w_back, metric="f1", engine="sort")
    )
    sources = [str(tmp_path), str(tmp_path / f"*.{fmt}"), paths]
    for source in sources:
        for engine in ("auto", "histogram", HistogramEngine(bits=4, sort_rows=100)):
            data = cp.scan(source, label="y", score="s", weight="w", batch_size=777)
            cut = cp.find_cutpoint(data, metric="f1", engine=engine)
            assert answer(cut) == expected, (source, engine)
            assert cut.columns == {"label": "y", "score": "s", "weight": "w"}


def test_string_labels_pos_label_and_rule(tmp_path, mixture):
    y, score, _ = mixture
    labels = np.where(y, "fraud", "ok")
    write(str(tmp_path), labels, score, parts=2)
    for rule in (">=", "<="):
        expected = answer(
            cp.find_cutpoint(labels, score, pos_label="fraud", rule=rule, metric="youden")
        )
        data = cp.scan(tmp_path, label="y", score="s", pos_label="fraud", rule=rule)
        cut = cp.find_cutpoint(data, metric="youden", engine="histogram")
        assert answer(cut) == expected
        assert (cut.positive_label, cut.negative_label) == ("fraud", "ok")
    with pytest.raises(InvalidLabelsError, match=r"pass pos_label='fraud' or pos_label='ok'"):
        cp.find_cutpoint(cp.scan(tmp_path, label="y", score="s"))


def test_small_inputs_are_read_into_memory_and_big_ones_streamed(tmp_path, mixture):
    y, score, _ = mixture
    write(str(tmp_path), y, score)
    data = cp.scan(tmp_path, label="y", score="s")
    assert data.n_rows == len(y) <= SMALL_ROWS
    assert type(cp.find_cutpoint(data).curve) is cp.ConfusionCurve
    assert type(cp.confusion_curve(data)) is cp.ConfusionCurve
    assert isinstance(cp.find_cutpoint(data, engine="histogram").curve, BinnedCurve)
    assert isinstance(cp.confusion_curve(data, engine="histogram"), BinnedCurve)
    # engine="sort" reads every row into memory, whatever the size.
    assert type(cp.find_cutpoint(data, engine="sort").curve) is cp.ConfusionCurve


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("rule", [">=", "<="])
def test_pass_zero_summary(tmp_path, mixture, weighted, rule):
    y, score, weight = mixture
    weight = weight if weighted else None
    write(str(tmp_path), np.where(y, "b", "a"), score, weight, parts=3)
    data = cp.scan(
        tmp_path, label="y", score="s", weight="w" if weighted else None, pos_label="b",
        rule=rule, batch_size=999,
    )  # fmt: skip
    summary = data.summary()
    w = np.ones(len(y), dtype=np.int64) if weight is None else weight
    assert summary.n_rows == len(y)
    assert (summary.n_positive, summary.n_negative) == (w[y].sum(), w[~y].sum())
    assert type(summary.n_positive) is int
    sign = 1 if rule == ">=" else -1
    assert (summary.low, summary.high) == tuple(sorted((sign * score.min(), sign * score.max())))
    assert summary.weighted is weighted
    assert summary.zero_weights is (weighted and bool((weight == 0).any()))
    assert (summary.positive_label, summary.negative_label) == ("b", "a")


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_progress_reports_every_pass(tmp_path, mixture, fmt):
    y, score, _ = mixture
    write(str(tmp_path), y, score, parts=2, fmt=fmt)
    calls = []
    data = cp.scan(
        tmp_path, label="y", score="s", batch_size=1000, progress=lambda *a: calls.append(a)
    )
    cp.find_cutpoint(data, engine=HistogramEngine(bits=8, sort_rows=10))
    passes = list(dict.fromkeys(name for name, _, _ in calls))
    assert passes[-1] == "refine"
    assert any(name.startswith("count") for name in passes)
    if fmt == "parquet":
        # Pass 0 folded into the first counting pass: the statistics gave the range and
        # the metadata the row count, known from the first batch on.
        assert passes[0] == "count" and "summary" not in passes
    else:
        assert passes[0] == "summary"
        assert calls[0][2] is None  # pass 0 does not know the total yet
    done = {name: max(rows for n, rows, _ in calls if n == name) for name in passes}
    assert set(done.values()) == {len(y)}
    assert all(total == len(y) for name, _, total in calls if name != "summary")


# ---------------------------------------------------------------------- limits
def test_streamed_refinement_is_capped(tmp_path):
    rng = np.random.default_rng(3)
    n = 4_000
    y = rng.random(n) < 0.5
    score = rng.random(n)  # every score distinct
    write(str(tmp_path), y, score)
    data = cp.scan(tmp_path, label="y", score="s", batch_size=500)
    capped = HistogramEngine(bits=4, sort_rows=0, max_rows=100)
    # MCC declares no monotonicity: every distinct score would have to be held.
    with pytest.raises(InvalidInputError, match=r"metric 'mcc'.*max_rows=100"):
        cp.find_cutpoint(data, metric="mcc", engine=capped)
    roomy = HistogramEngine(bits=4, sort_rows=0, max_rows=n)
    expected = answer(cp.find_cutpoint(y, score, metric="mcc"))
    assert answer(cp.find_cutpoint(data, metric="mcc", engine=roomy)) == expected
    # F1 is bounded per bin: a few bins need refining, well under the cap.
    cut = cp.find_cutpoint(data, metric="f1", engine=HistogramEngine(bits=8, max_rows=1000))
    assert answer(cut) == answer(cp.find_cutpoint(y, score, metric="f1"))
    curve = cp.confusion_curve(data, at=[0.5], engine=HistogramEngine(bits=8, max_rows=100))
    with pytest.raises(InvalidInputError, match=r"max_rows=100 for 4,000 rows"):
        curve.full()


# ---------------------------------------------------------------------- bad input
def _table(path, **columns):
    pq.write_table(pa.table(columns), path)
    return path


@pytest.mark.parametrize(
    ("columns", "error", "pattern"),
    [
        (
            {"y": [0, 1, 0], "s": [0.1, float("nan"), 0.3]},
            InvalidInputError,
            r"'s' must be finite \(got nan at row 1 of '.*bad.parquet'; 1 NaN",
        ),
        (
            {"y": [0, 1, 0], "s": [0.1, float("-inf"), 0.3]},
            InvalidInputError,
            r"'s' must be finite \(got -inf at row 1 of",
        ),
        (
            {"y": [0, 1, 0], "s": ["a", "b", "c"]},
            InvalidInputError,
            r"'s' must be numeric \(got string in '.*bad.parquet'\)",
        ),
        (
            {"y": [0, 1, 0], "s": [True, False, True]},
            InvalidInputError,
            r"'s' must be numeric scores \(got booleans",
        ),
        (
            {"y": [0, 1, 0], "s": [0.1, None, 0.3]},
            InvalidInputError,
            r"'s' must not contain missing values \(got null at row 1 of",
        ),
        (
            {"y": [0, 1, None], "s": [0.1, 0.2, 0.3]},
            InvalidLabelsError,
            r"'y' must not contain missing values \(got null at row 2 of",
        ),
        (
            {"y": [0, 1, 2], "s": [0.1, 0.2, 0.3]},
            InvalidLabelsError,
            r"'y' must have two classes .*got 3 distinct values: 0, 1, 2.*first appears in "
            r"'.*bad.parquet'",
        ),
        (
            {"y": [0.0, 1.0, float("nan")], "s": [0.1, 0.2, 0.3]},
            InvalidLabelsError,
            r"'y' must not contain NaN or infinity \(got nan at row 2 of",
        ),
        (
            {"y": [0, 1, 0], "s": [0.1, 0.2, 0.3], "w": [1.0, -2.0, 1.0]},
            InvalidInputError,
            r"'w' must be non-negative \(got -2.0 at row 1 of",
        ),
        (
            {"y": [0, 1, 0], "s": [0.1, 0.2, 0.3], "w": [1.0, float("nan"), 1.0]},
            InvalidInputError,
            r"'w' must be finite \(got nan at row 1 of",
        ),
        (
            {"y": [0, 1, 0], "s": [0.1, 0.2, 0.3], "w": [0, 0, 0]},
            InvalidInputError,
            r"'w' must not be all zero \(got 4 zero weights\)",
        ),
        (
            {"y": [0, 1, 0], "s": [0, 2**60, 1]},
            InvalidInputError,
            r"'s' has integers beyond 2\*\*53",
        ),
    ],
)
def test_bad_input_names_the_file_column_and_row(tmp_path, columns, error, pattern):
    # A clean file first: the error must name the bad file and the row within it.
    clean = {"y": [1], "s": [0.5]}
    if "w" in columns:
        clean["w"] = [0] if columns["w"] == [0, 0, 0] else [1.0]
    good = _table(str(tmp_path / "a-good.parquet"), **clean)
    bad = _table(str(tmp_path / "bad.parquet"), **columns)
    weight = "w" if "w" in columns else None
    data = cp.scan([good, bad], label="y", score="s", weight=weight, batch_size=2)
    with pytest.raises(error, match=pattern):
        cp.find_cutpoint(data)


@pytest.mark.parametrize(
    ("columns", "pattern"),
    [
        ({"s": [0.1, float("nan"), 0.3]}, r"'s' must be finite \(got nan at row 1 of '.*bad"),
        ({"w": [1.0, float("nan"), 1.0]}, r"'w' must be finite \(got nan at row 1 of '.*bad"),
        ({"w": [1.0, 2.0, float("inf")]}, r"'w' must be finite \(got inf at row 2 of '.*bad"),
        ({"w": [0.0, 0.0, 0.0]}, r"'w' must not be all zero \(got 4 zero weights\)"),
        ({"w": [2**52, 2**52, 2**52]}, r"'w' must add up to at most 9\.007e\+15"),
        # Past 2**63 the int64 cells wrap: the batches' float totals catch it.
        ({"w": [2**62, 2**62, 2**62]}, r"'w' must add up to at most 9\.007e\+15"),
        ({"y": np.array([0, 1, 1], np.int8)}, None),  # integer labels within [0, 1]
    ],
)
def test_pass_zero_folded_into_the_count_checks_every_row(tmp_path, columns, pattern):
    # Parquet statistics give the range: no pass 0 (no "summary" pass), and the first
    # counting pass raises pass 0's errors, word for word (file, column and row).
    bad = {"y": [False, True, False], "s": [0.1, 0.2, 0.3], **columns}
    clean = {"y": [True], "s": [0.5]}
    if "w" in columns:
        clean["w"] = [0.0] if columns["w"] == [0.0, 0.0, 0.0] else [1]
        clean["w"] = np.array(clean["w"], dtype=np.asarray(columns["w"]).dtype)
    if "y" in columns:
        clean["y"] = np.array([1], np.int8)
    paths = [_table(str(tmp_path / "a-good.parquet"), **clean)]
    paths.append(_table(str(tmp_path / "bad.parquet"), **bad))
    weight = "w" if "w" in columns else None
    passes: list[str] = []

    def scanned(**kwargs):
        return cp.scan(paths, label="y", score="s", weight=weight, batch_size=2, **kwargs)

    folded = scanned(progress=lambda name, *_: passes.append(name))
    engine = HistogramEngine(bits=4)  # streamed, however small the input
    if pattern is None:
        cut = cp.find_cutpoint(folded, engine=engine)
        memory = cp.find_cutpoint([1, 0, 1, 1], [0.5, 0.1, 0.2, 0.3], engine="sort")
        assert (cut.threshold, cut.tp, cut.fp) == (memory.threshold, memory.tp, memory.fp)
        assert cut.curve.n_positive == 3 and cut.curve.positive_label == 1
    else:
        with pytest.raises(InvalidInputError, match=pattern) as got:
            cp.find_cutpoint(folded, engine=engine)
        with pytest.raises(InvalidInputError) as expected:
            scanned().summary()  # pass 0 on its own
        assert str(got.value) == str(expected.value)
        # Nothing half-checked is kept: asked again, the same error.
        with pytest.raises(InvalidInputError, match=pattern):
            cp.find_cutpoint(folded, engine=engine)
    assert passes and "summary" not in passes and passes[0] == "count"


@pytest.mark.parametrize("rule", [">=", "<="])
def test_statistics_narrower_than_the_rows_fall_back_to_pass_zero(tmp_path, monkeypatch, rule):
    # A writer whose min/max statistics miss some rows (pyarrow never writes such files,
    # other writers have): the folded count notices, runs a real pass 0, and counts on
    # the exact range; the answer is the in-memory one.
    from cutpoints._scan import FileSource

    rng = np.random.default_rng(41)
    y = rng.random(4000) < 0.3
    score = np.round(rng.normal(size=y.size) + y, 3)
    path = _table(str(tmp_path / "a.parquet"), y=y, s=score)
    honest = FileSource._summary_from_statistics

    def narrowed(self):
        summary = honest(self)
        middle = (summary.low + summary.high) / 2
        return dataclasses.replace(summary, low=middle - 0.1, high=middle + 0.1)

    monkeypatch.setattr(FileSource, "_summary_from_statistics", narrowed)
    passes: list[str] = []
    data = cp.scan(path, label="y", score="s", rule=rule, batch_size=500,
                   progress=lambda name, *_: passes.append(name))  # fmt: skip
    cut = cp.find_cutpoint(data, engine=HistogramEngine(bits=5, sort_rows=100))
    want = cp.find_cutpoint(y, score, rule=rule, engine="sort")
    assert (cut.threshold, cut.tp, cut.fp, cut.score) == (
        want.threshold,
        want.tp,
        want.fp,
        want.score,
    )
    assert "summary" in passes  # the real pass 0 ran after the stale statistics


def test_statistics_that_are_not_finite_keep_pass_zero(tmp_path):
    path = _table(str(tmp_path / "a.parquet"), y=[0, 1, 1], s=[0.1, float("inf"), 0.3])
    with pytest.raises(InvalidInputError, match=r"'s' must be finite \(got inf at row 1"):
        cp.find_cutpoint(cp.scan(path, label="y", score="s"), engine=HistogramEngine(bits=4))


def test_a_missing_column_is_named_with_the_columns_there(tmp_path):
    path = _table(str(tmp_path / "a.parquet"), label=[0, 1], prob=[0.1, 0.9])
    with pytest.raises(InvalidInputError, match=r"'score' must name a column of .*a.parquet.*"
                       r"got 'p'; the columns are \['label', 'prob'\]"):  # fmt: skip
        cp.find_cutpoint(cp.scan(path, label="label", score="p"))
    csv = str(tmp_path / "b.csv")
    pacsv.write_csv(pa.table({"label": [0, 1], "prob": [0.1, 0.9]}), csv)
    with pytest.raises(InvalidInputError, match=r"'weight' must name a column .*got 'w'"):
        cp.find_cutpoint(cp.scan(csv, label="label", score="prob", weight="w"))


def test_bad_arguments_are_refused(tmp_path):
    path = _table(str(tmp_path / "a.parquet"), y=[0, 1], s=[0.1, 0.9])
    with pytest.raises(InvalidParameterError, match=r"existing file, directory or glob"):
        cp.scan(str(tmp_path / "nope.parquet"), label="y", score="s")
    with pytest.raises(InvalidParameterError, match=r"match at least one file"):
        cp.scan(str(tmp_path / "*.csv"), label="y", score="s")
    with pytest.raises(InvalidParameterError, match=r"'batch_size' must be a positive integer"):
        cp.scan(path, label="y", score="s", batch_size=0)
    with pytest.raises(InvalidParameterError, match=r"'rule' must be one of"):
        cp.scan(path, label="y", score="s", rule=">")
    data = cp.scan(path, label="y", score="s")
    with pytest.raises(InvalidParameterError, match=r"'y_score' must be None for a scan"):
        cp.find_cutpoint(data, [0.1, 0.9])
    with pytest.raises(InvalidParameterError, match=r"'sample_weight', 'pos_label' must be None"):
        cp.find_cutpoint(data, sample_weight=[1, 2], pos_label=1)
    with pytest.raises(InvalidParameterError, match=r"'values' must be None for a scan"):
        cp.confusion_curve(data, values={"tp": 1.0})
    with pytest.raises(InvalidParameterError, match=r"'rule' must be given to cp.scan"):
        cp.confusion_curve(data, rule="<=")
    # The same error class and words as before scans existed, plus the scan hint.
    with pytest.raises(InvalidInputError, match=r"'y_score' is required \(got None\), unless"):
        cp.find_cutpoint([0, 1])
    with pytest.raises(InvalidInputError, match=r"'y_score' is required \(got None\), unless"):
        cp.confusion_curve([0, 1])
    empty = _table(
        str(tmp_path / "empty.parquet"), y=pa.array([], pa.int64()), s=pa.array([], pa.float64())
    )
    with pytest.raises(InvalidInputError, match=r"at least one row"):
        cp.find_cutpoint(cp.scan(empty, label="y", score="s"))


def test_one_class_and_infeasible_errors_match_memory(tmp_path):
    y = np.zeros(50, dtype=int)
    score = np.linspace(0, 1, 50)
    write(str(tmp_path), y, score)
    data = cp.scan(tmp_path, label="y", score="s", batch_size=7)
    expected = outcome(lambda: cp.find_cutpoint(y, score))
    assert outcome(lambda: cp.find_cutpoint(data, engine=HistogramEngine(bits=2))) == expected
    y[::3] = 1
    write(str(tmp_path), y, score)
    data = cp.scan(tmp_path, label="y", score="s", batch_size=7)
    kwargs = {"metric": "recall", "constraints": ["precision >= 0.99"]}
    expected = outcome(lambda: cp.find_cutpoint(y, score, **kwargs))
    got = outcome(lambda: cp.find_cutpoint(data, engine=HistogramEngine(bits=2), **kwargs))
    assert got == expected and got[0].__name__ == "InfeasibleConstraintError"


# ---------------------------------------------------------------------- memory
MEMORY_SCRIPT = textwrap.dedent(
    """
    import os, resource, sys
    import numpy as np
    import pyarrow as pa, pyarrow.compute, pyarrow.parquet
    import cutpoints as cp, cutpoints._scan

    folder, headroom, input_bytes = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    pa.set_cpu_count(1)
    pa.set_io_thread_count(1)

    def committed():
        status = dict(line.split(":", 1) for line in open("/proc/self/status"))
        return int(status["VmData"].split()[0]) << 10

    # RLIMIT_DATA bounds the memory the process commits (heap and private maps);
    # RLIMIT_AS would also count the address space allocators reserve but never use.
    limit = committed() + headroom
    resource.setrlimit(resource.RLIMIT_DATA, (limit, limit))
    try:
        np.empty(input_bytes, dtype=np.uint8)
    except MemoryError:
        pass
    else:
        raise SystemExit("the limit does not hold: the whole input fits")
    data = cp.scan(folder, label="y", score="s", batch_size=1 << 16)
    cut = cp.find_cutpoint(data, metric="f1")
    print(repr(cut.threshold), cut.tp, cut.fp, cut.tn, cut.fn, data.n_rows, limit)
    """
)


@pytest.mark.slow
def test_a_file_several_times_larger_than_the_memory_limit(tmp_path):
    rng = np.random.default_rng(7)
    n_parts, per_part = 6, 5_000_000
    parts = []
    for i in range(n_parts):
        y = rng.random(per_part) < 0.05
        s = 1 / (1 + np.exp(-(rng.normal(size=per_part) + 2 * y - 3)))
        pq.write_table(
            pa.table({"y": y, "s": s}), tmp_path / f"part-{i}.parquet", row_group_size=1 << 18
        )
        parts.append((y, s))
    y = np.concatenate([p[0] for p in parts])
    s = np.concatenate([p[1] for p in parts])
    del parts
    input_bytes = y.nbytes + s.nbytes  # 3e7 rows: 270 MB as arrays
    expected = cp.find_cutpoint(y, s, metric="f1", engine="histogram")
    del y, s
    headroom = 96 << 20  # the memory the scan may use above the interpreter's own
    run = subprocess.run(
        [sys.executable, "-c", MEMORY_SCRIPT, str(tmp_path), str(headroom), str(input_bytes)],
        capture_output=True, text=True, timeout=300, check=False,
        # mimalloc (pyarrow's default pool) reserves arenas up front; the system
        # allocator commits what is used, so the limit measures the working set.
        env={**os.environ, "ARROW_DEFAULT_MEMORY_POOL": "system", "CUTPOINTS_NUM_THREADS": "1"},
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-3000:]
    threshold, tp, fp, tn, fn, n, limit = run.stdout.split()
    assert int(n) == 30_000_000
    assert input_bytes > 2.5 * headroom and input_bytes > int(limit)
    assert float(threshold) == expected.threshold
    assert (int(tp), int(fp), int(tn), int(fn)) == (
        expected.tp, expected.fp, expected.tn, expected.fn,
    )  # fmt: skip


def test_a_threshold_at_the_last_key_of_a_bin_is_refined(tmp_path):
    # bits=1 over [1, 2]: the lower bin holds [1, 2), its last key is the float below 2.
    below_two = float(np.nextafter(2.0, 0.0))
    y = np.array([True, False, True, False])
    score = np.array([1.0, 1.5, below_two, 2.0])
    write(str(tmp_path), y, score)
    data = cp.scan(tmp_path, label="y", score="s", batch_size=2)
    curve = cp.confusion_curve(data, at=[below_two], engine=HistogramEngine(bits=1))
    full = cp.confusion_curve(y, score)
    assert curve.at(below_two) == full.at(below_two) == {
        "threshold": below_two, "tp": 1, "fp": 1, "tn": 1, "fn": 1,
    }  # fmt: skip


def test_csv_scores_whole_numbers_first_decimals_later(tmp_path):
    # pyarrow infers CSV types from the first block: scores must not be inferred as ints.
    n = 1_200_000  # about 5 MB of "y,s" lines: more than the first 4 MB block
    score = np.concatenate([np.arange(n) % 7, np.full(1000, 0.5)])
    y = (np.arange(n + 1000) % 3 == 0).astype(int)
    path = str(tmp_path / "a.csv")
    pacsv.write_csv(pa.table({"y": y, "s": score}), path)
    data = cp.scan(path, label="y", score="s", batch_size=200_000)
    cut = cp.find_cutpoint(data, metric="f1", engine="histogram")
    assert answer(cut) == answer(cp.find_cutpoint(y, score, metric="f1"))
