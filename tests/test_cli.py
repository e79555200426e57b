"""The ``cutpoints`` command line, driven through typer's CliRunner on real files.

No mocks: every test writes a real CSV or Parquet file to ``tmp_path`` and compares the
command's output with the library's answer on the same data.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

import cutpoints as cp
from cutpoints.cli import app

runner = CliRunner()

EXTRA_TUNE_KEYS = {"flagged", "input", "written"}


def run(*args: str, input: str | None = None):
    return runner.invoke(app, [str(a) for a in args], input=input, catch_exceptions=False)


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(7)
    n = 600
    y = (rng.random(n) < 0.2).astype(np.int64)
    # rounded scores: plenty of ties
    p = np.round(np.clip(0.25 * y + rng.random(n) * 0.75, 0, 1), 2)
    w = rng.integers(1, 4, n)
    return {"y": y, "p": p, "w": w, "outcome": np.where(y == 1, "yes", "no")}


@pytest.fixture
def csv_file(tmp_path, data):
    path = tmp_path / "scores.csv"
    pacsv.write_csv(pa.table(data), path)
    return path


@pytest.fixture
def parquet_file(tmp_path, data):
    path = tmp_path / "scores.parquet"
    pq.write_table(pa.table(data), path)
    return path


# --------------------------------------------------------------------------- tune


def test_tune_table_output(csv_file, data):
    result = run("tune", csv_file, "--label", "y", "--score", "p")
    assert result.exit_code == 0, result.output
    cut = cp.find_cutpoint(data["y"], data["p"], metric="f1")
    out = result.stdout
    assert f"score >= {cut.threshold!r}" in out
    assert "maximize f1" in out
    assert f"tp {cut.tp}" in out
    assert f"fp {cut.fp}" in out
    assert f"tn {cut.tn}" in out
    assert f"fn {cut.fn}" in out
    assert "Confusion matrix" in out
    assert "precision" in out
    assert "recall" in out
    assert "Runner-up thresholds" in out
    # F1 has a closed-form reference for calibrated probabilities
    assert "theory says" in out
    assert repr(cut.references[0].threshold) in out
    assert result.stderr == ""


@pytest.mark.parametrize("fixture", ["csv_file", "parquet_file"])
def test_tune_json_matches_library(fixture, request, data):
    path = request.getfixturevalue(fixture)
    result = run(
        "tune",
        path,
        "-l",
        "y",
        "-s",
        "p",
        "-w",
        "w",
        "-m",
        "recall",
        "-c",
        "precision>=0.4",
        "--ties",
        "lowest",
        "--json",
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    cut = cp.find_cutpoint(
        data["y"],
        data["p"],
        metric="recall",
        constraints=["precision>=0.4"],
        ties="lowest",
        sample_weight=data["w"],
    )
    expected = json.loads(cut.to_json())
    # the CLI's cutpoint also records the columns it was tuned on
    assert payload["columns"] == {"label": "y", "score": "p", "weight": "w"}
    expected["columns"] = payload["columns"]
    assert {k: v for k, v in payload.items() if k not in EXTRA_TUNE_KEYS} == expected
    assert payload["flagged"] == cut.tp + cut.fp
    assert payload["input"] == {"file": str(path), "label": "y", "score": "p", "weight": "w"}


def test_tune_rule_and_metric_with_parameters(csv_file, data):
    result = run(
        "tune", csv_file, "-l", "y", "-s", "p", "-m", "cost(fp=1, fn=5)", "--rule", "<=", "--json"
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    cut = cp.find_cutpoint(data["y"], data["p"], metric="cost(fp=1, fn=5)", rule="<=")
    assert payload["threshold"] == cut.threshold
    assert payload["rule"] == "<="
    assert payload["counts"] == {"tp": cut.tp, "fp": cut.fp, "tn": cut.tn, "fn": cut.fn}


def test_tune_pos_label_text(csv_file, data):
    result = run("tune", csv_file, "-l", "outcome", "-s", "p", "--pos-label", "yes", "--json")
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    cut = cp.find_cutpoint(data["outcome"], data["p"], pos_label="yes")
    assert payload["threshold"] == cut.threshold
    assert payload["labels"] == {"positive": "yes", "negative": "no"}


def test_tune_pos_label_converted_to_column_type(csv_file, data):
    # labels 0/1 read as int64: "0" must become the integer 0, not the text "0"
    result = run("tune", csv_file, "-l", "y", "-s", "p", "--pos-label", "0", "--json")
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    cut = cp.find_cutpoint(data["y"], data["p"], pos_label=0)
    assert payload["labels"] == {"positive": 0, "negative": 1}
    assert payload["threshold"] == cut.threshold


def test_tune_pos_label_bool_column(tmp_path, data):
    path = tmp_path / "b.csv"
    pacsv.write_csv(pa.table({"y": data["y"].astype(bool), "p": data["p"]}), path)
    result = run("tune", path, "-l", "y", "-s", "p", "--pos-label", "true", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["labels"]["positive"] is True


def test_tune_stdin(csv_file, data):
    text = csv_file.read_text()
    result = run("tune", "-", "-l", "y", "-s", "p", "--json", input=text)
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["threshold"] == cp.find_cutpoint(data["y"], data["p"]).threshold


def test_tune_plot(csv_file, tmp_path):
    out = tmp_path / "summary.png"
    result = run("tune", csv_file, "-l", "y", "-s", "p", "--plot", out, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["written"] == {"plot": str(out)}
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_tune_bootstrap(csv_file, data):
    result = run("tune", csv_file, "-l", "y", "-s", "p", "--bootstrap", "20", "--json")
    assert result.exit_code == 0, result.output
    boot = json.loads(result.stdout)["bootstrap"]
    assert boot["n_resamples"] == 20
    assert any(r.get("quantity") == "threshold" for r in boot["summary"])
    table = run("tune", csv_file, "-l", "y", "-s", "p", "-b", "20")
    assert table.exit_code == 0, table.output
    assert "Bootstrap (20 resamples)" in table.stdout


def test_tune_bootstrap_with_lower_is_positive(tmp_path, data):
    path = tmp_path / "neg.csv"
    pacsv.write_csv(pa.table({"y": data["y"], "p": -np.asarray(data["p"])}), path)
    result = run("tune", path, "-l", "y", "-s", "p", "--rule", "<=", "-b", "20", "--json")
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    expected = cp.bootstrap(
        data["y"], -np.asarray(data["p"]), metric="f1", n_resamples=20, random_state=0, rule="<="
    )
    assert payload["threshold"] == expected.threshold
    assert payload["rule"] == "<="


def test_tune_save_then_load(csv_file, tmp_path, data):
    out = tmp_path / "cut.json"
    result = run("tune", csv_file, "-l", "y", "-s", "p", "--save", out)
    assert result.exit_code == 0, result.output
    assert f"Wrote the cutpoint to {out}" in result.stdout
    loaded = cp.Cutpoint.load(out)
    assert loaded.columns == {"label": "y", "score": "p"}
    assert dataclasses.replace(loaded, columns={}) == cp.find_cutpoint(data["y"], data["p"])


# --------------------------------------------------------------------------- errors


def assert_error(result, *fragments: str, code: int = 1) -> None:
    assert result.exit_code == code, result.output
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    if code == 1:
        assert len(lines) == 1, result.stderr
        assert lines[0].startswith("error: ")
    assert "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in result.stderr, result.stderr


def test_error_missing_file(tmp_path):
    result = run("tune", tmp_path / "nope.csv", "-l", "y", "-s", "p")
    assert_error(result, "does not exist", "nope.csv")


def test_error_misspelt_column_suggests(csv_file):
    result = run("tune", csv_file, "-l", "y", "-s", "scroe")
    assert_error(result, "column 'scroe' (--score) not found")
    result = run("tune", csv_file, "-l", "outcom", "-s", "p")
    assert_error(result, "did you mean 'outcome'?")


def test_error_misspelt_column_parquet(parquet_file):
    result = run("tune", parquet_file, "-l", "y", "-s", "pp", "--weight", "ww")
    assert_error(result, "not found", "did you mean 'p'")


def test_error_non_numeric_scores(csv_file):
    result = run("tune", csv_file, "-l", "y", "-s", "outcome")
    assert_error(result, "column 'outcome' (--score) must be numeric", "'no'")


def test_error_missing_scores(tmp_path):
    path = tmp_path / "gaps.csv"
    path.write_text("y,p\n0,0.1\n1,\n1,0.7\n")
    assert_error(run("tune", path, "-l", "y", "-s", "p"), "1 missing values")


def test_error_header_only(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_text("y,p\n")
    assert_error(run("tune", path, "-l", "y", "-s", "p"), "no rows")


def test_error_malformed_constraint(csv_file):
    result = run("tune", csv_file, "-l", "y", "-s", "p", "-c", "precision >> 0.8")
    assert_error(result, "precision >> 0.8")


def test_error_unknown_metric(csv_file):
    result = run("tune", csv_file, "-l", "y", "-s", "p", "-m", "f11")
    assert_error(result, "f11")


def test_error_infeasible_constraint(csv_file):
    result = run("tune", csv_file, "-l", "y", "-s", "p", "-c", "precision>=1.5")
    assert_error(result)


def test_error_labels_need_pos_label(csv_file):
    result = run("tune", csv_file, "-l", "outcome", "-s", "p")
    assert_error(result, "--pos-label no or --pos-label yes")


def test_error_pos_label_not_found(csv_file):
    result = run("tune", csv_file, "-l", "outcome", "-s", "p", "--pos-label", "maybe")
    assert_error(result, "'maybe' is not one of the values", "'no', 'yes'")
    result = run("tune", csv_file, "-l", "y", "-s", "p", "--pos-label", "2")
    assert_error(result, "'2' is not one of the values", "0, 1")
    result = run("tune", csv_file, "-l", "y", "-s", "p", "--pos-label", "abc")
    assert_error(result, "'abc' is not one of the values")


def test_error_nan_scores_from_library(tmp_path):
    path = tmp_path / "nan.parquet"  # a real NaN (CSV readers turn "nan" into a null)
    pq.write_table(pa.table({"y": [0, 1, 1], "p": [0.1, float("nan"), 0.7]}), path)
    assert_error(run("tune", path, "-l", "y", "-s", "p"), "finite")


def test_error_not_a_table(tmp_path):
    path = tmp_path / "bad.parquet"
    path.write_bytes(b"this is not parquet")
    assert_error(run("tune", path, "-l", "y", "-s", "p"), "could not read")


def test_usage_errors_exit_2(csv_file):
    result = run("tune", csv_file, "-l", "y")  # --score missing
    assert result.exit_code == 2
    assert "--score" in result.stderr
    result = run("tune", csv_file, "-l", "y", "-s", "p", "--ties", "middle")
    assert result.exit_code == 2


# --------------------------------------------------------------------------- demo


def test_demo_json_no_report(tmp_path):
    from cutpoints.datasets import load_demo

    result = run("demo", "--no-report", "--json")
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["report"] is None
    rows = {r["name"]: r for r in payload["rows"]}
    assert set(rows) == {"default 0.5", "max F1", "max G-mean", "max Youden"}
    demo = load_demo()
    for name, metric in (("max F1", "f1"), ("max G-mean", "gmean"), ("max Youden", "youden")):
        cut = cp.find_cutpoint(demo.y_test, demo.y_score, metric=metric)
        assert rows[name]["threshold"] == cut.threshold
        assert rows[name]["flagged"] == cut.tp + cut.fp
    default = cp.evaluate_threshold(demo.y_test, demo.y_score, 0.5)
    assert rows["default 0.5"]["tp"] == default["tp"]
    assert rows["default 0.5"]["f1"] == default["f1"]
    # the point of the demo: moving the threshold beats 0.5 on F1
    assert rows["max F1"]["f1"] > rows["default 0.5"]["f1"]


def test_demo_table(tmp_path):
    result = run("demo", "--no-report")
    assert result.exit_code == 0, result.output
    for text in ("default 0.5", "max F1", "max G-mean", "max Youden", "flagged", "precision"):
        assert text in result.stdout


# --------------------------------------------------------------------------- metrics


def test_metrics_catalog():
    result = run("metrics", "--json")
    assert result.exit_code == 0
    records = json.loads(result.stdout)
    names = [r["name"] for r in records]
    assert names == [m.name for m in cp.list_metrics()]
    f = next(r for r in records if r["name"] == "fbeta")
    assert "f1" in f["aliases"]
    assert f["greater_is_better"] is True
    table = run("metrics")
    assert table.exit_code == 0
    assert "youden" in table.stdout


# --------------------------------------------------------------------------- curve


@pytest.mark.parametrize("ext", ["csv", "parquet"])
def test_curve_equals_confusion_curve(csv_file, tmp_path, data, ext):
    out = tmp_path / f"curve.{ext}"
    result = run("curve", csv_file, "-l", "y", "-s", "p", "-o", out, "-m", "f1", "-m", "precision")
    assert result.exit_code == 0, result.output
    table = pq.read_table(out) if ext == "parquet" else pacsv.read_csv(out)
    expected = cp.confusion_curve(data["y"], data["p"]).to_dict(["f1", "precision"])
    assert table.column_names == list(expected)
    for name, values in expected.items():
        np.testing.assert_array_equal(table.column(name).to_numpy(), values)


def test_curve_stdout_and_json(csv_file, data):
    result = run("curve", csv_file, "-l", "y", "-s", "p", "--json")
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    curve = cp.confusion_curve(data["y"], data["p"])
    assert payload["threshold"][0] == "+inf"
    assert payload["threshold"][1:] == curve.thresholds[1:].tolist()
    assert payload["tp"] == curve.tp.tolist()
    text = run("curve", csv_file, "-l", "y", "-s", "p", "-o", "-")
    assert text.stdout.splitlines()[0] == '"threshold","tp","fp","tn","fn"'
    assert len(text.stdout.splitlines()) == len(curve) + 1


# --------------------------------------------------------------------------- apply


def test_apply_round_trip_streams(tmp_path, data):
    cut_path = tmp_path / "cut.json"
    cut = cp.find_cutpoint(data["outcome"], data["p"], pos_label="yes")
    cut.save(cut_path)
    rng = np.random.default_rng(1)
    n = 10_000
    new = pa.table({"id": np.arange(n), "p": rng.random(n), "note": ["x"] * n})
    src = tmp_path / "new.parquet"
    pq.write_table(new, src, row_group_size=1_000)  # 10 row groups
    out = tmp_path / "labeled.parquet"
    result = run("apply", "--cutpoint", cut_path, src, "-o", out, "--batch-size", "1000", "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["rows"] == n
    assert summary["batches"] == 10  # processed batch by batch, not in one read
    labeled = pq.read_table(out)
    # one output row group per input batch: written as it streamed
    assert pq.ParquetFile(out).metadata.num_row_groups == 10
    assert labeled.column_names == ["id", "p", "note", "decision"]
    assert labeled.select(["id", "p", "note"]).equals(new)
    expected = cut.predict(new.column("p").to_numpy())
    assert labeled.column("decision").to_pylist() == expected.tolist()
    assert summary["flagged"] == int(cut.flag(new.column("p").to_numpy()).sum())


def test_apply_csv_to_csv(tmp_path, data):
    cut_path = tmp_path / "cut.json"
    cut = cp.find_cutpoint(data["y"], data["p"])
    cut.save(cut_path)
    src = tmp_path / "new.csv"
    pacsv.write_csv(pa.table({"score": data["p"], "y": data["y"]}), src)
    out = tmp_path / "out.csv"
    result = run("apply", "-k", cut_path, src, "-o", out, "--column", "flag", "--batch-size", "50")
    assert result.exit_code == 0, result.output
    assert f"to {out}" in result.stdout
    table = pacsv.read_csv(out)
    assert table.column("flag").to_pylist() == cut.predict(data["p"]).tolist()
    assert table.column("y").to_pylist() == data["y"].tolist()


def test_apply_stdin_to_stdout(tmp_path, data):
    cut_path = tmp_path / "cut.json"
    cut = cp.find_cutpoint(data["y"], data["p"])
    cut.save(cut_path)
    text = "p,id\n0.9,1\n0.0,2\n"
    result = run("apply", "-k", cut_path, "-", "-o", "-", input=text)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == '"p","id","decision"'
    # columns other than the score are copied through as text (their type is never
    # guessed from the first rows), so they come out quoted
    assert lines[1:] == [f'0.9,"1",{cut.predict([0.9])[0]}', f'0,"2",{cut.predict([0.0])[0]}']


def test_apply_errors(tmp_path, data):
    cut_path = tmp_path / "cut.json"
    cp.find_cutpoint(data["y"], data["p"]).save(cut_path)
    src = tmp_path / "new.csv"
    pacsv.write_csv(pa.table({"a": [0.1, 0.2], "b": [0.3, 0.4]}), src)
    assert_error(run("apply", "-k", cut_path, src, "-o", tmp_path / "o.csv"), "--score")
    assert_error(
        run("apply", "-k", cut_path, src, "-o", tmp_path / "o.csv", "-s", "aa"),
        "did you mean 'a'",
    )
    assert_error(
        run("apply", "-k", tmp_path / "missing.json", src, "-o", tmp_path / "o.csv", "-s", "a"),
        "does not exist",
    )
    assert_error(
        run("apply", "-k", cut_path, src, "-o", tmp_path / "o.xlsx", "-s", "a"),
        "cannot tell its format",
    )
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "something else"}')
    assert_error(run("apply", "-k", bad, src, "-o", tmp_path / "o.csv", "-s", "a"))


# --------------------------------------------------------------------------- console script


def _console_script() -> list[str]:
    exe = Path(sys.executable).with_name("cutpoints")
    if exe.exists():
        return [str(exe)]
    found = shutil.which("cutpoints")
    if found:
        return [found]
    return [sys.executable, "-m", "cutpoints.cli"]


def test_console_script(tmp_path):
    env = {**os.environ, "COLUMNS": "100"}
    helped = subprocess.run(
        [*_console_script(), "--help"], capture_output=True, text=True, env=env, check=False
    )
    assert helped.returncode == 0, helped.stderr
    for command in ("tune", "demo", "apply", "curve", "report", "metrics"):
        assert command in helped.stdout
    demo = subprocess.run(
        [*_console_script(), "demo", "--no-report", "--json"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        check=False,
    )
    assert demo.returncode == 0, demo.stderr
    assert json.loads(demo.stdout)["rows"][0]["name"] == "default 0.5"
    assert list(tmp_path.iterdir()) == []  # --no-report writes nothing
