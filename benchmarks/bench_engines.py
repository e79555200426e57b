"""Engines benchmark: the histogram-refine engine vs the sort engine, in memory.

Run from the repository root::

    python benchmarks/bench_engines.py           # 1e7 float32 scores; writes docs/benchmarks.md
    python benchmarks/bench_engines.py --big     # also 1e8 (about 4 GB of memory at the peak)
    python benchmarks/bench_engines.py --quick   # 1e6 only; prints, does not touch the docs

For each n, on float32 probabilities (5% positives, a logistic model of a noisy signal),
it times the exact F1 optimum (median of several calls after one warm-up) with

- ``find_cutpoint(engine="histogram")`` -- unweighted, on one thread
  (``CUTPOINTS_NUM_THREADS=1``), with integer weights, and with a constraint;
- ``find_cutpoint(engine="sort")`` -- unweighted and with integer weights (the weighted
  sort is skipped above 1e7: it argsorts, about 30 s at 1e8);
- scikit-learn's ``precision_recall_curve`` + F1 + ``argmax`` (up to 1e7, where it fits);
- a bare ``np.bincount`` pass over the scores' top 16 bits and the label (the floor any
  numpy histogram pays; no validation, no selection).

Every contender runs in its own child process, which also reports its peak RSS above
what the process held once the data were made (``/proc/self/clear_refs`` resets the
high-water mark). The parent checks that both engines give the same answer
(``Cutpoint.to_dict()`` without the data fingerprint). It also times both engines at
small sizes, the crossover that sets ``engine="auto"``'s threshold.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import fmt_bytes, fmt_seconds, machine, write_section

HERE = Path(__file__).resolve()

CONTENDERS = {
    "histogram": "histogram engine",
    "histogram-1thread": "histogram engine, 1 thread",
    "histogram-weighted": "histogram engine, integer weights",
    "histogram-constrained": "histogram engine, precision ≥ 0.3",
    "sort": "sort engine",
    "sort-weighted": "sort engine, integer weights",
    "sklearn": "scikit-learn PR curve + argmax",
    "bincount": "bare `np.bincount` pass (floor)",
}


def make_data(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Labels, float32 probabilities and integer weights 1..3, made in chunks."""
    rng = np.random.default_rng(seed)
    y = np.empty(n, dtype=bool)
    s = np.empty(n, dtype=np.float32)
    w = np.empty(n, dtype=np.int64)
    step = 1 << 22
    for a in range(0, n, step):
        b = min(a + step, n)
        y[a:b] = rng.random(b - a) < 0.05
        logit = rng.normal(size=b - a) + 2.0 * y[a:b] - 3.0
        s[a:b] = 1.0 / (1.0 + np.exp(-logit))
        w[a:b] = rng.integers(1, 4, b - a)
    return y, s, w


def _rss() -> tuple[int, int]:
    """(current, peak) resident set size in bytes, from /proc."""
    values = {}
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(("VmRSS:", "VmHWM:")):
                key, amount, _unit = line.split()
                values[key] = int(amount) * 1024
    return values["VmRSS:"], values["VmHWM:"]


def _call(name: str, y: np.ndarray, s: np.ndarray, w: np.ndarray) -> Any:
    import cutpoints as cp

    if name in ("histogram", "histogram-1thread"):
        return cp.find_cutpoint(y, s, metric="f1", engine="histogram")
    if name == "histogram-weighted":
        return cp.find_cutpoint(y, s, metric="f1", sample_weight=w, engine="histogram")
    if name == "histogram-constrained":
        return cp.find_cutpoint(
            y, s, metric="f1", constraints=["precision >= 0.3"], engine="histogram"
        )
    if name == "sort":
        return cp.find_cutpoint(y, s, metric="f1", engine="sort")
    if name == "sort-weighted":
        return cp.find_cutpoint(y, s, metric="f1", sample_weight=w, engine="sort")
    if name == "sklearn":
        from sklearn.metrics import precision_recall_curve

        precision, recall, thresholds = precision_recall_curve(y, s)
        precision, recall = precision[:-1], recall[:-1]
        with np.errstate(divide="ignore", invalid="ignore"):
            f1 = np.nan_to_num(2 * precision * recall / (precision + recall), nan=-1.0)
        return float(thresholds[int(np.argmax(f1))])
    if name == "bincount":
        slots = (s.view(np.uint32) >> np.uint32(15)).astype(np.intp) & ~1
        slots |= y
        return np.bincount(slots, minlength=2 << 16)
    msg = f"unknown contender {name!r}"
    raise ValueError(msg)


