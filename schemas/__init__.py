"""Marshmallow schemas: query filters, request bodies and responses. The OpenAPI document
is generated from them."""
