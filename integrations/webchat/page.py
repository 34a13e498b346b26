"""The chat page's own words (welcome, labels, notices), taken from the message catalogs.

The page carries its text in every language it offers, so the language button switches at once,
even offline. The first language's text is also written into the HTML itself: it is what shows
before the script runs, and the title and description a shared link displays.
"""

from __future__ import annotations

import html
import json
from collections.abc import Callable
from pathlib import Path
from string import Template
from typing import Any

from dialogs.ports import Translator

PAGE_LOCALES = ("vi", "en")
"""The languages the page offers, in the order its language button walks them; first is default."""

TEMPLATE = Path(__file__).with_name("page.html")


def N_(message: str) -> str:
    """Mark a message id for pybabel; it is translated later, once for each language."""
    return message


_WORDS = {
    "name": N_("Một cửa"),
    "subtitle": N_("Public service questions"),
    "description": N_("Ask about public procedures and check which papers to bring."),
    "label": N_("Your question"),
    "placeholder": N_("e.g. ID card"),
    "send": N_("Send"),
    "attach": N_("Send a photo or PDF of a paper"),
    "typing": N_("Answering…"),
    "log": N_("Conversation"),
    "you": N_("You"),
    "welcome": N_(
        "Hello! I help you with public procedures: which papers you need, where to go, "
        "how long it takes and what it costs.\nType a question, or choose below."
    ),
    "offline": N_("Connection lost. Your message was not sent; please try again."),
    "noscript": N_("This page needs JavaScript turned on."),
}

_LANGUAGES = {
    "vi": (N_("Vietnamese"), N_("Switch to Vietnamese")),
    "en": (N_("English"), N_("Switch to English")),
}
"""Each language's name and invitation, shown in that language on the button that switches to it."""

_EXAMPLES = (
    (N_("Birth registration"), None),
    (N_("ID card"), None),
    (N_("Show the menu"), "menu"),
)
"""The welcome's buttons: a label, and the text it sends when that is not the label itself."""


def page_text(locale: str, translator: Translator) -> dict[str, Any]:
    """Everything the page says in one language, keyed as the page's script looks it up."""
    _ = translator.gettext
    text: dict[str, Any] = {key: _(message) for key, message in _WORDS.items()}
    text["title"] = f"{text['name']} – {text['subtitle']}"
    language, switch = _LANGUAGES[locale]
    text["language"], text["switch"] = _(language), _(switch)
    text["examples"] = [
        {"label": _(label), "text": sends or _(label)} for label, sends in _EXAMPLES
    ]
    return text


def render_page(translator: Callable[[str], Translator]) -> str:
    """The page's HTML: the first language written in, every language carried for the script."""
    texts = {locale: page_text(locale, translator(locale)) for locale in PAGE_LOCALES}
    first, second = (texts[locale] for locale in PAGE_LOCALES[:2])
    fields = {key: html.escape(value) for key, value in first.items() if isinstance(value, str)}
    return Template(TEMPLATE.read_text(encoding="utf-8")).substitute(
        fields,
        lang=PAGE_LOCALES[0],
        next_lang=PAGE_LOCALES[1],
        next_language=html.escape(second["language"]),
        next_switch=html.escape(second["switch"]),
        noscript=" / ".join(html.escape(text["noscript"]) for text in texts.values()),
        strings=html.escape(json.dumps(texts, ensure_ascii=False)),
    )
