"""`ModelMetadata`: a model folder's `metadata.json`, validated once and typed.

Everything that decides a routing decision (agent, criteria, encoder, threshold, abstain band, versions)
is a typed field; the training report (`metrics`, library versions, ...) rides along as JSON mappings for
people and tools to read. `from_dict` refuses anything malformed with a `DataError`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from router.errors import DataError

#: Top-level keys read into typed fields; any other key is kept in `extra` and written back.
_KNOWN = frozenset(
    {
        "version",
        "model_version",
        "agent",
        "criteria",
        "encoder",
        "classifier",
        "threshold",
        "abstain_band",
        "min_precision",
        "seed",
        "training_data",
        "metrics",
        "inference",
        "libraries",
        "created_at",
        "artifacts",
        "criteria_cut",
    }
)


#: The encoder runtimes a model can be trained on.
ENCODER_RUNTIMES = ("fp32", "onnx-int8")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_FILE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


@dataclass(frozen=True)
class Criterion:
    """One of the agent's criteria (a "use PROACTIVELY when" bullet): its id and its title."""

    id: str
    title: str


@dataclass(frozen=True)
class EncoderInfo:
    """The encoder a model was trained with; serving must use exactly the same one."""

    name: str
    id: str
    dimension: int
    max_tokens: int
    #: The runtime whose embeddings trained the heads: "fp32" (torch or its ONNX export) or "onnx-int8".
    runtime: str = "fp32"


@dataclass(frozen=True)
class Band:
    """The abstain band: probabilities in [low, high) are flagged uncertain."""

    low: float
    high: float
    rule: str = ""

    def contains(self, probability: float) -> bool:
        """Whether a probability falls inside the band."""
        return self.low <= probability < self.high


