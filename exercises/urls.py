from django.urls import path

from exercises.views import control, live

urlpatterns = [
    path("", live.home, name="home"),
    path("exercises/<int:exercise_id>/", live.console, name="console"),
    path("exercises/<int:exercise_id>/team/", live.team, name="team"),
    path("exercises/<int:exercise_id>/injects/<int:inject_id>/release/", live.release_inject, name="release-inject"),
    path("exercises/<int:exercise_id>/injects/<int:inject_id>/respond/", live.respond, name="respond"),
    path("exercises/<int:exercise_id>/clock/<slug:action>/", live.change_clock, name="change-clock"),
    path("exercises/<int:exercise_id>/speed/", control.set_speed, name="clock-speed"),
    path("exercises/<int:exercise_id>/jump/", control.jump, name="clock-jump"),
    path("exercises/<int:exercise_id>/injects/<int:inject_id>/hold/", control.hold, name="hold-inject"),
    path("exercises/<int:exercise_id>/injects/<int:inject_id>/delay/", control.delay, name="delay-inject"),
    path("exercises/<int:exercise_id>/injects/<int:inject_id>/edit/", control.edit, name="edit-inject"),
    path("exercises/<int:exercise_id>/injects/adhoc/", control.compose, name="compose-inject"),
    path(
        "exercises/<int:exercise_id>/injects/<int:inject_id>/acknowledge/", live.acknowledge, name="acknowledge-inject"
    ),
    path("exercises/<int:exercise_id>/messages/", live.send_message, name="send-message"),
    path("exercises/<int:exercise_id>/delivery/", control.delivery, name="delivery"),
]
