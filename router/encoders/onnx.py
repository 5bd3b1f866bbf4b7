"""A torch-free encoder: the sentence-transformers model exported to ONNX, run with onnxruntime.

`export_onnx` needs torch once (at training time or on first use); `OnnxEncoder` needs only
onnxruntime, tokenizers and numpy, so a cold process embeds its first text in well under a second.
The "onnx-int8" variant is the same export with int8 dynamic quantisation of its weights; a model is
trained and served on one variant, never a mix.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import tempfile
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from router.core.encoder import Encoder, dimension
from router.core.metadata import ENCODER_RUNTIMES
from router.errors import DataError, ModelNotFoundError
from router.fs import atomic_path
from router.settings import ENV_THREADS, cache_root

OPSET = 17
#: Measured on 2 cores: batches of 4-8 length-sorted texts beat 32 by ~30% (less padding, warm caches).
BATCH_SIZE = 8
#: A batch may pad to at most this many times its real tokens (so mixed lengths are not padded to the longest).
PADDING = 1.25
INPUTS = ("input_ids", "attention_mask", "token_type_ids")
FP32, INT8 = ENCODER_RUNTIMES
#: The ONNX file of each encoder variant (the runtimes a model's metadata may record) inside an export folder.
VARIANT_FILES = {FP32: "model.onnx", INT8: "model.int8.onnx"}


def onnx_folder(key: str) -> Path:
    """Where the ONNX export of an encoder (by its key) lives."""
    return cache_root() / "onnx" / hashlib.sha256(key.encode()).hexdigest()[:16]


def variant_file(variant: str) -> str:
    """The ONNX file name of a variant; `DataError` for an unknown one."""
    try:
        return VARIANT_FILES[variant]
    except KeyError:
        raise DataError(f"unknown encoder runtime {variant!r}; expected one of {', '.join(VARIANT_FILES)}") from None


def export_exists(key: str, variant: str = FP32) -> bool:
    """Whether the export (and the variant's file) is already on disk."""
    folder = onnx_folder(key)
    return (folder / "config.json").is_file() and (folder / variant_file(variant)).is_file()


def export_onnx(location: str, key: str) -> Path:
    """Export a sentence-transformers model (and its tokenizer) to ONNX once; return the folder."""
    folder = onnx_folder(key)
    if (folder / "config.json").is_file():
        return folder
    import torch

    from router.encoders.sentence_transformer import quiet_offline_environment

    quiet_offline_environment()
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(location, device="cpu").eval()

    class Wrapper(torch.nn.Module):
        """Take the tokenizer's tensors as keyword arguments, return the sentence embedding."""

        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            features = {"input_ids": input_ids, "attention_mask": attention_mask, "token_type_ids": token_type_ids}
            return self.model(features)["sentence_embedding"]

    texts = ["an example request", "a second, longer example request to export"]
    sample = model.preprocess(texts) if hasattr(model, "preprocess") else model.tokenize(texts)
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".onnx-", dir=folder.parent))
    try:
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                Wrapper(),
                args=(),
                kwargs={name: sample[name] for name in INPUTS},
                f=str(staging / "model.onnx"),
                input_names=list(INPUTS),
                output_names=["sentence_embedding"],
                dynamic_axes={**{n: {0: "batch", 1: "tokens"} for n in INPUTS}, "sentence_embedding": {0: "batch"}},
                opset_version=OPSET,
                dynamo=False,
            )
        model.tokenizer.save_pretrained(str(staging))
        config = {
            "encoder_id": key,
            "max_seq_length": int(model.max_seq_length or 256),
            "dimension": dimension(model),
            "opset": OPSET,
        }
        (staging / "config.json").write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
        try:
            staging.rename(folder)
        except OSError:  # another process exported it first
            if not (folder / "config.json").is_file():
                raise
    finally:
        if staging.exists():
            shutil.rmtree(staging)
    return folder


def quantize_int8(folder: Path) -> Path:
    """Write the int8 variant next to the fp32 export (dynamic quantisation of the weights) once."""
    target = folder / VARIANT_FILES[INT8]
    if target.is_file():
        return target
    from onnxruntime.quantization import QuantType, quantize_dynamic

    with atomic_path(target, suffix=".onnx") as tmp:
        tmp.unlink()  # the quantiser writes a new file
        quantize_dynamic(str(folder / "model.onnx"), str(tmp), weight_type=QuantType.QInt8)
    return target


