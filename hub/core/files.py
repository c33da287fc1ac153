"""Files the hub keeps in its data directory (registry, tokens, traces), written crash-safely."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from .json import JSONDecodeError, json_loads

__all__ = [
    "FileSignature",
    "file_signature",
    "read_json_list",
    "read_json_object",
    "write_atomically",
]

# (inode, mtime in ns, size): os.replace gives a new inode, so a rewrite is always seen.
FileSignature = tuple[int, int, int]


def read_json_object(path: Path) -> dict[str, Any]:
    """A JSON object file the hub wrote, or `{}` when it does not exist yet.

    Anything else than an object raises ValueError naming the file (JSONDecodeError, a
    ValueError too, for broken JSON), so the caller decides whether that is fatal.
    """
    try:
        data = json_loads(path.read_bytes())
    except FileNotFoundError:
        return {}
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a JSON object")
    return data


def read_json_list(path: Path, key: str) -> list[Any]:
    """The list under `key` in a JSON object file the CLI and the hub share (users.json,
    auth.json), or `[]` when the file does not exist yet.

    Anything unusable raises ValueError saying what and where, so each store can turn it
    into its own error and refuse to overwrite a file it could not read.
    """
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return []
    except OSError as err:
        raise ValueError(f"cannot read {path}: {err.strerror}") from None
    try:
        data = json_loads(raw)
    except JSONDecodeError as err:
        raise ValueError(f"{path} is not valid JSON: {err}") from None
    items = data.get(key) if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise ValueError(f"{path} has no list of {key}")
    return items


def write_atomically(path: Path, content: bytes) -> None:
    """Write to a temporary file beside `path`, then rename: readers never see half a file.

    The file is synced before the rename, so a crash leaves the old file or the new one.
    Its mode is 0600 (mkstemp's): the data directory holds token hashes. A missing folder
    is created, so callers need not.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(content)
            file.flush()
            os.fsync(file.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def file_signature(path: Path) -> FileSignature | None:
    """What changes when another process rewrites `path` (None: it does not exist), so a
    file the CLI edits while the hub runs is re-read only when it really changed."""
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    return (stat.st_ino, stat.st_mtime_ns, stat.st_size)
