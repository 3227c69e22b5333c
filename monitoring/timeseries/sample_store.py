"""All SQL of storing one device sample: the busiest path of the service.

A sample costs two round trips: BEGIN with the device, its key and its state, read and the
state locked in one statement (status, previous counters, metrics with their alert
settings, open WiFi sessions); then one batch carrying every write (points, snapshot, WiFi
clients and sessions, health flags, status), those every sample makes as one call of a
server-side function taking arrays (``store_sample_writes``, migration 0021), and the
COMMIT. docs/timeseries.md, "Writing a sample".
Statements are fixed strings built from our own table definitions; request values only ever
travel as parameters, adapted by psycopg2.
"""
from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import orjson
import psycopg2
from psycopg2.extensions import TRANSACTION_STATUS_IDLE
from psycopg2.extras import Json, register_uuid
from sqlalchemy import BigInteger, DateTime, Float, Numeric, SmallInteger, String, Table
from sqlalchemy.dialects.postgresql import UUID

from monitoring.database import transaction_settings
from monitoring.registry import ALERT_SOURCES, METRICS, MetricKey, charts_for
from monitoring.timeseries.chart_queries import floor_hour
from monitoring.timeseries.tables import HYPERTABLES, traffic_points

register_uuid()  # uuid.UUID values travel as native uuid parameters

# How far back a back-filled sample looks for its predecessor's counters.
COUNTER_LOOKBACK = timedelta(days=7)


@dataclass(frozen=True)
class SampleDevice:
    """What writing a sample needs to know about its device."""

    id: uuid.UUID
    name: str
    key: str
    is_deactivated: bool
    organization_id: uuid.UUID
    location_id: uuid.UUID | None
    floorplan_id: uuid.UUID | None

    @property
    def dashboard_tags(self) -> dict:
        """Organization, location and floorplan as they are now: stored on dashboard points."""
        return {"organization_id": self.organization_id, "location_id": self.location_id,
                "floorplan_id": self.floorplan_id}


@dataclass
class AlertState:
    is_active: bool
    custom_operator: str | None
    custom_threshold: float | None
    custom_tolerance: int | None


@dataclass
class MetricState:
    """A metric row as health evaluation sees it (same attribute names as the model)."""

    id: uuid.UUID
    configuration: str
    key: str
    field_name: str
    ifname: str
    is_healthy: bool | None
    is_healthy_tolerant: bool | None
    alert_settings: AlertState | None


@dataclass
class OpenSession:
    id: uuid.UUID
    wifi_client_id: str
    interface_name: str
    ssid: str | None


@dataclass
class DeviceState:
    status: str
    snapshot_time: datetime | None
    newest_time: datetime | None  # of the newest sample ever stored (the snapshot's, unless a
    #                               sample sent as current replaced it with an older one)
    snapshot_counters: dict[str, list]  # raw interface name -> [rx_bytes, tx_bytes]
    metrics: dict[MetricKey, MetricState] = field(default_factory=dict)
    open_sessions: list[OpenSession] = field(default_factory=list)


# A device's state as a sample needs it; ``{device}``: the expression of its id.
DEVICE_STATE = """
    SELECT m.status,
           s.sample_time,
           s.newest_sample_time,
           (SELECT coalesce(jsonb_object_agg(i->>'name',
                                             jsonb_build_array(i->'statistics'->'rx_bytes',
                                                               i->'statistics'->'tx_bytes')), '{{}}')
              FROM jsonb_array_elements(CASE jsonb_typeof(s.data->'interfaces')
                                        WHEN 'array' THEN s.data->'interfaces' ELSE '[]' END) i
             WHERE jsonb_typeof(i) = 'object' AND i->>'name' IS NOT NULL) AS counters,
           (SELECT coalesce(json_agg(json_build_array(
                       x.id, x.configuration, x.key, x.field_name, x.ifname, x.is_healthy,
                       x.is_healthy_tolerant, a.metric_id IS NOT NULL, a.is_active, a.custom_operator,
                       a.custom_threshold, a.custom_tolerance)), '[]')
              FROM metrics x LEFT JOIN alert_settings a ON a.metric_id = x.id
             WHERE x.device_id = m.device_id) AS metrics,
           (SELECT coalesce(json_agg(json_build_array(w.id, w.wifi_client_id, w.interface_name, w.ssid)), '[]')
              FROM wifi_sessions w
             WHERE w.device_id = m.device_id AND w.stop_time IS NULL) AS open_sessions
    FROM device_monitoring m
    LEFT JOIN device_data s ON s.device_id = m.device_id
    WHERE m.device_id = {device}
    FOR UPDATE OF m
"""

