"""Swagger UI's page loads its assets from a CDN only with Subresource Integrity: every external stylesheet
and script carries the SHA-384 of the pinned file and is fetched anonymously, so a changed file is not run."""

from __future__ import annotations

import re

from functions.api_docs import handler as api_docs


def page() -> str:
    return api_docs.PAGE.format(
        ui=api_docs.SWAGGER_UI,
        css_integrity=api_docs.SWAGGER_UI_INTEGRITY["swagger-ui.css"],
        js_integrity=api_docs.SWAGGER_UI_INTEGRITY["swagger-ui-bundle.js"],
    )


def test_every_asset_from_the_cdn_carries_its_integrity_hash() -> None:
    tags = re.findall(r"<(?:script|link)\b[^>]*(?:src|href)=\"https://[^>]*>", page())

    assert len(tags) == 2
    for tag in tags:
        assert re.search(r'integrity="sha384-[A-Za-z0-9+/]{64}"', tag), tag
        assert 'crossorigin="anonymous"' in tag, tag


def test_the_cdn_assets_are_pinned_to_one_version() -> None:
    assert re.fullmatch(r"https://cdn\.jsdelivr\.net/npm/swagger-ui-dist@\d+\.\d+\.\d+", api_docs.SWAGGER_UI)
