"""Deciding with money: CutpointClassifier(metric="value") vs TunedThresholdClassifierCV.

A simulated card-fraud data set (1.5% fraud, heavy-tailed Pareto amounts, fraud
somewhat larger), the cost model of scikit-learn's cost-sensitive example: a caught
fraud recovers its amount, a missed one loses it, each alert costs a 5-unit review.

Both sides get the same estimator (LogisticRegression), the same ``StratifiedKFold(5)``
folds and the ``amount`` column as fit-time metadata (scikit-learn's metadata routing:
its amount-aware scorer requests ``amount``; CutpointClassifier requests the columns
named in ``values``), and both refit on all training rows. Reported per size: fit time
(end to end, one thread), the threshold each chose, the total value of that threshold
on the pooled out-of-fold scores both tuned on (the same fold models, so the same
scores), and on a held-out test set (30% of the rows, never seen in tuning).

Run ``python benchmarks/bench_values.py`` (n = 1e4, 1e5, 1e6) or ``--quick``
(n = 1e4). The table goes into docs/benchmarks.md between the ``values-benchmark``
markers (``--no-write`` to only print it).
"""

from __future__ import annotations

import argparse
import platform
import time
from typing import Any

import numpy as np
import sklearn
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import make_scorer
from sklearn.model_selection import StratifiedKFold, TunedThresholdClassifierCV, train_test_split
from threadpoolctl import threadpool_limits

import cutpoints as cp
from _common import fmt_seconds, paired_medians, write_section

REVIEW_COST = 5.0


def simulate(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """X (8 features), y (1.5% fraud), amount (Pareto, alpha 1.3; fraud 2x larger)."""
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.015).astype(np.int64)
    amount = np.round((rng.pareto(1.3, n) + 1) * 20 * np.where(y == 1, 2.0, 1.0), 2)
    signal = rng.normal(size=(n, 4)) + 1.2 * y[:, None]
    # Two features carry the amount (fraudsters' amounts are not hidden from the model).
    noise = rng.normal(size=(n, 2))
    X = np.column_stack([signal, np.log(amount) + rng.normal(size=n), noise, rng.random(n)])
    return X, y, amount


def business_value(y_true: np.ndarray, y_pred: np.ndarray, amount: np.ndarray) -> float:
    """The amount-aware scorer of scikit-learn's fraud example: value of the decisions."""
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    tp = (y_true == 1) & (y_pred == 1)
    fn = (y_true == 1) & (y_pred == 0)
    fp = (y_true == 0) & (y_pred == 1)
    return float(amount[tp].sum() - amount[fn].sum() - REVIEW_COST * fp.sum())


VALUES = {"tp": "amount", "fp": -REVIEW_COST, "fn": "-amount"}


def value_at(y: np.ndarray, scores: np.ndarray, amount: np.ndarray, threshold: float) -> float:
    flagged = scores >= threshold
    return business_value(y, flagged.astype(np.int64), amount)


def run(sizes: list[int]) -> list[dict[str, Any]]:
    rows = []
    for n in sizes:
        X, y, amount = simulate(n)
        X_tr, X_te, y_tr, y_te, a_tr, a_te = train_test_split(
            X, y, amount, test_size=0.3, stratify=y, random_state=0
        )
        cv = StratifiedKFold(5)
        est = LogisticRegression(max_iter=500)
        repeats = 3 if n <= 10_000 else 1
        t_ours = t_theirs = float("inf")
        with threadpool_limits(1), sklearn.config_context(enable_metadata_routing=True):
            scorer = make_scorer(business_value, response_method="predict").set_score_request(
                amount=True
            )
            for rep in range(repeats):  # best of `repeats`; the order alternates
                for side in ("ours", "theirs") if rep % 2 == 0 else ("theirs", "ours"):
                    t0 = time.perf_counter()
                    if side == "ours":
                        ours = cp.CutpointClassifier(est, metric="value", values=VALUES, cv=cv)
                        ours.fit(X_tr, y_tr, amount=a_tr)
                        t_ours = min(t_ours, time.perf_counter() - t0)
                    else:
                        theirs = TunedThresholdClassifierCV(est, scoring=scorer, cv=cv)
                        theirs.fit(X_tr, y_tr, amount=a_tr)
                        t_theirs = min(t_theirs, time.perf_counter() - t0)
        rows_oof = ours.oof_indices_
        y_oof, a_oof, s_oof = y_tr[rows_oof], a_tr[rows_oof], ours.oof_scores_
        t_ours_, t_theirs_ = ours.threshold_, float(theirs.best_threshold_)
        oof_ours = value_at(y_oof, s_oof, a_oof, t_ours_)
        oof_theirs = value_at(y_oof, s_oof, a_oof, t_theirs_)
        # The same refit model on both sides (same estimator, same training rows).
        s_te = ours.estimator_.predict_proba(X_te)[:, 1]
        row = {
            "n": n,
            "fit_ours": t_ours,
            "fit_sklearn": t_theirs,
            "thr_ours": t_ours_,
            "thr_sklearn": t_theirs_,
            "oof_ours": oof_ours,
            "oof_sklearn": oof_theirs,
            "test_ours": value_at(y_te, s_te, a_te, t_ours_),
            "test_sklearn": value_at(y_te, s_te, a_te, t_theirs_),
            "test_nothing": value_at(y_te, s_te, a_te, np.inf),
            "test_half": value_at(y_te, s_te, a_te, 0.5),
        }
        assert abs(ours.cutpoint_.score - oof_ours) <= 1e-6 * (1 + abs(oof_ours))
        assert oof_ours >= oof_theirs - 1e-6 * (1 + abs(oof_ours)), "exact lost to the grid"
        rows.append(row)
        print(
            f"n={n:>9,} fit {t_ours:6.2f}s vs {t_theirs:6.2f}s  threshold {t_ours_:.6f} vs "
            f"{t_theirs_:.6f}  OOF value {oof_ours:,.0f} vs {oof_theirs:,.0f}  test value "
            f"{row['test_ours']:,.0f} vs {row['test_sklearn']:,.0f}",
            flush=True,
        )
    return rows


