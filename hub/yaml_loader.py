"""Read YAML into trees that remember where each value came from, collecting every problem.

``hub.config`` validates sections against schemas and turns voluptuous errors into
``file:line: path: message``; that needs two things from reading, kept here so the config module
does one job: values that know their file and line (``NodeDict``/``NodeList``), and reading
that does not stop at the first problem. YAML syntax errors, duplicate keys, and ``!secret``,
``!include`` and ``!env_var`` that cannot be resolved all become ``ConfigIssue`` objects; a value
that could not be read is left as ``UNRESOLVED`` so the caller skips it instead of reporting it
twice. ``ConfigIssue`` and ``ConfigError`` live here rather than in ``hub.config`` because reading
produces them first and ``hub.config`` imports this module, not the other way round.
"""

from __future__ import annotations

import difflib
import logging
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from hub.core.exceptions import HubError

__all__ = [
    "UNRESOLVED",
    "ConfigError",
    "ConfigIssue",
    "NodeDict",
    "NodeList",
    "did_you_mean",
    "load_yaml",
    "read_yaml",
]

_LOGGER = logging.getLogger(__name__)

_INT_TAG = "tag:yaml.org,2002:int"
_FLOAT_TAG = "tag:yaml.org,2002:float"
_STR_TAG = "tag:yaml.org,2002:str"
_MAP_TAG = "tag:yaml.org,2002:map"
_SEQ_TAG = "tag:yaml.org,2002:seq"
_MERGE_TAG = "tag:yaml.org,2002:merge"
_NO_VALUE: Any = object()


class _Unresolved:
    """Stands in for a value that could not be loaded; its issue is already recorded."""

    def __repr__(self) -> str:
        return "<unresolved>"


UNRESOLVED: Any = _Unresolved()
"""A value that could not be read; ``read_yaml`` has recorded the issue that says why."""


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
    """The config has problems; ``issues`` lists all of them, sorted by file then line.

    ``sections`` holds the sections that did validate, for a caller that needs only some
    of them (an automation reload must not fail over a missing secret elsewhere).
    """

    def __init__(
        self, issues: Iterable[ConfigIssue], sections: Mapping[str, Any] | None = None
    ) -> None:
        self.issues = sorted(issues, key=lambda i: (i.file, i.line, i.path, i.message))
        self.sections: dict[str, Any] = dict(sections or {})
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


# libyaml's parser when PyYAML was built with it: ~15x faster on the bundled config. Its nodes
# carry the same marks, so every issue keeps its line.
if TYPE_CHECKING:
    _BaseLoader = yaml.SafeLoader
else:
    _BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_BaseLoader):
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
            return UNRESOLVED
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
        return UNRESOLVED

    def build(self, loader: _Loader, node: yaml.Node, src: _Source, path: tuple[Any, ...]) -> Any:
        line = node.start_mark.line + 1
        if id(node) in self._active:
            self.issue(src.name, line, path, "an alias refers to itself")
            return UNRESOLVED
        if node.tag in ("!include", "!secret", "!env_var"):
            if not isinstance(node, yaml.ScalarNode) or not str(node.value).strip():
                self.issue(src.name, line, path, f"{node.tag} needs one name after it")
                return UNRESOLVED
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
            return UNRESOLVED
        try:
            return loader.construct_object(node, deep=True)
        except (yaml.YAMLError, ValueError, TypeError) as err:
            self.issue(src.name, line, path, f"invalid value: {err}")
            return UNRESOLVED

    def mapping(
        self, loader: _Loader, node: yaml.MappingNode, src: _Source, path: tuple[Any, ...]
    ) -> Any:
        own = {id(key) for key, _ in node.value if key.tag != _MERGE_TAG}
        try:
            loader.flatten_mapping(node)  # applies `<<: *anchor`; merged pairs come first
        except yaml.MarkedYAMLError as err:
            self.issue(src.name, node.start_mark.line + 1, path, f"invalid merge: {err.problem}")
            return UNRESOLVED
        result = NodeDict()
        result.file, result.line = src.name, node.start_mark.line + 1
        own_keys: set[Any] = set()
        self._active.add(id(node))
        for key_node, value_node in node.value:
            key_line = key_node.start_mark.line + 1
            key = self.build(loader, key_node, src, path)
            if key is UNRESOLVED:
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
            return UNRESOLVED
        try:
            text = target.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as err:
            self.issue(src.name, line, path, f"cannot include {arg!r}: {_reason(err)}")
            return UNRESOLVED
        # An empty included file means "nothing here" (like `key:`), so ensure_list gives [].
        return self.parse(text, _Source(target, self.name(target)), path, empty=lambda: None)

    def secret(self, name: str, src: _Source, line: int, path: tuple[Any, ...]) -> Any:
        secrets_name = self.name(self.secrets_path)
        if self._in_secrets:
            self.issue(src.name, line, path, f"!secret cannot be used inside {secrets_name}")
            return UNRESOLVED
        secrets = self.load_secrets()
        if secrets is None:
            message = f"secret {name!r} not found: {secrets_name} does not exist"
        elif not isinstance(secrets, dict):
            return UNRESOLVED  # the secrets file's own issue is already recorded
        elif name in secrets:
            return secrets[name]
        else:
            message = f"secret {name!r} not found in {secrets_name}" + did_you_mean(name, secrets)
        self.issue(src.name, line, path, message)
        return UNRESOLVED

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
                self._secrets = UNRESOLVED
            finally:
                self._in_secrets = False
            if not isinstance(self._secrets, dict) and self._secrets is not UNRESOLVED:
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
        return UNRESOLVED


def _reason(err: Exception) -> str:
    if isinstance(err, FileNotFoundError):
        return "file not found"
    if isinstance(err, UnicodeDecodeError):
        return "not UTF-8 text"
    return err.strerror if isinstance(err, OSError) and err.strerror else str(err)


def did_you_mean(word: Any, known: Iterable[Any]) -> str:
    """A " (did you mean 'x'?)" suffix naming the entry of ``known`` closest to ``word``, or ""."""
    close = difflib.get_close_matches(str(word), [str(k) for k in known], n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def read_yaml(path: Path, *, secrets: Path | None = None) -> tuple[Any, list[ConfigIssue]]:
    """Load like ``load_yaml``, but return the issues instead of raising them.

    A value that could not be loaded is ``UNRESOLVED`` (the whole result, when ``path`` itself
    could not be read or parsed); each such value has its issue in the list.
    """
    reader = _Reader(path, secrets)
    return reader.load_main(), reader.issues


def load_yaml(path: Path, *, secrets: Path | None = None) -> Any:
    """Load one YAML file with ``!secret``, ``!include`` and ``!env_var``, or raise ConfigError.

    Secrets come from ``secrets.yaml`` beside ``path`` unless ``secrets`` names another file.
    An empty main file loads as an empty NodeDict; an empty included file as None.
    """
    data, issues = read_yaml(path, secrets=secrets)
    if issues:
        raise ConfigError(issues)
    return data
