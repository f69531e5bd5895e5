"""Citizen sign-in pages, included at the site root:
path("", include("motcua.portal.urls_auth"))."""

from django.urls import path

from motcua.portal import account, auth

app_name = "citizen"
urlpatterns = [
    path("dang-nhap/", auth.sign_in, name="sign_in"),
    path("dang-nhap/ma/", auth.enter_code, name="code"),
    path("dang-nhap/gui-lai/", auth.resend_code, name="resend"),
    path("dang-nhap/vneid/", auth.vneid_start, name="vneid"),
    path("dang-nhap/vneid/ve/", auth.vneid_callback, name="vneid_callback"),
    path("dang-xuat/", auth.sign_out, name="sign_out"),
    path("dang-nhap/giu-phien/", auth.keepalive, name="keepalive"),
    path("tai-khoan/", account.overview, name="account"),
    path("tai-khoan/lien-lac/", account.contact, name="contact"),
    path("tai-khoan/du-lieu-cua-toi/", account.my_data, name="my_data"),
]
