"""``cutpoints tune --group`` and ``cutpoints apply`` with per-group thresholds, on real files."""

from __future__ import annotations

import json
from html.parser import HTMLParser

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
    amount = np.round(rng.random(n) * 200, 2)
    return {"y": y, "p": p, "region": region, "amount": amount}


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
    result = run("tune", csv_file, "-l", "y", "-s", "p", "-g", "region", "--reject")
    assert result.exit_code != 0 and "'--reject' cannot be combined with '--group'" in result.output
    result = run("tune", csv_file, "-l", "y", "-s", "p", "--mode", "joint")
    assert result.exit_code != 0 and "'--mode' needs '--group" in result.output
    result = run("tune", csv_file, "-l", "y", "-s", "p", "-g", "nope")
    assert result.exit_code != 0 and "nope" in result.output


class Tables(HTMLParser):
    """Every <table> of a page: its id/class, the ids of the tables around it, its rows."""

    def __init__(self):
        super().__init__()
        self.tables, self.open, self.row = [], [], None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table":
            name = attrs.get("id") or attrs.get("class")
            self.tables.append({"name": name, "inside": [t["name"] for t in self.open], "rows": []})
            self.open.append(self.tables[-1])
        elif tag == "tr" and self.open:
            self.row = []
            self.open[-1]["rows"].append(self.row)
        elif tag in ("td", "th") and self.row is not None:
            self.row.append("")

    def handle_endtag(self, tag):
        if tag == "table" and self.open:
            self.open.pop()

    def handle_data(self, data):
        if self.row is not None and self.row and self.open:
            self.row[-1] += data


def group_table(page):
    parser = Tables()
    parser.feed(page)
    (table,) = [t for t in parser.tables if t["name"] == "groups"]
    head, *rows = table["rows"]
    return table, [dict(zip(head, row, strict=True)) for row in rows]


@pytest.fixture
def parquet_file(tmp_path, data):
    path = tmp_path / "data.parquet"
    pq.write_table(pa.table(data), path)
    return path


