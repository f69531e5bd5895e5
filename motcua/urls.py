from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

admin.site.site_header = _("motcua administration")
admin.site.site_title = _("motcua administration")
admin.site.index_title = _("Catalog, units and calendar")

# Plain Vietnamese error pages in the portal's or the back office's layout; JSON under /api/.
handler400 = "motcua.core.errors.bad_request"
handler403 = "motcua.core.errors.permission_denied"
handler404 = "motcua.core.errors.page_not_found"
handler500 = "motcua.core.errors.server_error"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", include("motcua.api.urls")),
    path("api/thanh-toan/", include("motcua.api.urls_gateways")),
    path("mot-cua/", include("motcua.backoffice.urls")),
    path("", include("motcua.portal.urls_auth")),
    path("", include("motcua.portal.urls_filing")),
    path("", include("motcua.portal.urls_mine")),
    path("", include("motcua.portal.urls")),
]

if settings.MOTCUA_BENCH_HELLO:
    # The baseline of bench/portal.py: the same app with no view work at all.
    from motcua.core.bench import hello

    urlpatterns.insert(0, path("_bench/hello/", hello))
