"""Big-data benchmark: 1e7-1e8 scores in memory and 1e8+ rows of Parquet, side by side.

Run from the repository root (needs the ``bench`` extra for DuckDB, and scikit-learn)::

    python benchmarks/bench_big.py                     # 1e7 and 1e8 in memory, 1e8 Parquet rows
    python benchmarks/bench_big.py --parquet-rows 1e9  # 1e9 rows of Parquet (about 5 GB of disk)
    python benchmarks/bench_big.py --quick             # 1e6 / 2e6 rows; prints, no docs
    # re-use kept Parquet files, time some cases, take the others from earlier runs:
    python benchmarks/bench_big.py --rows 0 --parquet-rows 1e9 --reuse /tmp/bigdata/x \
        --only scan,scan-w,arrow,arrow-1,arrow-fused --merge earlier.json

Data (generated here into a temporary folder, deleted afterwards, never committed):
float32 probabilities, 5% positives, a logistic model of a noisy signal, and integer
weights 1..3; the Parquet copy is 10 files with row groups of 2**20 rows (columns ``y``
bool, ``p`` float32, ``w`` int32).

In memory, the exact F1 optimum by

- ``find_cutpoint(engine="histogram")`` -- on 2 threads and on 1 (``CUTPOINTS_NUM_THREADS``),
  unweighted and with the integer weights; and with ``HistogramEngine(speculate=False)``
  (``nospec``: the refining pass reads the rows again, the A/B of the speculative
  refinement);
- ``find_cutpoint(engine="sort")`` (the exact oracle; unweighted only above 1e7: the
  weighted sort argsorts, about 30 s at 1e8);
- scikit-learn's ``precision_recall_curve`` + F1 + ``argmax`` (up to 1e7: it needs about
  10 GB at 1e8);

and two floors that choose nothing: the bare ``np.bincount`` pass over the float32 bits
and the label (no validation, no float64 keys), and the fused compiled counting pass
(:func:`cutpoints.engines._compiled.bin_counts`, one pass of the engine's own 2**16-bin
layout), on 2 threads and 1, unweighted and weighted, beside the same pass in numpy (the
engine's fallback and test oracle).

On Parquet files, the exact F1 optimum by ``find_cutpoint(cp.scan(...))`` (2 threads, 1
thread, weighted) and by DuckDB's exact SQL (GROUP BY score, window cumulative sums, best
F1; 2 threads and 1, weighted), and the floors: a bare pyarrow scan of the label and
score columns (the I/O floor) and that scan plus the fused pass on each batch (one
counting pass over the files).

Every case runs in a fresh child process: wall and CPU times are medians of a few calls
after one warm-up (a single call for the slowest cases), memory is the peak RSS (in
memory: above what the child held with the data loaded; Parquet: the whole process).
numba's cold start (import, compile with an empty cache, load from the cache) and its
install size are measured too. The parent checks that every exact contender finds the
same threshold, and compares the results against the big-data issue's goals.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import fmt_bytes, fmt_seconds, machine, write_section

HERE = Path(__file__).resolve()
REPO = HERE.parent.parent
N_FILES = 10
ROW_GROUP = 1 << 20

# name: (label, kind, threads, weighted)
MEMORY = {
    "histogram": ("histogram engine", "memory", 2, False),
    "histogram-1": ("histogram engine", "memory", 1, False),
    "nospec": ("histogram engine, no speculative refinement (two passes)", "memory", 2, False),
    "histogram-w": ("histogram engine, weighted", "memory", 2, True),
    "histogram-w-1": ("histogram engine, weighted", "memory", 1, True),
    "sort": ("sort engine", "memory", 2, False),
    "sort-w": ("sort engine, weighted", "memory", 2, True),
    "sklearn": ("scikit-learn PR curve + argmax", "memory", 1, False),
    "bincount": ("bare `np.bincount` pass (floor)", "memory", 1, False),
    "numpy-pass": ("numpy counting pass (fallback)", "memory", 2, False),
    "numpy-pass-w": ("numpy counting pass (fallback), weighted", "memory", 2, True),
    "fused": ("fused compiled pass (floor)", "memory", 2, False),
    "fused-1": ("fused compiled pass (floor)", "memory", 1, False),
    "fused-w": ("fused compiled pass (floor), weighted", "memory", 2, True),
    "fused-w-1": ("fused compiled pass (floor), weighted", "memory", 1, True),
}
PARQUET = {
    "scan": ("`find_cutpoint(cp.scan(...))`", "parquet", 2, False),
    "scan-1": ("`find_cutpoint(cp.scan(...))`", "parquet", 1, False),
    "scan-w": ("`find_cutpoint(cp.scan(...))`, weighted", "parquet", 2, True),
    "duckdb": ("DuckDB exact SQL", "parquet", 2, False),
    "duckdb-1": ("DuckDB exact SQL", "parquet", 1, False),
    "duckdb-w": ("DuckDB exact SQL, weighted", "parquet", 2, True),
    "arrow": ("bare pyarrow scan of 2 columns (I/O floor)", "parquet", 2, False),
    "arrow-1": ("bare pyarrow scan of 2 columns (I/O floor)", "parquet", 1, False),
    "arrow-fused": ("pyarrow scan + fused pass (one counting pass)", "parquet", 2, False),
}
CASES = {**MEMORY, **PARQUET}


# ---------------------------------------------------------------------------- data
def make_chunk(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Labels, float32 probabilities and int32 weights 1..3 for ``n`` rows."""
    y = rng.random(n) < 0.05
    logit = rng.normal(size=n) + 2.0 * y - 3.0
    p = (1.0 / (1.0 + np.exp(-logit))).astype(np.float32)
    return y, p, rng.integers(1, 4, n).astype(np.int32)


