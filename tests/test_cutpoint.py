"""The Cutpoint artifact: applying it, JSON round trips, provenance, references."""

from __future__ import annotations

import json

import numpy as np
import pytest

import cutpoints as cp
from cutpoints.errors import InvalidInputError, InvalidParameterError


def test_counts_reproduced_by_applying_the_threshold(toy):
    y, s = toy
    cut = cp.find_cutpoint(y, s, metric="mcc")
    flagged = cut.flag(s)
    y = np.array(y) == 1
    assert (flagged & y).sum() == cut.tp and (flagged & ~y).sum() == cut.fp
    assert (~flagged & ~y).sum() == cut.tn and (~flagged & y).sum() == cut.fn


def test_lower_is_positive_rule(toy):
    y, s = toy
    cut = cp.find_cutpoint(y, [-v for v in s], metric="f1", rule="<=")
    assert cut.threshold == -0.3 and cut.rule == "<="
    assert cut.predict([-0.5, -0.2]).tolist() == [1, 0]
    again = cp.Cutpoint.from_json(cut.to_json())
    assert again.predict([-0.5, -0.2]).tolist() == [1, 0]


def test_predict_refuses_nan_scores(toy):
    cut = cp.find_cutpoint(*toy)
    with pytest.raises(InvalidInputError, match=r"'scores' must be finite \(got nan at index 1"):
        cut.predict([0.5, np.nan])


def test_metrics_hold_the_whole_catalog_at_the_threshold(toy):
    cut = cp.find_cutpoint(*toy, metric="cost(fp=1, fn=3)", constraints=["fbeta(beta=3) >= 0.1"])
    assert cut.metrics["cost(fp=1, fn=3)"] == cut.score
    assert "fbeta(beta=3)" in cut.metrics
    assert cut.metrics["recall"] == cut.tp / (cut.tp + cut.fn)
    assert {"f1", "precision", "gmean", "youden", "mcc", "flagged", "lr_plus"} <= set(cut.metrics)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"metric": "f1"},
        {"metric": "cost(fp=1, fn=10)", "ties": "lowest"},
        {"metric": "recall", "constraints": ["precision >= 0.6", "flagged <= 6"]},
        {"metric": "cost(fp=9, fn=1)"},  # flags nothing: threshold +inf
        {"metric": "lr_plus"},  # NaN metrics in the summary
    ],
)
def test_json_round_trip(toy, kwargs, tmp_path):
    y, s = toy
    cut = cp.find_cutpoint(
        ["b" if v else "a" for v in y], s, pos_label="b", sample_weight=[1, 2] * 4, **kwargs
    )
    text = cut.to_json()
    json.loads(text)  # strict JSON: no NaN, no Infinity
    assert "NaN" not in text and "Infinity" not in text
    again = cp.Cutpoint.from_json(text)
    assert again == cut
    assert again.to_json() == text
    assert again.predict(s).tolist() == cut.predict(s).tolist()
    path = tmp_path / "cut.json"
    cut.save(path)
    assert cp.Cutpoint.load(path) == cut
    # One file API: from_json reads text, never guesses that a string is a path.
    with pytest.raises(InvalidInputError, match=r"is not valid JSON .*Cutpoint.load\(path\)"):
        cp.Cutpoint.from_json(str(path))
    with pytest.raises(InvalidParameterError, match="from_json\\(\\) takes JSON text"):
        cp.Cutpoint.from_json(path)


def test_json_carries_provenance(toy):
    cut = cp.find_cutpoint(*toy, metric="fbeta(beta=2)", constraints="recall >= 0.5", ties="median")
    data = json.loads(cut.to_json())
    assert data["format"] == "cutpoints.cutpoint/1"
    assert data["objective"] == {
        "metric": "fbeta(beta=2)",
        "direction": "maximize",
        "value": cut.score,
    }
    assert data["constraints"] == ["recall >= 0.5"]
    assert data["ties"] == "median"
    assert data["decision"] == "positive iff score >= threshold"
    assert data["data"]["n_samples"] == 8 and data["data"]["prevalence"] == 0.5
    assert data["data"]["n_positive"] == 4 and data["data"]["weighted"] is False
    assert data["data"]["fingerprint"].startswith("sha256:")
    assert data["cutpoints_version"] == cp.__version__
    assert data["labels"] == {"positive": 1, "negative": 0}