def child(name: str, n: int, repeats: int) -> None:
    """Time one contender in this (fresh) process; print JSON."""
    y, s, w = make_data(n)
    base, _ = _rss()
    with open("/proc/self/clear_refs", "w", encoding="ascii") as f:
        f.write("5")  # reset the peak: only the contender's own memory counts
    result = _call(name, y, s, w)  # warm-up, and the memory peak of one call
    _, peak = _rss()
    times, cpu = [], []
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        _call(name, y, s, w)
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    answer = None
    if hasattr(result, "to_dict"):
        answer = result.to_dict()
        answer["data"].pop("fingerprint")
        answer["curve_rows"] = len(result.curve)
        answer["sorted_rows"] = getattr(result.curve, "n_refined_rows", None)
    print(
        json.dumps(
            {
                "median": statistics.median(times),
                "cpu": statistics.median(cpu),
                "peak_extra": peak - base,
                "answer": answer,
            }
        )
    )


def measure(name: str, n: int, repeats: int) -> dict[str, Any]:
    env = dict(os.environ)
    if name == "histogram-1thread":
        env["CUTPOINTS_NUM_THREADS"] = "1"
    out = subprocess.run(
        [sys.executable, str(HERE), "--child", name, "--n", str(n), "--repeats", str(repeats)],
        check=True,
        capture_output=True,
        text=True,
        env=env,
    )
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def skipped(name: str, n: int) -> str | None:
    if name == "sklearn" and n > 10**7:
        return "does not fit (≈ 10 GB)"
    if name == "sort-weighted" and n > 10**7:
        return "skipped (argsort, ≈ 30 s)"
    return None


def run(n: int) -> dict[str, dict[str, Any]]:
    repeats = 3 if n >= 10**8 else 5
    rows: dict[str, dict[str, Any]] = {}
    for name in CONTENDERS:
        reason = skipped(name, n)
        if reason:
            rows[name] = {"skipped": reason}
            print(f"n={n:>13,}  {name:<22} {reason}", flush=True)
            continue
        rows[name] = measure(name, n, repeats)
        r = rows[name]
        print(
            f"n={n:>13,}  {name:<22} {fmt_seconds(r['median']):>9}  "
            f"(CPU {fmt_seconds(r['cpu'])})  peak extra {fmt_bytes(r['peak_extra'])}",
            flush=True,
        )
    for a, b in (("histogram", "sort"), ("histogram-weighted", "sort-weighted")):
        if "answer" in rows[a] and "answer" in rows[b]:
            ra, rb = dict(rows[a]["answer"]), dict(rows[b]["answer"])
            extra = {k: ra.pop(k) for k in ("curve_rows", "sorted_rows")}
            rb.pop("curve_rows")
            rb.pop("sorted_rows")
            rows[a]["same"] = ra == rb
            rows[a].update(extra)
    return rows


def crossover(sizes: list[int]) -> list[tuple[int, float, float]]:
    """Median time of both engines at small sizes (in this process, interleaved)."""
    import cutpoints as cp

    out = []
    for n in sizes:
        y, s, _ = make_data(n, seed=1)
        times: dict[str, list[float]] = {"sort": [], "histogram": []}
        for engine in times:  # warm-up
            cp.find_cutpoint(y, s, engine=engine)
        for _ in range(15):
            for engine, spent in times.items():
                start = time.perf_counter()
                cp.find_cutpoint(y, s, engine=engine)
                spent.append(time.perf_counter() - start)
        out.append((n, statistics.median(times["sort"]), statistics.median(times["histogram"])))
        _, t_sort, t_hist = out[-1]
        print(f"crossover n={n:>9,}  sort {fmt_seconds(t_sort)}  histogram {fmt_seconds(t_hist)}")
    return out


