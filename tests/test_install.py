"""Where the default model comes from, `router doctor`, and output for people against output for scripts."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from router import settings
from router.artifacts import locations
from router.cli.app import app
from router.training.config import TrainConfig
from router.training.publish import train_and_publish
from tests.fakes import HASHING_ENCODER

runner = CliRunner()


@pytest.fixture
def outside_checkout(monkeypatch, tmp_path):
    """As if installed from a wheel: no checkout, a private user home."""
    monkeypatch.setattr(settings, "checkout", lambda: None)
    monkeypatch.delenv("ROUTER_MODEL", raising=False)
    monkeypatch.setenv("ROUTER_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


def test_in_a_checkout_the_default_is_its_registry(monkeypatch):
    monkeypatch.delenv("ROUTER_MODEL", raising=False)
    found = locations.default_model()
    assert found.path == settings.default_registry() and "checkout" in found.reason
    assert settings.default_registry().parent == settings.checkout() / "models"


def test_router_model_wins(monkeypatch, fake_model):
    monkeypatch.setenv("ROUTER_MODEL", str(fake_model))
    assert locations.default_model().path == fake_model
    assert "ROUTER_MODEL" in locations.default_model().reason


def test_outside_a_checkout_the_packaged_model_then_the_user_registry(outside_checkout, small_data):
    assert locations.default_model().path == locations.PACKAGED_MODEL
    assert settings.default_registry() == outside_checkout / "models" / "backend-engineer"
    train_and_publish(TrainConfig(data_dir=small_data, encoder=HASHING_ENCODER), settings.default_registry())
    found = locations.default_model()
    assert found.path == settings.default_registry() and "user registry" in found.reason


def test_train_outside_a_checkout_publishes_to_the_user_registry(outside_checkout, small_data):
    result = runner.invoke(app, ["train", "--data-dir", str(small_data), "--encoder", HASHING_ENCODER, "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["model"] == str(outside_checkout / "models" / "backend-engineer")
    assert (outside_checkout / "models" / "backend-engineer" / "current").read_text().strip() == "v0001"


def test_doctor_says_which_model_and_runtime_and_why(monkeypatch, fake_model):
    monkeypatch.setenv("ROUTER_MODEL", str(fake_model))
    report = json.loads(runner.invoke(app, ["doctor", "--json"]).stdout)
    assert report["model"]["path"] == str(fake_model) and "ROUTER_MODEL" in report["model"]["why"]
    assert report["encoder"]["runtime"] == "registered" and report["encoder"]["name"] == HASHING_ENCODER
    assert report["router"] == settings.version() and "numpy" in report["libraries"]


def test_doctor_reports_a_broken_model_without_failing(monkeypatch, tmp_path):
    monkeypatch.setenv("ROUTER_MODEL", str(tmp_path))
    result = runner.invoke(app, ["doctor", "--json"])
    assert result.exit_code == 0 and "no model here" in json.loads(result.stdout)["model"]["error"]


def test_train_prints_a_table_on_a_terminal_and_json_when_piped(monkeypatch, small_data, tmp_path):
    args = ["train", "--data-dir", str(small_data), "--encoder", HASHING_ENCODER, "--no-onnx"]
    piped = runner.invoke(app, [*args, "--out", str(tmp_path / "a")])
    assert json.loads(piped.stdout)["version"] == "v0001"  # not a terminal: JSON, as scripts expect
    monkeypatch.setattr("router.cli.train.wants_json", lambda flag: flag)  # as on a terminal
    table = runner.invoke(app, [*args, "--out", str(tmp_path / "b")])
    assert table.exit_code == 0 and "threshold" in table.stdout and "ROC-AUC" in table.stdout
    with pytest.raises(json.JSONDecodeError):
        json.loads(table.stdout)
    assert len(table.stdout) < 2000
    forced = runner.invoke(app, [*args, "--out", str(tmp_path / "c"), "--json"])
    assert json.loads(forced.stdout)["version"] == "v0001"
