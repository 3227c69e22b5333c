"""Chart parameters: bucket widths, window starts, time zones, and every 400 in its order."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from werkzeug.exceptions import HTTPException

from monitoring.services.charts.window import bucket_width, parse_window

NOW = datetime(2024, 5, 10, 14, 37, 12, tzinfo=UTC)


def window(**params):
    params.setdefault("default_time", "7d")
    params.setdefault("default_timezone", "UTC")
    for name in ("time_range", "start", "end", "timezone"):
        params.setdefault(name, None)
    return parse_window(now=NOW, **params)


def error_of(**params) -> list:
    with pytest.raises(HTTPException) as info:
        window(**params)
    assert info.value.code == 400
    return info.value.data["body"]


@pytest.mark.parametrize(("days", "width"), [
    (1, timedelta(minutes=10)), (2, timedelta(minutes=10)), (3, timedelta(minutes=20)),
    (4, timedelta(minutes=25)), (5, timedelta(minutes=35)), (6, timedelta(minutes=40)),
    (7, timedelta(hours=1)), (8, timedelta(hours=1)), (10, timedelta(hours=1)), (11, timedelta(hours=2)),
    (12, timedelta(hours=2)), (17, timedelta(hours=2)), (18, timedelta(hours=3)), (24, timedelta(hours=3)),
    (25, timedelta(hours=4)), (27, timedelta(hours=4)),
    # docs/api.md §15.3: 28d and 29d get days like their neighbours, not the reference's 10 minutes
    (28, timedelta(days=1)), (29, timedelta(days=1)), (30, timedelta(days=1)), (99, timedelta(days=1)),
    (210, timedelta(days=1)), (211, timedelta(days=7)), (365, timedelta(days=7)),
])
def test_bucket_widths(days, width):
    assert bucket_width(days) == width


def test_short_ranges_start_exactly_n_days_ago():
    for days in (1, 2, 3):
        result = window(time_range=f"{days}d")
        assert result.start == NOW - timedelta(days=days)
        assert result.end == NOW


def test_long_ranges_start_at_local_midnight():
    assert window(time_range="30d").start == datetime(2024, 4, 10, tzinfo=UTC)
    assert window(time_range="4d").start == datetime(2024, 5, 6, tzinfo=UTC)
    # 7d: today and the six days before
    assert window(time_range="7d").start == datetime(2024, 5, 4, tzinfo=UTC)
    # Rome is +02:00 in May: local midnight is 22:00 UTC the day before
    rome = window(time_range="30d", timezone="Europe/Rome")
    assert rome.start == datetime(2024, 4, 9, 22, tzinfo=UTC)
    assert rome.timezone == "Europe/Rome"


def test_local_today_decides_the_first_day():
    # At 14:37 UTC it is already 11 May in Kiritimati (+14:00).
    result = window(time_range="7d", timezone="Pacific/Kiritimati")
    assert result.start == datetime(2024, 5, 5, tzinfo=UTC) - timedelta(hours=14)


def test_default_time_and_zone():
    result = window(default_time="30d", default_timezone="Asia/Kolkata")
    assert result.width == timedelta(days=1)
    assert result.timezone == "Asia/Kolkata"


def test_time_zone_names_are_case_insensitive():
    assert window(timezone="europe/rome").timezone == "Europe/Rome"
    assert window(timezone="utc").timezone == "UTC"


@pytest.mark.parametrize("value", ["wrong", "Europe/Cazzuoli", "UTC'; DROP TABLE devices; --", "../etc/passwd",
                                   "Europe/"])
def test_unknown_time_zone(value):
    assert error_of(timezone=value) == ["Unkown Time Zone"]


@pytest.mark.parametrize("value", ["3w", "1h", "xd", "d", "0d", "366d", "400d", "-1d", "1.5d", "7D", " 7d"])
def test_unsupported_time_ranges(value):
    assert error_of(time_range=value) == ["Time range not supported (expected Nd, 1 ≤ N ≤ 365)"]


@pytest.mark.parametrize("value", ["1d", "2d", "28d", "365d", "007d"])
def test_supported_time_ranges(value):
    window(time_range=value)


def test_custom_range_in_the_requested_zone():
    result = window(start="2024-05-01 00:00:00", end="2024-05-03 12:00:00", timezone="Europe/Rome")
    assert result.start == datetime(2024, 4, 30, 22, tzinfo=UTC)
    assert result.end == datetime(2024, 5, 3, 10, tzinfo=UTC)
    assert result.width == timedelta(minutes=10)  # 2 days


@pytest.mark.parametrize(("start", "end", "width"), [
    ("2022-10-02 00:00:00", "2022-10-04 23:59:59", timedelta(minutes=10)),  # 2d
    ("2022-10-02 00:00:00", "2022-10-06 00:00:00", timedelta(minutes=25)),  # 4d
    ("2022-09-29 00:00:00", "2022-10-11 15:50:00", timedelta(hours=2)),  # 12d
    ("2022-07-04 00:00:00", "2022-10-11 00:00:00", timedelta(days=1)),  # 99d
    ("2022-10-02 10:00:00", "2022-10-02 10:30:00", timedelta(minutes=10)),  # 0 days counts as 1d
])
def test_custom_range_buckets(start, end, width):
    assert window(start=start, end=end).width == width


def test_custom_range_needs_both_ends():
    assert window(start="2024-05-01 00:00:00", time_range="30d").width == timedelta(days=1)
    assert window(end="2024-05-01 00:00:00", time_range="1d").start == NOW - timedelta(days=1)


def test_custom_range_replaces_time():
    assert window(start="2024-05-01 00:00:00", end="2024-05-02 00:00:00", time_range="bad").width == \
        timedelta(minutes=10)


FORMAT = ("Incorrect custom date format, should be YYYY-MM-DD H:M:S "
          "(e.g. 2024-05-02 10:15:00 in the requested timezone; not ISO 8601)")


@pytest.mark.parametrize(("params", "message"), [
    ({"start": "2024-05-01", "end": "2024-05-02 00:00:00"}, FORMAT),
    ({"start": "2024-05-01 00:00:00", "end": "tomorrow"}, FORMAT),
    ({"start": "2023-01-01 00:00:00", "end": "2024-01-02 00:00:01"},
     "The date range shouldn't be greater than 365 days"),
    ({"start": "2024-05-02 00:00:00", "end": "2024-05-01 00:00:00"}, "start_date cannot be greater than end_date"),
    ({"start": "2024-05-11 00:00:00", "end": "2024-05-12 00:00:00"}, "start_date cannot be greater than today's date"),
    ({"start": "2024-05-09 00:00:00", "end": "2024-05-10 15:00:00"}, "end_date cannot be greater than today's date"),
])
def test_custom_range_errors(params, message):
    assert error_of(**params) == [message]


def test_now_is_taken_in_the_requested_zone():
    # 14:37 UTC is 16:37 in Rome: 16:00 local is in the past there, not in UTC.
    assert error_of(start="2024-05-10 00:00:00", end="2024-05-10 16:00:00") == \
        ["end_date cannot be greater than today's date"]
    window(start="2024-05-10 00:00:00", end="2024-05-10 16:00:00", timezone="Europe/Rome")


def test_validation_order():
    everything_wrong = {"timezone": "nowhere", "start": "x", "end": "y", "time_range": "3w"}
    assert error_of(**everything_wrong) == ["Unkown Time Zone"]
    assert error_of(**{**everything_wrong, "timezone": "UTC"}) == [FORMAT]
    assert error_of(start="2020-01-01 00:00:00", end="2024-12-31 00:00:00") == [
        "The date range shouldn't be greater than 365 days"]
    # a reversed range is not a long one: it is reported as reversed
    assert error_of(start="2026-01-01 00:00:00", end="2024-01-01 00:00:00") == [
        "start_date cannot be greater than end_date"]
    assert error_of(timezone="UTC", time_range="3w") == ["Time range not supported (expected Nd, 1 ≤ N ≤ 365)"]
