"""Replies sent through the OA API: Zalo's limits, button taps, and Zalo's errors acted on."""

from __future__ import annotations

import pytest
from fakes.zalo import FakeZalo
from support.handlers import RecordingHandler
from support.secret_store import MemorySecrets
from zalo_support import running_bot

from dialogs.errors import (
    ConfigurationError,
    OutsideWindow,
    RateLimited,
    RecipientUnavailable,
    TemporaryFailure,
)
from dialogs.messages import Button, ConversationRef, Reply
from integrations.ordering import MemoryInbox
from integrations.zalo import ZaloChannel
from integrations.zalo.errors import QuotaExceeded, ZaloRequestRejected

USER = "5512390087431223001"
REF = ConversationRef("zalo", USER)

PARAGRAPH = (
    "Thành phần hồ sơ gồm tờ khai theo mẫu, bản sao giấy tờ tùy thân và giấy tờ chứng minh "
    "nơi cư trú. Người đi làm thủ tục mang bản chính để đối chiếu. "
) * 4


async def interacted(zalo: FakeZalo, user: str = USER) -> None:
    """The user writes to the OA, which opens their window for customer-service replies."""
    zalo.event("user_send_text", user)


async def test_a_long_answer_is_split_within_2000_characters(
    zalo: FakeZalo, bot: ZaloChannel
) -> None:
    await interacted(zalo)
    text = "\n\n".join([PARAGRAPH] * 12)  # about 7,000 characters
    await bot.send(REF, [Reply(text)])
    assert len(zalo.sent) >= 4
    assert all(len(message.text) <= 2000 for message in zalo.sent)
    assert " ".join(m.text for m in zalo.sent).split() == text.split()


async def test_more_than_five_buttons_become_a_numbered_list_and_five_buttons(
    zalo: FakeZalo, bot: ZaloChannel
) -> None:
    await interacted(zalo)
    labels = [f"Trường hợp {n}" for n in range(1, 8)]
    buttons = tuple(Button(label, payload=f"var:{n}") for n, label in enumerate(labels, 1))
    await bot.send(REF, [Reply("Bạn thuộc trường hợp nào?", buttons)])
    [message] = zalo.sent
    assert [b["title"] for b in message.buttons] == labels[:5]
    for number, label in enumerate(labels, 1):
        assert f"{number}. {label}" in message.text
    assert {b["type"] for b in message.buttons} == {"oa.query.hide"}


async def test_a_tapped_button_comes_back_as_its_payload(
    zalo: FakeZalo, store: MemorySecrets
) -> None:
    handler = RecordingHandler(
        lambda m: [Reply("Chọn:", (Button("Có", payload="cl:have"), Button("Chưa", "cl:no")))]
    )
    async with running_bot(zalo, handler, store) as bot:
        await zalo.emit(zalo.text_event(USER, "bat dau"))
        await zalo.wait_sent(1)
        await zalo.emit(zalo.tap_event(USER, "Chưa"))
        await bot.join()
    assert [(m.text, m.payload) for m in handler.received] == [("bat dau", None), (None, "cl:no")]


async def test_a_digit_answer_to_a_numbered_list_arrives_as_plain_text(
    zalo: FakeZalo, bot: ZaloChannel, handler: RecordingHandler
) -> None:
    await zalo.emit(zalo.text_event(USER, "6"))
    await bot.join()
    assert (handler.received[0].text, handler.received[0].payload) == ("6", None)


async def test_url_buttons_open_links_and_long_labels_are_shortened(
    zalo: FakeZalo, bot: ZaloChannel
) -> None:
    await interacted(zalo)
    long_label = "Nộp hồ sơ trực tuyến trên Cổng Dịch vụ công quốc gia " * 3
    buttons = (
        Button(long_label, url="https://dichvucong.gov.vn/p/home/dvc-chi-tiet-thu-tuc.html"),
        Button("Thủ tục khác", payload="menu:ask"),
    )
    await bot.send(REF, [Reply("", buttons)])
    [message] = zalo.sent
    link, query = message.buttons
    assert link["type"] == "oa.open.url"
    assert link["payload"] == {"url": "https://dichvucong.gov.vn/p/home/dvc-chi-tiet-thu-tuc.html"}
    assert len(link["title"]) <= 100 and link["title"].endswith("…")
    assert query == {"title": "Thủ tục khác", "type": "oa.query.hide", "payload": "#menu:ask"}
    assert message.text  # Zalo needs text above buttons


@pytest.mark.parametrize(
    ("mark", "code"),
    [("blocked", -217), ("banned", -227), ("following", -213)],
)
async def test_an_unreachable_user_is_reported_and_not_retried(
    zalo: FakeZalo, bot: ZaloChannel, mark: str, code: int
) -> None:
    await interacted(zalo)
    setattr(zalo.user(USER), mark, mark != "following")
    with pytest.raises(RecipientUnavailable):
        await bot.send(REF, [Reply("Hồ sơ của bạn đã được tiếp nhận.")])
    assert zalo.rejected == [code]
    assert zalo.sent == []


