"""Hourly rollups: a chart read from rollups (wholly or partly) equals the chart read from raw
points, for every chart type of the office network (``office_network.py``), in a whole-hour
zone (with a DST change in the window) and a :30 zone; the refresh step, its watermark, late
points, the backlog and the CLI command."""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import delete, func, insert, select

from monitoring.extensions import db
from monitoring.registry import CHARTS
from monitoring.services.charts import device as device_charts
from monitoring.services.charts.builder import ChartRequest, build_charts, chart_series
from monitoring.services.charts.window import parse_window
from monitoring.timeseries import chart_tables
from monitoring.timeseries.chart_queries import (
    MAX_STALE_RANGES,
    SeriesFilter,
    cover,
    cover_clean,
    gaps,
    read_watermark,
    rollup_plan,
    stale_ranges,
)
from monitoring.timeseries.rollups import announce, refresh_rollups
from monitoring.timeseries.sample_store import WriteBatch
from tests.charts.office_network import NEWEST, NOW, WATERMARKS, OfficeNetwork, write_office_network
from tests.charts.support import TABLES, add_points, at, clients, resource


@pytest.fixture
def network(make) -> OfficeNetwork:
    """The office network of ``tests/charts/office_network.py``, written point by point."""
    return write_office_network(make)


def requests_of(network: OfficeNetwork) -> list[ChartRequest]:
    first_org, second_org = network.organizations
    scopes = [
        SeriesFilter(),
        SeriesFilter(organization_ids=(first_org.id,)),
        SeriesFilter(organization_ids=(first_org.id, second_org.id), location_ids=(network.lobby.id,)),
        SeriesFilter(floorplan_ids=(network.lobby_floorplan_id,)),
    ]
    general = [ChartRequest("gen_wifi_clients", scope) for scope in scopes]
    general += [ChartRequest("general_traffic", SeriesFilter(**{**scope.__dict__, "ifnames": ("eth0", "wan")}))
                for scope in scopes]
    return device_charts.chart_requests(network.access_point.id) + general


WINDOWS = [{"time": "1d"}, {"time": "3d"}, {"time": "7d"}, {"time": "12d"}, {"time": "30d"}, {"time": "365d"},
           {"start": "2024-10-22 07:13:00", "end": "2024-10-29 18:00:00"},  # 7 days, starts mid-hour
           {"time": "4d"}]  # 25-minute buckets: never from rollups


def windows(timezone):
    return [parse_window(time_range=params.get("time"), start=params.get("start"), end=params.get("end"),
                         timezone=timezone, default_time="7d", default_timezone="UTC", now=NOW)
            for params in WINDOWS]


def all_charts(requests, chart_windows) -> list:
    results = []
    for chart_window in chart_windows:
        chart_set = build_charts(requests, window=chart_window)
        results.append((chart_set.x, chart_set.charts))
    return results


def served_from_rollups(request, chart_window) -> bool | None:
    """True: every point of the window from rollups; False: all from raw points; None:
    partly each (a raw head, or a raw tail holding the newest points)."""
    config = CHARTS[request.configuration]
    kind, fields = chart_series(config)
    plan = rollup_plan(measurement=config.measurement, kind=kind, fields=fields, filters=request.filters,
                       window=chart_window)
    if plan is None:
        return False
    if plan[1][0][1] == chart_window.start and plan[1][-1][2] > NEWEST:
        return True
    return None


