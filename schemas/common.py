"""Building blocks shared by every resource's schemas."""
from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime

from marshmallow import EXCLUDE, Schema, ValidationError, fields, pre_load

# The reference API's wording for the two most common input errors; scripts match on it.
fields.Field.default_error_messages["required"] = "This field is required."
fields.Field.default_error_messages["null"] = "This field may not be null."


class UTCDateTime(fields.DateTime):
    """ISO-8601 in UTC with microseconds and a ``Z`` suffix: 2024-05-02T10:15:31.123456Z."""

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


# PostgreSQL text can hold neither NUL nor a lone UTF-16 surrogate (JSON can carry both).
NUL_MESSAGE = "Null characters are not allowed."
SURROGATE_MESSAGE = "Unpaired surrogate characters are not allowed."
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def _unstorable(value) -> str | None:
    """The error for the first character PostgreSQL cannot store in ``value``, or None."""
    if isinstance(value, str):
        found = _UNSTORABLE.search(value)
        return None if found is None else NUL_MESSAGE if found.group() == "\x00" else SURROGATE_MESSAGE
    if isinstance(value, dict):
        value = [part for pair in value.items() for part in pair]
    if isinstance(value, list):
        return next((message for item in value if (message := _unstorable(item))), None)
    return None


class BaseSchema(Schema):
    class Meta:
        unknown = EXCLUDE
        ordered = True

    # Schemas whose strings never reach the database may take NUL and judge it themselves.
    accepts_nul_characters = False

    @pre_load
    def reject_unstorable_characters(self, data, **kwargs):
        """NUL and lone surrogates are invalid input (400 naming the field), not a server error."""
        if not self.accepts_nul_characters and isinstance(data, Mapping):
            bad = {name: [message] for name, value in data.items() if (message := _unstorable(value))}
            if bad:
                raise ValidationError(bad)
        return data


class PageArgsSchema(BaseSchema):
    """Pagination parameters. Lenient on purpose: a bad ``page_size`` means the default and
    a bad ``page`` is 404 "Invalid page.", as the reference behaves."""

    page = fields.String(metadata={"description": "1-based page number"})
    page_size = fields.String(metadata={"description": "items per page (default 10, max 100)"})


_page_schemas: dict[str, type[Schema]] = {}


def page_of(item_schema: type[Schema]) -> type[Schema]:
    """The page envelope schema for ``item_schema`` (one class per item schema)."""
    name = item_schema.__name__.removesuffix("Schema") + "PageSchema"
    if name not in _page_schemas:
        _page_schemas[name] = type(
            name,
            (BaseSchema,),
            {
                "count": fields.Integer(required=True),
                "next": fields.String(allow_none=True, metadata={"format": "uri"}),
                "previous": fields.String(allow_none=True, metadata={"format": "uri"}),
                "results": fields.List(fields.Nested(item_schema), required=True),
            },
        )
    return _page_schemas[name]


class ErrorSchema(BaseSchema):
    detail = fields.String(required=True)


def now_utc() -> datetime:
    return datetime.now(UTC)
