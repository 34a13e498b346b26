"""``motcua chat`` beside a running ``motcua serve``: a citizen files a birth registration at
the terminal's prompt, and the receipt and the officer's moves appear there as they arrive,
without a key pressed, as they do in the web chat."""

from __future__ import annotations

import asyncio
import codecs
import os
import re
from pathlib import Path

import pytest
from reliability.servers import MOTCUA, ServerProcess, free_port, sandboxed_alone
from support.schema import migrated_before_start

from bot.cli import main

pytestmark = pytest.mark.slow

CODE = re.compile(r"[0-9A-Z.]{5,35}-\d{6}-\d{4,5}")
TYPED = [
    "nop ho so",
    "1",  # Đăng ký khai sinh
    "1",  # Tôi đồng ý
    "Nguyễn Thị Hoà",
    "001190012345",
    "0912345678",
    "Số 1 Tràng Tiền, Hoàn Kiếm, Hà Nội",
    "me",
    "Nguyễn Minh Khôi",
    "20/11/2026",
    "nam",
    "Bệnh viện Phụ sản Hà Nội",
    "bo qua",
    "nhan tai bo phan mot cua",
    "1",  # Gửi hồ sơ
]


class Prompt:
    """An interactive ``motcua chat`` process: lines typed in, everything it printed."""

    @classmethod
    async def start(cls, user: str, env: dict[str, str]) -> Prompt:
        """``motcua chat --user USER`` at its prompt, with ``env`` as its whole environment."""
        process = await asyncio.create_subprocess_exec(
            MOTCUA,
            *("chat", "--user", user),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
            env={**env, "PYTHONUNBUFFERED": "1"},
        )
        return cls(process)

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self._process = process
        self.printed = ""
        self._more = asyncio.Event()
        self._reading = asyncio.create_task(self._read())

    async def _read(self) -> None:
        assert self._process.stdout is not None
        text = codecs.getincrementaldecoder("utf-8")()  # a letter may span two reads
        while chunk := await self._process.stdout.read(4096):
            self.printed += text.decode(chunk)
            self._more.set()

    async def type(self, line: str) -> None:
        assert self._process.stdin is not None
        self._process.stdin.write(line.encode("utf-8") + b"\n")
        await self._process.stdin.drain()

    async def shows(self, needle: str, after: int = 0, within: float = 30.0) -> str:
        """What was printed from ``after`` on, once it holds ``needle``."""
        async with asyncio.timeout(within):
            while needle not in self.printed[after:]:
                self._more.clear()
                await self._more.wait()
        return self.printed[after:]

    async def quit(self) -> int:
        await self.type("/quit")
        code = await self._process.wait()
        await self._reading
        return code


async def test_the_receipt_and_each_move_appear_at_the_prompt(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = sandboxed_alone(tmp_path, free_port())
    server = ServerProcess(env, tmp_path / "server.log")
    await migrated_before_start(server.env)
    await server.start()
    try:
        chat = await Prompt.start("at-the-prompt", server.env)
        for line in TYPED:
            await chat.type(line)
        await chat.shows("Đang gửi hồ sơ của bạn lên cổng một cửa")
        receipt = await chat.shows("Mã hồ sơ")  # nothing typed since: it came by itself
        code = CODE.search(receipt)
        assert code is not None
        seen = len(chat.printed)
        for name, value in server.env.items():
            if name.startswith("MOTCUA_"):
                monkeypatch.setenv(name, value)
        assert (
            await asyncio.to_thread(main, ["portal-sandbox", "move", code.group(0), "accepted"])
            == 0
        )
        assert code.group(0) in await chat.shows("Đã tiếp nhận", after=seen)
        assert await chat.quit() == 0
    finally:
        await server.stop()


async def test_the_chat_alone_files_the_dossier_and_shows_its_receipt(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No server runs: the chat's own loops send the filing to the portal (the sandbox in the
    chat's process) and deliver its receipt to the prompt, as the reply promised. The receipt,
    the message citizens keep, names the originals to bring as the review did: it used to say
    only "bring your ID card", and the birth certificate was left at home."""
    env = {**os.environ, **sandboxed_alone(tmp_path, free_port())}
    chat = await Prompt.start("alone", env)
    try:
        for line in TYPED:
            await chat.type(line)
        sending = len(await chat.shows("Đang gửi hồ sơ của bạn lên cổng một cửa"))
        receipt = await chat.shows("Thông tin này có giúp ích", after=sending)
        code = CODE.search(receipt)
        assert code is not None
        said = " ".join(receipt.split())  # as one line, however the terminal wrapped it
        assert "mang theo thẻ căn cước" in said
        assert "Mang theo bản chính các giấy tờ này khi nhận kết quả: Giấy chứng sinh" in said
        for name, value in env.items():
            if name.startswith("MOTCUA_"):
                monkeypatch.setenv(name, value)
        # The portal holds it: its officer moves it.
        assert (
            await asyncio.to_thread(main, ["portal-sandbox", "move", code.group(0), "accepted"])
            == 0
        )
    finally:
        assert await chat.quit() == 0
