"""Plates written as printed: one table of (stored plate, region) -> what people see."""

from __future__ import annotations

import pytest

from plates.display import display_plate


@pytest.mark.parametrize(
    ("plate", "region", "printed"),
    [
        ("ab12cde", "gb", "AB12 CDE"),
        ("a123bcd", "gb", "A123 BCD"),
        ("abc123d", "gb", "ABC 123D"),
        ("abc1234", "br", "ABC-1234"),
        ("abc1d23", "br", "ABC1D23"),
        ("ab123cd", "fr", "AB-123-CD"),
        ("1234ab56", "fr", "1234 AB 56"),
        ("ab123cd", "it", "AB 123CD"),
        ("1234bcd", "es", "1234 BCD"),
        ("ab1234", "nl", "AB-12-34"),
        ("12abc3", "nl", "12-ABC-3"),
        ("mx5", "de", "M X 5"),  # district + 1 letter: the split is certain
        ("abcde12", "de", "ABC DE 12"),  # 3 + 2 letters: certain
        ("mxs5", "de", "MXS5"),  # M XS or MX S: not certain, so compact
        ("1abc234", "be", "1-ABC-234"),
        ("1ab2345", "cz", "1AB 2345"),
        ("zh123456", "ch", "ZH 123456"),
        ("ab12cd", "pt", "AB-12-CD"),
        ("b123abc", "ro", "B 123 ABC"),
        ("ab12345", "dk", "AB 12 345"),
        ("ab12345", "no", "AB 12345"),
        ("abc123", "se", "ABC 123"),
        ("abc123", "fi", "ABC-123"),
        ("abc123", "hu", "ABC-123"),
        ("7abc123", "us-ca", "7ABC123"),  # US layouts differ per state: compact
        ("ab12cde", "", "AB12CDE"),  # region unknown
        ("ab12cde", None, "AB12CDE"),
        ("ab12cde", "fr", "AB12CDE"),  # does not fit the region's layouts
        ("AB-12 CDE", "gb", "AB12 CDE"),  # already printed: same result
        ("xab-1234", "de", "XAB-1234"),  # no certain layout: as stored, upper-case
        ("京a12345", "cn", "京A12345"),
        ("", "gb", ""),
    ],
)
def test_display_plate(plate, region, printed):
    assert display_plate(plate, region) == printed
