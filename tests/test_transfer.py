"""The transfer proxy holds out whole kinds, whole writing passes, and the scenario voice."""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import replace
from pathlib import Path
from typing import ClassVar

import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from typer.testing import CliRunner

from router.cli.app import app
from router.dataset.examples import load_examples
from router.dataset.voice import is_scenario_voice
from router.errors import DataError
from router.training.config import TrainConfig
from router.training.transfer import run_scheme, transfer_proxy, writing_pass
from tests.fakes import HASHING_ENCODER, HashingEncoder


class Spy(ClassifierMixin, BaseEstimator):
    """Remembers the rows it was fitted on (by a hidden first column) and scores the second column."""

    fitted_on: ClassVar[list[set[int]]] = []

    def fit(self, X, y):
        Spy.fitted_on.append(set(X[:, 0].astype(int).tolist()))
        self.classes_ = np.array([0, 1])
        return self

    def decision_function(self, X):
        return X[:, 1]


def rows(small_data):
    examples = [ex for name in ("train", "dev", "test") for ex in load_examples(small_data / f"{name}.jsonl")]
    X = np.c_[np.arange(len(examples)), np.array([ex.label for ex in examples], dtype=float)]
    return examples, X


def test_kinds_and_passes_are_held_out_whole(small_data):
    examples, X = rows(small_data)
    for scheme, group in (("kinds", lambda ex: ex.kind), ("passes", writing_pass)):
        Spy.fitted_on = []
        result = run_scheme(scheme, examples, X, Spy())
        held_out = [i for seen in Spy.fitted_on for i in range(len(examples)) if i not in seen]
        assert sorted(held_out) == list(range(len(examples)))  # every row held out exactly once
        assert np.array_equal(result.scores, X[:, 1])  # and scored by the model it was held out from
        for seen in Spy.fitted_on:
            held = {group(ex) for i, ex in enumerate(examples) if i not in seen}
            assert not held & {group(examples[i]) for i in seen}  # no held-out group leaked into training


def test_voice_shift_trains_on_plain_requests_and_tests_on_the_voice(small_data):
    examples, X = rows(small_data)
    Spy.fitted_on = []
    result = run_scheme("voice", examples, X, Spy())
    voiced = {i for i, ex in enumerate(examples) if is_scenario_voice(ex.text)}
    assert Spy.fitted_on == [set(range(len(examples))) - voiced]
    assert len(result.y) == len(voiced)


def test_proxy_summary_ranks_a_real_model(small_data):
    from sklearn.linear_model import LogisticRegression

    examples, _ = rows(small_data)
    X = HashingEncoder().encode([ex.text for ex in examples], normalize_embeddings=True)
    result = transfer_proxy(examples, X, LogisticRegression(max_iter=1000))
    assert set(result) >= {"kinds", "passes", "voice", "mean_roc_auc"}
    for scheme in ("kinds", "passes"):
        ci = result[scheme]["roc_auc"]
        assert ci["low"] <= ci["value"] <= ci["high"] and ci["value"] > 0.5
    assert writing_pass(examples[0]) == examples[0].id.split("-")[0]


def test_eval_transfer_cli(small_data):
    result = CliRunner().invoke(
        app,
        ["eval", "--transfer", "--data-dir", str(small_data), "--encoder", HASHING_ENCODER, "--classifier", "logreg"],
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["candidate"]["classifier"] == "logreg" and report["kinds"]["groups"] > 5


def test_eval_transfer_defaults_to_the_shipped_classifier(small_data):
    """The proxy scores the classifier training uses by default (svm-knn), on the hashing encoder."""
    result = CliRunner().invoke(
        app, ["eval", "--transfer", "--data-dir", str(small_data), "--encoder", HASHING_ENCODER]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["candidate"]["classifier"] == TrainConfig().classifier == "svm-knn"
    for scheme in ("kinds", "passes", "voice"):
        assert report[scheme]["n"] > 0 and report[scheme]["roc_auc"]["value"] > 0.5


def test_eval_transfer_refuses_a_name_that_is_no_classifier(small_data):
    result = CliRunner().invoke(app, ["eval", "--transfer", "--data-dir", str(small_data), "--classifier", "auto"])
    assert result.exit_code == 2 and "svm-knn" in result.output


def test_one_name_to_classifier_map():
    from sklearn.base import clone

    from router.training.selection import CANDIDATES, CLASSIFIERS, candidate_grid, chosen_classifier, make_classifier

    assert set(CANDIDATES) == {"svm-knn", "svm-rbf", "logreg", "svm-rbf-balanced"}
    assert CLASSIFIERS == ("auto", "logreg", "svm-rbf", "svm-knn")
    for name in CLASSIFIERS[1:]:
        (grid,) = candidate_grid(3, name)
        (estimator,) = grid["clf"]
        assert type(estimator) is type(make_classifier(name, 3))
        chosen = {"classifier": type(estimator).__name__, "C": grid["clf__C"][0]}
        rebuilt = chosen_classifier(chosen, seed=3)
        assert rebuilt.get_params() == clone(estimator).set_params(C=grid["clf__C"][0]).get_params()
    assert make_classifier("svm-rbf-balanced").class_weight == "balanced"


@pytest.mark.parametrize(
    ("scheme", "change", "message"),
    [
        ("kinds", {"kind": "one"}, "scheme 'kinds': needs at least 2 groups to hold out, found 1"),
        ("passes", {"id": "solo-1"}, "scheme 'passes': needs at least 2 groups to hold out, found 1"),
    ],
)
def test_too_few_groups_is_a_data_error(small_data, scheme, change, message):
    examples, X = rows(small_data)
    examples = [replace(ex, **change) for ex in examples]
    with pytest.raises(DataError, match=re.escape(message)):
        run_scheme(scheme, examples, X, Spy())


def test_voice_without_voice_or_plain_requests_is_a_data_error(small_data):
    examples, X = rows(small_data)
    plain = [i for i, ex in enumerate(examples) if not is_scenario_voice(ex.text)]
    voiced = [i for i, ex in enumerate(examples) if is_scenario_voice(ex.text)]
    with pytest.raises(DataError, match="no scenario-voice requests to test on"):
        run_scheme("voice", [examples[i] for i in plain], X[plain], Spy())
    with pytest.raises(DataError, match="no plain requests to train on"):
        run_scheme("voice", [examples[i] for i in voiced], X[voiced], Spy())
    with pytest.raises(DataError):
        transfer_proxy([], np.zeros((0, 2)), Spy())


def test_eval_transfer_prints_na_for_an_undefined_auc(small_data, tmp_path, monkeypatch):
    """Every scenario-voice request is a positive: the voice scheme's ROC-AUC is undefined, shown as n/a."""
    data = Path(shutil.copytree(small_data, tmp_path / "data"))
    for split in ("train", "dev", "test"):
        path = data / f"{split}.jsonl"
        kept = [line for line in path.read_text().splitlines() if not is_voice_negative(json.loads(line))]
        path.write_text("\n".join(kept) + "\n")
    monkeypatch.setattr("router.cli.evaluate.wants_json", lambda flag: flag)
    args = ["eval", "--transfer", "--data-dir", str(data), "--encoder", HASHING_ENCODER, "--classifier", "logreg"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert any(line.split()[1:2] == ["voice"] and "n/a" in line for line in result.stdout.splitlines())
    report = json.loads(CliRunner().invoke(app, [*args, "--json"]).stdout)
    assert report["voice"]["roc_auc"] == {"value": None, "low": None, "high": None}


def is_voice_negative(row):
    return row["label"] == 0 and is_scenario_voice(row["text"])
