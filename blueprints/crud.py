"""The list/create and read/replace/change/delete routes every management resource has.

Each resource supplies its service (``list_page``, ``get``, ``create``, ``update``,
``delete`` taking ``user=`` and keyword arguments), its schemas and the access rule per
action; the factory wires them as flask-smorest views, so the HTTP behaviour (status codes,
pagination, partial PATCH, auth before validation) is written once.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from flask.views import MethodView

from monitoring.auth import authenticated_user, manager_required
from monitoring.extensions import Blueprint
from schemas.common import page_of


@dataclass
class Resource:
    service: object
    schema: type
    filter_schema: type
    id_arg: str  # the service's keyword for the object id, e.g. "device_id"
    singular: str
    plural: str
    list_schema: type | None = None  # items of lists, when they show less than the detail
    access: dict[str, Callable] = field(default_factory=dict)  # action -> access decorator
    # Files a multipart/form-data body may carry beside the schema's fields, {name: description};
    # with none, the body is JSON only.
    upload_files: dict[str, str] = field(default_factory=dict)
    extra_write_args: Callable[[], dict] = dict  # e.g. an uploaded file
    extra_update_args: Callable[[], dict] = dict  # PUT and PATCH only, e.g. the caller's address


def register_crud(blp: Blueprint, resource: Resource) -> None:
    r = resource
    service = r.service

    def access(action: str) -> Callable:
        return r.access.get(action, manager_required)

    class Collection(MethodView):
        @access("list")
        @blp.arguments(r.filter_schema, location="query")
        @blp.response(200, page_of(r.list_schema or r.schema))
        def get(self, args):
            return service.list_page(user=authenticated_user(), **args)

        @access("create")
        @blp.body_arguments(r.schema, files=r.upload_files)
        @blp.response(201, r.schema)
        def post(self, data):
            return service.create(user=authenticated_user(), data=data, **r.extra_write_args())

    class Item(MethodView):
        @access("read")
        @blp.response(200, r.schema)
        def get(self, object_id):
            return service.get(user=authenticated_user(), **{r.id_arg: object_id})

        @access("update")
        @blp.body_arguments(r.schema, files=r.upload_files)
        @blp.response(200, r.schema)
        def put(self, data, object_id):
            return service.update(user=authenticated_user(), data=data, **{r.id_arg: object_id},
                                  **r.extra_write_args(), **r.extra_update_args())

        @access("update")
        @blp.body_arguments(r.schema(partial=True), files=r.upload_files)
        @blp.response(200, r.schema)
        def patch(self, data, object_id):
            return service.update(user=authenticated_user(), data=data, **{r.id_arg: object_id},
                                  **r.extra_write_args(), **r.extra_update_args())

        @access("delete")
        @blp.response(204)
        def delete(self, object_id):
            service.delete(user=authenticated_user(), **{r.id_arg: object_id})

    Collection.get.__doc__ = f"List {r.plural}"
    Collection.post.__doc__ = f"Create a {r.singular}"
    Item.get.__doc__ = f"Read a {r.singular}"
    Item.put.__doc__ = f"Replace a {r.singular}"
    Item.patch.__doc__ = f"Change some fields of a {r.singular}"
    Item.delete.__doc__ = f"Delete a {r.singular}"
    name = r.singular.title().replace(" ", "")
    Collection.__name__ = f"{name}List"
    Item.__name__ = f"{name}Detail"
    blp.route("/")(Collection)
    blp.route("/<uuid:object_id>/")(Item)
