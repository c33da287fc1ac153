"""Who may connect to the embedded broker: the hub, controllers, and accounts from config.

At first start the hub makes two random passwords and keeps them in
`data/mqtt_credentials.json` (readable by the hub's user only): one for itself, one shared
by barrier controllers and bay sensors. `parkhub mqtt credentials` prints them. More
accounts come from `mqtt: embedded: users:` (`role: controller` or `role: admin`; an
admin account, e.g. Home Assistant or a keypad, may do what the hub does).

The passwords are stored as they are, not hashed: the hub needs its own to connect, and
`parkhub mqtt credentials` must be able to show a controller's to whoever installs it.
The file is the secret, like `auth.json`.
"""

from __future__ import annotations

import hmac
import json
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import voluptuous as vol

from hub import validation as cv
from hub.core.files import read_json_object, write_atomically

__all__ = [
    "CREDENTIALS_FILE",
    "HUB_USERNAME",
    "ROLE_ADMIN",
    "ROLE_CONTROLLER",
    "ROLE_HUB",
    "ROLE_NODE",
    "USERS_SCHEMA",
    "BrokerAccount",
    "BrokerAccounts",
    "load_or_create_credentials",
]

CREDENTIALS_FILE: Final = "mqtt_credentials.json"
HUB_USERNAME: Final = "parkhub"
CONTROLLER_USERNAME: Final = "controller"
ROLE_HUB: Final = "hub"
ROLE_ADMIN: Final = "admin"
ROLE_CONTROLLER: Final = "controller"
# A worker hub (`hub: node: <id>`) whose username is its node id: a controller's rights
# plus its own `<prefix>/nodes/<id>/` (README "Growing past one box").
ROLE_NODE: Final = "node"
_PASSWORD_BYTES: Final = 24


def _node_named_by_slug(account: dict[str, Any]) -> dict[str, Any]:
    """A node account's username is the node's id, the level its topics live under."""
    if account["role"] == ROLE_NODE:
        try:
            cv.slug(account["username"])
        except vol.Invalid as err:
            raise vol.Invalid(
                f"a node account's username is its node id: {err}", path=["username"]
            ) from None
    return account


USERS_SCHEMA: Final = vol.Schema(
    [
        vol.All(
            vol.Schema(
                {
                    vol.Required("username"): vol.All(cv.string, vol.Length(min=1, max=64)),
                    vol.Required("password"): vol.All(cv.string, vol.Length(min=8, max=256)),
                    # controller: its own topics and discovery; admin: everything, gate
                    # commands too; node: a worker hub, under <prefix>/nodes/<username>/.
                    vol.Optional("role", default=ROLE_CONTROLLER): vol.In(
                        [ROLE_CONTROLLER, ROLE_ADMIN, ROLE_NODE]
                    ),
                }
            ),
            _node_named_by_slug,
        )
    ]
)


@dataclass(frozen=True, slots=True)
class BrokerAccount:
    username: str
    password: str
    role: str


class BrokerAccounts:
    """The accounts the broker knows; `check` compares passwords in constant time."""

    def __init__(self, accounts: list[BrokerAccount]) -> None:
        self._by_name = {account.username: account for account in accounts}

    def check(self, username: str | None, password: str | None) -> BrokerAccount | None:
        if not username or password is None:
            return None
        account = self._by_name.get(username)
        if account is None or not hmac.compare_digest(account.password.encode(), password.encode()):
            return None
        return account

    def role(self, username: str | None) -> str | None:
        account = self._by_name.get(username or "")
        return account.role if account is not None else None

    def get(self, username: str) -> BrokerAccount | None:
        return self._by_name.get(username)


def _new_password() -> str:
    return secrets.token_urlsafe(_PASSWORD_BYTES)


def load_or_create_credentials(data_dir: Path) -> tuple[BrokerAccount, BrokerAccount]:
    """The hub's and the controllers' accounts, made at first use (blocking file I/O)."""
    path = data_dir / CREDENTIALS_FILE
    try:
        stored: dict[str, Any] = read_json_object(path)
    except ValueError:
        stored = {}  # a broken file: new passwords (controllers must be told again)
    changed = False
    accounts: list[BrokerAccount] = []
    for key, username, role in (
        ("hub", HUB_USERNAME, ROLE_HUB),
        ("controller", CONTROLLER_USERNAME, ROLE_CONTROLLER),
    ):
        entry = stored.get(key)
        if not isinstance(entry, dict) or not isinstance(entry.get("password"), str):
            entry = {"username": username, "password": _new_password()}
            stored[key] = entry
            changed = True
        accounts.append(
            BrokerAccount(str(entry.get("username", username)), entry["password"], role)
        )
    if changed:
        write_atomically(path, json.dumps(stored, indent=2).encode())  # mode 0600
    return accounts[0], accounts[1]
