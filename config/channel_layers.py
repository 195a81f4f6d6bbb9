"""The embedded channel layer: Channels' in-memory layer, cleaning up at most once a second.

Channels' InMemoryChannelLayer walks every channel's queue and every group's members on each receive
and each group_send (`_clean_expired`), to drop expired messages and memberships. Each socket waits in
receive again after every message, so a release to 200 sockets, each in its team's and its user's group,
walked ~600 entries 200 times: 18 % of daphne's CPU in the fan-out profile (docs/benchmarks.md). Expiry
is counted in minutes (a message after 60 s, a membership after a day), so cleaning once a second drops
the same things, at most a second later.
"""

import time

from channels.layers import InMemoryChannelLayer


class EmbeddedChannelLayer(InMemoryChannelLayer):
    def __init__(self, *, clean_every: float = 1.0, **config):
        super().__init__(**config)
        self.clean_every = clean_every
        self.cleaned_at = float("-inf")  # time.monotonic() of the last clean-up

    def _clean_expired(self):
        now = time.monotonic()
        if now - self.cleaned_at < self.clean_every:
            return
        self.cleaned_at = now
        super()._clean_expired()
