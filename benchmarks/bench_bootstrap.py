"""Benchmark: cutpoints.bootstrap vs the naive bootstrap (resample rows, sklearn PR curve).

Usage::

    python benchmarks/bench_bootstrap.py           # n = 1e4, 1e5, 1e6; 1,000 resamples
    python benchmarks/bench_bootstrap.py --quick   # small sizes, few resamples; no docs
    python benchmarks/bench_bootstrap.py --scale   # 1e7 rows, 200 resamples: in memory
                                                   # vs Poisson (memory, Parquet files)

Both sides run in the same process on the same data. The naive side draws the *same*
resample indices (``BootstrapResult.resample_indices``), so the answers are compared
resample by resample. At large n the naive way is timed on a subset of resamples and
extrapolated linearly (the table says so). The table is written into
``docs/benchmarks.md`` between the bootstrap-benchmark markers.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from sklearn.metrics import precision_recall_curve

import cutpoints as cp

START = "<!-- bootstrap-benchmark:start -->"
END = "<!-- bootstrap-benchmark:end -->"
DOCS = Path(__file__).resolve().parents[1] / "docs" / "benchmarks.md"


def make_data(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.05).astype(np.int64)
    s = 1 / (1 + np.exp(-(rng.normal(size=n) + 1.5 * y - 2)))
    return y, s


def naive_one(y: np.ndarray, s: np.ndarray, rows: np.ndarray) -> float:
    """The usual way: resample rows, sklearn's PR curve, argmax F1."""
    precision, recall, thresholds = precision_recall_curve(y[rows], s[rows])
    with np.errstate(divide="ignore", invalid="ignore"):
        f1 = 2 * precision * recall / (precision + recall)
    f1 = np.nan_to_num(f1[:-1], nan=-1.0)
    return float(thresholds[np.argmax(f1)]), float(f1.max())


def run(n: int, n_resamples: int, naive_budget: int, n_jobs: int | None) -> dict:
    y, s = make_data(n)
    t0 = time.perf_counter()
    res = cp.bootstrap(y, s, metric="f1", n_resamples=n_resamples, random_state=0, n_jobs=n_jobs)
    ours = time.perf_counter() - t0
    k = min(n_resamples, naive_budget)
    t0 = time.perf_counter()
    rows_list = [res.resample_indices(i) for i in range(k)]
    draw = time.perf_counter() - t0
    t0 = time.perf_counter()
    naive = [naive_one(y, s, r) for r in rows_list]
    naive_time = (time.perf_counter() - t0 + draw) * n_resamples / k
    # Same indices -> same answers. sklearn ties F1 at several thresholds and breaks them
    # by its own order (lowest threshold), so compare the optimal F1 exactly and the
    # threshold as "one of the optimal thresholds" of the exact sweep.
    checked = 0
    for i, (t_naive, f1_naive) in enumerate(naive[:5]):
        cut = cp.find_cutpoint(y[rows_list[i]], s[rows_list[i]], metric="f1")
        assert abs(res.in_bag["f1"][i] - f1_naive) < 1e-12, (i, res.in_bag["f1"][i], f1_naive)
        assert res.thresholds[i] == cut.threshold
        assert t_naive in cut.optimal_thresholds, (t_naive, cut.optimal_thresholds)
        checked += 1
    return {
        "n": n,
        "resamples": n_resamples,
        "ours": ours,
        "naive": naive_time,
        "naive_timed": k,
        "speedup": naive_time / ours,
        "checked": checked,
    }


def table(rows: list[dict], n_jobs: int | None) -> str:
    head = (
        "Bootstrap of the F1-optimal threshold (stratified resamples), in one process"
        + (f" (`n_jobs={n_jobs}`)" if n_jobs else "")
        + f". Machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, numpy {np.__version__}. Naive = draw the same row "
        "indices, `sklearn.metrics.precision_recall_curve` on the resampled rows, argmax F1.\n\n"
        "| n | resamples | cutpoints.bootstrap | naive (sklearn per resample) | speed-up "
        "| same answers |\n"
        "|---:|---:|---:|---:|---:|---|\n"
    )
    lines = []
    for r in rows:
        extra = (
            ""
            if r["naive_timed"] == r["resamples"]
            else (f" (timed {r['naive_timed']}, extrapolated)")
        )
        lines.append(
            f"| {r['n']:,} | {r['resamples']:,} | {r['ours']:.2f} s | {r['naive']:.1f} s{extra} | "
            f"{r['speedup']:.0f}x | yes, checked on {r['checked']} resamples |"
        )
    return head + "\n".join(lines) + "\n"


def write_docs(text: str) -> None:
    block = f"{START}\n## Bootstrap\n\n{text}{END}\n"
    old = DOCS.read_text() if DOCS.exists() else "# Benchmarks\n"
    if START in old and END in old:
        new = re.sub(
            re.escape(START) + r".*?" + re.escape(END) + r"\n?",
            lambda m: block,
            old,
            flags=re.DOTALL,
        )
    else:
        new = old.rstrip("\n") + "\n\n" + block
    DOCS.parent.mkdir(parents=True, exist_ok=True)
    DOCS.write_text(new)


# ---------------------------------------------------------------------------- at scale
SCALE_CASES = {
    "multinomial": "in memory, multinomial (stratified, the default)",
    "poisson-memory": 'in memory, `method="poisson"`',
    "poisson-parquet": "streamed: `cp.scan` of 10 Parquet files",
}


