"""What the OpenAPI document says about the endpoint being shown: its summary and
description, its resource's description, its query parameters and the other methods of
the same path. The document is built once per application and indexed by path."""
from __future__ import annotations

from dataclasses import dataclass, field

from flask import Flask
from flask_smorest.spec.plugins import FlaskPlugin

HTTP_METHODS = ("get", "post", "put", "patch", "delete")


@dataclass(frozen=True)
class QueryParameter:
    name: str
    description: str
    type: str  # string, integer, boolean, ...
    format: str  # uuid, date-time, ... or ""
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class Operation:
    summary: str
    description: str
    resource_description: str
    query_parameters: tuple[QueryParameter, ...] = ()
    # (METHOD, summary) of the path's other operations, e.g. ("POST", "Create a device")
    other_methods: tuple[tuple[str, str], ...] = field(default_factory=tuple)


def _parameter(raw: dict, components: dict) -> dict:
    ref = raw.get("$ref")
    if ref:
        return components.get("parameters", {}).get(ref.rsplit("/", 1)[-1], {})
    return raw


def _query_parameters(operation: dict, components: dict) -> tuple[QueryParameter, ...]:
    parameters = []
    for raw in operation.get("parameters", []):
        parameter = _parameter(raw, components)
        if parameter.get("in") != "query":
            continue
        schema = parameter.get("schema", {})
        choices = tuple(str(choice) for choice in schema.get("enum", ()))
        if schema.get("type") == "boolean" and not choices:
            choices = ("true", "false")
        parameters.append(QueryParameter(
            name=parameter["name"], description=parameter.get("description", ""),
            type=schema.get("type", "string"), format=schema.get("format", ""), choices=choices,
        ))
    return tuple(parameters)


def build_index(spec: dict) -> dict[tuple[str, str], Operation]:
    """``{(openapi path, method): Operation}`` for every operation of the document."""
    tags = {tag["name"]: tag.get("description", "") for tag in spec.get("tags", [])}
    components = spec.get("components", {})
    index = {}
    for path, item in spec.get("paths", {}).items():
        for method in HTTP_METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            others = tuple(
                (other.upper(), item[other].get("summary", ""))
                for other in HTTP_METHODS if other != method and other in item
            )
            tag = (operation.get("tags") or [""])[0]
            index[(path, method)] = Operation(
                summary=operation.get("summary", ""),
                description=operation.get("description", ""),
                resource_description=tags.get(tag, ""),
                query_parameters=_query_parameters(operation, components),
                other_methods=others,
            )
    return index


def openapi_path(rule: str | None) -> str | None:
    """The OpenAPI path of a Flask url rule (``/device/<uuid:pk>/`` → ``/device/{pk}/``)."""
    return FlaskPlugin.flaskpath2openapi(rule) if rule is not None else None


def describe(app: Flask, api, rule: str, method: str) -> Operation | None:
    """The documented operation behind a Flask url rule, or None for undocumented routes."""
    index = app.extensions.get("browsable_operations")
    if index is None:
        index = app.extensions["browsable_operations"] = build_index(api.spec.to_dict())
    return index.get((openapi_path(rule), method.lower()))
