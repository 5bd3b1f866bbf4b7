"""skops files (never pickle): saved as is, loaded only when every node is on an exact allow-list.

The allow-list names, per skops node kind, the exact types our training writes (found with
`skops.io.get_untrusted_types` and by listing the nodes of shipped and freshly trained models). A
module prefix such as `sklearn.` is not an allow-list: it admits every function those modules import,
`subprocess.check_output` included. Any other node kind (reduce, method, partial, operator, bytes,
random state, ...) or type is refused before skops builds anything.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from router.artifacts.digests import read_regular
from router.errors import DataError, ModelNotFoundError, UntrustedModelError

_ESTIMATORS = frozenset(
    {
        "router.encoders.embedder.SentenceEmbedder",
        "router.training.blend.SvmKnnClassifier",
        "router.training.criteria.CriteriaModel",
        "sklearn.calibration.CalibratedClassifierCV",
        "sklearn.calibration._CalibratedClassifier",
        "sklearn.calibration._SigmoidCalibration",
        "sklearn.feature_extraction.text.TfidfTransformer",
        "sklearn.feature_extraction.text.TfidfVectorizer",
        "sklearn.linear_model._logistic.LogisticRegression",
        "sklearn.metrics._scorer._CurveScorer",
        "sklearn.metrics._scorer._Scorer",
        "sklearn.model_selection._classification_threshold.TunedThresholdClassifierCV",
        "sklearn.model_selection._split.StratifiedKFold",
        "sklearn.multiclass.OneVsRestClassifier",
        "sklearn.pipeline.Pipeline",
        "sklearn.preprocessing._label.LabelBinarizer",
        "sklearn.svm._classes.SVC",
        "sklearn.utils._metadata_requests.MetadataRequest",
        "sklearn.utils._metadata_requests.MethodMetadataRequest",
    }
)
_PRIMITIVES = frozenset({"builtins.str", "builtins.int", "builtins.float", "builtins.bool", "builtins.NoneType"})
_NUMBERS = frozenset({"numpy.float64", "numpy.float32", "numpy.int64", "numpy.int32"})

#: Node kind -> the exact type names allowed for it. Nothing else loads.
ALLOWED: dict[str, frozenset[str]] = {
    "ObjectNode": _ESTIMATORS,
    "DictNode": frozenset({"builtins.dict"}),
    "ListNode": frozenset({"builtins.list"}),
    "TupleNode": frozenset({"builtins.tuple"}),
    "JsonNode": _PRIMITIVES,
    "TypeNode": _PRIMITIVES | _NUMBERS,
    "NdArrayNode": frozenset({"numpy.ndarray"}) | _NUMBERS,
    # The scorer our threshold tuning uses; the only function a model file may name.
    "FunctionNode": frozenset({"router.evaluation.metrics.f1_at_min_precision"}),
}
#: Every allowed type name, given to skops as its `trusted` list (its own audit runs as well).
TRUSTED = sorted(set().union(*ALLOWED.values()))
#: A shared object written twice is stored once and referenced again: allowed when its type is.
_CACHED = "CachedNode"


def save_skops(obj: Any, path: Path) -> None:
    """Serialise an estimator with skops."""
    import skops.io as sio

    sio.dump(obj, path)


def _nodes(state: Any) -> Iterator[tuple[str, str]]:
    """(node kind, type name) of every node in a skops schema, iteratively (no recursion limit)."""
    stack = [state]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if "__loader__" in item:
                yield str(item["__loader__"]), f"{item.get('__module__')}.{item.get('__class__')}"
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def refused_nodes(schema: Any) -> list[str]:
    """The nodes of a skops schema outside the allow-list, as "kind type" strings (sorted, unique)."""
    refused = set()
    for kind, name in _nodes(schema):
        ok = name in TRUSTED if kind == _CACHED else name in ALLOWED.get(kind, frozenset())
        if not ok:
            refused.add(f"{kind} {name}")
    return sorted(refused)


def _schema(data: bytes, where: str) -> Any:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return json.loads(archive.read("schema.json"))
    except (zipfile.BadZipFile, KeyError, ValueError, RecursionError, OSError) as err:
        raise DataError(f"{where}: not a readable skops file ({type(err).__name__}: {err})") from None


def _object_arrays(schema: Any) -> bool:
    stack = [schema]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if item.get("__loader__") == "NdArrayNode" and item.get("type") != "numpy":
                return True
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def load_skops(data: bytes, where: str) -> Any:
    """Load skops bytes, refusing any node outside the allow-list (`UntrustedModelError`) before building it."""
    import skops.io as sio
    from skops.io.exceptions import UntrustedTypesFoundException

    schema = _schema(data, where)
    refused = refused_nodes(schema)
    if refused:
        raise UntrustedModelError(f"{where}: refusing nodes outside the allow-list: {', '.join(refused)}")
    if _object_arrays(schema):
        raise UntrustedModelError(f"{where}: refusing an object array (only numeric arrays are allowed)")
    try:
        return sio.loads(data, trusted=TRUSTED)
    except UntrustedTypesFoundException as err:
        raise UntrustedModelError(f"{where}: refusing untrusted types {err}") from None
    except (
        zipfile.BadZipFile,
        KeyError,
        ValueError,
        TypeError,
        AttributeError,
        IndexError,
        RecursionError,
        OSError,
    ) as err:
        raise DataError(f"{where}: not a loadable skops file ({type(err).__name__}: {err})") from None


def read_skops(path: Path) -> Any:
    """Load one skops file from disk, allow-list checked (a lone file has no recorded hash to check)."""
    path = Path(path)
    if not path.exists() and not path.is_symlink():
        raise ModelNotFoundError(f"{path}: model file not found")
    return load_skops(read_regular(path), str(path))
