"""Keep the bot token out of the logs: the Bot API puts it in every request URL."""

from __future__ import annotations

import logging

# httpx logs each request URL, token included, at INFO on this very logger (a filter on a
# logger only sees records created on it, so the name must be exact).
TOKEN_LOGGERS = ("httpx",)


class TokenRedactor(logging.Filter):
    """Replaces the token in log records with ``<token>``; a token is a credential."""

    def __init__(self, token: str) -> None:
        super().__init__()
        self._token = token

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record's message when it contains the token; never drop a record."""
        message = record.getMessage()
        if self._token in message:
            record.msg = message.replace(self._token, "<token>")
            record.args = None
        return True

    def install(self) -> None:
        """Start redacting the loggers that see request URLs."""
        for name in TOKEN_LOGGERS:
            logging.getLogger(name).addFilter(self)

    def uninstall(self) -> None:
        """Stop redacting (the channel stopped)."""
        for name in TOKEN_LOGGERS:
            logging.getLogger(name).removeFilter(self)
