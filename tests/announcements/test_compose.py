"""The check the console shares with the command: a staff member addresses only their own
communes, an admin any and whole provinces; reasons come in the author's language."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot import i18n
from bot.announcements.compose import Author, Draft, Refused, compose
from bot.storage.staff import Role, Staff

NOW = datetime(2026, 12, 6, 8, 0, tzinfo=UTC)
COMMUNE_STAFF = Staff(7, "can.bo@badinh.vn", "Cán bộ", Role.STAFF, ("00004",))
ADMIN = Staff(1, "admin@tinh.vn", "Quản trị", Role.ADMIN, ())
VI = i18n.translator("vi").gettext
EN = i18n.translator("en").gettext


def test_staff_address_their_own_communes_only() -> None:
    author = Author.of(COMMUNE_STAFF)
    composed = compose(Draft("Lịch tiêm", communes=["00004"]), author, NOW, VI)
    assert composed.communes == (4,) and composed.send_at == NOW

    with pytest.raises(Refused) as outside:
        compose(Draft("Lịch tiêm", communes=["00004", "00008"]), author, NOW, VI)
    assert outside.value.reasons == {
        "communes": "Bạn chỉ được gửi thông báo cho xã/phường mình phụ trách, "
        "không được gửi cho: 00008 (Phường Ngọc Hà, Hà Nội)."
    }
    with pytest.raises(Refused) as province:
        compose(Draft("Lịch tiêm", provinces=["01"]), author, NOW, EN)
    assert province.value.reasons == {"provinces": "Only an admin may address a whole province."}


def test_an_admin_addresses_a_whole_province() -> None:
    composed = compose(Draft("Bão số 3", provinces=["01"]), Author.of(ADMIN), NOW, VI)
    assert composed.provinces == (1,)
    assert 4 in composed.communes and len(composed.communes) > 100  # every unit of Hà Nội


def test_every_reason_is_given_at_once() -> None:
    draft = Draft("", image=b"GIF89a", link="javascript:alert(1)", communes=[])
    with pytest.raises(Refused) as refused:
        compose(draft, Author.command_line(), NOW, EN)
    assert set(refused.value.reasons) == {"text_vi", "image", "link", "communes"}
