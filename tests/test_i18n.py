"""The Babel catalogs are complete and current, and the translator formats dates and money."""

from __future__ import annotations

import ast
import string
from datetime import UTC, datetime
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from bot.i18n import LOCALE_DIR, BabelTranslator, translator
from dialogs.context import SUPPORTED_LOCALES

ROOT = Path(__file__).resolve().parent.parent
I18N = ROOT / "bot" / "i18n"


def catalog(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as f:
        return read_po(f, locale=locale)


def po_path(locale: str) -> Path:
    return LOCALE_DIR / locale / "LC_MESSAGES" / "messages.po"


def ids(messages: Catalog) -> set[object]:
    return {_strings(m.id) for m in messages if m.id}


def test_the_template_has_every_message_the_code_uses() -> None:
    with (I18N / "babel.cfg").open() as f:
        method_map, options_map = parse_mapping_cfg(f)
    in_code = {
        _strings(message)
        for _file, _line, message, _comments, _context in extract_from_dir(
            ROOT, method_map, options_map
        )
    }
    template = ids(catalog(I18N / "messages.pot"))
    assert not in_code - template, "run pybabel extract/update (see bot/i18n/__init__.py)"
    assert not template - in_code, "the template has messages no code uses any more"


def test_no_message_hides_inside_an_f_string() -> None:
    """Babel does not extract ``_("...")`` written inside an f-string: such text would never
    reach the catalogs and would be shown in English to everyone."""
    hidden = []
    for package in ("bot", "dialogs", "integrations"):
        for path in sorted((ROOT / package).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if not isinstance(node, ast.JoinedStr):
                    continue
                for call in ast.walk(node):
                    if (
                        isinstance(call, ast.Call)
                        and isinstance(call.func, ast.Name)
                        and call.func.id in {"_", "gettext", "ngettext", "N_"}
                        and any(isinstance(a, ast.Constant) for a in call.args)
                    ):
                        hidden.append(f"{path.relative_to(ROOT)}:{call.lineno}")
    assert not hidden, "move these messages out of their f-strings: " + ", ".join(hidden)


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_every_message_is_translated(locale: str) -> None:
    template = ids(catalog(I18N / "messages.pot"))
    translated = catalog(po_path(locale), locale)
    assert ids(translated) == template, "run pybabel update (see bot/i18n/__init__.py)"
    for message in translated:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        assert all(strings), f"{locale}: no translation for {message.id!r}"
        assert not message.fuzzy, f"{locale}: fuzzy translation for {message.id!r}"


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_translations_keep_the_placeholders(locale: str) -> None:
    for message in catalog(po_path(locale), locale):
        if not message.id:
            continue
        wanted = {field for text in _strings(message.id) for field in _fields(str(text))}
        for text in _strings(message.string):
            assert _fields(str(text)) == wanted, f"{locale}: placeholders differ in {message.id!r}"


def _fields(text: str) -> set[str]:
    return {name for _lit, name, _spec, _conv in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_compiled_catalogs_match_their_sources(locale: str) -> None:
    source = catalog(po_path(locale), locale)
    with po_path(locale).with_suffix(".mo").open("rb") as f:
        compiled = read_mo(f)
    for message in source:
        if message.id:
            built = compiled.get(message.id)
            assert built is not None, f"run pybabel compile: {message.id!r} missing"
            assert _strings(built.string) == _strings(message.string), (
                f"run pybabel compile: {locale} .mo is older than its .po"
            )
    assert ids(compiled) == ids(source), "run pybabel compile"


def _strings(value: object) -> tuple[object, ...]:
    return tuple(value) if isinstance(value, list | tuple) else (value,)


def test_vietnamese_and_english_formatting() -> None:
    when = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)
    vi, en = translator("vi"), translator("en")
    assert vi.format_date(when) == "24/11/2026"
    assert en.format_date(when) == "Nov 24, 2026"
    assert vi.format_money(50000) == "50.000\u00a0₫"
    assert en.format_money(50000) == "₫50,000"
    assert vi.gettext("Menu") == "Menu" and vi.gettext("Have it") == "Có rồi"
    assert vi.ngettext("{n} working day", "{n} working days", 3) == "{n} ngày làm việc"
    assert en.ngettext("{n} working day", "{n} working days", 1) == "{n} working day"
    assert en.ngettext("{n} working day", "{n} working days", 3) == "{n} working days"


def test_an_unsupported_locale_is_refused_clearly() -> None:
    with pytest.raises(ValueError, match="unsupported locale 'fr'"):
        BabelTranslator("fr")


def test_a_missing_compiled_catalog_fails_loudly_instead_of_speaking_english(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("bot.i18n.LOCALE_DIR", tmp_path)
    with pytest.raises(FileNotFoundError, match="pybabel compile"):
        BabelTranslator("vi")