async def test_a_user_who_unfollowed_cannot_be_reached(zalo: FakeZalo, bot: ZaloChannel) -> None:
    await interacted(zalo)
    await zalo.emit(zalo.event("unfollow", USER))
    with pytest.raises(RecipientUnavailable):
        await bot.send(REF, [Reply("Nhắc bạn: còn thiếu 2 giấy tờ.")])


async def test_a_blocked_user_does_not_stop_the_bot_answering_others(
    zalo: FakeZalo, bot: ZaloChannel, handler: RecordingHandler
) -> None:
    zalo.user(USER).blocked = True
    await zalo.emit(zalo.text_event(USER, "xin chào"))
    await bot.join()
    await zalo.emit(zalo.text_event("another-user", "xin chào"))
    await bot.join()
    assert len(handler.received) == 2
    assert [m.user_id for m in zalo.sent] == ["another-user"]


async def test_after_seven_days_of_silence_a_reminder_is_outside_the_window(
    zalo: FakeZalo, bot: ZaloChannel
) -> None:
    await interacted(zalo)
    zalo.clock.advance(days=6, hours=23)
    await bot.send(REF, [Reply("Nhắc bạn: hôm nay nộp hồ sơ.")])
    zalo.clock.advance(hours=2)
    with pytest.raises(OutsideWindow):
        await bot.send(REF, [Reply("Nhắc bạn lần nữa.")])
    assert zalo.rejected[-1] == -230
    assert len(zalo.sent) == 1


async def test_a_user_who_never_wrote_is_outside_the_window(
    zalo: FakeZalo, bot: ZaloChannel
) -> None:
    with pytest.raises(OutsideWindow):
        await bot.send(ConversationRef("zalo", "stranger"), [Reply("Xin chào")])
    assert zalo.rejected == [-232]


async def test_a_rate_limit_is_waited_out(zalo: FakeZalo, bot: ZaloChannel) -> None:
    await interacted(zalo)
    zalo.inject(-32, -32)
    await bot.send(REF, [Reply("Lệ phí: 50.000 đồng.")])
    assert zalo.rejected == [-32, -32]
    assert [m.text for m in zalo.sent] == ["Lệ phí: 50.000 đồng."]


async def test_a_lasting_rate_limit_is_raised_after_bounded_retries(
    zalo: FakeZalo, bot: ZaloChannel
) -> None:
    await interacted(zalo)
    zalo.inject(*[-32] * 10)
    with pytest.raises(RateLimited):
        await bot.send(REF, [Reply("Lệ phí: 50.000 đồng.")])
    assert zalo.rejected == [-32] * 4  # the first try and three retries
    assert zalo.sent == []


async def test_a_send_failure_is_retried(zalo: FakeZalo, bot: ZaloChannel) -> None:
    await interacted(zalo)
    zalo.inject(-200)
    await bot.send(REF, [Reply("Thời hạn giải quyết: 5 ngày làm việc.")])
    assert len(zalo.sent) == 1


@pytest.mark.parametrize(
    ("code", "error"),
    [
        (-211, QuotaExceeded),
        (-218, QuotaExceeded),
        (-223, ConfigurationError),
        (-240, ConfigurationError),
        (-201, ZaloRequestRejected),
    ],
)
async def test_errors_that_retrying_cannot_fix_are_raised_at_once(
    zalo: FakeZalo, bot: ZaloChannel, code: int, error: type[Exception]
) -> None:
    await interacted(zalo)
    zalo.inject(code, code)
    with pytest.raises(error):
        await bot.send(REF, [Reply("Kết quả được trả qua bưu điện.")])
    assert zalo.rejected == [code]


async def test_a_later_reply_is_not_sent_when_an_earlier_one_failed(
    zalo: FakeZalo, bot: ZaloChannel
) -> None:
    await interacted(zalo)
    zalo.inject(-211)
    with pytest.raises(QuotaExceeded):
        await bot.send(REF, [Reply("Phần 1"), Reply("Phần 2")])
    assert zalo.sent == []


async def test_an_unreachable_zalo_is_a_temporary_failure(
    zalo: FakeZalo, handler: RecordingHandler, store: MemorySecrets
) -> None:
    nowhere = "http://127.0.0.1:9"  # the discard port: nothing listens there
    async with running_bot(zalo, handler, store, api_url=nowhere) as bot:
        with pytest.raises(TemporaryFailure):
            await bot.send(REF, [Reply("Xin chào")])


async def test_sending_outside_the_lifecycle_is_a_clear_error(
    zalo: FakeZalo, handler: RecordingHandler, store: MemorySecrets
) -> None:
    channel = ZaloChannel(
        app_id=zalo.app_id,
        oa_secret=zalo.oa_secret,
        app_secret=zalo.app_secret,
        access_token="at",
        refresh_token="rt",
        inbox=MemoryInbox(handler),
        secrets=store,
    )
    with pytest.raises(RuntimeError, match="async with"):
        await channel.send(REF, [Reply("Xin chào")])
