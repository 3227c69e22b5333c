"""Device samples at the edges of what real hardware sends: 64-bit counters, odd bytes in
strings, numbers no device can mean, sample times outside the accepted window, and the
limits that keep one device key from degrading the service. The agent discards a sample
on 400 and resends anything else forever, so every case is a 200 (stored) or a 400 that
names the field (nothing stored): never a 500."""
from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from psycopg2.extensions import TRANSACTION_STATUS_IDLE
from sqlalchemy import select, text

from monitoring.extensions import db
from monitoring.models import DeviceData, Metric, WifiClient, WifiSession
from monitoring.timeseries import sample_store
from tests.ingest.test_device_samples import RESOURCES, client_entry, count, interface, post, rows, sample, wireless

TIME_FORMAT = "%d-%m-%Y_%H:%M:%S.%f"
COUNTER_MAX = 2**64 - 1


def post_text(client, device, body: str, **params):
    """A body written by hand: escapes exactly as a device's JSON encoder leaves them."""
    return post(client, device, body.encode(), **params)


def stored_nothing(device) -> bool:
    tables = ("traffic_points", "wifi_client_points", "cpu_points", "memory_points", "disk_points")
    return all(count(table, device) == 0 for table in tables) and db.session.get(DeviceData, device.id) is None


def traffic_rows(device):
    return rows("SELECT rx_bytes, tx_bytes, rx_counter, tx_counter FROM traffic_points"
                " WHERE device_id = :d ORDER BY time", d=device.id)


def ago(**delta) -> str:
    return (datetime.now(UTC) - timedelta(**delta)).strftime(TIME_FORMAT)


# --- numbers ----------------------------------------------------------------------------

@pytest.mark.parametrize(("body", "path"), [
    ('{"type": "DeviceMonitoring", "resources": {"load": [1e309, 0.1, 0.1], "cpus": 1}}', "resources/load/0"),
    ('{"type": "DeviceMonitoring", "dns_servers": [1e309]}', "dns_servers/0"),
    ('{"type": "DeviceMonitoring", "odd": -2.5E+400}', "odd"),
    ('{"type": "DeviceMonitoring", "general": {"extra": 1' + "0" * 400 + '}}', "general/extra"),
    # The shortest integers beyond the largest double (about 1.8e308): 309 digits.
    ('{"type": "DeviceMonitoring", "general": {"extra": 2' + "0" * 308 + '}}', "general/extra"),
    ('{"type": "DeviceMonitoring", "odd": [1, -2' + "0" * 308 + ']}', "odd/1"),
])
def test_numbers_beyond_a_double_are_a_400_naming_the_field(client, device, body, path):
    response = post_text(client, device, body)
    assert response.status_code == 400
    message = response.get_json()
    assert message.startswith(f'Invalid data in "#/{path}", validator says:')
    assert "out of range" in message
    assert stored_nothing(device)


def test_large_but_finite_numbers_are_stored(client, device):
    """Up to the largest double, 309-digit integers included."""
    body = ('{"type": "DeviceMonitoring", "resources": {"load": [1e300, 0.5, 0.5], "cpus": 1}, "x": 12e3, '
            '"y": 1' + "0" * 308 + ', "z": -' + "9" * 308 + '}')
    assert post_text(client, device, body).status_code == 200
    assert rows("SELECT load_1 FROM cpu_points WHERE device_id = :d", d=device.id)[0].load_1 == 1e300


def test_counters_up_to_two_to_the_64_are_stored_exactly(client, device):
    for rx in (COUNTER_MAX - 10, COUNTER_MAX):
        assert post(client, device, sample(interface("eth0", rx, 2**63))).status_code == 200
    first, second = traffic_rows(device)
    assert (first.rx_counter, first.tx_counter) == (COUNTER_MAX - 10, 2**63)
    assert (second.rx_counter, second.rx_bytes, second.tx_bytes) == (COUNTER_MAX, 10, 0)
    snapshot = db.session.get(DeviceData, device.id).data
    assert snapshot["interfaces"][0]["statistics"]["rx_bytes"] == COUNTER_MAX


def test_a_counter_that_wraps_around_counts_what_it_moved_and_a_reset_counts_from_zero(client, device):
    for rx in (COUNTER_MAX - 99, 50, 5_000_000_000, 10):
        assert post(client, device, sample(interface("eth0", rx, 0))).status_code == 200
    increments = [row.rx_bytes for row in traffic_rows(device)]
    # the first sample counts its whole counter; the wrap-around moved 100 + 50 bytes;
    # a reboot (down from the lower half) starts again from zero
    assert increments == [COUNTER_MAX - 99, 150, 5_000_000_000 - 50, 10]


