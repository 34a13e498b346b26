"""``/metrics`` tells an operator what the worker did, in Prometheus's text format.

The whole app serves Telegram (on the fake Bot API) and the web chat: messages in and out by
channel, the reply latency histogram, the inbox depth while replies are still being paced and
after, a reply refused by Telegram counted by kind, and rate-limit waits (a chat's pace,
Telegram's 429, a web identity over its limit) are all read back from ``/metrics``, parsed by
prometheus-client.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiohttp
from fakes.telegram import FakeTelegram
from prometheus_client.parser import text_string_to_metric_families
from support.apps import serving, telegram_env
from support.procedures import BIRTH

from bot.app import SystemClock
from knowledge.base import LocalKnowledgeBase


async def scrape(http: aiohttp.ClientSession, url: str) -> dict[tuple[str, frozenset], float]:
    """Every sample of ``/metrics``: (name, labels) -> value."""
    async with http.get(url + "/metrics") as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/plain")
        text = await response.text()
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(samples: dict[tuple[str, frozenset], float], name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


async def test_metrics_count_traffic_latency_queues_failures_and_waits(tmp_path: Path) -> None:
    async with FakeTelegram() as telegram:
        env = {
            "MOTCUA_DATA_DIR": str(tmp_path),
            **telegram_env(telegram),
            "MOTCUA_TELEGRAM_CHAT_RATE": "4",  # a burst of three, then one every 0.25 s
            "MOTCUA_LIMIT_WEB_IDENTITY": "2/minute",
        }
        knowledge = LocalKnowledgeBase([BIRTH])
        async with (
            serving(
                env, knowledge=knowledge, clock=SystemClock()
            ) as app,  # latency needs real time
            aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http,
        ):
            url = app.settings.public_url or ""
            citizen, blocked = telegram.user(), telegram.user(5_550_999)
            telegram.blocked.add(blocked.id)  # blocked without telling the bot
            telegram.flood(retry_after=1)  # the first send is refused once, then retried
            for n in range(8):
                citizen.send(f"khai sinh {n}")
            blocked.send("khai sinh")
            await telegram.wait_for(lambda: len({d.update_id for d in telegram.deliveries}) == 9)
            busy = await scrape(http, url)
            await telegram.wait_for(lambda: len(citizen.messages) >= 8)
            for n in range(3):
                async with http.post(url + "/api/chat", json={"text": f"hi {n}"}) as response:
                    assert response.status == (429 if n == 2 else 200)
            for _ in range(100):
                samples = await scrape(http, url)
                if value(samples, "motcua_inbox_depth") == 0:
                    break
                await asyncio.sleep(0.05)

    assert value(busy, "motcua_inbox_depth") > 0  # replies still paced out when scraped
    assert value(samples, "motcua_inbox_depth") == 0
    assert value(samples, "motcua_messages_in_total", channel="telegram") == 9
    assert value(samples, "motcua_messages_in_total", channel="web") == 2
    assert value(samples, "motcua_messages_out_total", channel="telegram") >= 8
    assert value(samples, "motcua_messages_out_total", channel="web") >= 2
    assert value(samples, "motcua_reply_latency_seconds_count", channel="telegram") == 8
    assert value(samples, "motcua_reply_latency_seconds_count", channel="web") == 2
    assert value(samples, "motcua_reply_latency_seconds_sum", channel="telegram") > 0
    errors = value(
        samples, "motcua_send_errors_total", channel="telegram", kind="RecipientUnavailable"
    )
    assert errors == 1
    assert value(samples, "motcua_rate_limit_waits_total", limit="telegram_chat") >= 1
    assert value(samples, "motcua_rate_limit_waits_total", limit="telegram_flood") == 1
    assert value(samples, "motcua_rate_limit_waits_total", limit="web_identity") == 1
    assert ("motcua_outbox_depth", frozenset({("kind", "reminders")})) in samples
    assert value(samples, "process_resident_memory_bytes") > 0
    for key in samples:  # labels name channels, limits and error kinds, never a citizen
        assert str(citizen.id) not in str(key) and "khai sinh" not in str(key)
