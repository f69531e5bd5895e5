from django.urls import path

from motcua.portal import mine, tracking, views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("tim-kiem/", views.search, name="search"),
    path("thu-tuc/<str:code>/", views.procedure_detail, name="procedure"),
    path("tra-cuu/", tracking.track, name="track"),
    path("ngon-ngu/<str:code>/", views.switch_language, name="language"),
    # The short link in SMS (motcua.dossiers.models.short_token_pk): no trailing slash,
    # every character counts in a text message.
    path("h/<str:token>", mine.short_link, name="short"),
]
