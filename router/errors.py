"""Typed errors: everything the library raises on purpose is a `RouterError`."""


class RouterError(Exception):
    """Base class for every error `router` raises on purpose."""


class DataError(RouterError, ValueError):
    """Input data is malformed: a bad text, a bad JSONL line, a bad agent file."""


class ModelNotFoundError(RouterError, FileNotFoundError):
    """No model artifact exists at the given path."""


class UntrustedModelError(RouterError):
    """A model file holds a type outside the allow-list."""


class TrainingError(RouterError):
    """Training cannot meet what was asked (e.g. a minimum precision no threshold reaches)."""


class LabelConflictError(RouterError):
    """A new label contradicts a label the data already holds for the same text."""


class RegistryError(RouterError):
    """A model registry operation cannot be done (no such version, nothing to roll back, not a registry)."""


class MissingExtraError(RouterError):
    """A feature needs an optional extra that is not installed (`pip install 'router[ray]'`, ...)."""


class ScoringError(RouterError):
    """A bulk scoring job could not finish (Ray could not start, or a task failed)."""


class NotPreparedError(RouterError):
    """Loading the model now would export its encoder first (seconds): asked only for a fast load."""
