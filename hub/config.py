"""Load ``config.yaml`` and report every mistake in it as ``file:line: path: message``.

A lot owner fixes a config in one pass only if they see all of its problems at once, each with
the file and line to go to. So loading never stops at the first problem: YAML errors, missing
secrets, includes and environment variables, duplicate keys and schema errors are collected as
``ConfigIssue`` objects and raised together in one ``ConfigError``. Mappings and sequences keep
the file and line they came from (``NodeDict``/``NodeList``), which is what lets a voluptuous
error path be turned back into a line.
"""

from __future__ import annotations

import difflib
import logging
import os
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import voluptuous as vol
import yaml

from hub import validation as cv
from hub.core.exceptions import HubError

__all__ = [
    "HUB_SCHEMA",
    "ConfigError",
    "ConfigIssue",
    "HubConfig",
    "NodeDict",
    "NodeList",
    "humanize_error",
    "load_config",
    "load_yaml",
]

_LOGGER = logging.getLogger(__name__)

_INT_TAG = "tag:yaml.org,2002:int"
_FLOAT_TAG = "tag:yaml.org,2002:float"
_STR_TAG = "tag:yaml.org,2002:str"
_MAP_TAG = "tag:yaml.org,2002:map"
_SEQ_TAG = "tag:yaml.org,2002:seq"
_MERGE_TAG = "tag:yaml.org,2002:merge"
_NO_VALUE: Any = object()
_VOL_PREFIXES = ("expected ", "value must be", "not a valid value", "length of value")


class _Unresolved:
    """Stands in for a value that could not be loaded; its issue is already recorded."""

    def __repr__(self) -> str:
        return "<unresolved>"


_UNRESOLVED: Any = _Unresolved()


@dataclass(frozen=True, slots=True)
class ConfigIssue:
    """One problem in the config; ``line`` 0 means the whole file (it could not be read)."""

    file: str
    line: int
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


class ConfigError(HubError):
    """The config has problems; ``issues`` lists all of them, sorted by file then line."""

    def __init__(self, issues: Iterable[ConfigIssue]) -> None:
        self.issues = sorted(issues, key=lambda i: (i.file, i.line, i.path, i.message))
        super().__init__("\n".join(str(issue) for issue in self.issues))


class NodeDict(dict[Any, Any]):
    """A YAML mapping that remembers its file, its line and the line of each key."""

    __slots__ = ("file", "key_lines", "line")
    file: str
    line: int
    key_lines: dict[Any, int]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.file = ""
        self.line = 0
        self.key_lines = {}

    def line_of(self, key: Any) -> int:
        """The line of ``key``, or of the mapping itself when the key is not there."""
        return self.key_lines.get(key, self.line)


class NodeList(list[Any]):
    """A YAML sequence that remembers its file, its line and the line of each item."""

    __slots__ = ("file", "item_lines", "line")
    file: str
    line: int
    item_lines: list[int]

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.file = ""
        self.line = 0
        self.item_lines = []


class _Loader(yaml.SafeLoader):
    """SafeLoader without YAML 1.1's base-60 numbers, so ``10:30`` stays a string, not 630."""

    def resolve(self, kind: type[yaml.Node], value: Any, implicit: Any) -> Any:
        tag = super().resolve(kind, value, implicit)  # type: ignore[no-untyped-call]
        if tag in (_INT_TAG, _FLOAT_TAG) and ":" in str(value):
            return _STR_TAG
        return tag


@dataclass(frozen=True, slots=True)
class _Source:
    path: Path
    name: str


