"""Production defaults: DEBUG off, the portal's own error pages, a Content-Security-Policy on every page."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.template import loader

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.django_db


def test_debug_is_off_unless_hydra_debug_turns_it_on(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("HYDRA_")}
    env.update(HYDRA_VAR_DIR=str(tmp_path), HYDRA_SECRET_KEY="a-long-enough-secret-for-this-test-only-0123456789")
    env.pop("DJANGO_SETTINGS_MODULE", None)
    code = "import os, django; os.environ['DJANGO_SETTINGS_MODULE']='hydra_portal.settings'; django.setup(); "
    code += "from django.conf import settings; print('DEBUG', settings.DEBUG)"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "DEBUG False" in result.stdout


def test_an_unknown_page_answers_the_portals_own_404(client):
    response = client.get("/no/such/page/<b>here</b>")
    assert response.status_code == 404
    body = response.content.decode()
    assert "There is nothing here" in body
    assert "Back to the dashboard" in body
    assert "<b>here</b>" not in body
    assert "Content-Security-Policy" in response.headers


def test_the_500_page_renders_without_a_request_context_processors_or_database(django_assert_num_queries):
    with django_assert_num_queries(0):
        html = loader.get_template("500.html").render()
    assert "Something went wrong on our side" in html
    assert "css/portal.css" in html


def test_the_503_page_renders_on_its_own():
    html = loader.get_template("503.html").render()
    assert "unavailable for a moment" in html


def test_a_refused_page_answers_the_portals_own_403_with_the_reason(client):
    from tests import factories

    client.force_login(factories.user(roles=["Viewer"]))
    response = client.get("/people/")
    assert response.status_code == 403
    assert "Only admins manage people." in response.content.decode()


def test_every_page_carries_a_content_security_policy_without_inline_script_or_eval(client):
    policy = client.get("/").headers["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'"
    assert "unsafe-eval" not in policy
    assert "'self'" in directives["connect-src"] and "ws://127.0.0.1:*" in directives["connect-src"]


def test_the_api_docs_allow_only_their_own_inline_start_up_script(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    policy = response.headers["Content-Security-Policy"]
    script_src = next(p for p in policy.split(";") if p.strip().startswith("script-src"))
    assert "'sha256-" in script_src
    assert "unsafe-inline" not in script_src and "unsafe-eval" not in policy
