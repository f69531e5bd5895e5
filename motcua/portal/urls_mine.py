"""The citizen's "My dossiers" pages; the project includes them at the root, after the
filing pages (whose drafts list is /ho-so-cua-toi/nhap/):
path("", include("motcua.portal.urls_mine"))."""

from django.urls import path

from motcua.portal import mine

app_name = "mine"
urlpatterns = [
    path("ho-so-cua-toi/", mine.dossier_list, name="list"),
    path("ho-so-cua-toi/<str:code>/", mine.dossier_detail, name="detail"),
    path("ho-so-cua-toi/<str:code>/bo-sung/", mine.supplement, name="supplement"),
    path("ho-so-cua-toi/<str:code>/rut/", mine.withdraw, name="withdraw"),
    path("ho-so-cua-toi/<str:code>/ket-qua/", mine.result, name="result"),
    path("ho-so-cua-toi/<str:code>/danh-gia/", mine.rate, name="rate"),
    path("ho-so-cua-toi/<str:code>/phieu/<str:form>.pdf", mine.slip, name="slip"),
    path("ho-so-cua-toi/<str:code>/giay-to/<int:paper_id>/", mine.paper, name="paper"),
]
