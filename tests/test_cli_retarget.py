"""``cutpoints retarget``: the estimate, the moved threshold and the counts, on real files.

Every number the command prints is compared with the library's answer on the same data
(the library reads arrays; the command streams the file into a ScoreSketch).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

import cutpoints as cp
from cutpoints.cli import app
from cutpoints.shift import estimate_prevalence, rebase_threshold, retarget

runner = CliRunner()


def run(*args: object, input: str | None = None):
    return runner.invoke(app, [str(a) for a in args], input=input, catch_exceptions=False)


def draw(rng, n, prevalence, mu=2.0):
    y = (rng.random(n) < prevalence).astype(np.int64)
    x = rng.normal(mu * y, 1.0)
    return y, 1.0 / (1.0 + np.exp(-(mu * x - mu * mu / 2)))


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(31)
    y_val, p_val = draw(rng, 4000, 0.5)
    p_val = np.round(p_val, 4)  # ties
    _, p_new = draw(rng, 30_000, 0.05)
    return {"y": y_val, "p": p_val, "new": np.round(p_new, 5)}


@pytest.fixture
def files(tmp_path: Path, data):
    val = tmp_path / "val.csv"
    pacsv.write_csv(pa.table({"y": data["y"], "p": data["p"]}), val)
    new = tmp_path / "new.parquet"
    pq.write_table(pa.table({"id": np.arange(len(data["new"])), "p": data["new"]}), new)
    cut_path = tmp_path / "cut.json"
    result = run("tune", val, "-l", "y", "-s", "p", "-m", "f1", "--save", cut_path)
    assert result.exit_code == 0, result.output
    bare = tmp_path / "bare.json"  # a cutpoint file without its curve
    result = run("tune", val, "-l", "y", "-s", "p", "--save", bare, "--no-save-curve")
    assert result.exit_code == 0, result.output
    return {"val": val, "new": new, "cut": cut_path, "bare": bare}


def as_json(result) -> dict:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_retarget_with_reference_matches_the_library(files, data) -> None:
    out = as_json(run("retarget", "-k", files["cut"], files["new"], "-r", files["val"], "--json"))
    curve = cp.confusion_curve(data["y"], data["p"])
    lib = estimate_prevalence(data["new"], "em", reference=curve, random_state=0)
    est = out["estimate"]
    # The command's EM runs on the streamed sketch's fine bins: equal far below tol.
    assert est["prevalence"] == pytest.approx(lib.prevalence, abs=1e-9)
    assert est["converged"] is True and est["method"] == "em"
    assert est["interval"][0] < est["prevalence"] < est["interval"][1]
    assert est["interval"] == pytest.approx(list(lib.interval), abs=2e-3)
    cut = cp.Cutpoint.load(files["cut"])
    moved = retarget(curve, est["prevalence"], metric="f1", volume=len(data["new"]))
    assert out["threshold_before"] == cut.threshold
    assert out["threshold"] == moved.threshold
    assert out["expected_flagged"] == pytest.approx(moved.flagged, rel=1e-12)
    assert out["flagged"] == int(np.sum(data["new"] >= moved.threshold))
    assert out["flagged_before"] == int(np.sum(data["new"] >= cut.threshold))
    assert out["expected_metrics"]["precision"] == pytest.approx(moved.metrics["precision"])
    lows = [retarget(curve, p, metric="f1").threshold for p in est["interval"]]
    assert out["threshold_interval"] == lows
    assert out["reference_is_tuning_data"] is True
    assert out["rows"] == len(data["new"]) and out["score"] == "p"
    assert out["reference_prevalence"] == curve.prevalence
    assert out["threshold"] > cut.threshold  # 5% positives instead of 50%: flag fewer


def test_retarget_text_output(files) -> None:
    result = run("retarget", "--cutpoint", files["cut"], files["new"], "--reference", files["val"])
    assert result.exit_code == 0, result.output
    text = " ".join(result.stdout.split())
    assert "Estimated prevalence:" in text and "95% interval" in text
    assert "EM, converged in" in text
    assert "Moved threshold: score >= " in text and "re-selected for f1" in text
    assert "Expected flagged:" in text and "the file has" in text


def test_without_reference_estimates_and_says_what_moving_needs(files, data) -> None:
    out = as_json(run("retarget", "-k", files["bare"], files["new"], "--json"))
    cut = cp.Cutpoint.load(files["bare"])
    assert cut.curve is None
    lib = estimate_prevalence(data["new"], "em", reference=cut, n_resamples=0)
    assert out["estimate"]["prevalence"] == pytest.approx(lib.prevalence, abs=1e-9)
    assert out["estimate"]["reference_prevalence"] == cut.prevalence
    assert out["threshold"] is None and out["flagged"] is None and out["curve"] is None
    assert out["flagged_before"] == int(np.sum(data["new"] >= cut.threshold))
    result = run("retarget", "-k", files["bare"], files["new"])
    assert "--reference FILE" in " ".join(result.stdout.split())


def test_saved_curve_moves_the_threshold_without_reference(tmp_path, files, data) -> None:
    # tune --save writes the curve (4000 rows: all of it), so retarget re-selects on it
    # exactly as on the validation data itself, and --save/--prevalence work without -r.
    args = ("retarget", "-k", files["cut"], files["new"], "--json")
    out = as_json(run(*args, "--prevalence", "0.02", "--seed", "3"))
    with_ref = as_json(run(*args, "-r", files["val"], "--prevalence", "0.02", "--seed", "3"))
    curve = cp.confusion_curve(data["y"], data["p"])
    expected = retarget(curve, 0.02, metric="f1", volume=len(data["new"]))
    assert out["curve"] == "saved" and with_ref["curve"] == "reference"
    assert out["threshold"] == expected.threshold == with_ref["threshold"]
    assert out["expected_flagged"] == pytest.approx(expected.flagged, rel=1e-12)
    assert out["flagged"] == int(np.sum(data["new"] >= expected.threshold))
    assert out["warnings"] == [] and out["reference_is_tuning_data"] is True
    estimated = as_json(run(*args[:-1], "--bootstrap", "0", "--json"))
    lib = estimate_prevalence(data["new"], "em", reference=curve, n_resamples=0)
    assert estimated["prevalence"] == pytest.approx(lib.prevalence, abs=1e-9)
    assert estimated["threshold"] == retarget(curve, estimated["prevalence"]).threshold
    moved = tmp_path / "moved.json"
    as_json(run(*args, "--prevalence", "0.02", "--save", moved))
    assert cp.Cutpoint.load(moved).threshold == expected.threshold
    text = " ".join(run(*args[:-1], "--prevalence", "0.02").stdout.split())
    assert "Moved threshold: score >=" in text and "Note: --reference" not in text


def test_closed_form_threshold_moves_by_odds_rebasing_without_reference(tmp_path, files) -> None:
    cost = tmp_path / "cost.json"
    tuned = ("tune", files["val"], "-l", "y", "-s", "p", "-m", "cost(fp=1, fn=9)")
    run(*tuned, "--save", cost, "--no-save-curve")
    out = as_json(run("retarget", "-k", cost, files["new"], "--json"))
    cut = cp.Cutpoint.load(cost)
    (ref,) = out["closed_form"]
    expected = rebase_threshold(0.1, out["prevalence"], reference_prevalence=cut.prevalence)
    assert ref["name"] == "bayes" and ref["at_reference"] == pytest.approx(0.1)
    assert ref["threshold"] == pytest.approx(expected, rel=1e-12)
    text = " ".join(run("retarget", "-k", cost, files["new"]).stdout.split())
    assert "Closed-form threshold for calibrated probabilities (bayes)" in text


def test_acc_equals_the_library_exactly(files, data) -> None:
    out = as_json(
        run(
            "retarget", "-k", files["cut"], files["new"], "--method", "acc", "--seed", "4", "--json"
        )
    )
    cut = cp.Cutpoint.load(files["cut"])
    lib = estimate_prevalence(data["new"], "acc", reference=cut, random_state=4)
    # Same counts, same binomial draws: every field equal.
    assert out["estimate"] == json.loads(json.dumps(lib.to_dict()))


def test_known_prevalence_skips_the_estimate(files, data) -> None:
    out = as_json(
        run(
            "retarget",
            "-k",
            files["cut"],
            files["new"],
            "-r",
            files["val"],
            "--prevalence",
            "0.02",
            "--json",
        )
    )
    curve = cp.confusion_curve(data["y"], data["p"])
    assert out["estimate"] is None and out["prevalence"] == 0.02
    assert out["threshold"] == retarget(curve, 0.02, metric="f1").threshold
    result = run("retarget", "-k", files["bare"], files["new"], "--prevalence", "0.02")
    assert result.exit_code == 1 and "needs the validation data: --reference" in result.stderr
    result = run(
        "retarget", "-k", files["cut"], files["new"], "-r", files["val"], "--prevalence", "1.5"
    )
    assert result.exit_code == 1
    assert "'--prevalence' must be a share of positives in (0, 1) (got 1.5)" in result.stderr


def test_save_writes_a_cutpoint_that_apply_uses(tmp_path, files, data) -> None:
    moved_path = tmp_path / "moved.json"
    out = as_json(
        run(
            "retarget",
            "-k",
            files["cut"],
            files["new"],
            "-r",
            files["val"],
            "--save",
            moved_path,
            "--json",
        )
    )
    moved = cp.Cutpoint.load(moved_path)
    assert moved.threshold == out["threshold"]
    assert moved.columns["score"] == "p"
    assert moved.prevalence == pytest.approx(out["prevalence"], rel=1e-12)
    labeled = tmp_path / "labeled.parquet"
    result = run("apply", "-k", moved_path, files["new"], "-o", labeled)
    assert result.exit_code == 0, result.output
    decision = pq.read_table(labeled).column("decision").to_numpy()
    assert int(decision.sum()) == out["flagged"]
    # Refused before any work: --save without --reference, or onto an input.
    result = run("retarget", "-k", files["bare"], files["new"], "--save", tmp_path / "x.json")
    assert result.exit_code == 1 and "needs the validation data: --reference" in result.stderr
    result = run(
        "retarget", "-k", files["cut"], files["new"], "-r", files["val"], "--save", files["val"]
    )
    assert result.exit_code == 1 and "--save" in result.stderr


def test_streams_in_batches_with_the_same_answer(files, data) -> None:
    one = as_json(run("retarget", "-k", files["cut"], files["new"], "-r", files["val"], "--json"))
    many = as_json(
        run(
            "retarget",
            "-k",
            files["cut"],
            files["new"],
            "-r",
            files["val"],
            "--batch-size",
            "1000",
            "--json",
        )
    )
    assert one["batches"] == 1
    assert many["batches"] == math.ceil(len(data["new"]) / 1000)
    for key in ("prevalence", "threshold", "flagged", "flagged_before", "expected_flagged"):
        assert many[key] == one[key], key


def test_acc_clipping_is_one_warning_line(tmp_path, files, data) -> None:
    few = tmp_path / "few.csv"
    pacsv.write_csv(pa.table({"p": np.full(200, 0.01)}), few)  # nothing flagged: below fpr
    result = run("retarget", "-k", files["cut"], few, "--method", "acc", "--json")
    assert result.exit_code == 0, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("warning: adjusted classify-and-count gave")
    out = json.loads(result.stdout)
    assert out["prevalence"] == 0.0 and out["warnings"] == [lines[0][len("warning: ") :]]
    # With the validation data there is still no threshold to move to, and nothing to save.
    result = run("retarget", "-k", files["cut"], few, "--method", "acc", "-r", files["val"])
    assert result.exit_code == 0, result.output
    assert "No threshold to move to" in " ".join(result.stdout.split())
    result = run(
        "retarget",
        "-k",
        files["cut"],
        few,
        "--method",
        "acc",
        "-r",
        files["val"],
        "--save",
        tmp_path / "m.json",
    )
    assert result.exit_code == 1 and "nothing to --save" in result.stderr
    assert not (tmp_path / "m.json").exists()


def test_csv_on_stdin(files, data) -> None:
    text = "p\n" + "\n".join(repr(float(v)) for v in data["new"][:5000]) + "\n"
    out = as_json(
        run("retarget", "-k", files["cut"], "-", "-r", files["val"], "--json", input=text)
    )
    assert out["rows"] == 5000 and out["input"] == "-"
    assert out["flagged"] == int(np.sum(data["new"][:5000] >= out["threshold"]))


def test_errors_are_one_line(tmp_path, files, data) -> None:
    # Scores that are not probabilities (logits): EM refuses, ACC works.
    to_logit = lambda p: np.log(p / (1 - p))  # noqa: E731
    val = tmp_path / "val_logits.csv"
    pacsv.write_csv(
        pa.table({"y": data["y"], "s": to_logit(np.clip(data["p"], 1e-9, 1 - 1e-9))}), val
    )
    logit_cut = tmp_path / "logit_cut.json"
    assert run("tune", val, "-l", "y", "-s", "s", "--save", logit_cut).exit_code == 0
    bad = tmp_path / "logits.csv"
    pacsv.write_csv(pa.table({"s": to_logit(data["new"])}), bad)
    result = run("retarget", "-k", logit_cut, bad)
    assert result.exit_code == 1
    assert "method='em' needs calibrated probabilities in [0, 1]" in result.stderr
    assert "use method='acc'" in result.stderr
    assert "Traceback" not in result.output
    ok = as_json(run("retarget", "-k", logit_cut, bad, "-r", val, "--method", "acc", "--json"))
    assert 0 < ok["prevalence"] < 0.15 and ok["threshold"] is not None
    result = run("retarget", "-k", files["cut"], files["new"], "--method", "mle")
    assert result.exit_code == 2 and "'--method' must be one of 'em', 'acc'" in " ".join(
        result.stderr.replace("│", " ").split()
    )
    result = run("retarget", "-k", files["cut"], files["new"], "-s", "q")
    assert result.exit_code == 1 and "'q'" in result.stderr
    result = run("retarget", "-k", tmp_path / "nope.json", files["new"])
    assert result.exit_code == 1 and "does not exist" in result.stderr
    # A cutpoint that does not record its columns needs them for --reference.
    bare = tmp_path / "bare.json"
    cp.find_cutpoint(data["y"], data["p"]).save(bare)
    result = run("retarget", "-k", bare, files["new"], "-s", "p", "-r", files["val"])
    assert result.exit_code == 1 and "--reference-label" in result.stderr
    good = run(
        "retarget",
        "-k",
        bare,
        files["new"],
        "-s",
        "p",
        "-r",
        files["val"],
        "--reference-label",
        "y",
        "--reference-score",
        "p",
        "--json",
    )
    assert as_json(good)["threshold"] is not None


def test_a_spread_saved_curve_says_where_the_optimum_may_hide(tmp_path, monkeypatch, data):
    # A curve longer than the saved rows: the moved threshold comes with a warning line
    # naming the bracket of saved thresholds the optimum may lie in (never silent).
    import cutpoints._saved_curve as saved

    monkeypatch.setattr(saved, "MAX_SAVED_ROWS", 40)
    val = tmp_path / "val.parquet"
    pq.write_table(pa.table({"y": data["y"], "p": data["p"]}), val)
    cut_path = tmp_path / "cut.json"
    assert run("tune", val, "-l", "y", "-s", "p", "--save", cut_path).exit_code == 0
    new = tmp_path / "new.parquet"
    pq.write_table(pa.table({"p": data["new"]}), new)
    result = run("retarget", "-k", cut_path, new, "--prevalence", "0.02", "--json")
    out = as_json(result)
    (said,) = out["warnings"]
    assert "may lie strictly between the known thresholds (" in said
    assert result.stderr.count("warning: re-targeted f1") == 1
    saved_thresholds = cp.Cutpoint.load(cut_path).curve.thresholds.tolist()
    assert out["threshold"] in saved_thresholds
    exact = retarget(cp.confusion_curve(data["y"], data["p"]), 0.02).threshold
    assert exact == out["threshold"] or exact not in saved_thresholds
