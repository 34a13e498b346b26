"""Which procedures can be filed from the chat, and their forms, declared as data.

Each form has a short name (what its button says, and what citizens type to choose it, in
either language), lists its fields in the order they are asked (label, help, type, whether
optional) and the papers to attach. Every form starts with the applicant's own details, which
the portal requires; a question about the person the dossier is for says whose answer it wants
when a volunteer files for someone else (``their_label``). Labels and help texts are English
message ids translated through the Babel catalogs (``N_`` only marks them for extraction).
Adding a procedure is adding one ``Form`` below.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


def N_(message: str) -> str:
    """Mark a message id for extraction; it is translated where it is shown."""
    return message


@dataclass(frozen=True, slots=True)
class Known:
    """An answer a form already holds: a mother filing her child's birth has typed her name
    as the applicant's, and is not asked it again. The field takes ``source``'s answer when
    the choice ``when`` was answered ``value``."""

    when: str
    value: str
    source: str


@dataclass(frozen=True, slots=True)
class Field:
    """One question of a form.

    ``kind`` picks the validation (``dialogs.filing.validate``): ``name``, ``id_number``,
    ``phone``, ``date`` (a real, past date), ``text``, ``address``, ``email`` or ``choice``.
    """

    key: str
    kind: str
    label: str
    help: str
    optional: bool = False
    choices: tuple[tuple[str, str], ...] = ()
    """(value sent to the portal, label shown) for ``choice`` fields."""
    known: Known | None = None
    said: tuple[tuple[str, str], ...] = ()
    """For a ``choice``: other words citizens type for an option, lowercase as typed, with or
    without accents, and its value ("bố", "ba": the father); with their accents, "bà" (a
    grandmother) is not "ba"."""
    recent: bool = False
    """For a ``date``: the day of something that has just happened (a birth, a death, a move),
    which citizens tell from today ("hôm qua", "5/12" without the year). A date of birth
    years ago needs its year."""
    their_label: str | None = None
    """The label when a volunteer files for someone else and the answer is that person's, not
    the volunteer's ("{name}'s date of birth": the certificate is theirs); ``{name}`` is the
    name the volunteer typed for them."""
    their_help: str | None = None
    """The help, likewise, where it speaks of the person the dossier is for."""


@dataclass(frozen=True, slots=True)
class Paper:
    """A paper to attach as a photo or PDF."""

    key: str
    label: str
    optional: bool = False


@dataclass(frozen=True, slots=True)
class Form:
    """What filing one procedure asks for."""

    procedure: str
    name: str
    """Short, in English, translated like the labels: the knowledge base has only the
    portal's long Vietnamese name, which no English speaker types ("birth")."""
    fields: tuple[Field, ...]
    papers: tuple[Paper, ...] = field(default=())

    def field(self, key: str) -> Field | None:
        """The field with this key."""
        return next((f for f in self.fields if f.key == key), None)


APPLICANT_KEYS = ("full_name", "id_number", "phone", "address")
"""Fields that make up the contract's ``applicant``; every other answer goes into ``form``."""

APPLICANT = (
    Field(
        "full_name",
        "name",
        N_("Your full name"),
        N_("As on your ID card, with diacritics, e.g. Nguyễn Thị Hoà."),
    ),
    Field(
        "id_number",
        "id_number",
        N_("Your personal identification number"),
        N_("The 12 digits on your citizen ID card (CCCD), e.g. 001190012345."),
    ),
    Field(
        "phone",
        "phone",
        N_("Your phone number"),
        N_("A Vietnamese number the one-stop desk can call, e.g. 0912 345 678."),
    ),
    Field(
        "address",
        "address",
        N_("Your address"),
        N_("Where you live: house number, street, commune or ward, province."),
    ),
)

ON_BEHALF = (
    Field(
        "full_name",
        "name",
        N_("The full name of the person you are helping"),
        N_("As on their ID card, with diacritics."),
    ),
    Field(
        "id_number",
        "id_number",
        N_("Their personal identification number"),
        N_("The 12 digits on their citizen ID card."),
    ),
    Field(
        "relationship",
        "text",
        # Said as the volunteer's part ("your son"): the person is shown it as who asks.
        N_("What you are to them"),
        N_("For example: son, niece, neighbour, member of the commune digital team."),
    ),
)
"""Who a volunteer files for: the contract's ``on_behalf_of``; the volunteer is the applicant."""

SEX = (("male", N_("Male")), ("female", N_("Female")))
SEX_SAID = tuple(
    (word, value)
    for value, words in (
        ("male", ("trai", "con trai", "bé trai", "be trai", "cháu trai", "chau trai", "boy")),
        ("female", ("gái", "gai", "con gái", "con gai", "bé gái", "be gai", "cháu gái", "girl")),
    )
    for word in words
)
"""A child's sex as parents say it: "con trai", "bé gái", "boy"."""
PARENT_SAID = tuple(
    (word, value)
    for value, words in (
        ("father", ("bố", "bo", "ba", "tía", "tia", "bố cháu", "bo chau", "bố nó", "bo no", "dad")),
        ("mother", ("má", "ma", "u", "mạ", "mẹ cháu", "me chau", "mẹ nó", "me no", "mum", "mom")),
        ("relative", ("bà", "ông", "ong", "bà nội", "ba noi", "bà ngoại", "ba ngoai")),
    )
    for word in words
)
"""Who files a birth, in the words of the North, the Centre and the South."""

