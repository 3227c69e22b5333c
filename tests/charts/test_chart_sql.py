"""The chart SQL, verbatim: for each family of query shapes, the statement rendered from the
templates of ``monitoring/timeseries/sql/`` equals the file of ``tests/charts/golden/`` named
after the case, character for character. A change to a template, or to what a shape renders,
shows in review as a change of these files.

After a deliberate change, write the files anew and review their diff::

    UPDATE_GOLDEN=1 bash scripts/test.sh tests/charts/test_chart_sql.py
    git diff tests/charts/golden/

The answers themselves are held by the other chart tests (exact values, rollups equal to raw
points, per-interface reads equal to single ones, late samples).
"""
from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from monitoring.timeseries.chart_queries import Shape, sql_for, statement_sql
from monitoring.timeseries.sources import DISTINCT, MODE, NUMERIC
from monitoring.timeseries.sql_templates import render

GOLDEN = Path(__file__).with_name("golden")
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"

DEVICE = ("device_id",)
INTERFACE = ("device_id", "ifname")
INTERFACES = ("device_id", "ifnames")
DASHBOARD = ("organization_ids", "location_ids", "floorplan_ids")
TRAFFIC = ("rx_bytes", "tx_bytes")

SHAPES = {
    # numeric: means and sums
    "numeric_raw": Shape("cpu", NUMERIC, ("cpu_usage",), DEVICE, None, 0, 0),
    "numeric_rollups_and_gaps": Shape("traffic", NUMERIC, TRAFFIC, INTERFACE, "traffic_rollups", 3, 2),
    "numeric_dashboard_rollups": Shape("traffic", NUMERIC, TRAFFIC, ("ifnames", *DASHBOARD),
                                       "traffic_group_rollups", 3, 1),
    "numeric_per_interface_raw": Shape("traffic", NUMERIC, TRAFFIC, INTERFACES, None, 0, 0, True),
    "numeric_per_interface_rollups": Shape("traffic", NUMERIC, TRAFFIC, INTERFACES, "traffic_rollups", 2, 1, True),
    # mode: the most frequent value
    "mode_raw": Shape("signal", MODE, ("access_tech",), DEVICE, None, 0, 0),
    "mode_rollups_and_gaps": Shape("signal", MODE, ("access_tech",), DEVICE, "access_tech_rollups", 2, 2),
    # distinct: unique WiFi clients
    "distinct_raw": Shape("wifi_clients", DISTINCT, ("client_mac",), DASHBOARD, None, 0, 0),
    "distinct_rollups_and_gaps": Shape("wifi_clients", DISTINCT, ("client_mac",), DASHBOARD,
                                       "wifi_client_group_rollups", 3, 2),
    "distinct_per_interface_raw": Shape("wifi_clients", DISTINCT, ("client_mac",), INTERFACES, None, 0, 0, True),
    "distinct_per_interface_rollups": Shape("wifi_clients", DISTINCT, ("client_mac",), INTERFACES,
                                            "wifi_client_rollups", 2, 1, True),
}


def rendered(case: str) -> str:
    if case == "request_statement":
        # A device's request: its CPU, and the WiFi clients of its interfaces, in one statement.
        return statement_sql((SHAPES["numeric_raw"], SHAPES["distinct_per_interface_raw"]))
    return sql_for(SHAPES[case])


@pytest.mark.parametrize("case", [*SHAPES, "request_statement"])
def test_chart_sql_is_the_golden_text(case):
    path = GOLDEN / f"{case}.sql"
    sql = rendered(case) + "\n"
    if UPDATE:
        path.write_text(sql)
    assert path.exists(), f"no {path.name}: run with UPDATE_GOLDEN=1 to write it, then review it"
    assert sql == path.read_text(), (
        f"the SQL of {case} changed: if deliberately, run with UPDATE_GOLDEN=1 and review the diff of {path.name}")


def test_every_golden_file_has_a_case():
    """A file left behind by a removed case would still look like what the code sends."""
    assert {path.stem for path in GOLDEN.glob("*.sql")} == {*SHAPES, "request_statement"}


@pytest.mark.parametrize("value", ["eth0'; DROP TABLE devices; --", "1 day", 1.5,
                                   datetime(2024, 1, 1, tzinfo=UTC), ("cpu_usage", "x y")])
def test_templates_take_structure_only(value):
    """A request's value can reach a statement only as a bind parameter: anything but a
    name, a number, a flag or rendered SQL is refused before any text is made."""
    with pytest.raises(ValueError, match="SQL template parameter"):
        render("buckets.sql", field=value)
