from django.urls import path

from motcua.notifications import views

app_name = "notifications"
urlpatterns = [
    path("", views.failures, name="failures"),
    path("<int:pk>/gui-lai/", views.retry, name="retry"),
]
