"""User-facing text in Vietnamese and English: Babel catalogs and locale formatting.

Message ids are the English text; ``locale/vi`` translates every one into Vietnamese and
``locale/en`` repeats it, so a missing translation is caught by the tests rather than shown.
Dates and money are formatted with ``babel.dates`` and ``babel.numbers`` (``24/11/2026``,
``50.000 ₫``).

Updating the catalogs after changing user-facing text (run from the repository root)::

    .venv/bin/pybabel extract -F bot/i18n/babel.cfg --no-location --sort-output \\
        --project motcua --copyright-holder "motcua contributors" \\
        --header-comment "# User-facing text of motcua." -o bot/i18n/messages.pot .
    .venv/bin/pybabel update -i bot/i18n/messages.pot -d bot/i18n/locale -D messages \\
        --no-fuzzy-matching
    # translate the new entries in locale/vi/.../messages.po and locale/en/.../messages.po
    .venv/bin/pybabel compile -d bot/i18n/locale -D messages

``tests/test_i18n.py`` fails when the template misses a message, when a message lacks a
translation, or when a compiled ``.mo`` is older than its ``.po``.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache
from pathlib import Path

from babel.dates import format_date, format_datetime
from babel.numbers import format_currency
from babel.support import Translations

from dialogs.context import SUPPORTED_LOCALES

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "messages"
CURRENCY = "VND"

_DATE_FORMATS = {"vi": "dd/MM/yyyy"}
"""Vietnamese short dates in CLDR have a two-digit year; citizens write four."""

_MOMENT_FORMATS = {"vi": "HH:mm EEEE, dd/MM/yyyy", "en": "HH:mm, EEEE d MMM yyyy"}
"""A reminder's time said back: the hour first, then the weekday, so a misread is seen."""


class BabelTranslator:
    """The ``Translator`` port for one locale, backed by the compiled Babel catalog."""

    def __init__(self, locale: str) -> None:
        if locale not in SUPPORTED_LOCALES:
            raise ValueError(f"unsupported locale {locale!r}; expected one of {SUPPORTED_LOCALES}")
        self.locale = locale
        loaded = Translations.load(str(LOCALE_DIR), [locale], DOMAIN)
        if not isinstance(loaded, Translations):
            # Babel silently falls back to the message ids; Vietnamese users would get English.
            raise FileNotFoundError(
                f"no compiled catalog for {locale!r} in {LOCALE_DIR}; "
                "run: pybabel compile -d bot/i18n/locale -D messages"
            )
        self._translations = loaded

    def gettext(self, message: str) -> str:
        """Translate a message id (English text)."""
        return self._translations.gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        """Translate with the locale's plural rule (Vietnamese has one form)."""
        return self._translations.ngettext(singular, plural, n)

    def format_date(self, value: datetime) -> str:
        """The calendar date of ``value`` as written in this locale."""
        return format_date(value.date(), _DATE_FORMATS.get(self.locale, "medium"), self.locale)

    def format_moment(self, value: datetime) -> str:
        """The hour, weekday and date of ``value`` in its own time zone (the citizen's)."""
        return format_datetime(value, _MOMENT_FORMATS[self.locale], value.tzinfo, self.locale)

    def format_money(self, amount: int) -> str:
        """An amount in đồng, e.g. ``50.000 ₫``."""
        return format_currency(amount, CURRENCY, locale=self.locale)


@cache
def translator(locale: str) -> BabelTranslator:
    """The shared translator for a locale; catalogs are read once per process."""
    return BabelTranslator(locale)
