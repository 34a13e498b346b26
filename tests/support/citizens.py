"""A citizen chatting through a fake platform with the served app, one turn at a time: each
turn goes in through the adapter's webhook and waits until the adapter has answered it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fakes.telegram import FakeTelegram, FakeUser
from fakes.telegram import SentMessage as TelegramMessage
from fakes.zalo import FakeZalo
from fakes.zalo import SentMessage as ZaloMessage

from bot.app import App
from integrations.telegram import TelegramChannel
from integrations.zalo import ZaloChannel


class ZaloCitizen:
    """One Zalo user writing to the OA; each turn returns the messages the OA answered with."""

    def __init__(self, zalo: FakeZalo, app: App, user: str) -> None:
        channel = app.channels["zalo"]
        assert isinstance(channel, ZaloChannel)
        self.zalo = zalo
        self.channel = channel
        self.user = user

    async def follow(self) -> list[ZaloMessage]:
        """Follow the OA."""
        return await self._turn(self.zalo.event("follow", self.user))

    async def say(self, text: str) -> list[ZaloMessage]:
        """Type a message."""
        return await self._turn(self.zalo.text_event(self.user, text))

    async def tap(self, title: str) -> list[ZaloMessage]:
        """Tap a button under the OA's latest message."""
        return await self._turn(self.zalo.tap_event(self.user, title))

    async def send_image(self, data: bytes) -> list[ZaloMessage]:
        """Send a photo."""
        return await self._turn(self.zalo.image_event(self.user, data))

    async def send_file(
        self, data: bytes, name: str, *, size: int | None = None
    ) -> list[ZaloMessage]:
        """Send a file; ``size`` is the size Zalo announces, if not its own."""
        return await self._turn(self.zalo.file_event(self.user, data, name, size=size))

    async def _turn(self, event: dict[str, Any]) -> list[ZaloMessage]:
        before = len(self.zalo.sent)
        delivery = await self.zalo.emit(event)
        assert delivery.statuses == [200]
        await self.channel.join()  # the turn is queued before the 200; wait until it is answered
        return self.zalo.sent[before:]


class TelegramCitizen:
    """One Telegram user writing to the bot; each turn returns the messages the bot answered."""

    def __init__(self, telegram: FakeTelegram, app: App, user: FakeUser | None = None) -> None:
        channel = app.channels["telegram"]
        assert isinstance(channel, TelegramChannel)
        self.telegram = telegram
        self.channel = channel
        self.user = user or telegram.user()

    async def say(self, text: str) -> list[TelegramMessage]:
        """Type a message."""
        return await self._turn(lambda: self.user.send(text))

    async def tap(self, label: str) -> list[TelegramMessage]:
        """Tap a button under the bot's latest message that has it."""
        message = next(m for m in reversed(self.user.messages) if label in m.labels)
        return await self._turn(lambda: self.user.press(message, label))

    async def send_photo(self, data: bytes) -> list[TelegramMessage]:
        """Send a photo."""
        return await self._turn(lambda: self.user.send_photo(data))

    async def send_document(
        self, data: bytes, name: str, mime_type: str, *, size: int | None = None
    ) -> list[TelegramMessage]:
        """Send a file; ``size`` is the size Telegram announces, if not its own."""
        return await self._turn(lambda: self.user.send_document(data, name, mime_type, size=size))

    async def pushed(self, needle: str, times: int = 1) -> str:
        """Wait until ``times`` bot messages containing ``needle`` reached the chat outside a
        turn (a notice sent by the outbox); the text of the last."""

        def found() -> list[str]:
            return [m.text for m in self.user.messages if needle in m.text]

        await self.telegram.wait_for(lambda: len(found()) >= times)
        return found()[-1]

    async def _turn(self, act: Callable[[], dict[str, Any]]) -> list[TelegramMessage]:
        """Do ``act``, wait until the bot has acknowledged and answered it; what it sent."""
        before = len(self.user.messages)
        await self.telegram.answers_to(act())
        await self.channel.join()
        return self.user.messages[before:]


def text_of(sent: list[ZaloMessage] | list[TelegramMessage]) -> str:
    """The texts of a turn's answers, one after the other."""
    return "\n".join(message.text for message in sent)