# FOR UPDATE OF the status row: samples of one device are stored one at a time, since
# counter increments depend on the previous sample and health on the stored flags.
LOCK_DEVICE_STATE = DEVICE_STATE.format(device="%(device_id)s")

# The device if it exists in an active organization, with its state locked as above: a
# sample's first round trip. The state is locked before the key is judged (in Python, in
# constant time): a wrong key holds the row only until the rollback that follows at once.
BEGIN_SAMPLE = f"""
    SELECT d.id, d.name, d.key, d.is_deactivated, d.organization_id, l.location_id, l.floorplan_id, state.*
    FROM devices d
    JOIN organizations o ON o.id = d.organization_id AND o.is_active
    LEFT JOIN device_locations l ON l.device_id = d.id
    LEFT JOIN LATERAL ({DEVICE_STATE.format(device="d.id")}) state ON true
    WHERE d.id = %(device_id)s
"""

# One pending request per device, whatever the number of samples that ask.
REQUEST_CRITICAL_CHECKS = (
    "INSERT INTO check_requests (device_id, requested_at) VALUES (%s, %s) ON CONFLICT DO NOTHING"
)

# The first traffic point after a back-filled sample, per interface: its increments were
# computed from an older predecessor and are recomputed from the back-filled counters.
COUNTERS_AFTER = """
    SELECT DISTINCT ON (ifname) ifname, time, rx_counter, tx_counter
    FROM traffic_points
    WHERE device_id = %(device_id)s AND time > %(time)s AND time <= %(until)s
    ORDER BY ifname, time
"""

COUNTERS_BEFORE = """
    SELECT DISTINCT ON (ifname) ifname, rx_counter, tx_counter
    FROM traffic_points
    WHERE device_id = %(device_id)s AND time < %(time)s AND time >= %(since)s
    ORDER BY ifname, time DESC
"""


PREPARED = {"begin_sample": BEGIN_SAMPLE, "lock_device_state": LOCK_DEVICE_STATE}

# The type each column's values travel in to a points insert: the base type, without length
# or precision, so that the INSERT itself checks them as it checks single values.
BASE_TYPES = ((DateTime, "timestamptz"), (UUID, "uuid"), (String, "text"), (Float, "float8"),
              (Numeric, "numeric"), (SmallInteger, "int2"), (BigInteger, "int8"))

# Columns every point of one sample shares (its time, its device and the device's dashboard
# tags): they travel once, as single values, instead of repeated in an array per row, which
# cost adapting here and parsing there for every row.
SAMPLE_COLUMNS = ("time", "device_id", "organization_id", "location_id", "floorplan_id")


def _base_type(column) -> str:
    return next(name for kind, name in BASE_TYPES if isinstance(column.type, kind))


def _point_columns(table: Table) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """A hypertable's columns the sample's points share, and those that vary by row."""
    shared = tuple(column.name for column in table.columns if column.name in SAMPLE_COLUMNS)
    return shared, tuple(column.name for column in table.columns if column.name not in SAMPLE_COLUMNS)


# table name -> (the columns one sample's points share, the columns that vary by row)
POINT_COLUMN_GROUPS = {table.name: _point_columns(table) for table in HYPERTABLES}


# The WiFi-client columns a sample's clients upsert, with their types.
CLIENT_COLUMNS = (("mac_address", "text"), ("vendor", "text"), ("ht", "bool"), ("vht", "bool"), ("he", "bool"),
                  ("wmm", "bool"), ("wds", "bool"), ("wps", "bool"))


