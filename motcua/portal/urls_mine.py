"""The citizen's "My dossiers" pages; the project includes them at the root, after the
filing pages (whose drafts list is /ho-so-cua-toi/nhap/):
path("", include("motcua.portal.urls_mine"))."""

from django.urls import path

from motcua.portal import mine, payments

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
    path("ho-so-cua-toi/<str:code>/thanh-toan/", payments.pay, name="pay"),
    path("ho-so-cua-toi/<str:code>/thanh-toan/mien-giam/", payments.claim, name="pay_claim"),
    path("ho-so-cua-toi/<str:code>/thanh-toan/<str:reference>/", payments.payment, name="payment"),
    path(
        "ho-so-cua-toi/<str:code>/bien-lai/<str:series>-<int:number>.pdf",
        payments.receipt,
        name="receipt",
    ),
    path("thanh-toan/tro-ve/<str:method>/", payments.back, name="pay_back"),
]