def test_tune_group_writes_the_report_and_the_group_panel(tmp_path, parquet_file, data):
    pytest.importorskip("plotly")
    pytest.importorskip("matplotlib")
    from PIL import Image

    out, png = tmp_path / "out.html", tmp_path / "out.png"
    result = run(
        "tune", parquet_file, "-l", "y", "-s", "p", "--group", "region",
        "--report", out, "--plot", png, "--json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["written"] == {"report": str(out), "plot": str(png)}
    expected = cp.find_cutpoint(data["y"], data["p"], groups=data["region"])
    page = out.read_text(encoding="utf-8")
    # The page cutpoints.report(..., groups=) writes: the pooled rows, then the groups.
    assert page == cp.report(
        data["y"], data["p"], groups=expected, command=_command(page),
        source={"file": str(parquet_file), "label": "y", "score": "p"},
    )  # fmt: skip
    table, rows = group_table(page)
    assert table["inside"] == []  # its own table, not nested in the data summary
    assert [r["group"] for r in rows] == expected.groups
    for row in rows:
        cut = expected.cutpoints[row["group"]]
        assert float(row["threshold"]) == cut.threshold
        assert [int(row[k]) for k in ("tp", "fp", "tn", "fn")] == [cut.tp, cut.fp, cut.tn, cut.fn]
    assert "cutpoints tune" in _command(page) and "--group region" in _command(page)

    with Image.open(png) as image:
        assert image.format == "PNG" and image.size == (1100, 400)  # GroupDisplay: 11 x 4 in


def _command(page):
    """The "Reproduce" command shown on the page, as text."""
    start = page.index('<pre id="cp-command">')
    body = page[start : page.index("</pre>", start)]
    parser = HTMLParser()
    words = []
    parser.handle_data = words.append
    parser.feed(body)
    return "".join(words).strip()


def test_tune_group_joint_report_shows_the_gap(tmp_path, csv_file, data):
    pytest.importorskip("plotly")
    out = tmp_path / "joint.html"
    result = run(
        "tune", csv_file, "-l", "y", "-s", "p", "-g", "region", "--mode", "joint",
        "-m", "tp", "-c", "flagged<=120", "-c", "recall_gap<=0.1", "--report", out,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    expected = cp.find_cutpoint(
        data["y"], data["p"], groups=data["region"], mode="joint", metric="tp",
        constraints=["flagged<=120", "recall_gap<=0.1"],
    )  # fmt: skip
    page = out.read_text(encoding="utf-8")
    _, rows = group_table(page)
    assert {r["group"]: float(r["threshold"]) for r in rows} == expected.thresholds
    assert "Thresholds per group (joint)" in page and "recall gap between groups" in page
    assert "--mode joint" in _command(page)


def test_tune_group_outputs_are_atomic(tmp_path, csv_file):
    pytest.importorskip("plotly")
    out, png = tmp_path / "out.html", tmp_path / "out.png"
    out.write_text("old report", encoding="utf-8")
    # No threshold of any group meets these: the run fails after reading the data.
    result = run(
        "tune", csv_file, "-l", "y", "-s", "p", "-g", "region", "-c", "precision>=0.99",
        "-c", "recall>=0.99", "--report", out, "--plot", png,
    )  # fmt: skip
    assert result.exit_code != 0
    assert out.read_text(encoding="utf-8") == "old report" and not png.exists()
    assert [p.name for p in tmp_path.iterdir()] == [csv_file.name, out.name]
    result = run("tune", csv_file, "-l", "y", "-s", "p", "-g", "region", "--report", csv_file)
    assert result.exit_code != 0 and "--report" in result.output


def test_tune_group_with_values_splits_the_value_per_group(tmp_path, parquet_file, data):
    pytest.importorskip("plotly")
    saved, out = tmp_path / "cuts.json", tmp_path / "value.html"
    result = run(
        "tune", parquet_file, "-l", "y", "-s", "p", "-g", "region", "-m", "value",
        "--value", "tp=amount", "--value", "fp=-5", "--value", "fn=-amount",
        "--json", "--save", saved, "--report", out,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    amount = data["amount"]
    expected = cp.find_cutpoint(
        data["y"], data["p"], groups=data["region"], metric="value",
        values={"tp": amount, "fp": -5.0, "fn": -amount},
    )  # fmt: skip
    payload = json.loads(result.stdout)
    assert payload["score"] == pytest.approx(expected.score)
    assert payload["value_by_outcome"] == pytest.approx(expected.value_by_outcome)
    assert sum(payload["value_by_outcome"].values()) == pytest.approx(expected.score)
    for row in payload["table"]:
        cut = expected.cutpoints[row["group"]]
        assert row["threshold"] == cut.threshold
        assert row["value_by_outcome"] == pytest.approx(cut.value_by_outcome)
        assert row["value"] == pytest.approx(sum(cut.value_by_outcome.values()))
    # Each group's own optimum of its total value (checked by brute force over its scores).
    for g, cut in expected.cutpoints.items():
        rows = data["region"] == g
        y, p, a = data["y"][rows], data["p"][rows], amount[rows]
        totals = [np.sum(np.where(p >= t, np.where(y == 1, a, -5.0), np.where(y == 1, -a, 0)))
                  for t in np.unique(p)]  # fmt: skip
        assert sum(cut.value_by_outcome.values()) == pytest.approx(
            max(max(totals), -a[y == 1].sum())
        )
    loaded = cp.GroupCutpoint.load(saved)
    assert loaded.thresholds == expected.thresholds
    assert loaded.columns["value.tp"] == "amount" and loaded.columns["value.fn"] == "-amount"
    page = out.read_text(encoding="utf-8")
    assert "Value of the decisions" in page
    _, rows = group_table(page)
    assert {r["group"]: float(r["threshold"]) for r in rows} == expected.thresholds
    assert "--value tp=amount" in _command(page)


def test_tune_group_report_when_no_single_threshold_meets_the_constraints(tmp_path):
    pytest.importorskip("plotly")
    # Each group meets both bounds at its own threshold; one pooled threshold cannot:
    # every threshold with recall >= 0.9 also flags a's negative (0.5 > b's positives).
    y = [1] * 9 + [0] + [1] * 9 + [0]
    p = [0.9] * 9 + [0.5] + [0.4] * 9 + [0.1]
    g = ["a"] * 10 + ["b"] * 10
    path, out = tmp_path / "s.csv", tmp_path / "r.html"
    pacsv.write_csv(pa.table({"y": y, "p": p, "g": g}), path)
    bounds = ["recall>=0.9", "precision>=0.99"]
    with pytest.raises(cp.errors.InfeasibleConstraintError):
        cp.find_cutpoint(y, p, constraints=bounds)
    result = run("tune", path, "-l", "y", "-s", "p", "-g", "g", "-c", bounds[0], "-c", bounds[1],
                 "--report", out)  # fmt: skip
    assert result.exit_code == 0, result.output
    page = out.read_text(encoding="utf-8")
    _, rows = group_table(page)
    assert {r["group"]: float(r["threshold"]) for r in rows} == {"a": 0.9, "b": 0.4}
    unconstrained = cp.find_cutpoint(y, p)
    assert page == cp.report(
        y, p, groups=cp.find_cutpoint(y, p, groups=g, constraints=bounds),
        command=_command(page), source={"file": str(path), "label": "y", "score": "p"},
    )  # fmt: skip
    assert f"score &gt;= {unconstrained.threshold}" in page


def test_report_command_with_group_reproduces_itself(tmp_path, csv_file, data):
    pytest.importorskip("plotly")
    import shlex

    out = tmp_path / "r.html"
    result = run(
        "report", csv_file, "-l", "y", "-s", "p", "--group", "region", "--mode", "joint",
        "-m", "tp", "-c", "flagged<=150", "--title", "by region", "-o", out, "--json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    expected = cp.find_cutpoint(
        data["y"], data["p"], groups=data["region"], mode="joint", metric="tp",
        constraints="flagged<=150",
    )  # fmt: skip
    payload = json.loads(result.stdout)
    assert {t["group"]: t["threshold"] for t in payload["thresholds"]} == expected.thresholds
    page = out.read_text(encoding="utf-8")
    _, rows = group_table(page)
    assert {r["group"]: float(r["threshold"]) for r in rows} == expected.thresholds
    assert "<title>by region</title>" in page
    # The "Reproduce" command, run again, writes the very same page.
    command = shlex.split(_command(page))
    assert command[:2] == ["cutpoints", "report"] and "--group" in command
    out.unlink()
    assert run(*command[1:]).exit_code == 0
    assert out.read_text(encoding="utf-8") == page
    result = run("report", csv_file, "-l", "y", "-s", "p", "-g", "region", "-b", "5", "-o", out)
    assert (
        result.exit_code != 0 and "'--bootstrap' cannot be combined with '--group'" in result.output
    )
