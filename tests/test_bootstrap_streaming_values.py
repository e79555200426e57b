"""The Poisson (streamed) bootstrap with per-row values (issue #15 with #10 item 4).

Each resample's value sums are the Poisson-weighted sums ``k * weight * value`` of its
rows, carried per cell like the counts. Oracles: ``find_cutpoint(..., metric="value",
values=...)`` on each resample built row by row (rows with ``k > 0``, weights ``k *
sample_weight``), brute-force value sums, and the multinomial bootstrap's
distribution. Values and weights are dyadic rationals of small magnitude, so every sum
is exact in float64 whatever its order: results must agree to the bit.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import cutpoints as cp
from cutpoints._metrics import get_metric
from cutpoints._values import check_values
from cutpoints.errors import (
    InfeasibleConstraintError,
    InvalidLabelsError,
    InvalidParameterError,
    UndefinedMetricError,
)
from cutpoints.selection import as_constraints
from cutpoints.uncertainty import BootstrapWarning
from cutpoints.uncertainty._streaming import (
    ArrayBatches,
    Task,
    ValueSpec,
    poisson_weights,
    run_poisson,
)

from .oracle import assert_same_threshold_quantiles
from .strategies import binary_problems


def _data(n=400, seed=0, weights=None):
    rng = np.random.default_rng(seed)
    y = rng.random(n) < 0.3
    s = np.round(rng.normal(size=n) + 1.2 * y, 1)  # heavy ties
    amount = np.round(rng.pareto(1.5, n) * 8) / 4  # heavy-tailed, exact in float64
    w = None
    if weights == "integer":
        w = rng.integers(0, 4, n)  # zeros included
    elif weights == "dyadic":
        w = rng.integers(1, 17, n) / 8.0
    return y, s, amount, w


def _take(values, rows):
    return {k: v[rows] if isinstance(v, np.ndarray) else v for k, v in values.items()}


def _brute_value(y, s, w, values, threshold, rule=">="):
    """The total value flagging at ``threshold``, summed row by row."""
    flagged = s >= threshold if rule == ">=" else s <= threshold
    w = np.ones(len(y)) if w is None else np.asarray(w, dtype=np.float64)
    total = 0.0
    for key, mask in (
        ("tp", flagged & y),
        ("fp", flagged & ~y),
        ("fn", ~flagged & y),
        ("tn", ~flagged & ~y),
    ):
        v = np.broadcast_to(np.asarray(values.get(key, 0.0), dtype=np.float64), len(y))
        total += float(np.sum(w[mask] * v[mask]))
    return total


def _reference(y, s, w, k, values, *, fixed, rule, **options):
    """Resample ``k`` built row by row: status, threshold and the three values."""
    present = k > 0
    base = np.ones(len(s), dtype=np.int64) if w is None else w
    weight = k.astype(np.int64) * base if base.dtype.kind == "i" else k * base
    out = {"fixed": _brute_value(y, s, weight, values, fixed, rule)}
    if not weight[present].any():
        return out | {"status": "one_class"}
    try:
        cut = cp.find_cutpoint(
            y[present], s[present], sample_weight=weight[present],
            values=_take(values, present), rule=rule, **options,
        )  # fmt: skip
    except InfeasibleConstraintError:
        return out | {"status": "infeasible"}
    except UndefinedMetricError:
        return out | {"status": "undefined"}
    except InvalidLabelsError:
        return out | {"status": "one_class"}
    absent = ~present
    out |= {
        "status": "ok",
        "threshold": cut.threshold,
        "value": cut.metrics["value"],
        "brute": _brute_value(y, s, weight, values, cut.threshold, rule),
        "oob": _brute_value(
            y[absent], s[absent], base[absent], _take(values, absent), cut.threshold, rule
        ),
    }
    return out


def _check_result(res, y, s, w, values, *, rule, **options):
    """Every resample of a bootstrap result against the row-by-row reference."""
    n_ok = 0
    for i in range(res.n_resamples):
        k = res.resample_weights(i)
        ref = _reference(y, s, w, k, values, fixed=res.threshold, rule=rule, **options)
        assert res.status[i] == ref["status"], i
        assert res.at_threshold["value"][i] == ref["fixed"], i
        if ref["status"] != "ok":
            assert math.isnan(res.thresholds[i])
            continue
        assert res.thresholds[i] == ref["threshold"], i
        assert res.in_bag["value"][i] == ref["value"] == ref["brute"], i
        assert res.out_of_bag["value"][i] == ref["oob"], i
        n_ok += 1
    return n_ok


AMOUNT_VALUES = ("amount", "costs")


def _values(kind, amount, n):
    if kind == "amount":  # fraud: gain the amount caught, lose the amount missed
        return {"tp": amount, "fp": -1.25, "fn": -amount}
    # per-row review costs on both classes, a scalar for the true negatives
    cost = np.resize([0.5, 1.0, 1.5, 2.0], n)
    return {"tp": amount - cost, "fp": -cost, "tn": 0.25}


CASES = [
    ("value", (), "highest", ">=", "amount"),
    ("value", ("flagged <= 60",), "median", "<=", "costs"),
    ("value", ("precision >= 0.45",), "lowest", ">=", "amount"),
    ("f1", ("value >= 40",), "highest", ">=", "costs"),
]


@pytest.mark.parametrize(("metric", "constraints", "ties", "rule", "kind"), CASES)
@pytest.mark.parametrize("weights", [None, "integer", "dyadic"])
def test_each_resample_is_find_cutpoint_with_values_on_it(
    metric, constraints, ties, rule, kind, weights
):
    y, s, amount, w = _data(weights=weights)
    values = _values(kind, amount, len(y))
    options = {"metric": metric, "constraints": list(constraints), "ties": ties}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BootstrapWarning)
        res = cp.bootstrap(
            y, s, values=values, sample_weight=w, rule=rule, n_resamples=12,
            random_state=7, method="poisson", **options,
        )  # fmt: skip
    full = cp.find_cutpoint(y, s, values=values, sample_weight=w, rule=rule, **options)
    assert res.threshold == full.threshold
    assert res.cutpoint.metrics["value"] == full.metrics["value"]
    assert _check_result(res, y, s, w, values, rule=rule, **options) >= 6


def test_value_objective_refines_few_rows():
    # The total value is bounded per cell by its drawn flag gains (the histogram
    # engine's bound): each resample reads a few cells again, not every row.
    rng = np.random.default_rng(3)
    n = 20_000
    y = rng.random(n) < 0.2
    s = np.round(rng.normal(size=n) + 1.5 * y, 3)
    amount = np.round(rng.pareto(1.5, n) * 8) / 4
    values = {"tp": amount, "fp": -2.0, "fn": -amount}
    row_values = check_values(values, n)
    spec, extra = ValueSpec.of_rows(row_values, y, None)
    cut = cp.find_cutpoint(y, s, metric="value", values=values)
    task = Task(cut.metric, (), True, "highest")
    out = run_poisson(
        ArrayBatches(s, y, extra=extra, batch_rows=3000), task, n_resamples=6,
        random_state=np.random.SeedSequence(4), threshold=cut.threshold, bits=6, values=spec,
    )  # fmt: skip
    assert 0 < out.n_refined_rows < n / 4
    k_all = poisson_weights(np.random.SeedSequence(4), 6, np.arange(n))
    for i in range(6):
        ref = _reference(
            y, s, None, k_all[i], values, fixed=cut.threshold, rule=">=", metric="value"
        )
        assert out.thresholds[i] == ref["threshold"]
        assert out.value["value"][i] == ref["value"]
        assert out.value["oob_value"][i] == ref["oob"]
        assert out.value["fixed_value"][i] == ref["fixed"]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    problem=binary_problems(min_size=2, max_size=50, integer_weights=False),
    raw=st.lists(st.integers(-40, 40), min_size=50, max_size=50),
    scalar=st.sampled_from([0.0, -1.0, 0.5]),
    bits=st.integers(1, 5),
    batch_rows=st.sampled_from([1, 7, 1000]),
    ties=st.sampled_from(["highest", "lowest", "median"]),
    fixed_at=st.sampled_from(["median", "below", "above"]),
)
def test_property_ties_zeros_extremes(problem, raw, scalar, bits, batch_rows, ties, fixed_at):
    y, s, w = problem
    n = len(y)
    amount = np.asarray(raw[:n], dtype=np.float64) / 8
    values = {"tp": amount, "fp": scalar, "fn": -amount[::-1].copy(), "tn": amount / 4}
    spec, extra = ValueSpec.of_rows(check_values(values, n), y, w)
    fixed = {"median": float(np.median(s)), "below": float(s.min()) - 1, "above": math.inf}
    task = Task(get_metric("value"), (), True, ties)
    out = run_poisson(
        ArrayBatches(s, y, w, extra=extra, batch_rows=batch_rows), task, n_resamples=4,
        random_state=np.random.SeedSequence(9), threshold=fixed[fixed_at], bits=bits,
        values=spec,
    )  # fmt: skip
    k_all = poisson_weights(np.random.SeedSequence(9), 4, np.arange(n))
    names = {0: "ok", 1: "infeasible", 2: "undefined", 3: "one_class"}
    for i in range(4):
        ref = _reference(
            y, s, w, k_all[i], values, fixed=fixed[fixed_at], rule=">=", metric="value",
            ties=ties,
        )  # fmt: skip
        assert out.value["fixed_value"][i] == ref["fixed"], i
        assert names[int(out.status[i])] == ref["status"], i
        if ref["status"] != "ok":
            continue
        assert out.thresholds[i] == ref["threshold"], i
        assert out.value["value"][i] == ref["value"], i
        assert out.value["oob_value"][i] == ref["oob"], i


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_one_file_three_files_batches_and_memory_agree(tmp_path, fmt):
    y, s, amount, _ = _data(n=5000, seed=13)
    w = np.random.default_rng(1).integers(1, 4, len(s))
    one, three = tmp_path / "one", tmp_path / "three"
    one.mkdir()
    three.mkdir()

    def write(path, a, b):
        table = pa.table({"label": y[a:b].astype(np.int64), "p": s[a:b], "w": w[a:b],
                          "amount": amount[a:b]})  # fmt: skip
        if fmt == "parquet":
            pq.write_table(table, str(path) + ".parquet")
        else:
            pacsv.write_csv(table, str(path) + ".csv")

    write(one / "all", 0, len(s))
    for i, (a, b) in enumerate([(0, 1500), (1500, 4100), (4100, len(s))]):
        write(three / f"part-{i}", a, b)
    named = {"tp": "amount", "fp": -1.25, "fn": "-amount"}
    kwargs = {"metric": "value", "n_resamples": 15, "random_state": 5}

    def scan(folder, batch_size):
        return cp.scan(folder, label="label", score="p", weight="w", values=named,
                       batch_size=batch_size)  # fmt: skip

    values = {"tp": amount, "fp": -1.25, "fn": -amount}
    results = [
        cp.bootstrap(scan(one, 4096), **kwargs),
        cp.bootstrap(scan(three, 1000), **kwargs),
        cp.bootstrap(scan(three, 333), n_jobs=2, **kwargs),
    ]
    memory = {"sample_weight": w, "values": values, "method": "poisson"}
    results.append(cp.bootstrap(y.astype(int), s, **memory, **kwargs))
    first = results[0]
    full = cp.find_cutpoint(y, s, sample_weight=w, metric="value", values=values)
    assert first.threshold == full.threshold
    assert "value" in first.in_bag
    for other in results[1:]:
        assert np.array_equal(other.thresholds, first.thresholds, equal_nan=True)
        for table in ("in_bag", "out_of_bag", "at_threshold"):
            for name, column in getattr(first, table).items():
                assert np.array_equal(getattr(other, table)[name], column, equal_nan=True), name
        assert np.array_equal(other._grid_counts["value"], first._grid_counts["value"])
    # The bands of the value at the default grid (cell edges), against brute force:
    # with one resample (the first of the others), the median is its value.
    k0 = first.resample_weights(0)
    one_resample = cp.bootstrap(scan(one, 4096), metric="value", n_resamples=1, random_state=5)
    bands = one_resample.bands(metrics=["value"], percentiles=[50])
    assert len(bands) > 50  # about 70 distinct scores (one decimal), each an edge
    for g, got in zip(bands["threshold"], bands["p50"], strict=True):
        assert got == _brute_value(y, s, k0 * w, values, g), g


def test_distribution_matches_the_multinomial_bootstrap_with_values():
    # As for the counts (tests/test_bootstrap_streaming.py): Poisson and multinomial
    # (unstratified) bootstraps differ by O(1/n); the share of Poisson thresholds at or
    # below the multinomial p-quantile is p up to 4 sd of two independent proportions.
    rng = np.random.default_rng(17)
    n = 3000
    y = rng.random(n) < 0.3
    s = np.round(rng.normal(size=n) + 1.2 * y, 2)
    amount = np.round(rng.gamma(2.0, 8.0, n) * 4) / 4
    values = {"tp": amount, "fp": -3.0, "fn": -amount}
    kwargs = {"metric": "value", "values": values, "n_resamples": 300, "random_state": 123}
    poisson = cp.bootstrap(y, s, method="poisson", **kwargs)
    multinomial = cp.bootstrap(y, s, stratified=False, **kwargs)
    assert len(poisson.thresholds) == len(multinomial.thresholds) == 300
    assert_same_threshold_quantiles(poisson.thresholds, multinomial.thresholds)
    # The total value at the chosen threshold: interval ends within a fraction of the
    # width, and the spread (a Poisson resample's size varies too) within 25%.
    a = poisson.interval("value", kind="at_threshold")
    m = multinomial.interval("value", kind="at_threshold")
    width = m[1] - m[0]
    assert abs(a[0] - m[0]) < 0.3 * width and abs(a[1] - m[1]) < 0.3 * width
    sd_p = np.std(poisson.at_threshold["value"])
    sd_m = np.std(multinomial.at_threshold["value"])
    assert 0.75 < sd_p / sd_m < 1.33


def test_bca_jackknife_of_the_value_is_leave_one_row_out():
    y, s, amount, w = _data(n=60, seed=7, weights="dyadic")
    values = {"tp": amount, "fp": -1.25, "fn": -amount, "tn": 0.5}
    res = cp.bootstrap(
        y, s, metric="value", values=values, sample_weight=w, n_resamples=5, random_state=0,
        method="poisson",
    )  # fmt: skip
    jack, mult = res._jackknife(res._metric("value"))
    got = sorted(np.repeat(jack, mult.astype(int)).tolist())
    brute = []
    for i in range(len(y)):
        keep = np.arange(len(y)) != i
        brute.append(_brute_value(y[keep], s[keep], w[keep], _take(values, keep), res.threshold))
    assert got == sorted(brute)
    table = res.summary(bca=True).set_index(["quantity", "estimate"])
    bca = table.loc[("value", "at_threshold"), ["bca_lower", "bca_upper"]]
    assert np.isfinite(bca.to_numpy(dtype=float)).all()


def test_refusals_name_what_to_do(tmp_path):
    y, s, amount, _ = _data(n=200)
    pq.write_table(pa.table({"y": y.astype(int), "p": s, "a": amount}), tmp_path / "d.parquet")
    data = cp.scan(tmp_path, label="y", score="p")
    with pytest.raises(InvalidParameterError, match=r"cp.scan\(\.\.\., values="):
        cp.bootstrap(data, values={"tp": 1.0}, n_resamples=5)
    with pytest.raises(InvalidParameterError, match="'select'='lower_bound'"):
        cp.bootstrap(y, s, metric="value", values={"tp": amount}, method="poisson",
                     select="lower_bound", n_resamples=5)  # fmt: skip
    with pytest.raises(cp.errors.InvalidInputError, match='values\\["fn"\\]'):
        cp.bootstrap(y, s, metric="value", values={"fn": amount[:-1]}, method="poisson",
                     n_resamples=5)  # fmt: skip


def test_count_objectives_report_the_value_too():
    y, s, amount, w = _data(n=300, seed=4, weights="integer")
    values = {"tp": amount, "fp": -0.5}
    constraints = as_constraints(["recall >= 0.5"])
    res = cp.bootstrap(
        y, s, metric="f1", constraints=list(constraints), values=values, sample_weight=w,
        method="poisson", n_resamples=10, random_state=2,
    )  # fmt: skip
    assert (
        res.cutpoint.metrics["value"]
        == cp.find_cutpoint(
            y, s, metric="f1", constraints=list(constraints), values=values, sample_weight=w
        ).metrics["value"]
    )
    assert (
        _check_result(res, y, s, w, values, rule=">=", metric="f1", constraints=list(constraints))
        >= 8
    )
    lo, hi = res.interval("value", kind="at_threshold")
    at = res.at_threshold["value"]
    assert at.min() <= lo < hi <= at.max()


@pytest.mark.parametrize("weights", [None, "integer", "float"])
def test_compiled_counting_loop_gives_the_numpy_value_tables(weights):
    # The numpy loop is the oracle: same draws, the same value sums in the same order
    # (per chunk from zero, then added), bit for bit, with fractional values too.
    pytest.importorskip("numba")
    from cutpoints.uncertainty import _streaming as streaming

    rng = np.random.default_rng(3)
    n = 150_000  # three chunks of the counting pass, the last one partial
    y, s = rng.random(n) < 0.2, rng.normal(size=n)
    w = {None: None, "integer": rng.integers(0, 4, n), "float": rng.random(n) * 3}[weights]
    amount = rng.pareto(1.5, n) * 40  # cents and beyond: float sums
    values = {"tp": amount, "fp": -5.0, "fn": -amount, "tn": rng.random(n)}
    spec, extra = ValueSpec.of_rows(check_values(values, n), y, w)
    source = ArrayBatches(s, y, w, batch_rows=100_000, extra=extra)
    summary = source.summary()
    plan = streaming._Plan(
        streaming._layout(source, summary, 256),
        streaming.resample_keys(np.random.SeedSequence(8), 6),
        np.float64 if weights == "float" else np.int64,
        summary.zero_weights,
        spec,
    )
    numpy_tables = streaming._count_pass(source, plan, n, compiled=False)
    compiled_tables = streaming._count_pass(source, plan, n, compiled=True)
    names = ("full", "rows", "drawn", "inbag", "present", "value_full", "value_drawn")
    for name in (*names, "value_inbag"):
        a, b = getattr(numpy_tables, name), getattr(compiled_tables, name)
        assert (a is None and b is None) or np.array_equal(a, b), name
    assert numpy_tables.value_drawn.shape == (6, 3 + 2, plan.layout.n_cells)
    assert np.abs(numpy_tables.value_drawn).sum() > 0
    assert np.abs(numpy_tables.value_inbag).sum() > 0
