"""Artifact I/O: every file the pipeline writes records its provenance, appears atomically and is reproducible.

Provenance (`provenance`): the config subset the artifact came from, the git commit of the workflow (`git_commit`)
and the package and library versions (`versions`). Writing to a temporary file in the target folder and renaming it
means a failed or interrupted job never leaves a partial artifact behind (an `os.replace` within one file system is
atomic). Nothing written depends on the clock: the same inputs at the same commit give the same bytes (the members
of an .npz carry zipfile's fixed default date, 1980-01-01, not the time of writing).
"""

from __future__ import annotations

import glob
import json
import os
import platform
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "COMMIT_ENV",
    "CorruptArtifactError",
    "atomic_path",
    "git_commit",
    "load_csv",
    "load_json",
    "load_npz",
    "load_record",
    "provenance",
    "save_csv",
    "save_json",
    "save_npz",
    "to_jsonable",
    "versions",
]

_PACKAGES = ("implicit-bias", "numpy", "scipy", "numba", "cvxpy", "clarabel", "highspy", "matplotlib", "seaborn")


def versions(extra: tuple[str, ...] = ()) -> dict[str, str | None]:
    """Python and library versions, recorded in every artifact (plus the `extra` packages asked for)."""
    out: dict[str, str | None] = {"python": platform.python_version()}
    for name in _PACKAGES + extra:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


# The commit a run comes from: the Snakefile sets it once per run (from the workflow's checkout), so that every job
# records the same value without it being a rule parameter (a new commit must not re-run finished jobs).
COMMIT_ENV = "IMPLICIT_BIAS_COMMIT"
UNKNOWN_COMMIT = "unknown"


def _git(args: list[str], cwd: str | os.PathLike[str]) -> str | None:
    """`git ARGS` in `cwd`: its output, or None if git is missing, fails or `cwd` is not in a checkout."""
    try:
        proc = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return proc.stdout.strip() if proc.returncode == 0 else None


def git_commit(root: str | os.PathLike[str] | None = None) -> str:
    """The commit artifacts record: $IMPLICIT_BIAS_COMMIT if set (the Snakefile sets it), else the HEAD of the
    checkout holding `root` (default: this package), marked "(with uncommitted changes)" when tracked files differ
    from it, else "unknown" (not a git checkout, or no git)."""
    if os.environ.get(COMMIT_ENV):
        return os.environ[COMMIT_ENV]
    root = Path(__file__).parent if root is None else Path(root)
    if not root.is_dir():
        return UNKNOWN_COMMIT
    commit = _git(["rev-parse", "HEAD"], root)
    if not commit:
        return UNKNOWN_COMMIT
    if _git(["status", "--porcelain", "--untracked-files=no"], root):
        commit += " (with uncommitted changes)"
    return commit


def provenance(config: Any = None) -> dict:
    """What every artifact records beside its data: the config subset it came from, the commit, the versions."""
    return {"config": to_jsonable(config), "commit": git_commit(), "versions": versions()}


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
    """Save arrays plus a JSON record as a compressed .npz, atomically: `meta` (the settings, i.e. the config subset
    the arrays came from), the commit and the versions (`provenance`)."""
    prov = provenance()
    record = {"meta": to_jsonable(meta), "commit": prov["commit"], "versions": prov["versions"]}
    payload = {k: np.asarray(v) for k, v in arrays.items()}
    payload["__meta__"] = np.array(json.dumps(record, sort_keys=True))
    with atomic_path(path, suffix=".npz") as tmp:
        np.savez_compressed(tmp, **payload)  # type: ignore[arg-type]  # numpy types **kwds as its own options


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
    with _reading(path), np.load(path, allow_pickle=False) as f:
        return {k: f[k] for k in f.files if k != "__meta__"}, _record_of(f)


def _record_of(npz: Any) -> dict[str, Any]:
    """The JSON record `save_npz` stores as the member `__meta__` ({} for an .npz without one)."""
    return json.loads(str(npz["__meta__"])) if "__meta__" in npz.files else {}


@contextmanager
def _reading(path: str | os.PathLike[str]) -> Iterator[None]:
    """Reading an .npz: a damaged file raises `CorruptArtifactError` naming it (a missing one FileNotFoundError)."""
    import zipfile

    try:
        yield
    except FileNotFoundError:
        raise
    except (zipfile.BadZipFile, EOFError, ValueError, OSError, KeyError) as exc:
        raise CorruptArtifactError(path, exc) from exc


def load_record(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The record of an artifact written by `save_npz`, without reading its arrays."""
    with _reading(path), np.load(path, allow_pickle=False) as f:
        return _record_of(f)


def save_csv(path: str | os.PathLike[str], df: Any, config: Any) -> None:
    """A pandas table as CSV, atomically, after one comment line `# provenance: {...}` (`provenance(config)` as
    JSON). Read it back with `load_csv`, or `pandas.read_csv(path, comment="#")`."""
    line = "# provenance: " + json.dumps(provenance(config), sort_keys=True) + "\n"
    with atomic_path(path, suffix=".csv") as tmp, open(tmp, "w", newline="") as fh:
        fh.write(line)
        df.to_csv(fh, index=False, float_format="%.10g")


def load_csv(path: str | os.PathLike[str]) -> tuple[Any, dict[str, Any]]:
    """Return (table, provenance) of a CSV written by `save_csv` (provenance {} for a CSV without that line)."""
    import pandas as pd  # pandas only where tables are read

    with open(path) as fh:
        first = fh.readline()
    prefix = "# provenance: "
    if not first.startswith(prefix):
        return pd.read_csv(path), {}
    return pd.read_csv(path, skiprows=1), json.loads(first[len(prefix) :])


def save_json(path: str | os.PathLike[str], obj: dict) -> None:
    with atomic_path(path, suffix=".json") as tmp:
        tmp.write_text(json.dumps(to_jsonable(obj), indent=2, sort_keys=False) + "\n")


def load_json(path: str | os.PathLike[str]) -> dict:
    """A JSON artifact; a truncated or damaged one raises `CorruptArtifactError` naming it."""
    try:
        return json.loads(Path(path).read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CorruptArtifactError(path, exc) from exc