@dataclass(frozen=True)
class ModelMetadata:
    """A trained model's description (`metadata.json`)."""

    agent: str
    model_version: str
    criteria: tuple[Criterion, ...]
    encoder: EncoderInfo
    threshold: float
    band: Band
    version: str | None = None  # the registry version ("v0003"), set when published
    #: A criterion is named when its score reaches this (the best one is named alone when none does).
    criteria_cut: float = 0.5
    min_precision: float | None = None
    seed: int = 0
    training_hash: str = ""
    classifier: Mapping[str, Any] = field(default_factory=dict)
    training_data: Mapping[str, Any] = field(default_factory=dict)
    metrics: Mapping[str, Any] = field(default_factory=dict)
    inference: Mapping[str, Any] = field(default_factory=dict)
    libraries: Mapping[str, str] = field(default_factory=dict)
    created_at: str = ""
    #: SHA-256 of each artifact file of the folder, checked before the file is parsed.
    artifacts: Mapping[str, str] = field(default_factory=dict)
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def criterion_ids(self) -> tuple[str, ...]:
        """The criteria's ids, in the agent file's order."""
        return tuple(c.id for c in self.criteria)

    def metric(self, split: str, name: str) -> float | None:
        """A number from the training report (e.g. `metric("test", "f1")`), None when absent."""
        value = self.metrics.get(split, {}).get(name) if isinstance(self.metrics.get(split), Mapping) else None
        return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None

    def with_version(self, version: str) -> ModelMetadata:
        """The same metadata with its registry version set."""
        return replace(self, version=version)

    def to_dict(self) -> dict[str, Any]:
        """The `metadata.json` object."""
        training_data = dict(self.training_data)
        if self.training_hash:
            training_data["hash"] = self.training_hash
        encoder = {
            "name": self.encoder.name,
            "id": self.encoder.id,
            "dimension": self.encoder.dimension,
            "max_tokens": self.encoder.max_tokens,
            "runtime": self.encoder.runtime,
        }
        out: dict[str, Any] = {
            "version": self.version,
            "model_version": self.model_version,
            "agent": self.agent,
            "criteria": [{"id": c.id, "title": c.title} for c in self.criteria],
            "encoder": encoder,
            "classifier": dict(self.classifier),
            "threshold": self.threshold,
            "abstain_band": {"low": self.band.low, "high": self.band.high, "rule": self.band.rule},
            "criteria_cut": self.criteria_cut,
            "min_precision": self.min_precision,
            "seed": self.seed,
            "training_data": training_data,
            "metrics": dict(self.metrics),
            "inference": dict(self.inference),
            "libraries": dict(self.libraries),
            "created_at": self.created_at,
        }
        if self.artifacts:
            out["artifacts"] = dict(self.artifacts)
        return {**out, **self.extra}

    @classmethod
    def from_dict(cls, data: object, where: str = "metadata") -> ModelMetadata:
        """Validate a decoded `metadata.json` (types, ranges, finite numbers, criteria); `DataError` if bad."""
        check = _Checker(where)
        obj = check.mapping(data, "metadata")
        criteria_raw = check.items(obj.get("criteria"), "criteria")
        if not criteria_raw:
            raise DataError(f"{where}: 'criteria' is empty")
        criteria = []
        for i, item in enumerate(criteria_raw):
            c = check.mapping(item, f"criteria[{i}]")
            criteria.append(
                Criterion(check.text(c.get("id"), f"criteria[{i}].id"), check.text(c.get("title"), "title"))
            )
        if len({c.id for c in criteria}) != len(criteria):
            raise DataError(f"{where}: 'criteria' repeats an id")
        enc = check.mapping(obj.get("encoder"), "encoder")
        runtime = enc.get("runtime", "fp32")
        if runtime not in ENCODER_RUNTIMES:
            raise DataError(f"{where}: 'encoder.runtime' must be one of {', '.join(ENCODER_RUNTIMES)}, got {runtime!r}")
        encoder = EncoderInfo(
            name=check.text(enc.get("name"), "encoder.name"),
            id=check.text(enc.get("id", enc.get("name")), "encoder.id"),
            dimension=check.positive_int(enc.get("dimension"), "encoder.dimension"),
            max_tokens=check.positive_int(enc.get("max_tokens", 256), "encoder.max_tokens"),
            runtime=runtime,
        )
        band_raw = check.mapping(obj.get("abstain_band"), "abstain_band")
        threshold = check.probability(obj.get("threshold"), "threshold")
        band = Band(
            check.probability(band_raw.get("low"), "abstain_band.low"),
            check.probability(band_raw.get("high"), "abstain_band.high"),
            str(band_raw.get("rule", "")),
        )
        if band.low > band.high:
            raise DataError(f"{where}: abstain band low {band.low} is above high {band.high}")
        min_precision = obj.get("min_precision")
        version = obj.get("version")
        if version is not None and not isinstance(version, str):
            raise DataError(f"{where}: 'version' must be a string")
        training = check.mapping(obj.get("training_data", {}), "training_data")
        artifacts = check.mapping(obj.get("artifacts", {}), "artifacts")
        for name, digest in artifacts.items():
            if not _FILE_NAME.match(name) or name == "metadata.json":
                raise DataError(f"{where}: 'artifacts' names {name!r}, not a file of the model folder")
            if not isinstance(digest, str) or not _SHA256.match(digest):
                raise DataError(f"{where}: 'artifacts.{name}' must be a SHA-256 (64 lowercase hex digits)")
        seed = obj.get("seed", 0)
        if not isinstance(seed, int) or isinstance(seed, bool):
            raise DataError(f"{where}: 'seed' must be an integer")
        return cls(
            agent=check.text(obj.get("agent"), "agent"),
            model_version=check.text(obj.get("model_version"), "model_version"),
            criteria=tuple(criteria),
            encoder=encoder,
            threshold=threshold,
            band=band,
            version=version,
            criteria_cut=check.probability(obj.get("criteria_cut", 0.5), "criteria_cut"),
            min_precision=None if min_precision is None else check.probability(min_precision, "min_precision"),
            seed=seed,
            training_hash=str(training.get("hash", "")),
            classifier=check.mapping(obj.get("classifier", {}), "classifier"),
            training_data={k: v for k, v in training.items() if k != "hash"},
            metrics=check.mapping(obj.get("metrics", {}), "metrics"),
            inference=check.mapping(obj.get("inference", {}), "inference"),
            libraries=check.mapping(obj.get("libraries", {}), "libraries"),
            created_at=str(obj.get("created_at", "")),
            artifacts=artifacts,
            extra={k: v for k, v in obj.items() if k not in _KNOWN},
        )


@dataclass(frozen=True)
class _Checker:
    """Type checks that name the file and the field."""

    where: str

    def fail(self, message: str) -> DataError:
        return DataError(f"{self.where}: {message}")

    def mapping(self, value: object, name: str) -> dict[str, Any]:
        if not isinstance(value, Mapping):
            raise self.fail(f"'{name}' must be a JSON object")
        return dict(value)

    def items(self, value: object, name: str) -> list[Any]:
        if not isinstance(value, list):
            raise self.fail(f"'{name}' must be a list")
        return value

    def text(self, value: object, name: str) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.fail(f"'{name}' must be a non-empty string")
        return value

    def positive_int(self, value: object, name: str) -> int:
        if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
            raise self.fail(f"'{name}' must be a positive integer, got {value!r}")
        return value

    def probability(self, value: object, name: str) -> float:
        if not isinstance(value, int | float) or isinstance(value, bool):
            raise self.fail(f"'{name}' must be a number, got {type(value).__name__}")
        number = float(value)
        if not math.isfinite(number) or not 0.0 <= number <= 1.0:
            raise self.fail(f"'{name}' must be a finite number in [0, 1], got {value!r}")
        return number