def test_fingerprint_identifies_the_tuning_data(toy):
    y, s = toy
    a = cp.find_cutpoint(y, s)
    b = cp.find_cutpoint(y[::-1], s[::-1], metric="gmean")
    c = cp.find_cutpoint(y, s, sample_weight=[2] * 8)
    assert a.fingerprint == b.fingerprint != c.fingerprint


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{not json", r"cutpoint JSON text is not valid JSON"),
        (
            '{"format": "something/else"}',
            r"not a cutpoints cutpoint \(expected format 'cutpoints.cutpoint/1', got 'something/else'\)",
        ),
        (
            '{"format": "cutpoints.cutpoint/1"}',
            r"cutpoint field 'rule' is missing",
        ),
        (
            '{"format": "cutpoints.cutpoint/1", "rule": ">"}',
            r"'rule' must be '>=' or '<=' \(got '>'\)",
        ),
        ("[1, 2]", r"not a cutpoints cutpoint"),
        ("[" * 100_000, r"nested too deeply"),
    ],
)
def test_bad_json_is_named(text, message):
    with pytest.raises(InvalidInputError, match=message):
        cp.Cutpoint.from_json(text)


def test_bad_json_number_is_named(toy):
    data = json.loads(cp.find_cutpoint(*toy).to_json())
    data["threshold"] = "high"
    with pytest.raises(
        InvalidInputError, match=r"field 'threshold' must be a number \(got 'high'\)"
    ):
        cp.Cutpoint.from_json(json.dumps(data))


def test_load_refuses_json_text_and_missing_files():
    with pytest.raises(InvalidParameterError, match="takes a file path"):
        cp.Cutpoint.load('{"format": 1}')
    with pytest.raises(InvalidInputError, match=r"cutpoint file not found: 'no/such/file.json'"):
        cp.Cutpoint.load("no/such/file.json")


def _saved(toy, **changes):
    data = json.loads(cp.find_cutpoint(*toy).to_json())
    for dotted, value in changes.items():
        *path, key = dotted.split("__")
        target = data
        for part in path:
            target = target[part]
        target[key] = value
    return json.dumps(data)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        # A null threshold used to load and then label every row negative.
        ({"threshold": None}, r"'threshold' must be a number \(not null\) \(got None\)"),
        ({"threshold": "nan"}, r"'threshold' must be a number \(got 'nan'\)"),
        ({"threshold": 10**400}, r"'threshold' must be a number that fits in a float64"),
        ({"threshold": True}, r"'threshold' must be a number \(got True\)"),
        ({"counts__tp": -1}, r"'counts.tp' must be a count >= 0 \(got -1\)"),
        ({"counts__fp": 2**70}, r"'counts.fp' must be a count below 2\*\*63"),
        (
            {"counts__tp": 3},
            r"'counts.tp' \+ 'counts.fn' \(4\) must equal 'data.n_positive' \(4\)|must equal 'data.n_positive'",
        ),
        ({"data__n_samples": -3}, r"'data.n_samples' must be a whole number >= 0 \(got -3\)"),
        ({"data__n_samples": 2.5}, r"'data.n_samples' must be a whole number >= 0"),
        ({"data__weighted": "yes"}, r"'data.weighted' must be true or false \(got 'yes'\)"),
        ({"ties": "middle"}, r"'ties' must be one of \['highest', 'lowest', 'median'\]"),
        ({"objective__direction": "up"}, r"'objective.direction' must be 'maximize' or 'minimize'"),
        ({"objective__metric": 7}, r"'objective.metric' must be text \(got 7\)"),
        (
            {"objective__metric": "f1(beta=" + "-" * 5000 + "1)"},
            r"'objective.metric' names a metric that cannot be read",
        ),
        ({"constraints": ["precision >> 1"]}, r"'constraints' is not a constraint: .*one operator"),
        ({"constraints": "precision >= 0.5"}, r"'constraints' must be a list"),
        ({"labels__positive": None}, r"'labels.positive' must be a label"),
        ({"labels__negative": [0]}, r"'labels.negative' must be a label"),
        ({"metrics__f1": "high"}, r"'metrics.f1' must be a number \(got 'high'\)"),
        ({"optimal_thresholds": [None]}, r"'optimal_thresholds' must be a number \(not null\)"),
        ({"runners_up": [{"threshold": 0.5}]}, r"field 'runners_up.value' is missing"),
        ({"data__fingerprint": None}, r"'data.fingerprint' must be text"),
        ({"columns": {"score": 3}}, r"'columns' must be an object of role -> column name"),
        (
            {"guarantee": {"confidence": 1.5}},
            r"'guarantee.confidence' must be a probability in \(0, 1\)",
        ),
    ],
)
def test_every_saved_field_is_checked_and_named(toy, changes, message):
    with pytest.raises(InvalidInputError, match=message):
        cp.Cutpoint.from_json(_saved(toy, **changes))


def test_malformed_files_get_one_clear_error(toy, tmp_path):
    path = tmp_path / "cut.json"
    path.write_bytes(b'{"format": "cutpoints.cutpoint/1", "rule": "\xff"}')
    with pytest.raises(InvalidInputError, match=r"is not UTF-8 text"):
        cp.Cutpoint.load(path)
    path.write_text("[" * 100_000)
    with pytest.raises(InvalidInputError, match=r"nested too deeply"):
        cp.Cutpoint.load(path)
    path.write_text('{"threshold": ' + "9" * 5000 + "}")
    with pytest.raises(InvalidInputError, match=r"could not be parsed"):
        cp.Cutpoint.load(path)


