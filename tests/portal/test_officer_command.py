"""The README's filing transcript on a real ``motcua serve`` with no settings: a birth
registration filed in the web chat, then moved by the one-stop officer with the documented
``motcua portal-sandbox move`` command, each change arriving in the chat.

The sandbox's usual port is taken, as on a machine where something else already listens there:
the in-process sandbox listens elsewhere, and the officer's command still finds it, also after
``motcua chat`` was run on the same data directory."""

from __future__ import annotations

import asyncio
import os
import re
import socket
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from portal_support import WebCitizen
from reliability.servers import ServerProcess, free_port, sandboxed_alone
from support.schema import migrated_before_start

from bot.cli import main

pytestmark = pytest.mark.slow

CODE = re.compile(r"[0-9A-Z.]{5,35}-\d{6}-\d{4,5}")


Officer = Callable[..., Awaitable[tuple[int, str]]]


@pytest.fixture
def officer(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Officer:
    """``motcua portal-sandbox ARGS`` with ``env``'s settings; its exit status and everything
    it printed.

    The console script's entry point runs in a thread with an event loop of its own: like the
    officer's own process, it finds the server's sandbox only from the data directory, without
    an interpreter start-up for each move.
    """

    async def run(env: dict[str, str], *args: str) -> tuple[int, str]:
        for name, value in env.items():
            if name.startswith("MOTCUA_"):
                monkeypatch.setenv(name, value)
        capsys.readouterr()
        status = await asyncio.to_thread(main, ["portal-sandbox", *args])
        out, err = capsys.readouterr()
        return status, out + err

    return run


async def file_a_birth_registration(citizen: WebCitizen) -> str:
    """The README's transcript up to the receipt; the dossier code."""
    assert "Đăng ký khai sinh" in await citizen.labels("m:submit")
    assert "Bạn có đồng ý không?" in await citizen.press("f:go:1.001193")
    assert "Câu 1/11: Họ tên của bạn" in await citizen.press("f:ok")
    assert "Câu 2/11" in await citizen.say("Nguyễn Thị Hoà")
    assert "bạn đã nhập 11 chữ số" in await citizen.say("00119001234")
    for typed in ("001190012345", "0912345678", "Số 1 Tràng Tiền, Hoàn Kiếm, Hà Nội"):
        await citizen.say(typed)
    await citizen.press("f:c:mother")
    for typed in ("Nguyễn Minh Khôi", "20/11/2026"):
        await citizen.say(typed)
    await citizen.press("f:c:male")
    assert "Câu 10/10: Họ tên người cha" in await citizen.say("Bệnh viện Phụ sản Hà Nội")
    assert "Bạn muốn nhận kết quả bằng cách nào?" in await citizen.press("f:skip")
    assert "Xin kiểm tra hồ sơ" in await citizen.press("f:d:pickup")
    assert "Đang gửi hồ sơ" in await citizen.press("f:send")
    found = CODE.search(await citizen.pushed("Mã hồ sơ"))
    assert found is not None
    return found.group(0)


async def test_the_officer_command_moves_a_dossier_filed_on_motcua_serve(
    tmp_path: Path, officer: Officer
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        env = sandboxed_alone(tmp_path, taken.getsockname()[1])
        server = ServerProcess(env, tmp_path / "server.log", port=free_port())
        await migrated_before_start(server.env)
        await server.start()
        citizen = WebCitizen(server.url, locale="vi")
        try:
            code = await file_a_birth_registration(citizen)
            # The terminal chat on the same data directory starts a sandbox of its own and
            # stops it again: the server's must stay findable.
            chatted = await asyncio.create_subprocess_exec(
                str(Path(sys.executable).with_name("motcua")),
                *("chat", "--jsonl"),
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.DEVNULL,
                env={**os.environ, **server.env},
            )
            await chatted.communicate(b'{"text": "menu"}\n')
            assert chatted.returncode == 0
            for args, needle in [
                (["accepted"], "Đã tiếp nhận"),
                (["processing"], "Đang xử lý"),
                (["result_ready", "--note", "Mời nhận kết quả"], "Mời nhận kết quả"),
            ]:
                status, printed = await officer(server.env, "move", code, *args)
                assert status == 0, printed
                assert f"{code}: {args[0]}" in printed
                notice = await citizen.pushed(needle)
                assert code in notice and "Đăng ký khai sinh" in notice  # what it is for
            mine = await citizen.press("m:lookup")
            assert f"{code} (Đăng ký khai sinh): Đã có kết quả" in mine, mine
            assert "1.001193" not in mine  # a citizen knows the procedure by name, not number
            status, printed = await officer(server.env, "move", code, "accepted")
            assert status == 1 and "Traceback" not in printed
        finally:
            await citizen.close()
            await server.stop()
    # Stopped, the sandbox no longer claims an address: the command says nobody answers.
    status, printed = await officer(server.env, "move", code, "returned")
    assert status == 1 and "did not answer" in printed and "Traceback" not in printed
