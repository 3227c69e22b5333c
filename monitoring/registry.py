"""The metric catalogue (docs/metrics.md §1.2): what each configuration is called, which
measurement and fields it writes, its default alert settings and the charts it gets.

Data, not code: the ingest writer, the health evaluation and the chart engine all read it.
"""
from __future__ import annotations

from dataclasses import dataclass

# A metric of a device: its configuration and the normalised name of its interface ("" for
# the device's own metrics, such as cpu or ping).
MetricKey = tuple[str, str]


@dataclass(frozen=True)
class AlertDefault:
    operator: str  # "<" or ">"
    threshold: float
    tolerance: int  # minutes


@dataclass(frozen=True)
class MetricConfig:
    label: str
    key: str  # the measurement
    field_name: str
    related_fields: tuple[str, ...] = ()
    alert: AlertDefault | None = None
    charts: tuple[str, ...] = ()
    # Charts created whatever AUTO_CHARTS says (the mobile ones).
    charts_always: bool = False
    notification: bool = False


# The fallback the reference applies to a metric created without registry alert settings.
DEFAULT_ALERT = AlertDefault("<", 1, 0)

METRICS: dict[str, MetricConfig] = {
    "ping": MetricConfig("Ping", "ping", "reachable", ("loss", "rtt_min", "rtt_max", "rtt_avg"),
                         AlertDefault("<", 1, 30), ("uptime", "packet_loss", "rtt"), notification=True),
    "config_applied": MetricConfig("Configuration Applied", "config_applied", "config_applied",
                                   alert=AlertDefault("<", 1, 10), notification=True),
    "traffic": MetricConfig("Traffic", "traffic", "rx_bytes", ("tx_bytes",), charts=("traffic",)),
    "general_traffic": MetricConfig("General Traffic", "traffic", "rx_bytes", ("tx_bytes",),
                                    charts=("general_traffic",)),
    "clients": MetricConfig("Clients", "wifi_clients", "clients", charts=("wifi_clients",)),
    "wifi_clients_max": MetricConfig("WiFi Clients (Maximum)", "wifi_clients_max", "clients",
                                     alert=AlertDefault(">", 50, 120), notification=True),
    "wifi_clients_min": MetricConfig("WiFi Clients (Minimum)", "wifi_clients_min", "clients",
                                     alert=AlertDefault("<", 1, 0), notification=True),
    "data_collected": MetricConfig("Monitoring Data Collected", "data_collected", "data_collected",
                                   alert=AlertDefault("<", 1, 30), notification=True),
    "general_clients": MetricConfig("General WiFi Clients", "wifi_clients", "clients",
                                    charts=("gen_wifi_clients",)),
    "disk": MetricConfig("Disk usage", "disk", "used_disk", alert=AlertDefault(">", 90, 0),
                         charts=("disk",), notification=True),
    "memory": MetricConfig("Memory usage", "memory", "percent_used",
                           ("total_memory", "free_memory", "buffered_memory", "shared_memory",
                            "cached_memory", "available_memory"),
                           AlertDefault(">", 95, 30), ("memory",), notification=True),
    "cpu": MetricConfig("CPU usage", "cpu", "cpu_usage", ("load_1", "load_5", "load_15"),
                        AlertDefault(">", 90, 30), ("cpu",), notification=True),
    "signal_strength": MetricConfig("Signal Strength", "signal", "signal_strength", ("signal_power",),
                                    charts=("signal_strength",), charts_always=True),
    "signal_quality": MetricConfig("Signal Quality", "signal", "signal_quality", ("snr",),
                                   charts=("signal_quality",), charts_always=True),
    "access_tech": MetricConfig("Access Technology", "signal", "access_tech",
                                charts=("access_tech",), charts_always=True),
}

# Where the value a metric's alert settings judge is stored: (hypertable, column). The
# tolerance look-back reads it.
ALERT_SOURCES: dict[str, tuple[str, str]] = {
    "cpu": ("cpu_points", "cpu_usage"),
    "memory": ("memory_points", "percent_used"),
    "disk": ("disk_points", "used_disk"),
    # Written by the active checks (monitoring/services/checks/runs.py).
    "ping": ("ping_points", "reachable"),
    "data_collected": ("data_collected_points", "data_collected"),
    "wifi_clients_max": ("wifi_client_count_points", "clients_max"),
    "wifi_clients_min": ("wifi_client_count_points", "clients_min"),
}

