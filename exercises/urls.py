from django.urls import path

from exercises.views import live

urlpatterns = [
    path("", live.home, name="home"),
    path("exercises/<int:exercise_id>/", live.console, name="console"),
    path("exercises/<int:exercise_id>/team/", live.team, name="team"),
    path("exercises/<int:exercise_id>/injects/<int:inject_id>/release/", live.release_inject, name="release-inject"),
    path("exercises/<int:exercise_id>/injects/<int:inject_id>/respond/", live.respond, name="respond"),
    path("exercises/<int:exercise_id>/clock/<slug:action>/", live.change_clock, name="change-clock"),
]