class _Reader:
    """Builds NodeDict/NodeList trees from YAML nodes, collecting issues instead of raising.

    We walk the composed node graph ourselves rather than register constructors on the loader,
    so that every issue (a missing secret deep inside an included file) knows its key path.
    """

    def __init__(self, main: Path, secrets: Path | None) -> None:
        self.main = main
        self.base = main.parent
        self.secrets_path = secrets if secrets is not None else main.parent / "secrets.yaml"
        self.issues: list[ConfigIssue] = []
        self._secrets: Any = _NO_VALUE
        self._in_secrets = False
        self._files: list[tuple[Path, str]] = []  # (resolved path, name) being loaded
        self._active: set[int] = set()

    def name(self, path: Path) -> str:
        if path == self.main:
            return path.name
        try:
            return path.relative_to(self.base).as_posix()
        except ValueError:
            return Path(os.path.relpath(path, self.base)).as_posix()

    def issue(self, file: str, line: int, path: Sequence[Any], message: str) -> None:
        self.issues.append(ConfigIssue(file, line, ".".join(str(p) for p in path), message))

    def load_main(self) -> Any:
        try:
            text = self.main.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as err:
            self.issue(self.main.name, 0, (), f"cannot read: {_reason(err)}")
            return _UNRESOLVED
        return self.parse(text, _Source(self.main, self.main.name), (), empty=NodeDict)

    def parse(
        self, text: str, src: _Source, path: tuple[Any, ...], empty: Callable[[], Any]
    ) -> Any:
        loader = _Loader(text)
        self._files.append((src.path.resolve(), src.name))
        try:
            node = loader.get_single_node()
            if node is None:
                value = empty()
                if isinstance(value, NodeDict):
                    value.file, value.line = src.name, 1
                return value
            return self.build(loader, node, src, path)
        except yaml.MarkedYAMLError as err:
            mark = err.problem_mark or err.context_mark
            message = f"invalid YAML: {err.problem}" if err.problem else "invalid YAML"
            if err.context:
                ctx = err.context_mark
                since = f" on line {ctx.line + 1}" if ctx and mark and ctx.line != mark.line else ""
                message += f" ({err.context}{since})"
            self.issue(src.name, mark.line + 1 if mark else 0, (), message)
        except yaml.YAMLError as err:
            self.issue(src.name, 0, (), f"invalid YAML: {err}")
        finally:
            loader.dispose()
            self._files.pop()
        return _UNRESOLVED

    def build(self, loader: _Loader, node: yaml.Node, src: _Source, path: tuple[Any, ...]) -> Any:
        line = node.start_mark.line + 1
        if id(node) in self._active:
            self.issue(src.name, line, path, "an alias refers to itself")
            return _UNRESOLVED
        if node.tag in ("!include", "!secret", "!env_var"):
            if not isinstance(node, yaml.ScalarNode) or not str(node.value).strip():
                self.issue(src.name, line, path, f"{node.tag} needs one name after it")
                return _UNRESOLVED
            arg = str(node.value).strip()
            if node.tag == "!include":
                return self.include(arg, src, line, path)
            if node.tag == "!secret":
                return self.secret(arg, src, line, path)
            return self.env_var(arg, src, line, path)
        if isinstance(node, yaml.MappingNode) and node.tag == _MAP_TAG:
            return self.mapping(loader, node, src, path)
        if isinstance(node, yaml.SequenceNode) and node.tag == _SEQ_TAG:
            items = NodeList()
            items.file, items.line = src.name, line
            self._active.add(id(node))
            for index, item in enumerate(node.value):
                items.append(self.build(loader, item, src, (*path, index)))
                items.item_lines.append(item.start_mark.line + 1)
            self._active.discard(id(node))
            return items
        if node.tag not in loader.yaml_constructors:
            self.issue(src.name, line, path, f"unknown tag {node.tag!r}")
            return _UNRESOLVED
        try:
            return loader.construct_object(node, deep=True)
        except (yaml.YAMLError, ValueError, TypeError) as err:
            self.issue(src.name, line, path, f"invalid value: {err}")
            return _UNRESOLVED

    def mapping(
        self, loader: _Loader, node: yaml.MappingNode, src: _Source, path: tuple[Any, ...]
    ) -> Any:
        own = {id(key) for key, _ in node.value if key.tag != _MERGE_TAG}
        try:
            loader.flatten_mapping(node)  # applies `<<: *anchor`; merged pairs come first
        except yaml.MarkedYAMLError as err:
            self.issue(src.name, node.start_mark.line + 1, path, f"invalid merge: {err.problem}")
            return _UNRESOLVED
        result = NodeDict()
        result.file, result.line = src.name, node.start_mark.line + 1
        own_keys: set[Any] = set()
        self._active.add(id(node))
        for key_node, value_node in node.value:
            key_line = key_node.start_mark.line + 1
            key = self.build(loader, key_node, src, path)
            if key is _UNRESOLVED:
                continue
            try:
                hash(key)
            except TypeError:
                self.issue(src.name, key_line, path, "a key must be a single value")
                continue
            is_own = id(key_node) in own
            if is_own and key in own_keys:
                first = result.key_lines[key]
                self.issue(
                    src.name, key_line, (*path, key), f"duplicate key (first on line {first})"
                )
                continue
            result[key] = self.build(loader, value_node, src, (*path, key))
            result.key_lines[key] = key_line
            if is_own:
                own_keys.add(key)
        self._active.discard(id(node))
        return result

    def include(self, arg: str, src: _Source, line: int, path: tuple[Any, ...]) -> Any:
        target = Path(os.path.normpath(src.path.parent / arg))
        loading = [resolved for resolved, _ in self._files]
        if (resolved := target.resolve()) in loading:
            names = [name for _, name in self._files[loading.index(resolved) :]]
            chain = " -> ".join([*names, self.name(target)])
            self.issue(src.name, line, path, f"include loop: {chain}")
            return _UNRESOLVED
        try:
            text = target.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as err:
            self.issue(src.name, line, path, f"cannot include {arg!r}: {_reason(err)}")
            return _UNRESOLVED
        # An empty included file means "nothing here" (like `key:`), so ensure_list gives [].
        return self.parse(text, _Source(target, self.name(target)), path, empty=lambda: None)

    def secret(self, name: str, src: _Source, line: int, path: tuple[Any, ...]) -> Any:
        secrets_name = self.name(self.secrets_path)
        if self._in_secrets:
            self.issue(src.name, line, path, f"!secret cannot be used inside {secrets_name}")
            return _UNRESOLVED
        secrets = self.load_secrets()
        if secrets is None:
            message = f"secret {name!r} not found: {secrets_name} does not exist"
        elif not isinstance(secrets, dict):
            return _UNRESOLVED  # the secrets file's own issue is already recorded
        elif name in secrets:
            return secrets[name]
        else:
            message = f"secret {name!r} not found in {secrets_name}" + _did_you_mean(name, secrets)
        self.issue(src.name, line, path, message)
        return _UNRESOLVED

    def load_secrets(self) -> Any:
        if self._secrets is not _NO_VALUE:
            return self._secrets
        src = _Source(self.secrets_path, self.name(self.secrets_path))
        self._secrets = None
        if self.secrets_path.is_file():
            self._in_secrets = True
            try:
                text = self.secrets_path.read_text(encoding="utf-8")
                self._secrets = self.parse(text, src, (), empty=NodeDict)
            except (OSError, UnicodeDecodeError) as err:
                self.issue(src.name, 0, (), f"cannot read: {_reason(err)}")
                self._secrets = _UNRESOLVED
            finally:
                self._in_secrets = False
            if not isinstance(self._secrets, dict) and self._secrets is not _UNRESOLVED:
                self.issue(src.name, 1, (), "expected a mapping of secret names to values")
        return self._secrets

    def env_var(self, arg: str, src: _Source, line: int, path: tuple[Any, ...]) -> Any:
        name, *default = arg.split(maxsplit=1)
        value = os.environ.get(name)
        if value is not None:
            return value
        if default:
            return default[0]
        self.issue(src.name, line, path, f"environment variable {name!r} is not set")
        return _UNRESOLVED


