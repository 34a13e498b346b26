"""The words that choose a family's member: why a father is missing, where the adopters live,
who retires where, whose disability, and money no public service pays.

Parents who "chưa đăng ký kết hôn" explain a child's record (the father's acknowledgement), unless
they say they now want to register the marriage (``senses.tsv``); adopters living abroad take
a child with a foreign element, a niece or stepchild by the relatives' procedure
(``situations.tsv``); severance pay and how much a scheme pays are questions about the rules
(``law.txt``, ``rules.txt``), not the unemployment or health insurance procedures they resemble;
the emigrant pensioner's one-off payment and one decree's monthly allowance are special cases a
question must ask for (``qualifiers.tsv``); a disability told in a letter's story makes its asked
allowance the social one.
"""

from __future__ import annotations

from bench.answers import shown
from knowledge.base import LocalKnowledgeBase
from knowledge.questions import AnswerKind

MARRIAGE = "1.000894"
ACKNOWLEDGE = "1.001022"  # registering a father's (or mother's) acknowledgement of a child
BIRTH_WITH_ACKNOWLEDGE = "1.000689"
DOMESTIC_ADOPTION = "2.001263"
KIN_ADOPTION_ABROAD = "1.004878"  # a step-parent or relative adopting with a foreign element


def test_unmarried_parents_explain_the_childs_record_not_a_marriage(
    kb: LocalKnowledgeBase,
) -> None:
    typed = kb.answer(
        "bo me chua dang ky ket hon thi lam giay khai sinh cho con co ten bo duoc khong", limit=3
    )
    assert shown(typed)[0] == BIRTH_WITH_ACKNOWLEDGE
    older = kb.answer(
        "Anh chị tôi sống với nhau không đăng ký kết hôn, cháu nay 12 tuổi chỉ có tên mẹ trên "
        "giấy khai sinh. Anh tôi muốn làm thủ tục nhận con để cháu mang họ bố thì làm thế nào?",
        limit=3,
    )
    assert shown(older)[0] == ACKNOWLEDGE


def test_unmarried_parents_who_want_to_register_the_marriage_get_it(
    kb: LocalKnowledgeBase,
) -> None:
    answer = kb.answer(
        "Chúng tôi ở với nhau đã lâu nhưng chưa đăng ký kết hôn, nay muốn đăng ký kết hôn để "
        "sau này làm khai sinh cho con thì cần giấy tờ gì?",
        limit=3,
    )
    assert shown(answer)[0] == MARRIAGE


def test_relatives_living_abroad_adopt_a_niece_with_a_foreign_element(
    kb: LocalKnowledgeBase,
) -> None:
    abroad = kb.answer(
        "Vợ chồng em định cư ở Canada đã lâu, không có con. Em muốn nhận con của anh trai em ở "
        "quê làm con nuôi thì thủ tục thế nào?",
        limit=3,
    )
    assert shown(abroad)[0] == KIN_ADOPTION_ABROAD
    at_home = kb.answer("Tôi muốn nhận cháu ruột làm con nuôi thì làm thủ tục gì?", limit=3)
    assert shown(at_home)[0] == DOMESTIC_ADOPTION


def test_severance_pay_and_how_much_a_scheme_pays_are_questions_about_the_rules(
    kb: LocalKnowledgeBase,
) -> None:
    severance = kb.answer("Nghỉ việc đúng luật thì công ty có phải trả trợ cấp thôi việc?")
    assert severance.kind is AnswerKind.LAW
    rate = kb.answer("Đi khám bảo hiểm y tế trái tuyến tỉnh thì mức hưởng ra sao?")
    assert rate.kind is AnswerKind.LAW
    unemployment = kb.answer("thủ tục hưởng trợ cấp thất nghiệp", limit=3)
    assert unemployment.kind is AnswerKind.PROCEDURE


PENSION_OR_ONE_OFF = {"1.014171", "1.014172", "1.001613", "1.014173"}
DECREE_613 = "2.000762"  # a monthly allowance under one decree for workers of the 1990s
SOCIAL_ALLOWANCE = "1.001776"


def test_a_worker_retiring_at_home_is_not_asking_for_the_emigrants_one_off_payment(
    kb: LocalKnowledgeBase,
) -> None:
    answer = kb.answer(
        "Tôi làm kế toán ở một công ty tư nhân, năm nay đủ 60 tuổi nhưng mới đóng bảo hiểm xã "
        "hội được 17 năm 8 tháng. Như vậy tôi được hưởng lương hưu hằng tháng hay hưởng một lần?",
        limit=3,
    )
    assert shown(answer)[0] in PENSION_OR_ONE_OFF


def test_a_pensioners_widow_asking_a_monthly_allowance_is_not_offered_one_decrees(
    kb: LocalKnowledgeBase,
) -> None:
    answer = kb.answer(
        "Cha tôi là công nhân đã nghỉ hưu, năm ngoái cha tôi từ trần. Mẹ tôi nay 80 tuổi, trước "
        "giờ chỉ ở nhà nội trợ. Vậy mẹ tôi có được hưởng trợ cấp hàng tháng không ạ?",
        limit=3,
    )
    assert DECREE_613 not in shown(answer)


def test_a_disability_told_in_the_story_beside_an_asked_allowance_is_the_social_allowance(
    kb: LocalKnowledgeBase,
) -> None:
    answer = kb.answer(
        "Con tôi bị khuyết tật trí tuệ từ nhỏ, nay đã 15 tuổi. Cho tôi hỏi cháu có được nhận "
        "tiền trợ cấp hằng tháng không, làm hồ sơ ở đâu?",
        limit=3,
    )
    assert shown(answer)[0] == SOCIAL_ALLOWANCE


def test_an_english_reissue_at_a_temporary_residence_is_the_cards_reissue(
    kb: LocalKnowledgeBase,
) -> None:
    """Where the card is asked for ("at the place of temporary residence") is no registration."""
    answer = kb.answer(
        "Can citizens have their identity cards re-issued at the place of temporary residence?",
        limit=3,
    )
    assert shown(answer)[0] in {"1.014064", "1.000757", "2.001194"}