@pytest.mark.parametrize("timezone", ["UTC", "Europe/Rome", "Asia/Kolkata"])
def test_charts_from_rollups_equal_charts_from_raw_points(network, timezone):
    requests = requests_of(network)
    chart_windows = windows(timezone)
    raw = all_charts(requests, chart_windows)
    # every chart type has data: nothing compared is vacuous
    titles = {chart["title"] for _, charts in raw for chart in charts}
    assert len(titles) == 14, titles
    # partly from rollups: the watermark mid-hour, then after the change of time in Rome, then now
    for watermark in WATERMARKS:
        refresh_rollups(db.session, until=watermark)
        assert all_charts(requests, chart_windows) == raw, watermark

    # Without raw points, a chart read wholly from rollups is still the same; one read from
    # raw points only (25-minute buckets; device charts in 10-minute buckets or in Kolkata,
    # whose hours are not UTC hours) is gone.
    before = {(index, request): build_charts([request], window=chart_window).charts
              for index, chart_window in enumerate(chart_windows) for request in requests}
    for table in TABLES.values():
        db.session.execute(delete(table))
    db.session.commit()
    served = {True: 0, False: 0}
    for index, chart_window in enumerate(chart_windows):
        for request in requests:
            from_rollups = served_from_rollups(request, chart_window)
            if from_rollups is None:
                continue
            served[from_rollups] += 1
            after = build_charts([request], window=chart_window).charts
            assert after == (before[index, request] if from_rollups else []), (index, request.configuration)
    assert served[True] and served[False]


def raw_chart(device):
    """The CPU chart as raw points alone draw it (the watermark removed for one read)."""
    savepoint = db.session.begin_nested()
    db.session.execute(delete(chart_tables.rollup_state))
    values = cpu_chart(device)
    savepoint.rollback()
    return values


def cpu_chart(device, timezone="UTC"):
    chart_window = parse_window(time_range="7d", start=None, end=None, timezone=timezone, default_time="7d",
                                default_timezone="UTC", now=at("2024-05-07 12:00:00"))
    chart_set = build_charts([ChartRequest("cpu", SeriesFilter(device_id=device.id))], window=chart_window)
    return chart_set.charts[0]["traces"][0][1], chart_set.charts[0]["summary"]


@pytest.fixture
def device(make):
    device = make.device(make.org())
    add_points("cpu_points", [resource(device, "cpu_points", f"2024-05-0{day} {hour:02d}:10:00", day * 10 + hour)
                              for day in (1, 2, 3) for hour in range(24)])
    return device


def test_refresh_moves_the_watermark_and_never_back(device):
    assert read_watermark(db.session) is None
    result = refresh_rollups(db.session, until=at("2024-05-02 06:30:00"))
    assert read_watermark(db.session) == at("2024-05-02 06:30:00")
    assert result.ranges == [(at("2024-05-01 00:00:00"), at("2024-05-02 06:30:00"))]  # from the oldest chunk
    refresh_rollups(db.session, until=at("2024-05-01 00:00:00"))
    assert read_watermark(db.session) == at("2024-05-02 06:30:00")
    # by default: up to a minute ago
    result = refresh_rollups(db.session)
    assert result.watermark > at("2026-01-01 00:00:00")


def test_late_points_within_the_lookback_are_picked_up(device):
    refresh_rollups(db.session, until=at("2024-05-03 12:00:00"))
    add_points("cpu_points", [resource(device, "cpu_points", "2024-05-03 11:40:00", 1000.0)])
    assert cpu_chart(device) != raw_chart(device)  # the hour was rolled up before the point came
    refresh_rollups(db.session, until=at("2024-05-03 13:00:00"))  # looks back an hour before 12:00
    assert cpu_chart(device) == raw_chart(device)


def test_older_late_points_need_the_backlog_or_since(device):
    refresh_rollups(db.session, until=at("2024-05-03 12:00:00"))
    before = cpu_chart(device)
    add_points("cpu_points", [resource(device, "cpu_points", "2024-05-02 05:50:00", 1000.0)])
    refresh_rollups(db.session, until=at("2024-05-03 13:00:00"))
    # the rollup of 2 May 05:00 predates the point: the chart does not show it yet
    assert cpu_chart(device) == before != raw_chart(device)
    # what the device POST records for a sample older than the look-back (test_device_data)
    db.session.execute(insert(chart_tables.rollup_backlog).values(hour=at("2024-05-02 05:00:00")))
    db.session.commit()
    refresh_rollups(db.session, until=at("2024-05-03 13:00:00"))
    assert cpu_chart(device) == raw_chart(device) != before
    assert db.session.scalar(select(func.count()).select_from(chart_tables.rollup_backlog)) == 0

    add_points("cpu_points", [resource(device, "cpu_points", "2024-05-01 05:50:00", 1000.0)])
    assert cpu_chart(device) != raw_chart(device)
    refresh_rollups(db.session, since=at("2024-05-01 00:00:00"))
    assert cpu_chart(device) == raw_chart(device)


