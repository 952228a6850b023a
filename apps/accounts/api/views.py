from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts import throttle
from apps.accounts.api.serializers import ApiTokenSerializer, NewApiTokenSerializer, TokenRequestSerializer
from apps.accounts.models import ApiToken
from apps.core.api.exceptions import ApiError
from apps.core.api.schema import error_responses
from apps.core.api.viewsets import BaseViewSet


@extend_schema_view(
    list=extend_schema(description="Your API tokens, newest first, revoked ones included (with `revoked_at`)."),
    destroy=extend_schema(
        description="Revoke one of your tokens: it stops working at once. The row stays, with `revoked_at` set.",
        responses={204: None, **error_responses(401, 404)},
    ),
)
class ApiTokenViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, BaseViewSet):
    """The signed-in user's own API tokens: create (the key is shown once), list, revoke."""

    serializer_class = ApiTokenSerializer
    permission_classes = [IsAuthenticated]
    filterset_class = None
    filter_backends = []
    cursor_order = ("-id",)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ApiToken.objects.none()
        return ApiToken.objects.filter(user=self.request.user)

    @extend_schema(
        summary="Create a token",
        description="Creates a token for you. The response carries `key` — the only time it is ever shown.",
        request=ApiTokenSerializer,
        responses={201: NewApiTokenSerializer, **error_responses(400, 401)},
        examples=[
            OpenApiExample("Request", request_only=True, value={"name": "CI uploads"}),
            OpenApiExample(
                "Response",
                response_only=True,
                status_codes=["201"],
                value={
                    "id": 3,
                    "name": "CI uploads",
                    "prefix": "hydra_Xk2p9Q",
                    "created_at": "2026-01-01T12:00:00Z",
                    "last_used_at": None,
                    "revoked_at": None,
                    "key": "hydra_Xk2p9Q…",
                },
            ),
        ],
    )
    def create(self, request):
        form = ApiTokenSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        token, key = ApiToken.issue(request.user, form.validated_data["name"])
        token.key = key
        return Response(NewApiTokenSerializer(token).data, status=status.HTTP_201_CREATED)

    def destroy(self, request, pk=None):
        self.get_object().revoke()
        return Response(status=status.HTTP_204_NO_CONTENT)


class TokenExchangeView(APIView):
    """Trade a user name and password for a new API token, through the same throttle as every login."""

    # No session, no CSRF: a script has neither; the password is the credential.
    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(
        summary="Get a token with a user name and password",
        description=(
            "Checks the password like the login page (LDAP included) and answers a new token; `key` is shown "
            "only here. Failed attempts count toward the same lockout as the login page and the admin login."
        ),
        request=TokenRequestSerializer,
        responses={201: NewApiTokenSerializer, **error_responses(400, 429)},
        examples=[
            OpenApiExample("Request", request_only=True, value={"username": "shift", "password": "…", "name": "laptop"})
        ],
    )
    def post(self, request):
        form = TokenRequestSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        try:
            user = throttle.authenticate(request._request, data["username"], data["password"])
        except throttle.LockedOut as exc:
            raise ApiError(status.HTTP_429_TOO_MANY_REQUESTS, "locked_out", str(exc)) from None
        if user is None or not user.is_active:
            raise ApiError(400, "invalid_credentials", "wrong user name or password")
        token, key = ApiToken.issue(user, data["name"])
        token.key = key
        return Response(NewApiTokenSerializer(token).data, status=status.HTTP_201_CREATED)
