"""What a newcomer sees: help text, hints, the metric catalog, imports, the file API.

Issue 8 (constraints matched by object, guaranteed cutpoints applied like any other) and
issue 9 items 14 and 17, on the real command.
"""

from __future__ import annotations

import fnmatch
import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pytest
from typer.testing import CliRunner

import cutpoints as cp
from cutpoints.cli import app

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[1]


def run(*args: object, env: dict[str, str] | None = None):
    return runner.invoke(app, [str(a) for a in args], env=env, catch_exceptions=False)


@pytest.fixture(scope="module")
def data() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(21)
    n = 1000
    y = (rng.random(n) < 0.3).astype(np.int64)
    p = np.round(np.clip(0.3 * y + rng.random(n) * 0.7, 0, 1), 3)
    return {"y": y, "p": p}


@pytest.fixture
def csv_file(tmp_path: Path, data) -> Path:
    path = tmp_path / "scores.csv"
    pacsv.write_csv(pa.table(data), path)
    return path


# ----------------------------------------------------------------- constraints as objects


def _metric_rows(stdout: str) -> list[str]:
    table = stdout[stdout.index("Metrics at this threshold") :]
    table = table[: table.index("└")]
    return re.findall(r"│ (\w+)\s+│", table)


def test_constraint_rows_match_the_metric_not_a_prefix(csv_file: Path) -> None:
    result = run("tune", csv_file, "-l", "y", "-s", "p", "-c", "fpr <= 0.3")
    assert result.exit_code == 0, result.output
    rows = _metric_rows(result.stdout)
    assert "fpr" in rows
    assert "fp" not in rows  # 'fpr <= 0.3' starts with 'fp' but does not constrain it
    result = run("tune", csv_file, "-l", "y", "-s", "p", "-c", "flagged <= 300")
    rows = _metric_rows(result.stdout)
    assert "flagged" in rows
    assert "flag_rate" in rows  # a key metric, shown anyway
    assert rows[0] == "f1"  # the objective first, then the constrained metric
    assert rows[1] == "flagged"


def test_key_metrics_come_from_display(csv_file: Path) -> None:
    from cutpoints._display import KEY_METRICS

    result = run("tune", csv_file, "-l", "y", "-s", "p", "-m", "mcc")
    rows = _metric_rows(result.stdout)
    assert rows == ["mcc", *[m for m in KEY_METRICS if m != "mcc"]]


def test_apply_a_guaranteed_cutpoint(tmp_path: Path, data) -> None:
    guaranteed = cp.find_cutpoint_guaranteed(data["y"], data["p"], "precision >= 0.5")
    assert guaranteed.guarantee is not None
    cut_path = tmp_path / "guaranteed.json"
    guaranteed.save(cut_path)
    scores = np.random.default_rng(1).random(500)
    src = tmp_path / "new.csv"
    pacsv.write_csv(pa.table({"p": scores}), src)
    out = tmp_path / "out.csv"
    result = run("apply", "-k", cut_path, src, "-o", out)
    assert result.exit_code == 0, result.output
    assert repr(guaranteed.threshold) in result.stdout
    decisions = pacsv.read_csv(out).column("decision").to_pylist()
    assert decisions == guaranteed.predict(scores).tolist()


# ----------------------------------------------------------------- 14. help and hints


def test_help_has_no_type_tags_or_pydantic_text(csv_file: Path) -> None:
    for args in (["--help"], ["tune", "--help"], ["apply", "--help"], ["report", "--help"]):
        result = run(*args, env={"COLUMNS": "120"})
        assert result.exit_code == 0
        for noise in ("<bool>", "<str>", "<path>", "<int>"):
            assert noise not in result.stdout, (args, noise)
    result = run("tune", csv_file, "-l", "y", "-s", "p", "--ties", "middle")
    assert result.exit_code == 2
    assert "Value error" not in result.stderr
    assert "'--ties' must be one of 'highest', 'lowest', 'median' (got 'middle')" in " ".join(
        result.stderr.replace("│", " ").split()
    )
    result = run("tune", csv_file, "-l", "y", "-s", "p", "--rule", "=>")
    assert result.exit_code == 2
    assert "Value error" not in result.stderr


def test_column_suggestions_ignore_case(csv_file: Path) -> None:
    result = run("tune", csv_file, "-l", "Y", "-s", "p")
    assert result.exit_code == 1
    assert "did you mean 'y'?" in result.stderr


def test_swapped_label_and_score_get_a_hint(csv_file: Path) -> None:
    result = run("tune", csv_file, "-l", "p", "-s", "y")
    assert result.exit_code == 1
    assert "look swapped" in result.stderr
    assert "--label y --score p" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_metric_catalog_fits_80_columns() -> None:
    result = run("metrics", env={"COLUMNS": "80"})
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80
    assert "…" not in result.stdout
    words = set(re.findall(r"[\w.]+", result.stdout))
    for m in cp.list_metrics():
        assert m.name in words, m.name
        for alias in m.aliases:
            assert alias in words, alias
    wide = run("metrics", env={"COLUMNS": "200"})
    assert "…" not in wide.stdout
    assert "undefined when" in wide.stdout


# ----------------------------------------------------------------- 17. first command, imports


def test_gitignore_covers_the_default_outputs() -> None:
    from cutpoints.cli.commands.demo import DEFAULT_OUTPUT as DEMO
    from cutpoints.cli.commands.report import DEFAULT_OUTPUT as REPORT

    patterns = [
        line.strip()
        for line in (ROOT / ".gitignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    for name in (DEMO.name, REPORT.name):
        assert any(fnmatch.fnmatch(name, p.lstrip("/")) for p in patterns), name


HEAVY = ("pandas", "matplotlib", "plotly", "sklearn", "scipy", "pyarrow")


def test_help_imports_no_heavy_packages() -> None:
    code = f"""
import json, sys
import cutpoints.cli
from cutpoints.cli import app
for args in (["--help"], ["tune", "--help"], ["apply", "--help"]):
    try:
        app(args)
    except SystemExit:
        pass
print(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))
"""
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []
