"""Proactive routing classifier: should a request go to the agent a model was trained for.

The public API. `SentenceEmbedder` (scikit-learn) is imported on first use, so `import router` and
routing stay free of scikit-learn and torch.
"""

from typing import TYPE_CHECKING, Any

from router.artifacts.loader import default_router, load_router, route, route_batch
from router.core.decision import Decision
from router.core.metadata import ModelMetadata
from router.core.router import Router
from router.errors import (
    DataError,
    LabelConflictError,
    ModelNotFoundError,
    RegistryError,
    RouterError,
    TrainingError,
    UntrustedModelError,
)
from router.settings import version

if TYPE_CHECKING:
    from router.encoders.embedder import SentenceEmbedder

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
__version__ = version()


def __getattr__(name: str) -> Any:
    if name == "SentenceEmbedder":
        from router.encoders.embedder import SentenceEmbedder

        return SentenceEmbedder
    raise AttributeError(f"module 'router' has no attribute {name!r}")
