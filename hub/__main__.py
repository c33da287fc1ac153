"""The `parkhub` command: run the hub, check a config, manage API tokens, and measure,
calibrate and set up slot occupancy."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from . import __version__

DEFAULT_CONFIG = Path("config.yaml")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="parkhub", description="A self-hosted parking-lot hub.")
    parser.add_argument("--version", action="version", version=f"parkhub {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="run the hub")
    run.add_argument("--config", type=Path, default=DEFAULT_CONFIG, help="config file")
    run.add_argument("--data", type=Path, help="data directory (default: data/ beside the config)")
    run.add_argument("--port", type=int, help="HTTP port (default: hub.port, 8123)")
    run.add_argument("--host", default="0.0.0.0", help="address to listen on (default: all)")
    run.add_argument("-v", "--verbose", action="store_true", help="debug logging")

    check = commands.add_parser("check-config", help="validate the config and exit")
    check.add_argument("--config", type=Path, default=DEFAULT_CONFIG)

    from .web.cli import add_arguments as add_account_arguments

    add_account_arguments(commands)  # `user ...`, `token ...`

    from .integrations.occupancy.cli import add_arguments as add_occupancy_arguments

    add_occupancy_arguments(commands)
    from .integrations.lpr.evaluate import add_arguments as add_lpr_arguments

    add_lpr_arguments(commands.choices["eval"])
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if getattr(args, "data", None) is not None:
        args.data = args.data.resolve()
    if args.command == "eval" and args.eval_command == "lpr":
        from .integrations.lpr.evaluate import run as run_lpr

        return run_lpr(args)
    if args.command in ("eval", "calibrate", "slots"):
        from .integrations.occupancy.cli import run as run_occupancy

        return run_occupancy(args)
    # Imported here so `parkhub --help` stays instant.
    from .bootstrap import async_run, load
    from .config import ConfigError

    try:
        loaded = load(args.config)
    except ConfigError as err:
        print(err, file=sys.stderr)  # one issue per line, sorted by file and line
        return 1

    if args.command == "check-config":
        print(f"{args.config}: OK")
        return 0
    if args.command in ("user", "token"):
        from .web.cli import run as run_accounts

        return run_accounts(args, loaded.data_dir(args.data))

    from .log import setup_logging

    setup_logging(loaded.sections.get("logger"), verbose=args.verbose)
    return asyncio.run(async_run(loaded, data_dir=args.data, host=args.host, port=args.port))


if __name__ == "__main__":
    sys.exit(main())
