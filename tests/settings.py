"""Settings of the test suite: the portal's own, read with HYDRA_DEBUG on unless the environment sets it.

The portal starts with DEBUG off, which needs HYDRA_SECRET_KEY and turns on HTTPS redirects and
secure cookies; the suite talks plain HTTP to Django's test client and a local live server. pytest-django
still runs every test with DEBUG off. The variable is removed again at once, so that the processes a
test starts (manage.py check --deploy, settings readers) see the portal's real defaults.
"""

import os

_default_debug = "HYDRA_DEBUG" not in os.environ
if _default_debug:
    os.environ["HYDRA_DEBUG"] = "true"
try:
    from hydra_portal.settings import *  # noqa: F403
finally:
    if _default_debug:
        del os.environ["HYDRA_DEBUG"]

# Pages show each change at once in tests; tests/test_page_cache.py turns the short page cache on.
PAGE_CACHE_SECONDS = 0

# Users are made in most tests: a fast hasher keeps that cheap (no test checks the production hasher).
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
