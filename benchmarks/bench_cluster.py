"""Cluster benchmark: exact F1 optima on Spark and Dask data, against their anchors.

Run from the repository root::

    python benchmarks/bench_cluster.py            # 1e7 rows; writes docs/benchmarks.md
    python benchmarks/bench_cluster.py --big      # also 1e8 rows (slow: many minutes)
    python benchmarks/bench_cluster.py --quick    # 1e6 rows; prints, does not touch the docs
    python benchmarks/bench_cluster.py --only dask --rows 1e8   # one half, one size; prints

Spark (``local[2]``, driver memory 2g), on float32-valued probabilities written once to
Parquet in a temporary folder (5% positives drawn from the score), each contender reads
the same files:

- cutpoints: ``find_cutpoint(cp.scan(df, label="y", score="p"), metric="f1")`` -- SQL
  aggregations only (one or more counting passes, one refining pass; pass 0 is folded
  into the first counting pass, as the DataFrame is a plain Parquet read);
- the exact SQL a user writes today: ``GROUP BY`` score, window cumulative sums of
  positives and negatives, the best F1 (same answer: the threshold is checked);
- MLlib's ``BinaryClassificationMetrics`` with ``numBins=0`` (its exact curve), timed on
  ``areaUnderPR`` as in the issue (pyspark's wrapper has no ``fMeasureByThreshold``); it
  is built from the DataFrame on the JVM side, so no Python row conversion is timed.
  Above 1e7 rows it is skipped unless ``--mllib-big`` (it took 109 s at 1e7 here and
  grows faster than linearly: a sort of every distinct score; 1e8 would take well over
  the ten minutes a benchmark run should).

Dask: a 2-worker ``LocalCluster`` (one thread each), float64 scores generated and
persisted on the workers; ``find_cutpoint(y_dask, s_dask)`` vs ``find_cutpoint`` on the
same rows as numpy arrays in this process (the histogram engine), same answer checked;
seven runs of each, interleaved (medians, and the fastest runs).

Spark timings are medians of three alternating runs up to 1e7 rows (the ratio of the
first runs, which pay Spark's code generation, shown apart) and single runs at 1e8, Dask
timings medians of seven interleaved runs, after a warm-up of each contender at a small
size (1e6 rows on Spark: Spark's JIT and Dask's workers start cold); the machine is a
shared 2-core VM.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import cutpoints as cp

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import fmt_seconds, write_section


def timed(func: Any) -> tuple[float, Any]:
    start = time.perf_counter()
    out = func()
    return time.perf_counter() - start, out


# ---------------------------------------------------------------------------- Spark
def spark_session() -> Any:
    from pyspark.sql import SparkSession

    os.environ["PYSPARK_PYTHON"] = sys.executable
    session = (
        SparkSession.builder.master("local[2]")
        .appName("cutpoints-bench")
        .config("spark.driver.memory", "2g")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    return session


def spark_data(spark: Any, n: int, folder: str) -> Any:
    from pyspark.sql import functions as F

    p = F.rand(1).cast("float").cast("double")
    y = (F.rand(2) < p * 0.1).cast("int")  # about 5% positives, more at high scores
    spark.range(n).select(p.alias("p"), y.alias("y")).write.mode("overwrite").parquet(folder)
    return spark.read.parquet(folder)


def sql_window_f1(df: Any) -> tuple[float, float]:
    """The exact SQL: group by score, cumulative sums from the top, best F1."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    n_positive = df.agg(F.sum("y")).first()[0]
    counts = df.groupBy("p").agg(F.sum("y").alias("pos"), F.sum(1 - F.col("y")).alias("neg"))
    top = Window.orderBy(F.desc("p")).rowsBetween(Window.unboundedPreceding, 0)
    curve = counts.select(
        "p", F.sum("pos").over(top).alias("tp"), F.sum("neg").over(top).alias("fp")
    )
    f1 = (2 * F.col("tp")) / (F.col("tp") + F.col("fp") + F.lit(n_positive))
    # Ties of F1: the highest threshold, as cutpoints' default ties="highest".
    best = curve.select("p", f1.alias("f1")).orderBy(F.desc("f1"), F.desc("p")).first()
    return float(best["p"]), float(best["f1"])


def mllib_area_under_pr(spark: Any, df: Any) -> float:
    jvm = spark.sparkContext._jvm
    frame = df.selectExpr("p AS score", "CAST(y AS DOUBLE) AS label")
    metrics = jvm.org.apache.spark.mllib.evaluation.BinaryClassificationMetrics(frame._jdf)
    return float(metrics.areaUnderPR())


