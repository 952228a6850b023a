"""The crawl: every page as every identity, on a small demo in real use (the tests of issue 11).

``scene.build`` makes the state once for the package (seed_demo, a tiny model trained on the
worker, verdicts with GradCAM maps, a validation report, maps, a failed job, audit entries).
``test_pages`` walks the site with Django's test client as each identity of ``scene.IDENTITIES``,
from the home page and its top bar, two links deep, at most two URLs per view
(``crawler.walk``), submits every form it meets, and fails on server errors, forms aimed at the
API, forms that do not answer their method and links to missing pages; ``test_browser`` loads one
URL per view in Chromium and fails on console errors and failed requests.

Extending it: a new page linked from any page the walk reaches is crawled without a change. A
page reachable only some other way (an e-mail, a script, a typed URL) goes into ``EXTRA_URLS``
below; the test that every page view is reached names any page left out. ``{name}`` fields are
ids from ``scene.Scene.ids``.
"""

EXTRA_URLS = [
    "/healthz",
    "/favicon.ico",
    "/accounts/login/",
    # Django's password pages: reached from e-mails and typed URLs.
    "/accounts/password_change/",
    "/accounts/password_change/done/",
    "/accounts/password_reset/",
    "/accounts/password_reset/done/",
    "/accounts/reset/MQ/not-a-token/",
    "/accounts/reset/done/",
    # The "new plots arrived" notice builds this link in the browser.
    "/plots/new?ids={classified_plot}",
    "/plots/{classified_plot}/",
    "/plot-types/{empty_type}/",
    "/models/type/{empty_type}/",
    # Images that scripts ask for (the explore map's hover thumbnail, the autoencoder's error map).
    "/validation/thumb/{classified_plot}",
    "/validation/compare/{classified_plot}/errors.png",
    # Read by Prometheus, not linked; the status page's panel is fetched by its script.
    "/metrics",
    "/status/?part=panel",
    "/trends/type/{empty_type}/",
    # The delivery log (admins and experts), with a failed delivery and its Retry form.
    "/notifications/?status=failed",
    # Script endpoints (fetched to prove they answer; a 405 to a GET is right).
    "/labeler/apply",
    # Send a brief without touching its note (scripts and the API's twin; the page saves the note first).
    "/briefs/{brief}/send",
]
