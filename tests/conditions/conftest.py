from tests.api.conftest import admin, api, as_user, expert, fast_passwords, labeler, viewer  # noqa: F401
