"""The Content-Security-Policy header: no inline script and no eval anywhere, the API docs' own script by hash."""

import pytest

pytestmark = pytest.mark.django_db


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


def test_websockets_may_connect_to_the_portals_own_host_names_only():
    from apps.core.csp import websocket_sources

    assert websocket_sources(["hydra.example.org", ".jlab.org", "*", "[::1]"]) == [
        "ws://hydra.example.org:*",
        "wss://hydra.example.org:*",
        "ws://*.jlab.org:*",
        "wss://*.jlab.org:*",
    ]
