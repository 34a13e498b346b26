"""The printable checklist ``/p/CODE?case=…``: the chosen case's papers only, Vietnamese first,
official Vietnamese marked ``lang="vi"`` on the English page, print CSS, a polite 404 for what
names nothing (never a 5xx)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from html.parser import HTMLParser
from urllib.parse import quote

import pytest
import pytest_asyncio
from aiohttp.test_utils import TestClient, TestServer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from webchat_support import Client

from bot.app import build_app
from bot.config import Settings
from bot.server import web_application

BIRTH = "1.001193"
ABANDONED = "1"  # the section "Trường hợp trẻ em bị bỏ rơi" of the birth registration
SURROGACY_PAPER = "mang thai hộ"  # only in the surrogacy case's papers
VIETNAMESE = re.compile(r"[ăâđêôơưàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ]")


@pytest_asyncio.fixture(loop_scope="session")
async def real_client(settings: Settings) -> AsyncIterator[Client]:
    """The whole app (shipped knowledge base and catalogs) over HTTP."""
    async with (
        build_app(settings) as app,
        TestClient(TestServer(web_application(app))) as client,
    ):
        yield client


async def _get(client: Client, path: str) -> tuple[int, str]:
    response = await client.get(path)
    return response.status, await response.text()


async def test_the_chosen_cases_papers_in_vietnamese_with_print_css(real_client: Client) -> None:
    status, page = await _get(real_client, f"/p/{BIRTH}?case={ABANDONED}")
    assert status == 200
    assert '<html lang="vi">' in page
    assert '<h1 lang="vi">Thủ tục đăng ký khai sinh</h1>' in page
    assert "Trường hợp của bạn: Trường hợp trẻ em bị bỏ rơi" in page
    assert "Giấy tờ cần nộp" in page and "biên bản về việc trẻ bị bỏ rơi" in page
    assert SURROGACY_PAPER not in page.split("Nộp ở đâu")[0]  # another case's papers are not
    assert "Nộp ở đâu và như thế nào" in page and "Nơi thực hiện: Cấp xã" in page
    # The portal's time is "1", without a unit: the page says which fact to check.
    assert page.count('class="flag"') == 1
    assert "Hãy hỏi lại bộ phận một cửa về thời gian giải quyết" in page
    assert '<link rel="stylesheet" href="/print.css">' in page
    status, css = await _get(real_client, "/print.css")
    assert status == 200 and "@media print" in css


async def test_without_a_case_the_page_offers_each_case(real_client: Client) -> None:
    status, page = await _get(real_client, f"/p/{BIRTH}")
    assert status == 200
    assert f'href="/p/{BIRTH}?case=u"' in page
    assert f'href="/p/{BIRTH}?case={ABANDONED}"' in page


class _LangOfText(HTMLParser):
    """Each text of the body with the language of the element it is in."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[tuple[str, str]] = []
        self.texts: list[tuple[str, str]] = []
        self.in_body = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.in_body = self.in_body or tag == "body"
        lang = dict(attrs).get("lang") or (self.stack[-1][1] if self.stack else "")
        if tag not in ("meta", "link", "br"):
            self.stack.append((tag, lang or ""))

    def handle_endtag(self, tag: str) -> None:
        while self.stack and self.stack.pop()[0] != tag:
            pass

    def handle_data(self, data: str) -> None:
        if self.in_body and data.strip() and self.stack:
            self.texts.append((data.strip(), self.stack[-1][1]))


async def test_in_english_every_vietnamese_text_is_marked_as_such(real_client: Client) -> None:
    status, page = await _get(real_client, f"/p/{BIRTH}?case={ABANDONED}&lang=en")
    assert status == 200 and '<html lang="en">' in page
    assert "Papers to hand in" in page and "Your case:" in page
    parser = _LangOfText()
    parser.feed(page)
    vietnamese = [(text, lang) for text, lang in parser.texts if VIETNAMESE.search(text.lower())]
    assert vietnamese, "the official papers are Vietnamese"
    assert all(lang == "vi" for _text, lang in vietnamese), vietnamese
    english = [text for text, lang in parser.texts if lang == "en"]
    assert "Papers to hand in" in english


@pytest.mark.parametrize(
    "path",
    ["/p/9.999999", f"/p/{BIRTH}?case=99", f"/p/{BIRTH}?case=x", "/p/" + quote("<b>x</b>", "")],
)
async def test_what_names_nothing_gets_a_polite_404(real_client: Client, path: str) -> None:
    status, page = await _get(real_client, path)
    assert status == 404
    assert "Không tìm thấy thủ tục" in page and 'href="/"' in page
    assert "<b>x</b>" not in page and "Traceback" not in page


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(code=st.text(min_size=1, max_size=80), case=st.text(max_size=20), lang=st.text(max_size=8))
async def test_any_address_is_answered_without_an_error(
    real_client: Client, code: str, case: str, lang: str
) -> None:
    query = f"?case={quote(case, '')}&lang={quote(lang, '')}"
    status, page = await _get(real_client, "/p/" + quote(code, "") + query)
    assert status in (200, 404), (code, case, lang, status)
    assert "Traceback" not in page


async def test_a_fee_the_portal_wrote_7_000_dong_is_printed_the_vietnamese_way(
    real_client: Client,
) -> None:
    """The temporary residence registration's fee cell reads "7,000 Đồng (…); 5,000 Đồng (…)":
    printed "7.000 đồng", the same amounts, never the portal's comma."""
    status, page = await _get(real_client, "/p/1.004194")
    assert status == 200
    (fee,) = [line for line in page.splitlines() if "Lệ phí:" in line]
    assert "7.000 đồng (- Đăng ký tạm trú (cá nhân, hộ gia đình)" in fee
    assert "; 5.000 đồng (- Đăng ký tạm trú theo danh sách" in fee
    assert "thu 7.000 đồng/lần đăng ký" in fee  # already Vietnamese: left as it was
    assert not re.search(r"\d,\d{3}", fee)
