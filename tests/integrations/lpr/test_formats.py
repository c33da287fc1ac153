"""Plate formats: look-alike fixing by position, first listed format wins, non-plates out."""

from __future__ import annotations

import pytest
import voluptuous as vol

from hub.integrations.lpr.formats import PRESETS, PlateFormats, plate_formats
from hub.plates import normalize_plate


def test_indian_plate_read_with_look_alikes_is_fixed_by_position() -> None:
    formats = PlateFormats.from_config(["in", "uk", "any"])
    assert formats.fit("KAO1AB1Z34") == ("KA01AB1234", "in")
    assert formats.fit("ka 01 ab 1234") == ("KA01AB1234", "in")
    # Letters where the format wants letters: 8 -> B, 5 -> S, 0 -> O, 1 -> I.
    assert formats.fit("KA0158I234") == ("KA01SB1234", "in")


def test_uk_plate_read_with_look_alikes_is_fixed() -> None:
    formats = PlateFormats.from_config(["in", "uk", "any"])
    assert formats.fit("A8I2CDE") == ("AB12CDE", "uk")
    assert formats.fit("AB12C0E") == ("AB12COE", "uk")  # 0 where a letter goes: O


def test_first_listed_format_that_fits_wins() -> None:
    # "AB12CDE" fits uk as read; listed first, `any` would take it unchanged too.
    assert PlateFormats.from_config(["any", "uk"]).fit("AB12CDE") == ("AB12CDE", "any")
    assert PlateFormats.from_config(["uk", "any"]).fit("AB12CDE") == ("AB12CDE", "uk")
    # A Brazilian read fits br after one swap, even though `any` would take it unswapped.
    assert PlateFormats.from_config(["br", "any"]).fit("A8C1234") == ("ABC1234", "br")
    assert PlateFormats.from_config(["any", "br"]).fit("A8C1234") == ("A8C1234", "any")


@pytest.mark.parametrize(
    "text",
    [
        "12:30:45",
        "2026-11-22",
        "22/11/2026",
        "ENTRY 2026-11-22 13:45:00",
        "13:45",
        "EXIT",
        "STOP",
        "PARKING",
        "NO",
        "123456",  # digits alone: a counter, a price, a phone number
        "",
        "-- --",
    ],
)
def test_timestamps_signs_and_short_words_are_not_plates(text: str) -> None:
    assert PlateFormats.from_config(["in", "uk", "any"]).fit(text) is None


def test_the_catch_all_takes_long_plates_of_other_countries() -> None:
    lot = PlateFormats.from_config(["any"])
    assert lot.fit("MH 12 DE 1433") == ("MH12DE1433", "any")  # India, 10 characters
    assert lot.fit("A 123 BC 777") == ("A123BC777", "any")  # Russia, 9
    assert lot.fit("AB12CD34567") is None  # 11: no plate is that long


def test_a_plate_split_by_a_sticker_is_not_a_time() -> None:
    # Czech plates print 1B2 5790 with stickers between the groups, read as a colon.
    assert PlateFormats.from_config(["any"]).fit("1B2:5790") == ("1B25790", "any")


def test_catch_all_keeps_the_read_as_it_is() -> None:
    # Without a positional format there is nothing to fix by: O stays O.
    assert PlateFormats.from_config(["any"]).fit("WO53011") == ("WO53011", "any")


def test_presets_cover_the_countries() -> None:
    for name in ("in", "uk", "eu", "us", "br", "ar", "cn", "any"):
        assert name in PRESETS
    formats = PlateFormats.from_config(["us"])
    assert formats.fit("7ABC123") == ("7ABC123", "us")
    assert PlateFormats.from_config(["ar"]).fit("AD054JI") == ("AD054JI", "ar")
    assert PlateFormats.from_config(["br"]).fit("ABC1D23") == ("ABC1D23", "br")


def test_custom_regex_and_bad_regex() -> None:
    formats = PlateFormats.from_config([r"[A-Z]{3}-?[0-9]{3}"])
    assert formats.fit("XYZ 123") == ("XYZ123", r"[A-Z]{3}-?[0-9]{3}")
    with pytest.raises(vol.Invalid, match="neither a preset"):
        plate_formats(["uk", "[A-Z"])
    assert plate_formats("uk") == ["uk"]


def test_no_formats_returns_the_cleaned_text() -> None:
    assert PlateFormats([]).fit("ab-12 cd") == ("AB12CD", "")
    assert normalize_plate("皖A·46E18") == "A46E18"


def test_letters_alone_fit_as_a_vanity_plate_only_with_the_catch_all() -> None:
    assert PlateFormats.from_config(["any"]).fit("GWAGEN") is None  # not a format fit
    assert PlateFormats.from_config(["uk", "any"]).fit_word("G.WAGEN") == ("GWAGEN", "word")
    assert PlateFormats.from_config(["uk"]).fit_word("GWAGEN") is None
    for text in ("STOP", "ABCDEFGHI", "Parking", "AB1CDE"):  # too short/long, lower case, digit
        assert PlateFormats.from_config(["any"]).fit_word(text) is None


def test_digits_alone_fit_as_a_number_plate_but_not_as_a_clock_or_a_date() -> None:
    lot = PlateFormats.from_config(["any"])
    assert lot.fit("12-345-67") is None  # `any` wants a letter too
    assert lot.fit_word("12-345-67") == ("1234567", "number")  # an Israeli plate
    assert PlateFormats.from_config(["uk"]).fit_word("1234567") is None
    for text in ("2014", "123456789", "12:30:45", "2026-11-22", "22/11/2026"):
        assert lot.fit_word(text) is None, text
