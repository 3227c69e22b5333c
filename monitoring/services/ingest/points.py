"""From one NetJSON DeviceMonitoring sample to the points it produces (docs/api.md §6.4,
§6.5, docs/metrics.md §5.7). Pure functions: no database, easy to test.

Per interface: mobile signal (strength, quality, access technology), traffic as counter
increments, and one WiFi-client point per associated client; then the device's cpu, disk
and memory. Odd input never raises: a metric that cannot be computed is skipped.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from monitoring.netjson import ACCESS_TECHNOLOGIES, access_technology, normalise_ifname
from monitoring.registry import MetricKey

Counters = dict[str, tuple[int | None, int | None]]  # normalised ifname -> (rx, tx)


@dataclass
class SamplePoints:
    # hypertable name -> rows (column -> value), ready for a multi-row insert
    rows: dict[str, list[dict]] = field(default_factory=dict)
    # every metric the sample writes to, with the name a new metric row gets
    metric_names: dict[MetricKey, str] = field(default_factory=dict)
    # the value each metric with alert settings is judged on
    alert_values: dict[MetricKey, float] = field(default_factory=dict)

    def add(self, table: str, row: dict) -> None:
        self.rows.setdefault(table, []).append(row)

    @property
    def count(self) -> int:
        return sum(len(rows) for rows in self.rows.values())


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        value = float(value)
    except OverflowError:  # an integer beyond any double; validation refuses those first
        return None
    return value if math.isfinite(value) else None


def _int(value: Any) -> int | None:
    """An integer value exactly (a 64-bit counter does not survive a trip through a
    double); a float is truncated, as the reference does."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    number = _number(value)
    return int(number) if number is not None else None


def counters_by_ifname(raw: dict[str, list | tuple]) -> Counters:
    """Counters keyed by raw interface name (as in a snapshot) to normalised names."""
    return {normalise_ifname(name): (_int(pair[0]), _int(pair[1])) for name, pair in raw.items()}


# A 64-bit counter that went down from its upper half wrapped around: no byte counter gets
# there by counting since boot (2^63 bytes is 8 EiB), so it is not a reboot.
WRAP_LIMIT = 2**64
WRAP_FROM = 2**63


def increment(current: int | None, previous: int | None) -> int:
    """Bytes since the previous sample. A counter that went down was reset (reboot), unless
    it went down from the upper half of the 64-bit range: then it wrapped around."""
    if current is None:
        return 0
    previous = previous or 0
    if current >= previous:
        return current - previous
    if previous >= WRAP_FROM:
        return WRAP_LIMIT - previous + current
    return current


def extract(
    document: dict,
    *,
    device_id,
    time: datetime,
    previous_counters: Counters,
    dashboard_tags: dict,
) -> SamplePoints:
    """All points of a sample. ``dashboard_tags`` holds organization/location/floorplan ids."""
    points = SamplePoints()
    base = {"time": time, "device_id": device_id}
    for interface in document.get("interfaces") or []:
        raw_name = interface.get("name") or ""
        ifname = normalise_ifname(raw_name)
        _mobile(points, interface.get("mobile"), base, ifname, raw_name)
        _traffic(points, interface, base, ifname, raw_name, previous_counters, dashboard_tags)
        _wifi_clients(points, interface, base, ifname, raw_name, dashboard_tags)
    resources = document.get("resources")
    if isinstance(resources, dict):
        _cpu(points, resources, base)
        _disk(points, resources, base)
        _memory(points, resources, base)
    return points


def _mobile(points: SamplePoints, mobile: Any, base: dict, ifname: str, raw_name: str) -> None:
    if not isinstance(mobile, dict) or not isinstance(mobile.get("signal"), dict):
        return
    technology = access_technology(mobile["signal"])
    if technology is None:
        return
    values = mobile["signal"].get(technology) or {}
    strength = _number(values.get("rssi"))
    power = _number(values.get("rsrp"))
    if power is None:
        power = _number(values.get("rscp"))
    quality = _number(values.get("rsrq"))
    snr = None
    for source in ("snr", "ecio", "sinr"):  # later ones take precedence
        if _number(values.get(source)) is not None:
            snr = _number(values.get(source))
    row = {**base, "ifname": ifname, "access_tech": ACCESS_TECHNOLOGIES.index(technology)}
    points.metric_names[("access_tech", ifname)] = "access technology"
    if strength is not None or power is not None:
        row.update(signal_strength=strength, signal_power=power)
        points.metric_names[("signal_strength", ifname)] = "signal strength"
    if quality is not None or snr is not None:
        row.update(signal_quality=quality, snr=snr)
        points.metric_names[("signal_quality", ifname)] = "signal quality"
    points.add("signal_points", row)


