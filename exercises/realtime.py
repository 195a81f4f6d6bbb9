"""Channel-layer group names and the after-commit send of rendered fragments.

A service renders a fragment once and hands the HTML to `send_after_commit`; every
socket in the group receives the same string. Model instances never enter a message.
"""

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction


def team_group(exercise_id: int, team_code: str) -> str:
    return f"exercise.{exercise_id}.team.{team_code}"


def facilitators_group(exercise_id: int) -> str:
    return f"exercise.{exercise_id}.facilitators"


def evaluators_group(exercise_id: int) -> str:
    return f"exercise.{exercise_id}.evaluators"


def staff_groups(exercise_id: int) -> list[str]:
    """Facilitators and evaluators: they see the whole exercise."""
    return [facilitators_group(exercise_id), evaluators_group(exercise_id)]


def exercise_groups(exercise) -> list[str]:
    """Every group of the exercise: staff plus each participating team."""
    return staff_groups(exercise.pk) + [team_group(exercise.pk, code) for code in exercise.team_codes()]


async def _send_to_groups(groups: list[str], message: dict) -> None:
    layer = get_channel_layer()
    for group in groups:
        await layer.group_send(group, message)


def send_after_commit(groups, html: str) -> None:
    """Queue `html` for each group once the surrounding transaction commits."""
    groups = list(groups)

    def send():
        async_to_sync(_send_to_groups)(groups, {"type": "fragment", "html": html})

    # robust: a channel layer that is down (Redis restarting) must not turn a committed write into an
    # error for the user. The record is in the database; pages resync (consumers.ExerciseSocket.resync).
    transaction.on_commit(send, robust=True)


def render_and_send_once_after_commit(key: str, groups, render) -> None:
    """Render `render()` at commit and send it, once per transaction for this key.

    For views of a whole exercise (the delivery matrix, the sharing matrix): a transaction that
    releases ten injects renders the matrix once, after the last of them, not ten times.
    """
    connection = transaction.get_connection()
    if connection.in_atomic_block and any(
        getattr(callback, "conjunction_key", None) == key for _, callback, _ in connection.run_on_commit
    ):
        return
    groups = list(groups)

    def send():
        async_to_sync(_send_to_groups)(groups, {"type": "fragment", "html": render()})

    send.conjunction_key = key
    transaction.on_commit(send, robust=True)


def user_group(user_id: int) -> str:
    """Every open socket of one user, so that logging out closes them all."""
    return f"user.{user_id}"


def end_user_sockets(sender, request, user, **kwargs):
    """Receiver of Django's user_logged_out: close that user's sockets in every process."""
    if user is not None:
        async_to_sync(get_channel_layer().group_send)(user_group(user.pk), {"type": "session.ended"})