def test_cutpoint_holds_objects_not_strings(toy):
    cut = cp.find_cutpoint(*toy, metric="fbeta(beta=2)", constraints=["precision >= 0.5"])
    assert isinstance(cut.metric, cp.BoundMetric) and cut.metric.params == {"beta": 2}
    (c,) = cut.constraints
    assert isinstance(c, cp.Constraint) and (c.metric.name, c.op, c.bound) == (
        "precision",
        ">=",
        0.5,
    )
    again = cp.Cutpoint.from_json(cut.to_json())
    assert again.metric == cut.metric and again.constraints == cut.constraints


def test_a_cutpoint_with_an_unregistered_metric_still_loads_and_applies(toy):
    cp.register_metric("my_score", lambda tp, fp, tn, fn: tp - fp, monotone=(1, -1))
    try:
        cut = cp.find_cutpoint(*toy, metric="my_score", constraints=["my_score >= 0"])
        text = cut.to_json()
    finally:
        cp.unregister_metric("my_score")
    again = cp.Cutpoint.from_json(text)
    assert again.threshold == cut.threshold and again.metric.name == "my_score"
    assert again.predict(toy[1]).tolist() == cut.predict(toy[1]).tolist()
    with pytest.raises(cp.errors.MetricError, match="'my_score' is not registered"):
        again.metric([1.0], [0.0], [1.0], [0.0])


def test_thresholds_print_so_they_read_back_exactly():
    s = [0.1, 0.99999939, 0.5, 0.9999990]
    cut = cp.find_cutpoint([0, 1, 0, 0], s, metric="f1")
    assert cut.threshold == 0.99999939
    assert "score >= 0.99999939:" in str(cut)


# ------------------------------------------------------------------ references
def test_bayes_reference_for_costs(rng):
    n = 200_000
    p = rng.random(n)
    y = rng.random(n) < p  # calibrated by construction
    cut = cp.find_cutpoint(y, p, metric="cost(fp=1, fn=9)")
    (ref,) = cut.references
    assert ref.name == "bayes" and ref.threshold == pytest.approx(0.1)
    assert cut.threshold == pytest.approx(0.1, abs=0.02)  # the empirical optimum agrees


def test_general_cost_matrix_and_utility_references():
    y, s = [0, 1, 1, 0], [0.1, 0.9, 0.6, 0.4]
    (ref,) = cp.find_cutpoint(y, s, metric="cost(fp=3, fn=4, tp=1, tn=0.5)").references
    assert ref.threshold == pytest.approx(2.5 / (2.5 + 3))
    (ref,) = cp.find_cutpoint(y, s, metric="utility(tp=5, fp=-1)").references
    assert ref.threshold == pytest.approx(1 / 6)
    (ref,) = cp.find_cutpoint(y, s, metric="net_benefit(pt=0.15)").references
    assert ref.threshold == 0.15


def test_lipton_reference_for_f1(rng):
    n = 200_000
    p = rng.beta(0.5, 3, n)
    y = rng.random(n) < p
    cut = cp.find_cutpoint(y, p, metric="f1")
    (ref,) = cut.references
    assert ref.name == "lipton" and ref.threshold == pytest.approx(cut.score / 2)
    assert cut.threshold == pytest.approx(ref.threshold, abs=0.02)


def test_no_reference_for_scores_outside_unit_interval():
    assert cp.find_cutpoint([0, 1, 1, 0], [-2, 3, 1, 0], metric="cost(fp=1, fn=2)").references == ()


def test_evaluate_threshold_at_the_default(toy):
    result = cp.evaluate_threshold(*toy, 0.5, metrics=["f1", "precision"])
    assert result == {
        "threshold": 0.5,
        "tp": 2,
        "fp": 1,
        "tn": 3,
        "fn": 2,
        "f1": pytest.approx(4 / 7),
        "precision": pytest.approx(2 / 3),
    }
    full = cp.evaluate_threshold(*toy, 0.5)
    assert "mcc" in full and "youden" in full
    with pytest.raises(InvalidParameterError, match="'threshold' must be a number, not NaN"):
        cp.evaluate_threshold(*toy, float("nan"))


def test_cutpoint_and_metrics_pickle(toy):
    import pickle

    cut = cp.find_cutpoint(*toy, metric="fbeta(beta=2)", constraints=["precision >= 0.5"])
    again = pickle.loads(pickle.dumps(cut))
    assert again == cut
    metric = pickle.loads(pickle.dumps(cp.get_metric("cost(fp=1, fn=4)")))
    assert metric.name == "cost(fp=1, fn=4)"
