"""``cutpoints tune --reject``: a reject band from the command line, on real files."""

from __future__ import annotations

import json
import re

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pytest
from typer.testing import CliRunner

from cutpoints._reject import RejectBand, find_reject_band
from cutpoints.cli import app

runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(3)
    n = 800
    y = (rng.random(n) < 0.3).astype(np.int64)
    p = np.round(np.clip(0.3 * y + rng.random(n) * 0.7, 0, 1), 3)
    w = rng.integers(1, 4, n)
    return {"y": y, "p": p, "w": w}


@pytest.fixture
def csv_file(tmp_path, data):
    path = tmp_path / "scores.csv"
    pacsv.write_csv(pa.table(data), path)
    return path


@pytest.mark.parametrize(
    ("options", "kwargs"),
    [
        (["--reject", "-m", "accuracy", "--coverage", "90%"], {"metric": "accuracy", "coverage": 0.9}),
        (["-m", "f1", "--abstain-rate", "0.2"], {"metric": "f1", "abstain_rate": 0.2}),
        (["-m", "balanced_accuracy", "--max-abstained", "60"], {"metric": "balanced_accuracy", "max_abstained": 60}),
        (["-m", "cost(fp=1, fn=4)", "--abstain-cost", "0.5"], {"metric": "cost(fp=1, fn=4)", "abstain_cost": 0.5}),
        (["-m", "recall", "--coverage", "0.8", "-c", "precision >= 0.6"],
         {"metric": "recall", "coverage": 0.8, "constraints": ["precision >= 0.6"]}),
    ],
)  # fmt: skip
def test_json_equals_the_library(csv_file, data, options, kwargs):
    result = run("tune", csv_file, "-l", "y", "-s", "p", "-w", "w", *options, "--json")
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    band = find_reject_band(data["y"], data["p"], sample_weight=data["w"], **kwargs)
    expected = band.to_dict()
    assert {k: payload[k] for k in expected} == expected
    assert payload["n_abstained"] == band.n_abstained
    assert payload["input"] == {"file": str(csv_file), "label": "y", "score": "p", "weight": "w"}


def test_table_shows_the_rule_and_three_outcomes(csv_file, data):
    result = run("tune", csv_file, "-l", "y", "-s", "p", "--reject", "-m", "accuracy",
                 "--coverage", "85%")  # fmt: skip
    assert result.exit_code == 0, result.output
    band = find_reject_band(data["y"], data["p"], metric="accuracy", coverage=0.85)
    out = result.stdout
    assert f"score >= {band.hi!r}" in out and f"score < {band.lo!r}" in out
    for text in ("reject band", "decided positive", "abstained", "decided negative"):
        assert text in out
    assert f"tp {band.tp}" in out and f"tn {band.tn}" in out
    assert "Budget: coverage >= 0.85" in out


def test_save_report_and_plot(csv_file, tmp_path, data):
    save, html, png = tmp_path / "band.json", tmp_path / "band.html", tmp_path / "band.png"
    result = run("tune", csv_file, "-l", "y", "-s", "p", "-m", "cost(fp=1, fn=3)",
                 "--abstain-cost", "0.4", "--save", save, "--report", html, "--plot", png)  # fmt: skip
    assert result.exit_code == 0, result.output
    band = find_reject_band(data["y"], data["p"], metric="cost(fp=1, fn=3)", abstain_cost=0.4)
    loaded = RejectBand.load(save)
    assert loaded == RejectBand.from_json(band.to_json())
    assert loaded.predict(data["p"]).tolist() == band.predict(data["p"]).tolist()
    page = html.read_text(encoding="utf-8")
    assert 'id="cp-slider-lo"' in page
    assert '<span class="tok">--abstain-cost</span> <span class="tok">0.4</span>' in page
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert f"Wrote the band to {save}" in result.stdout.replace("\n", "")
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp files


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--reject"], "'--reject' needs what abstaining costs or how much may be abstained"),
        (["--coverage", "1.5"], r"'--coverage' must be in (0, 1] (got 1.5)"),
        (["--coverage", "lots"], "'--coverage' must be a number or a percentage like 90%"),
        (["--abstain-rate", "5%", "--coverage", "0.9"], "(got '--coverage' and '--abstain-rate')"),
        (["--abstain-cost", "1"], "'--abstain-cost' needs a cost or utility metric"),
        (["--coverage", "0.9", "--bootstrap", "100"], "'--bootstrap' does not apply to '--reject'"),
        (["--coverage", "0.9", "-m", "f7"], "unknown metric 'f7'"),
    ],
)
def test_errors_before_reading(csv_file, options, message):
    result = run("tune", csv_file, "-l", "y", "-s", "p", *options)
    assert result.exit_code != 0
    assert message in " ".join(re.sub(r"[│╭╮╰╯─]", " ", result.output).split())


def test_save_over_the_input_is_refused(csv_file):
    result = run("tune", csv_file, "-l", "y", "-s", "p", "--coverage", "0.9", "--save", csv_file)
    assert result.exit_code != 0
    assert "same file as the input" in " ".join(result.output.split())
