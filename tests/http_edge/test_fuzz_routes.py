"""Every HTTP route of the served app, fuzzed: whatever arrives, the answer is never a 5xx.

Hypothesis draws requests from ``hostile`` (each route's real shape with any field replaced,
deep nesting, broken encodings, forged and genuine signatures) and sends them over HTTP to the
app with all four channels on. Every answer must be below 500, and every refusal must say why
without a traceback. Messages that were accepted must then be handled without an error.

``make test`` runs ``MOTCUA_FUZZ_EXAMPLES`` (default 200) cases per route; ``make fuzz`` runs
10,000 and prints how many answers of each status every route gave.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import AsyncIterator

import hostile
import pytest
from edge_support import FUZZ_EXAMPLES, STATUSES, TELEGRAM_SECRET, Answer, Edge
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytestmark = pytest.mark.slow

fuzz = settings(
    max_examples=FUZZ_EXAMPLES,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,  # one served app takes every example
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)


def check(route: str, answer: Answer, method: str = "POST") -> None:
    """Never a 5xx; a refusal has a body that is a message, not a traceback."""
    STATUSES.setdefault(route, Counter())[answer.status] += 1
    assert answer.status < 500, answer
    if answer.status >= 400 and method != "HEAD":
        assert answer.text.strip(), answer
        assert "Traceback" not in answer.text, answer


@pytest.fixture
async def calm(fuzzed_edge: Edge, caplog: pytest.LogCaptureFixture) -> AsyncIterator[None]:
    """After all the examples: every accepted message was handled, and none failed."""
    caplog.set_level(logging.WARNING)
    yield
    await fuzzed_edge.settle()
    failures = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert not failures, failures


@fuzz
@given(body=hostile.chat_bodies, content_type=st.sampled_from(["application/json", "text/plain"]))
async def test_web_chat(fuzzed_edge: Edge, calm: None, body: bytes, content_type: str) -> None:
    check("POST /api/chat", await fuzzed_edge.chat(body, content_type))


@fuzz
@given(query=hostile.upload_queries, body=hostile.upload_bodies)
async def test_web_chat_upload(fuzzed_edge: Edge, calm: None, query: str, body: bytes) -> None:
    answer = await fuzzed_edge.request("POST", f"/api/chat/file?{query}", body)
    check("POST /api/chat/file", answer)


@fuzz
@given(query=hostile.history_queries)
async def test_web_chat_history(fuzzed_edge: Edge, query: str) -> None:
    check("GET /api/history", await fuzzed_edge.request("GET", f"/api/history?{query}"), "GET")


@fuzz
@given(
    body=hostile.telegram_bodies,
    secret=st.sampled_from([TELEGRAM_SECRET] * 4 + ["", "wrong", "é"]),
)
async def test_telegram_webhook(fuzzed_edge: Edge, calm: None, body: bytes, secret: str) -> None:
    check("POST /webhooks/telegram", await fuzzed_edge.telegram_update(body, secret))


@fuzz
@given(body=hostile.messenger_bodies, signed=st.integers(0, 9).map(bool))
async def test_messenger_webhook(fuzzed_edge: Edge, calm: None, body: bytes, signed: bool) -> None:
    check("POST /webhooks/messenger", await fuzzed_edge.messenger_event(body, signed=signed))


@fuzz
@given(query=hostile.messenger_handshakes)
async def test_messenger_handshake(fuzzed_edge: Edge, query: str) -> None:
    answer = await fuzzed_edge.request("GET", f"/webhooks/messenger?{query}")
    check("GET /webhooks/messenger", answer, "GET")


@fuzz
@given(body=hostile.zalo_bodies, data=st.data())
async def test_zalo_webhook(
    fuzzed_edge: Edge, calm: None, body: bytes, data: st.DataObject
) -> None:
    # Signed for the timestamp the body carries as Zalo would, or for another, or not at all.
    found = hostile.zalo_timestamp(body)
    others = st.one_of(hostile.texts, st.none())
    timestamp = data.draw(st.integers(0, 9).flatmap(lambda n: others if n == 0 else st.just(found)))
    check("POST /webhooks/zalo", await fuzzed_edge.zalo_event(body, timestamp))


@fuzz
@given(method=hostile.methods, path=hostile.paths, body=st.binary(max_size=100))
async def test_any_other_request(fuzzed_edge: Edge, method: str, path: str, body: bytes) -> None:
    answer = await fuzzed_edge.request(method, path, body or None)
    check(f"{method} other paths", answer, method)
