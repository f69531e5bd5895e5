"""Server-to-server addresses of the payment gateways; the project includes them at
path("api/thanh-toan/", include("motcua.api.urls_gateways"))."""

from django.urls import path

from motcua.api import gateways

app_name = "gateways"
urlpatterns = [path("<str:method>/thong-bao/", gateways.notify, name="notify")]
