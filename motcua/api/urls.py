from django.urls import path

from motcua.api.api import api

urlpatterns = [path("", api.urls)]
