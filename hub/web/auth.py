"""Long-lived bearer tokens: created by the CLI, checked by the running hub.

Only a SHA-256 hash of each token is stored, in `<data_dir>/auth.json`, so a copy of the
data folder does not hand out API access. The CLI (`parkhub token create NAME`) writes
that file while the hub may be running; the hub re-reads it when it sees an unknown
token and the file has changed, so a new token works without a restart, and checks it
again every few seconds for a known one, so a removed token stops working soon.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final, TypeVar

from hub.core.context import new_id
from hub.core.exceptions import HubError
from hub.core.files import FileSignature, file_signature, read_json_list, write_atomically
from hub.core.hub import ExecutorJob
from hub.core.json import json_bytes

from .users import ROLES, UserStore, list_users

__all__ = [
    "AUTH_FILE",
    "ROLES",
    "AuthFileError",
    "TokenInfo",
    "TokenStore",
    "create_token",
    "hash_token",
    "list_tokens",
    "revoke_token",
]

_LOGGER = logging.getLogger(__name__)
_T = TypeVar("_T")

AUTH_FILE: Final = "auth.json"
_VERSION: Final = 1
# How long a known token is trusted before the file is looked at again (revocation lag).
RECHECK_INTERVAL: Final = 5.0


class AuthFileError(HubError):
    """auth.json exists but cannot be used; refusing to overwrite it keeps its tokens."""


@dataclass(frozen=True, slots=True)
class TokenInfo:
    """Who is asking: a validated token or a login session, kept on the request and the
    WebSocket so the policy can be enforced.

    `id` is the credential (token or session id), `user_id` goes into every Context the
    caller causes, `user` is the user's name (None for a service-account token), `via` is
    `token` or `cookie` (only cookie requests need a CSRF token).
    """

    id: str
    name: str
    role: str
    user_id: str
    user: str | None = None
    via: str = "token"


@dataclass(frozen=True, slots=True)
class _StoredToken:
    info: TokenInfo
    hash: str
    owner: str | None  # the user's id, for tokens that carry a user's role


def hash_token(token: str) -> str:
    """The stored form of a token: tokens are random, so a plain SHA-256 is enough."""
    return hashlib.sha256(token.encode()).hexdigest()


def _read_entries(path: Path) -> list[dict[str, Any]]:
    """The token records in auth.json; [] when it does not exist yet."""
    try:
        tokens = read_json_list(path, "tokens")
    except ValueError as err:
        raise AuthFileError(str(err)) from None
    if not all(isinstance(item, dict) for item in tokens):
        raise AuthFileError(f"{path} has no list of tokens")
    return tokens


def _parse(entries: list[dict[str, Any]]) -> list[_StoredToken]:
    """Stored tokens from records; a record missing a field is skipped, with a warning."""
    parsed = []
    for entry in entries:
        try:
            token_id, digest = str(entry["id"]), str(entry["hash"])
            info = TokenInfo(token_id, str(entry["name"]), str(entry["role"]), token_id)
        except KeyError as err:
            _LOGGER.warning("Skipping a token in %s without %s", AUTH_FILE, err)
            continue
        owner = entry.get("user")
        parsed.append(_StoredToken(info, digest, None if owner is None else str(owner)))
    return parsed


def create_token(data_dir: Path, name: str, role: str = "admin", user: str | None = None) -> str:
    """Create a long-lived token and return it; only its hash is kept.

    With `user` (a user's name) the token carries that user's role, now and after any
    change, and dies with the user; without, it is a service account with `role`.
    A plain function, because the CLI calls it while no hub (and no loop) runs.
    """
    if not name.strip():
        raise HubError("a token needs a name")
    if role not in ROLES:
        raise HubError(f"unknown role {role!r}: expected one of {', '.join(ROLES)}")
    path = Path(data_dir) / AUTH_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    entries = _read_entries(path)
    token = secrets.token_urlsafe(32)
    entry: dict[str, Any] = {"id": new_id(), "name": name.strip(), "role": role}
    if user is not None:
        owner = next((found for found in list_users(data_dir) if found.name == user), None)
        if owner is None:
            raise HubError(f"no user {user!r} (add one with `parkhub user add`)")
        entry.update(role=owner.role, user=owner.id)
    entry.update(created=datetime.now(UTC).isoformat(), hash=hash_token(token))
    entries.append(entry)
    write_atomically(path, json_bytes({"version": _VERSION, "tokens": entries}))
    return token


def list_tokens(data_dir: Path) -> list[dict[str, Any]]:
    """The token records without their hashes."""
    entries = _read_entries(Path(data_dir) / AUTH_FILE)
    return [{key: value for key, value in entry.items() if key != "hash"} for entry in entries]


def revoke_token(data_dir: Path, token_id: str, owner: str | None = None) -> dict[str, Any]:
    """Delete a token by id (only one owned by user id `owner`, when given).

    Raises HubError when there is no such token, so "not yours" and "not there" look
    the same to a caller who may not know which tokens exist.
    """
    path = Path(data_dir) / AUTH_FILE
    entries = _read_entries(path)
    for index, entry in enumerate(entries):
        if str(entry.get("id")) == token_id and (owner is None or entry.get("user") == owner):
            del entries[index]
            write_atomically(path, json_bytes({"version": _VERSION, "tokens": entries}))
            return {key: value for key, value in entry.items() if key != "hash"}
    raise HubError(f"no token {token_id!r}")


def remove_user_tokens(data_dir: Path, user_id: str) -> int:
    """Delete every token of a removed user; how many went."""
    path = Path(data_dir) / AUTH_FILE
    entries = _read_entries(path)
    kept = [entry for entry in entries if entry.get("user") != user_id]
    if len(kept) != len(entries):
        write_atomically(path, json_bytes({"version": _VERSION, "tokens": kept}))
    return len(entries) - len(kept)


class TokenStore:
    """The tokens of auth.json, as the running hub checks them.

    File access runs through `executor` (the hub's `async_add_executor_job`), so the
    loop never blocks on the disk.
    """

    def __init__(
        self,
        data_dir: Path,
        executor: ExecutorJob | None = None,
        users: UserStore | None = None,
    ) -> None:
        self._path = Path(data_dir) / AUTH_FILE
        self._executor = executor
        self._users = users
        self._tokens: list[_StoredToken] = []
        self._signature: FileSignature | None = None
        self._checked_at = 0.0
        self._reload_lock = asyncio.Lock()

    async def _run(self, func: Callable[..., _T], *args: Any) -> _T:
        if self._executor is not None:
            result: _T = await self._executor(func, *args)
            return result
        return await asyncio.get_running_loop().run_in_executor(None, func, *args)

    def _load_if_changed(
        self, known: FileSignature | None
    ) -> tuple[FileSignature | None, list[_StoredToken]] | None:
        """In a worker thread: the file's signature and tokens, or None when unchanged."""
        signature = file_signature(self._path)
        if signature == known and known is not None:
            return None
        try:
            tokens = _parse(_read_entries(self._path))
        except AuthFileError as err:
            _LOGGER.warning("No API tokens accepted: %s", err)
            tokens = []
        return signature, tokens

    async def async_load(self) -> None:
        """Read auth.json (again, if it changed since the last read)."""
        async with self._reload_lock:
            self._checked_at = time.monotonic()
            loaded = await self._run(self._load_if_changed, self._signature)
            if loaded is not None:
                self._signature, self._tokens = loaded

    def _match(self, digest: str) -> _StoredToken | None:
        """Compare against every stored hash in constant time, with no early exit."""
        found = None
        for stored in self._tokens:
            if hmac.compare_digest(stored.hash, digest):
                found = stored
        return found

    async def _async_owned(self, stored: _StoredToken) -> TokenInfo | None:
        """A user's token takes the user's current role; a removed user's token is dead."""
        if stored.owner is None:
            return stored.info
        if self._users is None:
            return None
        user = self._users.get(stored.owner)
        if user is None and await self._users.async_refresh():
            user = self._users.get(stored.owner)
        if user is None:
            return None
        info = stored.info
        return TokenInfo(info.id, info.name, user.role, user.id, user.name)

    async def async_validate(self, token: str) -> TokenInfo | None:
        """The owner of `token`, or None when it is not (or no longer) valid."""
        digest = hash_token(token)
        stored = self._match(digest)
        # Monotonic, not the hub's clock: this is a rate limit on disk reads, not hub time.
        if stored is None or time.monotonic() - self._checked_at > RECHECK_INTERVAL:
            await self.async_load()
            stored = self._match(digest)
        return None if stored is None else await self._async_owned(stored)

    def is_known(self, token_id: str) -> bool:
        """Whether a token id is still in the file (as last read): open sockets ask this."""
        return any(stored.info.id == token_id for stored in self._tokens)

    @property
    def signature(self) -> FileSignature | None:
        return self._signature

    def __len__(self) -> int:
        return len(self._tokens)
