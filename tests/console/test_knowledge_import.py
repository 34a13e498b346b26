"""An admin uploads new portal data in the console, reviews what changes, and puts it in force:
the assistant answers from it at once, and a second worker on the same database follows.

The server runs on a small source folder (a few real records of the shipped page crawl) so
that each import takes a moment; the upload replaces that folder's file of the same name.
"""

from __future__ import annotations

import gzip
import io
import json
from collections.abc import AsyncIterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from aiohttp import FormData
from console_support import Client, Staffing, csrf
from support.schema import migrated

from bot.app import App, build_app
from bot.config import Settings
from bot.knowledge_updates.build import rebuild, shipped_sources
from bot.knowledge_updates.store import SqlKnowledgeVersions, VersionState
from knowledge.base import LocalKnowledgeBase
from knowledge.store import decode_knowledge_base, default_path

RAW = "procedures-raw.jsonl"
DEATH, MARRIAGE, RESIDENCE, BIRTH = "1.000656", "1.004873", "1.004194", "1.001193"


@cache
def _records() -> dict[str, dict[str, Any]]:
    """The shipped page-crawl records of the four procedures, by code."""
    wanted = {DEATH, MARRIAGE, RESIDENCE, BIRTH}
    found: dict[str, dict[str, Any]] = {}
    source = default_path().parent / "source" / f"{RAW}.gz"
    with gzip.open(source, "rt", encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            if record.get("ma_thu_tuc") in wanted:
                found[record["ma_thu_tuc"]] = record
    assert set(found) == wanted
    return found


def _jsonl(*records: dict[str, Any]) -> bytes:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records).encode()


def _new_portal_file() -> bytes:
    """Birth registration added, death registration renamed, temporary residence gone."""
    records = _records()
    renamed = {**records[DEATH], "ten_thu_tuc": "Đăng ký khai tử (mẫu mới)"}
    return _jsonl(records[BIRTH], renamed, records[MARRIAGE])


def _source_folder(tmp_path: Path) -> Path:
    """The sources the server starts on: death, marriage and temporary-residence records."""
    sources = tmp_path / "sources"
    sources.mkdir()
    records = _records()
    (sources / RAW).write_bytes(_jsonl(records[DEATH], records[MARRIAGE], records[RESIDENCE]))
    return sources


@pytest_asyncio.fixture(loop_scope="session")
async def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    sources = _source_folder(tmp_path)
    env = {"MOTCUA_DATA_DIR": str(tmp_path), "MOTCUA_KNOWLEDGE_SOURCES": str(sources)}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    settings = Settings.from_env(env)
    await migrated(settings.database_url)
    return settings


def _knowledge(settings: Settings) -> LocalKnowledgeBase:
    """What the server starts on: the knowledge base built from the source folder."""
    built = rebuild(shipped_sources(settings.knowledge_sources), {}, ())
    return LocalKnowledgeBase(decode_knowledge_base(built.data))


@pytest_asyncio.fixture(loop_scope="session")
async def app(settings: Settings) -> AsyncIterator[App]:
    """The console's app on the shipped knowledge base (the conftest's has none): the server,
    staff and admin fixtures of the conftest run on this one."""
    async with build_app(settings, knowledge=_knowledge(settings)) as built:
        yield built


async def _upload(client: Client, *files: tuple[str, bytes]) -> Any:
    form = FormData()
    form.add_field("csrf", await csrf(client, "/console/knowledge-import"))
    for name, data in files:
        form.add_field("files", io.BytesIO(data), filename=name)
    return await client.post("/console/knowledge-import", data=form)


async def _version_page(app: App, admin: Client, response: Any) -> tuple[int, str]:
    """Wait for the import the upload started, and read its page."""
    assert response.status == 200, await response.text()
    version_id = int(response.url.path.rsplit("/", 1)[-1])
    await app.console.knowledge_updates.join()
    page = await admin.get(f"/console/knowledge-import/{version_id}")
    assert page.status == 200
    return version_id, await page.text()


async def _ask(client: Client, text: str) -> str:
    response = await client.post("/api/chat", json={"locale": "vi", "text": text})
    assert response.status == 200
    return json.dumps(await response.json(), ensure_ascii=False)


