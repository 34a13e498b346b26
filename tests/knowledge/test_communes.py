"""The 2025 administrative units: every unit present, found by name as citizens type it, and
old addresses mapped to the units they now belong to."""

from __future__ import annotations

from knowledge.communes import legacy, units


def test_the_units_in_force_since_july_2025_are_all_there() -> None:
    assert len(units.provinces()) == 34
    assert sum(len(units.communes_of(p.code)) for p in units.provinces()) == 3321
    assert {u.kind for p in units.provinces() for u in units.communes_of(p.code)} == {
        "xã",
        "phường",
        "đặc khu",
    }


def test_a_name_without_diacritics_finds_the_unit() -> None:
    found = units.search("phuong ba dinh")
    assert [u.label for u in found.communes] == ["Phường Ba Đình, Hà Nội"]
    assert found.exact


def test_a_province_after_the_name_narrows_it_down() -> None:
    everywhere = units.search("Tân Lập")
    assert len(everywhere.communes) > 1  # several provinces have one: the caller asks which
    found = units.search("xa tan lap tinh tay ninh")
    assert found.province is not None and found.province.short == "Tây Ninh"
    assert [u.label for u in found.communes] == ["Xã Tân Lập, Tây Ninh"]


def test_a_whole_address_finds_the_unit_after_its_kind() -> None:
    """Street and house number before "p."/"xã" are not part of the name, nor a misspelling."""
    for address, label in [
        ("12 Tran Phu, p. Ba Dinh, Ha Noi", "Phường Ba Đình, Hà Nội"),
        ("so 5 ngo 10 pho Doi Can, phuong Ngoc Ha", "Phường Ngọc Hà, Hà Nội"),
        ("thon 2, xa Tan Lap, Tay Ninh", "Xã Tân Lập, Tây Ninh"),
    ]:
        found = units.search(address)
        assert found.exact and [u.label for u in found.communes] == [label], address
    assert not units.search("Benh vien Bach Mai, Ha Noi").exact  # no kind: only close names


def test_a_misspelt_name_is_offered_as_close_not_exact() -> None:
    found = units.search("phuong ba dihn")
    assert not found.exact
    assert found.communes[0].name == "Phường Ba Đình"


def test_a_mistyped_code_gets_the_nearest_codes() -> None:
    assert units.closest_codes("9833")[0].code == 9832


def test_an_old_commune_maps_to_every_unit_it_went_to() -> None:
    old = legacy.understand("xã Tân Lập, huyện Đan Phượng, Hà Nội")
    assert old is not None
    assert old.old == "Xã Tân Lập, Huyện Đan Phượng, Thành phố Hà Nội"
    assert {u.name for u in old.communes} == {"Xã Hoài Đức", "Xã Ô Diên"}


def test_an_old_commune_named_with_its_old_province_only_is_found() -> None:
    # Phú Thọ has no Tân Lập since 2025: the old one (Thanh Sơn district) is understood.
    assert not units.search("xa tan lap tinh phu tho").exact
    old = legacy.understand("xa tan lap tinh phu tho")
    assert old is not None and [u.label for u in old.communes] == ["Xã Văn Miếu, Phú Thọ"]


def test_an_old_district_gives_the_units_its_communes_went_to() -> None:
    old = legacy.understand("huyen dan phuong, ha noi")
    assert old is not None and "Xã Đan Phượng" in {u.name for u in old.communes}


def test_text_naming_no_old_unit_is_not_an_old_address() -> None:
    assert legacy.understand("asdf qwe") is None