FORMS: Mapping[str, Form] = {
    form.procedure: form
    for form in (
        Form(
            "1.001193",
            N_("Birth registration"),
            (
                *APPLICANT,
                Field(
                    "relationship",
                    "choice",
                    N_("You are the child's"),
                    N_("Who is registering the birth."),
                    their_label=N_("{name} is the child's"),
                    choices=(
                        ("father", N_("Father")),
                        ("mother", N_("Mother")),
                        ("relative", N_("Other relative")),
                    ),
                    said=PARENT_SAID,
                ),
                Field(
                    "child_name",
                    "name",
                    N_("The child's full name"),
                    N_("Exactly as it should appear on the birth certificate."),
                ),
                Field(
                    "child_birth_date",
                    "date",
                    N_("The child's date of birth"),
                    N_("Day/month/year, e.g. 24/11/2026."),
                    recent=True,
                ),
                Field(
                    "child_sex",
                    "choice",
                    N_("The child's sex"),
                    N_("Tap one."),
                    choices=SEX,
                    said=SEX_SAID,
                ),
                Field(
                    "birth_place",
                    "address",
                    N_("Place of birth"),
                    N_("The hospital or address where the child was born."),
                ),
                Field(
                    "mother_name",
                    "name",
                    N_("The mother's full name"),
                    N_("As on her ID card."),
                    known=Known("relationship", "mother", "full_name"),
                ),
                Field(
                    "father_name",
                    "name",
                    N_("The father's full name"),
                    N_("As on his ID card. Skip if not registered now."),
                    optional=True,
                    known=Known("relationship", "father", "full_name"),
                ),
            ),
            (
                Paper(
                    "birth_certificate", N_("Birth certificate from the hospital (Giấy chứng sinh)")
                ),
            ),
        ),
        Form(
            "1.000656",
            N_("Death registration"),
            (
                *APPLICANT,
                Field(
                    "deceased_name",
                    "name",
                    N_("The deceased's full name"),
                    N_("As on their ID card."),
                ),
                Field(
                    "deceased_id_number",
                    "id_number",
                    N_("The deceased's personal identification number"),
                    N_("12 digits. Skip if you do not know it."),
                    optional=True,
                ),
                Field(
                    "death_date",
                    "date",
                    N_("Date of death"),
                    N_("Day/month/year, e.g. 20/11/2026."),
                    recent=True,
                ),
                Field(
                    "death_place",
                    "address",
                    N_("Place of death"),
                    N_("The hospital or address."),
                ),
                Field(
                    "relationship",
                    "text",
                    N_("Your relationship to the deceased"),
                    N_("For example: son, wife, neighbour."),
                    their_label=N_("{name}'s relationship to the deceased"),
                ),
            ),
            (Paper("death_notice", N_("Death notice (Giấy báo tử)")),),
        ),
        Form(
            "1.004873",
            N_("Marital status confirmation"),
            (
                *APPLICANT,
                Field(
                    "birth_date",
                    "date",
                    N_("Your date of birth"),
                    N_("Day/month/year, e.g. 02/09/1995."),
                    their_label=N_("{name}'s date of birth"),
                ),
                Field(
                    "marital_status",
                    "choice",
                    N_("Your marital status now"),
                    N_("Tap one."),
                    their_label=N_("{name}'s marital status now"),
                    choices=(
                        ("never_married", N_("Never married")),
                        ("divorced", N_("Divorced")),
                        ("widowed", N_("Widowed")),
                    ),
                ),
                Field(
                    "purpose",
                    "text",
                    N_("What the confirmation is for"),
                    N_("For example: to register a marriage, to buy a house."),
                ),
            ),
            (Paper("divorce_decision", N_("Divorce decision, if divorced"), optional=True),),
        ),
        Form(
            "1.004194",
            N_("Temporary residence registration"),
            (
                *APPLICANT,
                Field(
                    "residence_address",
                    "address",
                    N_("Address of the temporary residence"),
                    N_("House number, street, commune or ward, province."),
                ),
                Field(
                    "moved_in",
                    "date",
                    N_("Date you moved in"),
                    N_("Day/month/year, e.g. 01/11/2026."),
                    recent=True,
                    their_label=N_("Date {name} moved in"),
                ),
                Field(
                    "host_name",
                    "name",
                    N_("The owner's or household head's full name"),
                    N_("Skip if you own the place."),
                    optional=True,
                    their_help=N_("Skip if {name} owns the place."),
                ),
            ),
            (Paper("lawful_residence", N_("Proof of lawful residence (e.g. rental contract)")),),
        ),
        Form(
            "3.000333",
            N_("Criminal record certificate"),
            (
                *APPLICANT,
                Field(
                    "birth_date",
                    "date",
                    N_("Your date of birth"),
                    N_("Day/month/year, e.g. 02/09/1995."),
                    their_label=N_("{name}'s date of birth"),
                ),
                Field(
                    "birth_place",
                    "text",
                    N_("Your place of birth"),
                    N_("Province or city, as on your birth certificate."),
                    their_label=N_("{name}'s place of birth"),
                    their_help=N_("Province or city, as on their birth certificate."),
                ),
                Field(
                    "purpose",
                    "text",
                    N_("What the certificate is for"),
                    N_("For example: a job application."),
                ),
            ),
            (Paper("id_card", N_("Photo of your citizen ID card, both sides")),),
        ),
    )
}
"""Every procedure that can be filed from the chat, by national code."""


def form_for(code: str | None) -> Form | None:
    """The form of a procedure that can be filed from the chat, else None."""
    return FORMS.get(code) if code else None
