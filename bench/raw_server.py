"""The fan-out limit: a raw `websockets` broadcast server, no Channels, no Django.

    python -m bench.raw_server --port 8765

Every socket but /control gets a greeting and then every broadcast. A message "MARKER SIZE"
on /control broadcasts a fragment of SIZE bytes holding MARKER to all the others.
"""

import argparse
import asyncio

from websockets.asyncio.server import broadcast, serve

from bench.payload import fragment_of_size

CLIENTS = set()


async def handler(connection):
    if connection.request.path == "/control":
        async for message in connection:
            marker, size = message.split()
            broadcast(CLIENTS, fragment_of_size(marker, int(size)))
            await connection.send("sent")
        return
    CLIENTS.add(connection)
    try:
        await connection.send("<div id='state'>connected</div>")
        await connection.wait_closed()
    finally:
        CLIENTS.discard(connection)


async def main(port: int) -> None:
    async with serve(handler, "127.0.0.1", port, compression=None, max_size=None, ping_interval=None) as server:
        await server.serve_forever()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    asyncio.run(main(parser.parse_args().port))
