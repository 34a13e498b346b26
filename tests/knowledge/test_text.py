"""Vietnamese normalisation: one tone placement, NFC, tidy whitespace, accent-free keys."""

from __future__ import annotations

import unicodedata

import pytest

from knowledge.text import fold, normalize_text


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Uỷ ban nhân dân", "Ủy ban nhân dân"),
        ("UỶ BAN", "ỦY BAN"),
        ("hoá đơn", "hóa đơn"),
        ("Hoà giải", "Hòa giải"),
        ("thuỷ lợi", "thủy lợi"),
        ("sức khoẻ", "sức khỏe"),
        ("tuỳ theo", "tùy theo"),
    ],
)
def test_tone_moves_to_the_first_vowel_of_open_oa_oe_uy(raw: str, expected: str) -> None:
    assert normalize_text(raw) == expected


@pytest.mark.parametrize("word", ["quý", "quả", "hoàn", "khuyến", "Ủy", "hóa", "thuế", "người"])
def test_words_already_in_the_convention_stay_as_they_are(word: str) -> None:
    assert normalize_text(word) == word


def test_decomposed_text_becomes_nfc() -> None:
    decomposed = unicodedata.normalize("NFD", "Đăng ký khai sinh")
    assert decomposed != "Đăng ký khai sinh"
    result = normalize_text(decomposed)
    assert result == "Đăng ký khai sinh"
    assert unicodedata.is_normalized("NFC", result)


def test_stray_whitespace_and_invisible_characters_are_removed() -> None:
    assert normalize_text("  Giấy\u00a0 khai\tsinh\u200b \n") == "Giấy khai sinh"
    assert normalize_text("đăng k\u200eý") == "đăng ký"


def test_multiline_keeps_line_breaks_and_drops_blank_lines() -> None:
    text = " Bước 1:  nộp hồ sơ \n\n\n  Bước 2: nhận   kết quả "
    assert normalize_text(text, multiline=True) == "Bước 1: nộp hồ sơ\nBước 2: nhận kết quả"


def test_fold_strips_diacritics_lowercases_and_maps_d_stroke() -> None:
    assert fold("Đăng ký KHAI SINH cho con") == "dang ky khai sinh cho con"
    assert fold("Ủy ban nhân dân huyện") == "uy ban nhan dan huyen"


def test_fold_gives_the_same_key_for_both_tone_conventions_and_forms() -> None:
    variants = ["Uỷ ban hoá", "Ủy ban hóa", unicodedata.normalize("NFD", "Uỷ ban hoá")]
    assert {fold(v) for v in variants} == {"uy ban hoa"}


def test_fold_keeps_positions_of_nfc_text() -> None:
    text = "Cấp đổi thẻ căn cước"
    assert len(fold(text)) == len(text)
    assert fold(text)[text.index("thẻ") :].startswith("the")
