"""Health flags and the tolerance algorithm (docs/metrics.md §5.2–5.5), on the worked
examples of docs/metrics.md §5.4, with stored points kept in memory."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from monitoring.services.health import judging
from monitoring.timeseries.sample_store import AlertState

T0 = datetime(2024, 5, 2, 10, 0, tzinfo=UTC)


@dataclass
class FakeMetric:
    configuration: str
    key: str
    field_name: str
    alert_settings: AlertState | None
    is_healthy: bool | None = None
    is_healthy_tolerant: bool | None = None


class Series:
    """A metric with its stored points; ``write`` stores a point then judges it, as ingest does."""

    def __init__(self, configuration="cpu", *, operator=None, threshold=None, tolerance=None, active=True):
        self.metric = FakeMetric(configuration, configuration, "value",
                                 AlertState(active, operator, threshold, tolerance))
        self.points: list[tuple[datetime, float]] = []
        self.notifications: list[str] = []

    def lookback(self, metric, since, until):
        return [(t, v) for t, v in self.points if since <= t < until]

    def write(self, minutes: float, value: float):
        at = T0 + timedelta(minutes=minutes)
        changes = judging.evaluate({("x", ""): self.metric}, {("x", ""): value}, at=at, lookback=self.lookback)
        self.points.append((at, value))
        self.notifications += [c.notification for c in changes if c.notification]
        return self.metric.is_healthy, self.metric.is_healthy_tolerant


def test_worked_example_tolerance_five_minutes():
    series = Series("cpu", operator=">", threshold=90, tolerance=5)
    assert series.write(0, 99) == (False, True)
    assert series.write(2, 99) == (False, True)
    assert series.write(4, 99) == (False, True)
    assert series.notifications == []
    assert series.write(6, 99) == (False, False)
    assert series.notifications == ["problem"]
    assert series.write(8, 71) == (True, False)
    assert series.write(13, 71) == (True, True)
    assert series.notifications == ["problem", "recovery"]


def test_worked_example_flapping_tolerance_ten_minutes():
    series = Series("ping", operator="<", threshold=1, tolerance=10)
    for minutes, value in ((-25, 1), (-20, 0), (-15, 1), (-10, 0), (-5, 0)):
        series.write(minutes, value)
    assert series.notifications == []  # a good point is still in the window
    series.write(0, 0)
    assert series.notifications == ["problem"]


def test_zero_tolerance_is_immediate_both_ways():
    series = Series("disk")  # registry default: > 90, tolerance 0
    assert series.write(0, 95) == (False, False)
    assert series.write(1, 50) == (True, True)
    assert series.notifications == ["problem", "recovery"]


@pytest.mark.parametrize("tolerance", [1, 4])
def test_tolerances_shorter_than_the_interval_behave_as_zero(tolerance):
    series = Series("cpu", tolerance=tolerance)
    assert series.write(0, 95) == (False, False)
    assert series.notifications == ["problem"]


def test_first_assessment_healthy_is_silent_and_unhealthy_notifies():
    healthy = Series("memory")
    assert healthy.write(0, 10) == (True, True)
    assert healthy.notifications == []
    sick = Series("disk")
    sick.write(0, 99)
    assert sick.notifications == ["problem"]


def test_inactive_alerts_change_flags_but_notify_nobody():
    series = Series("disk", active=False)
    assert series.write(0, 99) == (False, False)
    assert series.notifications == []


def test_equal_to_the_threshold_is_not_crossed():
    assert judging.crossed(90, ">", 90) is False
    assert judging.crossed(1, "<", 1) is False
    assert judging.crossed(90.0001, ">", 90) is True


def test_custom_values_win_over_defaults():
    series = Series("cpu", operator="<", threshold=10, tolerance=0)
    assert judging.effective_alert(series.metric) == ("<", 10, 0)
    assert series.write(0, 5) == (False, False)


def test_search_window_grows_for_short_tolerances():
    assert judging.search_window(timedelta(minutes=5)) == timedelta(minutes=6, seconds=15)
    assert judging.search_window(timedelta(minutes=10)) == timedelta(minutes=12, seconds=30)
    assert judging.search_window(timedelta(minutes=30)) == timedelta(minutes=35)


def test_long_tolerance_confirms_with_points_arriving_late():
    """Checks every 5 minutes and a few seconds: the problem is confirmed after the
    tolerance, not never."""
    series = Series("ping", operator="<", threshold=1, tolerance=30)
    minutes = 0.0
    series.write(minutes, 1)
    while not series.notifications and minutes < 120:
        minutes += 5 + 5 / 60  # 305 s apart
        series.write(minutes, 0)
    assert series.notifications == ["problem"]
    assert 30 <= minutes - 5.0833 < 36  # confirmed once 30 minutes of failures are stored


def _metric(key, field, healthy):
    return FakeMetric(key, key, field, None, is_healthy=healthy)


def test_device_status_rules(app_context):
    assert judging.device_status([_metric("cpu", "cpu_usage", True)]) == "ok"
    assert judging.device_status([_metric("cpu", "cpu_usage", False)]) == "problem"
    ping_down = _metric("ping", "reachable", False)
    assert judging.device_status([ping_down, _metric("data_collected", "data_collected", True)]) == "problem"
    assert judging.device_status([ping_down, _metric("data_collected", "data_collected", False)]) == "critical"
    assert judging.changed_status("deactivated", [ping_down]) is None
    assert judging.changed_status("ok", [_metric("cpu", "cpu_usage", True)]) is None