def make_arrays(n: int, folder: Path) -> None:
    """Write ``y.npy``, ``p.npy``, ``w.npy`` (loaded by each child: faster than remaking)."""
    rng = np.random.default_rng(0)
    y = np.empty(n, dtype=bool)
    p = np.empty(n, dtype=np.float32)
    w = np.empty(n, dtype=np.int32)
    step = 1 << 22
    for a in range(0, n, step):
        b = min(a + step, n)
        y[a:b], p[a:b], w[a:b] = make_chunk(rng, b - a)
    for name, array in (("y", y), ("p", p), ("w", w)):
        np.save(folder / f"{name}.npy", array)


def make_parquet(n: int, folder: Path) -> int:
    """``N_FILES`` Parquet files of ``n`` rows in all; returns their total size in bytes."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(1)
    per_file = -(-n // N_FILES)
    for i in range(N_FILES):
        rows = min(per_file, n - i * per_file)
        if rows <= 0:
            break
        schema = pa.schema([("y", pa.bool_()), ("p", pa.float32()), ("w", pa.int32())])
        with pq.ParquetWriter(folder / f"part-{i:03d}.parquet", schema) as writer:
            for a in range(0, rows, ROW_GROUP):
                y, p, w = make_chunk(rng, min(ROW_GROUP, rows - a))
                writer.write_table(pa.table({"y": y, "p": p, "w": w}, schema=schema))
    return sum(f.stat().st_size for f in folder.glob("*.parquet"))


# ---------------------------------------------------------------------------- contenders
def _layout(p: np.ndarray) -> dict[str, Any]:
    from cutpoints.engines._histogram import bin_layout

    layout = bin_layout(float(p.min()), float(p.max()))
    return {
        "base": layout.base,
        "shift": layout.shift,
        "nonnegative": layout.nonnegative,
        "n_cells": layout.n_bins,
    }


def memory_call(name: str, y: np.ndarray, p: np.ndarray, w: np.ndarray) -> Callable[[], Any]:
    import cutpoints as cp

    weight = w if CASES[name][3] else None
    base = name.split("-")[0]
    if base in ("histogram", "sort"):
        return lambda: cp.find_cutpoint(y, p, metric="f1", sample_weight=weight, engine=base)
    if base == "nospec":
        # A/B of the speculative refinement: the refining pass reads the rows again.
        from cutpoints.engines import HistogramEngine

        plain = HistogramEngine(speculate=False)
        return lambda: cp.find_cutpoint(y, p, metric="f1", engine=plain)
    if base == "sklearn":
        from sklearn.metrics import precision_recall_curve

        def sklearn() -> float:
            precision, recall, thresholds = precision_recall_curve(y, p)
            precision, recall = precision[:-1], recall[:-1]
            with np.errstate(divide="ignore", invalid="ignore"):
                f1 = np.nan_to_num(2 * precision * recall / (precision + recall), nan=-1.0)
            return float(thresholds[int(np.argmax(f1))])

        return sklearn
    if base == "bincount":

        def bincount() -> np.ndarray:
            slots = (p.view(np.uint32) >> np.uint32(15)).astype(np.intp) & ~1
            slots |= y
            return np.bincount(slots, minlength=2 << 16)

        return bincount
    # One counting pass over the engine's layout (computing the layout is not timed).
    layout = _layout(p)
    if base == "fused":
        from cutpoints.engines._compiled import bin_counts

        # Weighted: the lean loop the engine runs when validation knows the largest
        # weight (none zero), the fastest weighted pass.
        known = {} if weight is None else {"weight_max": int(weight.max())}
        return lambda: bin_counts(p, y, weight, **layout, **known)
    if base == "numpy":
        from cutpoints.engines import _histogram

        box = _histogram.bin_layout(float(p.min()), float(p.max()))
        levels = [_histogram.Level(box.shift, 0, None, np.arange(box.n_bins, dtype=np.uint64))]
        _histogram.USE_COMPILED = False  # type: ignore[attr-defined]  # the numpy pass
        return lambda: _histogram.histogram(p, y, weight, box, levels)
    msg = f"unknown contender {name!r}"
    raise ValueError(msg)


DUCKDB_SQL = """
WITH per_score AS (
    SELECT p, SUM(CASE WHEN y THEN {w} ELSE 0 END) AS pos,
              SUM(CASE WHEN y THEN 0 ELSE {w} END) AS neg
    FROM read_parquet('{files}') GROUP BY p
), swept AS (
    SELECT p, SUM(pos) OVER (ORDER BY p DESC ROWS UNBOUNDED PRECEDING) AS tp,
              SUM(neg) OVER (ORDER BY p DESC ROWS UNBOUNDED PRECEDING) AS fp
    FROM per_score
), total AS (SELECT SUM(pos) AS n_pos FROM per_score)
SELECT p, tp, fp, 2.0 * tp / (tp + fp + n_pos) AS f1
FROM swept, total ORDER BY f1 DESC, p DESC LIMIT 1
"""


def parquet_call(name: str, folder: Path, threads: int) -> Callable[[], Any]:
    import pyarrow as pa
    import pyarrow.dataset as ds

    weighted = CASES[name][3]
    base = name.split("-")[0]
    pa.set_cpu_count(threads)
    if base == "scan":
        import cutpoints as cp

        data = cp.scan(folder, label="y", score="p", weight="w" if weighted else None)
        return lambda: cp.find_cutpoint(data, metric="f1")
    if base == "duckdb":
        import duckdb

        con = duckdb.connect()
        con.execute(f"SET threads = {threads}")
        sql = DUCKDB_SQL.format(w="w" if weighted else "1", files=folder / "*.parquet")
        return lambda: float(con.execute(sql).fetchone()[0])  # type: ignore[index]
    dataset = ds.dataset(str(folder), format="parquet")
    if name.startswith("arrow-fused"):
        from cutpoints.engines._compiled import bin_counts

        layout = None

        def scan_and_count() -> int:
            nonlocal layout
            total = 0
            for batch in dataset.to_batches(columns=["y", "p"], use_threads=threads > 1):
                p = batch.column("p").to_numpy()
                y = batch.column("y").to_numpy(zero_copy_only=False)
                if layout is None:  # the probabilities' range: [0, 1]
                    layout = _layout(np.array([0.0, 1.0]))
                total += int(bin_counts(p, y, None, **layout)[0].sum())
            return total

        return scan_and_count

    def scan_only() -> int:
        rows = 0
        for batch in dataset.to_batches(columns=["y", "p"], use_threads=threads > 1):
            rows += batch.num_rows
        return rows

    return scan_only


# ---------------------------------------------------------------------------- child
def _rss() -> tuple[int, int]:
    values = {}
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(("VmRSS:", "VmHWM:")):
                key, amount, _unit = line.split()
                values[key] = int(amount) * 1024
    return values["VmRSS:"], values["VmHWM:"]


def _answer(result: Any) -> float | None:
    threshold = getattr(result, "threshold", result)
    return float(threshold) if isinstance(threshold, (float, np.floating)) else None


def child(name: str, data: Path, repeats: int) -> None:
    """Time one case in this fresh process; print one JSON line."""
    kind, threads = CASES[name][1], CASES[name][2]
    if kind == "memory":
        y, p, w = (np.load(data / f"{k}.npy", allow_pickle=False) for k in ("y", "p", "w"))
        call = memory_call(name, y, p, w)
    else:
        call = parquet_call(name, data, threads)
    start = time.perf_counter()
    result = call()  # the first call in this process: numba's start-up included
    first = time.perf_counter() - start
    times, cpu = [first], [float("nan")]
    if repeats:
        times, cpu = [], []
    base, _ = _rss()
    with open("/proc/self/clear_refs", "w", encoding="ascii") as f:
        f.write("5")  # reset the peak: only the timed calls' own memory counts
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        call()
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    _, peak = _rss()
    if not repeats:
        base = 0  # one call: its peak is the whole process's
    out = {
        "median": statistics.median(times),
        "first": first,
        "cpu": statistics.median(cpu),
        "peak": peak,
        "peak_extra": peak - base if kind == "memory" and repeats else peak,
        "answer": _answer(result),
        "sorted_rows": getattr(getattr(result, "curve", None), "n_refined_rows", None),
    }
    print(json.dumps(out))


def measure(name: str, data: Path, repeats: int) -> dict[str, Any]:
    threads = CASES[name][2]
    env = dict(os.environ, CUTPOINTS_NUM_THREADS=str(threads), OMP_NUM_THREADS=str(threads))
    cmd = [sys.executable, str(HERE), "--child", name, "--data", str(data)]
    out = subprocess.run(
        [*cmd, "--repeats", str(repeats)], check=True, capture_output=True, text=True, env=env
    )
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def skipped(name: str, n: int, have_duckdb: bool) -> str | None:
    if name == "sklearn" and n > 10**7:
        return "does not fit (≈ 10 GB)"
    if name == "sort-w" and n > 10**7:
        return "skipped (argsort, ≈ 30 s)"
    if name.startswith("duckdb") and not have_duckdb:
        return "DuckDB not installed (`pip install -e '.[bench]'`)"
    if name == "duckdb-1" and n > 10**8:
        return "skipped (≈ 10 minutes)"
    return None


def repeats_for(name: str, n: int) -> int:
    """Calls timed after the warm-up: fewer for the slow cases (0: the warm-up alone)."""
    if name.startswith("duckdb"):
        return 0 if n >= 10**8 else 2
    if name.startswith(("sort", "sklearn")) or n >= 10**9:
        return 2 if n < 10**8 else 1
    return 3 if n >= 10**8 else 5


def run_cases(names: dict[str, Any], n: int, data: Path, have_duckdb: bool) -> dict[str, Any]:
    rows: dict[str, Any] = {}
    for name in names:
        reason = skipped(name, n, have_duckdb)
        if reason:
            rows[name] = {"skipped": reason}
            print(f"n={n:>13,}  {name:<14} {reason}", flush=True)
            continue
        rows[name] = r = measure(name, data, repeats_for(name, n))
        print(
            f"n={n:>13,}  {name:<14} {fmt_seconds(r['median']):>9}  (CPU {fmt_seconds(r['cpu'])})"
            f"  peak {fmt_bytes(r['peak_extra'])}  answer {r['answer']}",
            flush=True,
        )
    return rows


# ---------------------------------------------------------------------------- numba
def numba_costs() -> dict[str, Any]:
    """numba's install size, import time, and first-call times (compile; cached)."""
    from importlib import metadata

    size = 0
    wheels = {}
    for dist in ("numba", "llvmlite"):
        files = metadata.distribution(dist).files or []
        wheels[dist] = metadata.version(dist)
        size += sum(f.size or 0 for f in files)
    probe = (
        "import time, numpy as np; t = time.perf_counter(); import numba; "
        "t_import = time.perf_counter() - t; "
        "from cutpoints.engines._compiled import bin_counts; "
        "p = np.random.default_rng(0).random(10**6, dtype=np.float32); y = p > 0.9; "
        "w = np.ones(len(p), np.int64); "
        "t = time.perf_counter(); bin_counts(p, y, None, base=1 << 63, shift=48, "
        "nonnegative=True, n_cells=1 << 16); t_first = time.perf_counter() - t; "
        "t = time.perf_counter(); bin_counts(p, y, w, base=1 << 63, shift=48, "
        "nonnegative=True, n_cells=1 << 16); t_weighted = time.perf_counter() - t; "
        "t = time.perf_counter(); bin_counts(p, y, None, base=1 << 63, shift=48, "
        "nonnegative=True, n_cells=1 << 16); t_warm = time.perf_counter() - t; "
        "print(t_import, t_first, t_weighted, t_warm)"
    )
    out: dict[str, Any] = {"installed_bytes": size, "versions": wheels}
    with tempfile.TemporaryDirectory(prefix="cutpoints-numba-cache-") as cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache)
        for label in ("cold", "cached"):
            proc = subprocess.run(
                [sys.executable, "-c", probe], check=True, capture_output=True, text=True, env=env
            )
            values = [float(v) for v in proc.stdout.split()]
            keys = ("import", "first", "first_weighted", "warm")
            out[label] = dict(zip(keys, values, strict=True))
    print(f"numba: {json.dumps(out)}", flush=True)
    return out


