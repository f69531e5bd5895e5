from django.urls import path

from motcua.backoffice import assisted, outbox, payments, reports, views

app_name = "backoffice"
urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("dang-nhap/", views.login_view, name="login"),
    path("dang-xuat/", views.logout_view, name="logout"),
    path("xac-thuc-hai-buoc/", views.totp_enrol, name="totp_enrol"),
    path("don-vi/", views.switch_agency, name="switch_agency"),
    path("tim-kiem/", views.search, name="search"),
    path("so-theo-doi.pdf", views.tracking_register, name="tracking_register"),
    path("tiep-nhan/", views.counter_pick, name="counter"),
    path("tiep-nhan/<str:procedure>/", views.counter_form, name="counter_form"),
    path(
        "tiep-nhan/<str:procedure>/khong-tiep-nhan/",
        views.counter_walk_in_slip,
        name="counter_walk_in_slip",
    ),
    path("nop-giup/", assisted.assisted_home, name="assisted"),
    path("thong-bao/", outbox.failures, name="notifications_failed"),
    path("thong-bao/<int:pk>/gui-lai/", outbox.retry, name="notification_retry"),
    path("hoan-tien/", payments.refunds, name="refunds"),
    path("doi-soat/", payments.reconciliation, name="reconciliation"),
    path("bao-cao/", reports.overview, name="reports"),
    path("bao-cao/don-vi/<str:code>/", reports.unit, name="report_unit"),
    path("bao-cao/thu-tuc/<str:code>/", reports.procedure, name="report_procedure"),
    path("bao-cao/ho-so/", reports.dossiers, name="report_dossiers"),
    path("bao-cao/ke-hoach/", reports.plans, name="report_plans"),
    path("bao-cao/ke-hoach/moi/", reports.plan_edit, name="report_plan_new"),
    path("bao-cao/ke-hoach/<int:pk>/", reports.plan_edit, name="report_plan_edit"),
    path("ho-so/<str:code>/", views.dossier_detail, name="dossier"),
    path("ho-so/<str:code>/phi/thu-tai-quay/", payments.counter, name="bill_counter"),
    path("ho-so/<str:code>/phi/mien-giam/", payments.exemption, name="bill_exemption"),
    path(
        "ho-so/<str:code>/bien-lai/<str:series>-<int:number>.pdf",
        payments.receipt,
        name="bill_receipt",
    ),
    path("ho-so/<str:code>/xu-ly/", views.dossier_action, name="dossier_action"),
    path("ho-so/<str:code>/giay-to/<int:paper_id>/", views.dossier_paper, name="dossier_paper"),
    path("ho-so/<str:code>/phieu/<str:form>.pdf", views.dossier_slip, name="dossier_slip"),
    path("ho-so/<str:code>/ket-qua/", views.dossier_result_upload, name="dossier_result_upload"),
    path("ho-so/<str:code>/ket-qua.pdf", views.dossier_result, name="dossier_result"),
]
