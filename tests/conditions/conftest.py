from tests.pages.conftest import labeler_user  # noqa: F401
