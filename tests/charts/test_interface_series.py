"""A device's interface charts are read per interface in one sub-select (traffic of every
interface in one, WiFi clients of every wireless interface in another): the series equal
those read one interface at a time, and the charts equal those drawn from raw points
alone — read raw, from rollups with the watermark mid-hour, after a full refresh, and with
late points in hours marked stale; in UTC, across a DST change, in a half-hour zone."""
from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import delete, insert

from monitoring.extensions import db
from monitoring.services.charts import device as device_charts
from monitoring.services.charts.builder import build_charts
from monitoring.timeseries import chart_tables
from monitoring.timeseries.chart_queries import (
    SeriesFilter,
    SeriesRequest,
    plan_reads,
    read_many,
    read_rollup_state,
)
from monitoring.timeseries.rollups import refresh_rollups
from monitoring.timeseries.sources import DISTINCT, NUMERIC
from tests.charts.office_network import FIRST, NOW, sample_times
from tests.charts.support import add_metric, add_points, at, clients, resource, traffic
from tests.charts.test_rollups import windows

SAMPLES = len(sample_times())  # the office network's timeline: every 20 minutes, up to minutes before NOW

WIRELESS = ("wlan0", "wlan1", "wlan2", "wlan3")
# eth0 is wired; wlan3 stops sending a third of the way through; wlan9 has metrics but
# never a point (a series without a row, next to series with many).
INTERFACES = ("eth0", *WIRELESS)
SILENT = "wlan9"


@pytest.fixture
def device(make):
    device = make.device(make.org())
    add_metric(device, "cpu")
    for ifname in (*INTERFACES, SILENT):
        add_metric(device, "traffic", ifname=ifname, name=f"{ifname} traffic")
    for ifname in (*WIRELESS, SILENT):
        add_metric(device, "clients", ifname=ifname, name=f"{ifname} wifi clients")
    traffic_rows, client_rows, cpu_rows = [], [], []
    for n in range(SAMPLES):
        moment = FIRST + timedelta(minutes=20 * n, seconds=(n * 11) % 60 if n % 4 else 0)
        time = moment.strftime("%Y-%m-%d %H:%M:%S")
        cpu_rows.append(resource(device, "cpu_points", time, n % 17 * 1.5))
        for index, ifname in enumerate(INTERFACES):
            if ifname == "wlan3" and n > SAMPLES // 3:
                continue
            traffic_rows.append(traffic(device, time, ifname, (n * 7_919 + index) % 3_000_001,
                                        (n * 104_729 * (index + 1)) % 9_000_007))
            if ifname in WIRELESS:
                # pools that move at different paces and overlap between interfaces
                pool = n // (10 + 5 * index)
                macs = [f"ab:00:00:00:{(pool + j) // 256:02x}:{(pool + j) % 256:02x}"
                        for j in range(1 + (n + index) % 4)]
                if ifname == "wlan1" and n in (0, 473, 579):
                    macs.append("ab:ff:00:00:00:01")  # seen long ago, then again after a watermark
                client_rows += clients(device, time, ifname, macs)
    add_points("traffic_points", traffic_rows)
    add_points("wifi_client_points", client_rows)
    add_points("cpu_points", cpu_rows)
    return device


def series_requests(device) -> list[SeriesRequest]:
    requests = [SeriesRequest("cpu", NUMERIC, ("cpu_usage",), SeriesFilter(device_id=device.id))]
    for ifname in (*INTERFACES, SILENT):
        requests.append(SeriesRequest("traffic", NUMERIC, ("rx_bytes", "tx_bytes"),
                                      SeriesFilter(device_id=device.id, ifname=ifname)))
        if ifname != "eth0":
            requests.append(SeriesRequest("wifi_clients", DISTINCT, ("client_mac",),
                                          SeriesFilter(device_id=device.id, ifname=ifname)))
    return requests


def test_the_interfaces_of_a_device_are_read_together():
    device_id, other_device_id = uuid.uuid4(), uuid.uuid4()

    def traffic_of(ifname, device=device_id, fields=("rx_bytes", "tx_bytes")):
        return SeriesRequest("traffic", NUMERIC, fields, SeriesFilter(device_id=device, ifname=ifname))

    requests = [traffic_of("eth0"), SeriesRequest("cpu", NUMERIC, ("cpu_usage",), SeriesFilter(device_id=device_id)),
                traffic_of("wlan0"), traffic_of("x", fields=("rx_bytes",)), traffic_of("eth0", other_device_id)]
    reads = plan_reads(requests)
    # other fields or another device: read apart
    assert [(read.answers, read.per_interface) for read in reads] == [
        ((0, 2), True), ((1,), False), ((3,), False), ((4,), False)]
    assert reads[0].request.filters == SeriesFilter(device_id=device_id, ifnames=("eth0", "wlan0"))


def compare_every_way(device) -> None:
    """Per interface in one sub-select equals one interface at a time, in every window and
    zone; and the charts equal the charts of the raw points alone."""
    requests = series_requests(device)
    chart_requests = device_charts.chart_requests(device.id)
    for timezone in ("UTC", "Europe/Rome", "Asia/Kolkata"):
        for chart_window in windows(timezone):
            state = read_rollup_state(db.session, device_id=device.id)
            together = read_many(db.session, requests, window=chart_window, state=state)
            one_by_one = [read_many(db.session, [request], window=chart_window, state=state)[0]
                          for request in requests]
            assert together == one_by_one, (timezone, chart_window)
            assert charts_of(chart_requests, chart_window) == raw_charts(chart_requests, chart_window)


def charts_of(chart_requests, chart_window):
    chart_set = build_charts(chart_requests, window=chart_window)
    return chart_set.x, chart_set.charts


def raw_charts(chart_requests, chart_window):
    """The charts as raw points alone draw them (the watermark removed for one read)."""
    savepoint = db.session.begin_nested()
    db.session.execute(delete(chart_tables.rollup_state))
    charts = charts_of(chart_requests, chart_window)
    savepoint.rollback()
    return charts


def test_per_interface_reads_equal_reads_one_interface_at_a_time(device):
    reads = plan_reads(series_requests(device))
    assert [len(read.answers) for read in reads if read.per_interface] == [6, 5]  # nothing compared is vacuous
    compare_every_way(device)
    refresh_rollups(db.session, until=at("2024-10-26 13:27:00"))
    compare_every_way(device)
    refresh_rollups(db.session, until=NOW)
    compare_every_way(device)

    # Late points in hours already rolled up, marked as the device POST marks them: read raw
    # until the next refresh, per interface as one at a time.
    late = ["2024-10-21 05:17:00", "2024-10-27 01:44:00", "2024-10-30 23:59:00"]
    add_points("traffic_points", [traffic(device, time, ifname, 12_345_678, 87_654)
                                  for time in late for ifname in ("eth0", "wlan2")])
    late_macs = ["ab:ee:00:00:00:01", "ab:00:00:00:00:00"]  # a new client and a known one
    add_points("wifi_client_points", [row for time in late for ifname in ("wlan0", "wlan2")
                                      for row in clients(device, time, ifname, late_macs)])
    # more new clients than a page of bits holds, some on two interfaces
    crowd = [f"ab:dd:00:00:{n // 256:02x}:{n % 256:02x}" for n in range(1100)]
    add_points("wifi_client_points", clients(device, late[1], "wlan1", crowd)
               + clients(device, late[1], "wlan3", crowd[1000:]))
    db.session.execute(insert(chart_tables.rollup_backlog),
                       [{"device_id": device.id, "hour": at(time).replace(minute=0)} for time in late])
    db.session.commit()
    compare_every_way(device)