def test_a_backfilled_sample_takes_its_increment_from_a_64_bit_predecessor(client, device):
    assert post(client, device, sample(interface("eth0", 2**63 + 5, 1)), time=ago(minutes=30)).status_code == 200
    assert post(client, device, sample(interface("eth0", 2**63 + 1005, 1)), time=ago(minutes=20)).status_code == 200
    assert post(client, device, sample(interface("eth0", 2**63 + 505, 1)), time=ago(minutes=25)).status_code == 200
    # by time: the first counts its counter; the back-filled middle one, and the one after it
    # (recounted from it), 500 each
    assert [row.rx_bytes for row in traffic_rows(device)] == [2**63 + 5, 500, 500]


@pytest.mark.parametrize(("statistics", "path", "bound"), [
    ({"rx_bytes": 10**29}, "interfaces/0/statistics/rx_bytes", "maximum"),
    ({"tx_bytes": 2**64}, "interfaces/0/statistics/tx_bytes", "maximum"),
    ({"rx_packets": -1}, "interfaces/0/statistics/rx_packets", "minimum"),
])
def test_counters_outside_64_bits_are_a_400_naming_the_field(client, device, statistics, path, bound):
    document = sample({"name": "eth0", "type": "ethernet", "statistics": statistics})
    response = post(client, device, document)
    assert response.status_code == 400
    assert response.get_json().startswith(f'Invalid data in "#/{path}", validator says:')
    assert f"the {bound} of" in response.get_json()
    assert stored_nothing(device)


def test_memory_beyond_a_signed_64_bit_value_is_a_400(client, device):
    resources = {**RESOURCES, "memory": {**RESOURCES["memory"], "total": 2**63}}
    response = post(client, device, sample(resources=resources))
    assert response.status_code == 400
    assert response.get_json().startswith('Invalid data in "#/resources/memory/total", validator says:')
    assert stored_nothing(device)


# --- strings ----------------------------------------------------------------------------

def test_nul_and_lone_surrogates_are_replaced_and_the_sample_is_stored(client, device):
    body = json.dumps(sample(
        wireless("wlan\\u00000", [client_entry("aa:00:00:00:00:01", vendor="Acme\\ud800 Inc")], ssid="cafe\\u0000net"),
        interface("eth\\udfff1", 100, 200),
    )).replace("\\\\u", "\\u")  # the document's strings carry the escapes themselves
    body = body[:-1] + ', "odd\\u0000key": ["\\ud83d\\ude00", "x\\udc00y"]}'
    assert post_text(client, device, body).status_code == 200

    snapshot = db.session.get(DeviceData, device.id).data
    wlan, eth = snapshot["interfaces"]
    assert wlan["name"] == "wlan\ufffd0" and wlan["wireless"]["ssid"] == "cafe\ufffdnet"
    assert wlan["wireless"]["clients"][0]["vendor"] == "Acme\ufffd Inc"
    assert eth["name"] == "eth\ufffd1"
    assert snapshot["odd\ufffdkey"] == ["\U0001f600", "x\ufffdy"]  # a valid pair stays an emoji
    names = set(db.session.scalars(select(Metric.name).where(Metric.device_id == device.id)))
    assert {"wlan\ufffd0 wifi clients", "eth\ufffd1 traffic"} <= names
    (session,) = db.session.scalars(select(WifiSession).where(WifiSession.device_id == device.id))
    assert session.ssid == "cafe\ufffdnet" and session.interface_name == "wlan\ufffd0"
    vendors = set(db.session.scalars(select(WifiClient.vendor)))
    assert vendors == {"Acme\ufffd Inc"}
    assert count("traffic_points", device) == 1  # eth1 has counters, wlan0 none


def test_an_escaped_backslash_before_u0000_is_plain_text(client, device):
    body = '{"type": "DeviceMonitoring", "note": "C:\\\\u0000"}'
    assert post_text(client, device, body).status_code == 200
    assert db.session.get(DeviceData, device.id).data["note"] == "C:\\u0000"


# --- sample times -----------------------------------------------------------------------

def chunk_count() -> int:
    return db.session.execute(text("SELECT count(*) FROM timescaledb_information.chunks")).scalar()


@pytest.mark.parametrize("time", [
    "02-01-2001_00:00:00.000000",
    "01-01-0001_00:00:00.000000",
    "31-12-9999_23:59:59.999999",
    "later",
])
def test_a_time_outside_the_window_is_a_400_that_says_which_window(client, device, time):
    if time == "later":
        time = (datetime.now(UTC) + timedelta(minutes=10)).strftime(TIME_FORMAT)
    chunks = chunk_count()
    response = post(client, device, sample(interface("eth0", 1, 1), resources=RESOURCES), time=time)
    assert response.status_code == 400
    detail = response.get_json()["detail"]
    assert detail.startswith("Sample time out of the accepted window: from ")
    assert "(the retention period, 1095 days ago)" in detail and "(5 minutes ahead of the server's clock)" in detail
    oldest = (datetime.now(UTC) - timedelta(days=1095)).strftime("%d-%m-%Y")
    assert f"from {oldest}_" in detail
    assert stored_nothing(device) and chunk_count() == chunks


