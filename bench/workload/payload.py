"""Deterministic NetJSON DeviceMonitoring payload used by the benchmark.

make_payload(dev_index, seq) -> dict
  dev_index: 0..N-1 (device bench-dev-NNN); seq: sample number (0,1,2,...)
Counters grow linearly with seq so per-sample increments are constant:
  eth0  rx += 1_500_000, tx += 400_000 per sample
  wlan0 rx += 800_000,   tx += 2_000_000 per sample
Gauges vary deterministically with (dev_index, seq).
"""
import json


def client_mac(dev_index, j):
    return f"aa:bb:cc:{dev_index // 256:02x}:{dev_index % 256:02x}:{j:02x}"


def make_payload(dev_index, seq):
    i, s = dev_index, seq
    w = (i * 7 + s * 13) % 100  # 0..99 wobble
    mem_total = 249_774_080
    mem_free = 100_000_000 + w * 500_000
    disk_size = 15_507_456
    disk_used = 7_000_000 + w * 10_000
    return {
        "type": "DeviceMonitoring",
        "general": {"hostname": f"bench-dev-{i:03d}", "local_time": 1_700_000_000 + s * 300, "uptime": 3600 + s * 300},
        "resources": {
            "load": [(5 + w // 2) / 100, (4 + w // 3) / 100, (3 + w // 4) / 100],
            "cpus": 1,
            "memory": {
                "total": mem_total,
                "shared": 86_016,
                "free": mem_free,
                "cached": 6_000_000,
                "available": mem_free + 6_000_000,
                "buffered": 9_000_000,
            },
            "disk": [
                {
                    "used_bytes": disk_used,
                    "available_bytes": disk_size - disk_used,
                    "filesystem": "/dev/root",
                    "mount_point": "/",
                    "used_percent": int(disk_used * 100 / disk_size),
                    "size_bytes": disk_size,
                }
            ],
            "swap": {"total": 0, "free": 0},
        },
        "interfaces": [
            {
                "name": "eth0",
                "type": "ethernet",
                "up": True,
                "mac": f"02:00:00:00:{i // 256:02x}:{i % 256:02x}",
                "mtu": 1500,
                "txqueuelen": 1000,
                "speed": "1000F",
                "multicast": True,
                "addresses": [{"address": f"10.0.{i // 256}.{i % 256}", "family": "ipv4", "proto": "dhcp", "mask": 24}],
                "statistics": {
                    "mode": "dhcp",
                    "rx_bytes": 10_000_000 + s * 1_500_000,
                    "tx_bytes": 5_000_000 + s * 400_000,
                    "rx_packets": 20_000 + s * 1_200,
                    "tx_packets": 10_000 + s * 600,
                    "rx_errors": 0, "tx_errors": 0, "rx_dropped": 0, "tx_dropped": 0,
                    "multicast": 0, "collisions": 0,
                },
            },
            {
                "name": "wlan0",
                "type": "wireless",
                "up": True,
                "mac": f"02:00:00:01:{i // 256:02x}:{i % 256:02x}",
                "mtu": 1500,
                "txqueuelen": 1000,
                "multicast": True,
                "statistics": {
                    "rx_bytes": 3_000_000 + s * 800_000,
                    "tx_bytes": 8_000_000 + s * 2_000_000,
                    "rx_packets": 9_000 + s * 900,
                    "tx_packets": 15_000 + s * 1_800,
                    "rx_errors": 0, "tx_errors": 0, "rx_dropped": 0, "tx_dropped": 0,
                    "multicast": 0, "collisions": 0,
                },
                "wireless": {
                    "ssid": "bench-wifi",
                    "mode": "access_point",
                    "channel": 6,
                    "frequency": 2437,
                    "tx_power": 20,
                    "signal": -30,
                    "noise": -95,
                    "country": "IT",
                    "htmode": "HT20",
                    "clients": [
                        {
                            "mac": client_mac(i, j),
                            "aid": j + 1,
                            "signal": -40 - j - (w % 10),
                            "noise": -95,
                            "assoc": True, "auth": True, "authorized": True,
                            "ht": True, "vht": False, "he": False,
                            "wds": False, "wmm": True, "wps": False, "mfp": False,
                            "preauth": False,
                            "bitrate": 72_200 - j * 1000,
                            "quality": 60 - j, "quality_max": 70,
                            "signature": "",
                            "rrm": [0, 0, 0, 0, 0],
                        }
                        for j in range(10)
                    ],
                },
            },
        ],
    }


if __name__ == "__main__":
    import sys

    dev_index = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    seq = int(sys.argv[2]) if len(sys.argv) > 2 else 0
    print(json.dumps(make_payload(dev_index, seq), indent=2))
