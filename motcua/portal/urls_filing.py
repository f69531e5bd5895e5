"""Online filing pages; the project includes them at the root:
path("", include("motcua.portal.urls_filing"))."""

from django.urls import path

from motcua.portal import filing

app_name = "filing"
urlpatterns = [
    path("ho-so-cua-toi/nhap/", filing.draft_list, name="drafts"),
    path("ho-so-cua-toi/nhap/<int:draft_id>/gui-duong-dan/", filing.send_link, name="send_link"),
    path("nop-ho-so/tiep-tuc/<str:token>/", filing.resume, name="resume"),
    path("nop-ho-so/<str:code>/", filing.start, name="start"),
    path("nop-ho-so/<str:code>/<int:draft_id>/kiem-tra/", filing.check, name="check"),
    path("nop-ho-so/<str:code>/<int:draft_id>/da-nop/", filing.done, name="done"),
    path("nop-ho-so/<str:code>/<int:draft_id>/<slug:page_id>/", filing.page, name="page"),
]
