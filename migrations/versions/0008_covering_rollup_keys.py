"""Device rollups: primary keys that include the aggregates.

A chart of one device reads one row per period from each rollup (168 for a week of hours).
Those rows were written hour by hour for every device at once, so each sits on its own heap
page; with the aggregates in the key's index, the read becomes an index-only scan over a few
neighbouring index pages instead.

Revision ID: 0008_covering_rollup_keys
Revises: 0007_login_throttle
"""
from alembic import op

revision = '0008_covering_rollup_keys'
down_revision = '0007_login_throttle'
branch_labels = None
depends_on = None

PING_FIELDS = ("reachable", "loss", "rtt_min", "rtt_max", "rtt_avg")
SIGNAL_FIELDS = ("signal_strength", "signal_power", "signal_quality", "snr")


def _sums(*fields):
    return [f"{name}_{part}" for name in fields for part in ("sum", "count")]


# table: (key columns, included columns)
KEYS = {
    "ping_rollups": (("device_id", "grain", "time"), _sums(*PING_FIELDS)),
    "cpu_rollups": (("device_id", "grain", "time"), _sums("cpu_usage")),
    "memory_rollups": (("device_id", "grain", "time"), _sums("percent_used")),
    "disk_rollups": (("device_id", "grain", "time"), _sums("used_disk")),
    "signal_rollups": (("device_id", "grain", "time"), _sums(*SIGNAL_FIELDS)),
    "access_tech_rollups": (("device_id", "access_tech", "grain", "time"), ["samples", "first_time"]),
    "traffic_rollups": (("device_id", "ifname", "grain", "time"), _sums("rx_bytes", "tx_bytes")),
    "wifi_client_rollups": (("device_id", "ifname", "grain", "time", "page"), ["clients"]),
}


def _replace_key(table, columns, included):
    op.execute(f"ALTER TABLE {table} DROP CONSTRAINT pk_{table}")
    include = f" INCLUDE ({', '.join(included)})" if included else ""
    op.execute(f"ALTER TABLE {table} ADD CONSTRAINT pk_{table} PRIMARY KEY ({', '.join(columns)}){include}")


def upgrade():
    for table, (columns, included) in KEYS.items():
        _replace_key(table, columns, included)


def downgrade():
    for table, (columns, _) in KEYS.items():
        _replace_key(table, columns, [])
