"""Sending through the Send API: limits, the 24-hour window, Graph errors and retries."""

from __future__ import annotations

from datetime import timedelta

import pytest
from messenger_support import AdapterFactory, Harness
from support.handlers import RecordingHandler
from support.secret_store import MemorySecrets

from dialogs.errors import (
    AuthExpired,
    DeliveryError,
    OutsideWindow,
    RateLimited,
    RecipientUnavailable,
    TemporaryFailure,
)
from dialogs.messages import Button, ConversationRef, Reply
from integrations.messenger import MessengerAdapter
from integrations.messenger.send_api import delivery_error
from integrations.ordering import MemoryInbox

USER = "6543210987654321"
REF = ConversationRef("messenger", USER)

PARAGRAPH = (
    "Hồ sơ gồm: tờ khai đề nghị cấp thẻ Căn cước theo mẫu CC01; giấy tờ chứng minh nơi cư trú "
    "nếu thông tin chưa có trong Cơ sở dữ liệu quốc gia về dân cư. "
)


async def answer_with(harness: Harness, *replies: Reply) -> None:
    """The user writes; the handler answers with ``replies``."""
    harness.handler.answer = lambda message: replies
    await harness.deliver([harness.graph.text(USER, "hoi")])


async def test_a_long_text_is_split_below_2000_characters(harness: Harness) -> None:
    text = "\n\n".join(PARAGRAPH * 4 for _ in range(12))
    assert len(text) > 7000
    await answer_with(harness, Reply(text))

    sent = harness.graph.messages_to(USER)
    assert len(sent) >= 4
    assert all(len(m.text) < 2000 for m in sent)
    assert [m.messaging_type for m in sent] == ["RESPONSE"] * len(sent)
    assert " ".join(m.text for m in sent).split() == text.split()


async def test_twenty_buttons_become_a_numbered_list_and_13_quick_replies(
    harness: Harness,
) -> None:
    buttons = tuple(
        Button(f"Thủ tục số {n} về cấp đổi giấy phép lái xe", payload=f"proc:1.{n:06d}")
        for n in range(1, 21)
    )
    await answer_with(harness, Reply("Bạn muốn hỏi thủ tục nào?", buttons))

    (sent,) = harness.graph.messages_to(USER)
    assert len(sent.titles) == 13
    assert all(len(title) <= 20 for title in sent.titles)
    assert sent.payloads == [f"proc:1.{n:06d}" for n in range(1, 14)]
    for n in range(1, 21):
        assert f"{n}. Thủ tục số {n} về cấp đổi giấy phép lái xe" in sent.text

    # A digit answer reaches the dialogs as text, which they map to the listed option.
    await harness.deliver([harness.graph.text(USER, "17")])
    assert harness.handler.received[-1].text == "17"


async def test_a_tapped_quick_reply_comes_back_as_its_payload(harness: Harness) -> None:
    await answer_with(harness, Reply("Bạn đã có giấy này chưa?", (Button("Có", "cl:have"),)))
    (sent,) = harness.graph.messages_to(USER)
    await harness.deliver([harness.graph.quick_reply(USER, sent.titles[0], sent.payloads[0])])
    assert harness.handler.received[-1].payload == "cl:have"


async def test_a_link_goes_out_as_a_button_template_with_quick_replies(
    harness: Harness,
) -> None:
    portal = "https://dichvucong.gov.vn/thu-tuc-hanh-chinh/019d2bfd-3fe0-70ac-b9d6-5e9e20d6eef7"
    reply = Reply(
        PARAGRAPH * 8,
        (
            Button("Xem giấy tờ cần chuẩn bị", payload="cl:go:1.001193"),
            Button("Nộp trực tuyến", url=portal),
            Button("Thủ tục khác", payload="qa:more"),
            Button("Menu", payload="m:menu"),
        ),
    )
    await answer_with(harness, reply)

    *leading, template = harness.graph.messages_to(USER)
    assert leading and all("text" in m.message for m in leading)
    payload = template.message["attachment"]["payload"]
    assert payload["template_type"] == "button"
    assert len(payload["text"]) <= 640
    assert template.template_buttons == [
        {"type": "web_url", "url": portal, "title": "Nộp trực tuyến"}
    ]
    assert [q["payload"] for q in template.quick_replies] == ["cl:go:1.001193", "qa:more", "m:menu"]
    assert template.titles[1] == "Xem giấy tờ cần chu…"
    assert "1. " not in template.text  # everything fits: no numbered list
    assert " ".join(m.text for m in [*leading, template]).split() == reply.text.split()

    await harness.deliver([harness.graph.quick_reply(USER, "Menu", "m:menu")])
    assert harness.handler.received[-1].payload == "m:menu"


