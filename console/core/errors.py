"""The one way to say no: `Refused` carries a Japanese message shown to the user as is."""


class Refused(Exception):
    """A command or request that changes nothing. `message` is Japanese and shown as is."""

    def __init__(self, message: str, *, status: int = 422) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
