"""The browse scene (tests/factories.py:browse_scene) and the users and settings the page tests share."""

import pytest

from tests import factories


@pytest.fixture
def scene(db):
    return factories.browse_scene()


@pytest.fixture
def labeler_user(db, scene):
    from apps.accounts.roles import LABELER
    from apps.labels.models import LabelingGrant

    account = factories.user("labeler", roles=[LABELER])
    LabelingGrant.objects.create(user=account, plot_group=scene.tracking)
    return account


@pytest.fixture
def closed(settings):
    """Anonymous visitors may not read."""
    settings.OPEN_ACCESS = False
