"""The platform's admin site: Django's, with the staff workbench on its index.

Installed as the default site (``luchen_care.core.apps.PlatformAdminConfig``), so every
``admin.site.register`` and ``admin.site.urls`` of the apps is this site. Its index opens on the
signed-in user's to-do list (``luchen_care.core.workbench``, audience ``STAFF``) and charts, filled
by the apps' providers; the list of tables follows it (``templates/admin/index.html``).
"""

from django.contrib import admin

from .workbench import Audience, workbench_charts, workbench_entries


class WorkbenchAdminSite(admin.AdminSite):
    def index(self, request, extra_context=None):
        """The staff workbench: each registered provider's entries for ``request.user``, then the tables."""
        context = {
            "workbench_entries": workbench_entries(request.user, audience=Audience.STAFF),
            "workbench_charts": workbench_charts(request.user, audience=Audience.STAFF),
        }
        return super().index(request, {**context, **(extra_context or {})})
