"""How the service's connections behave past one plain PostgreSQL server.

Through a pooler in transaction mode (``DB_TRANSACTION_POOLING``, PgBouncer's
``pool_mode = transaction``) each transaction may run on another server connection, so
nothing may be left on a connection for the next transaction to find: no prepared
statement (``monitoring/timeseries/sample_store.py`` sends its statements plainly then), no
session advisory lock (the worker's job locks are transaction locks, ``monitoring/worker.py``),
no ``SET`` outside a transaction. Nor may a connection send the ``options`` startup
parameter that normally carries the statement timeout: PgBouncer refuses it. The timeout is
set in every transaction instead (``SET LOCAL``): on the ORM's and the engines' connections
as the transaction begins, and by the device POST, which uses a bare DB-API connection, in
the same round trip as its first statement (``transaction_settings``); the checks job, also
on a bare connection, sets them as each of its transactions begins (``begin_transaction``).

The session class sends a request's heavy reads to the replica connection that
``monitoring/replicas.py`` chose for it.

The device POST takes its connections from an engine of its own, whose pool does not test a
connection before handing it out (``init_sample_engine``).
"""
from __future__ import annotations

from flask import Flask, current_app
from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Connection, Engine

# Keys of a pooled DB-API connection's ``info`` (kept as long as the connection).
TRANSACTION_SETTINGS = "transaction_settings"
# Key of ``app.extensions``: the device POST's engine.
SAMPLE_ENGINE = "monitoring.sample_engine"
# Key of the session's ``info``: the replica connection the request's reads go to.
READ_CONNECTION = "read_connection"


class Session(FlaskSession):
    """Flask-SQLAlchemy's session, whose statements go to the replica connection chosen
    for the request, when there is one."""

    def get_bind(self, mapper=None, clause=None, bind=None, **kwargs):
        reader = self.info.get(READ_CONNECTION)
        if bind is None and reader is not None:
            return reader
        return super().get_bind(mapper=mapper, clause=clause, bind=bind, **kwargs)


def transaction_settings(connection_info: dict) -> str:
    """What a transaction on this pooled DB-API connection must set first, as SQL ending in
    ``;`` (empty when the settings travel with the connection)."""
    return connection_info.get(TRANSACTION_SETTINGS, "")


def begin_transaction(cursor, connection_info: dict) -> None:
    """Begin a transaction on a bare pooled DB-API connection with the settings it must
    set itself (a statement of its own: for code that is not in a hurry; nothing is sent
    when the settings travel with the connection)."""
    settings = transaction_settings(connection_info)
    if settings:
        cursor.execute(settings)


def init_app(app: Flask, engines: list[Engine]) -> None:
    """Through a pooler in transaction mode, every transaction of these engines sets the
    statement timeout itself."""
    if not app.config["DB_TRANSACTION_POOLING"]:
        return
    settings = f"SET LOCAL statement_timeout = {int(app.config['DB_STATEMENT_TIMEOUT_MS'])};"

    def remember(dbapi_connection, record) -> None:
        record.info[TRANSACTION_SETTINGS] = settings

    def apply(connection: Connection) -> None:
        dbapi_connection = connection.connection.dbapi_connection
        # Autocommit connections have no transaction block for SET LOCAL to live in.
        if dbapi_connection.autocommit:
            return
        # The engine's own transaction has not begun yet (this event runs before): the
        # driver's cursor sends the statement, opening the transaction as any statement does.
        with dbapi_connection.cursor() as cursor:
            cursor.execute(settings)

    for engine in engines:
        event.listen(engine, "connect", remember)
        event.listen(engine, "begin", apply)


def init_sample_engine(app: Flask) -> Engine:
    """The device POST's engine: the primary's, with a pool of its own that does not test a
    connection with a round trip of its own (``SELECT 1``) each time it hands one out, which
    cost every sample a round trip more than its own two. The sample's first statement
    tests the connection instead, and a sample begins again on a new connection when the database
    dropped the old one (``monitoring/services/ingest/samples.py``)."""
    options = {**app.config["SQLALCHEMY_ENGINE_OPTIONS"], "pool_pre_ping": False}
    engine = create_engine(app.config["SQLALCHEMY_DATABASE_URI"], **options)
    app.extensions[SAMPLE_ENGINE] = engine
    return engine


def sample_engine() -> Engine:
    return current_app.extensions[SAMPLE_ENGINE]
