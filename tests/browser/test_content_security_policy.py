"""The Content-Security-Policy allows what the admin, the pages and the API docs need, and nothing
from anywhere else: a bureau user walks through them in a real browser and no script, style or
image is refused, while an injected inline script does not run."""

import pytest

from luchen_care.accounts.models import Role
from tests.factories import InstitutionFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PAGES = [
    "/",
    "/admin/",
    "/admin/registry/institution/",
    "/admin/registry/registration/",
    "/admin/registry/registration/sla/",
    "/admin/accounts/user/",
]


def test_every_page_works_under_the_policy_and_an_inline_script_is_refused(visit, password):
    health = UserFactory(username="csp-health", role=Role.HEALTH_BUREAU, county_administrator=True)
    institution = InstitutionFactory(name="内容安全策略测试托育园")
    refused = []
    visit.page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
    visit.login(health.username, password)
    for path in [*PAGES, f"/admin/registry/institution/{institution.pk}/change/"]:
        response = visit.goto(path)
        assert response.status == 200, path
        assert "script-src 'self'" in response.headers["content-security-policy"]
    # The change form's own scripts ran (its collapsible and calendar widgets need them).
    assert visit.page.locator("#institution_form").count() == 1

    # The SLA page's year picker submits by itself (a script file, no inline handler).
    visit.goto("/admin/registry/registration/sla/")
    years = visit.page.locator("#year option")
    if years.count() > 1:
        with visit.page.expect_navigation():
            visit.page.select_option("#year", index=1)
        assert "year=" in visit.page.url

    visit.goto("/api/docs/")
    visit.page.wait_for_selector(".swagger-ui .opblock-summary-path >> text=/api/v1/institutions/")
    assert refused == []
    assert visit.foreign_requests == []

    # An inline script, as an injected one would be, does not run.
    visit.goto("/")
    visit.page.evaluate(
        "() => { const s = document.createElement('script'); s.textContent = 'window.injected = 1';"
        " document.body.appendChild(s); }"
    )
    assert visit.page.evaluate("() => window.injected") is None
    assert any("inline script" in text for text in refused)
