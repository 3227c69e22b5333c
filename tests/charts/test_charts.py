"""Every chart of the catalogue with known points and exact expected values: buckets, gaps
(null, or 0 for client counts), summaries over the window, rounding, trace order, labels."""
from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import text

from monitoring.extensions import db
from monitoring.registry import ACCESS_TECH_COLORSCALE, UPTIME_COLORSCALE
from monitoring.services.charts import device as device_charts
from monitoring.services.charts.builder import ChartRequest, build_charts, charts_csv, round_value, round_values
from monitoring.services.charts.window import parse_window
from monitoring.timeseries.chart_queries import SeriesFilter, exact_sum
from tests.charts.support import add_metric, add_points, clients, ping, resource, signal, traffic

HOUR = {"start": "2024-05-01 00:00:00", "end": "2024-05-01 00:59:59"}  # 10-minute buckets
LABELS = ["2024-05-01 00:00", "2024-05-01 00:10", "2024-05-01 00:20", "2024-05-01 00:30", "2024-05-01 00:40",
          "2024-05-01 00:50"]


def window(timezone="UTC", **params):
    params = params or HOUR
    return parse_window(time_range=params.get("time"), start=params.get("start"), end=params.get("end"),
                        timezone=timezone, default_time="7d", default_timezone="UTC")


def charts_of(device, **params):
    chart_set = device_charts.device_charts(device=device, window=window(**params))
    return chart_set, {chart["title"]: chart for chart in chart_set.charts}


@pytest.fixture
def device(make):
    return make.device(make.org())


def test_ping_charts(device):
    add_metric(device, "ping")
    add_points("ping_points", [
        ping(device, "2024-05-01 00:01:00", 1, loss=0.0, rtt_min=1.0, rtt_max=3.0, rtt_avg=2.0),
        ping(device, "2024-05-01 00:02:00", 1, loss=0.0, rtt_min=1.5, rtt_max=2.5, rtt_avg=2.0),
        ping(device, "2024-05-01 00:03:00", 0, loss=100.0),
        ping(device, "2024-05-01 00:21:00", 1, loss=0.004, rtt_min=10.0, rtt_max=30.0, rtt_avg=20.123),
    ])
    chart_set, charts = charts_of(device)
    assert chart_set.x == LABELS
    assert [chart["title"] for chart in chart_set.charts] == ["Ping Success Rate", "Packet loss", "Round Trip Time"]
    assert charts["Ping Success Rate"] == {
        "traces": [["uptime", [66.67, None, 100.0, None, None, None]]],
        "summary": {"uptime": 75.0},
        "description": "A value of 100% means reachable, 0% means unreachable, values in between 0% and 100% "
                       "indicate the average reachability in the period observed. Obtained with the fping linux "
                       "program.",
        "title": "Ping Success Rate", "type": "bar", "unit": "%",
        "summary_labels": ["Average Ping Success Rate"], "colors": ["#1f77b4"], "colorscale": UPTIME_COLORSCALE,
    }
    loss = charts["Packet loss"]
    assert loss["traces"] == [["packet_loss", [33.33, None, 0.004, None, None, None]]]
    assert loss["summary"] == {"packet_loss": 25.0}
    assert (loss["type"], loss["unit"], loss["colors"]) == ("bar", "%", ["#d62728"])
    rtt = charts["Round Trip Time"]
    assert rtt["traces"] == [
        ["RTT_average", [2.0, None, 20.12, None, None, None]],
        ["RTT_max", [2.75, None, 30.0, None, None, None]],
        ["RTT_min", [1.25, None, 10.0, None, None, None]],
    ]
    assert rtt["summary"] == {"RTT_average": 8.04, "RTT_max": 11.83, "RTT_min": 4.17}
    assert rtt["colors"] == ["#1f77b4", "#ff7f0e", "#2ca02c"]  # the defaults, one per summary label
    assert (rtt["type"], rtt["unit"]) == ("scatter", " ms")
    assert rtt["summary_labels"] == ["Average RTT", "Average Max RTT", "Average Min RTT"]


