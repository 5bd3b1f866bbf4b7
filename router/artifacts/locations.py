"""Where the default model is, and why: `ROUTER_MODEL`, a checkout's registry, the user registry, or the wheel.

1. `ROUTER_MODEL`, when set (a registry root or a model folder);
2. in a checkout (an editable install), its `models/<agent>` registry;
3. outside one, the user registry (`router train` publishes there), once it has a current version;
4. the model packaged inside the installed `router` (a wheel or `pip install .` routes out of the box).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from router import settings
from router.artifacts.registry import current_or_none, is_registry
from router.errors import RegistryError

#: The default model as packaged with `router` (the current version of the checkout's registry at release).
PACKAGED_MODEL = Path(__file__).resolve().parent / "default_model"


@dataclass(frozen=True)
class ModelLocation:
    """A model path and the reason it was chosen."""

    path: Path
    reason: str


def _has_current(root: Path) -> bool:
    try:
        return is_registry(root) and current_or_none(root) is not None
    except RegistryError:
        return False


def default_model() -> ModelLocation:
    """The model `route()` and every `--model`-less command use."""
    env = os.environ.get(settings.ENV_MODEL)
    if env:
        return ModelLocation(Path(env), f"{settings.ENV_MODEL} is set")
    registry = settings.default_registry()
    if _has_current(registry):
        if settings.checkout() is not None:
            return ModelLocation(registry, "the checkout's registry (editable install)")
        return ModelLocation(registry, "the user registry, where `router train` publishes outside a checkout")
    return ModelLocation(PACKAGED_MODEL, "the model packaged with router")


def default_model_path() -> Path:
    """The default model's path."""
    return default_model().path
