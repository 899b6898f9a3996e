"""Public REST `GET /v1/openapi.json` (this API's OpenAPI document, generated from the route table at cold
start), `GET /v1/docs` (Swagger UI loading it; the UI's assets come from a CDN, pinned to one version and
checked by the browser against their SHA-384 hashes: Subresource Integrity, so a changed file is not run) and
`GET /v1/health` (a no-op: the baseline the API benchmark compares routes with)."""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.utilities.typing import LambdaContext
from propdesk.adapters.clock import SystemClock
from propdesk.config import ApiDocsSettings
from propdesk.http.app import build_rest_app, resolve
from propdesk.http.routing import Call, route
from propdesk.http.schemas.platform import Health
from propdesk.observability import observe

app = build_rest_app()
SWAGGER_UI = "https://cdn.jsdelivr.net/npm/swagger-ui-dist@5.17.14"
# SHA-384 of the files of npm `swagger-ui-dist@5.17.14` (jsDelivr serves them unchanged); a new version needs
# new hashes: `openssl dgst -sha384 -binary FILE | openssl base64 -A` on the files of `npm pack`.
SWAGGER_UI_INTEGRITY = {
    "swagger-ui.css": "sha384-wxLW6kwyHktdDGr6Pv1zgm/VGJh99lfUbzSn6HNHBENZlCN7W602k9VkGdxuFvPn",
    "swagger-ui-bundle.js": "sha384-wmyclcVGX/WhUkdkATwhaK1X1JtiNrr2EoYJ+diV3vj4v6OC5yCeSu+yW13SYJep",
}
PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>propdesk API</title>
  <link rel="stylesheet" href="{ui}/swagger-ui.css" integrity="{css_integrity}" crossorigin="anonymous">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="{ui}/swagger-ui-bundle.js" integrity="{js_integrity}" crossorigin="anonymous"></script>
  <script>
    window.ui = SwaggerUIBundle({{url: "openapi.json", dom_id: "#swagger-ui"}});
  </script>
</body>
</html>
"""


@functools.cache
def production_dependencies() -> Callable[[], str]:
    ApiDocsSettings.from_env(os.environ)
    return generated_document


@functools.cache
def generated_document() -> str:
    """The document's JSON, generated on first use (not at cold start: /v1/health needs none of it)."""
    from propdesk.http.openapi import openapi_document

    return json.dumps(openapi_document())


@route(app, "getOpenApi")
def get_openapi(call: Call) -> Response[Any]:
    document_source: Callable[[], str] = app.context["document"]
    document = json.loads(document_source())
    document["servers"] = [{"url": _base_path(app.current_event.raw_event)}]
    return Response(
        status_code=200,
        content_type="application/json",
        body=json.dumps(document),
        headers={"Cache-Control": "public, max-age=300"},
    )


@route(app, "getDocs")
def get_docs(call: Call) -> Response[str]:
    return Response(
        status_code=200,
        content_type="text/html; charset=utf-8",
        body=PAGE.format(
            ui=SWAGGER_UI,
            css_integrity=SWAGGER_UI_INTEGRITY["swagger-ui.css"],
            js_integrity=SWAGGER_UI_INTEGRITY["swagger-ui-bundle.js"],
        ),
        headers={"Cache-Control": "public, max-age=300"},
    )


@route(app, "getHealth")
def get_health(call: Call) -> Health:
    return Health()


def _base_path(event: dict[str, Any]) -> str:
    """Where the API's paths start as the client sees them (`/dev` on AWS; the emulator's prefix locally)."""
    full = str((event.get("requestContext") or {}).get("path") or "")
    route_path = str(event.get("path") or "")
    if route_path and full.endswith(route_path):
        return full[: -len(route_path)] or "/"
    return "/"


def process(event: dict[str, Any], context: LambdaContext, document: Callable[[], str]) -> dict[str, Any]:
    app.context["document"] = document
    app.context["now"] = SystemClock().now()
    return resolve(app, event, context)


@observe
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return process(event, context, production_dependencies())
