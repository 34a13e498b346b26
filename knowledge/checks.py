"""Contradictions in what the portal says, found so they are flagged instead of passed on.

A citizen who reads "Miễn phí" beside "20.000 đồng", a discount that ended last year, a time
"1" with no unit, a fee of "20 ₫" or an office at the district level (abolished on 1 July
2025) cannot know which part is true. Each finding keeps the source's own words, so the card
can say "check with the one-stop shop" and quote them, and ``motcua kb audit`` can list them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from knowledge.model import Channel, Procedure
from knowledge.text import fold

MIN_FEE = 1000
"""No Vietnamese fee is below 1.000 đồng; a smaller amount lost its thousands ("20 VNĐ")."""

# An amount in a fee cell or note: "20,000", "25.000 đồng".
_AMOUNT = re.compile(
    r"(?<![\d.,/])[1-9]\d{0,2}(?:[.,]\d{3})+(?![\d/])|(?<![\d.,/])[1-9]\d{3,}(?![\d/])"
)
# "đến hết ngày 31/12/2024", "đến ngày 30/6/2026": the end of a temporary fee.
_UNTIL = re.compile(r"den (?:het )?(?:ngay )?(\d{1,2})/(\d{1,2})/(\d{4})")
_DISTRICT = re.compile(r"\b(?:cap huyen|ubnd (?:cap )?huyen|uy ban nhan dan (?:cap )?huyen)\b")


class Check:
    """The kinds of contradiction."""

    FREE_WITH_FEE = "free_with_fee"
    EXPIRED_DISCOUNT = "expired_discount"
    TIME_WITHOUT_UNIT = "time_without_unit"
    IMPLAUSIBLE_AMOUNT = "implausible_amount"
    DISTRICT_LEVEL = "district_level"


@dataclass(frozen=True, slots=True)
class Contradiction:
    """One thing the portal says that cannot all be true, with its own words."""

    check: str
    words: str


def contradictions(procedure: Procedure, today: date) -> tuple[Contradiction, ...]:
    """Every contradiction in a procedure's fees, times and offices as of ``today``."""
    found: list[Contradiction] = []
    for channel in procedure.channels:
        found.extend(_channel(channel, today))
    district = procedure.extra.get("district_level_agencies", "")
    if not district:
        texts = (procedure.authority, procedure.address, *procedure.agencies)
        district = next((t for t in texts if _DISTRICT.search(fold(t))), "")
    if district:
        found.append(Contradiction(Check.DISTRICT_LEVEL, district))
    return tuple(dict.fromkeys(found))


def _channel(channel: Channel, today: date) -> list[Contradiction]:
    found = []
    if channel.time is not None and channel.time.value is not None and channel.time.unit is None:
        found.append(Contradiction(Check.TIME_WITHOUT_UNIT, channel.time.text))
    fee = channel.fee
    if fee is None:
        return found
    folded = fold(fee.text)
    if folded.startswith("mien phi") and (fee.amount or _AMOUNT.search(fee.text)):
        found.append(Contradiction(Check.FREE_WITH_FEE, fee.text))
    if fee.amount is not None and 0 < fee.amount < MIN_FEE:
        found.append(Contradiction(Check.IMPLAUSIBLE_AMOUNT, fee.text))
    for day, month, year in _UNTIL.findall(folded):
        try:
            until = date(int(year), int(month), int(day))
        except ValueError:
            continue
        if until < today:
            found.append(Contradiction(Check.EXPIRED_DISCOUNT, fee.text))
            break
    return found
