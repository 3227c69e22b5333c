"""When the WiFi clients check sleeps (docs/metrics.md §5.6, setting
``WIFI_CLIENTS_CHECK_SNOOZE_SCHEDULE``): a list of ``[start, end]`` pairs, both of one pair in
the same format, ``MM-DD``, ``HH:MM`` or ``MM-DD HH:MM``. A date alone starts at 00:00 and
ends at 23:59; a time alone means every day. Ranges may wrap around midnight or the end of
the year; both ends are included. E.g. ``[["12-24", "01-06"], ["22:00", "06:00"]]``.
"""
from __future__ import annotations

from datetime import datetime

# A leap year, so that 02-29 is a valid date.
YEAR = "2000"
FORMATS = {"date": "%m-%d", "time": "%H:%M", "datetime": "%m-%d %H:%M"}


def _kind(value: str) -> str | None:
    for kind, pattern in FORMATS.items():
        try:
            datetime.strptime(f"{YEAR} {value}", f"%Y {pattern}")
        except ValueError:
            continue
        return kind
    return None


def validate(schedule) -> None:
    """Raise ValueError with the reference's message for a malformed schedule."""
    if not isinstance(schedule, (list, tuple)):
        raise ValueError("Invalid schedule format")
    for item in schedule:
        if not isinstance(item, (list, tuple)) or len(item) != 2:
            raise ValueError(f"Invalid schedule entry format: {item}")
        if not all(isinstance(value, str) for value in item):
            raise ValueError(f"Invalid time format: {item}")
        kinds = [_kind(value) for value in item]
        if None in kinds:
            raise ValueError(f"Invalid date-time format: {item}")
        if kinds[0] != kinds[1]:
            raise ValueError(f"Inconsistent format: {item}")


def _position(value: str, *, end: bool) -> tuple[int, ...]:
    """Where a bound falls: (minute of day) for times, (month, day, hour, minute) else."""
    kind = _kind(value)
    moment = datetime.strptime(f"{YEAR} {value}", f"%Y {FORMATS[kind]}")
    if kind == "time":
        return (moment.hour, moment.minute)
    if kind == "date":
        return (moment.month, moment.day, 23, 59) if end else (moment.month, moment.day, 0, 0)
    return (moment.month, moment.day, moment.hour, moment.minute)


def is_snoozed(schedule, *, now: datetime) -> bool:
    """Whether ``now`` (local time) falls within any range of ``schedule`` (validated)."""
    for start, end in schedule:
        low, high = _position(start, end=False), _position(end, end=True)
        at = (now.hour, now.minute) if len(low) == 2 else (now.month, now.day, now.hour, now.minute)
        if (low <= at <= high) if low <= high else (at >= low or at <= high):
            return True
    return False
