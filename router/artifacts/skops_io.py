"""skops files (never pickle): saved as is, loaded only when every type in them is on the allow-list."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from typing import Any

from router.errors import DataError, ModelNotFoundError, UntrustedModelError

TRUSTED = re.compile(r"^(router|sklearn)\.")


def save_skops(obj: Any, path: Path) -> None:
    """Serialise an estimator with skops."""
    import skops.io as sio

    sio.dump(obj, path)


def load_skops(path: Path) -> Any:
    """Load a skops file, refusing any type outside our classes and scikit-learn."""
    import skops.io as sio

    if not path.is_file():
        raise ModelNotFoundError(f"{path}: model file not found")
    try:
        types = sio.get_untrusted_types(file=path)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as err:  # not a zip, no schema, bad JSON
        raise DataError(f"{path}: not a readable skops file ({err})") from None
    foreign = [t for t in types if not TRUSTED.match(t)]
    if foreign:
        raise UntrustedModelError(f"{path}: refusing untrusted types {foreign}")
    return sio.load(path, trusted=types)