async def test_an_upload_is_compared_then_put_in_force_on_every_worker(
    app: App, admin: Client, settings: Settings
) -> None:
    citizen = admin  # the same browser also chats on the site: a citizen's view
    assert "Thủ tục đăng ký khai sinh" not in await _ask(citizen, "dang ky khai sinh")

    version_id, page = await _version_page(
        app, admin, await _upload(admin, (RAW, _new_portal_file()))
    )
    assert "Sẵn sàng để xem lại" in page  # ready to review
    assert "<strong>1</strong> thêm" in page
    assert "<strong>1</strong> thay đổi" in page
    assert "<strong>1</strong> bỏ" in page
    assert BIRTH in page and RESIDENCE in page
    assert "Đăng ký khai tử (mẫu mới)" in page and "(name" in page
    assert app.console.knowledge.get(BIRTH) is None  # nothing changes before it is applied

    token = await csrf(admin, f"/console/knowledge-import/{version_id}")
    applied = await admin.post(
        f"/console/knowledge-import/{version_id}/apply", data={"csrf": token}
    )
    assert applied.status == 200 and "Đã áp dụng" in await applied.text()
    assert "Thủ tục đăng ký khai sinh" in await _ask(citizen, "dang ky khai sinh")
    assert app.console.knowledge.get(RESIDENCE) is None
    audit = await (await admin.get("/console/audit")).text()
    assert "Tải lên dữ liệu của Cổng" in audit and "Áp dụng một cơ sở dữ liệu thủ tục" in audit

    # Another worker on the same database serves the version in force from its first answer.
    async with build_app(settings, knowledge=_knowledge(settings)) as other:
        assert other.console.knowledge.get(BIRTH) is not None
        assert other.console.knowledge_updates.served == version_id
    async with app.database.transaction() as session:
        version = await SqlKnowledgeVersions(session).get(version_id, app.clock.now())
    assert version is not None and version.state is VersionState.IN_FORCE


async def test_a_second_upload_keeps_the_first_and_replaces_the_one_in_force(
    app: App, admin: Client
) -> None:
    first, _ = await _version_page(app, admin, await _upload(admin, (RAW, _new_portal_file())))
    token = await csrf(admin, f"/console/knowledge-import/{first}")
    await admin.post(f"/console/knowledge-import/{first}/apply", data={"csrf": token})

    extra = _jsonl(_records()[RESIDENCE])  # a new file name joins the sources
    second, page = await _version_page(
        app, admin, await _upload(admin, ("residence-extra.jsonl", extra))
    )
    assert "<strong>1</strong> thêm" in page and "<strong>0</strong> bỏ" in page
    token = await csrf(admin, f"/console/knowledge-import/{second}")
    await admin.post(f"/console/knowledge-import/{second}/apply", data={"csrf": token})
    assert app.console.knowledge.get(BIRTH) is not None  # the first upload is still a source
    assert app.console.knowledge.get(RESIDENCE) is not None
    async with app.database.transaction() as session:
        versions = {
            v.id: v.state for v in await SqlKnowledgeVersions(session).recent(5, app.clock.now())
        }
    assert versions == {second: VersionState.IN_FORCE, first: VersionState.REPLACED}


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("procedures.csv", b"a,b\n", "Chỉ nhập được tệp dữ liệu .jsonl hoặc .jsonl.gz"),
        ("procedures.jsonl.gz", b"not gzip at all", "không phải tệp .gz đọc được"),
        ("procedures.jsonl", b"[1, 2]\n", "không phải một bản ghi JSON"),
        ("procedures.jsonl", b"\n\n", "Tệp trống"),
        ("procedures.jsonl", b"\xff\xfe\x00", "không phải văn bản UTF-8"),
        ("../procedures.jsonl", b"{}\n", "không được chứa thư mục"),
    ],
)
async def test_a_wrong_file_is_refused_at_once_and_nothing_is_kept(
    app: App, admin: Client, name: str, data: bytes, reason: str
) -> None:
    response = await _upload(admin, (name, data))
    assert response.status == 400
    assert reason in await response.text()
    async with app.database.transaction() as session:
        assert await SqlKnowledgeVersions(session).recent(5, app.clock.now()) == []


async def test_a_file_too_large_gets_a_page_not_an_error(
    app: App, admin: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    response = await _upload(admin, (RAW, b"{}\n" * 12_000_000))  # 36 MB
    assert response.status == 413
    assert "Quá lớn" in await response.text()
    async with app.database.transaction() as session:
        assert await SqlKnowledgeVersions(session).recent(5, app.clock.now()) == []


async def test_a_file_the_import_cannot_read_is_shown_failed_and_cannot_be_applied(
    app: App, admin: Client
) -> None:
    broken = _jsonl(_records()[BIRTH]) + b"{not json\n"
    version_id, page = await _version_page(app, admin, await _upload(admin, (RAW, broken)))
    assert "Không nhập được" in page and f"{RAW}:2" in page
    token = await csrf(admin, f"/console/knowledge-import/{version_id}")
    refused = await admin.post(
        f"/console/knowledge-import/{version_id}/apply", data={"csrf": token}
    )
    assert "Không làm gì cả" in await refused.text()
    assert app.console.knowledge.get(BIRTH) is None
    discarded = await admin.post(
        f"/console/knowledge-import/{version_id}/discard", data={"csrf": token}
    )
    assert "Đã bỏ" in await discarded.text()


async def test_only_admins_may_import(staffing: Staffing) -> None:
    await staffing.add("--commune", "00004", "staff@xa.vn")
    async with staffing.signed_in("staff@xa.vn") as staff:
        assert (await staff.get("/console/knowledge-import")).status == 403
        token = await csrf(staff)
        form = FormData()
        form.add_field("csrf", token)
        form.add_field("files", b"{}\n", filename=RAW)
        assert (await staff.post("/console/knowledge-import", data=form)).status == 403
