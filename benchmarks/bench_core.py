"""Core benchmark: the exact F1 optimum, ours vs scikit-learn vs the naive loop.

Run from the repository root::

    python benchmarks/bench_core.py            # n = 1e4 .. 1e7, writes docs/benchmarks.md
    python benchmarks/bench_core.py --quick    # n = 1e4, 1e5; prints only

In one process and one run, for each n it times (median of several repeats):

- ours: ``cutpoints.find_cutpoint(y, s, metric="f1")``, and with the constraint
  ``precision >= 0.3``;
- scikit-learn's exact sweep: ``precision_recall_curve`` + F1 + ``argmax`` (and the same
  with the constraint as a mask);
- the naive loop: 1,000 evenly spaced thresholds x ``f1_score`` (skipped at sizes where
  it would take over two minutes, estimated from one call).

It also measures the extra peak memory of one call (tracemalloc), checks that ours and
scikit-learn's reach the same optimum, and records how far the naive grid falls short.
Targets (issue #2): at most 0.5x scikit-learn's time at every n >= 1e5, at most half its
extra peak memory at 1e7, and at least 1,000x faster than the naive loop at 1e5.
"""

from __future__ import annotations

import argparse
import sys
import time
from functools import partial
from pathlib import Path

import numpy as np
from sklearn.metrics import f1_score, precision_recall_curve

sys.path.insert(0, str(Path(__file__).resolve().parent))
import cutpoints as cp
from _common import (
    fmt_bytes,
    fmt_seconds,
    machine,
    paired_medians,
    peak_extra_bytes,
    write_section,
)

CONSTRAINT_FLOOR = 0.3
NAIVE_LIMIT_SECONDS = 120.0
N_GRID = 1000


