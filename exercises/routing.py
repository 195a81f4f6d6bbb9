from django.urls import path

from exercises import consumers

websocket_urlpatterns = [
    path("ws/exercises/<int:exercise_id>/team/", consumers.TeamSocket.as_asgi(), name="ws-team"),
    path("ws/exercises/<int:exercise_id>/control/", consumers.ControlSocket.as_asgi(), name="ws-control"),
]