def ensure_export(name: str, key: str, variant: str = FP32) -> Path:
    """The export folder for an encoder and variant, made now (needs torch once) if missing."""
    if export_exists(key, variant):
        return onnx_folder(key)
    from router.encoders.sentence_transformer import model_location

    if not (onnx_folder(key) / "config.json").is_file():
        print("router: exporting the encoder to ONNX once (needs torch; later calls start fast)", file=sys.stderr)
    folder = export_onnx(model_location(name), key)
    if variant == INT8:
        quantize_int8(folder)
    return folder


def load_onnx(name: str, key: str, variant: str = FP32) -> Encoder:
    """The ONNX encoder of a variant, exporting it first if needed."""
    return OnnxEncoder(ensure_export(name, key, variant), variant)


def threads() -> int:
    """Threads per onnxruntime session: `ROUTER_THREADS` when set, else 0 (onnxruntime's default: one per core)."""
    value = os.environ.get(ENV_THREADS, "")
    return int(value) if value.isdigit() else 0


class OnnxEncoder:
    """Embed texts with an exported model: tokenizers + onnxruntime + mean pooling in the graph."""

    def __init__(self, folder: Path, variant: str = FP32) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        config_path = Path(folder) / "config.json"
        if not config_path.is_file():
            raise ModelNotFoundError(f"{folder}: no ONNX export here")
        config = json.loads(config_path.read_text(encoding="utf-8"))
        self.variant = variant
        self.max_seq_length = int(config["max_seq_length"])
        self.dimension = int(config["dimension"])
        self.tokenizer = Tokenizer.from_file(str(Path(folder) / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_length=self.max_seq_length)
        self.tokenizer.no_padding()
        options = ort.SessionOptions()
        options.log_severity_level = 3
        options.intra_op_num_threads = threads()
        self.session = ort.InferenceSession(
            str(Path(folder) / variant_file(variant)), options, providers=["CPUExecutionProvider"]
        )

    def get_embedding_dimension(self) -> int:
        """Size of one embedding."""
        return self.dimension

    def _run(self, encodings: list[Any]) -> np.ndarray:
        width = max(len(e.ids) for e in encodings)
        feeds = {name: np.zeros((len(encodings), width), dtype=np.int64) for name in INPUTS}
        for row, enc in enumerate(encodings):
            n = len(enc.ids)
            feeds["input_ids"][row, :n] = enc.ids
            feeds["attention_mask"][row, :n] = enc.attention_mask
            feeds["token_type_ids"][row, :n] = enc.type_ids
        (out,) = self.session.run(None, feeds)
        return np.asarray(out, dtype=np.float32)

    def encode(self, inputs: list[str], /, batch_size: int = BATCH_SIZE, **kwargs: Any) -> np.ndarray:
        """Embed texts in small batches of similar length (little padding); rows come back in input order.

        Texts are tokenized once and sorted by length; a batch grows while it holds fewer than
        `batch_size` texts and padding to its longest text adds at most `PADDING` of its real tokens.
        """
        encodings = self.tokenizer.encode_batch(inputs)
        order = np.argsort([-len(e.ids) for e in encodings], kind="stable")
        out = np.zeros((len(inputs), self.dimension), dtype=np.float32)
        chunk: list[int] = []
        for i in order.tolist():
            width = len(encodings[chunk[0]].ids) if chunk else len(encodings[i].ids)
            real = sum(len(encodings[j].ids) for j in chunk) + len(encodings[i].ids)
            if chunk and (len(chunk) >= batch_size or width * (len(chunk) + 1) > PADDING * real):
                out[chunk] = self._run([encodings[j] for j in chunk])
                chunk = []
            chunk.append(i)
        if chunk:
            out[chunk] = self._run([encodings[j] for j in chunk])
        if kwargs.get("normalize_embeddings"):
            norms = np.linalg.norm(out, axis=1, keepdims=True)
            out = (out / np.where(norms == 0, 1.0, norms)).astype(np.float32)
        return out
