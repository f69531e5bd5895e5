from django.urls import path

from motcua.portal import tracking, views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("tim-kiem/", views.search, name="search"),
    path("thu-tuc/<str:code>/", views.procedure_detail, name="procedure"),
    path("tra-cuu/", tracking.track, name="track"),
]
