from django.urls import path

from exercises import views

urlpatterns = [
    path("", views.home, name="home"),
    path("exercises/<int:exercise_id>/", views.console, name="console"),
    path("exercises/<int:exercise_id>/team/", views.team, name="team"),
    path("exercises/<int:exercise_id>/injects/<int:inject_id>/release/", views.release_inject, name="release-inject"),
    path("exercises/<int:exercise_id>/injects/<int:inject_id>/respond/", views.respond, name="respond"),
    path("exercises/<int:exercise_id>/clock/<slug:action>/", views.change_clock, name="change-clock"),
]