def _sweep_times(n: int) -> dict[str, float]:
    _, y, amount = simulate(n)
    score = np.random.default_rng(1).random(n) * 0.7 + 0.3 * y
    values = {"tp": amount, "fp": -REVIEW_COST, "fn": -amount}

    def naive() -> None:
        order = np.argsort(-score, kind="stable")
        gain = np.where(y[order] == 1, 2 * amount[order], -REVIEW_COST)
        np.cumsum(gain)  # value = -(total fraud) + this, at every row (no tie runs)

    return paired_medians(
        {
            "counts": lambda: cp.confusion_curve(y, score),
            "values": lambda: cp.confusion_curve(y, score, values=values),
            "naive": naive,
        },
        repeats=3 if n <= 1_000_000 else 1,
    )


def sweep_costs(sizes: list[int]) -> list[dict[str, Any]]:
    """The exact curve with and without per-row values, and numpy's stable-argsort way."""
    rows = []
    for n in sizes:
        times = _sweep_times(n)
        rows.append({"n": n, **times})
        print(f"n={n:>11,} sweep {times}", flush=True)
    return rows


def sweep_table(rows: list[dict[str, Any]]) -> str:
    lines = [
        "",
        "The exact curve with per-row values (`confusion_curve(..., values={'tp': amount, "
        "'fp': -5, 'fn': -amount})`: one column carried, fn derived from it) against the "
        "plain counts, and against a bare numpy sweep (stable argsort of the scores, "
        "cumulative sum of each row's gain; no tie handling, no validation). Median of 3 "
        "interleaved runs at 1e6, one run at 1e7; default threads.",
        "",
        "| n | counts only | counts + values | numpy argsort + cumsum |",
        "|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['n']:,} | {fmt_seconds(r['counts'])} | {fmt_seconds(r['values'])} "
            f"| {fmt_seconds(r['naive'])} |"
        )
    return "\n".join(lines)


def table(rows: list[dict[str, Any]], quick: bool) -> str:
    lines = [
        "## Deciding with money: CutpointClassifier vs TunedThresholdClassifierCV",
        "",
        "Simulated card fraud: 1.5% fraud, Pareto amounts (alpha 1.3, fraud twice as large), "
        "8 features; value = amount recovered for a caught fraud, minus the amount of a "
        f"missed one, minus {REVIEW_COST:g} per alert. Both sides: LogisticRegression, the "
        "same `StratifiedKFold(5)` folds on 70% of the rows, `amount` routed as fit "
        "metadata (scikit-learn's amount-aware scorer, as in its cost-sensitive example; "
        '`CutpointClassifier(metric="value", values={"tp": "amount", "fp": -5, '
        '"fn": "-amount"})`), refit on all training rows. Fit time end to end, one '
        "thread, best of 3 at n = 10,000, one run above. *OOF value*: the total value of "
        "each threshold on the pooled out-of-fold scores both tuned on (cutpoints: the "
        "exact optimum over every distinct score; scikit-learn: a 100-point grid with "
        "the scorer per fold, averaged). *Test value*: on the 30% held out (same refit "
        "model, each side's threshold); flagging nothing and the default 0.5 for "
        "comparison.",
        "",
        f"Generated by `python benchmarks/bench_values.py{' --quick' if quick else ''}` "
        f"(scikit-learn {sklearn.__version__}, numpy {np.__version__}, Python "
        f"{platform.python_version()}, {platform.machine()}).",
        "",
        "| n | fit cutpoints (s) | fit sklearn (s) | threshold cutpoints | threshold sklearn "
        "| OOF value cutpoints | OOF value sklearn | test value cutpoints "
        "| test value sklearn | test: flag nothing | test: 0.5 |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['n']:,} | {r['fit_ours']:.2f} | {r['fit_sklearn']:.2f} "
            f"| {r['thr_ours']:.6f} | {r['thr_sklearn']:.6f} | {r['oof_ours']:,.0f} "
            f"| {r['oof_sklearn']:,.0f} | {r['test_ours']:,.0f} | {r['test_sklearn']:,.0f} "
            f"| {r['test_nothing']:,.0f} | {r['test_half']:,.0f} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="n = 1e4 only")
    parser.add_argument("--no-write", action="store_true", help="print, do not edit the docs")
    args = parser.parse_args()
    sizes = [10_000] if args.quick else [10_000, 100_000, 1_000_000]
    rows = run(sizes)
    sweeps = sweep_costs([1_000_000] if args.quick else [1_000_000, 10_000_000])
    text = table(rows, args.quick) + "\n" + sweep_table(sweeps)
    print(text)
    if not args.no_write:
        write_section("values-benchmark", text)


if __name__ == "__main__":
    main()
