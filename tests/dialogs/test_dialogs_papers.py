"""The papers of a filing, turn by turn: asked for from the review, each file taken or refused
with its reason (everything typed kept), words answered with what is expected, a paper
skipped, and the papers sent with the dossier; the supplement flow only for a real code."""

from __future__ import annotations

from chat_harness import ChatHarness

from dialogs.messages import Attachment
from dialogs.step import SubmitDossier, SupplyPapers

PHOTO = Attachment("image", paper=7, content_type="image/jpeg")
PROOF = "Bản án/quyết định ly hôn, nếu đã ly hôn"


def at_review(chat: ChatHarness) -> ChatHarness:
    chat.send("/start").press("Nộp hồ sơ").press("Cấp Giấy xác nhận tình trạng hôn nhân")
    chat.press("Tôi đồng ý")
    for typed in ("Trần Thị Lan", "001190012345", "0912345678", "Số 1 Tràng Tiền, Hà Nội"):
        chat.send(typed)
    chat.send("02/09/1995").press("Đã ly hôn").send("để đăng ký kết hôn")
    return chat.press("Nhận tại bộ phận một cửa")


def test_a_paper_is_refused_with_its_reason_skipped_then_attached_and_sent(
    chat: ChatHarness,
) -> None:
    at_review(chat).expect(f"{PROOF}: chưa gửi kèm").press("Gửi ảnh giấy tờ")
    values = dict(chat.state["filing"]["values"])
    chat.send("đây là hợp đồng").expect("Xin gửi ảnh chụp hoặc tệp PDF của giấy tờ này")
    chat.send(None, attachment=Attachment("file", name="a.jpg", refused="wrong_type"))
    chat.expect("dù tên tệp ghi gì", "vẫn được giữ nguyên")
    chat.send(None, attachment=Attachment("image", refused="too_big")).expect("tối đa 10 MB")
    chat.send(None, attachment=Attachment("image", url="https://x.example/a.jpg"))
    chat.expect("Tôi chưa nhận được tệp này")
    assert chat.state["filing"]["values"] == values and chat.step == "filing:paper"
    chat.press("Bỏ qua (không bắt buộc)").expect(f"{PROOF}: chưa gửi kèm")
    chat.press("Gửi ảnh giấy tờ").send(None, attachment=PHOTO).expect(f"{PROOF}: đã gửi kèm")
    assert "Gửi ảnh giấy tờ" not in chat.labels
    chat.press("Gửi hồ sơ")
    (submit,) = [e for e in chat.effects if isinstance(e, SubmitDossier)]
    assert submit.papers == ((PROOF, 7),)


def test_a_file_outside_a_paper_question_is_not_taken(chat: ChatHarness) -> None:
    at_review(chat).send(None, attachment=PHOTO)
    chat.expect("Tôi chỉ nhận ảnh và tệp là giấy tờ của hồ sơ")
    assert "papers" not in chat.state["filing"]


def test_the_supplement_button_sends_each_file_to_its_dossier(chat: ChatHarness) -> None:
    code = "000.00.20.H39-261124-0007"
    notice = {"code": code, "status": "supplement_required", "note": "Thiếu ảnh CCCD"}
    chat.send("/start").internal("fd:st", notice).expect("Thiếu ảnh CCCD")
    chat.press("Gửi giấy tờ bổ sung").expect(f"vào hồ sơ {code}")
    chat.send("xong rồi").expect("Xin gửi ảnh chụp hoặc tệp PDF của giấy tờ")
    chat.send(None, attachment=Attachment("image", refused="too_big")).expect("tối đa 10 MB")
    assert chat.effects == ()
    chat.send(None, attachment=PHOTO).expect("Đã nhận (1)")
    assert chat.effects == (SupplyPapers(code, (("Giấy tờ bổ sung 1", 7),)),)
    chat.press("Xong").expect(f"khi hồ sơ {code} có tiến triển")
    chat.payload("sp:go:not-a-code").expect("Nút này đã cũ")
