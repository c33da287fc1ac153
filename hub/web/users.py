"""User accounts: name, role, argon2id password hash and (for residents) their vehicles.

They live in `<data_dir>/users.json` (mode 0600), written atomically. Two writers share
it: the CLI (`parkhub user add ...`, no hub running or a hub running beside it) and the
hub itself (onboarding, password changes, vehicles). Each write re-reads the file first,
and the hub notices a rewrite by the file's signature, so neither loses the other's
change. Hashing costs tens of milliseconds of CPU on purpose: the hub runs it in the
executor, never on the loop.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final, TypeVar

import voluptuous as vol
from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from hub.core.context import new_id
from hub.core.exceptions import HubError
from hub.core.files import FileSignature, file_signature, read_json_list, write_atomically
from hub.core.hub import ExecutorJob
from hub.core.json import json_bytes
from hub.validation import plate as valid_plate

__all__ = [
    "ROLES",
    "USERS_FILE",
    "User",
    "UserError",
    "UserStore",
    "add_user",
    "hash_password",
    "list_users",
    "remove_user",
    "set_password",
    "verify_password",
]

_LOGGER = logging.getLogger(__name__)
_T = TypeVar("_T")

USERS_FILE: Final = "users.json"
ROLES: Final = ("admin", "operator", "resident")
_VERSION: Final = 1
MIN_PASSWORD: Final = 8
MAX_PASSWORD: Final = 1024
MAX_NAME: Final = 64
MAX_VEHICLES: Final = 20

# argon2id, 10 MiB, 2 passes, 1 lane: one verification measured 55-85 ms on one core of
# the 2-core test machine (bench/auth.py), under the 100 ms a login may cost. Hashes
# carry their parameters, so raising these later rehashes each user at their next login.
_HASHER: Final = PasswordHasher(time_cost=2, memory_cost=10240, parallelism=1, type=Type.ID)


class UserError(HubError):
    """A user operation the caller got wrong (unknown user, bad name, short password)."""


@dataclass(frozen=True, slots=True)
class User:
    """One account as the hub checks it; `password` is the argon2 hash."""

    id: str
    name: str
    role: str
    password: str
    vehicles: tuple[str, ...] = field(default=())
    created: str = ""

    def as_dict(self) -> dict[str, Any]:
        """The public view (no hash), for the API and `parkhub user list`."""
        return {
            "id": self.id,
            "name": self.name,
            "role": self.role,
            "vehicles": list(self.vehicles),
            "created": self.created,
        }

    def record(self) -> dict[str, Any]:
        return {**self.as_dict(), "password": self.password}


def hash_password(password: str) -> str:
    """The argon2id hash of `password` (CPU-bound: call it off the loop)."""
    return _HASHER.hash(password)


def verify_password(stored: str, password: str) -> bool:
    """Whether `password` matches the hash (CPU-bound: call it off the loop)."""
    try:
        return _HASHER.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    try:
        return _HASHER.check_needs_rehash(stored)
    except InvalidHashError:
        return False


def check_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > MAX_NAME or not all(ch.isalnum() or ch in "._-@" for ch in name):
        raise UserError(
            f"invalid user name {name!r}: 1-{MAX_NAME} letters, digits, '.', '_', '-' or '@'"
        )
    return name


def check_password(password: str) -> str:
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise UserError(f"a password needs {MIN_PASSWORD} to {MAX_PASSWORD} characters")
    return password


def check_role(role: str) -> str:
    if role not in ROLES:
        raise UserError(f"unknown role {role!r}: expected one of {', '.join(ROLES)}")
    return role


def normalize_vehicles(plates: Iterable[Any]) -> tuple[str, ...]:
    """Plates as the lot compares them (`ka-01 ab 1234` -> `KA01AB1234`), each once: the
    shared plate check, so a vehicle is refused exactly when a parking service would be."""
    found: list[str] = []
    for index, raw in enumerate(plates):
        try:
            plate = valid_plate(raw)
        except vol.Invalid as err:
            raise UserError(f"vehicles[{index}]: {err.msg}") from None
        if plate not in found:
            found.append(plate)
    if len(found) > MAX_VEHICLES:
        raise UserError(f"vehicles: at most {MAX_VEHICLES} plates per user")
    return tuple(found)


# -- the file ---------------------------------------------------------------------------


def _read(path: Path) -> list[User]:
    try:
        records = read_json_list(path, "users")
    except ValueError as err:
        raise UserError(str(err)) from None
    users = []
    for record in records:
        try:
            users.append(
                User(
                    str(record["id"]),
                    str(record["name"]),
                    str(record["role"]),
                    str(record["password"]),
                    tuple(str(plate) for plate in record.get("vehicles") or ()),
                    str(record.get("created", "")),
                )
            )
        except (KeyError, TypeError) as err:
            _LOGGER.warning("Skipping a user in %s without %s", USERS_FILE, err)
    return users


def _write(path: Path, users: list[User]) -> None:
    write_atomically(
        path, json_bytes({"version": _VERSION, "users": [user.record() for user in users]})
    )


def _find(users: list[User], name: str) -> int:
    for index, user in enumerate(users):
        if user.name == name:
            return index
    raise UserError(f"no user {name!r}")


def list_users(data_dir: Path) -> list[User]:
    return _read(Path(data_dir) / USERS_FILE)


def add_user(data_dir: Path, name: str, role: str, password: str) -> User:
    """Create a user (blocking: hashes and writes). A taken name is a UserError."""
    name, role, password = check_name(name), check_role(role), check_password(password)
    path = Path(data_dir) / USERS_FILE
    users = _read(path)
    if any(user.name == name for user in users):
        raise UserError(f"user {name!r} exists already")
    user = User(new_id(), name, role, hash_password(password), (), datetime.now(UTC).isoformat())
    _write(path, [*users, user])
    return user


def remove_user(data_dir: Path, name: str) -> User:
    """Delete a user; its tokens stop working (they name the user, who is gone)."""
    path = Path(data_dir) / USERS_FILE
    users = _read(path)
    user = users.pop(_find(users, name))
    _write(path, users)
    return user


def update_user(data_dir: Path, name: str, **changes: Any) -> User:
    """Replace fields of one user (`password` given in clear is hashed here)."""
    path = Path(data_dir) / USERS_FILE
    users = _read(path)
    index = _find(users, name)
    if "password" in changes:
        changes["password"] = hash_password(check_password(changes["password"]))
    if "role" in changes:
        check_role(changes["role"])
    if "vehicles" in changes:
        changes["vehicles"] = normalize_vehicles(changes["vehicles"])
    users[index] = replace(users[index], **changes)
    _write(path, users)
    return users[index]


def set_password(data_dir: Path, name: str, password: str) -> User:
    return update_user(data_dir, name, password=password)


class UserStore:
    """users.json as the running hub sees it: lookups from memory, changes via the executor.

    `async_refresh` re-reads the file when its signature changed (the CLI wrote it);
    callers rate-limit that (the access checker does, every couple of seconds).
    """

    def __init__(self, data_dir: Path, executor: ExecutorJob | None = None) -> None:
        self.data_dir = Path(data_dir)
        self._path = self.data_dir / USERS_FILE
        self._executor = executor
        self._by_id: dict[str, User] = {}
        self._by_name: dict[str, User] = {}
        self._signature: FileSignature | None = None
        self._lock = asyncio.Lock()
        # One hash at a time: a flood of logins from many addresses queues here instead
        # of filling the executor the cameras share, and on a 2-core box a core stays
        # free for the loop (two at once let a busy machine stall the loop 400 ms).
        self._hashing = asyncio.Semaphore(1)

    async def run(self, func: Callable[..., _T], *args: Any) -> _T:
        """Run blocking work (hashing, the file) in the hub's executor."""
        if self._executor is not None:
            result: _T = await self._executor(func, *args)
            return result
        return await asyncio.get_running_loop().run_in_executor(None, func, *args)

    def _load_if_changed(
        self, known: FileSignature | None
    ) -> tuple[FileSignature | None, list[User]]:
        signature = file_signature(self._path)
        if signature == known and known is not None:
            return signature, list(self._by_id.values())
        try:
            return signature, _read(self._path)
        except UserError as err:
            _LOGGER.warning("No user can log in: %s", err)
            return signature, []

    def _set(self, users: list[User]) -> None:
        self._by_id = {user.id: user for user in users}
        self._by_name = {user.name: user for user in users}

    async def async_refresh(self) -> bool:
        """Re-read users.json if it changed; True when it did."""
        async with self._lock:
            signature, users = await self.run(self._load_if_changed, self._signature)
            changed = signature != self._signature
            self._signature = signature
            if changed:
                self._set(users)
            return changed

    async def _async_change(self, func: Callable[..., User], *args: Any, **kw: Any) -> User:
        async with self._lock:

            def job() -> tuple[User, FileSignature | None, list[User]]:
                user = func(self.data_dir, *args, **kw)
                return user, file_signature(self._path), _read(self._path)

            user, self._signature, users = await self.run(job)
            self._set(users)
            return user

    async def async_add(self, name: str, role: str, password: str) -> User:
        return await self._async_change(add_user, name, role, password)

    async def async_remove(self, name: str) -> User:
        return await self._async_change(remove_user, name)

    async def async_update(self, name: str, **changes: Any) -> User:
        return await self._async_change(update_user, name, **changes)

    def get(self, user_id: str) -> User | None:
        return self._by_id.get(user_id)

    def by_name(self, name: str) -> User | None:
        return self._by_name.get(name)

    def all(self) -> list[User]:
        return list(self._by_id.values())

    def has_admin(self) -> bool:
        return any(user.role == "admin" for user in self._by_id.values())

    async def async_verify(self, name: str, password: str) -> User | None:
        """The user when `password` is theirs; hashing runs in the executor either way.

        An unknown name is checked against a dummy hash, so the answer takes as long as
        for a real user and does not tell which names exist.
        """
        user = self._by_name.get(name)
        if user is None and await self.async_refresh():  # added by the CLI a moment ago
            user = self._by_name.get(name)
        stored = user.password if user is not None else _DUMMY_HASH
        async with self._hashing:
            matched = await self.run(verify_password, stored, password)
        if not matched or user is None:
            return None
        if needs_rehash(stored):
            await self.async_update(user.name, password=password)
        return user


# A real hash of a password nobody has: verifying against it costs what a real check does.
_DUMMY_HASH: Final = (
    "$argon2id$v=19$m=10240,t=2,p=1$2/2shVnMbMf+N11B0hyq8w$"
    "i8cG46NpO5xZvW9BHYcMtSSOCsDoysjP8GXaUIViZ14"
)