def make_data(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """5% positives; probabilities from a logistic model of a noisy signal (all distinct)."""
    rng = np.random.default_rng(seed)
    y = rng.random(n) < 0.05
    logit = rng.normal(size=n) + 2.0 * y - 3.0
    return y, 1.0 / (1.0 + np.exp(-logit))


def sklearn_f1(y: np.ndarray, s: np.ndarray, constrained: bool = False) -> tuple[float, float]:
    precision, recall, thresholds = precision_recall_curve(y, s)
    precision, recall = precision[:-1], recall[:-1]  # drop the endpoint without threshold
    with np.errstate(divide="ignore", invalid="ignore"):
        f1 = 2 * precision * recall / (precision + recall)
    f1 = np.nan_to_num(f1, nan=-1.0)
    if constrained:
        f1 = np.where(precision >= CONSTRAINT_FLOOR, f1, -1.0)
    i = int(np.argmax(f1))
    return float(thresholds[i]), float(f1[i])


def naive_f1(y: np.ndarray, s: np.ndarray) -> tuple[float, float]:
    grid = np.linspace(s.min(), s.max(), N_GRID)
    scores = [f1_score(y, s >= t, zero_division=0.0) for t in grid]
    i = int(np.argmax(scores))
    return float(grid[i]), float(scores[i])


def run(sizes: list[int]) -> list[dict[str, object]]:
    rows = []
    for n in sizes:
        y, s = make_data(n)
        repeats = 5 if n >= 10**7 else 11 if n >= 10**6 else 31
        ours = partial(cp.find_cutpoint, y, s, metric="f1")
        ours_c = partial(
            cp.find_cutpoint, y, s, metric="f1", constraints=[f"precision >= {CONSTRAINT_FLOOR}"]
        )
        sk = partial(sklearn_f1, y, s)
        sk_c = partial(sklearn_f1, y, s, constrained=True)

        medians = paired_medians({"ours": ours, "sk": sk, "ours_c": ours_c, "sk_c": sk_c}, repeats)
        t_ours, t_ours_c, t_sk, t_sk_c = (medians[k] for k in ("ours", "ours_c", "sk", "sk_c"))
        m_ours, m_sk = peak_extra_bytes(ours), peak_extra_bytes(sk)

        cut, cut_c = ours(), ours_c()
        sk_t, sk_f1 = sk()
        sk_tc, sk_f1c = sk_c()
        same = (
            sk_t in cut.optimal_thresholds
            and abs(sk_f1 - cut.score) < 1e-12
            and sk_tc in cut_c.optimal_thresholds
            and abs(sk_f1c - cut_c.score) < 1e-12
        )

        one_call = time.perf_counter()
        f1_score(y, s >= np.median(s), zero_division=0.0)
        estimate = (time.perf_counter() - one_call) * N_GRID
        if estimate <= NAIVE_LIMIT_SECONDS:
            start = time.perf_counter()
            _, naive_best = naive_f1(y, s)
            t_naive: float | None = time.perf_counter() - start
        else:
            t_naive, naive_best = None, None
        row = {
            "n": n,
            "ours": t_ours,
            "ours_c": t_ours_c,
            "sk": t_sk,
            "sk_c": t_sk_c,
            "naive": t_naive,
            "naive_estimate": estimate,
            "mem_ours": m_ours,
            "mem_sk": m_sk,
            "same": same,
            "f1": cut.score,
            "naive_f1": naive_best,
        }
        rows.append(row)
        print(
            f"n={n:>11,}  ours {fmt_seconds(t_ours):>9} ({fmt_seconds(t_ours_c)} constrained)  "
            f"sklearn {fmt_seconds(t_sk):>9}  ratio {t_ours / t_sk:.2f}  "
            f"naive {fmt_seconds(t_naive):>9}  mem {fmt_bytes(m_ours)} vs {fmt_bytes(m_sk)}  "
            f"same optimum: {same}",
            flush=True,
        )
    return rows


def table(rows: list[dict[str, object]]) -> str:
    lines = [
        f"Machine: {machine()}. Data: 5% positives, float64 probabilities, all distinct.",
        "Times are medians of 5–31 interleaved rounds (each round times every contender once,",
        "so all see the same machine load); memory is the extra peak of one call (tracemalloc).",
        "",
        "| n | ours: F1 | ours: F1, precision ≥ 0.3 | scikit-learn: PR curve + argmax "
        "| (constrained) | time ratio ours/sklearn | naive 1,000 × f1_score "
        "| speed-up vs naive | peak memory ours | peak memory sklearn | memory ratio "
        "| same optimum | naive grid F1 gap |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|:---:|---:|",
    ]
    for r in rows:
        naive = r["naive"]
        speedup = (
            f"{naive / r['ours']:,.0f}×"
            if naive is not None
            else f"≈{r['naive_estimate'] / r['ours']:,.0f}× (est.)"
        )
        naive_text = (
            fmt_seconds(naive) if naive is not None else f"skipped (≈{r['naive_estimate']:.0f} s)"
        )
        gap = "–" if r["naive_f1"] is None else f"{r['f1'] - r['naive_f1']:.2e}"
        lines.append(
            f"| {r['n']:,} | {fmt_seconds(r['ours'])} | {fmt_seconds(r['ours_c'])} "
            f"| {fmt_seconds(r['sk'])} | {fmt_seconds(r['sk_c'])} | {r['ours'] / r['sk']:.2f} "
            f"| {naive_text} | {speedup} | {fmt_bytes(r['mem_ours'])} | {fmt_bytes(r['mem_sk'])} "
            f"| {r['mem_ours'] / r['mem_sk']:.2f} | {'yes' if r['same'] else '**no**'} | {gap} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="n = 1e4 and 1e5 only; no docs")
    args = parser.parse_args()
    sizes = [10**4, 10**5] if args.quick else [10**4, 10**5, 10**6, 10**7]
    rows = run(sizes)
    markdown = table(rows)
    print()
    print(markdown)
    if not args.quick:
        write_section("core-benchmark", "## Exact F1 optimum\n\n" + markdown)
        print("\nwrote docs/benchmarks.md")


if __name__ == "__main__":
    main()