def test_refresh_twice_changes_nothing(device):
    refresh_rollups(db.session, until=at("2024-05-04 00:00:00"))
    rollups = chart_tables.cpu_rollups
    first = db.session.execute(select(rollups).order_by("grain", "time")).all()
    refresh_rollups(db.session, since=at("2024-05-01 00:00:00"), until=at("2024-05-04 00:00:00"))
    assert db.session.execute(select(rollups).order_by("grain", "time")).all() == first
    hours = [row for row in first if row.grain == timedelta(hours=1)]
    days = [row for row in first if row.grain == timedelta(days=1)]
    assert len(hours) == 72 and len(days) == 3
    assert [(row.cpu_usage_count, row.cpu_usage_sum) for row in hours[:2]] == [(1, 10), (1, 11)]
    # a day sums up its hours: 24 points, 10 + 11 + ... + 33
    assert (days[0].cpu_usage_count, days[0].cpu_usage_sum) == (24, sum(range(10, 34)))


def test_client_ids_are_dense_and_in_order_of_first_sight(make):
    device = make.device(make.org())
    add_points("wifi_client_points", clients(device, "2024-05-01 10:00:00", "wlan0", ["cc:00:00:00:00:02"]))
    add_points("wifi_client_points", clients(device, "2024-05-01 09:00:00", "wlan0", ["cc:00:00:00:00:03"]))
    refresh_rollups(db.session, until=at("2024-05-01 11:00:00"))
    add_points("wifi_client_points", clients(device, "2024-05-01 11:30:00", "wlan0",
                                             ["cc:00:00:00:00:01", "cc:00:00:00:00:02"]))
    refresh_rollups(db.session, until=at("2024-05-01 12:00:00"))
    ids = db.session.execute(select(chart_tables.rollup_client_ids.c.mac, chart_tables.rollup_client_ids.c.id)
                             .order_by("id")).all()
    assert ids == [("cc:00:00:00:00:03", 0), ("cc:00:00:00:00:02", 1), ("cc:00:00:00:00:01", 2)]


