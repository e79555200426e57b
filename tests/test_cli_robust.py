"""The command line under real use: nothing lost, nothing silently wrong (issue 9).

Every test drives the real command, in-process through typer's CliRunner or as a real
subprocess where pipes, stdin and concurrency matter, on files it writes itself, and
compares with the library's answer on the same data.
"""

from __future__ import annotations

import io
import json
import os
import re
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
CLI = [sys.executable, "-m", "cutpoints.cli"]


def run(*args: object, input: str | bytes | None = None, env: dict[str, str] | None = None):
    return runner.invoke(app, [str(a) for a in args], input=input, env=env, catch_exceptions=False)


def assert_one_line_error(result, *fragments: str) -> None:
    """Exit 1, nothing on stdout, one ``error:`` line on stderr, no traceback."""
    assert result.exit_code == 1, result.output
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: "), result.stderr
    for fragment in fragments:
        assert fragment in result.stderr, result.stderr


def leftovers(directory: Path) -> list[str]:
    """Temporary files an atomic write would leave behind if it failed to clean up."""
    return sorted(p.name for p in directory.iterdir() if p.name.startswith("."))


@pytest.fixture(scope="module")
def data() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(11)
    n = 800
    y = (rng.random(n) < 0.25).astype(np.int64)
    p = np.round(np.clip(0.3 * y + rng.random(n) * 0.7, 0, 1), 3)
    return {"y": y, "p": p, "q": rng.random(n)}


@pytest.fixture
def csv_file(tmp_path: Path, data) -> Path:
    path = tmp_path / "scores.csv"
    pacsv.write_csv(pa.table(data), path)
    return path


def saved_cutpoint(tmp_path: Path, csv_file: Path) -> Path:
    """A cutpoint file written by the CLI itself (tune --save)."""
    cut_path = tmp_path / "cut.json"
    result = run("tune", csv_file, "-l", "y", "-s", "p", "--save", cut_path)
    assert result.exit_code == 0, result.output
    return cut_path


# ----------------------------------------------------------------- 1. stdin, read once


