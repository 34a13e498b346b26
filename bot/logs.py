"""Logs that explain a failure without naming the citizen it happened to.

Every log record carries the id of the request (or queued update, or reminder) it belongs to,
so the lines of one failure can be found together and matched with the ``X-Request-Id`` a
caller saw. Every record is also redacted when it is made, exception text and traceback
included: phone numbers, 12-digit citizen ID numbers and e-mail addresses by pattern, and the
text and user id of the message being handled by value (an exception may quote what was typed,
and Decree 13/2023 counts all of it as personal data).

The redaction is a log-record factory rather than a handler filter, so it also holds for
handlers added later (a test's log capture, a library's own handler), and for the JSON lines
(``MOTCUA_LOG_FORMAT=json``, rendered by structlog) a log collector reads.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Callable, Iterator, MutableMapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

REQUEST_ID_HEADER = "X-Request-Id"

NO_REQUEST = "-"
"""The request id of records made outside any request (start-up, the reminder loop's idle)."""

FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"

MIN_CONCEALED = 4
"""Shorter texts (``ok``, ``1``) are not worth hiding and would blank out half of every line."""

MAX_CONCEALED = 16
"""Values hidden per unit of work; a long-lived worker keeps only the latest ones."""

_REQUEST_ID: ContextVar[str] = ContextVar("motcua_request_id", default=NO_REQUEST)
_CONCEALED: ContextVar[tuple[str, ...]] = ContextVar("motcua_concealed", default=())

_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"), "<email>"),
    # Citizen ID (CCCD) numbers: 12 digits, possibly grouped.
    (re.compile(r"(?<![\w.])\d{3}[ .-]?\d{3}[ .-]?\d{6}(?![\w.])"), "<id>"),
    # Vietnamese phone numbers: 0 or +84 then nine digits, possibly grouped.
    (re.compile(r"(?<![\w+])(?:\+84|84|0)(?:[ .-]?\d){9}(?!\w)"), "<phone>"),
)

_SAFE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")


def request_id() -> str:
    """The id of the unit of work running now (``-`` outside any)."""
    return _REQUEST_ID.get()


def new_request_id() -> str:
    """A fresh random request id."""
    return uuid.uuid4().hex


def accepted_request_id(given: str | None) -> str:
    """The caller's ``X-Request-Id`` when it is a plain token, otherwise a fresh one.

    A load balancer's id ties our lines to its own; anything else (long, or with spaces and
    newlines that could forge log lines) is replaced.
    """
    if given is not None and _SAFE_REQUEST_ID.fullmatch(given):
        return given
    return new_request_id()


@contextmanager
def unit_of_work(request: str | None = None) -> Iterator[str]:
    """Run the block as one unit of work: its own request id, nothing concealed yet."""
    rid = request or new_request_id()
    id_token = _REQUEST_ID.set(rid)
    concealed_token = _CONCEALED.set(())
    try:
        yield rid
    finally:
        _CONCEALED.reset(concealed_token)
        _REQUEST_ID.reset(id_token)


def ensure_request_id() -> str:
    """The current request id, after giving the unit of work one if it had none.

    Updates that reach the dispatcher outside any HTTP request (Telegram long polling, a
    platform library's own queue) get an id here; set in their context, it stays with them.
    """
    if _REQUEST_ID.get() == NO_REQUEST:
        _REQUEST_ID.set(new_request_id())
    return _REQUEST_ID.get()


def conceal(*values: str | None) -> None:
    """Hide these values from every record made for the rest of the current unit of work.

    Deliberately not undone when the caller returns: the adapter that catches a failed turn
    logs after the dispatcher has given up, and must still not print what was typed. Each
    request and each queued update runs in a context of its own, so nothing leaks to others.
    """
    added = tuple(v for v in values if v is not None and len(v.strip()) >= MIN_CONCEALED)
    if added:
        _CONCEALED.set((_CONCEALED.get() + added)[-MAX_CONCEALED:])


def redact(text: str) -> str:
    """``text`` with personal data replaced by placeholders."""
    for value in sorted(_CONCEALED.get(), key=len, reverse=True):
        text = text.replace(value, "<text>")
        stripped = value.strip()
        if stripped != value:
            text = text.replace(stripped, "<text>")
    for pattern, placeholder in _PATTERNS:
        text = pattern.sub(placeholder, text)
    return text


_FORMATTER = logging.Formatter()
_plain_factory: list[Callable[..., logging.LogRecord]] = []  # the factory install() replaced


def _stamped(plain: Callable[..., logging.LogRecord]) -> Callable[..., logging.LogRecord]:
    """A record factory making ``plain``'s records, stamped with the request id and redacted."""

    def make(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = plain(*args, **kwargs)
        record.request_id = _REQUEST_ID.get()
        try:
            message = record.getMessage()
        except Exception:  # a malformed logging call: the handler reports it as logging does
            return record
        record.msg, record.args = redact(message), None
        if record.exc_info and record.exc_info[1] is not None:
            # Formatters use exc_text as is when set: the traceback is redacted once, here.
            record.exc_text = redact(_FORMATTER.formatException(record.exc_info))
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return record

    return make


def install() -> None:
    """Stamp and redact every log record from now on (idempotent)."""
    if not _plain_factory:
        _plain_factory.append(logging.getLogRecordFactory())
        logging.setLogRecordFactory(_stamped(_plain_factory[0]))


def uninstall() -> None:
    """Go back to plain records (for tests that installed it)."""
    if _plain_factory:
        logging.setLogRecordFactory(_plain_factory.pop())


def json_formatter() -> logging.Formatter:
    """One JSON object a line: time, level, logger, request id, message and exception.

    The message and the exception are the record's own, redacted when it was made; the
    traceback is never formatted again from the live exception, which would undo that.
    """
    import structlog  # only the JSON format needs it

    def redacted_exception(
        _logger: Any, _name: str, event: MutableMapping[str, Any]
    ) -> MutableMapping[str, Any]:
        event.pop("exc_info", None)
        record = event["_record"]
        if record.exc_text:
            event["exception"] = record.exc_text
        return event

    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.stdlib.add_log_level,
            structlog.stdlib.add_logger_name,
            structlog.stdlib.ExtraAdder(allow=("request_id",)),
            redacted_exception,
        ],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.JSONRenderer(ensure_ascii=False),
        ],
    )


def configure(level: int = logging.INFO, *, json_lines: bool = False) -> None:
    """Log to stderr with request ids, redacted: what every ``motcua`` command calls first.

    With ``json_lines`` each record is one JSON object (``json_formatter``), for a collector.
    """
    install()
    if not json_lines:
        logging.basicConfig(level=level, format=FORMAT)
        return
    handler = logging.StreamHandler()
    handler.setFormatter(json_formatter())
    logging.basicConfig(level=level, handlers=[handler])
