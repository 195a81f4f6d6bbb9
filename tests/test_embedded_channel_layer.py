"""The embedded (in-memory) channel layer cleans up at most once a second, and still drops a socket that
stopped reading from its groups once its messages expire."""

import asyncio

from config.channel_layers import EmbeddedChannelLayer


def fragment(html: str) -> dict:
    return {"type": "fragment", "html": html}


def test_a_socket_that_stopped_reading_leaves_its_groups_at_the_next_clean_up_after_its_message_expired():
    async def scenario():
        layer = EmbeddedChannelLayer(expiry=0.05, clean_every=1.0)
        stalled, live = await layer.new_channel(), await layer.new_channel()
        for channel in (stalled, live):
            await layer.group_add("exercise.1.team.USA", channel)
        await layer.group_send("exercise.1.team.USA", fragment("first"))  # cleans up: nothing has expired
        assert await layer.receive(live) == fragment("first")
        await asyncio.sleep(0.1)  # the stalled socket's message has expired

        await layer.group_send("exercise.1.team.USA", fragment("second"))
        assert stalled in layer.groups["exercise.1.team.USA"], "within a second of the last clean-up: not walked again"
        assert await layer.receive(live) == fragment("second")
        await asyncio.sleep(1.0)

        await layer.group_send("exercise.1.team.USA", fragment("third"))
        assert stalled not in layer.groups["exercise.1.team.USA"]
        assert await layer.receive(live) == fragment("third")

    asyncio.run(scenario())
