"""The WiFi clients check's snooze schedule (docs/metrics.md §5.6)."""
from __future__ import annotations

from datetime import datetime

import pytest

from monitoring.services.checks import snooze
from tests.checks.support import add_check, points, run_checks, set_status


def at(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%d %H:%M")


@pytest.mark.parametrize("schedule, moment, expected", [
    ([["22:00", "06:00"]], "2024-05-02 23:30", True),  # wraps midnight
    ([["22:00", "06:00"]], "2024-05-02 06:00", True),  # ends included
    ([["22:00", "06:00"]], "2024-05-02 06:01", False),
    ([["09:00", "17:00"]], "2024-05-02 12:00", True),
    ([["12-24", "01-06"]], "2024-12-31 10:00", True),  # wraps the year
    ([["12-24", "01-06"]], "2024-01-06 23:59", True),  # a date alone ends at 23:59
    ([["12-24", "01-06"]], "2024-01-07 00:00", False),
    ([["08-01", "08-15"]], "2024-08-01 00:00", True),  # and starts at 00:00
    ([["02-29", "03-01"]], "2024-02-29 12:00", True),
    ([["05-01 08:00", "05-01 18:00"]], "2024-05-01 07:59", False),
    ([["05-01 08:00", "05-01 18:00"]], "2024-05-01 18:00", True),
    ([], "2024-05-01 18:00", False),
])
def test_ranges(schedule, moment, expected):
    snooze.validate(schedule)
    assert snooze.is_snoozed(schedule, now=at(moment)) is expected


@pytest.mark.parametrize("schedule, message", [
    ("22:00-06:00", "Invalid schedule format"),
    ([["22:00"]], "Invalid schedule entry format: ['22:00']"),
    ([[2200, "06:00"]], "Invalid time format: [2200, '06:00']"),
    ([["22:00", "01-06"]], "Inconsistent format: ['22:00', '01-06']"),
    ([["25:00", "06:00"]], "Invalid date-time format: ['25:00', '06:00']"),
    ([["02-30", "03-01"]], "Invalid date-time format: ['02-30', '03-01']"),
])
def test_invalid_schedules(schedule, message):
    with pytest.raises(ValueError) as error:
        snooze.validate(schedule)
    assert str(error.value) == message


def test_a_snoozed_wifi_clients_check_does_not_run(make, data_app, monkeypatch):
    device = make.device(make.org())
    add_check(device, "wifi_clients")
    set_status(device, "ok")
    monkeypatch.setitem(data_app.config, "WIFI_CLIENTS_CHECK_SNOOZE_SCHEDULE", [["00:00", "23:59"]])
    assert run_checks().checks == 0
    monkeypatch.setitem(data_app.config, "WIFI_CLIENTS_CHECK_SNOOZE_SCHEDULE", [])
    assert run_checks().checks == 1
    assert len(points("wifi_client_count_points", device)) == 1
