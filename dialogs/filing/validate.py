"""Checking one answer at a time, with a message that says exactly what is expected.

Nothing here rewrites what a citizen typed beyond trimming the ends, except the phone number,
which is normalised to the international form by the maintained ``phonenumbers`` library.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from dialogs.dates import NoSuchDay, parse_day
from dialogs.filing.forms import N_, Field

MAX_NAME = 100
MAX_TEXT = 200
MAX_ADDRESS = 300
MIN_ADDRESS = 5
ADULT_AGE = 14
"""The age from which a citizen holds an ID card and may file for themselves or a child."""

_DATE = re.compile(r"^\s*(\d{1,2})\s*[/.\-]\s*(\d{1,2})\s*[/.\-]\s*(\d{4})\s*$")
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,190}\.[^@\s]{2,}$")
_ID_SEPARATORS = re.compile(r"[\s.\-]")


@dataclass(frozen=True, slots=True)
class Invalid:
    """Why an answer was refused: a message id and the values to put in it."""

    message: str
    params: dict[str, str | int] = field(default_factory=dict)


def check(spec: Field, text: str, today: date) -> str | Invalid:
    """The value to keep for ``text`` as an answer to ``spec``, or why it cannot be kept."""
    checker = _CHECKERS[spec.kind]
    return checker(spec, text.strip(), today)


def _name(_spec: Field, text: str, _today: date) -> str | Invalid:
    if not text:
        return Invalid(N_("The name is empty: please type the full name, e.g. Nguyễn Thị Hoà."))
    if len(text) > MAX_NAME:
        return Invalid(
            N_("A name has at most {limit} characters; this one has {count}."),
            {"limit": MAX_NAME, "count": len(text)},
        )
    if any(c.isdigit() for c in text) or not any(c.isalpha() for c in text):
        return Invalid(N_("A name is written in letters, without digits, e.g. Nguyễn Thị Hoà."))
    return text


def _id_number(spec: Field, text: str, today: date) -> str | Invalid:
    digits = _ID_SEPARATORS.sub("", text)
    if not digits.isdigit():
        return Invalid(N_("An ID number is made of 12 digits only, e.g. 001190012345."))
    if len(digits) != 12:
        return Invalid(
            N_("An ID number has 12 digits; you typed {count}. Please check it on the card."),
            {"count": len(digits)},
        )
    century = int(digits[3])
    year = 1900 + 100 * (century // 2) + int(digits[4:6])
    if year > today.year:
        return Invalid(
            N_(
                "Digits 4 to 6 of this number give a birth year of {year}, which cannot be "
                "right. Please check the number on the card."
            ),
            {"year": year},
        )
    if spec.key == "id_number" and today.year - year < ADULT_AGE:
        return Invalid(
            N_(
                "This number belongs to someone born in {year}: the applicant must be at least "
                "{age}. A parent or guardian files for a child."
            ),
            {"year": year, "age": ADULT_AGE},
        )
    return digits


def _phone(_spec: Field, text: str, _today: date) -> str | Invalid:
    refused = Invalid(
        N_(
            "That is not a Vietnamese phone number. A mobile number has 10 digits and starts "
            "with 0, e.g. 0912 345 678 (or +84 912 345 678)."
        )
    )
    # Loaded by the first number a citizen gives (about 60 modules), not by every worker.
    import phonenumbers

    try:
        number = phonenumbers.parse(text, "VN")
    except phonenumbers.NumberParseException:
        return refused
    if not phonenumbers.is_valid_number(number) or number.country_code != 84:
        return refused
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def shown_phone(value: str) -> str:
    """A kept number as Vietnamese citizens write it (``+84912345678`` -> ``0912345678``): a
    review says back what they typed; only the portal gets the international form."""
    return "0" + value.removeprefix("+84") if value.startswith("+84") else value


def _date(spec: Field, text: str, today: date) -> str | Invalid:
    try:
        day = parse_day(text, today)
    except NoSuchDay as impossible:
        return Invalid(
            N_("{date} is not a date on the calendar. Please check it."), {"date": str(impossible)}
        )
    if day is None:
        if spec.recent:
            return Invalid(
                N_(
                    "Please type the date as day/month/year, e.g. 24/11/2026, or in words such "
                    "as “hôm qua” (yesterday)."
                )
            )
        return Invalid(N_("Please type the date as day/month/year, e.g. 24/11/2026."))
    if not day.year_told and not spec.recent:
        return Invalid(N_("Please type the year too, as day/month/year, e.g. 02/09/1995."))
    if day.value > today:  # named as understood: "ngày mai" may not be the day one meant
        return Invalid(
            N_("{date} is in the future. Please type a date up to today."),
            {"date": day.value.strftime("%d/%m/%Y")},
        )
    if day.value.year < 1900:
        return Invalid(N_("Please type a date from 1900 on."))
    return day.value.isoformat()


def typed_in_full(text: str) -> bool:
    """Whether a date was typed as day/month/four-digit year: any other way of telling it
    (words, no year) is said back as understood."""
    return _DATE.match(text) is not None


def _text(_spec: Field, text: str, _today: date) -> str | Invalid:
    if not text:
        return Invalid(N_("Please type an answer."))
    if len(text) > MAX_TEXT:
        return Invalid(
            N_("Please keep it to {limit} characters; this has {count}."),
            {"limit": MAX_TEXT, "count": len(text)},
        )
    return text


def _address(_spec: Field, text: str, _today: date) -> str | Invalid:
    if len(text) < MIN_ADDRESS or not any(c.isalpha() for c in text):
        return Invalid(
            N_("Please type the full address: house number, street, commune or ward, province.")
        )
    if len(text) > MAX_ADDRESS:
        return Invalid(
            N_("An address has at most {limit} characters; this one has {count}."),
            {"limit": MAX_ADDRESS, "count": len(text)},
        )
    return text


def _email(_spec: Field, text: str, _today: date) -> str | Invalid:
    if not _EMAIL.match(text):
        return Invalid(N_("That is not an e-mail address, e.g. hoa.nguyen@example.vn."))
    return text


def _choice(spec: Field, _text: str, _today: date) -> Invalid:
    return Invalid(N_("Please tap one of the buttons."))


_CHECKERS = {
    "name": _name,
    "id_number": _id_number,
    "phone": _phone,
    "date": _date,
    "text": _text,
    "address": _address,
    "email": _email,
    "choice": _choice,
}