@pytest.mark.slow
def test_stdin_millions_of_rows_read_whole(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    n = 3_000_000
    y = (rng.random(n) < 0.2).astype(np.int8)
    p = np.round(np.clip(0.3 * y + rng.random(n) * 0.7, 0, 1), 4)
    big = tmp_path / "big.csv"
    pacsv.write_csv(pa.table({"y": y, "p": p}), big)
    expected = cp.find_cutpoint(y, p)
    for _ in range(2):  # the old reader lost rows on about half of the runs
        with open(big, "rb") as stdin:
            done = subprocess.run(
                [*CLI, "tune", "-", "-l", "y", "-s", "p", "--json"],
                stdin=stdin,
                capture_output=True,
                timeout=300,
                check=False,
            )
        assert done.returncode == 0, done.stderr
        payload = json.loads(done.stdout)
        assert payload["data"]["n_samples"] == n
        assert payload["threshold"] == expected.threshold
        assert payload["counts"] == {
            "tp": expected.tp,
            "fp": expected.fp,
            "tn": expected.tn,
            "fn": expected.fn,
        }
    out = tmp_path / "curve.parquet"
    with open(big, "rb") as stdin:
        done = subprocess.run(
            [*CLI, "curve", "-", "-l", "y", "-s", "p", "-o", out],
            stdin=stdin,
            capture_output=True,
            timeout=300,
            check=False,
        )
    assert done.returncode == 0, done.stderr
    curve = cp.confusion_curve(y, p)
    table = pq.read_table(out)
    np.testing.assert_array_equal(table.column("tp").to_numpy(), curve.tp)
    np.testing.assert_array_equal(table.column("fp").to_numpy(), curve.fp)
    assert table.column("tn").to_numpy()[0] + table.column("fp").to_numpy()[0] == n - y.sum()


def test_stdin_closed_is_one_line(tmp_path: Path) -> None:
    done = subprocess.run(
        ["sh", "-c", 'exec "$@" <&-', "sh", *CLI, "tune", "-", "-l", "y", "-s", "p"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1, done.stderr
    assert done.stderr.startswith("error: stdin is closed"), done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert done.stdout == ""


# ----------------------------------------------------------------- 2. atomic outputs


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_apply_failure_at_last_row_keeps_previous_output(
    tmp_path: Path, csv_file: Path, fmt: str
) -> None:
    cut_path = saved_cutpoint(tmp_path, csv_file)
    n = 1_000_000
    scores = np.random.default_rng(5).random(n)
    scores[-1] = np.nan  # a bad value in the very last row
    src = tmp_path / "new.parquet"
    pq.write_table(pa.table({"id": np.arange(n), "p": scores}), src)
    out = tmp_path / f"labeled.{fmt}"
    out.write_bytes(b"the previous output\n")
    result = run("apply", "-k", cut_path, src, "-o", out, "-s", "p")
    assert_one_line_error(result, "row 1,000,000", "finite")
    assert out.read_bytes() == b"the previous output\n"
    assert leftovers(tmp_path) == []


def test_apply_missing_score_in_last_csv_row_writes_nothing(tmp_path: Path, csv_file) -> None:
    cut_path = saved_cutpoint(tmp_path, csv_file)
    src = tmp_path / "new.csv"
    src.write_text("p,id\n" + "".join(f"0.{i % 10},{i}\n" for i in range(50_000)) + ",50000\n")
    out = tmp_path / "out.csv"
    result = run("apply", "-k", cut_path, src, "-o", out, "--batch-size", "1000")
    assert_one_line_error(result, "missing values", "50,001")
    assert not out.exists()
    assert leftovers(tmp_path) == []


@pytest.mark.slow
def test_concurrent_applies_leave_one_whole_output(tmp_path: Path, csv_file: Path) -> None:
    cut_path = saved_cutpoint(tmp_path, csv_file)
    n = 1_000_000
    rng = np.random.default_rng(9)
    inputs = []
    for name in ("a", "b"):
        src = tmp_path / f"{name}.parquet"
        pq.write_table(pa.table({"p": rng.random(n), "src": [name] * n}), src)
        inputs.append(src)
    out = tmp_path / "out.parquet"
    procs = [
        subprocess.Popen(
            [*CLI, "apply", "-k", cut_path, src, "-o", out, "--batch-size", "20000"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for src in inputs
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
    table = pq.read_table(out)  # whole: a valid file, not a mix
    assert table.num_rows == n
    assert len(set(table.column("src").to_pylist())) == 1
    winner = inputs[0] if table.column("src")[0].as_py() == "a" else inputs[1]
    assert table.column("p").equals(pq.read_table(winner).column("p"))
    assert leftovers(tmp_path) == []


# ----------------------------------------------------------------- 3. never over an input


def test_outputs_that_are_inputs_are_refused(tmp_path: Path, csv_file: Path) -> None:
    original = csv_file.read_bytes()
    cases = [
        ("tune", csv_file, "-l", "y", "-s", "p", "--save", csv_file),
        ("curve", csv_file, "-l", "y", "-s", "p", "-o", csv_file),
    ]
    html_link = tmp_path / "data.html"
    os.link(csv_file, html_link)  # a hard link: another name, the same file
    cases.append(("report", csv_file, "-l", "y", "-s", "p", "-o", html_link))
    cases.append(("tune", csv_file, "-l", "y", "-s", "p", "--report", html_link))
    for args in cases:
        result = run(*args)
        assert_one_line_error(result, "same file")
        assert csv_file.read_bytes() == original, args


def test_apply_into_a_hard_link_of_its_input_is_refused(tmp_path: Path, csv_file) -> None:
    cut_path = saved_cutpoint(tmp_path, csv_file)
    src = tmp_path / "new.csv"
    src.write_text("p,id\n0.9,1\n0.1,2\n")
    link = tmp_path / "out.csv"
    os.link(src, link)
    result = run("apply", "-k", cut_path, src, "-o", link)
    assert_one_line_error(result, "same file")
    assert src.read_text() == "p,id\n0.9,1\n0.1,2\n"
    cut_link = tmp_path / "cut-link.csv"  # the cutpoint file is an input too
    os.link(cut_path, cut_link)
    result = run("apply", "-k", cut_path, src, "-o", cut_link, "-s", "p")
    assert_one_line_error(result, "same file")
    assert cp.Cutpoint.load(cut_path).columns == {"label": "y", "score": "p"}


# ----------------------------------------------------------------- 6. integers beyond 2**53


def test_integer_scores_beyond_2_53_are_refused_like_the_library(tmp_path: Path) -> None:
    big = 2**53
    path = tmp_path / "ints.csv"
    # 2**53 + 1 and 2**53 + 2 are distinct integers; float64 would merge 2**53 and +1
    path.write_text(f"y,p\n0,{big}\n1,{big + 1}\n1,{big + 2}\n0,1\n")
    with pytest.raises(cp.errors.InvalidInputError, match="2\\*\\*53"):
        cp.find_cutpoint([0, 1, 1, 0], np.array([big, big + 1, big + 2, 1], dtype=np.int64))
    assert_one_line_error(run("tune", path, "-l", "y", "-s", "p"), "2**53", "'p'")
    assert_one_line_error(run("curve", path, "-l", "y", "-s", "p"), "2**53")
    ok = tmp_path / "small.csv"
    ok.write_text(f"y,p\n0,{big}\n1,{big - 1}\n1,5\n0,1\n")  # exact in float64: accepted
    result = run("tune", ok, "-l", "y", "-s", "p", "--json")
    assert result.exit_code == 0, result.output


# ----------------------------------------------------------------- 7. types that change late


@pytest.mark.slow
def test_apply_accepts_columns_whose_type_changes_late(tmp_path: Path, csv_file, data) -> None:
    cut_path = saved_cutpoint(tmp_path, csv_file)
    cut = cp.find_cutpoint(data["y"], data["p"])
    n = 1_000_000
    ids = [str(i + 1) for i in range(n)]
    ids[899_999] = "X900000"
    scores = [str(i % 10) for i in range(500_000)] + [
        f"0.{i % 1000:03d}" for i in range(500_000, n)
    ]
    src = tmp_path / "late.csv"
    with open(src, "w") as fh:
        fh.write("id,p\n")
        fh.writelines(f"{i},{s}\n" for i, s in zip(ids, scores, strict=True))
    tuned = run("tune", src, "-l", "id", "-s", "p")  # tune reads the same file fine
    assert "could not read" not in tuned.stderr
    for fmt in ("csv", "parquet"):
        out = tmp_path / f"out.{fmt}"
        result = run("apply", "-k", cut_path, src, "-o", out, "-s", "p", "--json")
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout)["rows"] == n
        table = (
            pq.read_table(out)
            if fmt == "parquet"
            else pacsv.read_csv(
                out, convert_options=pacsv.ConvertOptions(column_types={"id": pa.string()})
            )
        )
        assert table.num_rows == n
        assert table.column("id").to_pylist()[899_999] == "X900000"
        expected = cut.predict(np.asarray(scores, dtype=np.float64))
        np.testing.assert_array_equal(table.column("decision").to_numpy(), expected)


# ----------------------------------------------------------------- 8. one-line errors


def test_latin1_header_is_read_or_refused_in_one_line(tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes(b"y,p,r\xe9gion\n0,0.1,a\n1,0.9,b\n1,0.7,c\n0,0.3,d\n")
    result = run("tune", path, "-l", "y", "-s", "p", "--json")  # the columns used are fine
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["threshold"] == 0.7
    assert_one_line_error(run("tune", path, "-l", "y", "-s", "pp"), "UTF-8")


def test_nested_parquet_score_column_is_one_line(tmp_path: Path, csv_file) -> None:
    path = tmp_path / "nested.parquet"
    pq.write_table(
        pa.table(
            {
                "y": [0, 1, 1],
                "p": [[0.1], [0.9, 0.2], [0.5]],
                "s": [{"a": 1.0}, {"a": 0.5}, {"a": 0.2}],
            }
        ),
        path,
    )
    for col in ("p", "s"):
        assert_one_line_error(run("tune", path, "-l", "y", "-s", col), "must be numeric")
    cut_path = saved_cutpoint(tmp_path, csv_file)
    assert_one_line_error(
        run("apply", "-k", cut_path, path, "-o", tmp_path / "o.csv", "-s", "p"),
        "must be numeric",
    )


def test_bad_plot_name_fails_before_any_work(tmp_path: Path, csv_file: Path) -> None:
    save = tmp_path / "cut.json"
    for plot, fragment in (("s.txt", ".png, .svg, .pdf"), ("summaryfig", "no extension")):
        result = run("tune", csv_file, "-l", "y", "-s", "p", "--plot", tmp_path / plot,
                     "--save", save)  # fmt: skip
        assert_one_line_error(result, "--plot", fragment)
        assert not save.exists()
        assert not (tmp_path / "summaryfig.png").exists()
    result = run("tune", csv_file, "-l", "y", "-s", "p", "--report", tmp_path / "r.pdf")
    assert_one_line_error(result, "--report", ".html")
    assert not (tmp_path / "r.pdf").exists()


def test_outputs_are_written_whole_and_nothing_else(tmp_path: Path, csv_file: Path) -> None:
    save, plot = tmp_path / "cut.json", tmp_path / "fig.svg"
    save.write_text("previous")
    result = run("tune", csv_file, "-l", "y", "-s", "nope", "--save", save, "--plot", plot)
    assert_one_line_error(result, "not found")
    assert save.read_text() == "previous"
    result = run("tune", csv_file, "-l", "y", "-s", "p", "--save", save, "--plot", plot)
    assert result.exit_code == 0, result.output
    assert cp.Cutpoint.load(save).columns["score"] == "p"
    assert plot.read_text().lstrip().startswith("<?xml")
    assert leftovers(tmp_path) == []


def test_library_errors_are_one_line(csv_file: Path) -> None:
    assert_one_line_error(
        run("tune", csv_file, "-l", "y", "-s", "p", "-m", "fbeta(beta=" + "9" * 400 + ")")
    )
    nested = "fbeta(beta=" + "-" * 5000 + "1)"
    assert_one_line_error(run("tune", csv_file, "-l", "y", "-s", "p", "-m", nested))
    result = run("tune", csv_file, "-l", "y", "-s", "p", "-m", "f11")
    assert_one_line_error(result, "cutpoints metrics")


# ----------------------------------------------------------------- 9. bounded bootstrap


def test_bootstrap_is_capped_unless_forced(csv_file: Path) -> None:
    done = subprocess.run(
        [*CLI, "tune", csv_file, "-l", "y", "-s", "p", "-b", "1000000000"],
        capture_output=True,
        text=True,
        timeout=120,  # the old command ran without end
        check=False,
    )
    assert done.returncode == 1, done.stderr
    assert "--force-large" in done.stderr
    assert "100,000" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    result = run("report", csv_file, "-l", "y", "-s", "p", "-b", "100001")
    assert_one_line_error(result, "--force-large")
    assert_one_line_error(run("tune", csv_file, "-l", "y", "-s", "p", "-b", "-3"), ">= 0")


# ----------------------------------------------------------------- 10. silent surprises


@pytest.mark.parametrize("command", ["curve", "apply"])
def test_closed_pipe_is_quiet(tmp_path: Path, command: str) -> None:
    rng = np.random.default_rng(2)
    n = 300_000
    src = tmp_path / "many.csv"
    pacsv.write_csv(pa.table({"y": rng.integers(0, 2, n), "p": rng.random(n)}), src)
    if command == "curve":
        args = ["curve", src, "-l", "y", "-s", "p", "-o", "-"]
    else:
        cut = tmp_path / "cut.json"
        cp.find_cutpoint([0, 1, 1, 0], [0.1, 0.8, 0.6, 0.3]).save(cut)
        args = ["apply", "-k", cut, src, "-s", "p", "-o", "-", "--batch-size", "1000"]
    proc = subprocess.Popen([*CLI, *map(str, args)], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    first = proc.stdout.readline()  # like `| head -1`: read a line, then hang up
    proc.stdout.close()
    err = proc.stderr.read().decode()
    proc.stderr.close()
    assert proc.wait(timeout=120) in (0, 141)
    assert first.startswith(b'"')
    assert err == ""


# ----------------------------------------------------------------- 11. columns recorded


def test_saved_cutpoint_records_columns_and_apply_uses_them(tmp_path: Path, csv_file) -> None:
    cut_path = saved_cutpoint(tmp_path, csv_file)
    assert json.loads(cut_path.read_text())["columns"] == {"label": "y", "score": "p"}
    new = tmp_path / "new.csv"
    rng = np.random.default_rng(4)
    scores = rng.random(300)
    pacsv.write_csv(pa.table({"other": rng.random(300), "p": scores, "q": rng.random(300)}), new)
    out = tmp_path / "out.csv"
    result = run("apply", "-k", cut_path, new, "-o", out, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["score"] == "p"
    cut = cp.Cutpoint.load(cut_path)
    assert pacsv.read_csv(out).column("decision").to_pylist() == cut.predict(scores).tolist()
    renamed = tmp_path / "renamed.csv"
    pacsv.write_csv(pa.table({"P": scores, "q": scores}), renamed)
    result = run("apply", "-k", cut_path, renamed, "-o", tmp_path / "o2.csv")
    assert_one_line_error(result, "tuned on column 'p'", "--score", "did you mean 'P'")


# ----------------------------------------------------------------- 12. exact thresholds


def test_printed_threshold_typed_back_gives_the_same_counts(tmp_path: Path) -> None:
    y = np.array([0, 1, 1, 0, 1, 0, 1, 0, 0, 1])
    p = np.array([0.1, 0.99999939, 0.9999994, 0.99999938, 0.2, 0.3, 0.99999941, 0.4, 0.5, 0.6])
    path = tmp_path / "close.csv"
    pacsv.write_csv(pa.table({"y": y, "p": p}), path)
    cut = cp.find_cutpoint(y, p, metric="precision", constraints=["recall >= 0.5"])
    result = run("tune", path, "-l", "y", "-s", "p", "-m", "precision", "-c", "recall >= 0.5")
    assert result.exit_code == 0, result.output
    printed = re.search(r"score >= (\S+)", result.stdout)
    assert printed is not None
    again = cp.evaluate_threshold(y, p, float(printed.group(1)))
    assert (again["tp"], again["fp"]) == (cut.tp, cut.fp)
    as_json = run("tune", path, "-l", "y", "-s", "p", "-m", "precision", "-c", "recall >= 0.5",
                  "--json")  # fmt: skip
    assert json.loads(as_json.stdout)["threshold"] == cut.threshold
    for t in re.findall(r"│\s+(0\.9999\d*)\s+│", result.stdout):  # runner-up thresholds
        assert float(t) in set(p.tolist())


# ----------------------------------------------------------------- 13. bootstrap table


def test_bootstrap_table_keeps_points_inside_their_intervals(tmp_path: Path) -> None:
    rng = np.random.default_rng(8)
    n = 3000
    y = (rng.random(n) < 0.3).astype(int)
    p = np.round(np.clip(0.3 * y + rng.random(n) * 0.7, 0, 1), 3)
    path = tmp_path / "b.csv"
    pacsv.write_csv(pa.table({"y": y, "p": p}), path)
    result = run("tune", path, "-l", "y", "-s", "p", "-c", "flagged <= 1500", "-b", "40",
                 env={"COLUMNS": "200"})  # fmt: skip
    assert result.exit_code == 0, result.output
    table = result.stdout[result.stdout.index("Bootstrap (40 resamples)") :]
    pairs = re.findall(r"([\d,.]+) \[([\d,.]+), ([\d,.]+)\]", table)
    cells = re.findall(r"│\s+([\d,.]+)\s+│\s+\[([\d,.]+), ([\d,.]+)\]", table)
    assert len(cells) >= 4  # f1, precision, recall, flag_rate, flagged at this threshold
    for point, lo, hi in [*pairs, *cells]:
        value, low, high = (float(v.replace(",", "")) for v in (point, lo, hi))
        assert low <= value <= high, (point, lo, hi)
    # out of bag, a count is never set beside the full data's unless scaled to its size
    flagged = next(line for line in table.splitlines() if line.startswith("│ flagged"))
    assert flagged.rstrip(" │").endswith(("-", "(scaled)"))
    assert "37%" in table
    assert "undefined" not in table


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="needs a Linux pty")
def test_bootstrap_shows_a_progress_bar_on_a_terminal(csv_file: Path) -> None:
    import pty

    controller, terminal = pty.openpty()
    proc = subprocess.Popen(
        [*CLI, "tune", csv_file, "-l", "y", "-s", "p", "-b", "300", "--json"],
        stdout=subprocess.PIPE,
        stderr=terminal,
        env={**os.environ, "COLUMNS": "100", "TERM": "xterm"},
    )
    os.close(terminal)
    shown = b""
    while True:
        try:
            chunk = os.read(controller, 65536)
        except OSError:  # EIO: the command closed the terminal
            break
        if not chunk:
            break
        shown += chunk
    os.close(controller)
    out, _ = proc.communicate(timeout=120)
    assert proc.returncode == 0
    assert json.loads(out)["bootstrap"]["n_resamples"] == 300
    text = shown.decode(errors="replace")
    assert "bootstrap" in text
    assert re.search(r"\d+/\d+", text), text  # a bar counting resamples, not a spinner


def test_bootstrap_table_never_sets_unscaled_out_of_bag_counts_beside_points(data) -> None:
    from rich.console import Console

    from cutpoints.cli._render import bootstrap_renderables

    cut = cp.find_cutpoint(data["y"], data["p"], constraints=["flagged <= 400"])
    boot = cp.bootstrap(data["y"], data["p"], constraints=["flagged <= 400"], n_resamples=30,
                        random_state=0)  # fmt: skip
    records = [
        dict(r)
        for r in boot.summary().to_dict("records")
        if not (r["quantity"] == "flagged" and str(r["estimate"]).startswith("out_of_bag"))
    ]
    # a summary that holds raw out-of-bag counts (about 37% of the rows), as it once did
    records.append(
        {"quantity": "flagged", "estimate": "out_of_bag", "point": cut.flagged,
         "mean": 29.0, "lower": 23.48, "upper": 36.52, "n": 30}
    )  # fmt: skip
    console = Console(width=200, record=True, file=io.StringIO())
    for renderable in bootstrap_renderables(records, cut, n_resamples=30):
        console.print(renderable)
    text = console.export_text()
    flagged = next(line for line in text.splitlines() if line.startswith("│ flagged"))
    assert "23.48" not in flagged and "29" not in flagged.split("│")[4]
    assert "are not shown" in text
