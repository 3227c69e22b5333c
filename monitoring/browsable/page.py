"""The after-request hook that turns a JSON answer to a browser's GET into an HTML page.

Generic on purpose: views and error handlers keep returning JSON; this hook only looks at
the response, the route and the OpenAPI document. Errors (401, 403, 404, ...) get the same
page, with their detail and a login link.
"""
from __future__ import annotations

import json
import secrets

from flask import Response, current_app, g, render_template, request, url_for
from werkzeug.exceptions import HTTPException
from werkzeug.http import HTTP_STATUS_CODES
from werkzeug.routing import RequestRedirect

from monitoring.browsable import json_html, operations, views
from monitoring.browsable.negotiation import prefers_html
from monitoring.observability.redaction import redact_query, without_secrets

# Documents that other programs fetch (Swagger UI reads the OpenAPI document): always JSON.
NEVER_WRAPPED = frozenset({"api-docs.openapi_json"})


def _wants_page(response: Response) -> bool:
    """For a JSON answer to a GET: should the client get the page instead?"""
    return (
        # A substring test first: most clients never mention HTML, and parsing is dearer.
        "html" in request.headers.get("Accept", "")
        and not response.direct_passthrough
        # The database is unavailable: the page (its user, its login link) would need it.
        and response.status_code != 503
        and request.endpoint not in NEVER_WRAPPED
        and request.args.get("format") != "json"  # "view as JSON" on a page
        and current_app.config.get("BROWSABLE_API", True)
        and prefers_html(request.accept_mimetypes)
    )


def html_for_browsers(response: Response) -> Response:
    if request.method != "GET" or response.mimetype != "application/json":
        return response  # every device POST leaves here
    # Caches must keep the JSON and the HTML answer of one URL apart. (Plain header strings:
    # ``response.vary`` parses and rebuilds the header, dear on every GET.)
    vary = response.headers.get("Vary")
    if not vary:
        response.headers["Vary"] = "Accept"
    elif "accept" not in vary.lower():
        response.headers["Vary"] = f"{vary}, Accept"
    if not _wants_page(response):
        return response
    return _page_response(response)


def _session_user():
    """The user of the browser session, if any; never raises (the page is also drawn for
    401s, whose credentials are by definition not good)."""
    if "auth_user" in g:
        return g.auth_user
    from monitoring.auth import current_user

    try:
        return current_user()
    except HTTPException:
        return None


def _route_exists(path: str) -> bool:
    adapter = current_app.url_map.bind("localhost")
    try:
        adapter.match(path, method="GET")
    except RequestRedirect:
        return False
    except HTTPException:
        return False
    return True


def _breadcrumbs(path: str) -> list[tuple[str, str | None]]:
    """``[(segment, link or None), ...]`` for each prefix of the path, linked where a page
    exists."""
    crumbs = []
    prefix = "/"
    for segment in [part for part in path.split("/") if part]:
        prefix += segment + "/"
        crumbs.append((segment, prefix if prefix != path and _route_exists(prefix) else None))
    return crumbs


def _link_finder(collection_path: str | None):
    checked: dict[str, bool] = {}

    def link_for(key: str | None, value: str, depth: int) -> str | None:
        href = json_html.candidate_link(key, value, depth, collection_path=collection_path)
        if href is None or href.startswith(("http://", "https://")):
            return href
        if href not in checked:
            checked[href] = _route_exists(href.split("?", 1)[0])
        return href if checked[href] else None

    return link_for


def _page_response(response: Response) -> Response:
    raw = response.get_data(as_text=True)
    try:
        document = json.loads(raw) if raw else None
    except ValueError:
        return response
    status = response.status_code
    rule = request.url_rule.rule if request.url_rule is not None else None
    operation = None
    if rule is not None:
        from monitoring.extensions import api

        operation = operations.describe(current_app._get_current_object(), api, rule, "GET")
    is_page = isinstance(document, dict) and "results" in document and "count" in document
    nonce = secrets.token_urlsafe(16)
    user = _session_user()
    # Back here after logging in, but without a device key: the session will do, and the
    # login URL ends up in logs and browser history.
    kept_query = without_secrets(request.query_string.decode("utf-8", "replace"))
    here = f"{request.path}?{kept_query}" if kept_query else request.path
    view = views.view_for(operations.openapi_path(rule), status=status, display=request.args.get("format"))
    if view is not None:
        return _view_response(response, view, document=document, operation=operation, user=user,
                              login_url=url_for("auth.login", next=here), nonce=nonce)
    html = render_template(
        "browsable/page.html",
        status=status,
        reason=HTTP_STATUS_CODES.get(status, ""),
        document=document,
        body=json_html.render(document, _link_finder(request.path if is_page else None)),
        detail=document.get("detail") if isinstance(document, dict) and status >= 400 else None,
        operation=operation,
        page=document if is_page else None,
        path=request.path,
        breadcrumbs=_breadcrumbs(request.path),
        args=request.args,
        query=redact_query(request.query_string.decode("utf-8", "replace")),
        user=user,
        login_url=url_for("auth.login", next=here),
        docs_url=url_for("api-docs.openapi_swagger_ui"),
        navigation=views.NAVIGATION,
        markdown=views.inline_markdown,
        nonce=nonce,
    )
    return _html_response(response, html, nonce=nonce)


def _view_response(response: Response, view: views.View, *, document, operation, user, login_url: str,
                   nonce: str) -> Response:
    """The page of its own that this answer has (monitoring/browsable/views.py)."""
    html = render_template(
        view.template,
        document=document,
        operation=operation,
        path=request.path,
        args=request.args,
        user=user,
        login_url=login_url,
        links=views.page_links(without_secrets(request.query_string.decode("utf-8", "replace"))),
        navigation=views.NAVIGATION,
        statuses=views.statuses(),
        markdown=views.inline_markdown,
        nonce=nonce,
    )
    return _html_response(response, html, nonce=nonce, fetches=view.fetches)


def _html_response(response: Response, html: str, *, nonce: str, fetches: bool = False) -> Response:
    page = Response(html, status=response.status_code, mimetype="text/html")
    for name, value in response.headers.items():
        if name.lower() not in ("content-type", "content-length", "vary"):
            page.headers.add(name, value)
    page.headers["Vary"] = "Accept, Cookie"
    page.headers["Cache-Control"] = "no-store"
    # Everything on the page is escaped; the policy is a second line of defence. Pages whose
    # scripts read the API may fetch from this site (and open the event stream), and show
    # the map's tiles.
    connect = f"; connect-src {views.connect_sources()}" if fetches else ""
    page.headers["Content-Security-Policy"] = (
        f"default-src 'none'; style-src 'self' 'nonce-{nonce}'; script-src 'nonce-{nonce}'; "
        f"img-src {views.image_sources()}{connect}; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    )
    return page
