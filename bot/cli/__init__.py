"""The ``motcua`` command: one sub-command module per job, each registering its own parser."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

COMMANDS = {
    "serve": "bot.cli.serve",
    "worker": "bot.cli.serve",
    "chat": "bot.cli.chat",
    "db": "bot.cli.db",
    "kb": "bot.cli.kb",
    "ask": "bot.cli.ask",
    "user": "bot.cli.user",
    "staff": "bot.cli.staff",
    "announce": "bot.cli.announce",
    "portal-sandbox": "bot.cli.portal_sandbox",
}
"""Each sub-command and the module that registers it (``register(subparsers)``, setting
``func`` on its parser). A command's process imports its own module only: ``motcua serve``
does not keep what the other commands use (Alembic alone is about 8 MB)."""


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The argument parser for ``command`` alone, or with every sub-command registered (for
    the help, or a command that does not exist)."""
    parser = argparse.ArgumentParser(
        prog="motcua", description="Một cửa: public-service chat assistant"
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    modules = [COMMANDS[command]] if command in COMMANDS else COMMANDS.values()
    for name in dict.fromkeys(modules):
        importlib.import_module(name).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``motcua`` console script."""
    given = sys.argv[1:] if argv is None else list(argv)
    args = build_parser(given[0] if given else None).parse_args(given)
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
