"""Files a config names that are not there: what `parkhub check-config` adds to validation.

Schemas mark such values with `validation.config_file`; this walks the validated sections
for them, resolves each against the config file's folder (as the integrations do) and
reports the missing ones at the line that names them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from hub.config import locate_issue
from hub.validation import ConfigFile
from hub.yaml_loader import ConfigIssue, read_yaml

__all__ = ["missing_files"]


def _walk(value: Any, path: tuple[Any, ...]) -> Iterator[tuple[tuple[Any, ...], ConfigFile]]:
    if isinstance(value, ConfigFile):
        yield path, value
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from _walk(item, (*path, key))
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from _walk(item, (*path, index))
    elif hasattr(value, "__dataclass_fields__"):
        for name in value.__dataclass_fields__:
            yield from _walk(getattr(value, name), (*path, name))


def missing_files(config_path: Path, sections: Mapping[str, Any]) -> list[ConfigIssue]:
    """One issue per file named in `sections` (validated) that does not exist. Blocks."""
    found = list(_walk(sections, ()))
    if not found:
        return []
    root, _ = read_yaml(config_path)
    folder = config_path.parent
    issues = []
    for path, name in found:
        if (folder / name).exists():
            continue
        issues.append(locate_issue(root, list(path), f"file not found: {folder / name}"))
    return issues
