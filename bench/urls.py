"""The app's URLs plus the baseline view of the responses benchmark (same server, same middleware)."""

from django.urls import path

from bench import views
from config.urls import urlpatterns as app_urlpatterns

urlpatterns = [
    path("bench/insert-and-send/", views.insert_and_send, name="bench-insert-and-send"),
    *app_urlpatterns,
]