# ---------------------------------------------------------------------------- report
def _cells(r: dict[str, Any]) -> list[str]:
    """Wall (CPU), first call in the process, peak RSS."""
    if "skipped" in r:
        return [r["skipped"], "–", "–"]
    cpu = "" if r["cpu"] != r["cpu"] else f" ({fmt_seconds(r['cpu'])})"  # NaN: one call
    mark = f" [{r['run']}]" if "run" in r else ""  # taken from an earlier run (--merge)
    return [
        f"{fmt_seconds(r['median'])}{cpu}{mark}",
        fmt_seconds(r["first"]),
        fmt_bytes(max(r["peak_extra"], 0)),
    ]


def table(results: dict[tuple[str, int], dict[str, Any]], cases: dict[str, Any]) -> list[str]:
    kind = next(iter(cases.values()))[1]
    sizes = sorted(n for k, n in results if k == kind)
    head = "| contender | threads | " + " | ".join(
        f"n = {n:,}: wall (CPU) | first call | peak RSS" for n in sizes
    )
    lines = [head + " |", "|---|---:|" + "---:|" * (3 * len(sizes))]
    for name, (label, _, threads, _) in cases.items():
        cells = [
            c for n in sizes for c in _cells(results[(kind, n)].get(name, {"skipped": "not run"}))
        ]
        lines.append(f"| {label} | {threads} | " + " | ".join(cells) + " |")
    return lines


