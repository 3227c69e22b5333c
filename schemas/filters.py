"""Query-string filters of the monitoring lists, with the reference's messages.

Clients of the reference API match on django-filter's wording ("Select a valid choice. …",
"Enter a number.", "Enter a valid date/time."), so the field types here reproduce it. An empty
value means the filter is absent, as it does there.
"""
from __future__ import annotations

from datetime import UTC, datetime

from marshmallow import ValidationError, fields, pre_load, validate

from monitoring.errors import INVALID_CHOICE
from schemas.common import PageArgsSchema

FALSE_WORDS = frozenset({"false", "0", "no", "off"})


def invalid_value_choice(value) -> str:
    return f"Select a valid choice. {value} is not one of the available choices."


class FilterSchema(PageArgsSchema):
    """Pagination plus filters; ``?status=`` (empty) is the same as no ``status`` at all."""

    @pre_load
    def drop_empty_values(self, data, **kwargs):
        present = {}
        for name in data:
            # webargs resolves the value: a list for list fields, the first one otherwise.
            value = data[name]
            if isinstance(value, list):
                value = [item for item in value if item != ""]
            if value != "" and value != []:
                present[name] = value
        return present


class ChoiceUUID(fields.UUID):
    """The id of an object the caller may filter on; whether it is one is the service's
    call (it depends on the caller), a malformed id gets the same message."""

    default_error_messages = {"invalid_uuid": INVALID_CHOICE}


class Choice(fields.String):
    def __init__(self, choices, **kwargs):
        self.choices = tuple(choices)
        kwargs.setdefault("metadata", {}).setdefault("enum", list(self.choices))
        super().__init__(validate=validate.OneOf(self.choices, error=invalid_value_choice("{input}")), **kwargs)


class ChoiceList(fields.List):
    """A repeatable choice (``?status=ok&status=problem``); the first bad value is reported
    as one message, not keyed by position."""

    def __init__(self, choices, **kwargs):
        super().__init__(Choice(choices), **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        items = value if isinstance(value, list) else [value]
        for item in items:
            if item not in self.inner.choices:
                raise ValidationError(invalid_value_choice(item))
        return list(items)


class Number(fields.Float):
    default_error_messages = {key: "Enter a number." for key in ("invalid", "special", "too_large")}

    def __init__(self, **kwargs):
        super().__init__(allow_nan=False, **kwargs)


class FilterDateTime(fields.Field):
    """ISO 8601 (``2024-05-02T10:15:31Z``, ``2024-05-02 10:15:31.123456+00:00``, a bare
    date); a value without offset is UTC, the server's time zone."""

    default_error_messages = {"invalid": "Enter a valid date/time."}

    def __init__(self, **kwargs):
        kwargs.setdefault("metadata", {}).update(type="string", format="date-time")
        super().__init__(**kwargs)

    def _deserialize(self, value, attr, data, **kwargs) -> datetime:
        try:
            parsed = datetime.fromisoformat(str(value).strip())
        except ValueError as exc:
            raise self.make_error("invalid") from exc
        if parsed.tzinfo is None:
            return parsed.replace(tzinfo=UTC)
        # In UTC: PostgreSQL refuses offsets beyond ±15:59, which Python accepts up to ±23:59.
        try:
            return parsed.astimezone(UTC)
        except OverflowError as exc:  # 0001-01-01T00:00+01:00 is before year 1 in UTC
            raise self.make_error("invalid") from exc


class QueryBoolean(fields.Field):
    """docs/api.md §15.2: ``false/0/no/off`` (any case) are false; any other
    non-empty value is true; an empty one is absent (None)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("metadata", {}).update(type="boolean")
        super().__init__(**kwargs)

    def _deserialize(self, value, attr, data, **kwargs) -> bool | None:
        if value == "":
            return None
        return str(value).strip().lower() not in FALSE_WORDS
