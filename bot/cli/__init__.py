"""The ``motcua`` command: one sub-command module per job, each registering its own parser."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

# Sub-command modules; each exposes ``register(subparsers)`` and sets ``func`` on its parser.
_COMMANDS = (
    "bot.cli.serve",
    "bot.cli.chat",
    "bot.cli.db",
    "bot.cli.kb",
    "bot.cli.ask",
    "bot.cli.user",
    "bot.cli.staff",
    "bot.cli.announce",
    "bot.cli.portal_sandbox",
)


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser, with every sub-command registered."""
    parser = argparse.ArgumentParser(
        prog="motcua", description="Một cửa: public-service chat assistant"
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in _COMMANDS:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``motcua`` console script."""
    args = build_parser().parse_args(argv)
    try:
        result = args.func(args)
        sys.stdout.flush()
    except BrokenPipeError:
        # The reader went away (``motcua ask ... | head``): stop quietly, as other tools do.
        # Python would print a second error when flushing stdout at exit, so point it at null.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    return int(result or 0)


if __name__ == "__main__":
    sys.exit(main())
