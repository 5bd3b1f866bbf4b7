"""Proactive routing classifier: should a request go to the agent a model was trained for.

The public API, imported on first use (PEP 562): `import router` costs next to nothing, so a command
hook that only asks a running server never loads numpy, and routing never loads scikit-learn or torch.
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from router.artifacts.loader import default_router, load_router, route, route_batch
    from router.core.decision import Decision
    from router.core.metadata import ModelMetadata
    from router.core.router import Router
    from router.encoders.embedder import SentenceEmbedder
    from router.errors import (
        DataError,
        LabelConflictError,
        ModelNotFoundError,
        RegistryError,
        RouterError,
        TrainingError,
        UntrustedModelError,
    )

#: Each public name and the module that holds it.
_EXPORTS = {
    "default_router": "router.artifacts.loader",
    "load_router": "router.artifacts.loader",
    "route": "router.artifacts.loader",
    "route_batch": "router.artifacts.loader",
    "Decision": "router.core.decision",
    "ModelMetadata": "router.core.metadata",
    "Router": "router.core.router",
    "SentenceEmbedder": "router.encoders.embedder",
    "DataError": "router.errors",
    "LabelConflictError": "router.errors",
    "ModelNotFoundError": "router.errors",
    "RegistryError": "router.errors",
    "RouterError": "router.errors",
    "TrainingError": "router.errors",
    "UntrustedModelError": "router.errors",
}
__all__ = [
    "DataError",
    "Decision",
    "LabelConflictError",
    "ModelMetadata",
    "ModelNotFoundError",
    "RegistryError",
    "Router",
    "RouterError",
    "SentenceEmbedder",
    "TrainingError",
    "UntrustedModelError",
    "__version__",
    "default_router",
    "load_router",
    "route",
    "route_batch",
]


def __getattr__(name: str) -> Any:
    if name == "__version__":
        from router.settings import version

        return version()
    if name in _EXPORTS:
        value = getattr(import_module(_EXPORTS[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'router' has no attribute {name!r}")
