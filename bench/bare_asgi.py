"""The fan-out baseline: a bare Channels consumer that group_sends a fragment of a given size.

    daphne bench.bare_asgi:application

- ws /ws/bare/sync/   a sync WebsocketConsumer (the kind the app uses): join group "bare-sync"
- ws /ws/bare/async/  an AsyncWebsocketConsumer: join group "bare-async"
- POST /send/?group=bare-sync&marker=M&size=S   group_send S bytes of HTML holding M; 204

Same settings and channel layer as the app (DJANGO_SETTINGS_MODULE=bench.settings), no
database, no auth, no rendering: what is left is Channels' own cost of a group send.
"""

import os
from urllib.parse import parse_qs

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
django.setup()

from asgiref.sync import async_to_sync  # noqa: E402
from channels.generic.websocket import AsyncWebsocketConsumer, WebsocketConsumer  # noqa: E402
from channels.layers import get_channel_layer  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.urls import path  # noqa: E402

from bench.payload import fragment_of_size  # noqa: E402

GROUPS = {"bare-sync", "bare-async"}


class SyncBare(WebsocketConsumer):
    group = "bare-sync"

    def connect(self):
        self.accept()
        async_to_sync(self.channel_layer.group_add)(self.group, self.channel_name)
        self.send(text_data="<div id='state'>connected</div>")

    def disconnect(self, code):
        async_to_sync(self.channel_layer.group_discard)(self.group, self.channel_name)

    def fragment(self, event):
        self.send(text_data=event["html"])


class AsyncBare(AsyncWebsocketConsumer):
    group = "bare-async"

    async def connect(self):
        await self.accept()
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.send(text_data="<div id='state'>connected</div>")

    async def disconnect(self, code):
        await self.channel_layer.group_discard(self.group, self.channel_name)

    async def fragment(self, event):
        await self.send(text_data=event["html"])


async def send_view(scope, receive, send):
    while True:  # drain the request body
        message = await receive()
        if not message.get("more_body"):
            break
    query = parse_qs(scope.get("query_string", b"").decode())
    group = query.get("group", ["bare-sync"])[0]
    status = 404
    if scope["path"] == "/send/" and scope["method"] == "POST" and group in GROUPS:
        html = fragment_of_size(query["marker"][0], int(query.get("size", ["2048"])[0]))
        await get_channel_layer().group_send(group, {"type": "fragment", "html": html})
        status = 204
    await send({"type": "http.response.start", "status": status, "headers": [(b"content-length", b"0")]})
    await send({"type": "http.response.body", "body": b""})


application = ProtocolTypeRouter(
    {
        "http": send_view,
        "websocket": URLRouter(
            [path("ws/bare/sync/", SyncBare.as_asgi()), path("ws/bare/async/", AsyncBare.as_asgi())]
        ),
    }
)
