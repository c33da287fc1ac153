"""The `parkhub` command: run the hub, check a config, manage API tokens, and measure,
calibrate and set up slot occupancy.

Only the standard library is imported before a command runs, so `parkhub --help` stays
instant; `hub.paths` says where the config and the data folder come from.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import __version__
from .paths import CONFIG_HELP, DATA_HELP, choose_config, choose_data

# Commands whose arguments live with their integration (importing it pulls in numpy and
# OpenCV): their full parsers are built only when one of them is the command.
_HEAVY_COMMANDS = {
    "eval": "measure a detector on labelled data",
    "calibrate": "fit a lot's own occupancy model",
    "slots": "slot polygons",
}


def _parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="parkhub", description="A self-hosted parking-lot hub.")
    parser.add_argument("--version", action="version", version=f"parkhub {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="run the hub")
    run.add_argument("--config", type=Path, help=CONFIG_HELP)
    run.add_argument("--data", type=Path, help=DATA_HELP)
    run.add_argument("--port", type=int, help="HTTP port (default: hub.port, 8123)")
    run.add_argument("--host", default="0.0.0.0", help="address to listen on (default: all)")
    run.add_argument("-v", "--verbose", action="store_true", help="debug logging")

    check = commands.add_parser("check-config", help="validate the config and exit")
    check.add_argument("--config", type=Path, help=CONFIG_HELP)

    init = commands.add_parser("init", help="write a starter config.yaml (the demo lot) to edit")
    init.add_argument("folder", type=Path, nargs="?", default=Path("."), help="(default: here)")
    init.add_argument("--force", action="store_true", help="replace an existing config.yaml")

    from .cli_accounts import add_arguments as add_account_arguments

    add_account_arguments(commands)  # `user ...`, `token ...`
    from .cli_mqtt import add_arguments as add_mqtt_arguments

    add_mqtt_arguments(commands)  # `mqtt credentials`

    words = sys.argv[1:] if argv is None else argv
    if not any(word in _HEAVY_COMMANDS for word in words):
        for name, text in _HEAVY_COMMANDS.items():
            commands.add_parser(name, help=text, add_help=False)
        return parser
    from .integrations.occupancy.cli import add_arguments as add_occupancy_arguments

    add_occupancy_arguments(commands)
    from .integrations.lpr.evaluate import add_arguments as add_lpr_arguments

    add_lpr_arguments(commands.choices["eval"])
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser(argv).parse_args(argv)
    if args.command == "init":
        return _init(args.folder, force=args.force)
    if hasattr(args, "config") and args.command in (
        "run",
        "check-config",
        "token",
        "user",
        "mqtt",
    ):
        choice = choose_config(args.config)
        args.config = choice.path
        if choice.bundled and args.command != "check-config":
            print(
                f"No config.yaml here: running the bundled demo lot ({choice.path});"
                " `parkhub init` writes one to edit.",
                file=sys.stderr,
            )
        if hasattr(args, "data"):
            args.data = choose_data(args.data, choice)
    elif getattr(args, "data", None) is not None:
        args.data = args.data.resolve()
    if args.command == "eval" and args.eval_command == "lpr":
        from .integrations.lpr.evaluate import run as run_lpr

        return run_lpr(args)
    if args.command in ("eval", "calibrate", "slots"):
        from .integrations.occupancy.cli import run as run_occupancy

        return run_occupancy(args)
    if args.command == "mqtt":
        from .cli_mqtt import run as run_mqtt

        return run_mqtt(args)
    # Imported here so `parkhub --help` stays instant.
    from .bootstrap import async_run, load
    from .config import ConfigError

    try:
        loaded = load(args.config)
    except ConfigError as err:
        print(err, file=sys.stderr)  # one issue per line, sorted by file and line
        return 1

    if args.command == "check-config":
        from .config_files import missing_files

        if missing := missing_files(loaded.path, loaded.sections):
            print("\n".join(str(issue) for issue in missing), file=sys.stderr)
            return 1
        print(f"{args.config}: OK")
        return 0
    if args.command in ("user", "token"):
        from .cli_accounts import run as run_accounts

        return run_accounts(args, loaded.data_dir(args.data), loaded.hub)

    import asyncio

    from .log import setup_logging

    setup_logging(loaded.sections.get("logger"), verbose=args.verbose)
    return asyncio.run(async_run(loaded, data_dir=args.data, host=args.host, port=args.port))


def _init(folder: Path, *, force: bool) -> int:
    from .paths import write_starter

    try:
        path = write_starter(folder, force=force)
    except OSError as err:
        print(f"parkhub init: {err}", file=sys.stderr)
        return 1
    print(f"Wrote {path} (the demo lot, every option explained): edit it, then `parkhub run`.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
