"""Filing a dossier over Telegram (the fake Bot API) against the sandbox portal over HTTP:
mistakes corrected on the way, a double tap on "send", the receipt and each status change
pushed to the chat once, in Vietnamese."""

from __future__ import annotations

import re

from fakes.telegram import FakeTelegram
from support.citizens import TelegramCitizen

from bot.app import App

CODE = re.compile(r"[0-9A-Z.]{5,35}-\d{6}-\d{4,5}")


async def test_a_temporary_residence_filed_on_telegram_is_followed_to_its_result(
    telegram: FakeTelegram, app: App
) -> None:
    chat = TelegramCitizen(telegram, app)
    await chat.say("/start")
    [offer] = await chat.tap("Nộp hồ sơ")
    assert "Đăng ký tạm trú" in offer.labels
    [notice] = await chat.tap("Đăng ký tạm trú")
    assert "Nghị định 13/2023/NĐ-CP" in notice.text
    answers = [
        ("Trần Văn Bình", "Câu 2/7"),
        ("0791 9501 2345", "Câu 3/7"),  # 12 digits with spaces: kept as digits
        ("0912 345 67", "không phải số điện thoại Việt Nam"),
        ("0912 345 678", "Câu 4/7"),
        ("12 Lê Lợi, phường Bến Thành, TP Hồ Chí Minh", "Câu 5/7"),
        ("45 Nguyễn Huệ, phường Sài Gòn, TP Hồ Chí Minh", "Câu 6/7"),
        ("01/11/2026", "Câu 7/7"),
    ]
    # Not a member of the digital-technology group: no question of whom it is for.
    [first] = await chat.tap("Tôi đồng ý")
    assert "Câu 1/7: Họ tên của bạn" in first.text
    for typed, expected in answers:
        [answer] = await chat.say(typed)
        assert expected in answer.text, answer.text
    [where] = await chat.tap("Bỏ qua")
    assert "nhận kết quả bằng cách nào" in where.text
    [review] = await chat.tap("Nhận tại bộ phận một cửa")
    assert "Trần Văn Bình" in review.text
    assert "Số điện thoại của bạn: 0912345678" in review.text  # as typed, not +84…
    # The portal's receipt may be pushed while a turn's answer is awaited: it comes after it.
    sending, *_ = await chat.tap("Gửi hồ sơ")
    assert "Đang gửi" in sending.text
    await chat.tap("Gửi hồ sơ")  # a second tap files nothing more (one receipt)
    await telegram.wait_for(
        lambda: any(
            "đã được gửi" in m.text or "Nút này đã cũ" in m.text for m in chat.user.messages
        )
    )

    receipt = await chat.pushed("Mã hồ sơ")
    found = CODE.search(receipt)
    assert found is not None
    code = found.group(0)
    assert "Lệ phí: 7.000" in receipt
    assert any(
        b.get("url", "").endswith(f"/sandbox/pay/{code}")
        for m in chat.user.messages
        for b in m.buttons
    )

    await app.portal.client.transition(code, "accepted")
    await chat.pushed("Đã tiếp nhận")
    await app.portal.client.transition(code, "processing")
    await app.portal.client.transition(code, "payment_required", "Nộp lệ phí đăng ký tạm trú")
    payment = await chat.pushed("Yêu cầu thực hiện nghĩa vụ tài chính")
    assert "Số tiền cần nộp: 7.000" in payment and "Nộp lệ phí đăng ký tạm trú" in payment
    await app.portal.client.transition(code, "processing")
    await app.portal.client.transition(code, "result_ready")
    ready = await chat.pushed("Đã có kết quả")
    assert "bộ phận một cửa" in ready
    texts = [m.text for m in chat.user.messages]
    assert sum("Mã hồ sơ:" in t for t in texts) == 1
    assert sum("Đã tiếp nhận" in t for t in texts) == 1
    assert sum("Đang xử lý" in t for t in texts) == 2