def _t(results: dict[tuple[str, int], dict[str, Any]], kind: str, n: int, name: str) -> float:
    r = results.get((kind, n), {}).get(name, {})
    return float(r.get("median", float("nan")))


def goals(results: dict[tuple[str, int], dict[str, Any]]) -> list[str]:
    """The big-data issue's goals, met or not, from this run's numbers."""
    out = []

    def line(text: str, ok: bool | None) -> None:
        if "nan" in text:  # a case neither run now nor merged from an earlier run
            ok = None
        verdict = "n/a" if ok is None else "**met**" if ok else "**not met**"
        out.append(f"| {text} | {verdict} |")

    out += ["| goal (2-core machine) | this run |", "|---|---|"]
    for n in sorted(n for kind, n in results if kind == "memory"):
        hist, fused = _t(results, "memory", n, "histogram"), _t(results, "memory", n, "fused")
        ratio = hist / fused
        line(
            f"n = {n:,} in memory: histogram engine within 3× of the fused pass — "
            f"{fmt_seconds(hist)} vs {fmt_seconds(fused)}: {ratio:.1f}×",
            ratio <= 3,
        )
        r = results[("memory", n)].get("histogram", {})
        input_bytes = n * 5  # float32 scores + bool labels
        if "peak_extra" in r:
            line(
                f"n = {n:,}: peak extra memory at most the input's size — "
                f"{fmt_bytes(r['peak_extra'])} vs {fmt_bytes(input_bytes)}",
                r["peak_extra"] <= input_bytes,
            )
        one = _t(results, "memory", n, "histogram-1")
        line(
            f"n = {n:,}: the work spreads over both cores — 1 thread {fmt_seconds(one)}, "
            f"2 threads {fmt_seconds(hist)} ({one / hist:.2f}× speed-up)",
            one / hist >= 1.3,
        )
        weighted = _t(results, "memory", n, "histogram-w")
        line(
            f"n = {n:,}: weighted costs at most 1.5× unweighted — "
            f"{fmt_seconds(weighted)} vs {fmt_seconds(hist)}: {weighted / hist:.2f}×",
            weighted / hist <= 1.5,
        )
    for n in sorted(n for kind, n in results if kind == "parquet"):
        scan, duck = _t(results, "parquet", n, "scan"), _t(results, "parquet", n, "duckdb")
        arrow = _t(results, "parquet", n, "arrow")
        if n >= 10**9:
            r = results[("parquet", n)].get("scan", {"peak": float("nan")})
            line(f"1e9 Parquet rows in at most 90 s — {fmt_seconds(scan)}", scan <= 90)
            line(f"peak RSS at most 1 GB — {fmt_bytes(r['peak'])}", r["peak"] <= 1e9)
            line(f"at least 5× faster than DuckDB — {duck / scan:.1f}×", duck / scan >= 5)
        else:
            line(
                f"n = {n:,} Parquet rows: at most 0.25× DuckDB's time — "
                f"{fmt_seconds(scan)} vs {fmt_seconds(duck)}: {scan / duck:.2f}×",
                scan / duck <= 0.25,
            )
        line(
            f"n = {n:,} Parquet rows: within 3× of the bare scan — "
            f"{fmt_seconds(scan)} vs {fmt_seconds(arrow)}: {scan / arrow:.1f}×",
            scan / arrow <= 3,
        )
    line(
        "16 cores: the 1e8-row Parquet optimum in at most half of DuckDB-with-16-threads' "
        "time — no 16-core machine was lent to this session; the 1- vs 2-thread rows show "
        "the scaling",
        None,
    )
    return out


