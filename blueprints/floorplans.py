from flask import request

from blueprints.crud import Resource, register_crud
from monitoring.extensions import Blueprint
from monitoring.services.inventory import floorplans
from schemas.floorplans import FloorPlanFilterSchema, FloorPlanSchema

blp = Blueprint(
    "floorplans", __name__, url_prefix="/api/v1/controller/floorplan",
    description="Floorplans of indoor locations. Send JSON, or multipart/form-data with an "
    "`image` file (png, jpg, gif, webp).",
)

register_crud(blp, Resource(
    service=floorplans, schema=FloorPlanSchema, filter_schema=FloorPlanFilterSchema,
    id_arg="floorplan_id", singular="floorplan", plural="floorplans",
    upload_files={"image": f"The floorplan image ({', '.join(sorted(floorplans.IMAGE_EXTENSIONS))})"},
    extra_write_args=lambda: {"image": floorplans.uploaded_image(request.files.get("image"))},
))
