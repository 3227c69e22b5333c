"""Liveness and readiness probes for load balancers and orchestrators."""
from __future__ import annotations

from flask import jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from monitoring.extensions import Blueprint, db, rollback_session
from monitoring.observability import database_errors

blp = Blueprint("health", __name__, description="Service health probes (no authentication).")


def _json(description: str, properties: dict) -> dict:
    """An OpenAPI response of a JSON object with these string properties."""
    schema = {"type": "object", "properties": {name: {"type": "string"} for name in properties},
              "required": [name for name, required in properties.items() if required]}
    return {"description": description, "content": {"application/json": {"schema": schema}}}


@blp.route("/healthz")
@blp.doc(security=[], responses={"200": _json("The process answers", {"status": True})})
def healthz():
    """Liveness: the process answers. Does not touch the database."""
    return jsonify({"status": "ok"})


@blp.route("/readyz")
@blp.doc(security=[], responses={
    "200": _json("The database answers", {"status": True, "database": True}),
    "503": _json("The database does not answer", {"status": True, "detail": True}),
})
def readyz():
    """Readiness: 200 once the database answers, 503 with the reason otherwise."""
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        rollback_session()
        response = jsonify({"status": "unavailable", "detail": f"database unreachable: {database_errors.reason(exc)}"})
        response.status_code = 503
        return response
    return jsonify({"status": "ok", "database": "ok"})
