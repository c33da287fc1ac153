"""`parkhub user ...` and `parkhub token ...`: accounts and tokens from the command line.

    parkhub user add NAME --role admin|operator|resident [--password-stdin]
    parkhub user list
    parkhub user remove NAME
    parkhub user passwd NAME --password-stdin
    parkhub token create NAME (--user USER | --role ROLE)
    parkhub token list
    parkhub token revoke ID

They write users.json / auth.json in the data directory, which a running hub picks up
within a second or two (a removed user's or revoked token's WebSockets are closed).
Without --password-stdin the password is asked for twice on the terminal, unechoed.
Every change is written to the audit log.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .paths import CONFIG_HELP, DATA_HELP

if TYPE_CHECKING:
    from .config import HubConfig

__all__ = ["add_arguments", "run"]

_ROLES = ["admin", "operator", "resident"]


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", type=Path, help=CONFIG_HELP)
    parser.add_argument("--data", type=Path, help=DATA_HELP)


def add_arguments(commands: Any) -> None:
    """Add the `user` and `token` commands to the CLI's subparsers."""
    user = commands.add_parser("user", help="user accounts (panel login)")
    user_commands = user.add_subparsers(dest="user_command", required=True)
    add = user_commands.add_parser("add", help="add a user")
    add.add_argument("name")
    add.add_argument("--role", required=True, choices=_ROLES)
    add.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    _common(add)
    listing = user_commands.add_parser("list", help="list users and their vehicles")
    _common(listing)
    remove = user_commands.add_parser("remove", help="remove a user (and their tokens)")
    remove.add_argument("name")
    _common(remove)
    passwd = user_commands.add_parser("passwd", help="set a user's password")
    passwd.add_argument("name")
    passwd.add_argument("--password-stdin", action="store_true")
    _common(passwd)

    token = commands.add_parser("token", help="API tokens")
    token_commands = token.add_subparsers(dest="token_command", required=True)
    create = token_commands.add_parser("create", help="create a long-lived token and print it")
    create.add_argument("name", help="what the token is for, e.g. 'barrier-controller'")
    create.add_argument("--user", help="the user it acts for (it carries their role)")
    create.add_argument(
        "--role",
        default="admin",
        choices=_ROLES,
        help="a service account's role (when no --user is given)",
    )
    _common(create)
    token_list = token_commands.add_parser("list", help="list tokens (never their secrets)")
    _common(token_list)
    revoke = token_commands.add_parser("revoke", help="revoke a token by its id")
    revoke.add_argument("id")
    _common(revoke)


def _password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Again: ") != first:
        raise SystemExit("parkhub: the passwords differ")
    return first


def run(args: argparse.Namespace, data_dir: Path, config: HubConfig | None = None) -> int:
    """Run a `user` or `token` command; 0 on success, 1 (with a message) on a mistake.
    `config` (the `hub:` section) says where the audit log is."""
    from functools import partial

    from hub.core.exceptions import HubError

    from .web.audit import record_cli as record

    record_cli = partial(record, config=config)
    from .web.auth import create_token, list_tokens, remove_user_tokens, revoke_token
    from .web.users import add_user, list_users, remove_user, set_password

    try:
        if args.command == "user":
            command = args.user_command
            if command == "add":
                user = add_user(data_dir, args.name, args.role, _password(args))
                record_cli(data_dir, "user.add", f"{user.name} ({user.role})")
                print(f"added {user.name} ({user.role})")
            elif command == "list":
                for user in list_users(data_dir):
                    vehicles = ",".join(user.vehicles) or "-"
                    print(f"{user.name}\t{user.role}\t{vehicles}")
            elif command == "remove":
                user = remove_user(data_dir, args.name)
                tokens = remove_user_tokens(data_dir, user.id)
                record_cli(data_dir, "user.remove", user.name, f"ok ({tokens} tokens revoked)")
                print(f"removed {user.name} and {tokens} token(s)")
            elif command == "passwd":
                user = set_password(data_dir, args.name, _password(args))
                record_cli(data_dir, "user.passwd", user.name)
                print(f"password of {user.name} changed")
            return 0
        command = args.token_command
        if command == "create":
            print(create_token(data_dir, args.name, args.role, args.user))
            record_cli(data_dir, "token.create", f"{args.name} ({args.user or args.role})")
        elif command == "list":
            names = {user.id: user.name for user in list_users(data_dir)}
            for entry in list_tokens(data_dir):
                owner = names.get(entry.get("user", ""), "-") if "user" in entry else "-"
                print(f"{entry['id']}\t{entry['name']}\t{entry['role']}\tuser={owner}")
        elif command == "revoke":
            entry = revoke_token(data_dir, args.id)
            record_cli(data_dir, "token.revoke", f"{entry.get('name')} ({args.id})")
            print(f"revoked {entry.get('name')}")
        return 0
    except HubError as err:
        print(f"parkhub {args.command} {command}: {err}", file=sys.stderr)
        return 1
