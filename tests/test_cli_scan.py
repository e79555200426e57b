"""``tune``, ``curve`` and ``report`` on directories, globs and big files: streamed through
``cp.scan``, with the in-memory answer as the oracle.

``cutpoints._scan.SMALL_ROWS`` (inputs up to it are read into memory) is lowered so a
few thousand rows take the streamed, binned path.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

import cutpoints as cp
import cutpoints._scan as scan_module
from cutpoints._saved_curve import SavedCurve
from cutpoints.cli import _scan_input, app
from cutpoints.shift import retarget

runner = CliRunner()


def run(*args: object):
    return runner.invoke(app, [str(a) for a in args], catch_exceptions=False)


def as_json(result) -> dict:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(41)
    n = 30_000
    y = (rng.random(n) < 0.2).astype(np.int64)
    p = 1 / (1 + np.exp(-(rng.normal(size=n) + 2 * y - 1.5)))
    return y, p


@pytest.fixture
def folder(tmp_path: Path, data, monkeypatch) -> Path:
    monkeypatch.setattr(scan_module, "SMALL_ROWS", 1000)  # stream, and bin
    y, p = data
    parts = tmp_path / "parts"
    parts.mkdir()
    for i, rows in enumerate(np.array_split(np.arange(len(y)), 3)):
        pq.write_table(
            pa.table({"y": y[rows], "p": p[rows], "other": rows}), parts / f"{i}.parquet"
        )
    return parts


def test_tune_streams_a_directory_and_a_glob_with_the_in_memory_answer(folder, data, tmp_path):
    y, p = data
    want = cp.find_cutpoint(y, p, metric="f1", constraints=["precision >= 0.5"], engine="sort")
    for source in (folder, folder / "*.parquet"):
        out = as_json(run("tune", source, "-l", "y", "-s", "p", "-c", "precision>=0.5", "--json"))
        assert out["threshold"] == want.threshold
        assert out["counts"] == {"tp": want.tp, "fp": want.fp, "tn": want.tn, "fn": want.fn}
        assert out["optimal_thresholds"] == list(want.optimal_thresholds)
    # --save writes the binned curve; retarget moves the threshold from it alone.
    saved = tmp_path / "cut.json"
    as_json(run("tune", folder, "-l", "y", "-s", "p", "--save", saved, "--json"))
    loaded = cp.Cutpoint.load(saved)
    assert isinstance(loaded.curve, SavedCurve) and loaded.columns == {"label": "y", "score": "p"}
    new = tmp_path / "new.parquet"
    pq.write_table(pa.table({"p": p[:5000]}), new)
    moved = as_json(run("retarget", "-k", saved, new, "--prevalence", "0.05", "--json"))
    exact = retarget(cp.confusion_curve(y, p), 0.05).threshold
    assert moved["threshold"] == exact or moved["warnings"]  # exact, or it says why not


def test_tune_pos_label_is_typed_from_the_schema(folder, data):
    y, p = data
    out = as_json(run("tune", folder, "-l", "y", "-s", "p", "--pos-label", "0", "--json"))
    assert out["threshold"] == cp.find_cutpoint(y, p, pos_label=0, engine="sort").threshold
    result = run("tune", folder, "-l", "y", "-s", "p", "--pos-label", "yes")
    assert result.exit_code == 1
    assert "--pos-label 'yes' is not a value of the type of column 'y'" in result.stderr


def test_curve_of_a_streamed_input_is_binned_and_exact_at_its_rows(folder, data, tmp_path):
    y, p = data
    out_path = tmp_path / "curve.parquet"
    out = as_json(run("curve", folder, "-l", "y", "-s", "p", "-o", out_path, "--json"))
    assert out["binned"] is True and "observed" in out["columns"]
    table = pq.read_table(out_path)
    full = cp.confusion_curve(y, p)
    thresholds = table.column("threshold").to_numpy()
    rows = full.rows_at(thresholds)
    np.testing.assert_array_equal(table.column("tp").to_numpy(), full.tp[rows])
    np.testing.assert_array_equal(table.column("fp").to_numpy(), full.fp[rows])
    assert out["rows"] < len(full)
    text = " ".join(run("curve", folder, "-l", "y", "-s", "p", "-o", out_path).stdout.split())
    assert "(binned: exact counts at score-bin edges, not every distinct score)" in text


def test_report_of_a_streamed_input_says_it_is_binned(folder, data, tmp_path):
    page_path = tmp_path / "r.html"
    result = run("report", folder, "-l", "y", "-s", "p", "-o", page_path, "--json")
    assert as_json(result)["threshold"] == cp.find_cutpoint(*data, engine="sort").threshold
    page = " ".join(page_path.read_text("utf-8").split())
    assert "thresholds, not at every distinct score: the edges of" in page
    assert "Not exact here" in page  # streamed: named points between bins are flagged


def test_value_flags_stream_a_glob_with_the_in_memory_answer(folder, data, tmp_path):
    """``--value`` on a directory or glob goes through cp.scan(values=...), like the rest."""
    y, p = data
    amount = np.arange(len(y), dtype=np.float64) % 97
    values = {"tp": amount, "fp": -20.0, "fn": -amount}
    want = cp.find_cutpoint(y, p, metric="value", values=values, engine="sort")
    for i, rows in enumerate(np.array_split(np.arange(len(y)), 3)):
        part = folder / f"{i}.parquet"
        pq.write_table(pq.read_table(part).append_column("amount", pa.array(amount[rows])), part)
    flags = ("-m", "value", "--value", "tp=amount", "--value", "fp=-20", "--value", "fn=-amount")
    for source in (folder, folder / "*.parquet"):
        out = as_json(run("tune", source, "-l", "y", "-s", "p", *flags, "--json"))
        assert out["threshold"] == want.threshold
        assert out["counts"] == {"tp": want.tp, "fp": want.fp, "tn": want.tn, "fn": want.fn}
    saved = tmp_path / "cut.json"
    as_json(run("tune", folder / "*.parquet", "-l", "y", "-s", "p", *flags, "--save", saved,
                "--json"))  # fmt: skip
    loaded = cp.Cutpoint.load(saved)
    assert loaded.threshold == want.threshold
    assert loaded.columns == {"label": "y", "score": "p", "value.tp": "amount",
                              "value.fp": "-20", "value.fn": "-amount"}  # fmt: skip
    page_path = tmp_path / "v.html"
    result = run("report", folder / "*.parquet", "-l", "y", "-s", "p", *flags, "-o", page_path,
                 "--json")  # fmt: skip
    assert as_json(result)["threshold"] == want.threshold
    page = " ".join(page_path.read_text("utf-8").split())
    assert "Value of the decisions" in page


def test_small_files_are_still_read_whole(tmp_path, data, monkeypatch):
    y, p = data
    path = tmp_path / "s.parquet"
    pq.write_table(pa.table({"y": y, "p": p}), path)
    assert not _scan_input.streamed(str(path)) and not _scan_input.streamed("-")
    assert _scan_input.streamed(str(tmp_path)) and _scan_input.streamed(str(tmp_path / "*.pq"))
    monkeypatch.setattr(_scan_input, "STREAM_BYTES", 100)  # now it is a big file
    assert _scan_input.streamed(str(path))
    monkeypatch.setattr(scan_module, "SMALL_ROWS", 1000)
    out = as_json(run("tune", path, "-l", "y", "-s", "p", "--json"))
    assert out["threshold"] == cp.find_cutpoint(y, p, engine="sort").threshold
    assert out["data"]["fingerprint"].startswith("sha256-binned:")  # it was streamed


def test_progress_bar_shows_each_pass_on_a_terminal_only(monkeypatch):
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    with _scan_input.scan_progress(enabled=True) as hook:
        assert hook is None  # stderr is not a terminal under pytest
    terminal = Terminal()
    monkeypatch.setattr("sys.stderr", terminal)
    with _scan_input.scan_progress(enabled=False) as hook:
        assert hook is None  # --json: never
    with _scan_input.scan_progress(enabled=True) as hook:
        assert hook is not None
        for name in ("summary", "count", "refine"):
            hook(name, 10, 20)
            hook(name, 20, 20)
    shown = terminal.getvalue()
    for text in ("pass 1: summary", "pass 2: count", "pass 3: refine", "20/20"):
        assert text in shown
