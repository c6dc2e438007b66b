"""Fixtures of the browser journeys: Debian's Chromium driven by Playwright's sync API
against pytest-django's ``live_server``.

Playwright's sync API keeps an asyncio event loop running in this thread, which Django would
take for async code and refuse database access from; the tests are plain synchronous code, so
that check is switched off for them. The loop lives only as long as one test (see ``browser``).

There is no skipping: without ``/usr/bin/chromium`` every browser test fails and says why.
Set ``BROWSER_SCREENSHOT_DIR`` to keep the screenshots the journeys take (otherwise they go
to each test's temporary directory).
"""

import os
from pathlib import Path
from urllib.parse import urlsplit

import pytest

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture
def browser(transactional_db, live_server):
    """A headless Chromium for one test, or the reason there is none.

    It starts after the test database is ready and stops before it is flushed: while
    Playwright's event loop runs, Django hands this thread separate database connections
    (asgiref treats the thread as async), so the loop must not outlive the test. Those
    connections are closed here.

    A missing browser is reported by the test itself (``NoBrowser``): it shows as FAILED
    with the reason, never as skipped.
    """
    if not os.path.exists(CHROMIUM):
        yield NoBrowser(
            f"Chromium is missing at {CHROMIUM}: the browser journeys need Debian's chromium package "
            "(apt-get install chromium; fonts-noto-cjk to render Chinese)."
        )
        return
    from django.db import connections
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    try:
        try:
            chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        except Exception as exc:
            yield NoBrowser(f"Chromium at {CHROMIUM} did not start: {exc}")
            return
        try:
            yield chromium
        finally:
            chromium.close()
    finally:
        connections.close_all()
        playwright.stop()


class NoBrowser:
    """Stands in for the browser (and the visit) when there is none: any use fails the test."""

    def __init__(self, reason):
        self.reason = reason

    def __getattr__(self, name):
        pytest.fail(self.reason, pytrace=False)


class Visit:
    """One user's browser: a fresh context (no cookies), Chinese preferred, like a bureau PC.

    Every request the page makes is recorded, and anything not served by the live server is
    refused, so a page that reaches for a CDN shows up in ``foreign_requests``.
    """

    def __init__(self, context, live_server, shot_dir):
        self.context = context
        self.base = live_server.url
        self.shot_dir = shot_dir
        self.requests = []
        self.foreign_requests = []
        own = urlsplit(self.base).netloc
        context.route("**/*", self._route(own))
        self.page = context.new_page()

    def _route(self, own):
        def handle(route):
            url = route.request.url
            self.requests.append(url)
            if url.startswith(("data:", "blob:")) or urlsplit(url).netloc == own:
                route.continue_()
            else:
                self.foreign_requests.append(url)
                route.abort()

        return handle

    def goto(self, path):
        return self.page.goto(self.base + path)

    def login(self, username, password):
        """Sign in as production does: the password, and the authenticator's code for whoever has one
        or must have one (``REQUIRE_2FA`` is on in the journeys; ``tests.otp`` enrols it)."""
        from luchen_care.accounts.models import User
        from tests.otp import Authenticator

        self.goto("/admin/login/")
        self.page.fill("#id_username", username)
        self.page.fill("#id_password", password)
        authenticator = Authenticator.of(User.objects.get(username=username))
        if authenticator is not None:
            self.page.fill("#id_otp_token", authenticator.code())
        self.page.click("#login-form input[type=submit]")
        self.page.wait_for_selector("#user-tools")

    def shot(self, name):
        """Save a full-page screenshot; the file name says which journey and step."""
        path = self.shot_dir / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture(autouse=True)
def _production_sign_in(settings):
    """The journeys sign in with the second factor production asks of staff."""
    settings.REQUIRE_2FA = True


@pytest.fixture
def shot_dir(request, tmp_path):
    configured = os.environ.get("BROWSER_SCREENSHOT_DIR")
    if not configured:
        return tmp_path
    path = Path(configured)
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture
def visit(browser, live_server, shot_dir):
    """A new browser visit: ``visit.goto(path)``, ``visit.login(user, pw)``, ``visit.page``."""
    if isinstance(browser, NoBrowser):
        yield browser
        return
    context = browser.new_context(
        locale="zh-CN",
        viewport={"width": 1400, "height": 900},
        accept_downloads=True,
    )
    context.set_default_timeout(15_000)
    try:
        yield Visit(context, live_server, shot_dir)
    finally:
        context.close()


# The loopback SMS gateway and SMTP server of the exchange's tests (the sign-up's code goes out by SMS).
from tests.exchange.conftest import notice_settings, receiver, smtp_server  # noqa: E402, F401
