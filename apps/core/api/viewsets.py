"""The API's viewsets start from these: an object's id is its lookup everywhere, set once here.

Every app's viewsets subclass one of them (as NetBox's ``netbox/api/viewsets`` does), so a route
such as ``/api/v1/plots/<id>/`` never matches a word and the schema documents the id as a number.
"""

from rest_framework import mixins, viewsets

from apps.core.api.schema import ID_PATTERN


class BaseViewSet(viewsets.GenericViewSet):
    """Ids as lookups; add the mixins of the actions the viewset offers."""

    lookup_value_regex = ID_PATTERN


class ReadOnlyModelViewSet(mixins.RetrieveModelMixin, mixins.ListModelMixin, BaseViewSet):
    """List and retrieve."""


class ModelViewSet(
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    mixins.ListModelMixin,
    BaseViewSet,
):
    """List, retrieve, create, update and delete."""