def markdown(
    results: dict[tuple[str, int], dict[str, Any]],
    numba: dict[str, Any],
    parquet_bytes: dict[int, int],
    load: tuple[float, float],
    runs: list[str] | None = None,
) -> str:
    lines = [
        "## Big data: in memory and on Parquet",
        "",
        f"Machine: {machine()}, DuckDB {_version('duckdb')}, pyarrow {_version('pyarrow')}, "
        f"numba {numba['versions'].get('numba', '?')}. The 2 cores were shared with other "
        f"jobs while this ran (load average {load[0]:.1f} at the start, {load[1]:.1f} at the "
        "end): compare contenders within one run. Data: float32 probabilities, 5% "
        "positives, integer weights 1..3, exact F1 optimum. Each case runs in a fresh "
        "process; times are medians of up to 5 calls after the first (the slowest: the "
        "first call alone, no CPU time shown); *first call* is the first in a fresh process "
        "(numba's start-up included, its cache warm). In-memory peak RSS is the timed calls' "
        "peak above what the process held before them (data loaded, numba imported); "
        "Parquet peak RSS, and any single-call case's, is the whole process's. Generated by "
        "`python benchmarks/bench_big.py`.",
        "",
    ]
    if runs:
        lines += [
            "Times marked [run N] were not measured in this run but taken from an earlier "
            "one of this script on the same machine and data (`--merge`):",
            "",
            *(f"- run {i}: {text}" for i, text in enumerate(runs, 1)),
            "",
        ]
    lines += [
        "### In memory",
        "",
        *table(results, MEMORY),
    ]
    if any(kind == "parquet" for kind, _ in results):
        sizes = ", ".join(
            f"{n:,} rows: {fmt_bytes(b)} in {N_FILES} files"
            for n, b in sorted(parquet_bytes.items())
        )
        lines += ["", f"### Parquet ({sizes})", "", *table(results, PARQUET)]
    lines += ["", "Same answer (threshold) from every exact contender:", ""]
    for (kind, n), rows in sorted(results.items()):
        for weighted in (False, True):
            names = [
                k
                for k, v in rows.items()
                if CASES[k][3] == weighted and v.get("answer") is not None
            ]
            answers = {k: rows[k]["answer"] for k in names}
            if len(answers) > 1:
                same = len(set(answers.values())) == 1
                what = "weighted" if weighted else "unweighted"
                lines.append(
                    f"- {kind}, n = {n:,}, {what}: **{'yes' if same else 'NO'}** "
                    f"({', '.join(f'{k}: {v!r}' for k, v in answers.items())})"
                )
    cold, cached = numba["cold"], numba["cached"]
    lines += [
        "",
        "### numba: install and start-up costs",
        "",
        f"- installed size of numba + llvmlite: {fmt_bytes(numba['installed_bytes'])}",
        f"- `import numba`: {fmt_seconds(cold['import'])} (imported on the first big "
        "input only, never by `import cutpoints`)",
        f"- first call in a fresh environment (compiles, `cache=True` writes the cache): "
        f"{fmt_seconds(cold['first'])} unweighted, then {fmt_seconds(cold['first_weighted'])} "
        "for the integer-weight kernel",
        f"- first call in a later process (loads the cached machine code): "
        f"{fmt_seconds(cached['first'])} unweighted, {fmt_seconds(cached['first_weighted'])} "
        f"weighted; warm call on 1e6 rows: {fmt_seconds(cached['warm'])}",
        "",
        "### Against the goals",
        "",
        *goals(results),
    ]
    return "\n".join(lines)