def table(
    results: dict[int, dict[str, dict[str, Any]]],
    cross: list[tuple[int, float, float]],
    load: tuple[float, float],
) -> str:
    from cutpoints.engines import AUTO_HISTOGRAM_MIN_ROWS

    lines = [
        "## Engines: histogram-refine vs sort, in memory",
        "",
        f"Machine: {machine()}. **The 2 cores were shared with other jobs while this ran "
        f"(load average {load[0]:.1f} at the start, {load[1]:.1f} at the end), so wall "
        "times are noisy: compare contenders within one run, and read the CPU time (all "
        "threads; less sensitive to the load) beside it.** Data: float32 probabilities, 5% "
        "positives, exact F1 optimum. Each contender runs in a fresh process: times are "
        "medians of 3–5 calls after a warm-up; memory is the peak RSS of one call above "
        "what the process held with the data loaded. Generated by `python "
        "benchmarks/bench_engines.py` (`--big` adds 1e8).",
        "",
    ]
    sizes = sorted(results)
    head = "| contender | " + " | ".join(f"wall (CPU), n = {n:,}" for n in sizes)
    head += " | " + " | ".join(f"peak extra RSS, n = {n:,}" for n in sizes) + " |"
    lines += [head, "|---|" + "---:|" * (2 * len(sizes))]
    for name, label in CONTENDERS.items():
        cells_t, cells_m = [], []
        for n in sizes:
            r = results[n][name]
            if "skipped" in r:
                cells_t.append(r["skipped"])
                cells_m.append("–")
            else:
                cells_t.append(f"{fmt_seconds(r['median'])} ({fmt_seconds(r['cpu'])})")
                cells_m.append(fmt_bytes(max(r["peak_extra"], 0)))
        lines.append(f"| {label} | " + " | ".join(cells_t) + " | " + " | ".join(cells_m) + " |")
    lines += ["", "Identical answers and how much the histogram engine sorted:", ""]
    for n in sizes:
        for name in ("histogram", "histogram-weighted"):
            r = results[n][name]
            if "same" in r:
                lines.append(
                    f"- n = {n:,}, {CONTENDERS[name]}: same answer as the sort engine "
                    f"(`to_dict()` without the fingerprint): **{'yes' if r['same'] else 'NO'}**; "
                    f"sorted {r['sorted_rows']:,} of {n:,} rows; its curve has "
                    f"{r['curve_rows']:,} rows."
                )
        h, s, b = results[n]["histogram"], results[n]["sort"], results[n]["bincount"]
        lines.append(
            f"- n = {n:,}: histogram / sort = {h['median'] / s['median']:.2f} (wall), "
            f"{h['cpu'] / s['cpu']:.2f} (CPU); histogram / bare bincount = "
            f"{h['median'] / b['median']:.2f} (wall), {h['cpu'] / b['cpu']:.2f} (CPU)"
        )
    lines += [
        "",
        f"Small sizes (probabilities, median wall time of 15 interleaved calls): "
        f'`engine="auto"` switches to the histogram engine from '
        f"{AUTO_HISTOGRAM_MIN_ROWS:,} rows.",
        "",
        "| n | sort engine | histogram engine |",
        "|---:|---:|---:|",
    ]
    lines += [f"| {n:,} | {fmt_seconds(a)} | {fmt_seconds(b)} |" for n, a, b in cross]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--big", action="store_true", help="also n = 1e8")
    parser.add_argument("--quick", action="store_true", help="n = 1e6 only; no docs")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--n", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--repeats", type=int, default=5, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.n, args.repeats)
        return
    sizes = [10**6] if args.quick else [10**7, 10**8] if args.big else [10**7]
    load_start = os.getloadavg()[0]
    results = {n: run(n) for n in sizes}
    cross = crossover([10**4, 3 * 10**4, 10**5, 2 * 10**5, 5 * 10**5, 10**6])
    markdown = table(results, cross, (load_start, os.getloadavg()[0]))
    print()
    print(markdown)
    if not args.quick:
        write_section("engines-benchmark", markdown)
        print("\nwrote docs/benchmarks.md")


if __name__ == "__main__":
    main()
