"""The reference for ``bench.throughput``: a bare python-telegram-bot echo bot, webhook in aiohttp.

``python -m bench.echo_bot --port P --api-url URL --public-url URL`` registers its webhook with
the Bot API at ``URL`` (the fake) and answers every text message with the same text, as PTB's
custom-webhook example does: PTB without its updater, updates put on its queue by an aiohttp
route, handled concurrently, no rate limiter, no storage. ``/metrics`` gives its process CPU and
memory, read the same way as motcua's. It stops on SIGTERM.

The reference is the echo bot at its best: its cost depends on two settings of its own
(``bench/throughput.md``, "A fair reference"). httpcore's connection pool, under PTB's HTTP
layer, walks every pooled connection at the start and the end of every request (a
``getpeername`` and a ``select`` on each idle one, and a count of the idle ones for each), so
with PTB's default pool of 256 the bot's cost a message grew with the connections a burst of
sends had opened: 4.5–6.6 ms a message against 1.2–1.6 with ``POOL`` connections and
``CONCURRENT`` updates in hand. Eight connections carry far more than Telegram's 30 messages
a second to one bot at its round trip.
"""

from __future__ import annotations

import argparse
import asyncio
import signal

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from telegram import Update
from telegram.ext import Application, ContextTypes, MessageHandler, filters

SECRET = "echo-bot-secret"
PATH = "/webhooks/telegram"

POOL = 8
"""Connections to the Bot API (PTB's ``connection_pool_size``; 256 by default)."""

CONCURRENT = 32
"""Updates handled at once (PTB's ``concurrent_updates``; 256 for ``True``)."""


async def echo(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer a text message with its text."""
    if update.message is not None and update.message.text is not None:
        await update.message.reply_text(update.message.text)


async def main() -> None:
    """Serve the webhook until SIGTERM."""
    parser = argparse.ArgumentParser(prog="python -m bench.echo_bot", description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--api-url", required=True)
    parser.add_argument("--public-url", required=True)
    parser.add_argument("--token", required=True)
    args = parser.parse_args()

    application = (
        Application.builder()
        .token(args.token)
        .base_url(f"{args.api_url}/bot")
        .updater(None)
        .concurrent_updates(CONCURRENT)
        .connection_pool_size(POOL)
        .build()
    )
    application.add_handler(MessageHandler(filters.TEXT, echo))

    async def webhook(request: web.Request) -> web.Response:
        if request.headers.get("X-Telegram-Bot-Api-Secret-Token") != SECRET:
            return web.Response(status=403)
        await application.update_queue.put(Update.de_json(await request.json(), application.bot))
        return web.Response()

    async def metrics(_request: web.Request) -> web.Response:
        response = web.Response(body=generate_latest())
        response.headers["Content-Type"] = CONTENT_TYPE_LATEST
        return response

    server = web.Application()
    server.router.add_post(PATH, webhook)
    server.router.add_get("/metrics", metrics)
    runner = web.AppRunner(server, access_log=None, handle_signals=False)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    async with application:
        await application.start()
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", args.port).start()
        # Registered last: the benchmark starts once the webhook is set.
        await application.bot.set_webhook(args.public_url + PATH, secret_token=SECRET)
        await stop.wait()
        await runner.cleanup()
        await application.stop()


if __name__ == "__main__":
    asyncio.run(main())