# Notification texts (docs/metrics.md §1.3): (problem verb, recovery verb).
NOTIFICATION_VERBS: dict[str, tuple[str, str]] = {
    "ping": ("is not reachable", "is reachable again"),
    "config_applied": ("has not been applied", "configuration has been applied again"),
    "wifi_clients_max": ("exceeds the expected threshold", "has decreased"),
    "wifi_clients_min": ("is below the expected threshold", "has increased"),
    "data_collected": ("has not been sending", "has resumed sending"),
    "disk": ("is experiencing a peak in", "has returned to normal levels"),
    "memory": ("is experiencing a peak in", "has returned to normal levels"),
    "cpu": ("is experiencing a peak in", "has returned to normal levels"),
}

# Metrics whose unhealthiness together makes a device "critical" (docs/metrics.md §5.5).
CRITICAL_DEVICE_METRICS: tuple[tuple[str, str], ...] = (
    ("ping", "reachable"),
    ("data_collected", "data_collected"),
)


@dataclass(frozen=True)
class CheckType:
    """An active check (docs/metrics.md §5.6): what it is called, the metrics it writes, the
    setting that creates it for every device, and the JSON schema of its ``params``."""

    label: str
    metrics: tuple[str, ...]
    auto_setting: str
    params_schema: dict


PING_PARAMS_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "count": {"type": "integer", "minimum": 2, "maximum": 20},  # probes per device
        "interval": {"type": "integer", "minimum": 10, "maximum": 1000},  # ms between probes to a device
        "bytes": {"type": "integer", "minimum": 12, "maximum": 65508},  # payload size
        "timeout": {"type": "integer", "minimum": 5, "maximum": 1500},  # ms to wait for a reply
    },
}
PING_DEFAULTS = {"count": 5, "interval": 25, "bytes": 56, "timeout": 800}
NO_PARAMS_SCHEMA = {"type": "object", "additionalProperties": False, "properties": {}}

CHECK_TYPES: dict[str, CheckType] = {
    "ping": CheckType("Ping", ("ping",), "AUTO_PING", PING_PARAMS_SCHEMA),
    "data_collected": CheckType("Monitoring Data Collected", ("data_collected",), "AUTO_DATA_COLLECTED_CHECK",
                                NO_PARAMS_SCHEMA),
    "wifi_clients": CheckType("WiFi Clients", ("wifi_clients_max", "wifi_clients_min"), "AUTO_WIFI_CLIENTS_CHECK",
                              NO_PARAMS_SCHEMA),
}
# Check types that write a critical metric: the ones recovery detection runs, and whose
# disabling resets the device's health (docs/metrics.md §5.5; matched on the metric, not on
# the reference's class path).
CRITICAL_CHECK_TYPES = tuple(
    name for name, check in CHECK_TYPES.items()
    if any((METRICS[m].key, METRICS[m].field_name) in CRITICAL_DEVICE_METRICS for m in check.metrics)
)

DEFAULT_AUTO_CHARTS = ("traffic", "wifi_clients", "uptime", "packet_loss", "rtt", "memory", "cpu", "disk")

def charts_for(configuration: str, auto_charts: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    config = METRICS[configuration]
    if config.charts_always:
        return config.charts
    return tuple(chart for chart in config.charts if chart in auto_charts)


# --- the chart catalogue (docs/metrics.md §1.4) -------------------------------------------

DEFAULT_COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
                  "#bcbd22", "#17becf")

# Aggregates of a trace over a bucket (and, for the summary, over the whole window).
MEAN = "mean"  # arithmetic mean of the non-null values
ROUNDED_MEAN = "rounded_mean"  # the mean rounded to an integer, halves away from zero
SUM = "sum"
MODE = "mode"  # the most frequent value; on a tie, the one seen first
UNIQUE_COUNT = "unique_count"  # how many distinct values; 0 for a bucket without points


@dataclass(frozen=True)
class Trace:
    name: str  # the trace's name in the chart and its key in the summary
    aggregate: str
    field: str  # a field of the chart's measurement
    multiplier: float = 1
    divisor: float = 1  # e.g. bytes / 1e9 = GB, as the reference computes it