def test_wifi_clients_count_unique_macs_and_fill_gaps_with_zero(device):
    add_metric(device, "clients", ifname="wlan0", name="wlan0 wifi clients")
    add_metric(device, "clients", ifname="wlan1", name="wlan1 wifi clients")
    add_points("wifi_client_points", [
        *clients(device, "2024-05-01 00:01:00", "wlan0", ["aa:00:00:00:00:01", "aa:00:00:00:00:02"]),
        *clients(device, "2024-05-01 00:06:00", "wlan0", ["aa:00:00:00:00:01"]),
        *clients(device, "2024-05-01 00:31:00", "wlan0", ["aa:00:00:00:00:01", "aa:00:00:00:00:03"]),
        *clients(device, "2024-05-01 00:52:00", "wlan1", ["bb:00:00:00:00:01"]),
    ])
    chart_set, charts = charts_of(device)
    assert [chart["title"] for chart in chart_set.charts] == ["WiFi clients: wlan0", "WiFi clients: wlan1"]
    assert charts["WiFi clients: wlan0"] == {
        "traces": [["wifi_clients", [2, 0, 0, 2, 0, 0]]],
        "summary": {"wifi_clients": 3},  # unique over the window, not the sum of the buckets
        "description": 'WiFi clients associated to the wireless interface "wlan0".',
        "title": "WiFi clients: wlan0", "type": "bar", "unit": "",
        "summary_labels": ["Total Unique WiFi clients"], "colors": ["#1f77b4"], "colorscale": None,
    }
    assert charts["WiFi clients: wlan1"]["traces"] == [["wifi_clients", [0, 0, 0, 0, 0, 1]]]


def test_traffic_in_gigabytes(device):
    add_metric(device, "traffic", ifname="eth0", name="eth0 traffic")
    add_points("traffic_points", [
        traffic(device, "2024-05-01 00:01:00", "eth0", 1_000_000_000, 3_000_000),
        traffic(device, "2024-05-01 00:05:00", "eth0", 500_000_000, 0),
        traffic(device, "2024-05-01 00:45:00", "eth0", 1234, 20_000_000_000),
        traffic(device, "2024-05-01 00:46:00", "wlan0", 7_000_000_000, 7_000_000_000),  # another interface
    ])
    chart_set, charts = charts_of(device)
    assert charts["Traffic: eth0"] == {
        "traces": [["download", [1.5, None, None, None, 0.0, None]],
                   ["upload", [0.003, None, None, None, 20.0, None]]],
        "summary": {"download": 1.5, "upload": 20.0},
        "description": 'Network traffic (total, download and upload) of the interface "eth0".',
        "title": "Traffic: eth0", "type": "stackedbar+lines", "unit": "adaptive_prefix+B",
        "summary_labels": ["Total traffic", "Total download traffic", "Total upload traffic"],
        "colors": ["#7f7f7f", "#1f77b4", "#ff7f0e"], "colorscale": None,
        "trace_type": {"download": "stackedbar", "upload": "stackedbar", "total": "lines"},
        "trace_order": ["total", "download", "upload"], "calculate_total": True,
    }


def test_resource_charts_means_and_window_edges(device):
    for configuration in ("memory", "cpu", "disk"):
        add_metric(device, configuration)
    add_points("memory_points", [resource(device, "memory_points", "2024-05-01 00:01:00", 50.0),
                                 resource(device, "memory_points", "2024-05-01 00:02:00", 51.0),
                                 resource(device, "memory_points", "2024-05-01 00:12:00", 33.333333)])
    add_points("cpu_points", [resource(device, "cpu_points", "2024-05-01 00:55:00", 0.005)])
    add_points("disk_points", [
        resource(device, "disk_points", "2024-04-30 23:59:59", 99.0),  # before the window
        resource(device, "disk_points", "2024-05-01 00:00:00", 90.0),  # its first instant
        resource(device, "disk_points", "2024-05-01 00:59:59", 10.0),  # its last instant
        resource(device, "disk_points", "2024-05-01 01:00:00", 99.0),  # after it
    ])
    chart_set, charts = charts_of(device)
    assert [chart["title"] for chart in chart_set.charts] == ["Memory Usage", "CPU Load", "Disk Usage"]
    memory = charts["Memory Usage"]
    assert memory["traces"] == [["memory_usage", [50.5, 33.33, None, None, None, None]]]
    assert memory["summary"] == {"memory_usage": 44.78}
    assert (memory["type"], memory["unit"], memory["colors"]) == ("scatter", "%", ["#9467bd"])
    assert memory["description"] == "Percentage of memory (RAM) being used."
    cpu = charts["CPU Load"]
    assert cpu["traces"] == [["CPU_load", [None, None, None, None, None, 0.005]]]
    assert cpu["summary"] == {"CPU_load": 0.005}
    assert cpu["colors"] == ["#7f7f7f"]
    disk = charts["Disk Usage"]
    assert disk["traces"] == [["disk_usage", [90.0, None, None, None, None, 10.0]]]
    assert disk["summary"] == {"disk_usage": 50.0}
    assert disk["colors"] == ["#17becf"]


