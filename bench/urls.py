"""The app's URLs plus the benchmarks' baseline views (same server, same middleware)."""

from django.urls import path

from bench import views
from config.urls import urlpatterns as app_urlpatterns

urlpatterns = [
    path("bench/insert-and-send/", views.insert_and_send, name="bench-insert-and-send"),
    path("bench/propagate/<int:object_id>/", views.propagate_one, name="bench-propagate-one"),
    path("bench/rows/", views.rows_json, name="bench-rows-json"),
    *app_urlpatterns,
]
