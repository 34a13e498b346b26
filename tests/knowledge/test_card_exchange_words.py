"""Exchanging an ID card for the chip one is the exchange, even beside a reissue told before.

The eleventh tuning round (bench/answers.md): "Tôi mới làm lại CMND/CCCD thì có bắt buộc phải
đổi lại CCCD gắn chip không?" got the reissue, its story's "làm lại" outweighing the "đổi lại"
it asks about. "đổi lại" / "đổi sang" before the card (``colloquial.tsv``) is the exchange; a
lost card made again stays the reissue.
"""

from __future__ import annotations

import pytest

from knowledge.base import LocalKnowledgeBase

EXCHANGE = "1.014063"  # Cấp đổi thẻ căn cước
REISSUE = "1.014064"  # Cấp lại thẻ căn cước


@pytest.mark.parametrize(
    "question",
    [
        "Tôi làm lại CCCD năm ngoái, giờ có phải đổi lại CCCD gắn chip không?",
        "Năm ngoái tôi làm lại CMND, giờ muốn đổi sang căn cước mới thì làm ở đâu?",
    ],
)
def test_changing_the_card_for_the_new_one_is_the_exchange(
    kb: LocalKnowledgeBase, question: str
) -> None:
    answer = kb.answer(question, limit=3)
    assert answer.result.match is not None and answer.result.match.code == EXCHANGE


def test_a_lost_card_made_again_is_still_the_reissue(kb: LocalKnowledgeBase) -> None:
    answer = kb.answer("mất cccd làm lại ở đâu", limit=3)
    assert answer.result.match is not None and answer.result.match.code == REISSUE