def test_times_inside_the_window_are_stored(client, device, app):
    for time in (ago(days=1094), ago(minutes=-4)):
        assert post(client, device, sample(interface("eth0", 1, 1)), time=time).status_code == 200
    assert count("traffic_points", device) == 2


def test_the_window_follows_the_retention_and_skew_settings(client, device, data_app, app, monkeypatch):
    monkeypatch.setitem(app.config, "RETENTION_DAYS", 30)
    monkeypatch.setitem(app.config, "RETENTION_DAYS_BY_TABLE", {"cpu_points": 90})
    monkeypatch.setitem(app.config, "SAMPLE_TIME_MAX_AHEAD_SECONDS", 30)
    assert post(client, device, sample(interface("eth0", 1, 1)), time=ago(days=89)).status_code == 200
    response = post(client, device, sample(interface("eth0", 1, 1)), time=ago(days=91))
    assert response.status_code == 400 and "(the retention period, 90 days ago)" in response.get_json()["detail"]
    response = post(client, device, sample(interface("eth0", 1, 1)), time=ago(seconds=-60))
    assert response.status_code == 400 and "(30 seconds ahead of the server's clock)" in response.get_json()["detail"]


# --- limits -----------------------------------------------------------------------------

def test_more_interfaces_than_the_limit_is_a_400_naming_it(client, device, app):
    document = sample(*[interface(f"vlan{n}", n, n) for n in range(app.config["DEVICE_MAX_INTERFACES"] + 1)])
    response = post(client, device, document)
    assert response.status_code == 400
    assert response.get_json() == (
        'Invalid data in "#/interfaces", validator says:\n\n129 interfaces are more than the limit of 128 '
        "per sample (DEVICE_MAX_INTERFACES)")
    assert stored_nothing(device)
    assert db.session.scalars(select(Metric).where(Metric.device_id == device.id)).all() == []


def test_more_wifi_clients_than_the_limit_is_a_400_naming_it(client, device, app, monkeypatch):
    monkeypatch.setitem(app.config, "DEVICE_MAX_WIFI_CLIENTS", 3)
    clients = [client_entry(f"aa:00:00:00:00:{n:02x}") for n in range(4)]
    response = post(client, device, sample(wireless("wlan0", clients[:3]), wireless("wlan1", clients)))
    assert response.status_code == 400
    assert response.get_json() == (
        'Invalid data in "#/interfaces/1/wireless/clients", validator says:\n\n4 WiFi clients are more than '
        "the limit of 3 per interface (DEVICE_MAX_WIFI_CLIENTS)")
    assert stored_nothing(device)


def test_more_wifi_clients_in_one_sample_than_the_limit_is_a_400_naming_it(client, device, app, monkeypatch):
    monkeypatch.setitem(app.config, "DEVICE_MAX_WIFI_CLIENTS_PER_SAMPLE", 5)
    clients = [client_entry(f"aa:00:00:00:00:{n:02x}") for n in range(6)]
    assert post(client, device, sample(wireless("wlan0", clients[:3]), wireless("wlan1", clients[3:5]))
                ).status_code == 200
    response = post(client, device, sample(wireless("wlan0", clients[:3]), wireless("wlan1", clients[3:])))
    assert response.status_code == 400
    assert response.get_json() == (
        'Invalid data in "#/interfaces", validator says:\n\n6 WiFi clients are more than the limit of 5 '
        "per sample (DEVICE_MAX_WIFI_CLIENTS_PER_SAMPLE)")
    assert count("wifi_client_points", device) == 5  # the first sample only


def test_a_device_at_its_metric_limit_keeps_sending_but_gets_no_new_metric(client, device, app, monkeypatch):
    monkeypatch.setitem(app.config, "DEVICE_MAX_METRICS", 4)
    assert post(client, device, sample(interface("eth0", 1, 1), resources=RESOURCES)).status_code == 200  # 4
    response = post(client, device, sample(interface("eth0", 2, 2), interface("eth1", 2, 2), resources=RESOURCES))
    assert response.status_code == 400
    assert response.get_json() == {
        "detail": "The sample would give the device 5 metrics, more than the limit of 4 (DEVICE_MAX_METRICS)."}
    assert count("traffic_points", device) == 1  # nothing of the refused sample
    assert post(client, device, sample(interface("eth0", 3, 3), resources=RESOURCES)).status_code == 200
    assert count("traffic_points", device) == 2


