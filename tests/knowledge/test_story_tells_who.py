"""A letter's question asks what ("mai táng phí"), its story tells whose: the family's right member.

``situations.tsv`` marks with ``~`` a cue that may be told anywhere in the letter; the asking part
is searched with the letter as its story, so the burial allowance of a resistance medal holder or
of someone on a social allowance is not the insured worker's survivors' benefit the question's
own words name.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.answers import shown
from knowledge.base import LocalKnowledgeBase
from knowledge.questions import AnswerKind
from knowledge.search.lexicon import Lexicon, LexiconError

MERIT_DEATH = "1.010824"  # the allowance paid when a person with merit dies
SOCIAL_BURIAL = "1.001731"  # the burial support of someone on a social allowance
# the burial supports of social assistance: that one, the elderly without a pension's, the social
# pension holders'
SOCIAL_BURIALS = {SOCIAL_BURIAL, "1.012824", "1.014028"}
INSURED_DEATH = "2.000821"  # the survivors' benefit of an insured worker
WORSHIP = "1.010803"  # the allowance of whoever keeps a war martyr's altar


def test_a_medal_told_in_the_story_makes_the_burial_allowance_the_merit_one(
    kb: LocalKnowledgeBase,
) -> None:
    answer = kb.answer(
        "Bố chồng tôi năm nay 88 tuổi, thời trẻ đi bộ đội và được tặng huân chương kháng chiến "
        "hạng nhì. Tuần trước bố tôi qua đời tại nhà. Cho tôi hỏi gia đình làm hồ sơ nhận tiền "
        "mai táng phí ở đâu?",
        limit=3,
    )
    assert answer.kind is AnswerKind.PROCEDURE
    assert shown(answer)[0] == MERIT_DEATH


def test_a_social_allowance_told_in_the_story_makes_it_the_social_burial_support(
    kb: LocalKnowledgeBase,
) -> None:
    answer = kb.answer(
        "Bà nội tôi sống một mình, mấy năm nay được xã chi trả trợ cấp xã hội hằng tháng vì "
        "không có lương hưu. Bà vừa mất hôm qua. Xin hỏi con cháu có được nhận hỗ trợ mai táng "
        "không và nộp giấy tờ ở đâu?",
        limit=3,
    )
    assert shown(answer)[0] == SOCIAL_BURIAL


def test_a_death_told_late_in_a_long_letter_still_says_whose_allowance(
    kb: LocalKnowledgeBase,
) -> None:
    answer = kb.answer(
        "Kính gửi quý cơ quan, bố tôi là thương binh hạng 2/4, hưởng trợ cấp ưu đãi hằng tháng "
        "từ năm 1980. Nhà tôi ở xã miền núi, đường sá đi lại khó khăn, mấy năm nay bố tôi yếu "
        "nhiều, các con đi làm ăn xa nên chỉ có mẹ tôi chăm sóc bố, hằng tháng mẹ tôi ra bưu "
        "điện xã lĩnh tiền trợ cấp thay bố. Đầu tháng trước bố tôi ốm nặng rồi qua đời tại "
        "bệnh viện huyện. Vậy mẹ tôi có được tiếp tục lĩnh tiền trợ cấp của bố không?",
        limit=3,
    )
    assert shown(answer)[0] == MERIT_DEATH


def test_an_elderly_persons_death_and_an_english_funeral_question_reach_the_burial_support(
    kb: LocalKnowledgeBase,
) -> None:
    elderly = kb.answer("người già không có lương hưu khi mất thì gia đình được hỗ trợ gì?")
    assert shown(elderly)[0] in SOCIAL_BURIALS
    english = kb.answer("Where do I apply for funeral expenses for my elderly mother?")
    assert shown(english)[0] in SOCIAL_BURIALS


def test_an_insured_workers_burial_and_a_question_saying_no_one_keep_the_survivors_benefit(
    kb: LocalKnowledgeBase,
) -> None:
    insured = kb.answer(
        "Chồng tôi làm công nhân, đóng bảo hiểm xã hội bắt buộc được 12 năm thì bị tai nạn qua "
        "đời. Xin hỏi tôi làm thủ tục nhận tiền mai táng như thế nào?",
        limit=3,
    )
    assert shown(insured)[0] == INSURED_DEATH
    plain = kb.answer("thủ tục hưởng trợ cấp mai táng", limit=3)
    assert shown(plain)[0] not in {MERIT_DEATH, *SOCIAL_BURIALS}


def test_keeping_a_martyrs_altar_is_the_worship_allowance_though_a_heroic_mother_died(
    kb: LocalKnowledgeBase,
) -> None:
    answer = kb.answer(
        "Anh trai tôi là liệt sĩ, mẹ tôi là Bà mẹ Việt Nam anh hùng nay đã mất. Tôi là người "
        "lo việc thờ cúng liệt sĩ, vậy tôi có được hưởng chế độ gì không?",
        limit=3,
    )
    assert shown(answer)[0] == WORSHIP


def test_a_situation_needs_a_cue_the_question_itself_says(tmp_path: Path) -> None:
    shipped = Path(__file__).parents[2] / "knowledge" / "data" / "search"
    for name in shipped.iterdir():
        if name.is_file():
            (tmp_path / name.name).write_bytes(name.read_bytes())
    (tmp_path / "situations.tsv").write_text(
        "~thương binh + ~mất\tngười có công\n", encoding="utf-8"
    )
    with pytest.raises(LexiconError):
        Lexicon.load(tmp_path)
