"""The one aiohttp server: web chat, every channel's webhook, the staff console and ``/healthz``."""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger
from aiohttp.typedefs import Handler
from aiohttp.web_request import BaseRequest
from sqlalchemy.exc import SQLAlchemyError

from bot import logs
from bot.app import App, build_app
from bot.config import Settings
from bot.console.app import PREFIX, console_application
from bot.metrics import CONTENT_TYPE
from bot.storage.database import unreachable
from bot.storage.schema_head import at_head
from integrations.http_input import MAX_REQUEST_BYTES, RETRY_AFTER
from knowledge.store import KnowledgeBaseFormatError

log = logging.getLogger(__name__)


class SchemaNotReady(RuntimeError):
    """The database could not be brought to this code's schema (its process said why)."""


STARTUP_ERRORS: tuple[type[Exception], ...] = (
    OSError,
    KnowledgeBaseFormatError,
    SQLAlchemyError,
    SchemaNotReady,
)
"""What can stop the app from starting (port taken, knowledge base or database unusable);
commands report these in one line instead of a traceback."""

APP_KEY = web.AppKey("motcua", App)


class PathAccessLogger(AbstractAccessLogger):
    """Logs method, path, status, time and request id; never query strings (they carry ids)."""

    def log(self, request: BaseRequest, response: web.StreamResponse, time: float) -> None:
        """Write one line per request."""
        self.logger.info(
            "%s %s %s %.1fms id=%s",
            request.method,
            request.path,
            response.status,
            time * 1000,
            response.headers.get(logs.REQUEST_ID_HEADER, logs.NO_REQUEST),
        )


