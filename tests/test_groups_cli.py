"""``cutpoints tune --group`` and ``cutpoints apply`` with per-group thresholds, on real files."""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

import cutpoints as cp
from cutpoints.cli import app

runner = CliRunner()


def run(*args):
    return runner.invoke(app, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(12)
    n = 900
    region = rng.choice(np.array(["north", "south", "west"]), size=n)
    y = (rng.random(n) < 0.25).astype(np.int64)
    p = np.round(np.clip(0.3 * y + rng.random(n) * 0.7 + 0.05 * (region == "west"), 0, 1), 3)
    return {"y": y, "p": p, "region": region}


@pytest.fixture
def csv_file(tmp_path, data):
    path = tmp_path / "scores.csv"
    pacsv.write_csv(pa.table(data), path)
    return path


def test_tune_group_prints_the_per_group_table(csv_file, data):
    result = run("tune", csv_file, "-l", "y", "-s", "p", "--group", "region")
    assert result.exit_code == 0, result.output
    expected = cp.find_cutpoint(data["y"], data["p"], groups=data["region"])
    for g, t in expected.thresholds.items():
        line = next(x for x in result.stdout.splitlines() if x.strip().startswith(("│ " + g, g)))
        assert repr(t) in line
    assert f"tp={expected.tp}, fp={expected.fp}" in result.stdout


def test_tune_group_joint_json_and_save_then_apply(tmp_path, csv_file, data):
    saved = tmp_path / "cuts.json"
    result = run(
        "tune", csv_file, "-l", "y", "-s", "p", "-g", "region", "--mode", "joint",
        "-m", "tp", "-c", "flagged<=120", "--json", "--save", saved,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    expected = cp.find_cutpoint(
        data["y"], data["p"], groups=data["region"], mode="joint", metric="tp",
        constraints="flagged<=120",
    )  # fmt: skip
    assert payload["tp"] == expected.tp and payload["flagged"] == expected.flagged <= 120
    assert {r["group"]: r["threshold"] for r in payload["table"]} == expected.thresholds
    loaded = cp.GroupCutpoint.load(saved)
    assert loaded.thresholds == expected.thresholds
    assert loaded.columns == {"label": "y", "score": "p", "group": "region"}

    new = tmp_path / "new.csv"
    pacsv.write_csv(pa.table({"p": data["p"], "region": data["region"]}), new)
    out = tmp_path / "labeled.parquet"
    result = run("apply", "-k", saved, new, "-o", out)
    assert result.exit_code == 0, result.output
    decisions = pq.read_table(out).column("decision").to_numpy()
    assert np.array_equal(decisions, expected.predict(data["p"], data["region"]))
    assert decisions.sum() == expected.flagged


def test_apply_unseen_group_needs_a_fallback(tmp_path, csv_file):
    saved = tmp_path / "cuts.json"
    assert (
        run("tune", csv_file, "-l", "y", "-s", "p", "-g", "region", "--save", saved).exit_code == 0
    )
    new = tmp_path / "new.csv"
    pacsv.write_csv(pa.table({"p": [0.9, 0.2], "region": ["east", "north"]}), new)
    out = tmp_path / "out.csv"
    result = run("apply", "-k", saved, new, "-o", out)
    assert result.exit_code != 0
    assert "group 'east'" in result.output and "--fallback-group" in result.output
    assert not out.exists()
    result = run("apply", "-k", saved, new, "-o", out, "--fallback-threshold", "0.5")
    assert result.exit_code == 0, result.output
    assert pacsv.read_csv(out).column("decision").to_pylist() == [1, 0]
    result = run("apply", "-k", saved, new, "-o", out, "--fallback-group", "nowhere")
    assert result.exit_code != 0 and "not a tuned group" in result.output


def test_tune_group_refuses_what_it_cannot_do(csv_file):
    result = run("tune", csv_file, "-l", "y", "-s", "p", "-g", "region", "--bootstrap", "10")
    assert (
        result.exit_code != 0 and "'--bootstrap' cannot be combined with '--group'" in result.output
    )
    result = run("tune", csv_file, "-l", "y", "-s", "p", "--mode", "joint")
    assert result.exit_code != 0 and "'--mode' needs '--group" in result.output
    result = run("tune", csv_file, "-l", "y", "-s", "p", "-g", "nope")
    assert result.exit_code != 0 and "nope" in result.output
