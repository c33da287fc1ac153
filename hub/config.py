"""Load ``config.yaml`` and report every mistake in it as ``file:line: path: message``.

A lot owner fixes a config in one pass only if they see all of its problems at once, each with
the file and line to go to. So loading never stops at the first problem: YAML errors, missing
secrets, includes and environment variables, duplicate keys and schema errors are collected as
``ConfigIssue`` objects and raised together in one ``ConfigError``. Reading the YAML is
``hub.yaml_loader``'s job; its mappings and sequences keep the file and line they came from
(``NodeDict``/``NodeList``), which is what lets a voluptuous error path here be turned back
into a line.
"""

from __future__ import annotations

import difflib
import logging
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import voluptuous as vol

from hub import validation as cv
from hub.yaml_loader import (
    UNRESOLVED,
    ConfigError,
    ConfigIssue,
    NodeDict,
    NodeList,
    did_you_mean,
    read_yaml,
)

__all__ = [
    "HUB_SCHEMA",
    "ConfigError",
    "ConfigIssue",
    "HubConfig",
    "humanize_error",
    "load_config",
    "locate_issue",
]

_LOGGER = logging.getLogger(__name__)

_NO_VALUE: Any = object()
_VOL_PREFIXES = ("expected ", "value must be", "not a valid value", "length of value")


def humanize_error(err: vol.Invalid, *, value: Any = _NO_VALUE) -> str:
    """Turn a voluptuous error into the short text a lot owner reads; ``value`` adds "got ..."."""
    message = str(err.error_message)
    if message == "extra keys not allowed":
        return "unknown key"
    if message == "expected a dictionary":
        message = "expected a mapping"
    # Voluptuous' own messages do not say what was found; ours already do ("..., got 'ten'").
    if value is not _NO_VALUE and message.startswith(_VOL_PREFIXES) and "got " not in message:
        message += f", got {cv.describe_value(value)}"
    return message


def locate_issue(root: Any, path: Sequence[Any], message: str) -> ConfigIssue:
    """An issue about the value at `path` of a loaded tree, at the file and line naming it."""
    file, line, _ = _locate(root, path)
    return ConfigIssue(file, line, ".".join(str(step) for step in path), message)


def _flatten(err: vol.Invalid) -> list[vol.Invalid]:
    if isinstance(err, vol.MultipleInvalid):
        return [leaf for inner in err.errors for leaf in _flatten(inner)]
    return [err]


def _locate(root: Any, path: Sequence[Any]) -> tuple[str, int, Any]:
    """File, line and value of the deepest node on ``path`` that exists in the loaded tree."""
    file, line = getattr(root, "file", ""), getattr(root, "line", 0)
    node = root
    for step in path:
        try:
            if isinstance(node, NodeDict) and step in node:
                file, line, node = node.file, node.line_of(step), node[step]
            elif isinstance(node, NodeList) and isinstance(step, int) and 0 <= step < len(node):
                file, line, node = node.file, node.item_lines[step], node[step]
            else:
                return file, line, _NO_VALUE
        except TypeError:  # an unhashable path step
            return file, line, _NO_VALUE
        if node is UNRESOLVED:
            break
        if isinstance(node, NodeDict | NodeList) and node.file != file:
            file, line = node.file, node.line  # the value came from an !include'd file
    return file, line, node


def _unwrap(schema: Any, kind: type) -> Any:
    """Find the dict (or list) inside Schema/All/Any wrappers, for did-you-mean suggestions."""
    if isinstance(schema, kind):
        return schema
    if isinstance(schema, vol.Schema):
        return _unwrap(schema.schema, kind)
    for inner in getattr(schema, "validators", ()) if isinstance(schema, vol.All | vol.Any) else ():
        if (found := _unwrap(inner, kind)) is not None:
            return found
    return None


def _key_name(key: Any) -> Any:
    return key.schema if isinstance(key, vol.Marker) else key


def _known_keys(schema: Any, path: Sequence[Any]) -> list[str]:
    """The keys a dict schema accepts at ``path``, or [] when the schema hides them."""
    for step in path:
        if isinstance(step, int) and not isinstance(step, bool):
            found = _unwrap(schema, list)
            schema = found[0] if found and len(found) == 1 else None
        else:
            mapping = _unwrap(schema, dict) or {}
            schema = next((v for k, v in mapping.items() if _key_name(k) == step), None)
        if schema is None:
            return []
    mapping = _unwrap(schema, dict) or {}
    return [name for key in mapping if isinstance(name := _key_name(key), str)]


def load_config(
    path: Path,
    schema_for: Callable[[str], Callable[[Any], Any] | None],
    *,
    known: Iterable[str] = (),
) -> dict[str, Any]:
    """Load and validate the whole config, section by section, or raise one ConfigError.

    ``schema_for(key)`` gives the schema of a top-level section, None for an unknown key;
    ``known`` lists every known key so a typo gets a "did you mean".
    """
    data, issues = read_yaml(path)
    if not isinstance(data, NodeDict):
        if data is not UNRESOLVED:
            line = getattr(data, "line", 1)
            message = f"expected a mapping of sections, got {cv.describe_value(data)}"
            issues.append(ConfigIssue(path.name, line, "", message))
        raise ConfigError(issues)
    known_keys = sorted(set(known))
    result: dict[str, Any] = {}
    for key, value in data.items():
        section = str(key)
        key_line = data.line_of(key)
        if value is UNRESOLVED:
            continue
        schema = None
        try:
            schema = schema_for(section)
            if schema is None:
                message = f"unknown key {section!r}" + did_you_mean(section, known_keys)
                issues.append(ConfigIssue(data.file, key_line, section, message))
                continue
            if value is None and _unwrap(schema, dict) is not None:
                # `recorder:` with nothing under it means "on, with the defaults".
                value = NodeDict()
                value.file, value.line = data.file, key_line
            result[section] = schema(value)
        except vol.Invalid as err:
            issues.extend(_issues_from(err, data, key, schema))
        except Exception as err:  # a bug in a schema must not hide the other sections' issues
            _LOGGER.exception("Schema for %r failed", section)
            message = f"could not be checked ({type(err).__name__}: {err}); please report this bug"
            issues.append(ConfigIssue(data.file, key_line, section, message))
    if issues:
        raise ConfigError(issues, result)
    return result


