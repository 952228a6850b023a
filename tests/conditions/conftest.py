from tests.api.conftest import admin, api, as_user, expert, fast_passwords, labeler, viewer  # noqa: F401
from tests.pages.conftest import labeler_user  # noqa: F401, E402