def _traffic(points, interface, base, ifname, raw_name, previous_counters, dashboard_tags) -> None:
    statistics = interface.get("statistics")
    if not isinstance(statistics, dict):
        return
    rx, tx = _int(statistics.get("rx_bytes")), _int(statistics.get("tx_bytes"))
    if rx is None and tx is None:
        return
    previous_rx, previous_tx = previous_counters.get(ifname, (None, None))
    points.add("traffic_points", {
        **base, **dashboard_tags, "ifname": ifname,
        "rx_bytes": increment(rx, previous_rx), "tx_bytes": increment(tx, previous_tx),
        "rx_counter": rx, "tx_counter": tx,
    })
    points.metric_names[("traffic", ifname)] = f"{raw_name} traffic"


def _wifi_clients(points, interface, base, ifname, raw_name, dashboard_tags) -> None:
    wireless = interface.get("wireless")
    if not isinstance(wireless, dict) or not isinstance(wireless.get("clients"), list):
        return
    points.metric_names[("clients", ifname)] = f"{raw_name} wifi clients"
    seen = set()
    for client in wireless["clients"]:
        mac = client.get("mac") if isinstance(client, dict) else None
        if not isinstance(mac, str) or not mac or mac in seen:
            continue
        seen.add(mac)
        points.add("wifi_client_points", {**base, **dashboard_tags, "ifname": ifname, "client_mac": mac[:17]})


def _cpu(points: SamplePoints, resources: dict, base: dict) -> None:
    load, cpus = resources.get("load"), _number(resources.get("cpus"))
    if not isinstance(load, list) or len(load) < 3 or not cpus:
        return  # cpus 0 or a short load list: nothing sensible to compute
    loads = [_number(v) for v in load[:3]]
    if any(v is None for v in loads):
        return
    usage = 100 * loads[0] / cpus
    points.add("cpu_points", {**base, "cpu_usage": usage, "load_1": loads[0], "load_5": loads[1], "load_15": loads[2]})
    points.metric_names[("cpu", "")] = "CPU usage"
    points.alert_values[("cpu", "")] = usage


def _disk(points: SamplePoints, resources: dict, base: dict) -> None:
    disks = resources.get("disk")
    if not isinstance(disks, list):
        return
    used = sum(_number(d.get("used_bytes")) or 0 for d in disks if isinstance(d, dict))
    size = sum(_number(d.get("size_bytes")) or 0 for d in disks if isinstance(d, dict))
    used_disk = 100 * used / size if size else 100.0
    points.add("disk_points", {**base, "used_disk": used_disk})
    points.metric_names[("disk", "")] = "Disk usage"
    points.alert_values[("disk", "")] = used_disk


def _memory(points: SamplePoints, resources: dict, base: dict) -> None:
    memory = resources.get("memory")
    if not isinstance(memory, dict):
        return
    total, free = _number(memory.get("total")), _number(memory.get("free"))
    buffered, shared = _number(memory.get("buffered")), _number(memory.get("shared"))
    if not total or free is None or buffered is None:
        return  # memory.total 0: no percentage to compute
    available = _number(memory.get("available"))
    if available is not None and available > free:
        percent_used = 100 * (1 - (available + buffered) / total)
    else:
        percent_used = 100 * (1 - (free + buffered) / total)
    points.add("memory_points", {
        **base, "percent_used": percent_used,
        "total_memory": int(total), "free_memory": int(free), "buffered_memory": int(buffered),
        "shared_memory": _int(shared), "cached_memory": _int(memory.get("cached")),
        "available_memory": _int(available),
    })
    points.metric_names[("memory", "")] = "Memory usage"
    points.alert_values[("memory", "")] = percent_used
