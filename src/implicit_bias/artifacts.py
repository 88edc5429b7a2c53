"""Artifact I/O: every file the pipeline writes records its settings and library versions, and appears atomically.

Writing to a temporary file in the target folder and renaming it means a failed or interrupted job never leaves a
partial artifact behind (an `os.replace` within one file system is atomic).
"""

from __future__ import annotations

import glob
import json
import os
import platform
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "CorruptArtifactError",
    "atomic_path",
    "load_json",
    "load_npz",
    "save_json",
    "save_npz",
    "to_jsonable",
    "versions",
]

_PACKAGES = ("implicit-bias", "numpy", "scipy", "numba", "cvxpy", "clarabel", "highspy", "matplotlib", "seaborn")


def versions() -> dict[str, str | None]:
    """Python and library versions, recorded in every artifact."""
    out = {"python": platform.python_version()}
    for name in _PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def _umask() -> int:
    # os.umask can only be read by setting it; set it back at once
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _temporaries(path: Path, suffix: str) -> list[Path]:
    """The temporary files `atomic_path` makes for `path`: `.<name>.<random><suffix>` (mkstemp's random part)."""
    return list(path.parent.glob(f".{glob.escape(path.name)}.*{glob.escape(suffix)}"))


@contextmanager
def atomic_path(path: str | os.PathLike[str], suffix: str = "") -> Iterator[Path]:
    """Yield a temporary path next to `path`; move it into place only if the block succeeds.

    The file gets the mode an ordinary `open(path, "w")` would give it (0666 less the umask): mkstemp creates its
    file 0600, and that mode would survive the rename, leaving a shared results folder unreadable to the group.

    A process killed while it writes (SIGKILL, or a job's Ctrl-C, which ends it at once) leaves its temporary file
    behind, hidden and never under the final name; the next write of `path` removes it. Only one writer of a given
    path may run at a time (Snakemake gives every output one job).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    suffix = suffix or path.suffix
    for stale in _temporaries(path, suffix):
        stale.unlink(missing_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix, dir=path.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def to_jsonable(obj: Any) -> Any:
    """Convert numpy scalars/arrays (e.g. from config or Paramspace) to plain JSON types."""
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return to_jsonable(obj.tolist())
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, float) and not np.isfinite(obj):
        return str(obj)
    return obj


def save_npz(path: str | os.PathLike[str], arrays: dict, meta: dict) -> None:
    """Save arrays plus a `meta` JSON record (settings + versions) as a compressed .npz, atomically."""
    record = {"meta": to_jsonable(meta), "versions": versions()}
    payload = {k: np.asarray(v) for k, v in arrays.items()}
    payload["__meta__"] = np.array(json.dumps(record, sort_keys=True))
    with atomic_path(path, suffix=".npz") as tmp:
        np.savez_compressed(tmp, **payload)


class CorruptArtifactError(ValueError):
    """An artifact that cannot be read back whole (truncated, bit-flipped, not the format its name says)."""

    def __init__(self, path: str | os.PathLike[str], exc: BaseException) -> None:
        self.path = Path(path)
        super().__init__(
            f"{path}: corrupted or truncated artifact ({type(exc).__name__}: {exc}); delete it and rerun to rebuild it"
        )


def load_npz(path: str | os.PathLike[str]) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Return (arrays, record) of an artifact written by `save_npz`.

    Every array is read whole, so the zip's CRC-32 of each member is checked: a truncated or damaged file raises
    `CorruptArtifactError` naming it, never comes back as zeros or a short array.
    """
    import zipfile

    try:
        with np.load(path, allow_pickle=False) as f:
            arrays = {k: f[k] for k in f.files if k != "__meta__"}
            record = json.loads(str(f["__meta__"])) if "__meta__" in f.files else {}
    except (zipfile.BadZipFile, EOFError, ValueError, OSError, KeyError) as exc:
        if isinstance(exc, FileNotFoundError):
            raise
        raise CorruptArtifactError(path, exc) from exc
    return arrays, record


def save_json(path: str | os.PathLike[str], obj: dict) -> None:
    with atomic_path(path, suffix=".json") as tmp:
        tmp.write_text(json.dumps(to_jsonable(obj), indent=2, sort_keys=False) + "\n")


def load_json(path: str | os.PathLike[str]) -> dict:
    """A JSON artifact; a truncated or damaged one raises `CorruptArtifactError` naming it."""
    try:
        return json.loads(Path(path).read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CorruptArtifactError(path, exc) from exc
