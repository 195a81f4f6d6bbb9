"""Every write in Conjunction: one transaction, one audit event, the broadcast after commit."""


class ServiceError(Exception):
    """A write refused for a reason the user should read."""

    status = 400

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class Conflict(ServiceError):
    """The write clashes with the current state (released twice, exercise ended...)."""

    status = 409


def current_exercise(participant):
    """The participant's exercise as stored now: its status and clock, never a stale copy."""
    from exercises.models import Exercise

    return Exercise.objects.get(pk=participant.exercise_id)
