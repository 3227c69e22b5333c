"""The metric catalogue (spec metrics.md §1.2): what each configuration is called, which
measurement and fields it writes, its default alert settings and the charts it gets.

Data, not code: the ingest writer, the health evaluation and the chart engine all read it.
"""
from __future__ import annotations

from dataclasses import dataclass


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

# Metrics whose unhealthiness together makes a device "critical" (spec metrics.md §5.5).
CRITICAL_DEVICE_METRICS: tuple[tuple[str, str], ...] = (
    ("ping", "reachable"),
    ("data_collected", "data_collected"),
)

DEFAULT_AUTO_CHARTS = ("traffic", "wifi_clients", "uptime", "packet_loss", "rtt", "memory", "cpu", "disk")

ACCESS_TECHNOLOGIES = ("gsm", "cdma1x", "evdo", "umts", "lte", "5g")


def charts_for(configuration: str, auto_charts: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    config = METRICS[configuration]
    if config.charts_always:
        return config.charts
    return tuple(chart for chart in config.charts if chart in auto_charts)