def _version(name: str) -> str:
    from importlib import metadata

    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def reused_parquet(folder: Path, n: int) -> int:
    """The size in bytes of kept Parquet files, after checking they hold ``n`` rows."""
    import pyarrow.parquet as pq

    files = sorted(folder.glob("*.parquet"))
    rows = sum(pq.ParquetFile(f).metadata.num_rows for f in files)
    if rows != n:
        msg = f"--reuse {folder}: {len(files)} Parquet files hold {rows:,} rows, not {n:,}"
        raise SystemExit(msg)
    return sum(f.stat().st_size for f in files)


def merge_earlier(
    results: dict[tuple[str, int], dict[str, Any]],
    parquet_bytes: dict[int, int],
    paths: list[Path],
) -> list[str]:
    """Fill the cases this run did not measure from earlier ``--json`` files.

    Each taken row gets ``run`` (its file's number, 1-based); returns one line per file
    that gave rows (date, load, command), for the table's notes. Rows this run measured
    (or skipped for a reason) are kept.
    """
    runs: list[str] = []
    for path in paths:
        record = json.loads(path.read_text())
        mtime = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(path.stat().st_mtime))
        taken = []
        for key, rows in record["results"].items():
            kind, size = key.split()
            n = int(size)
            mine = results.setdefault((kind, n), {})
            for name, row in rows.items():
                if name in CASES and "skipped" not in row and name not in mine:
                    mine[name] = {**row, "run": f"run {len(runs) + 1}"}
                    taken.append(f"{name} at {n:,}")
            if kind == "parquet" and n not in parquet_bytes:
                size_bytes = record.get("parquet_bytes", {}).get(str(n))
                if size_bytes is not None:
                    parquet_bytes[n] = int(size_bytes)
        if taken:
            load = record.get("load")
            load_text = f", load average {load[0]:.1f} to {load[1]:.1f}" if load else ""
            command = record.get("command")
            runs.append(
                f"{record.get('date', mtime + ' (file time)')}{load_text}"
                + (f", `bench_big.py {command}`" if command else "")
                + f": {', '.join(taken)}"
            )
    return runs