def _issues_from(err: vol.Invalid, root: NodeDict, key: Any, schema: Any) -> list[ConfigIssue]:
    issues: list[ConfigIssue] = []
    for leaf in _flatten(err):
        rel = [_key_name(step) for step in leaf.path]
        full = [key, *rel]
        file, line, value = _locate(root, full)
        if value is UNRESOLVED:
            continue  # the load issue for this value is already reported
        if (typo := _misspelt_required(leaf, root, full)) is not None:
            issues.append(typo)
            continue
        dotted = ".".join(str(step) for step in full)
        if leaf.error_message == "extra keys not allowed" and rel:
            suggestion = did_you_mean(rel[-1], _known_keys(schema, rel[:-1]))
            message = f"unknown key {str(rel[-1])!r}{suggestion}"
        else:
            message = humanize_error(leaf, value=value)
        issues.append(ConfigIssue(file, line, dotted, message))
    return issues


def _misspelt_required(leaf: vol.Invalid, root: NodeDict, full: list[Any]) -> ConfigIssue | None:
    """A missing required key next to a key spelt almost like it: report the typo instead.

    A list item validated by a function (a gate checks its common keys before its backend's)
    says `backend: required key not provided` for `backnd: demo`; the owner needs to hear
    about `backnd`, on its own line, with what it should be.
    """
    if leaf.error_message != "required key not provided" or len(full) < 2:
        return None
    _, _, parent = _locate(root, full[:-1])
    if not isinstance(parent, NodeDict):
        return None
    missing = str(full[-1])
    strays = [key for key in parent if isinstance(key, str) and key != missing]
    close = difflib.get_close_matches(missing, strays, n=1, cutoff=0.75)
    if not close:
        return None
    typo = close[0]
    dotted = ".".join(str(step) for step in [*full[:-1], typo])
    message = f"unknown key {typo!r} (did you mean {missing!r}?)"
    return ConfigIssue(parent.file, parent.line_of(typo), dotted, message)


def _postgres_url(value: Any) -> str:
    from .database import postgres_url  # the one db_url check (hub/database.py)

    return postgres_url(value)


def _currency(value: Any) -> str:
    """An ISO 4217 code, kept upper-case because tariffs and reports print it as is."""
    text = cv.string(value).strip()
    if not re.fullmatch(r"[A-Z]{3}", text):
        raise vol.Invalid(f"expected a 3-letter ISO 4217 currency code like 'EUR', got {text!r}")
    return text


HUB_SCHEMA = vol.Schema(
    {
        vol.Optional("name", default="ParkHub", description="Shown in the panel"): cv.string,
        vol.Optional("time_zone", default="UTC", description="IANA name"): cv.time_zone,
        vol.Optional("unit_system", default="metric", description="metric or imperial"): vol.All(
            cv.string, vol.In(["metric", "imperial"], msg="expected 'metric' or 'imperial'")
        ),
        vol.Optional("currency", default="EUR", description="ISO 4217 code"): _currency,
        # A relative data_dir is relative to the config file's folder; the CLI resolves it.
        vol.Optional("data_dir", description="Where history and registries live"): cv.string,
        vol.Optional("port", default=8123, description="HTTP port of panel and API"): cv.port,
        vol.Optional(
            "audit_days", default=90, description="Days the audit log keeps who did what"
        ): vol.All(vol.Coerce(int), vol.Range(min=1, max=3650)),
        # A worker node: its states and events go to a central hub over MQTT (README).
        vol.Optional("node", description="Worker node id, e.g. west_gate"): cv.slug,
        vol.Optional(
            "audit_db_url", description="postgresql://user@host/db instead of audit.db"
        ): _postgres_url,
    },
    extra=vol.PREVENT_EXTRA,
)


@dataclass(frozen=True, slots=True)
class HubConfig:
    """The validated ``hub:`` section, read once at start-up."""

    name: str = "ParkHub"
    time_zone: str = "UTC"
    unit_system: str = "metric"
    currency: str = "EUR"
    data_dir: str | None = None
    port: int = 8123
    audit_days: int = 90
    node: str | None = None
    audit_db_url: str | None = None  # postgresql://...; None: audit.db in the data directory

    @classmethod
    def from_dict(cls, validated: dict[str, Any]) -> HubConfig:
        """Build from HUB_SCHEMA's output (defaults already filled in)."""
        fields = ("name", "time_zone", "unit_system", "currency", "port", "audit_days")
        return cls(
            data_dir=validated.get("data_dir"),
            node=validated.get("node"),
            audit_db_url=validated.get("audit_db_url"),
            **{f: validated[f] for f in fields},
        )