async def test_a_postback_button_comes_back_as_its_payload(harness: Harness) -> None:
    await harness.deliver([harness.graph.postback(USER, "Xem giấy tờ", "cl:start")])
    assert harness.handler.received[-1].payload == "cl:start"


async def test_more_than_three_links_are_listed_and_three_buttons_kept(harness: Harness) -> None:
    buttons = (
        *(Button(f"Cổng {n}", url=f"https://dichvucong.gov.vn/{n}") for n in range(1, 5)),
        Button("Menu", payload="m:menu"),
    )
    await answer_with(harness, Reply("Chọn:", buttons))
    (sent,) = harness.graph.messages_to(USER)
    assert [b["title"] for b in sent.template_buttons] == ["Cổng 1", "Cổng 2", "Cổng 3"]
    assert sent.quick_replies == []
    assert "1. Cổng 1: https://dichvucong.gov.vn/1" in sent.text
    assert "5. Menu" in sent.text


async def test_buttons_without_text_still_make_a_valid_message(harness: Harness) -> None:
    await answer_with(harness, Reply("", (Button("Tiếp", "cl:next"),)))
    (sent,) = harness.graph.messages_to(USER)
    assert sent.text and sent.payloads == ["cl:next"]


async def test_replies_inside_the_window_and_proactive_updates(harness: Harness) -> None:
    await answer_with(harness, Reply("Chào bạn"))
    harness.clock.advance(timedelta(hours=23))
    await harness.adapter.send(REF, [Reply("Nhắc lịch: mai bạn nộp hồ sơ")])

    assert [m.messaging_type for m in harness.graph.messages_to(USER)] == ["RESPONSE", "UPDATE"]


async def test_outside_the_window_only_tagged_updates_are_sent(harness: Harness) -> None:
    await answer_with(harness, Reply("Chào bạn"))
    harness.clock.advance(timedelta(hours=24, minutes=1))
    calls = harness.graph.send_calls

    with pytest.raises(OutsideWindow):
        await harness.adapter.send(REF, [Reply("Tin khuyến mãi")])
    with pytest.raises(OutsideWindow):
        await harness.adapter.send(REF, [Reply("x")], tag="POST_PURCHASE_UPDATE")  # type: ignore[arg-type]
    assert harness.graph.send_calls == calls  # refused without asking Meta

    await harness.adapter.send(REF, [Reply("Hồ sơ của bạn đã được duyệt.")], tag="ACCOUNT_UPDATE")
    last = harness.graph.messages_to(USER)[-1]
    assert (last.messaging_type, last.tag) == ("MESSAGE_TAG", "ACCOUNT_UPDATE")


async def test_a_reply_to_a_message_older_than_the_window_is_not_sent(harness: Harness) -> None:
    graph = harness.graph
    old = graph.text(USER, "hoi cu")
    harness.clock.advance(timedelta(hours=25))
    harness.handler.answer = lambda message: (Reply("Trả lời muộn"),)
    await harness.deliver([old])
    assert len(harness.handler.received) == 1
    assert graph.send_calls == 0


async def test_a_user_never_seen_is_outside_the_window(harness: Harness) -> None:
    with pytest.raises(OutsideWindow):
        await harness.adapter.send(ConversationRef("messenger", "999"), [Reply("Xin chào")])
    assert harness.graph.send_calls == 0


async def test_the_window_survives_a_restart(
    harness: Harness, make_adapter: AdapterFactory
) -> None:
    await answer_with(harness, Reply("Chào bạn"))
    harness.clock.advance(timedelta(hours=2))

    async with make_adapter(RecordingHandler(), harness.store) as restarted:
        await restarted.send(REF, [Reply("Nhắc lịch")])
    async with make_adapter(RecordingHandler(), MemorySecrets()) as forgetful:
        with pytest.raises(OutsideWindow):
            await forgetful.send(REF, [Reply("Nhắc lịch")])
    assert [m.text for m in harness.graph.messages_to(USER)] == ["Chào bạn", "Nhắc lịch"]


async def test_a_blocked_user_is_unavailable_and_not_retried(harness: Harness) -> None:
    await answer_with(harness, Reply("Chào bạn"))
    harness.graph.blocked.add(USER)
    calls = harness.graph.send_calls

    with pytest.raises(RecipientUnavailable):
        await harness.adapter.send(REF, [Reply("Nhắc lịch"), Reply("Còn nữa")])
    assert harness.graph.send_calls == calls + 1

    # A reply to a new message fails the same way without disturbing the webhook.
    harness.handler.answer = lambda message: (Reply("x"),)
    assert await harness.deliver([harness.graph.text(USER, "alo")]) == 200
    assert harness.graph.send_calls == calls + 2
    assert len(harness.graph.messages_to(USER)) == 1