def _write_parameters() -> tuple[tuple[str, str], ...]:
    """The parameters of ``store_sample_writes`` (migration 0021), in its order, with their
    types: the columns the sample's points share, one array per other column of each
    hypertable, the snapshot, the WiFi clients and sessions, the late points."""
    parameters = [(name, _base_type(traffic_points.c[name])) for name in SAMPLE_COLUMNS]
    for table in HYPERTABLES:
        parameters += [(f"{table.name}.{name}", f"{_base_type(table.c[name])}[]")
                       for name in POINT_COLUMN_GROUPS[table.name][1]]
    parameters += [("snapshot", "jsonb"), ("received_at", "timestamptz"), ("clients_organization", "uuid")]
    parameters += [(f"clients.{name}", f"{kind}[]") for name, kind in CLIENT_COLUMNS]
    parameters += [("sessions.id", "uuid[]"), ("sessions.wifi_client_id", "text[]"),
                   ("sessions.interface_name", "text[]"), ("sessions.ssid", "text[]"), ("ended_sessions", "uuid[]"),
                   ("late.device_id", "uuid[]"), ("late.hour", "timestamptz[]"), ("late.time", "timestamptz[]")]
    return tuple(parameters)


WRITE_PARAMETERS = _write_parameters()

# Every write a sample makes in one statement, a plain one (nothing to prepare: the function
# keeps its own plans), so that it runs the same through a pooler in transaction mode.
STORE_SAMPLE_WRITES = (
    f"SELECT store_sample_writes({', '.join(f'%s::{kind}' for _, kind in WRITE_PARAMETERS)})")


def _execute_prepared(cursor, connection_info: dict, name: str, device_id: uuid.UUID, *,
                      before: str = "") -> None:
    """Run one of the state reads as a server-side prepared statement: they are planned once
    per connection instead of on every sample. ``connection_info`` lives as
    long as the pooled connection (and is emptied with it), so is the set of what that
    connection has prepared. ``before``: a statement sent in the same round trip.

    Through a pooler in transaction mode the next transaction may run on another server
    connection, which never saw the PREPARE: the statement is then sent as it is, after the
    settings every transaction there sets itself, in the same round trip."""
    if not prepares(connection_info):
        cursor.execute(before + transaction_settings(connection_info) + PREPARED[name], {"device_id": device_id})
        return
    _prepare(cursor, connection_info, name, f"(uuid) AS {PREPARED[name].replace('%(device_id)s', '$1')}")
    cursor.execute(f"{before}EXECUTE {name} (%s)", (device_id,))


def prepares(connection_info: dict) -> bool:
    """Whether this pooled connection keeps server-side prepared statements: not through a
    pooler in transaction mode, whose connections set their settings in every transaction."""
    return not transaction_settings(connection_info)


def _prepare(cursor, connection_info: dict, name: str, definition: str) -> None:
    """PREPARE ``name`` on this connection unless it already has. Prepared statements are
    not undone by a rollback: once PREPARE succeeded, the statement stays."""
    prepared = connection_info.setdefault("prepared_statements", set())
    if name not in prepared:
        cursor.execute(f"PREPARE {name} {definition}")
        prepared.add(name)


@contextmanager
def sample_transaction(connection) -> Iterator[None]:
    """The connection in autocommit mode while a sample is stored: the sample's transaction
    is begun by a statement that travels with its first read (:func:`begin_sample`) and
    committed by one that travels with its writes (``WriteBatch.execute(commit=True)``),
    instead of the driver's own round trips. Whatever is left open (an error, a refused
    sample) is rolled back, and the connection goes back to its pool as it came; one that
    cannot even roll back is broken, and is dropped from the pool."""
    dbapi_connection = connection.dbapi_connection
    dbapi_connection.autocommit = True
    try:
        yield
    finally:
        try:
            if dbapi_connection.get_transaction_status() != TRANSACTION_STATUS_IDLE:
                with dbapi_connection.cursor() as cursor:
                    cursor.execute("ROLLBACK")
            dbapi_connection.autocommit = False
        except psycopg2.Error:
            connection.invalidate()


def _metric_state(row: list) -> MetricState:
    (metric_id, configuration, key, field_name, ifname, healthy, tolerant,
     has_alert, is_active, operator, threshold, tolerance) = row
    alert = AlertState(is_active, operator, threshold, tolerance) if has_alert else None
    return MetricState(uuid.UUID(metric_id), configuration, key, field_name, ifname, healthy, tolerant, alert)


def lock_device_state(cursor, device_id: uuid.UUID, connection_info: dict) -> DeviceState:
    """The device's state, its row locked until the end of the transaction."""
    _execute_prepared(cursor, connection_info, "lock_device_state", device_id)
    return _device_state(cursor.fetchone())