def bench_spark(sizes: list[int], mllib_big: bool = False) -> list[dict[str, Any]]:
    spark = spark_session()
    rows = []
    folder = tempfile.mkdtemp(prefix="cutpoints-bench-spark-")
    try:
        # 1e6 rows: enough for the JVM to compile every contender's generated code (after
        # 1e5, cutpoints' first 1e7 run still took twice its later runs' time)
        warm = spark_data(spark, 1_000_000, os.path.join(folder, "warm"))
        cp.find_cutpoint(cp.scan(warm, label="y", score="p"), metric="f1")
        sql_window_f1(warm)
        mllib_area_under_pr(spark, warm)
        for n in sizes:
            df = spark_data(spark, n, os.path.join(folder, f"n{n}"))
            # Up to 1e7 rows, three runs of each, alternating (medians, and the first runs
            # apart: those pay Spark's code generation); above, one run each.
            repeats = 3 if n <= 10_000_000 else 1
            cp_runs, sql_runs = [], []
            for _ in range(repeats):
                cp_runs.append(
                    timed(
                        lambda df=df: cp.find_cutpoint(
                            cp.scan(df, label="y", score="p"), metric="f1"
                        )
                    )
                )
                sql_runs.append(timed(lambda df=df: sql_window_f1(df)))
            t_cp, cut = statistics.median(t for t, _ in cp_runs), cp_runs[0][1]
            t_sql, (threshold, f1) = statistics.median(t for t, _ in sql_runs), sql_runs[0][1]
            t_ml = None
            if n <= 10_000_000 or mllib_big:
                t_ml, _ = timed(lambda df=df: mllib_area_under_pr(spark, df))
            same = cut.threshold == threshold and abs(cut.score - f1) < 1e-12
            same = same and all(c.threshold == cut.threshold for _, c in cp_runs)
            row = {
                "n": n,
                "cutpoints": t_cp,
                "sql": t_sql,
                "cutpoints_first": cp_runs[0][0],
                "sql_first": sql_runs[0][0],
                "repeats": repeats,
                "mllib": t_ml,
                "same": same,
            }
            rows.append({**row, "levels": cut.curve.n_levels})
            print(rows[-1], flush=True)
    finally:
        spark.sparkContext.cancelAllJobs()
        spark.stop()
        shutil.rmtree(folder, ignore_errors=True)
    return rows


# ---------------------------------------------------------------------------- Dask
ROUNDS = 7  # Dask and in-memory runs, interleaved


