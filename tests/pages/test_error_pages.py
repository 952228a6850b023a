"""Production defaults: DEBUG off, and the portal's own error pages instead of Django's."""

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