def test_refresh_rollups_command(app, device):
    result = app.test_cli_runner().invoke(args=["refresh-rollups", "--since", "2024-05-01"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("refreshed ")
    assert "watermark" in result.output
    assert db.session.scalar(select(func.count()).select_from(chart_tables.cpu_rollups)) == 72 + 3


def test_a_window_is_tiled_with_the_coarsest_periods_in_the_middle():
    hour, day, ten = timedelta(hours=1), timedelta(days=1), timedelta(minutes=10)
    segments = cover(at("2024-05-01 07:13:00"), at("2024-05-31 15:47:30"), (day, hour, ten))
    assert segments == [
        (ten, at("2024-05-01 07:20:00"), at("2024-05-01 08:00:00")),
        (hour, at("2024-05-01 08:00:00"), at("2024-05-02 00:00:00")),
        (day, at("2024-05-02 00:00:00"), at("2024-05-31 00:00:00")),
        (hour, at("2024-05-31 00:00:00"), at("2024-05-31 15:00:00")),
        (ten, at("2024-05-31 15:00:00"), at("2024-05-31 15:40:00")),
    ]
    assert cover(at("2024-05-01 07:13:00"), at("2024-05-01 07:19:00"), (day, hour, ten)) == []
    assert cover(at("2024-05-01 00:00:00"), at("2024-05-03 00:00:00"), (day, hour)) == [
        (day, at("2024-05-01 00:00:00"), at("2024-05-03 00:00:00"))]


def test_stale_hours_are_holes_in_the_tiling_read_raw():
    hour, day = timedelta(hours=1), timedelta(days=1)
    marked = (at("2024-05-10 05:00:00"), at("2024-05-10 06:00:00"), at("2024-05-20 23:00:00"),
              at("2024-06-30 00:00:00"))  # the last one outside the window
    start, stop = at("2024-05-01 00:00:00"), at("2024-06-01 00:00:00")
    stale = stale_ranges(marked, start, stop)
    assert stale == [(at("2024-05-10 05:00:00"), at("2024-05-10 07:00:00")),
                     (at("2024-05-20 23:00:00"), at("2024-05-21 00:00:00"))]
    segments = cover_clean(start, stop, (day, hour), stale)
    assert segments == [
        (day, at("2024-05-01 00:00:00"), at("2024-05-10 00:00:00")),
        (hour, at("2024-05-10 00:00:00"), at("2024-05-10 05:00:00")),
        (hour, at("2024-05-10 07:00:00"), at("2024-05-11 00:00:00")),
        (day, at("2024-05-11 00:00:00"), at("2024-05-20 00:00:00")),
        (hour, at("2024-05-20 00:00:00"), at("2024-05-20 23:00:00")),
        (day, at("2024-05-21 00:00:00"), at("2024-06-01 00:00:00")),
    ]
    assert gaps(start, stop, segments) == stale
    # Many scattered marks: the closest are merged, so a statement reads a bounded number of
    # raw ranges (a little more raw, never a stale rollup).
    scattered = tuple(at("2024-05-01 00:00:00") + n * timedelta(hours=30) for n in range(20))
    merged = stale_ranges(scattered, start, stop)
    assert len(merged) == MAX_STALE_RANGES
    assert all(any(first <= hour_start and hour_start + hour <= last for first, last in merged)
               for hour_start in scattered)


def _hold_a_writer(device, time):
    """A writer of a late point, stopped just before its commit: its point is written and
    judged (not late against the watermark it saw), and it holds the writers' lock."""
    connection = db.engine.raw_connection()
    cursor = connection.cursor()
    cursor.execute("INSERT INTO cpu_points (time, device_id, cpu_usage) VALUES (%s, %s, 500.0)", (time, device.id))
    batch = WriteBatch(cursor)
    batch.points_at(device.id, time)
    batch.execute()
    return connection


def test_a_refresh_waits_for_writers_that_judged_against_the_old_watermark(device, data_app):
    refresh_rollups(db.session, until=at("2024-05-03 12:00:00"))
    writer = _hold_a_writer(device, at("2024-05-03 12:30:00"))  # after the watermark: not marked
    done = threading.Event()

    def refresh():
        with data_app.app_context():
            refresh_rollups(db.session, until=at("2024-05-03 14:00:00"))
            db.session.remove()
        done.set()

    thread = threading.Thread(target=refresh)
    thread.start()
    assert not done.wait(0.5), "the refresh announced a watermark while a writer still judged against the old one"
    writer.commit()
    writer.close()
    thread.join(10)
    assert done.is_set()
    assert db.session.scalar(select(func.count()).select_from(chart_tables.rollup_backlog)) == 0
    assert cpu_chart(device) == raw_chart(device)  # the refresh saw the point


def test_a_writer_after_an_announcement_marks_its_late_point(client, device):
    refresh_rollups(db.session, until=at("2024-05-03 12:00:00"))
    before = cpu_chart(device)
    announce(db.session, at("2024-05-03 14:00:00"))  # a refresh about to reach 14:00
    writer = _hold_a_writer(device, at("2024-05-03 12:30:00"))
    writer.commit()
    writer.close()
    marks = db.session.execute(select(chart_tables.rollup_backlog)).all()
    assert [(mark.device_id, mark.hour) for mark in marks] == [(device.id, at("2024-05-03 12:00:00"))]
    assert cpu_chart(device) == raw_chart(device) != before  # visible before the refresh ends
    refresh_rollups(db.session, until=at("2024-05-03 14:00:00"))
    assert cpu_chart(device) == raw_chart(device)
    assert db.session.scalar(select(func.count()).select_from(chart_tables.rollup_backlog)) == 0