def _reason(err: Exception) -> str:
    if isinstance(err, FileNotFoundError):
        return "file not found"
    if isinstance(err, UnicodeDecodeError):
        return "not UTF-8 text"
    return err.strerror if isinstance(err, OSError) and err.strerror else str(err)


def _did_you_mean(word: Any, known: Iterable[Any]) -> str:
    close = difflib.get_close_matches(str(word), [str(k) for k in known], n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def load_yaml(path: Path, *, secrets: Path | None = None) -> Any:
    """Load one YAML file with ``!secret``, ``!include`` and ``!env_var``, or raise ConfigError.

    Secrets come from ``secrets.yaml`` beside ``path`` unless ``secrets`` names another file.
    An empty main file loads as an empty NodeDict; an empty included file as None.
    """
    reader = _Reader(path, secrets)
    data = reader.load_main()
    if reader.issues:
        raise ConfigError(reader.issues)
    return data


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
        if node is _UNRESOLVED:
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
    schema_for: Callable[[str], vol.Schema | None],
    *,
    known: Iterable[str] = (),
) -> dict[str, Any]:
    """Load and validate the whole config, section by section, or raise one ConfigError.

    ``schema_for(key)`` gives the schema of a top-level section, None for an unknown key;
    ``known`` lists every known key so a typo gets a "did you mean".
    """
    reader = _Reader(path, None)
    data = reader.load_main()
    issues = reader.issues
    if not isinstance(data, NodeDict):
        if data is not _UNRESOLVED:
            line = getattr(data, "line", 1)
            message = f"expected a mapping of sections, got {cv.describe_value(data)}"
            issues.append(ConfigIssue(reader.name(path), line, "", message))
        raise ConfigError(issues)
    known_keys = sorted(set(known))
    result: dict[str, Any] = {}
    for key, value in data.items():
        section = str(key)
        key_line = data.line_of(key)
        if value is _UNRESOLVED:
            continue
        schema = None
        try:
            schema = schema_for(section)
            if schema is None:
                message = f"unknown key {section!r}" + _did_you_mean(section, known_keys)
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
        raise ConfigError(issues)
    return result


def _issues_from(err: vol.Invalid, root: NodeDict, key: Any, schema: Any) -> list[ConfigIssue]:
    issues: list[ConfigIssue] = []
    for leaf in _flatten(err):
        rel = [_key_name(step) for step in leaf.path]
        full = [key, *rel]
        file, line, value = _locate(root, full)
        if value is _UNRESOLVED:
            continue  # the load issue for this value is already reported
        dotted = ".".join(str(step) for step in full)
        if leaf.error_message == "extra keys not allowed" and rel:
            suggestion = _did_you_mean(rel[-1], _known_keys(schema, rel[:-1]))
            message = f"unknown key {str(rel[-1])!r}{suggestion}"
        else:
            message = humanize_error(leaf, value=value)
        issues.append(ConfigIssue(file, line, dotted, message))
    return issues


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

    @classmethod
    def from_dict(cls, validated: dict[str, Any]) -> HubConfig:
        """Build from HUB_SCHEMA's output (defaults already filled in)."""
        fields = ("name", "time_zone", "unit_system", "currency", "port")
        return cls(data_dir=validated.get("data_dir"), **{f: validated[f] for f in fields})