def test_mobile_signal_charts(device):
    for configuration in ("signal_strength", "signal_quality", "access_tech"):
        add_metric(device, configuration, ifname="lte0")
    add_points("signal_points", [
        signal(device, "2024-05-01 00:01:00", signal_strength=-51, signal_power=-75, signal_quality=-8, snr=13,
               access_tech=4),
        signal(device, "2024-05-01 00:02:00", signal_strength=-52, snr=14, access_tech=4),
        signal(device, "2024-05-01 00:11:00", access_tech=3),
        # a tie (one each): the value seen first wins
        signal(device, "2024-05-01 00:21:00", access_tech=3),
        signal(device, "2024-05-01 00:22:00", access_tech=5),
        # halves round away from zero, both ways
        signal(device, "2024-05-01 00:31:00", snr=-3), signal(device, "2024-05-01 00:32:00", snr=-4),
        signal(device, "2024-05-01 00:41:00", snr=2), signal(device, "2024-05-01 00:42:00", snr=3),
    ])
    chart_set, charts = charts_of(device)
    assert [chart["title"] for chart in chart_set.charts] == [
        "Signal Strength (RSSI)", "Signal Quality (RSRQ)", "Access Technology"]
    strength = charts["Signal Strength (RSSI)"]
    assert strength["traces"] == [["signal_power", [-75.0, None, None, None, None, None]],
                                  ["signal_strength", [-52.0, None, None, None, None, None]]]
    assert strength["summary"] == {"signal_power": -75.0, "signal_strength": -52.0}
    assert (strength["fill"], strength["yaxis"], strength["unit"]) == ("none", {"zeroline": False}, " dBm")
    assert strength["summary_labels"] == ["Average Signal Power (RSRP)", "Average Signal Strength (RSSI)"]
    assert strength["colors"] == ["#d62728", "#1f77b4"]
    quality = charts["Signal Quality (RSRQ)"]
    assert quality["traces"] == [["signal_quality", [-8.0, None, None, None, None, None]],
                                 ["signal_to_noise_ratio", [14.0, None, None, -4.0, 3.0, None]]]
    # (13 + 14 - 3 - 4 + 2 + 3) / 6 = 4.17
    assert quality["summary"] == {"signal_quality": -8.0, "signal_to_noise_ratio": 4.0}
    tech = charts["Access Technology"]
    assert tech["traces"] == [["access_tech", [4, 3, 3, None, None, None]]]
    assert tech["summary"] == {"access_tech": 4}  # 4 and 3 twice each: 4 came first
    assert (tech["summary_labels"], tech["colors"], tech["colorscale"]) == (None, None, ACCESS_TECH_COLORSCALE)


def test_gsm_only_strength_has_no_quality_chart(device):
    for configuration in ("signal_strength", "signal_quality", "access_tech"):
        add_metric(device, configuration, ifname="wwan0")
    add_points("signal_points", [signal(device, "2024-05-01 00:01:00", signal_strength=-70, access_tech=0)])
    chart_set, charts = charts_of(device)
    assert [chart["title"] for chart in chart_set.charts] == ["Signal Strength (RSSI)", "Access Technology"]
    assert charts["Signal Strength (RSSI)"]["summary"] == {"signal_power": None, "signal_strength": -70.0}
    assert charts["Access Technology"]["summary"] == {"access_tech": 0}


