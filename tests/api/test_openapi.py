"""The OpenAPI document served at /api/v1/openapi.json is valid OpenAPI 3.0, so client
generators and validators accept it, and it describes the bodies the API really takes."""
from __future__ import annotations

import pytest
from openapi_spec_validator import OpenAPIV30SpecValidator

DOCUMENT_URL = "/api/v1/openapi.json"
FLOORPLAN_WRITES = [
    ("post", "/api/v1/controller/floorplan/"),
    ("put", "/api/v1/controller/floorplan/{object_id}/"),
    ("patch", "/api/v1/controller/floorplan/{object_id}/"),
]


@pytest.fixture
def document(client) -> dict:
    return client.get(DOCUMENT_URL).get_json()


def test_document_is_valid_openapi_3_0(document):
    assert document["openapi"] == "3.0.3"
    errors = [f"{'/'.join(map(str, error.absolute_path))}: {error.message}"
              for error in OpenAPIV30SpecValidator(document).iter_errors()]
    assert errors == []


@pytest.mark.parametrize(("method", "path"), FLOORPLAN_WRITES)
def test_floorplan_writes_take_json_or_multipart_with_an_image(document, method, path):
    operation = document["paths"][path][method]
    assert all(parameter["in"] == "path" for parameter in operation.get("parameters", []))
    content = operation["requestBody"]["content"]
    assert set(content) == {"application/json", "multipart/form-data"}

    fields = content["application/json"]["schema"]
    multipart = content["multipart/form-data"]["schema"]
    assert multipart["allOf"][0] == fields
    assert fields["$ref"].endswith("/FloorPlanPartial" if method == "patch" else "/FloorPlan")
    image = multipart["allOf"][1]["properties"]["image"]
    assert (image["type"], image["format"]) == ("string", "binary")