@dataclass(frozen=True)
class ChartConfig:
    type: str
    title: str  # may contain {ifname}
    description: str
    order: int
    unit: str | None
    measurement: str
    traces: tuple[Trace, ...]
    summary_labels: tuple[str, ...] | None = None
    colors: tuple[str, ...] | None = None
    colorscale: dict | None = None
    label: str | None = None  # for choice lists; defaults to the title
    # Optional keys, only in the chart JSON when set (docs/metrics.md §3.1).
    fill: str | None = None
    xaxis: dict | None = None
    yaxis: dict | None = None
    trace_type: dict | None = None
    trace_order: tuple[str, ...] | None = None
    calculate_total: bool = False
    connect_points: bool = False
    trace_labels: dict | None = None
    # Device charts of interface metrics read only that interface's points.
    per_interface: bool = False
    # General charts aggregate every device's points (the dashboard).
    general: bool = False
    # Reads only the interfaces of the DASHBOARD_TRAFFIC_CHART setting.
    dashboard_interfaces: bool = False

    @property
    def resolved_colors(self) -> list[str] | None:
        """Configured colours, else one default colour per summary label, else none."""
        if self.colors:
            return list(self.colors)
        if self.summary_labels:
            return list(DEFAULT_COLORS[: len(self.summary_labels)])
        return None


UPTIME_COLORSCALE = {
    "max": 100, "min": 0, "label": "Rate",
    "scale": [[0, "#c13000"], [0.1, "#ec7204"], [0.5, "#deed0e"], [0.9, "#90d000"], [1, "#7db201"]],
    "map": [[100, "#7db201", "Flawless"], [90, "#90d000", "Mostly Reachable"], [50, "#deed0e", "Partly Reachable"],
            [10, "#ec7204", "Mostly Unreachable"], [None, "#c13000", "Unreachable"]],
    "fixed_value": 100,
}
ACCESS_TECH_COLORSCALE = {
    "label": "", "max": 5, "min": 0,
    "map": [[5, "#377873", "5g"], [4, "#67c368", "lte"], [3, "#efdd50", "umts"], [2, "#df7514", "evdo"],
            [1, "#dd5817", "cdma1x"], [0, "#b42a0c", "gsm"]],
    "scale": [[0, "#b42a0c"], [0.1, "#dd5817"], [0.2, "#df7514"], [0.5, "#efdd50"], [0.8, "#67c368"],
              [1, "#377873"]],
    "fixed_value": 100,
}
TRAFFIC_SUMMARY_LABELS = ("Total traffic", "Total download traffic", "Total upload traffic")
TRAFFIC_COLORS = ("#7f7f7f", "#1f77b4", "#ff7f0e")
TRAFFIC_TRACE_TYPE = {"download": "stackedbar", "upload": "stackedbar", "total": "lines"}
TRAFFIC_TRACE_ORDER = ("total", "download", "upload")
TRAFFIC_TRACES = (Trace("download", SUM, "rx_bytes", divisor=1e9), Trace("upload", SUM, "tx_bytes", divisor=1e9))
SIGNAL_EXTRAS = {"fill": "none", "yaxis": {"zeroline": False}}

