"""The API's settings: Django REST framework (REST_FRAMEWORK) and the OpenAPI schema (SPECTACULAR_SETTINGS).

Fixed values, read by name in hydra_portal/settings.py.
"""

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "apps.accounts.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["apps.accounts.permissions.ReadOpenOrAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "apps.core.api.pagination.KeysetPagination",
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "apps.core.api.exceptions.exception_handler",
    "PAGE_SIZE": 50,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Hydra portal API",
    "DESCRIPTION": (
        "Push monitoring plots in and pull plots, labels and verdicts out without a browser. "
        "Authenticate with `Authorization: Token <key>` (or `Bearer <key>`); keys are made under "
        "/api/v1/tokens/ or in the admin. Lists page with an opaque `cursor` and `page_size` (at most 500). "
        'Every error has the shape `{"error": {"status", "code", "message", "details"}}`.'
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Several models have a "status" with their own choices: each gets a name of its own.
    "ENUM_NAME_OVERRIDES": {
        "BriefStatusEnum": "apps.briefs.choices.BriefStatus",
        "DeliveryStatusEnum": "apps.notifications.models.Status",
        "JobStatusEnum": "apps.jobs.models.Job.Status",
        "ModelStatusEnum": "apps.monitoring.models.ClassifierModel.Status",
    },
}
