"""Real procedures, abridged from the national portal, for tests that need a known few."""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

from knowledge.cache import cached_index
from knowledge.model import (
    Channel,
    ChannelKind,
    Document,
    DocumentGroup,
    Duration,
    Fee,
    OnlineFiling,
    Procedure,
)
from knowledge.search import SearchIndex
from knowledge.store import default_path

PORTAL = "https://dichvucong.gov.vn/thu-tuc-hanh-chinh/"


def _channels(
    days: float | None, unit: str | None, amount: int | None, *kinds: ChannelKind
) -> tuple[Channel, ...]:
    text = "Miễn phí" if amount == 0 else f"{amount} Việt Nam Đồng"
    return tuple(
        Channel(kind, Duration(days, unit, f"{days:g}"), Fee(amount, text)) for kind in kinds
    )


BIRTH = Procedure(
    code="1.001193",
    name="Thủ tục đăng ký khai sinh",
    levels=("Cấp xã",),
    field="Hộ tịch",
    agencies=("Ủy ban nhân dân cấp xã",),
    channels=_channels(
        1, "working_days", 0, ChannelKind.ONLINE, ChannelKind.POST, ChannelKind.IN_PERSON
    ),
    documents=(
        DocumentGroup(
            "",
            (
                Document(
                    "Tờ khai đăng ký khai sinh", originals=1, template="Tờ khai đăng ký khai sinh"
                ),
                Document(
                    "Giấy chứng sinh; trường hợp không có Giấy chứng sinh thì nộp văn bản của "
                    "người làm chứng xác nhận về việc sinh",
                    originals=1,
                ),
            ),
        ),
        DocumentGroup(
            "Trường hợp trẻ em sinh ra do mang thai hộ",
            (
                Document(
                    "Văn bản xác nhận của cơ sở y tế đã thực hiện kỹ thuật hỗ trợ sinh sản cho "
                    "việc mang thai hộ",
                    originals=1,
                ),
            ),
        ),
        DocumentGroup(
            "Trường hợp ủy quyền thực hiện việc đăng ký khai sinh",
            (Document("Văn bản ủy quyền (được chứng thực)", originals=1, copies=1),),
        ),
    ),
    online=OnlineFiling.PARTIAL,
    source_url=PORTAL + "019d2bfd-3fe0-70ac-b9d6-5e9e20d6eef7",
)

BIRTH_FOREIGN = Procedure(
    code="2.000528",
    name="Thủ tục đăng ký khai sinh có yếu tố nước ngoài",
    levels=("Cấp xã",),
    agencies=("Ủy ban nhân dân cấp xã",),
    channels=_channels(1, "working_days", 0, ChannelKind.ONLINE, ChannelKind.IN_PERSON),
    documents=(DocumentGroup("", (Document("Tờ khai đăng ký khai sinh", originals=1),)),),
    online=OnlineFiling.PARTIAL,
    source_url=PORTAL + "2.000528",
)

BIRTH_AGAIN = Procedure(
    code="1.004884",
    name="Thủ tục đăng ký lại khai sinh",
    levels=("Cấp xã",),
    agencies=("Ủy ban nhân dân cấp xã",),
    channels=_channels(5, None, 0, ChannelKind.ONLINE, ChannelKind.IN_PERSON),
    documents=(DocumentGroup("", (Document("Tờ khai đăng ký lại khai sinh", originals=1),)),),
    source_url=PORTAL + "1.004884",
)

ID_CARD_RENEW = Procedure(
    code="1.014063",
    name="Cấp đổi thẻ căn cước",
    levels=("Cấp xã",),
    agencies=("Công an cấp xã",),
    channels=(
        Channel(
            ChannelKind.IN_PERSON,
            Duration(7, "working_days", "7 Ngày làm việc"),
            Fee(50000, "50,000 Việt Nam Đồng"),
        ),
    ),
    documents=(DocumentGroup("", (Document("Tờ khai căn cước (mẫu CC01)", originals=1),)),),
    source_url=PORTAL + "1.014063",
)

MARRIAGE = Procedure(
    code="1.000894",
    name="Thủ tục đăng ký kết hôn",
    levels=("Cấp xã",),
    agencies=("Ủy ban nhân dân cấp xã",),
    channels=(
        Channel(ChannelKind.ONLINE, Duration(1, "working_days", "1"), Fee(0, "Miễn phí")),
        Channel(ChannelKind.IN_PERSON, Duration(3, "working_days", "3"), Fee(0, "Miễn phí")),
    ),
    documents=(
        DocumentGroup(
            "",
            (
                Document(
                    "Tờ khai đăng ký kết hôn", originals=1, template="Tờ khai đăng ký kết hôn"
                ),
                Document("Giấy xác nhận tình trạng hôn nhân", originals=1),
                Document("Bản sao giấy tờ tùy thân", copies=2),
            ),
        ),
    ),
    online=OnlineFiling.FULL,
    source_url=PORTAL + "1.000894",
)