async def test_rate_limits_are_retried_with_backoff(harness: Harness) -> None:
    await answer_with(harness, Reply("Chào bạn"))
    harness.graph.fail_next(613, times=2)
    calls = harness.graph.send_calls

    await harness.adapter.send(REF, [Reply("Nhắc lịch")])
    assert harness.graph.send_calls == calls + 3
    assert harness.graph.messages_to(USER)[-1].text == "Nhắc lịch"


async def test_retries_are_bounded(harness: Harness) -> None:
    await answer_with(harness, Reply("Chào bạn"))
    harness.graph.fail_next(1200, times=10)
    calls = harness.graph.send_calls

    with pytest.raises(TemporaryFailure):
        await harness.adapter.send(REF, [Reply("Nhắc lịch")])
    assert harness.graph.send_calls == calls + 4


@pytest.mark.parametrize(("code", "error"), [(10, OutsideWindow), (551, RecipientUnavailable)])
async def test_permanent_errors_are_not_retried(
    harness: Harness, code: int, error: type[DeliveryError]
) -> None:
    await answer_with(harness, Reply("Chào bạn"))
    harness.graph.fail_next(code, times=3)
    calls = harness.graph.send_calls
    with pytest.raises(error):
        await harness.adapter.send(REF, [Reply("Nhắc lịch")])
    assert harness.graph.send_calls == calls + 1


async def test_a_rejected_page_token_is_reported_once(harness: Harness) -> None:
    await answer_with(harness, Reply("Chào bạn"))
    calls = harness.graph.send_calls
    async with MessengerAdapter(
        MemoryInbox(RecordingHandler()),
        page_token="revoked",
        app_secret="s",
        verify_token="v",
        api_url=harness.graph.api_url,
        store=harness.store,
        clock=harness.clock,
    ) as adapter:
        with pytest.raises(AuthExpired):
            await adapter.send(REF, [Reply("x")])
    assert harness.graph.send_calls == calls + 1


async def test_the_adapter_must_be_started_before_sending(
    harness: Harness, make_adapter: AdapterFactory
) -> None:
    await answer_with(harness, Reply("Chào bạn"))
    idle = make_adapter(RecordingHandler(), harness.store)
    with pytest.raises(RuntimeError):
        await idle.send(REF, [Reply("x")])


@pytest.mark.parametrize(
    ("status", "error", "expected"),
    [
        (400, {"code": 551, "error_subcode": 1545041}, RecipientUnavailable),
        (400, {"code": 100, "error_subcode": 2018001}, RecipientUnavailable),
        (400, {"code": 10, "error_subcode": 2018278}, OutsideWindow),
        (400, {"code": 10, "error_subcode": 2534022}, OutsideWindow),
        (400, {"code": 613}, RateLimited),
        (400, {"code": 4, "error_subcode": 2018022}, RateLimited),
        (400, {"code": 1200}, TemporaryFailure),
        (400, {"code": 2}, TemporaryFailure),
        (500, {"code": 1, "is_transient": True}, TemporaryFailure),
        (400, {"code": 190}, AuthExpired),
        (400, {"code": 100}, DeliveryError),
        (403, {"code": 200}, DeliveryError),
        (400, {"code": 368}, DeliveryError),
        (502, None, TemporaryFailure),
        (400, None, DeliveryError),
    ],
)
def test_graph_errors_map_to_typed_errors(
    status: int, error: dict[str, int] | None, expected: type[DeliveryError]
) -> None:
    body = {"error": {"message": "m", "type": "OAuthException", **error}} if error else "<html>"
    mapped = delivery_error(status, body)
    assert type(mapped) is expected
    if expected is DeliveryError:
        assert not mapped.retryable


async def test_buttons_of_a_reply_followed_by_another_stay_tappable(harness: Harness) -> None:
    reminder = Reply(
        "Nhắc việc: giấy tờ khai sinh", (Button("Làm tiếp", payload="cl:go:1.001193"),)
    )
    answer = Reply("Bạn cần gì?", (Button("Menu", payload="m:menu"),))
    await answer_with(harness, reminder, answer)

    first, second = harness.graph.messages_to(USER)
    # Quick replies show only under the newest message, so the first reply's button is a
    # postback button in a template, which stays in the thread.
    assert first.quick_replies == []
    assert first.message["attachment"]["payload"]["template_type"] == "button"
    assert first.template_buttons == [
        {"type": "postback", "title": "Làm tiếp", "payload": "cl:go:1.001193"}
    ]
    assert [q["payload"] for q in second.quick_replies] == ["m:menu"]
