"""`TrainConfig`: everything that decides a training run."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from router.settings import DATA_DIR, DEFAULT_ENCODER


@dataclass(frozen=True)
class TrainConfig:
    """Where the data is, which encoder, and the tuning choices; where the model goes is the caller's."""

    data_dir: Path = DATA_DIR
    agent: Path | None = None  # default: the data folder's default agent file
    encoder: str = DEFAULT_ENCODER
    #: "fp32" (sentence-transformers; served by torch or its ONNX export) or "onnx-int8".
    encoder_runtime: str = "fp32"
    cache_dir: str | None = None
    min_precision: float | None = None
    min_band_accuracy: float = 0.8
    seed: int = 0
    #: "svm-knn" (an RBF SVM plus a nearest-examples vote: the best on the transfer proxy), "auto" (logistic
    #: regression or RBF SVM, whichever has the better CV ROC-AUC), "logreg" or "svm-rbf".
    classifier: str = "svm-knn"
    eval_files: tuple[Path, ...] = ()
