"""Proactive routing classifier: does this request belong to the backend-engineer agent."""

from router.errors import DataError, ModelNotFoundError, RouterError, TrainingError, UntrustedModelError
from router.inference import Decision, Router, load_router, route, route_batch

__all__ = [
    "DataError",
    "Decision",
    "ModelNotFoundError",
    "Router",
    "RouterError",
    "TrainingError",
    "UntrustedModelError",
    "load_router",
    "route",
    "route_batch",
]
__version__ = "0.1.0"
