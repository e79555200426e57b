"""Shared fixtures and the Hypothesis profiles."""

from __future__ import annotations

import os

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

# CI is derandomized so that a red build can be reproduced; locally Hypothesis explores.
settings.register_profile(
    "ci",
    derandomize=True,
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", max_examples=100, deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(20261122)


@pytest.fixture
def toy() -> tuple[list[int], list[float]]:
    """Eight rows with a tie-free score; hand-checked expectations use it."""
    return [0, 0, 1, 1, 0, 1, 0, 1], [0.1, 0.4, 0.35, 0.8, 0.2, 0.7, 0.6, 0.3]


# Skips that are by design, not a missing dependency: scikit-learn's array-API check runs
# only when SCIPY_ARRAY_API=1 changes scipy's behaviour process-wide, which we do not want.
BENIGN_SKIPS = ("SCIPY_ARRAY_API is not set",)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Under CI, a skipped test is a failure: every dependency is installed there, so a
    skip (no Chromium, no Dask, no scikit-learn) means the heavy test silently did not run.
    """
    outcome = yield
    report = outcome.get_result()
    reason_text = str(report.longrepr)
    benign = any(reason in reason_text for reason in BENIGN_SKIPS)
    if os.environ.get("CI") and report.skipped and not hasattr(report, "wasxfail") and not benign:
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        report.outcome = "failed"
        report.longrepr = f"skipped under CI, where every test must run: {reason}"


# --- cluster fixtures (Dask and Spark; tests/test_dask.py, tests/test_spark.py) ---------
# One of each per test session: starting them is most of those tests' time.
@pytest.fixture(scope="session")
def dask_cluster():
    """A real LocalCluster with 2 worker processes, started once."""
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        # ":0": any free port; the default 8787 may be taken (another cluster, another
        # run), and its warning is an error under filterwarnings=error.
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        dashboard_address=":0",
    ) as cluster:
        yield cluster


@pytest.fixture
def dask_client(dask_cluster):
    """A Client of that cluster, the default for one test only (no leak into others)."""
    distributed = pytest.importorskip("distributed")
    with distributed.Client(dask_cluster) as client:
        yield client


def _no_spark(reason: str) -> None:
    """Skip, or fail where Spark must run (CUTPOINTS_REQUIRE_SPARK=1, set by .ci/run)."""
    if os.environ.get("CUTPOINTS_REQUIRE_SPARK") == "1":
        pytest.fail(f"Spark is required here (CUTPOINTS_REQUIRE_SPARK=1): {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def spark(tmp_path_factory):
    """A local[2] SparkSession (driver memory 2g, executors on this interpreter)."""
    import sys

    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:
        _no_spark(f"pyspark is not installed ({exc})")
    os.environ["PYSPARK_PYTHON"] = sys.executable
    os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
    warehouse = tmp_path_factory.mktemp("spark-warehouse")
    try:
        session = (
            SparkSession.builder.master("local[2]")
            .appName("cutpoints-tests")
            .config("spark.driver.memory", "2g")
            .config("spark.ui.enabled", "false")
            .config("spark.sql.shuffle.partitions", "2")  # small test data: few tasks
            .config("spark.sql.warehouse.dir", str(warehouse))
            .config("spark.ui.showConsoleProgress", "false")
            # pandas -> Spark through Arrow: a JVM-side table, no Python workers per query
            .config("spark.sql.execution.arrow.pyspark.enabled", "true")
            .getOrCreate()
        )
    except Exception as exc:  # no Java, or a JVM that cannot start
        _no_spark(f"Spark cannot start ({type(exc).__name__}: {exc})")
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.sparkContext.cancelAllJobs()  # nothing left running when the JVM goes
    session.stop()
