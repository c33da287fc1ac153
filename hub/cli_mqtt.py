"""`parkhub mqtt credentials`: what a barrier controller needs to log in to the embedded broker.

Prints the broker's address and the accounts the hub made at first start (making them
now if the hub never ran), so whoever installs a controller can copy them into it.
It lives outside the mqtt package so that building `parkhub`'s parser does not import
the broker and the client (0.4 s).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .paths import CONFIG_HELP, DATA_HELP

__all__ = ["add_arguments", "run"]


def add_arguments(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    mqtt = commands.add_parser("mqtt", help="the embedded MQTT broker")
    actions = mqtt.add_subparsers(dest="mqtt_command", required=True)
    credentials = actions.add_parser(
        "credentials", help="print the broker's address and the controllers' login"
    )
    credentials.add_argument("--config", type=Path, help=CONFIG_HELP)
    credentials.add_argument("--data", type=Path, help=DATA_HELP)


def run(args: argparse.Namespace) -> int:
    from hub.bootstrap import load
    from hub.config import ConfigError
    from hub.integrations.mqtt import CONFIG_SCHEMA
    from hub.integrations.mqtt.broker_accounts import load_or_create_credentials
    from hub.integrations.mqtt.const import BROKER_EMBEDDED

    try:
        loaded = load(args.config)
    except ConfigError as err:
        print(err, file=sys.stderr)
        return 1
    conf = loaded.sections.get("mqtt")
    if conf is None or conf["broker"] != BROKER_EMBEDDED:
        print(
            "parkhub mqtt credentials: this config does not use the embedded broker "
            "(mqtt: broker: embedded); your broker's own accounts apply",
            file=sys.stderr,
        )
        return 1
    conf = CONFIG_SCHEMA(conf)
    hub_account, controller = load_or_create_credentials(loaded.data_dir(args.data))
    host, port = conf["embedded"]["host"], conf["embedded"]["port"]
    shown = "<this machine's address>" if host in ("0.0.0.0", "::") else host
    print(f"broker: mqtt://{shown}:{port}")
    if host in ("127.0.0.1", "::1", "localhost"):
        print("  (listening on this machine only: set mqtt: embedded: host: 0.0.0.0 for the lot)")
    print(f"controller: username {controller.username}  password {controller.password}")
    print(f"hub:        username {hub_account.username}  password {hub_account.password}")
    for user in conf["embedded"]["users"]:
        print(f"{user['role']}: username {user['username']}  (password from config.yaml)")
    return 0