@web.middleware
async def request_ids(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Give each request an id, stamped on its log lines and returned as ``X-Request-Id``.

    A citizen or platform reporting a failure can quote the id, and the one request's lines
    (traceback included) are found with it, without anyone searching the logs for their name.
    """
    with logs.unit_of_work(logs.accepted_request_id(request.headers.get(logs.REQUEST_ID_HEADER))):
        try:
            response = await handler(request)
        except web.HTTPException as exc:
            exc.headers[logs.REQUEST_ID_HEADER] = logs.request_id()
            raise
        except Exception as error:
            if unreachable(error):  # counted in /metrics by the database itself
                log.warning(
                    "%s %s: database unavailable: %s",
                    request.method,
                    request.path,
                    type(error).__name__,
                )
                return unavailable()
            # Logged here, inside the request's context, so the line carries its id.
            log.exception("%s %s failed", request.method, request.path)
            return web.json_response(
                {"error": "internal", "request_id": logs.request_id()},
                status=500,
                headers={logs.REQUEST_ID_HEADER: logs.request_id()},
            )
        if not response.prepared:
            response.headers[logs.REQUEST_ID_HEADER] = logs.request_id()
        return response


def unavailable() -> web.Response:
    """503 with ``Retry-After``: the platform sends it again later, and nothing is lost."""
    return web.json_response(
        {"error": "unavailable", "request_id": logs.request_id()},
        status=503,
        headers={"Retry-After": RETRY_AFTER, logs.REQUEST_ID_HEADER: logs.request_id()},
    )


async def healthz(request: web.Request) -> web.Response:
    """200 when the database answers, 503 otherwise: what a load balancer polls.

    The body names each backend's state: ``{"status": "ok", "database": "ok", "redis":
    "degraded"}`` is a worker serving with in-process locks while Redis is away.
    """
    try:
        backends = await request.app[APP_KEY].health()
    except Exception as error:  # any failure means "do not send traffic here"
        log.warning("health check failed: %s", type(error).__name__)
        return web.json_response(
            {"status": "unavailable", "database": "unavailable"},
            status=503,
            headers={"Retry-After": RETRY_AFTER},
        )
    return web.json_response({"status": "ok", **backends})


async def metrics(request: web.Request) -> web.Response:
    """The worker's metrics in Prometheus's text format (keep it off the public internet)."""
    body = await request.app[APP_KEY].metrics_text()
    response = web.Response(body=body)
    response.headers["Content-Type"] = CONTENT_TYPE
    return response


async def console_front(_request: web.Request) -> web.Response:
    """``/console`` as staff type it, to the front page at ``/console/``: the console's own
    routes all lie under its slash, so without one it was a "page not found"."""
    raise web.HTTPFound(PREFIX + "/")


def web_application(app: App, *, public: bool = True) -> web.Application:
    """The aiohttp application hosting every route ``app`` assembled, plus ``/healthz``.

    With ``public`` False only ``/healthz`` and ``/metrics`` are served: what ``motcua worker``
    answers its orchestrator and Prometheus with, while citizens and platforms reach the web
    workers.
    No body may exceed ``MAX_REQUEST_BYTES`` (413); each route reads against a lower limit.
    """
    application = web.Application(middlewares=[request_ids], client_max_size=MAX_REQUEST_BYTES)
    application[APP_KEY] = app
    application.router.add_get("/healthz", healthz)
    application.router.add_get("/metrics", metrics)
    if public:
        application.add_routes(app.routes)
        application.router.add_get(PREFIX, console_front)
        application.add_subapp(PREFIX, console_application(app.console))
    return application


@asynccontextmanager
async def listening(
    app: App, host: str, port: int, *, public: bool = True
) -> AsyncIterator[list[str]]:
    """Serve ``app`` on ``host:port`` until the block ends; yields the bound addresses."""
    runner = web.AppRunner(
        web_application(app, public=public),
        access_log_class=PathAccessLogger,
        handle_signals=False,
    )
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port)
        await site.start()
        yield [f"http://{a[0]}:{a[1]}" for a in runner.addresses]
    finally:
        await runner.cleanup()


async def run_until(
    app: App, host: str, port: int, stop: asyncio.Event, *, public: bool = True
) -> None:
    """Serve until ``stop`` is set, then let in-flight requests finish."""
    async with listening(app, host, port, public=public) as addresses:
        for address in addresses:
            log.info("motcua listening on %s", address)
        settle_start_up()
        await stop.wait()


def settle_start_up() -> None:
    """Take what start-up built out of the garbage collector's full rounds, for good.

    The knowledge base's index and the imported modules are some 180,000–240,000 objects that
    live as long as the process; each full collection walked all of them again (about 0.1 s of
    CPU, every few thousand messages: 13 % of a sender's CPU at 1,000 messages a second,
    measured with ``gc.callbacks``, and close to 1 ms a message answered). Start-up's garbage
    is collected first, so none of it stays frozen; an index replaced by an import is still
    freed, by reference counting: it holds no cycles.
    """
    gc.collect()
    gc.freeze()


async def prepare_apart(settings: Settings) -> None:
    """``bot.storage.schema.prepare_database`` run by a short-lived process of its own.

    Alembic and every migration script take about 10 MB a worker would keep for its whole
    life after using them once; the child process loads them instead, and its log lines go
    where this process's do. A database already at the newest migration needs no child.

    Raises:
        SchemaNotReady: the child failed (the database is unreachable, a migration failed).
    """
    if await at_head(settings.database_url):
        return
    json_logs = ["--json-logs"] if settings.log_format == "json" else []
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.storage.schema",
        *json_logs,
        env={**os.environ, "MOTCUA_DATABASE_URL": settings.database_url},
    )
    if await child.wait() != 0:
        raise SchemaNotReady(f"preparing the database failed (exit status {child.returncode})")


async def serve(settings: Settings, stop: asyncio.Event) -> None:
    """``motcua serve``: the whole application on one port until ``stop`` is set."""
    await prepare_apart(settings)
    async with build_app(settings) as app:
        app.start_background()
        await run_until(app, settings.host, settings.port, stop)


async def work(settings: Settings, stop: asyncio.Event) -> None:
    """``motcua worker``: the inbox, the outbox and the periodic rounds, without the web chat.

    It answers messages the web workers kept, sends reminders, dossier notices and status
    changes, files queued dossiers and purges expired data; platforms and citizens never reach
    it (it registers no webhook and does not poll), and its port serves ``/healthz`` and
    ``/metrics`` only.
    """
    await prepare_apart(settings)
    async with build_app(settings, receive=False) as app:
        app.start_background()
        await run_until(app, settings.host, settings.port, stop, public=False)
