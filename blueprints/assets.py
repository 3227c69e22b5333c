"""Swagger UI's files (from the swagger-ui-bundle package: the docs work offline) and
uploaded floorplan images."""
from __future__ import annotations

from flask import Blueprint, current_app, send_from_directory
from swagger_ui_bundle import swagger_ui_path

from monitoring.auth import require_manager
from monitoring.services.inventory import floorplans

docs_assets = Blueprint("docs_assets", __name__)
media = Blueprint("media", __name__)


@docs_assets.get("/api/v1/docs/assets/<path:filename>")
def swagger_asset(filename: str):
    return send_from_directory(str(swagger_ui_path), filename, max_age=86400)


@media.get("/media/<path:path>")
def media_file(path: str):
    """Uploaded floorplan images, to whoever may see their floorplan (bearer token or browser
    session): 401 without credentials, 403 for a user who manages nothing, 404 for any file
    that is not the image of one of the caller's floorplans. Served inert: never sniffed as
    another type, and sandboxed should a browser render one as a document."""
    image = floorplans.image_path(user=require_manager(), path=path)
    response = send_from_directory(current_app.config["MEDIA_ROOT"], image)
    response.cache_control.private = True  # no shared cache may hand it to someone else
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'"
    return response
