"""``cutpoints tune --group`` and ``cutpoints apply`` with per-group thresholds, on real files."""

from __future__ import annotations

import dataclasses
import json
import math
import re
import shlex
from html.parser import HTMLParser
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


def test_tune_group_refuses_what_it_cannot_do(tmp_path, csv_file):
    saved = tmp_path / "cuts.json"
    base = ("tune", csv_file, "-l", "y", "-s", "p", "-g", "region", "--save", saved)
    # Refused before the data is read, each naming both flags, why, and what to do instead.
    for extra, words in [
        (("--mode", "joint", "-m", "tp", "-c", "flagged<=100", "-b", "10"),
         ["'--bootstrap'", "'--group'", "'--mode joint'", "use '--mode independent'"]),
        (("--reject",),
         ["'--reject'", "'--group'", "no per-group band", "on each group's rows"]),
        (("--coverage", "90%"), ["'--reject' (or a reject-band option)", "'--group'"]),
        (("-b", "-1"), ["'--bootstrap' must be >= 0"]),
        (("-b", "200000"), ["'--bootstrap' must be at most", "--force-large"]),
    ]:  # fmt: skip
        result = run(*base, *extra)
        assert result.exit_code == 1, (extra, result.output)
        assert all(w in result.output for w in words), (extra, result.output)
        assert not saved.exists()
    result = run("tune", csv_file, "-l", "y", "-s", "p", "--mode", "joint")
    assert result.exit_code != 0 and "'--mode' needs '--group" in result.output
    result = run("tune", csv_file, "-l", "y", "-s", "p", "-g", "nope")
    assert result.exit_code != 0 and "nope" in result.output


def test_group_refuses_a_directory_or_glob_by_name(tmp_path, data):
    parts = tmp_path / "parts"
    parts.mkdir()
    pq.write_table(pa.table(data), parts / "0.parquet")
    for source in (parts, parts / "*.parquet"):
        for command in ("tune", "report"):
            extra = ("-o", tmp_path / "r.html") if command == "report" else ()
            result = run(command, source, "-l", "y", "-s", "p", "-g", "region", *extra)
            assert result.exit_code == 1, result.output
            assert "not a directory or a glob" in result.output
            assert str(source) in result.output


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
    out.unlink()
    result = run("report", csv_file, "-l", "y", "-s", "p", "-g", "region", "-b", "5", "-o", out)
    assert result.exit_code == 1 and not out.exists()
    assert "'--bootstrap' cannot be combined with 'report --group'" in result.output
    assert "no place for per-group intervals" in result.output
    assert "tune --group COLUMN --bootstrap N" in result.output


# ---------------------------------------------------------------- bootstrap per group


