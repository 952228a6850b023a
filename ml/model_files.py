"""Model files: a ``.keras`` file plus a JSON sidecar that says what it is.

The sidecar holds the format version, label map, input shape, architecture, hyper-parameters,
framework versions, the training-data fingerprint and the SHA-256 of the ``.keras`` file.
Both are written atomically (temporary file, then rename). Loading checks the file against
its sidecar and refuses, with a message that says why, a file that does not match.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import tempfile
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

FORMAT_VERSION = 1


class ModelFileError(Exception):
    """A model file that is missing, corrupt, or does not match its sidecar."""


@dataclass
class ModelInfo:
    """The sidecar's content."""

    label_map: list[str]
    input_shape: list[int]
    architecture: str
    hyper_parameters: dict = field(default_factory=dict)
    fingerprint: str = ""
    frameworks: dict = field(default_factory=dict)
    metrics: dict = field(default_factory=dict)
    sha256: str = ""
    size_bytes: int = 0
    created_at: str = ""
    format_version: int = FORMAT_VERSION


def sidecar_path(path: str | os.PathLike) -> Path:
    return Path(path).with_suffix(".json")


def frameworks() -> dict[str, str]:
    """Versions of what wrote the file: Python, Keras and its backend."""
    import keras

    versions = {"python": platform.python_version(), "keras": keras.__version__, "backend": keras.backend.backend()}
    if versions["backend"] == "tensorflow":
        import tensorflow as tf

        versions["tensorflow"] = tf.__version__
    return versions


def file_sha256(path: str | os.PathLike) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _atomic_write_bytes(target: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def save(model, path: str | os.PathLike, info: ModelInfo) -> ModelInfo:
    """Write ``model`` to ``path`` (.keras) and its sidecar, each atomically; return the sidecar info.

    The model is written first, then the sidecar that names its hash: a reader never sees a
    sidecar that vouches for a half-written model.
    """
    target = Path(path)
    if target.suffix != ".keras":
        raise ValueError(f"model files end in .keras, got {target.name}")
    target.parent.mkdir(parents=True, exist_ok=True)
    outputs = int(model.output_shape[-1])
    if outputs != len(info.label_map):
        raise ValueError(f"the model has {outputs} outputs but the label map names {len(info.label_map)} classes")
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.stem}.", suffix=".keras")
    os.close(fd)
    try:
        model.save(tmp)
        info.sha256 = file_sha256(tmp)
        info.size_bytes = os.path.getsize(tmp)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    info.input_shape = [int(v) for v in info.input_shape]
    info.frameworks = info.frameworks or frameworks()
    info.created_at = info.created_at or datetime.now(UTC).isoformat(timespec="seconds")
    info.format_version = FORMAT_VERSION
    _atomic_write_bytes(sidecar_path(target), json.dumps(asdict(info), indent=2, sort_keys=True).encode())
    return info


def read_info(path: str | os.PathLike) -> ModelInfo:
    """Read and check the sidecar of ``path``; ModelFileError when it is missing or unreadable."""
    side = sidecar_path(path)
    try:
        raw = json.loads(side.read_text())
    except FileNotFoundError:
        raise ModelFileError(f"{Path(path).name}: no sidecar {side.name}; the model cannot be trusted") from None
    except (OSError, ValueError) as exc:
        raise ModelFileError(f"{side.name}: unreadable sidecar ({exc})") from None
    if raw.get("format_version") != FORMAT_VERSION:
        raise ModelFileError(
            f"{side.name}: format version {raw.get('format_version')!r}, this portal reads {FORMAT_VERSION}; retrain it"
        )
    known = {k: v for k, v in raw.items() if k in ModelInfo.__dataclass_fields__}
    try:
        return ModelInfo(**known)
    except TypeError as exc:
        raise ModelFileError(f"{side.name}: incomplete sidecar ({exc})") from None


def verify(path: str | os.PathLike) -> ModelInfo:
    """Check that the .keras file is the one its sidecar describes (size and SHA-256)."""
    target = Path(path)
    info = read_info(target)
    if not target.exists():
        raise ModelFileError(f"{target.name}: the model file is missing")
    size = target.stat().st_size
    if size != info.size_bytes or file_sha256(target) != info.sha256:
        raise ModelFileError(
            f"{target.name} does not match its sidecar {sidecar_path(target).name} "
            f"(size {size} vs {info.size_bytes} bytes, or a different SHA-256): refusing to load it"
        )
    return info


def load(path: str | os.PathLike):
    """Load a model after checking it against its sidecar; return ``(model, info)``."""
    import keras

    import ml.layers  # noqa: F401  (registers custom layers before deserialising)

    info = verify(path)
    try:
        model = keras.saving.load_model(str(path), compile=False)
    except Exception as exc:
        raise ModelFileError(f"{Path(path).name}: Keras could not load it ({exc})") from exc
    outputs = int(model.output_shape[-1])
    if outputs != len(info.label_map):
        raise ModelFileError(
            f"{Path(path).name}: {outputs} outputs, but the sidecar names {len(info.label_map)} classes"
        )
    if [int(v) for v in model.input_shape[1:]] != [int(v) for v in info.input_shape]:
        raise ModelFileError(
            f"{Path(path).name}: input shape {list(model.input_shape[1:])}, sidecar says {info.input_shape}"
        )
    return model, info


def remove(path: str | os.PathLike) -> None:
    """Delete a model file and its sidecar (missing ones are fine)."""
    Path(path).unlink(missing_ok=True)
    sidecar_path(path).unlink(missing_ok=True)