CHARTS: dict[str, ChartConfig] = {
    "uptime": ChartConfig(
        "bar", "Ping Success Rate",
        "A value of 100% means reachable, 0% means unreachable, values in between 0% and 100% indicate the "
        "average reachability in the period observed. Obtained with the fping linux program.",
        200, "%", "ping", (Trace("uptime", MEAN, "reachable", multiplier=100),),
        summary_labels=("Average Ping Success Rate",), colorscale=UPTIME_COLORSCALE,
    ),
    "packet_loss": ChartConfig(
        "bar", "Packet loss",
        "Indicates the percentage of lost packets observed in ICMP probes. Obtained with the fping linux program.",
        210, "%", "ping", (Trace("packet_loss", MEAN, "loss"),),
        summary_labels=("Average packet loss",), colors=("#d62728",),
    ),
    "rtt": ChartConfig(
        "scatter", "Round Trip Time", "Round trip time observed in ICMP probes, measuered in milliseconds.",
        220, " ms", "ping",
        (Trace("RTT_average", MEAN, "rtt_avg"), Trace("RTT_max", MEAN, "rtt_max"), Trace("RTT_min", MEAN, "rtt_min")),
        summary_labels=("Average RTT", "Average Max RTT", "Average Min RTT"),
    ),
    "wifi_clients": ChartConfig(
        "bar", "WiFi clients: {ifname}", 'WiFi clients associated to the wireless interface "{ifname}".',
        230, "", "wifi_clients", (Trace("wifi_clients", UNIQUE_COUNT, "client_mac"),),
        summary_labels=("Total Unique WiFi clients",), colors=("#1f77b4",), label="WiFi clients",
        per_interface=True,
    ),
    "gen_wifi_clients": ChartConfig(
        "bar", "General WiFi Clients", "Unique WiFi clients count of the entire network.",
        230, "", "wifi_clients", (Trace("wifi_clients", UNIQUE_COUNT, "client_mac"),),
        summary_labels=("Total Unique WiFi clients",), colors=("#1f77b4",), general=True,
    ),
    "traffic": ChartConfig(
        "stackedbar+lines", "Traffic: {ifname}",
        'Network traffic (total, download and upload) of the interface "{ifname}".',
        240, "adaptive_prefix+B", "traffic", TRAFFIC_TRACES,
        summary_labels=TRAFFIC_SUMMARY_LABELS, colors=TRAFFIC_COLORS, label="Traffic",
        trace_type=TRAFFIC_TRACE_TYPE, trace_order=TRAFFIC_TRACE_ORDER, calculate_total=True, per_interface=True,
    ),
    "general_traffic": ChartConfig(
        "stackedbar+lines", "General Traffic", "Network traffic of the whole network (total, download, upload).",
        240, "adaptive_prefix+B", "traffic", TRAFFIC_TRACES,
        summary_labels=TRAFFIC_SUMMARY_LABELS, colors=TRAFFIC_COLORS, fill="none",
        trace_type=TRAFFIC_TRACE_TYPE, trace_order=TRAFFIC_TRACE_ORDER, calculate_total=True, general=True,
        dashboard_interfaces=True,
    ),
    "memory": ChartConfig(
        "scatter", "Memory Usage", "Percentage of memory (RAM) being used.",
        250, "%", "memory", (Trace("memory_usage", MEAN, "percent_used"),),
        summary_labels=("Memory Usage",), colors=("#9467bd",),
    ),
    "cpu": ChartConfig(
        "scatter", "CPU Load",
        "Average CPU load, measured using the Linux load averages, taking into account the number of available "
        "CPUs.",
        260, "%", "cpu", (Trace("CPU_load", MEAN, "cpu_usage"),),
        summary_labels=("CPU Load",), colors=("#7f7f7f",),
    ),
    "disk": ChartConfig(
        "scatter", "Disk Usage", "Disk usage in percentage, calculated using all the available partitions.",
        270, "%", "disk", (Trace("disk_usage", MEAN, "used_disk"),),
        summary_labels=("Disk Usage",), colors=("#17becf",),
    ),
    # The three mobile charts read every mobile interface of the device (no interface filter).
    "signal_strength": ChartConfig(
        "scatter", "Signal Strength (RSSI)", "Signal Strength (RSSI) and Signal Power (RSRP), measured in dBm.",
        205, " dBm", "signal",
        (Trace("signal_strength", ROUNDED_MEAN, "signal_strength"),
         Trace("signal_power", ROUNDED_MEAN, "signal_power")),
        summary_labels=("Average Signal Power (RSRP)", "Average Signal Strength (RSSI)"),
        colors=("#d62728", "#1f77b4"), **SIGNAL_EXTRAS,
    ),
    "signal_quality": ChartConfig(
        "scatter", "Signal Quality (RSRQ)", "Signal Quality (RSRQ) and Signal to Noise Ratio (SNR), measured in dB.",
        206, " dB", "signal",
        (Trace("signal_quality", ROUNDED_MEAN, "signal_quality"),
         Trace("signal_to_noise_ratio", ROUNDED_MEAN, "snr")),
        summary_labels=("Average Signal Quality (RSRQ)", "Average Signal to Noise Ratio (SNR)"),
        colors=("#d62728", "#1f77b4"), **SIGNAL_EXTRAS,
    ),
    "access_tech": ChartConfig(
        "bar", "Access Technology",
        "Shows the access technology (LTE, UTMS, CDMA1x, etc.) in use on the device at the specified time.",
        207, "", "signal", (Trace("access_tech", MODE, "access_tech"),),
        colorscale=ACCESS_TECH_COLORSCALE,
    ),
}

GENERAL_CHARTS = tuple(name for name, chart in CHARTS.items() if chart.general)