def _plain(value):
    """A summary value as JSON carries it: NaN is null, numpy scalars are Python numbers."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and value != value:
        return None
    return value


@pytest.fixture
def weighted_parquet(tmp_path, data):
    # Integer group labels and weights: both must reach cp.bootstrap as they are.
    codes = {"north": 1, "south": 2, "west": 3}
    path = tmp_path / "weighted.parquet"
    weight = np.random.default_rng(3).integers(1, 4, size=len(data["y"]))
    region = np.array([codes[r] for r in data["region"]])
    pq.write_table(pa.table({**data, "region": region, "w": weight}), path)
    return path, region, weight


def test_tune_group_bootstrap_json_is_the_librarys_bootstrap(weighted_parquet, data):
    path, region, weight = weighted_parquet
    result = run(
        "tune", path, "-l", "y", "-s", "p", "-w", "w", "-g", "region", "-m", "gmean",
        "-c", "recall>=0.3", "--bootstrap", "40", "--json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    boots = cp.bootstrap(
        data["y"], data["p"], groups=region, sample_weight=weight, metric="gmean",
        constraints="recall>=0.3", n_resamples=40, random_state=0,
    )  # fmt: skip
    got = payload["bootstrap"]
    assert got["n_resamples"] == 40 and got["random_state"] == 0
    assert (
        [g["group"] for g in got["groups"]] == [1, 2, 3] == [r["group"] for r in payload["table"]]
    )
    for entry in got["groups"]:
        boot = boots[entry["group"]]
        assert entry["n_infeasible"] == boot.n_infeasible
        expected = [
            {k: _plain(v) for k, v in rec.items()}
            for rec in boot.summary().reset_index(drop=True).to_dict("records")
        ]
        assert entry["summary"] == expected  # number for number
        (threshold,) = [r for r in entry["summary"] if r["quantity"] == "threshold"]
        assert threshold["point"] == payload["groups"][entry["group"] - 1]["cutpoint"]["threshold"]


def test_tune_group_bootstrap_with_values_is_the_librarys_bootstrap(weighted_parquet, data):
    """``tune --group --value --bootstrap``: each group's resamples re-sum its values."""
    path, region, weight = weighted_parquet
    result = run(
        "tune", path, "-l", "y", "-s", "p", "-w", "w", "-g", "region", "-m", "value",
        "--value", "tp=amount", "--value", "fp=-20", "--value", "fn=-amount",
        "--bootstrap", "30", "--json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    values = {"tp": data["amount"], "fp": -20.0, "fn": -data["amount"]}
    boots = cp.bootstrap(
        data["y"], data["p"], groups=region, sample_weight=weight, metric="value",
        values=values, n_resamples=30, random_state=0,
    )  # fmt: skip
    without = cp.bootstrap(
        data["y"], data["p"], groups=region, sample_weight=weight, metric="value",
        values={"tp": 1.0}, n_resamples=30, random_state=0,
    )  # fmt: skip
    for entry in payload["bootstrap"]["groups"]:
        boot = boots[entry["group"]]
        expected = [
            {k: _plain(v) for k, v in rec.items()}
            for rec in boot.summary().reset_index(drop=True).to_dict("records")
        ]
        assert entry["summary"] == expected  # number for number
        other = without[entry["group"]].summary().reset_index(drop=True)
        assert other.to_dict("records") != boot.summary().reset_index(drop=True).to_dict("records")


def test_tune_group_bootstrap_prints_each_groups_intervals(tmp_path, csv_file, data):
    pytest.importorskip("plotly")
    out = tmp_path / "r.html"
    args = ["tune", csv_file, "-l", "y", "-s", "p", "-g", "region", "-b", "30", "--report", out]
    result = runner.invoke(app, [str(a) for a in args], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    boots = cp.bootstrap(
        data["y"], data["p"], groups=data["region"], n_resamples=30, random_state=0
    )
    lines = result.stdout.splitlines()
    start = next(
        i for i, x in enumerate(lines) if x.startswith("Bootstrap per group (30 resamples")
    )
    for g, boot in boots.items():
        line = next(x for x in lines[start:] if x.strip().startswith(("│ " + g, g)))
        lo, hi = boot.interval("threshold")
        assert f"{boot.threshold!r}" in line and f"[{lo!r}, {hi!r}]" in line
        lo, hi = boot.interval("f1", kind="at_threshold")
        assert f"[{lo:.4g}, {hi:.4g}]" in line, line
        lo, hi = boot.interval("f1", kind="out_of_bag")
        assert f"[{lo:.4g}, {hi:.4g}]" in line, line
    # The report cannot show per-group intervals: it is the page without them, and says so.
    assert "no place for per-group intervals" in result.output
    expected = cp.find_cutpoint(data["y"], data["p"], groups=data["region"])
    page = out.read_text(encoding="utf-8")
    assert page == cp.report(
        data["y"], data["p"], groups=expected, command=_command(page),
        source={"file": str(csv_file), "label": "y", "score": "p"},
    )  # fmt: skip
    assert "--bootstrap 30" in _command(page)


def test_tune_group_bootstrap_counts_infeasible_resamples_per_group(tmp_path):
    # Group a: the top score is a positive and the next a negative, so precision 1 is
    # reachable only when a resample draws that positive; group b always reaches it.
    y = [*[1, 0, 1, 0, 1, 0, 0, 1], *[1, 1, 1, 0, 0, 1, 0, 0]]
    p = [0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2] * 2
    g = ["a"] * 8 + ["b"] * 8
    path = tmp_path / "s.csv"
    pacsv.write_csv(pa.table({"y": y, "p": p, "g": g}), path)
    args = ("tune", path, "-l", "y", "-s", "p", "-g", "g", "-m", "recall",
            "-c", "precision>=0.99", "-b", "50")  # fmt: skip
    result = run(*args)
    assert result.exit_code == 0, result.output
    with pytest.warns(cp.BootstrapWarning):
        boots = cp.bootstrap(y, p, groups=g, metric="recall", constraints="precision>=0.99",
                             n_resamples=50, random_state=0)  # fmt: skip
    assert 0 < boots["a"].n_infeasible < 50 and boots["b"].n_infeasible == 0
    note = f"group a: {boots['a'].n_infeasible} of 50 resamples chose no threshold"
    assert note in " ".join(result.stdout.split())
    assert "group b:" not in result.stdout
    payload = json.loads(run(*args, "--json").stdout)
    assert [e["n_infeasible"] for e in payload["bootstrap"]["groups"]] == [
        boots["a"].n_infeasible, 0,
    ]  # fmt: skip


# ---------------------------------------------------------------- report --group --value


class ValueTable(HTMLParser):
    """The rows of the page's per-group value table (``id='cp-group-values'``)."""

    def __init__(self):
        super().__init__()
        self.inside, self.rows = False, []

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.inside = dict(attrs).get("id") == "cp-group-values"
        elif self.inside and tag == "tr":
            self.rows.append([])
        elif self.inside and tag in ("td", "th"):
            self.rows[-1].append("")

    def handle_endtag(self, tag):
        if tag == "table":
            self.inside = False

    def handle_data(self, data):
        if self.inside and self.rows and self.rows[-1]:
            self.rows[-1][-1] += data


def _number(text):
    return float(text.replace(",", ""))


def test_report_group_with_values_shows_each_groups_value_split(tmp_path, parquet_file, data):
    pytest.importorskip("plotly")

    out = tmp_path / "r.html"
    result = run(
        "report", parquet_file, "-l", "y", "-s", "p", "-g", "region", "-m", "value",
        "--value", "tp=amount", "--value", "fp=-5", "--value", "fn=-amount", "-o", out, "--json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    amount, y, p, region = data["amount"], data["y"], data["p"], data["region"]
    values = {"tp": amount, "fp": -5.0, "fn": -amount}
    expected = cp.find_cutpoint(y, p, groups=region, metric="value", values=values)
    assert json.loads(result.stdout)["value_by_outcome"] == pytest.approx(expected.value_by_outcome)
    page = out.read_text(encoding="utf-8")
    assert page == cp.report(
        y, p, groups=expected, metric="value", values=values, command=_command(page),
        source={"file": str(parquet_file), "label": "y", "score": "p"},
    )  # fmt: skip
    assert "Value of the decisions" in page  # the pooled rows' value section
    parser = ValueTable()
    parser.feed(page)
    head, *rows = parser.rows
    assert head == ["group", "threshold", "flagged", "total value", "tp", "fp", "fn", "tn"]
    assert [r[0] for r in rows] == [*expected.groups, "all groups"]
    # Each group's split counted directly from its rows at its threshold (4 digits shown).
    totals = dict.fromkeys(("tp", "fp", "fn", "tn"), 0.0)
    for row in rows[:-1]:
        at = region == row[0]
        flag = p[at] >= float(row[1])
        pos = y[at] == 1
        split = {"tp": amount[at][flag & pos].sum(), "fp": -5.0 * (flag & ~pos).sum(),
                 "fn": -amount[at][~flag & pos].sum(), "tn": 0.0}  # fmt: skip
        assert float(row[1]) == expected.thresholds[row[0]] and int(row[2]) == flag.sum()
        for k, v in split.items():
            totals[k] += v
            assert _number(row[4 + list(split).index(k)]) == pytest.approx(v, rel=5e-4, abs=1e-9)
        assert _number(row[3]) == pytest.approx(sum(split.values()), rel=5e-4)
    assert _number(rows[-1][3]) == pytest.approx(sum(totals.values()), rel=5e-4)
    assert [_number(c) for c in rows[-1][4:]] == pytest.approx(list(totals.values()), rel=5e-4)
    # Its "Reproduce" command, run again, writes the very same page.
    command = shlex.split(_command(page))
    assert command[:2] == ["cutpoints", "report"] and "tp=amount" in command
    out.unlink()
    assert run(*command[1:]).exit_code == 0
    assert out.read_text(encoding="utf-8") == page


def test_report_with_values_and_bootstrap_without_groups(tmp_path, csv_file, data):
    pytest.importorskip("plotly")

    out = tmp_path / "r.html"
    result = run(
        "report", csv_file, "-l", "y", "-s", "p", "-m", "value", "--value", "tp=amount",
        "--value", "fp=-5", "-b", "20", "-o", out,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    values = {"tp": data["amount"], "fp": -5.0}
    cut = cp.find_cutpoint(data["y"], data["p"], metric="value", values=values)
    boot = cp.bootstrap(data["y"], data["p"], metric="value", values=values, n_resamples=20,
                        random_state=0)  # fmt: skip
    page = out.read_text(encoding="utf-8")
    source = {"file": str(csv_file), "label": "y", "score": "p", "weight": None}
    columns = {"label": "y", "score": "p", "value.tp": "amount", "value.fp": "-5"}
    cut = dataclasses.replace(cut, columns=columns)
    assert page == cp.report(cutpoint=cut, bootstrap=boot, command=_command(page), source=source)
    assert 'id="cp-value"' in page
    command = shlex.split(_command(page))
    assert command[:2] == ["cutpoints", "report"] and "--value" in command
    assert "--bootstrap" in command
    out.unlink()
    assert run(*command[1:]).exit_code == 0
    assert out.read_text(encoding="utf-8") == page


# ---------------------------------------------------------------- the docs' commands


def _group_commands(text):
    """The ``cutpoints`` commands of ``text`` (one a line) that use groups, as typed."""
    commands = []
    for line in text.replace("\\\n", " ").splitlines():
        words = shlex.split(line)
        if words[:1] == ["cutpoints"] and {"-g", "--group", "--fallback-group"} & set(words):
            commands.append(words[1:])
    return commands


def _doc_commands(path, blocks):
    """The group commands of a page's shell blocks."""
    text = (Path(__file__).resolve().parent.parent / path).read_text(encoding="utf-8")
    blocks = re.findall(rf"```(?:{blocks})\n(.+?)```", text, re.DOTALL)
    return [c for block in blocks for c in _group_commands(block)]


@pytest.mark.slow
def test_the_docs_group_commands_run_as_written(tmp_path, monkeypatch):
    pytest.importorskip("plotly")
    pytest.importorskip("matplotlib")
    rng = np.random.default_rng(5)
    n = 3_000
    region = rng.choice(np.array(["north", "south", "west"]), size=n)
    y = (rng.random(n) < 0.3).astype(np.int64)
    p = np.round(np.clip(0.35 * y + rng.random(n) * 0.65, 0, 1), 3)
    amount = np.round(rng.random(n) * 200, 2)
    pacsv.write_csv(pa.table({"y": y, "p": p, "region": region, "amount": amount}),
                    tmp_path / "scores.csv")  # fmt: skip
    pacsv.write_csv(pa.table({"p": p[:50], "region": region[:50]}), tmp_path / "new.csv")
    monkeypatch.chdir(tmp_path)
    guide = _doc_commands("docs/guide/groups.md", "bash")
    cli = _doc_commands("docs/cli.md", "sh")
    from cutpoints.cli.commands import report, tune

    helps = _group_commands(tune.EPILOG) + _group_commands(report.EPILOG)  # --help's examples
    assert len(guide) >= 8 and len(cli) >= 4 and len(helps) >= 6
    assert any("--bootstrap" in c for c in guide) and any("--value" in c and c[0] == "report"
                                                          for c in guide + cli)  # fmt: skip
    # Each distinct command once; the guide's "tune --save cuts.json" comes before "apply".
    for words in dict.fromkeys(map(tuple, guide + cli + helps)):
        result = run(*words)
        assert result.exit_code == 0, (words, result.output)


def test_help_says_what_goes_with_group():
    def page(command):
        result = runner.invoke(app, [command, "--help"], env={"COLUMNS": "200"})
        assert result.exit_code == 0
        return " ".join(result.stdout.replace("│", " ").split())

    tune = page("tune")
    for words in [
        "With --group and --bootstrap N (independent mode): each group's rows are resampled",
        "The report has no place for per-group intervals.",
        "Not with --mode joint",
        "--reject cannot be combined with --group: there is no per-group reject band.",
        "With --group: each group's rows resampled on their own",  # the option's own help
        "Not with --group: there is no per-group band.",
    ]:
        assert words in tune, words
    report = page("report")
    for words in [
        'Needs plotly (pip install "cutpoints[report]")',  # no markup eaten
        "with --value too, each group's value split by outcome",
        "Not with --bootstrap: the report has no place for per-group intervals",
        "--value OUTCOME=COL|NUM",
    ]:
        assert words in report, words


def test_tune_group_bootstrap_names_a_group_too_small_to_resample(tmp_path):
    # Group b has one positive: fine for its threshold, too few to resample by class.
    y = ["yes", "no", "yes", "no", "no", "yes", "no", "no", "no", "yes", "no"]
    p = [0.9, 0.8, 0.7, 0.6, 0.5, 0.9, 0.8, 0.7, 0.3, 0.85, 0.1]
    g = ["a"] * 5 + ["b"] * 4 + ["c"] * 2
    path, saved = tmp_path / "s.csv", tmp_path / "cuts.json"
    pacsv.write_csv(pa.table({"y": y, "p": p, "g": g}), path)
    args = ("tune", path, "-l", "y", "-s", "p", "--pos-label", "yes", "-g", "g")
    assert run(*args).exit_code == 0  # one threshold per group needs no second row
    result = run(*args, "-b", "10", "--save", saved)
    assert result.exit_code == 1 and not saved.exists()
    assert "group 'b' (--group) has 1 positive row:" in result.output
    assert "at least 2 rows of each" in result.output


def test_tune_group_bootstrap_of_a_total_scales_it_out_of_bag(csv_file, data):
    args = ["tune", csv_file, "-l", "y", "-s", "p", "-g", "region", "-m", "tp",
            "-c", "flagged<=40", "-b", "20"]  # fmt: skip
    result = runner.invoke(app, [str(a) for a in args], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    text = " ".join(result.stdout.split())
    # Out of bag, a total covers ~37% of a group's rows: shown scaled, and said once.
    assert "Out of bag, totals (tp) are scaled" in text
    boots = cp.bootstrap(data["y"], data["p"], groups=data["region"], metric="tp",
                         constraints="flagged<=40", n_resamples=20, random_state=0)  # fmt: skip
    lines = result.stdout.split("Bootstrap per group", 1)[1].splitlines()
    for g, boot in boots.items():
        line = next(x for x in lines if x.startswith("│ " + g))
        summary = boot.summary()
        ((lo, hi),) = summary.query("quantity == 'tp' and estimate == 'out_of_bag_scaled'")[
            ["lower", "upper"]
        ].to_numpy()
        assert f"[{math.floor(lo):,}, {math.ceil(hi):,}] (scaled)" in line, line
