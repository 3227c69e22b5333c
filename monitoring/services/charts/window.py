"""Chart parameters → the window a chart covers and its bucket width (docs/api.md §10.1–10.3,
docs/metrics.md §2, and docs/api.md §15.3, which wins over the reference).

Checked in the reference's order: ``timezone``, then ``start``/``end`` (format, length,
order, future), then ``time``. Every error is a 400 whose body is a JSON list with one
message, as the reference answers.
"""
from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import NoReturn
from zoneinfo import ZoneInfo, available_timezones

from flask import current_app
from flask_smorest import abort

from monitoring.timeseries.chart_queries import Window

# The reference's texts come first, then what is expected (docs/api.md §15.3): clients that
# show the message teach their user, clients that look for the reference's text find it.
TIME_RANGE_ERROR = "Time range not supported (expected Nd, 1 ≤ N ≤ 365)"
TIMEZONE_ERROR = "Unkown Time Zone"  # sic: clients match the reference's spelling
DATE_FORMAT_ERROR = ("Incorrect custom date format, should be YYYY-MM-DD H:M:S "
                     "(e.g. 2024-05-02 10:15:00 in the requested timezone; not ISO 8601)")
RANGE_TOO_LONG_ERROR = "The date range shouldn't be greater than 365 days"
START_AFTER_END_ERROR = "start_date cannot be greater than end_date"
START_IN_FUTURE_ERROR = "start_date cannot be greater than today's date"
END_IN_FUTURE_ERROR = "end_date cannot be greater than today's date"

CUSTOM_FORMAT = "%Y-%m-%d %H:%M:%S"
MAX_DAYS = 365
TIME_PATTERN = re.compile(r"[0-9]+d")


def parameter_error(message: str) -> NoReturn:
    abort(400, body=[message])


def bucket_width(days: int) -> timedelta:
    """The bucket of an ``Nd`` range (1 ≤ N ≤ 365), as the reference computes it, except
    28d and 29d, which get days like their neighbours instead of 10 minutes."""
    if days < 3:
        return timedelta(minutes=10)
    if days < 7:
        return timedelta(minutes=5 * round(days * 4 / 3))
    if days < 28:
        return timedelta(hours=round(days / 7))
    if days <= 210:
        return timedelta(days=1)
    return timedelta(days=7)


@lru_cache(maxsize=1)
def _zone_names() -> dict[str, str]:
    # The reference looks zones up case-insensitively ("europe/rome" works).
    return {name.lower(): name for name in available_timezones()}


def zone_name(raw: str | None, *, default: str) -> str:
    """The canonical IANA name of ``raw`` (``default`` when absent); 400 when unknown."""
    if raw is None or raw == "":
        return default
    name = _zone_names().get(raw.lower())
    if name is None:
        parameter_error(TIMEZONE_ERROR)
    return name


def _days(raw: str) -> int:
    if not TIME_PATTERN.fullmatch(raw):
        parameter_error(TIME_RANGE_ERROR)
    days = int(raw[:-1])
    if not 1 <= days <= MAX_DAYS:
        parameter_error(TIME_RANGE_ERROR)
    return days


def _custom_window(start: str, end: str, zone: ZoneInfo, now: datetime) -> tuple[datetime, datetime, int]:
    """``start``/``end`` are wall-clock times of the requested zone, both included."""
    try:
        first = datetime.strptime(start, CUSTOM_FORMAT)
        last = datetime.strptime(end, CUSTOM_FORMAT)
        for moment in (first, last):
            # 0001-01-01 00:00 in a zone ahead of UTC is before year 1 in UTC: no instant
            # Python or PostgreSQL can hold, so no date at all.
            moment.replace(tzinfo=zone).astimezone(UTC)
    except (ValueError, OverflowError):
        parameter_error(DATE_FORMAT_ERROR)
    days = (last - first).days
    if days > MAX_DAYS:
        parameter_error(RANGE_TOO_LONG_ERROR)
    if first > last:
        parameter_error(START_AFTER_END_ERROR)
    local_now = now.astimezone(zone).replace(tzinfo=None)
    if first > local_now:
        parameter_error(START_IN_FUTURE_ERROR)
    if last > local_now:
        parameter_error(END_IN_FUTURE_ERROR)
    return first.replace(tzinfo=zone), last.replace(tzinfo=zone), max(days, 1)


def _start_of(days: int, zone: ZoneInfo, now: datetime) -> datetime:
    """Short ranges start exactly N days ago; longer ones at local midnight N days ago (7d:
    six days ago, so the week shown is today and the six days before)."""
    if days <= 3:
        return now - timedelta(days=days)
    back = 6 if days == 7 else days
    first_day: date = now.astimezone(zone).date() - timedelta(days=back)
    return datetime.combine(first_day, time(0), tzinfo=zone)


def parse_window(*, time_range: str | None, start: str | None, end: str | None, timezone: str | None,
                 default_time: str, default_timezone: str, now: datetime | None = None) -> Window:
    """The chart window of a request's parameters; 400 (a one-message list) when invalid."""
    now = now or datetime.now(UTC)
    name = zone_name(timezone, default=default_timezone)
    zone = ZoneInfo(name)
    if start and end:
        first, last, days = _custom_window(start, end, zone, now)
    else:
        days = _days(time_range or default_time)
        first, last = _start_of(days, zone, now), now
    return Window(start=first.astimezone(UTC), end=last.astimezone(UTC), width=bucket_width(days), timezone=name)


def window_from(args: dict) -> Window:
    """The window of a request's parsed query arguments, with the configured defaults."""
    config = current_app.config
    return parse_window(time_range=args.get("time"), start=args.get("start"), end=args.get("end"),
                        timezone=args.get("timezone"), default_time=config["DEFAULT_CHART_TIME"],
                        default_timezone=config["TIME_ZONE"])


def ignored_bound(args: dict) -> str | None:
    """What a request's lone ``start`` or ``end`` means, or None: the reference ignores one
    bound without the other and reads the ``time`` window, so the answer stays the same and
    only says so (docs/api.md §10.2)."""
    start, end = args.get("start"), args.get("end")
    if bool(start) == bool(end):
        return None
    given, missing = ("start", "end") if start else ("end", "start")
    return f"`{given}` without `{missing}` is ignored: the `time` window applies"