def bench_dask(sizes: list[int]) -> list[dict[str, Any]]:
    import dask.array as da
    from distributed import Client, LocalCluster, wait

    rows = []
    with (
        LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=":0") as cluster,
        Client(cluster) as client,
    ):
        for n in [100_000, *sizes]:
            chunks = max(n // 16, 1)
            rng = da.random.default_rng(0)
            s = rng.random(n, chunks=chunks)
            y = rng.random(n, chunks=chunks) < s * 0.1
            s, y = client.persist([s, y])
            wait([s, y])  # generated and held on the workers before any timing
            s_np, y_np = s.compute(), y.compute()

            def on_dask(s: Any = s, y: Any = y) -> Any:
                return cp.find_cutpoint(y, s, metric="f1")

            def in_memory(s_np: Any = s_np, y_np: Any = y_np) -> Any:
                return cp.find_cutpoint(y_np, s_np, metric="f1", engine="histogram")

            # One untimed call of each first: workers load numba's kernels, caches fill.
            on_dask()
            in_memory()
            # Interleaved (Dask, memory, Dask, ...): a load that comes and goes on the
            # shared box hits both alike.
            dask_runs, memory_runs = [], []
            for _ in range(ROUNDS):
                dask_runs.append(timed(on_dask))
                memory_runs.append(timed(in_memory))
            t_dask = statistics.median(t for t, _ in dask_runs)
            t_mem, want = statistics.median(t for t, _ in memory_runs), memory_runs[0][1]
            client.cancel([s, y])
            del s_np, y_np
            if n == 100_000:
                continue  # the warm-up size: workers import cutpoints
            same = all(
                c.threshold == want.threshold and (c.tp, c.fp) == (want.tp, want.fp)
                for _, c in dask_runs
            )
            rows.append(
                {
                    "n": n,
                    "dask": t_dask,
                    "memory": t_mem,
                    "dask_min": min(t for t, _ in dask_runs),
                    "memory_min": min(t for t, _ in memory_runs),
                    "same": same,
                }
            )
            print(rows[-1], flush=True)
    return rows


# ---------------------------------------------------------------------------- report
def markdown(spark_rows: list[dict[str, Any]], dask_rows: list[dict[str, Any]]) -> str:
    lines = [
        "## Cluster: Spark and Dask (exact F1 optimum)",
        "",
        "`python benchmarks/bench_cluster.py` (`--big` adds 1e8). Spark: medians of three "
        "alternating runs up to 1e7 rows (the first runs' ratio beside them), one run at "
        "1e8; Dask: medians of seven interleaved runs (Dask, in memory, Dask, ...) after a "
        "warm-up, fastest runs beside them, on this shared 2-core VM; the goal "
        "(#11) is at most 0.3× the exact SQL query's time on Spark, within 2× of "
        "in-memory on Dask.",
        "",
        "**Spark** (`local[2]`, driver memory 2g, float32-valued scores in Parquet):",
        "",
        "| rows | runs | cutpoints (SQL aggregations) | exact SQL (group by + window) | "
        "MLlib `areaUnderPR` (`numBins=0`) | cutpoints / SQL | first runs only | "
        "same threshold |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in spark_rows:
        lines.append(
            f"| {r['n']:.0e} | {r['repeats']} | {fmt_seconds(r['cutpoints'])} | "
            f"{fmt_seconds(r['sql'])} | "
            f"{'skipped' if r['mllib'] is None else fmt_seconds(r['mllib'])} | "
            f"{r['cutpoints'] / r['sql']:.2f}× | "
            f"{r['cutpoints_first'] / r['sql_first']:.2f}× | "
            f"{'yes' if r['same'] else 'NO'} |"
        )
    lines += [
        "",
        "**Dask** (2-worker `LocalCluster`, one thread each, data persisted on the workers):",
        "",
        "| rows | cutpoints on Dask | cutpoints in memory (histogram engine) | ratio | "
        "fastest runs: Dask, memory, ratio | same answer |",
        "|---|---|---|---|---|---|",
    ]
    for r in dask_rows:
        lines.append(
            f"| {r['n']:.0e} | {fmt_seconds(r['dask'])} | {fmt_seconds(r['memory'])} | "
            f"{r['dask'] / r['memory']:.2f}× | {fmt_seconds(r['dask_min'])}, "
            f"{fmt_seconds(r['memory_min'])}, {r['dask_min'] / r['memory_min']:.2f}× | "
            f"{'yes' if r['same'] else 'NO'} |"
        )
    lines += [
        "",
        "Where the time goes: on Spark cutpoints reads the data twice here (a plain Parquet read:"
        " the score range comes from the files' statistics and the first counting pass also "
        "checks every row and finds the class totals; any other DataFrame adds pass 0), the SQL "
        "query once plus a sort of every distinct score in one partition (its window has no "
        "partition key). The counting pass builds the score's key from its bits with a chain of "
        "binade comparisons (no `log2`/`pow`), then a `groupBy` on one long; the refining pass "
        "brings back the distinct scores of the chosen bins (262,000 at 1e7 rows), grouped by "
        "score. The first run on a DataFrame pays more (Spark compiles each query with the bins' "
        "constants in it, then the JVM warms that code up; a repeated run takes less). MLlib "
        "above 1e7 rows is skipped unless `--mllib-big` (109 s at 1e7; it sorts every distinct "
        "score). On Dask each pass (pass 0, counting, a finer count where needed, refining) is "
        "one task per worker over the chunks it holds, plus one scheduling round trip: the "
        "counting pass with the compiled kernel, the refining pass with a compiled bin lookup "
        "(deeper levels only on the rows of the split bins). Data persisted on the workers are "
        "split down to 2**18 rows before they come to the client (at 1e8 rows: a second counting "
        "pass on the workers instead of bringing 3.2 million rows back and sorting them); data "
        "that each pass recomputes keep the streamed cap of 2**22 rows.",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1e6 rows; do not write docs")
    parser.add_argument("--big", action="store_true", help="also 1e8 rows")
    parser.add_argument("--only", choices=["spark", "dask"], help="run one half only")
    parser.add_argument("--mllib-big", action="store_true", help="MLlib above 1e7 rows too")
    parser.add_argument(
        "--rows", type=float, help="one size only (such as 1e8); prints, does not touch the docs"
    )
    args = parser.parse_args()
    sizes = [1_000_000] if args.quick else [10_000_000] + ([100_000_000] if args.big else [])
    if args.rows is not None:
        sizes = [int(args.rows)]
    spark_rows = [] if args.only == "dask" else bench_spark(sizes, args.mllib_big)
    dask_rows = [] if args.only == "spark" else bench_dask(sizes)
    text = markdown(spark_rows, dask_rows)
    print(text)
    if not args.quick and not args.only and args.rows is None:
        write_section("cluster-benchmark", text)


if __name__ == "__main__":
    main()
