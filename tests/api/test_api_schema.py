"""The OpenAPI 3 schema and the Swagger UI, served without any CDN."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


def test_the_schema_is_openapi_3_with_every_resource(api):
    response = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = json.loads(response.content)
    assert schema["openapi"].startswith("3.")
    assert schema["info"]["title"] == "Hydra portal API"
    for path in (
        "/api/v1/plots/",
        "/api/v1/plots/bulk/",
        "/api/v1/plots/{id}/labels/",
        "/api/v1/labels/",
        "/api/v1/tokens/",
        "/api/v1/plot-groups/",
    ):
        assert path in schema["paths"]
    upload = schema["paths"]["/api/v1/plots/"]["post"]
    assert "multipart/form-data" in upload["requestBody"]["content"]
    assert {"200", "201", "413", "415"} <= set(upload["responses"])
    assert "tokenAuth" in schema["components"]["securitySchemes"]


def test_the_schema_generates_without_warnings_or_errors(tmp_path):
    result = subprocess.run(
        [sys.executable, "manage.py", "spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "s.yml")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "Warning" not in result.stderr and "Error" not in result.stderr


def test_the_swagger_ui_loads_its_assets_from_the_portal(api):
    response = api.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui" in html
    assert "cdn." not in html and "unpkg" not in html and "jsdelivr" not in html


def test_the_api_root_links_to_the_list_route_of_every_app(viewer, as_user):
    """Each app owns its routes (apps/<app>/api/urls.py); the root page at /api/v1/ still lists them all."""
    response = as_user(viewer).get("/api/v1/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    root = response.json()
    for prefix in (
        "experiments",
        "tokens",
        "jobs",
        "plots",
        "labels",
        "models",
        "validation-reports",
        "alarms",
        "briefs",
    ):
        assert root[prefix] == f"http://testserver/api/v1/{prefix}/"
