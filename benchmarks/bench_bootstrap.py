"""Benchmark: cutpoints.bootstrap vs the naive bootstrap (resample rows, sklearn PR curve).

Usage::

    python benchmarks/bench_bootstrap.py           # n = 1e4, 1e5, 1e6; 1,000 resamples
    python benchmarks/bench_bootstrap.py --quick   # small sizes, few resamples; no docs

Both sides run in the same process on the same data. The naive side draws the *same*
resample indices (``BootstrapResult.resample_indices``), so the answers are compared
resample by resample. At large n the naive way is timed on a subset of resamples and
extrapolated linearly (the table says so). The table is written into
``docs/benchmarks.md`` between the bootstrap-benchmark markers.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes; do not write docs")
    parser.add_argument("--n-jobs", type=int, default=None)
    args = parser.parse_args()
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
