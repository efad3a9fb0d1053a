"""Unit tests of Range parsing (no HTTP)."""

import pytest

from contentizer.http.ranges import Unsatisfiable, parse_range


@pytest.mark.parametrize(
    ("header", "size", "expected"),
    [
        (None, 10, None), ("", 10, None), ("bytes=0-0", 10, (0, 0)), ("bytes=0-99", 1000, (0, 99)),
        ("bytes=100-", 1000, (100, 999)), ("bytes=-500", 1000, (500, 999)), ("bytes=-5000", 1000, (0, 999)),
        ("bytes=0-5000", 1000, (0, 999)), ("bytes=abc", 10, None), ("bytes=3-1", 10, None),
        ("bytes=-", 10, None), ("bytes=0-1,3-4", 10, None), ("lines=0-1", 10, None),
    ],
)
def test_it_parses_single_ranges(header, size, expected):
    assert parse_range(header, size) == expected


@pytest.mark.parametrize(("header", "size"), [("bytes=10-", 10), ("bytes=0-0", 0), ("bytes=-1", 0), ("bytes=-0", 5)])
def test_it_rejects_unsatisfiable_ranges(header, size):
    with pytest.raises(Unsatisfiable):
        parse_range(header, size)
