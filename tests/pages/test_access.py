"""Every page follows HYDRA_OPEN_ACCESS: anonymous reading when on, a login otherwise."""

import pytest
from django.urls import reverse

from tests import factories

PAGES = [
    ("home", None),
    ("plot-browser", None),
    ("group-tree", None),
    ("labeler", None),
    ("plot-page", "plot"),
    ("plot-type-page", "plot_type"),
    ("plot-image", "plot"),
]


def page_url(name, arg, scene):
    if arg == "plot":
        return reverse(name, args=[scene.plots[("cdc", 1003)].pk])
    if arg == "plot_type":
        return reverse(name, args=[scene.cdc.pk])
    return reverse(name) + ("?experiment=gluex" if name == "plot-browser" else "")


@pytest.mark.parametrize("name, arg", PAGES)
def test_anonymous_visitors_read_every_page_when_access_is_open(client, scene, name, arg):
    assert client.get(page_url(name, arg, scene)).status_code == 200


@pytest.mark.parametrize("name, arg", PAGES)
def test_anonymous_visitors_are_sent_to_the_login_page_when_access_is_closed(client, scene, closed, name, arg):
    response = client.get(page_url(name, arg, scene))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login") + "?next=")


@pytest.mark.parametrize("name, arg", PAGES)
def test_logged_in_users_read_every_page_when_access_is_closed(client, scene, closed, name, arg):
    client.force_login(factories.user())
    assert client.get(page_url(name, arg, scene)).status_code == 200


def test_the_nav_bar_shows_the_login_state_and_the_experiment_switcher(client, scene):
    factories.experiment("CLAS12")
    html = client.get(reverse("home")).content.decode()
    assert "Log in" in html and 'id="exp-switch"' in html and ">CLAS12</option>" in html
    client.force_login(factories.user("carol"))
    html = client.get(reverse("home")).content.decode()
    assert "carol" in html and "Log out" in html


def test_the_chosen_experiment_is_remembered_across_pages(client, scene):
    factories.experiment("CLAS12")
    client.get(reverse("home"), {"experiment": "clas12"})
    response = client.get(reverse("plot-browser"))
    assert response.status_code == 302 and "experiment=clas12" in response.url