def begin_sample(cursor, device_id: uuid.UUID, connection_info: dict) -> tuple[SampleDevice, DeviceState] | None:
    """Begin a sample's transaction, read the device (None: not found, or its organization
    is disabled) and read and lock its state, in one round trip (the connection is in
    autocommit mode: :func:`sample_transaction`)."""
    _execute_prepared(cursor, connection_info, "begin_sample", device_id, before="BEGIN; ")
    row = cursor.fetchone()
    if row is None:
        return None
    return SampleDevice(*row[:7]), _device_state(row[7:])


def _device_state(row) -> DeviceState:
    status, snapshot_time, newest_time, counters, metrics, sessions = row
    state = DeviceState(status=status, snapshot_time=snapshot_time, newest_time=newest_time,
                        snapshot_counters=counters)
    for metric_row in metrics:
        metric = _metric_state(metric_row)
        state.metrics[(metric.configuration, metric.ifname)] = metric
    state.open_sessions = [OpenSession(uuid.UUID(s[0]), s[1], s[2], s[3]) for s in sessions]
    return state


def counters_before(cursor, device_id: uuid.UUID, time: datetime) -> dict[str, tuple]:
    """The traffic counters each interface had at its last point before ``time``: the
    predecessor of a back-filled sample, which the latest snapshot is not."""
    cursor.execute(COUNTERS_BEFORE, {"device_id": device_id, "time": time, "since": time - COUNTER_LOOKBACK})
    return {ifname: (_exact_int(rx), _exact_int(tx)) for ifname, rx, tx in cursor.fetchall()}


def counters_after(cursor, device_id: uuid.UUID, time: datetime) -> dict[str, tuple]:
    """Each interface's first point after ``time``: (its time, rx counter, tx counter)."""
    cursor.execute(COUNTERS_AFTER, {"device_id": device_id, "time": time, "until": time + COUNTER_LOOKBACK})
    return {ifname: (at, _exact_int(rx), _exact_int(tx)) for ifname, at, rx, tx in cursor.fetchall()}


def _exact_int(value) -> int | None:
    return None if value is None else int(value)  # numeric columns come back as Decimal


def alert_points(cursor, device_id: uuid.UUID, metric, since: datetime, until: datetime) -> list[tuple]:
    """Stored (time, value) points of the value a metric's alert settings judge, in
    [since, until): what the tolerance looks back at."""
    table, column = ALERT_SOURCES[metric.configuration]  # names from our own registry
    cursor.execute(
        f"SELECT time, {column} FROM {table} WHERE device_id = %s AND time >= %s AND time < %s ORDER BY time",
        (device_id, since, until),
    )
    return cursor.fetchall()


def create_metrics(cursor, device_id: uuid.UUID, names: dict[MetricKey, str],
                   auto_charts, connection_info: dict) -> dict[MetricKey, MetricState]:
    """Metric rows seen for the first time, with their alert settings and charts.

    ``ON CONFLICT DO NOTHING``: a concurrent sample that created one first wins, and its
    row is read back instead.
    """
    created = {}
    for (configuration, ifname), name in names.items():
        config = METRICS[configuration]
        cursor.execute(
            """INSERT INTO metrics (id, device_id, configuration, name, key, field_name, ifname, created)
               VALUES (%s, %s, %s, %s, %s, %s, %s, now())
               ON CONFLICT (device_id, configuration, ifname) DO NOTHING RETURNING id""",
            (uuid.uuid4(), device_id, configuration, name, config.key, config.field_name, ifname),
        )
        row = cursor.fetchone()
        if row is None:
            continue
        metric_id = row[0] if isinstance(row[0], uuid.UUID) else uuid.UUID(str(row[0]))
        alert = None
        if config.alert is not None:
            cursor.execute("INSERT INTO alert_settings (metric_id, is_active) VALUES (%s, true)", (metric_id,))
            alert = AlertState(True, None, None, None)
        for chart in charts_for(configuration, auto_charts):
            cursor.execute("INSERT INTO charts (id, metric_id, configuration, created) VALUES (%s, %s, %s, now())",
                           (uuid.uuid4(), metric_id, chart))
        created[(configuration, ifname)] = MetricState(
            metric_id, configuration, config.key, config.field_name, ifname, None, None, alert)
    if len(created) < len(names):  # lost a race: read the winners' rows
        state = lock_device_state(cursor, device_id, connection_info)
        created.update({key: state.metrics[key] for key in names if key in state.metrics and key not in created})
    return created


