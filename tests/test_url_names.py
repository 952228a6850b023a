"""Page URL names and API route names live apart: no page name can resolve to an API route."""

import re

import pytest
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, resolve, reverse

from tests import factories

pytestmark = pytest.mark.django_db


def page_patterns(patterns=None, namespace=""):
    """(namespaced name, kwargs) of every named pattern outside the API's include."""
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(entry, URLResolver):
            if entry.namespace == "api":
                continue
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from page_patterns(entry.url_patterns, inner)
        elif isinstance(entry, URLPattern) and entry.name:
            yield f"{namespace}{entry.name}", tuple(entry.pattern.regex.groupindex)


NAMES = sorted(set(page_patterns()))


def reverse_with_sample(name: str, groups: tuple) -> str:
    """Reverse ``name`` with the first sample argument its pattern accepts."""
    for sample in ("1", "plots", "x"):
        try:
            return reverse(name, kwargs={group: sample for group in groups})
        except NoReverseMatch:
            continue
    raise AssertionError(f"no sample argument fits {name}")


@pytest.mark.parametrize(("name", "groups"), NAMES, ids=[name for name, _ in NAMES])
def test_every_page_url_name_resolves_outside_the_api(name, groups):
    url = reverse_with_sample(name, groups)
    assert not url.startswith("/api/"), f"{name} reverses to the API route {url}"
    assert resolve(url).namespace != "api"


def test_the_api_routes_are_named_in_their_own_namespace():
    assert reverse("api:model-train") == "/api/v1/models/train/"
    assert reverse("api:model-activate", args=[3]) == "/api/v1/models/3/activate/"
    assert reverse("model-train", args=[3]) == "/models/type/3/train"
    assert reverse("api:docs") == "/api/docs/" and reverse("api:schema") == "/api/schema/"


def test_the_models_pages_post_their_forms_to_page_urls(client):
    factories.restore_roles()
    factories.grant_monitoring_roles()
    from apps.accounts.roles import ADMIN

    ptype = factories.plot_type(factories.experiment("GlueX"), "CDC_occupancy")
    factories.classifier_model(ptype, activate=True)
    spare = factories.classifier_model(ptype)
    client.force_login(factories.user("boss", roles=[ADMIN]))
    actions = []
    for page in (f"/models/type/{ptype.pk}/", f"/models/{spare.pk}/"):
        html = client.get(page).content.decode()
        actions += re.findall(r'<form method="post" action="([^"]+)"', html)
    assert f"/models/type/{ptype.pk}/train" in actions
    assert f"/models/{spare.pk}/activate" in actions and f"/models/{spare.pk}/thresholds" in actions
    for action in actions:
        assert not action.startswith("/api/"), action
    response = client.post(f"/models/{spare.pk}/activate")
    assert response.status_code == 302 and response["Location"] == f"/models/{spare.pk}/"
    ptype.refresh_from_db()
    assert ptype.active_model.model_id == spare.pk
