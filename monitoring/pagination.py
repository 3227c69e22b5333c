"""The ``{"count", "next", "previous", "results"}`` page envelope of every list endpoint.

Rules from the reference (docs/api.md §0.6): ``page`` is 1-based and a page that does not
exist is 404 "Invalid page."; an invalid or non-positive ``page_size`` falls back to the
default and a larger one is capped. ``next``/``previous`` are absolute URLs that keep the
other query parameters.
"""
from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import current_app, request
from sqlalchemy import Select, func, select

from monitoring import errors
from monitoring.extensions import db

# LIMIT and OFFSET are bigint in PostgreSQL: no page size needs more, no row lies further.
MAX_ROWS = 2**63 - 1


def _positive_int(raw: Any) -> int | None:
    try:
        value = int(str(raw).strip())
    except (TypeError, ValueError):
        return None
    return value if value > 0 else None


def page_size_from(raw: Any, *, default: int | None = None, maximum: int | None = None) -> int:
    default = default or current_app.config["PAGE_SIZE_DEFAULT"]
    maximum = current_app.config["PAGE_SIZE_MAX"] if maximum is None else maximum
    size = _positive_int(raw) if raw not in (None, "") else None
    if size is None:
        return default
    return min(size, maximum or MAX_ROWS)


def page_number_from(raw: Any) -> int:
    if raw in (None, ""):
        return 1
    number = _positive_int(raw)
    if number is None:
        errors.not_found_detail("Invalid page.")
    return number


def page_url(page: int | None) -> str | None:
    """The current URL with ``page`` replaced (dropped for page 1, as the reference does)."""
    if page is None:
        return None
    params = [(k, v) for k, v in request.args.items(multi=True) if k != "page"]
    if page > 1:
        params.append(("page", str(page)))
    query = urlencode(params)
    return request.base_url + (f"?{query}" if query else "")


def paginate(
    statement: Select,
    *,
    page: Any = None,
    page_size: Any = None,
    default_size: int | None = None,
    max_size: int | None = None,
    scalars: bool = True,
    count_in_page: bool = False,
    count_statement: Select | None = None,
) -> dict:
    """Run ``statement`` for one page and wrap the rows in the page envelope.

    ``count_statement``: the same rows without the joins that only add columns, so that
    counting a large result reads less. ``count_in_page``: one query returns the page and
    the total (``count(*) OVER ()``) instead of a count query then a page query; for small
    results only (rows within a radius), as every matching row is visited to count it.
    """
    size = page_size_from(page_size, default=default_size, maximum=max_size)
    number = page_number_from(page)
    if count_in_page:
        return _paginate_counting_in_page(statement, number=number, size=size, scalars=scalars)
    counted = statement if count_statement is None else count_statement
    count = db.session.execute(
        select(func.count()).select_from(counted.order_by(None).subquery())
    ).scalar_one()
    last_page = max(1, -(-count // size))
    if number > last_page:
        errors.not_found_detail("Invalid page.")
    result = db.session.execute(statement.limit(size).offset((number - 1) * size))
    rows = list(result.scalars() if scalars else result)
    return {
        "count": count,
        "next": page_url(number + 1) if number < last_page else None,
        "previous": page_url(number - 1) if number > 1 else None,
        "results": rows,
    }


def _paginate_counting_in_page(statement: Select, *, number: int, size: int, scalars: bool) -> dict:
    offset = (number - 1) * size
    if offset > MAX_ROWS:
        errors.not_found_detail("Invalid page.")
    counted = statement.add_columns(func.count().over().label("total_count"))
    rows = list(db.session.execute(counted.limit(size).offset(offset)))
    if not rows and number > 1:
        # No row at this offset: the page is past the end (page 1 always exists).
        errors.not_found_detail("Invalid page.")
    count = rows[0].total_count if rows else 0
    return {
        "count": count,
        "next": page_url(number + 1) if number * size < count else None,
        "previous": page_url(number - 1) if number > 1 else None,
        "results": [row[0] for row in rows] if scalars else rows,
    }


def paginate_list(items: list, *, page: Any = None, page_size: Any = None) -> dict:
    """The page envelope of a list already computed in full (e.g. a report whose totals
    need every item), with the same rules as ``paginate``."""
    size = page_size_from(page_size)
    number = page_number_from(page)
    last_page = max(1, -(-len(items) // size))
    if number > last_page:
        errors.not_found_detail("Invalid page.")
    return {
        "count": len(items),
        "next": page_url(number + 1) if number < last_page else None,
        "previous": page_url(number - 1) if number > 1 else None,
        "results": items[(number - 1) * size:number * size],
    }