def test_display_order_and_no_data(device):
    add_metric(device, "ping")
    add_metric(device, "signal_strength", ifname="lte0")
    add_metric(device, "traffic", ifname="wlan1", name="wlan1 traffic")
    add_metric(device, "traffic", ifname="eth0", name="eth0 traffic")
    add_metric(device, "cpu")
    add_metric(device, "clients", ifname="wlan0", name="wlan0 wifi clients")
    chart_set, _ = charts_of(device)
    assert (chart_set.charts, chart_set.x) == ([], None)  # no points: every chart left out
    add_points("ping_points", [ping(device, "2024-05-01 00:01:00", 1, loss=0.0, rtt_avg=1.0)])
    add_points("signal_points", [signal(device, "2024-05-01 00:01:00", signal_strength=-60)])
    add_points("traffic_points", [traffic(device, "2024-05-01 00:01:00", "wlan1", 1, 1),
                                  traffic(device, "2024-05-01 00:01:00", "eth0", 1, 1)])
    add_points("cpu_points", [resource(device, "cpu_points", "2024-05-01 00:01:00", 5.0)])
    add_points("wifi_client_points", clients(device, "2024-05-01 00:01:00", "wlan0", ["aa:00:00:00:00:01"]))
    chart_set, _ = charts_of(device)
    assert [chart["title"] for chart in chart_set.charts] == [
        "Ping Success Rate", "Signal Strength (RSSI)", "Packet loss", "Round Trip Time", "WiFi clients: wlan0",
        "Traffic: eth0", "Traffic: wlan1", "CPU Load"]
    assert all(len(values) == 6 for chart in chart_set.charts for _, values in chart["traces"])
    # a window without points
    chart_set, _ = charts_of(device, start="2024-06-01 00:00:00", end="2024-06-01 00:59:59")
    assert (chart_set.charts, chart_set.x) == ([], None)


def test_labels_and_buckets_in_the_requested_zone(device):
    add_metric(device, "cpu")
    add_points("cpu_points", [resource(device, "cpu_points", "2024-05-01 00:01:00", 10.0),
                              resource(device, "cpu_points", "2024-05-01 00:41:00", 20.0)])
    # 00:00-00:59:59 UTC is 05:30-06:29:59 in Kolkata
    chart_set, charts = charts_of(device, timezone="Asia/Kolkata", start="2024-05-01 05:30:00",
                                  end="2024-05-01 06:29:59")
    assert chart_set.x == ["2024-05-01 05:30", "2024-05-01 05:40", "2024-05-01 05:50", "2024-05-01 06:00",
                           "2024-05-01 06:10", "2024-05-01 06:20"]
    assert charts["CPU Load"]["traces"] == [["CPU_load", [10.0, None, None, None, 20.0, None]]]
    # one-day buckets start at local midnight: 18:30 UTC the day before
    chart_set, charts = charts_of(device, timezone="Asia/Kolkata", start="2024-04-01 00:00:00",
                                  end="2024-05-02 00:00:00")
    assert chart_set.x[-2:] == ["2024-05-01 00:00", "2024-05-02 00:00"]
    assert charts["CPU Load"]["traces"][0][1][-2:] == [15.0, None]


def test_weekly_buckets_are_aligned_on_thursdays(device):
    add_metric(device, "cpu")
    add_points("cpu_points", [resource(device, "cpu_points", "2024-05-01 00:01:00", 10.0)])
    chart_set, _ = charts_of(device, start="2023-06-01 00:00:00", end="2024-05-31 00:00:00")  # 365 days
    assert chart_set.x[0] == "2023-06-01 00:00"  # 1 June 2023 is a Thursday, as 1 January 1970 was
    assert len(chart_set.x) == 53


def test_general_charts(make):
    org = make.org()
    first, second = make.device(org), make.device(org)
    add_points("wifi_client_points", [
        *clients(first, "2024-05-01 00:01:00", "wlan0", ["aa:00:00:00:00:01", "aa:00:00:00:00:02"]),
        *clients(second, "2024-05-01 00:02:00", "wlan1", ["aa:00:00:00:00:02", "aa:00:00:00:00:03"]),
        *clients(second, "2024-05-01 00:22:00", "wlan1", ["aa:00:00:00:00:01"]),
    ])
    add_points("traffic_points", [
        traffic(first, "2024-05-01 00:01:00", "wan", 60_000_000_000, 0),
        traffic(second, "2024-05-01 00:02:00", "eth0", 1_000_000_000, 1_000_000_000),
    ])
    requests = [ChartRequest("gen_wifi_clients", SeriesFilter(organization_ids=(org.id,))),
                ChartRequest("general_traffic", SeriesFilter(organization_ids=(org.id,), ifnames=("wan",)))]
    chart_set = build_charts(requests, window=window())
    clients_chart, traffic_chart = chart_set.charts
    assert clients_chart["title"] == "General WiFi Clients"
    assert clients_chart["traces"] == [["wifi_clients", [3, 0, 1, 0, 0, 0]]]
    assert clients_chart["summary"] == {"wifi_clients": 3}
    assert clients_chart["description"] == "Unique WiFi clients count of the entire network."
    assert traffic_chart["title"] == "General Traffic"
    assert traffic_chart["traces"] == [["download", [60.0, None, None, None, None, None]],
                                       ["upload", [0.0, None, None, None, None, None]]]
    assert traffic_chart["summary"] == {"download": 60.0, "upload": 0}
    assert traffic_chart["fill"] == "none"
    assert traffic_chart["description"] == "Network traffic of the whole network (total, download, upload)."


