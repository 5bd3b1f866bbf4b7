"""Train and publish in one call: fit, describe, save into the registry's staging area, publish as current.

This is what `router train` does (plus the ONNX export, which is the caller's choice).
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path

from router.artifacts.registry import check_root, publish, staging_folder
from router.core.metadata import ModelMetadata
from router.dataset.examples import Example
from router.errors import RegistryError
from router.training.config import TrainConfig
from router.training.describe import describe
from router.training.fit import fit, load_training_data
from router.training.save import save


def train_and_publish(config: TrainConfig, out: Path, extra: Sequence[Example] = ()) -> ModelMetadata:
    """Train on `config`'s data and make the model the next, current version of the registry at `out`."""
    check_root(out)
    data = load_training_data(config, extra)
    fitted = fit(config, data)
    stage = staging_folder(out)
    try:
        metadata = save(fitted, describe(fitted, data, config), stage)
        version, _ = publish(out, stage, promote=True, reason="train", metadata=metadata)
    except OSError as err:  # a full disk while saving
        raise RegistryError(f"{out}: cannot write the model ({err.strerror or err})") from None
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    return metadata.with_version(version)