def _rss_mb(field: str = "VmHWM") -> float:
    """This process's peak (``VmHWM``) or current (``VmRSS``) resident memory, in MB.

    Read from /proc: ``getrusage``'s ``ru_maxrss`` survives ``exec``, so a child would
    report its parent's peak.
    """
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024  # kB
    return float("nan")


def _reset_peak() -> None:
    """Start the peak (``VmHWM``) afresh: the call's peak, not the data generation's."""
    with open("/proc/self/clear_refs", "w", encoding="ascii") as f:
        f.write("5")


def scale_case(case: str, n: int, n_resamples: int, folder: str) -> dict:
    """One case, in this (fresh) process: time of the bootstrap call, peak RSS."""
    from cutpoints._scan import scan

    if case == "poisson-parquet":
        _reset_peak()
        before = _rss_mb("VmRSS")
        data = scan(folder, label="y", score="s")
        t0 = time.perf_counter()
        res = cp.bootstrap(data, metric="f1", n_resamples=n_resamples, random_state=0)
    else:
        y, s = make_data(n)
        s = s.astype(np.float32)
        _reset_peak()
        before = _rss_mb("VmRSS")
        method = "poisson" if case == "poisson-memory" else None
        t0 = time.perf_counter()
        res = cp.bootstrap(
            y, s, metric="f1", n_resamples=n_resamples, random_state=0, method=method
        )
    seconds = time.perf_counter() - t0
    lo, hi = res.interval("threshold")
    f1 = res.interval("f1", kind="out_of_bag")
    return {
        "case": case,
        "seconds": seconds,
        "peak_rss_mb": _rss_mb(),
        "rss_before_mb": before,
        "threshold": res.threshold,
        "interval": [lo, hi],
        "f1_oob": list(f1),
    }


def scale(n: int, n_resamples: int) -> str:
    """Every case in its own process (peak RSS per case), on the same data."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = []
    with tempfile.TemporaryDirectory() as folder:
        y, s = make_data(n)
        for i, part in enumerate(np.array_split(np.arange(n), 10)):
            table = pa.table({"y": y[part].astype(np.int8), "s": s[part].astype(np.float32)})
            pq.write_table(table, os.path.join(folder, f"part-{i:02d}.parquet"))
        del y, s
        for case in SCALE_CASES:
            cmd = [sys.executable, __file__, "--case", case, "--n", str(n)]
            cmd += ["--resamples", str(n_resamples), "--folder", folder]
            out = subprocess.run(cmd, check=True, capture_output=True, text=True)
            row = json.loads(out.stdout.strip().splitlines()[-1])
            print(row, flush=True)
            rows.append(row)
    head = (
        f"Bootstrap at scale: {n:,} float32 scores (5% positives), {n_resamples} "
        "resamples, F1. Each case runs in a fresh process; time of the `cp.bootstrap` "
        "call (including its point estimate and every pass over the data); RSS of the "
        "process before the call (imports, and the input where it is in memory: int64 "
        f"labels and float32 scores, {n * 12 / 2**20:.0f} MB) and its peak during the "
        "call. Machine: "
        f"{platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, numpy {np.__version__}; one run (the machine is "
        "shared).\n\n"
        "| case | time | RSS before | peak RSS | threshold | 95% interval of the threshold |\n"
        "|---|---:|---:|---:|---:|---|\n"
    )
    lines = [
        f"| {SCALE_CASES[r['case']]} | {r['seconds']:.1f} s | {r['rss_before_mb']:.0f} MB "
        f"| {r['peak_rss_mb']:.0f} MB | {r['threshold']:.6g} "
        f"| [{r['interval'][0]:.6g}, {r['interval'][1]:.6g}] |"
        for r in rows
    ]
    return head + "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes; do not write docs")
    parser.add_argument("--n-jobs", type=int, default=None)
    parser.add_argument("--scale", action="store_true", help="1e7 rows: memory vs streamed")
    parser.add_argument("--case", choices=sorted(SCALE_CASES), help=argparse.SUPPRESS)
    parser.add_argument("--n", type=int, default=10_000_000)
    parser.add_argument("--resamples", type=int, default=200)
    parser.add_argument("--folder", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.case:
        print(json.dumps(scale_case(args.case, args.n, args.resamples, args.folder)))
        return
    if args.scale:
        text = scale(args.n, args.resamples)
        print(text)
        if args.n == 10_000_000 and args.resamples == 200:
            from _common import write_section

            write_section("bootstrap-scale-benchmark", "## Bootstrap at scale\n\n" + text)
            print(f"wrote {DOCS}")
        return
    if args.quick:
        plan = [(10_000, 50, 50), (100_000, 20, 5)]
    else:
        plan = [(10_000, 1000, 1000), (100_000, 1000, 200), (1_000_000, 1000, 20)]
    rows = []
    for n, n_resamples, budget in plan:
        r = run(n, n_resamples, budget, args.n_jobs)
        print(
            f"n={n:>9,}  ours {r['ours']:7.2f} s  naive {r['naive']:8.1f} s "
            f"(timed {r['naive_timed']})  speed-up {r['speedup']:.1f}x",
            flush=True,
        )
        rows.append(r)
    text = table(rows, args.n_jobs)
    print(text)
    if not args.quick:
        write_docs(text)
        print(f"wrote {DOCS}")


if __name__ == "__main__":
    main()