def snapshot_json(document) -> str:
    """The snapshot as JSON text. orjson writes it several times faster than the json
    module, whose encoder took a twentieth of a device POST's Python time; what orjson
    refuses (an integer beyond 64 bits, which a document may hold where the schema asks
    only for a number) is written by the json module."""
    try:
        return orjson.dumps(document).decode()
    except orjson.JSONEncodeError:
        return json.dumps(document)


def array_literal(values) -> str:
    """``values`` in PostgreSQL's text form of an array (``{"a","b",NULL}``), which the
    array type's input function reads: psycopg2's own form of a list, an ``ARRAY[…]``
    expression, cost the server a planning step per element and this process an adapter
    object per element. Every element is quoted, with its backslashes and double quotes
    escaped, so that none can be read as a delimiter, a nested array or NULL; the text then
    travels as an ordinary string parameter. ``str`` gives each element's input form: the
    shortest exact text of a float, a UUID's, an aware datetime's ISO form, ``True``."""
    return "{" + ",".join(
        "NULL" if value is None else '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'
        for value in values) + "}"


class WriteBatch:
    """Every write of one sample (or of one device's check results), sent to the database
    in a single round trip: the occasional writes (health, notifications, recounted
    increments) as statements, then those every sample makes (points, snapshot, WiFi
    clients and sessions, late points) as one call of ``store_sample_writes``. A batch
    holds at most one sample's points, snapshot and sessions."""

    def __init__(self, cursor):
        self.cursor = cursor
        self.statements: list[bytes] = []
        self.sample_writes: dict = {}  # parameter of store_sample_writes -> value

    def _add(self, sql: str, params) -> None:
        self.statements.append(self.cursor.mogrify(sql, params))

    def _values(self, sql_head: str, sql_tail: str, columns: int, rows: list[tuple]) -> None:
        placeholders = ",".join(["(" + ",".join(["%s"] * columns) + ")"] * len(rows))
        self._add(f"{sql_head} VALUES {placeholders} {sql_tail}", [value for row in rows for value in row])

    def _sample(self, device_id: uuid.UUID, time: datetime, received_at: datetime | None = None) -> None:
        self.sample_writes.update({"device_id": device_id, "time": time})
        if received_at is not None:
            self.sample_writes["received_at"] = received_at

    def points(self, rows_by_table: dict[str, list[dict]]) -> None:
        """One sample's points (which share ``SAMPLE_COLUMNS``); a resent point is skipped,
        not duplicated."""
        for table, rows in rows_by_table.items():
            if rows:
                shared, varying = POINT_COLUMN_GROUPS[table]
                self.sample_writes.update({column: rows[0].get(column) for column in shared})
                self.sample_writes.update({f"{table}.{column}": [row.get(column) for row in rows]
                                           for column in varying})

    def traffic_increments(self, device_id: uuid.UUID, ifname: str, time: datetime, rx_bytes: int | None,
                           tx_bytes: int | None) -> None:
        """Recompute a stored traffic point's increments (None: keep that one)."""
        self._add("""UPDATE traffic_points SET rx_bytes = COALESCE(%s, rx_bytes), tx_bytes = COALESCE(%s, tx_bytes)
                     WHERE device_id = %s AND ifname = %s AND time = %s""",
                  (rx_bytes, tx_bytes, device_id, ifname, time))

    def snapshot(self, device_id: uuid.UUID, document: dict, sample_time: datetime, now: datetime) -> None:
        self._sample(device_id, sample_time, now)
        self.sample_writes["snapshot"] = Json(document, dumps=snapshot_json)

    def wifi_clients(self, organization_id: uuid.UUID, clients: list[dict], now: datetime) -> None:
        """Insert the organization's new clients; rewrite known ones only when something
        about them changed."""
        if not clients:
            return
        self.sample_writes.update({"clients_organization": organization_id, "received_at": now})
        self.sample_writes.update({f"clients.{name}": [client[name] for client in clients]
                                   for name, _ in CLIENT_COLUMNS})

    def open_sessions(self, sessions: list[dict]) -> None:
        """New sessions of the sample's device, starting at the sample's time."""
        if not sessions:
            return
        self._sample(sessions[0]["device_id"], sessions[0]["start_time"], sessions[0]["modified"])
        self.sample_writes.update({f"sessions.{name}": [session[name] for session in sessions]
                                   for name in ("id", "wifi_client_id", "interface_name", "ssid")})

    def close_sessions(self, session_ids: list[uuid.UUID], at: datetime, now: datetime) -> None:
        """Sessions of the sample's device end ``at`` (never before they started: a sample
        sent as current may be older than the one that opened them)."""
        if session_ids:
            self.sample_writes.update({"time": at, "received_at": now, "ended_sessions": list(session_ids)})

    def metric_health(self, metric: MetricState, *, value: float, at: datetime) -> None:
        """The metric's new flags, after a reading of ``value`` at ``at``. A metric turning
        unhealthy keeps that reading and its time as why and since when; one that stays
        unhealthy keeps the first; a healthy one forgets them."""
        self._add(
            """UPDATE metrics SET is_healthy = %(healthy)s, is_healthy_tolerant = %(tolerant)s,
                   unhealthy_since = CASE WHEN %(healthy)s IS NOT FALSE THEN NULL
                                          WHEN is_healthy IS FALSE THEN unhealthy_since ELSE %(at)s END,
                   unhealthy_value = CASE WHEN %(healthy)s IS NOT FALSE THEN NULL
                                          WHEN is_healthy IS FALSE THEN unhealthy_value ELSE %(value)s END
               WHERE id = %(id)s""",
            {"healthy": metric.is_healthy, "tolerant": metric.is_healthy_tolerant, "at": at, "value": value,
             "id": metric.id})

    def notification(self, *, device_id: uuid.UUID, organization_id: uuid.UUID, metric: MetricState, type: str,
                     level: str, message: str, at: datetime) -> None:
        """One notification per recipient: every active superuser and every manager of the
        device's (active) organization."""
        self._add(
            """INSERT INTO notifications (id, recipient_id, organization_id, device_id, metric_id, type, level,
                                          message, unread, timestamp)
               SELECT gen_random_uuid(), u.id, %(organization)s, %(device)s, %(metric)s, %(type)s, %(level)s,
                      %(message)s, true, %(at)s
               FROM users u
               WHERE u.is_active AND (u.is_superuser OR EXISTS (
                   SELECT 1 FROM organization_users ou JOIN organizations o ON o.id = ou.organization_id
                   WHERE ou.user_id = u.id AND ou.organization_id = %(organization)s AND ou.is_admin
                     AND o.is_active))""",
            {"organization": organization_id, "device": device_id, "metric": metric.id, "type": type,
             "level": level, "message": message, "at": at},
        )

    def points_at(self, device_id: uuid.UUID, time: datetime) -> None:
        """Points of the device were written at ``time``: mark their hour if it is late."""
        for name, value in (("device_id", device_id), ("hour", floor_hour(time.astimezone(UTC))), ("time", time)):
            self.sample_writes.setdefault(f"late.{name}", []).append(value)

    def recovery_request(self, device_id: uuid.UUID, now: datetime) -> None:
        """Ask the worker to run a critical device's critical checks now: it is sending data."""
        self._add(REQUEST_CRITICAL_CHECKS, (device_id, now))

    def device_status(self, device_id: uuid.UUID, status: str, now: datetime) -> None:
        self._add("UPDATE device_monitoring SET status = %s, modified = %s WHERE device_id = %s",
                  (status, now, device_id))

    def clear_management_ip(self, device_id: uuid.UUID) -> None:
        self._add("UPDATE devices SET management_ip = NULL WHERE id = %s", (device_id,))

    def execute(self, *, commit: bool = False) -> None:
        """Send every write: the statements, then the sample's writes, whose late-point
        marks come last so that the lock they take is held as briefly as possible before
        the commit; with ``commit``, the COMMIT too, in the same round trip. PostgreSQL runs
        none of a message's statements after one that failed, so a failed write leaves the
        transaction open, for the caller to roll back: nothing is committed unless every
        write succeeded."""
        if self.sample_writes:
            self.statements.append(self.cursor.mogrify(STORE_SAMPLE_WRITES, [
                array_literal(self.sample_writes.get(name, ())) if kind.endswith("[]") else self.sample_writes.get(name)
                for name, kind in WRITE_PARAMETERS]))
        if commit:
            self.statements.append(b"COMMIT")
        if self.statements:
            self.cursor.execute(b";\n".join(self.statements))
            self.statements, self.sample_writes = [], {}