def test_a_sample_refused_once_begun_leaves_the_pooled_connections_as_they_came(client, device, app, monkeypatch):
    """A sample's transaction is begun and committed by statements sent with its work, on a
    connection in autocommit mode meanwhile. One refused after its transaction began is
    rolled back, and its connection goes back to the pool with no transaction open and
    autocommit off: otherwise the next request on it would run in a stale transaction, or
    an ORM rollback there would undo nothing."""
    monkeypatch.setitem(app.config, "DEVICE_MAX_METRICS", 4)
    assert post(client, device, sample(interface("eth0", 1, 1), resources=RESOURCES)).status_code == 200
    response = post(client, device, sample(interface("eth0", 2, 2), interface("eth1", 2, 2), resources=RESOURCES))
    assert response.status_code == 400  # refused after the device's state was locked
    with app.app_context():  # the engine of the app that served the requests
        engine = db.engine
    pooled = [engine.raw_connection() for _ in range(engine.pool.checkedin())]
    try:
        assert pooled
        for connection in pooled:
            assert connection.dbapi_connection.autocommit is False
            assert connection.dbapi_connection.get_transaction_status() == TRANSACTION_STATUS_IDLE
    finally:
        for connection in pooled:
            connection.close()


def test_the_sample_writes_call_passes_what_the_function_takes(app):
    """A sample's writes are one call of ``store_sample_writes`` (migration 0021): the
    parameters the call sends are, in order, of the types the function takes."""
    with app.app_context():
        declared = db.session.execute(text(
            "SELECT array(SELECT format_type(t, NULL) FROM unnest(proargtypes) AS t) FROM pg_proc"
            " WHERE proname = 'store_sample_writes'")).scalar_one()
    aliases = {"timestamp with time zone": "timestamptz", "double precision": "float8", "smallint": "int2",
               "bigint": "int8", "boolean": "bool"}
    sent = [kind for _, kind in sample_store.WRITE_PARAMETERS]
    assert [aliases.get(kind.removesuffix("[]"), kind.removesuffix("[]")) + "[]" * kind.endswith("[]")
            for kind in declared] == sent


@pytest.mark.parametrize(("kind", "values"), [
    ("text", ['plain', 'a "quoted" word', 'back\\slash', 'ends with \\', '{braces}', 'comma, here', 'NULL', '',
              ' spaces ', "it's", 'ünïcödé ✓', None]),
    ("float8", [0.1, -0.0, 1e300, 5e-324, 12345678901234567.0, 3, None]),
    ("numeric", [0, COUNTER_MAX, None]),
    ("int2", [-32768, 32767, None]),
    ("bool", [True, False, None]),
    ("uuid", [uuid.UUID(int=0), uuid.UUID(int=2**128 - 1), None]),
    ("timestamptz", [datetime(2026, 3, 29, 1, 0, 0, 123456, tzinfo=UTC), datetime(2026, 1, 1, tzinfo=UTC), None]),
])
def test_array_parameters_arrive_as_they_were(app, kind, values):
    """The writes' arrays travel as PostgreSQL's array text (``sample_store.array_literal``):
    every value reads back the same, whatever characters a string holds."""
    with app.app_context():
        cursor = db.session.connection().connection.cursor()
        cursor.execute(f"SELECT %s::{kind}[]", (sample_store.array_literal(values),))
        (returned,) = cursor.fetchone()
        db.session.rollback()
    assert returned == values
    assert sample_store.array_literal([]) == "{}"


def test_the_snapshot_keeps_every_value_as_sent(client, device):
    """The snapshot's JSON text is written by orjson, or by the json module for what orjson
    refuses (an integer beyond 64 bits): either way the stored document is the one sent."""
    body = ('{"type": "DeviceMonitoring", "general": {"local_time": 1700000000, "uptime": 18446744073709551615,'
            ' "hostname": "zoë \\"ap\\" \\\\ ✓"}, "interfaces": [{"name": "eth0", "type": "ethernet",'
            ' "statistics": {"rx_bytes": 18446744073709551615, "tx_bytes": 0}}]}')
    assert post_text(client, device, body).status_code == 200
    stored = db.session.get(DeviceData, device.id).data
    assert stored["general"] == json.loads(body)["general"]
    assert stored["interfaces"][0]["statistics"] == {"rx_bytes": COUNTER_MAX, "tx_bytes": 0}
    beyond = body.replace('"local_time": 1700000000', '"local_time": 100000000000000000000000000000')
    response = post_text(client, device, beyond)
    assert response.status_code == 200, response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(DeviceData, device.id).data["general"]["local_time"] == 10**29
