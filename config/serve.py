"""Start daphne the way Conjunction runs it: `python -m config.serve -b HOST -p PORT`.

It adds the limits every deployment should have (small websocket frames: the browser sends
nothing but pings) and runs daphne's own command line with the rest of the arguments.
"""

import sys

from daphne.cli import CommandLineInterface

WEBSOCKET_LIMITS = ["--websocket-max-message-size", "65536", "--websocket-max-frame-size", "65536"]


def main(argv: list[str]) -> None:
    CommandLineInterface().run([*WEBSOCKET_LIMITS, *argv, "config.asgi:application"])


if __name__ == "__main__":
    main(sys.argv[1:])