NO_DOCUMENTS = Procedure(
    code="3.000228",
    name="Cấp tài khoản định danh điện tử mức độ 02 (cấp xã)",
    levels=("Cấp xã",),
    agencies=("Công an cấp xã",),
    source_url=PORTAL + "3.000228",
)

SINGLE_STATUS = Procedure(
    code="1.004873",
    name="Thủ tục cấp Giấy xác nhận tình trạng hôn nhân",
    levels=("Cấp xã",),
    channels=(
        Channel(
            ChannelKind.IN_PERSON,
            Duration(3, None, "3"),
            Fee(
                0,
                "Miễn phí (Mức lệ phí cụ thể do Hội đồng nhân dân tỉnh, thành phố trực thuộc "
                "Trung ương quyết định. Miễn lệ phí cho người thuộc hộ nghèo.)",
            ),
        ),
    ),
    documents=(
        DocumentGroup(
            "",
            (
                Document("Tờ khai cấp Giấy xác nhận tình trạng hôn nhân theo mẫu", originals=1),
                Document(
                    "Trường hợp người yêu cầu đã nộp bản điện tử thì không phải nộp bản giấy.",
                    originals=0,
                ),
            ),
        ),
        DocumentGroup(
            "Lưu ý",
            (Document("Người tiếp nhận có trách nhiệm tiếp nhận đúng, đủ hồ sơ.", originals=0),),
        ),
        DocumentGroup(
            "a) Thành phần hồ sơ bổ sung",
            (Document("Bản sao Giấy chứng tử của vợ hoặc chồng đã mất", copies=1),),
        ),
    ),
    present_documents=(
        Document("Hộ chiếu/Thẻ căn cước công dân/Thẻ căn cước", originals=1),
        Document(
            "Trường hợp không khai thác được thông tin thì xuất trình bản chính.", originals=0
        ),
    ),
    source_url=PORTAL + "1.004873",
)

UNEMPLOYMENT = Procedure(
    code="1.014748",
    name="Hưởng trợ cấp thất nghiệp (Cấp tỉnh)",
    field="Việc làm",
    applicants=("Công dân Việt Nam",),
    agencies=("Ủy ban nhân dân tỉnh và thành phố trực thuộc Trung ương", "Sở Nội Vụ"),
    source_url=PORTAL + "019d2bfb-2b1d-7649-8f76-f5315475eb46",
    ministry="Bộ Nội vụ",
    catalogue_only=True,
)

PROCEDURES = (
    BIRTH,
    BIRTH_FOREIGN,
    BIRTH_AGAIN,
    ID_CARD_RENEW,
    MARRIAGE,
    NO_DOCUMENTS,
    SINGLE_STATUS,
    UNEMPLOYMENT,
)

TEMPORARY_RESIDENCE = Procedure(
    code="1.004194",
    name="Đăng ký tạm trú",
    levels=("Cấp xã",),
    field="Đăng ký, quản lý cư trú",
    agencies=("Công an xã, phường, đặc khu",),
    channels=(
        Channel(
            ChannelKind.ONLINE,
            Duration(3, "working_days", "3 Ngày làm việc"),
            Fee(7000, "7,000 Việt Nam Đồng"),
        ),
        Channel(
            ChannelKind.IN_PERSON,
            Duration(3, "working_days", "3 Ngày làm việc"),
            Fee(10000, "10,000 Việt Nam Đồng"),
        ),
    ),
    documents=(
        DocumentGroup(
            "",
            (Document("Tờ khai thay đổi thông tin cư trú (Mẫu CT01)", originals=1),),
        ),
    ),
    online=OnlineFiling.FULL,
    source_url=PORTAL + "1.004194",
)
"""Not in ``PROCEDURES``: a procedure with a fee, for the portal's payment links."""


@cache
def shipped_index() -> SearchIndex:
    """The shipped knowledge base's search index, built once per test run.

    Reading and indexing the file takes about two seconds of CPU; the first test process to
    need it builds it into the run's ``MOTCUA_CACHE_DIR`` (``tests/conftest.py``) and every
    other, pytest worker or ``motcua`` process, reads it back from there (``knowledge.cache``).
    """
    return cached_index(default_path(), Path(os.environ["MOTCUA_CACHE_DIR"]))


def shipped() -> tuple[Procedure, ...]:
    """Every procedure of the shipped knowledge base (immutable, so shared by every test)."""
    return shipped_index().procedures
