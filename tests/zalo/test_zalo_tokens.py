"""Access tokens: refreshed before expiry and on -216/-220, rotated pair stored before use."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from fakes.zalo import FakeZalo
from support.handlers import RecordingHandler
from support.schema import migrated
from support.secret_store import MemorySecrets
from zalo_support import running_bot

from bot.storage.database import Database
from bot.storage.secrets import SqlSecretStore
from dialogs.errors import ConfigurationError
from dialogs.messages import ConversationRef, Reply
from integrations.zalo import ZaloChannel

USER = "7712390087431223555"
REF = ConversationRef("zalo", USER)
HELLO = [Reply("Xin chào")]


@pytest.fixture(autouse=True)
def user_interacted(zalo: FakeZalo) -> None:
    """The user wrote recently, so only token problems can stop a reply."""
    zalo.event("user_send_text", USER)


async def reply_a_day_later(zalo: FakeZalo, bot: ZaloChannel) -> None:
    """A day on, when the configured token has expired, the user writes and is answered."""
    zalo.clock.advance(hours=26)
    zalo.event("user_send_text", USER)
    await bot.send(REF, HELLO)


def stored_pair(store: MemorySecrets, zalo: FakeZalo) -> dict[str, Any]:
    """The token pair the bot keeps in its secret store."""
    return json.loads(store.values[f"zalo:{zalo.app_id}:tokens"])


async def test_the_configured_token_is_used_while_it_works(
    zalo: FakeZalo, handler: RecordingHandler, store: MemorySecrets
) -> None:
    access, refresh = zalo.issue_tokens()
    async with running_bot(zalo, handler, store, (access, refresh)) as bot:
        await bot.send(REF, HELLO)
    assert zalo.tokens_used == [access]
    assert zalo.refreshes == 0
    assert store.values == {}


async def test_an_expired_token_is_refreshed_and_the_call_retried_once(
    zalo: FakeZalo, handler: RecordingHandler, store: MemorySecrets
) -> None:
    access, refresh = zalo.issue_tokens()
    async with running_bot(zalo, handler, store, (access, refresh)) as bot:
        await reply_a_day_later(zalo, bot)  # the configured token's expiry is unknown to it
    assert zalo.rejected == [-220]
    assert zalo.refreshes == 1
    assert [m.text for m in zalo.sent] == ["Xin chào"]
    assert zalo.tokens_used[-1] == stored_pair(store, zalo)["access_token"]


async def test_an_invalid_token_is_refreshed_and_the_call_retried_once(
    zalo: FakeZalo, handler: RecordingHandler, store: MemorySecrets
) -> None:
    access, refresh = zalo.issue_tokens()
    async with running_bot(zalo, handler, store, (access, refresh)) as bot:
        zalo.revoke(access)
        await bot.send(REF, HELLO)
    assert zalo.rejected == [-216]
    assert zalo.refreshes == 1
    assert len(zalo.sent) == 1


async def test_a_token_rejected_again_after_refresh_is_not_retried_forever(
    zalo: FakeZalo, handler: RecordingHandler, store: MemorySecrets
) -> None:
    async with running_bot(zalo, handler, store) as bot:
        zalo.inject(-216, -216, -216)
        with pytest.raises(Exception, match="-216"):
            await bot.send(REF, HELLO)
    assert zalo.rejected == [-216, -216]
    assert zalo.refreshes == 1


async def test_a_token_about_to_expire_is_refreshed_before_the_call(
    zalo: FakeZalo, handler: RecordingHandler, store: MemorySecrets
) -> None:
    async with running_bot(zalo, handler, store) as bot:
        await reply_a_day_later(zalo, bot)  # learns the new token's lifetime (25 h)
        assert zalo.refreshes == 1
        zalo.clock.advance(hours=24, minutes=55)
        zalo.event("user_send_text", USER)
        await bot.send(REF, HELLO)
    assert zalo.refreshes == 2
    assert zalo.rejected == [-220]  # only the first, unknown-expiry token ever failed


async def test_a_quiet_bot_still_refreshes_ahead_of_expiry(
    zalo: FakeZalo, handler: RecordingHandler, store: MemorySecrets
) -> None:
    async with running_bot(zalo, handler, store, refresh_interval=0.001) as bot:
        await reply_a_day_later(zalo, bot)
        first = stored_pair(store, zalo)
        zalo.clock.advance(hours=24, minutes=55)
        await zalo.wait_until(lambda: zalo.refreshes == 2)  # nobody sent anything meanwhile
        zalo.event("user_send_text", USER)
        await bot.send(REF, HELLO)
    assert stored_pair(store, zalo)["refresh_token"] != first["refresh_token"]
    assert zalo.tokens_used[-1] == stored_pair(store, zalo)["access_token"]
    assert zalo.refreshes == 2


async def test_the_rotated_pair_is_stored_before_it_is_used(
    zalo: FakeZalo, handler: RecordingHandler
) -> None:
    calls_when_stored: list[int] = []

    class WatchingStore(MemorySecrets):
        async def set(self, key: str, value: str) -> None:
            calls_when_stored.append(len(zalo.tokens_used))
            await super().set(key, value)

    store = WatchingStore()
    access, refresh = zalo.issue_tokens()
    async with running_bot(zalo, handler, store, (access, refresh)) as bot:
        zalo.revoke(access)
        await bot.send(REF, HELLO)
    new_access = stored_pair(store, zalo)["access_token"]
    assert calls_when_stored == [1]  # stored after the one failed call...
    assert zalo.tokens_used.index(new_access) == 1  # ...and before the new token's first use


async def test_a_rotated_pair_that_cannot_be_stored_is_never_used(
    zalo: FakeZalo, handler: RecordingHandler
) -> None:
    class BrokenStore(MemorySecrets):
        async def set(self, key: str, value: str) -> None:
            raise OSError("disk full")

    access, refresh = zalo.issue_tokens()
    async with running_bot(zalo, handler, BrokenStore(), (access, refresh)) as bot:
        zalo.revoke(access)
        with pytest.raises(OSError, match="disk full"):
            await bot.send(REF, HELLO)
    assert zalo.tokens_used == [access]
    assert zalo.sent == []


@asynccontextmanager
async def sql_store(url: str) -> AsyncIterator[SqlSecretStore]:
    """The SQL secret store the application uses, on its own database connection."""
    async with Database(url) as database:
        yield SqlSecretStore(database)


async def test_the_rotated_refresh_token_survives_a_restart(
    zalo: FakeZalo, handler: RecordingHandler, tmp_path: Path
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'motcua.sqlite3'}"
    await migrated(url)
    configured = zalo.issue_tokens()
    async with sql_store(url) as store, running_bot(zalo, handler, store, configured) as bot:
        zalo.revoke(configured[0])
        await bot.send(REF, HELLO)  # spends the configured refresh token
    # A new process with the same settings: the configured refresh token is dead by now, so
    # only the pair stored in the database keeps the OA reachable.
    async with sql_store(url) as store, running_bot(zalo, handler, store, configured) as bot:
        await bot.send(REF, HELLO)
        zalo.clock.advance(hours=24, minutes=55)
        zalo.event("user_send_text", USER)
        await bot.send(REF, HELLO)
    assert zalo.refreshes == 2
    assert len(zalo.sent) == 3
    assert zalo.rejected == [-216]


async def test_newly_configured_tokens_replace_a_stored_chain(
    zalo: FakeZalo, handler: RecordingHandler, store: MemorySecrets
) -> None:
    async with running_bot(zalo, handler, store) as bot:
        await reply_a_day_later(zalo, bot)
    # The operator re-authorised the OA and configured a new pair.
    access, refresh = zalo.issue_tokens()
    async with running_bot(zalo, handler, store, (access, refresh)) as bot:
        await bot.send(REF, HELLO)
    assert zalo.tokens_used[-1] == access


async def test_concurrent_calls_share_one_refresh(
    zalo: FakeZalo, handler: RecordingHandler, store: MemorySecrets
) -> None:
    users = [f"user-{n}" for n in range(6)]
    async with running_bot(zalo, handler, store) as bot:
        zalo.clock.advance(hours=26)
        for user in users:
            zalo.event("user_send_text", user)
        await asyncio.gather(*(bot.send(ConversationRef("zalo", u), HELLO) for u in users))
    assert zalo.refreshes == 1  # a second refresh would have spent a dead refresh token
    assert sorted(m.user_id for m in zalo.sent) == users


async def test_a_refused_refresh_token_needs_an_operator(
    zalo: FakeZalo, handler: RecordingHandler, store: MemorySecrets
) -> None:
    access, _ = zalo.issue_tokens()
    async with running_bot(zalo, handler, store, (access, "rt-never-issued")) as bot:
        zalo.revoke(access)
        with pytest.raises(ConfigurationError, match="refresh token"):
            await bot.send(REF, HELLO)
    assert store.values == {}


async def test_a_wrong_app_secret_needs_an_operator(
    zalo: FakeZalo, handler: RecordingHandler, store: MemorySecrets
) -> None:
    async with running_bot(zalo, handler, store) as bot:
        zalo.app_secret = "rotated-in-the-console"
        zalo.clock.advance(hours=26)
        zalo.event("user_send_text", USER)
        with pytest.raises(ConfigurationError):
            await bot.send(REF, HELLO)


async def test_two_workers_on_one_store_do_not_spend_the_same_refresh_token(
    zalo: FakeZalo, handler: RecordingHandler, store: MemorySecrets
) -> None:
    configured = zalo.issue_tokens()
    async with (
        running_bot(zalo, handler, store, configured) as first,
        running_bot(zalo, handler, store, configured) as second,
    ):
        await first.send(REF, HELLO)
        await second.send(REF, HELLO)  # both now hold the configured pair in memory
        zalo.revoke(configured[0])
        await first.send(REF, HELLO)  # refreshes and stores the rotated pair
        await second.send(REF, HELLO)  # finds that pair instead of spending a dead token
    assert zalo.refreshes == 1
    assert len(zalo.sent) == 4
    assert zalo.tokens_used[-1] == stored_pair(store, zalo)["access_token"]