def _count(text: str) -> int:
    return int(float(text))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--rows",
        default="1e7,1e8",
        help="in-memory sizes, comma-separated (default: 1e7,1e8)",
    )
    parser.add_argument(
        "--parquet-rows",
        default="1e8",
        help="Parquet sizes, comma-separated; 0 skips the Parquet cases (default: 1e8)",
    )
    parser.add_argument("--quick", action="store_true", help="1e6 / 2e6 rows; no docs")
    parser.add_argument("--only", help="comma-separated case names (for a partial run)")
    parser.add_argument("--tmp", help="folder for the generated data (default: the system's)")
    parser.add_argument("--json", help="also write the raw results to this file")
    parser.add_argument(
        "--keep", action="store_true", help="keep the generated data (its folder is printed)"
    )
    parser.add_argument(
        "--reuse",
        metavar="FOLDER",
        help="Parquet files kept by an earlier --keep run, used instead of new ones (one "
        "Parquet size; the row count is checked)",
    )
    parser.add_argument(
        "--merge",
        metavar="JSON",
        action="append",
        default=[],
        help="results of an earlier --json run: cases not run now are taken from it, "
        "marked as such in the table (repeatable; the first file with a case gives it)",
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--data", help=argparse.SUPPRESS)
    parser.add_argument("--repeats", type=int, default=5, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, Path(args.data), args.repeats)
        return
    memory_sizes = [10**6] if args.quick else [_count(v) for v in args.rows.split(",") if v]
    parquet_sizes = [2 * 10**6] if args.quick else [_count(v) for v in args.parquet_rows.split(",")]
    parquet_sizes = [n for n in parquet_sizes if n > 0]
    memory_sizes = [n for n in memory_sizes if n > 0]
    if args.reuse and len(parquet_sizes) != 1:
        parser.error(f"--reuse needs exactly one Parquet size (got {parquet_sizes})")
    only = set(args.only.split(",")) if args.only else None
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    have_duckdb = _version("duckdb") != "not installed"
    load_start = os.getloadavg()[0]
    results: dict[tuple[str, int], dict[str, Any]] = {}
    parquet_bytes: dict[int, int] = {}
    numba = numba_costs()
    for kind, sizes, cases in (
        ("memory", memory_sizes, MEMORY),
        ("parquet", parquet_sizes, PARQUET),
    ):
        for n in sizes:
            chosen = {k: v for k, v in cases.items() if only is None or k in only}
            if not chosen:
                continue
            if kind == "parquet" and args.reuse:
                folder = Path(args.reuse)
                parquet_bytes[n] = reused_parquet(folder, n)
                print(f"re-using {folder} ({n:,} rows)")
                results[(kind, n)] = run_cases(chosen, n, folder, have_duckdb)
                continue
            folder = Path(tempfile.mkdtemp(prefix=f"cutpoints-bench-{kind}-", dir=args.tmp))
            try:
                start = time.perf_counter()
                if kind == "memory":
                    make_arrays(n, folder)
                else:
                    parquet_bytes[n] = make_parquet(n, folder)
                print(f"made {kind} data, n={n:,}, in {time.perf_counter() - start:.1f} s")
                results[(kind, n)] = run_cases(chosen, n, folder, have_duckdb)
            finally:
                if args.keep:
                    print(f"kept the data in {folder}")
                else:
                    shutil.rmtree(folder, ignore_errors=True)
    load = (load_start, os.getloadavg()[0])
    if args.json:
        raw = {f"{kind} {n}": rows for (kind, n), rows in results.items()}
        record = {
            "numba": numba,
            "results": raw,
            "date": started,
            "load": load,
            "parquet_bytes": {str(n): b for n, b in parquet_bytes.items()},
            "command": " ".join(sys.argv[1:]),
        }
        Path(args.json).write_text(json.dumps(record, indent=1))
    runs = merge_earlier(results, parquet_bytes, [Path(m) for m in args.merge])
    if only and not args.merge:
        return
    text = markdown(results, numba, parquet_bytes, load, runs)
    print()
    print(text)
    if not args.quick:
        write_section("big-data-benchmark", text)
        print("\nwrote docs/benchmarks.md")


if __name__ == "__main__":
    main()
