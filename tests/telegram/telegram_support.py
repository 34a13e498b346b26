"""Helpers for the Telegram tests: a small real message handler and a webhook host."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Sequence

from aiohttp import web
from fakes.telegram import TOKEN, FakeTelegram
from support.secret_store import MemorySecrets

from dialogs.messages import Button, IncomingMessage, Reply
from integrations.ordering import MemoryInbox
from integrations.telegram import TelegramChannel

LONG_PAYLOAD = "checklist:1.001193:" + "giay-to-tuy-than-" * 5  # 104 bytes


def _sections(count: int) -> str:
    """A long answer of ``count`` paragraphs; five fill one Telegram message."""
    return "\n\n".join(f"Mục {i}. " + "hồ sơ gồm giấy tờ " * 40 for i in range(count)).strip()


LONG_TEXT = _sections(15)  # three messages
LONGER_TEXT = _sections(30)  # six messages: more than one chat's burst


class ScriptedHandler:
    """A small real handler: answers a few commands, and records what it was given."""

    def __init__(self) -> None:
        self.seen: list[IncomingMessage] = []
        self.gates: dict[str, asyncio.Event] = {}

    async def __call__(self, message: IncomingMessage) -> Sequence[Reply]:
        self.seen.append(message)
        if message.payload is not None:
            return [Reply(f"Bạn chọn: {message.payload}")]
        text = message.text or ""
        if text in self.gates:  # hold this message until the test opens the gate
            await self.gates[text].wait()
        if text == "menu":
            return [
                Reply(
                    "Chọn thủ tục:",
                    (
                        Button("Đăng ký khai sinh", "proc:1.001193"),
                        Button("Cổng dịch vụ công", url="https://dichvucong.gov.vn"),
                    ),
                )
            ]
        if text == "dai":
            return [Reply(LONG_TEXT)]
        if text == "rat dai":
            return [Reply(LONGER_TEXT)]
        if text == "nut dai":
            return [Reply("Danh sách giấy tờ", (Button("Đã có", LONG_PAYLOAD),))]
        if text == "im lang":
            return []
        return [Reply(f"Đã nhận: {text}")]

    @property
    def texts(self) -> list[str | None]:
        """The texts received, in processing order."""
        return [m.text for m in self.seen]


async def check_one_chat_in_order_while_others_go_ahead(
    telegram: FakeTelegram, handler: ScriptedHandler
) -> None:
    """The ordering promise, whichever way updates arrive: one chat's messages are answered in
    order, and a slow answer in one chat does not hold up another chat."""
    an, binh = telegram.user(5_550_001), telegram.user(5_550_002, "Bình")
    gate = handler.gates["mot"] = asyncio.Event()
    for text in ("mot", "hai", "ba"):
        an.send(text)
    binh.send("toi la Binh")
    # An's first message is held; Bình is answered meanwhile, and An's others wait their turn.
    await telegram.wait_for(lambda: len(binh.messages) == 1)
    assert an.messages == []
    assert [m.text for m in handler.seen if m.ref.user_id == str(an.id)] == ["mot"]
    gate.set()
    await telegram.wait_for(lambda: len(an.messages) == 3)
    assert [m.text for m in an.messages] == ["Đã nhận: mot", "Đã nhận: hai", "Đã nhận: ba"]


class WebhookHost:
    """motcua's aiohttp server with the channel's webhook route mounted, on a free port."""

    def __init__(self, telegram: FakeTelegram, handler: ScriptedHandler) -> None:
        self.telegram = telegram
        self.handler = handler
        self.secrets = MemorySecrets()
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._sock.getsockname()[1]}"
        self.runner: web.AppRunner | None = None

    def channel(self, **options: object) -> TelegramChannel:
        return TelegramChannel(
            TOKEN,
            MemoryInbox(self.handler),
            api_url=self.telegram.url,
            public_url=self.url,
            secrets=self.secrets,
            **options,  # type: ignore[arg-type]
        )

    async def serve(self, channel: TelegramChannel) -> None:
        app = web.Application()
        app.add_routes(channel.routes())
        self.runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=1.0)
        await self.runner.setup()
        await web.SockSite(self.runner, self._sock).start()

    async def close(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()
        self._sock.close()