def test_a_chart_the_catalogue_does_not_know_is_skipped(device):
    add_metric(device, "cpu", charts=("cpu", "no_such_chart"))
    add_points("cpu_points", [resource(device, "cpu_points", "2024-05-01 00:01:00", 10.0)])
    chart_set, _ = charts_of(device)
    assert [chart["title"] for chart in chart_set.charts] == ["CPU Load"]


def test_csv(device):
    add_metric(device, "cpu")
    add_metric(device, "clients", ifname="wlan0", name="wlan0 wifi clients")
    add_metric(device, "traffic", ifname="eth0", name="eth0 traffic")
    add_points("cpu_points", [resource(device, "cpu_points", "2024-05-01 00:01:00", 9.73)])
    add_points("wifi_client_points", clients(device, "2024-05-01 00:11:00", "wlan0", ["aa:00:00:00:00:01"]))
    add_points("traffic_points", [traffic(device, "2024-05-01 00:21:00", "eth0", 400_000_000, 2_000_000_000)])
    chart_set = device_charts.device_charts(device=device, window=window())
    assert charts_csv(chart_set) == (
        "time,wifi_clients - WiFi clients: wlan0,download - Traffic: eth0,upload - Traffic: eth0,"
        "CPU_load - CPU Load\r\n"
        "2024-05-01 00:00,0,,,9.73\r\n"
        "2024-05-01 00:10,1,,,\r\n"
        "2024-05-01 00:20,0,0.4,2.0,\r\n"
        "2024-05-01 00:30,0,,,\r\n"
        "2024-05-01 00:40,0,,,\r\n"
        "2024-05-01 00:50,0,,,\r\n"
    )


@pytest.mark.parametrize(("value", "rounded"), [
    (66.666666, 66.67), (0.004, 0.004), (0.00012345, 0.0001), (3.24e-07, 0.0), (-51.123456, -51.1235),
    (2.005, 2.0), (100, 100), (0, 0), (None, None), ("lte", "lte"), (True, True),
])
def test_rounding(value, rounded):
    assert round_value(value) == rounded
    # the one-pass version used for the values of a trace: the same values, of the same types
    (in_one_pass,) = round_values([value])
    assert (in_one_pass, type(in_one_pass)) == (round_value(value), type(round_value(value)))


def test_charts_are_read_without_jit_compilation(device):
    """Compiling a chart statement costs more than it saves (50-100 ms for a device at the
    ingest limits); the setting holds for the request's transaction only."""
    add_metric(device, "cpu")
    add_points("cpu_points", [resource(device, "cpu_points", "2024-05-01 00:01:00", 50.0)])
    before = db.session.execute(text("SHOW jit")).scalar()
    db.session.execute(text("SET LOCAL jit_above_cost = 0"))
    assert charts_of(device)[0].charts
    assert db.session.execute(text("SHOW jit")).scalar() == "off"
    db.session.rollback()
    assert db.session.execute(text("SHOW jit")).scalar() == before


def test_window_sums_add_up_exactly():
    """The whole-window sum of a series adds up its buckets' sums with no rounding, as
    PostgreSQL's numeric does (Decimal's default context keeps 28 digits)."""
    tiny = Decimal("0.000000000000000000001")
    assert exact_sum([10**30, tiny, None, 5]) == Decimal("1000000000000000000000000000005.000000000000000000001")
    assert exact_sum([1, None, 2]) == 3 and type(exact_sum([1, 2])) is int
    assert exact_sum([None, None]) is None and exact_sum([]) is None


def test_two_modems_one_signal_chart_over_both(device):
    for ifname in ("lte0", "lte1"):
        add_metric(device, "signal_strength", ifname=ifname)
    add_points("signal_points", [signal(device, "2024-05-01 00:01:00", "lte0", signal_strength=-60),
                                 signal(device, "2024-05-01 00:02:00", "lte1", signal_strength=-71)])
    chart_set, charts = charts_of(device)
    assert [chart["title"] for chart in chart_set.charts] == ["Signal Strength (RSSI)"]
    assert charts["Signal Strength (RSSI)"]["summary"]["signal_strength"] == -66.0  # -65.5, away from zero
