"""The README's filing transcript on a real ``motcua serve`` with no settings: a birth
registration filed in the web chat, then moved by the one-stop officer with the documented
``motcua portal-sandbox move`` command, each change arriving in the chat.

The sandbox's usual port is taken, as on a machine where something else already listens there:
the in-process sandbox listens elsewhere, and the officer's command still finds it."""

from __future__ import annotations

import asyncio
import re
import socket
from pathlib import Path

from portal_support import WebCitizen
from reliability.servers import MOTCUA, ServerProcess, free_port, small_knowledge

CODE = re.compile(r"[0-9A-Z.]{5,35}-\d{6}-\d{4,5}")


async def officer(env: dict[str, str], *args: str) -> tuple[int, str]:
    """Run ``motcua portal-sandbox ARGS``; its exit status and everything it printed."""
    command = await asyncio.create_subprocess_exec(
        MOTCUA,
        "portal-sandbox",
        *args,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(command.communicate(), timeout=60)
    assert command.returncode is not None
    return command.returncode, out.decode()


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
    await citizen.say("Bệnh viện Phụ sản Hà Nội")
    assert "Câu 11/11: Họ tên người cha" in await citizen.say("Nguyễn Thị Hoà")
    assert "Bạn muốn nhận kết quả bằng cách nào?" in await citizen.press("f:skip")
    assert "Xin kiểm tra hồ sơ" in await citizen.press("f:d:pickup")
    assert "Đang gửi hồ sơ" in await citizen.press("f:send")
    found = CODE.search(await citizen.pushed("Mã hồ sơ"))
    assert found is not None
    return found.group(0)


async def test_the_officer_command_moves_a_dossier_filed_on_motcua_serve(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        env = {
            "MOTCUA_DATA_DIR": str(tmp_path),
            "MOTCUA_KNOWLEDGE_PATH": str(small_knowledge(tmp_path)),
            "MOTCUA_DATABASE_URL": "",
            "MOTCUA_PORTAL_URL": "",
            "MOTCUA_PORTAL_API_KEY": "",
            "MOTCUA_PORTAL_WEBHOOK_SECRET": "",
            "MOTCUA_PORTAL_SANDBOX_PORT": str(taken.getsockname()[1]),
        }
        server = ServerProcess(env, tmp_path / "server.log", port=free_port())
        await server.start()
        citizen = WebCitizen(server.url, locale="vi")
        try:
            code = await file_a_birth_registration(citizen)
            for args, needle in [
                (["accepted"], "Đã tiếp nhận"),
                (["processing"], "Đang xử lý"),
                (["result_ready", "--note", "Mời nhận kết quả"], "Mời nhận kết quả"),
            ]:
                status, printed = await officer(server.env, "move", code, *args)
                assert status == 0, printed
                assert f"{code}: {args[0]}" in printed
                assert code in await citizen.pushed(needle)
            status, printed = await officer(server.env, "move", code, "accepted")
            assert status == 1 and "Traceback" not in printed
        finally:
            await citizen.close()
            await server.stop()
    # Stopped, the sandbox no longer claims an address: the command says nobody answers.
    status, printed = await officer(server.env, "move", code, "returned")
    assert status == 1 and "did not answer" in printed and "Traceback" not in printed
