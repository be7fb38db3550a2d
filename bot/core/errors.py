"""The few errors Stagecoach raises on purpose; surfaces turn them into clear messages."""

# The base and ConfigError live in the knowledge layer, which may not import the application.
from knowledge.errors import ConfigError, StagecoachError

__all__ = ["AccessDenied", "ConfigError", "InvalidInput", "NotFound", "StagecoachError"]


class NotFound(StagecoachError):
    """Something asked for does not exist — or the asker may not see it; the two read the same."""


class AccessDenied(StagecoachError):
    """The asker may not do this (a rep changing another rep's deal, a rep asking for team figures)."""


class InvalidInput(StagecoachError):
    """Input that fails validation; ``problems`` lists each problem with where it is."""

    def __init__(self, message: str, problems: list[str] | None = None):
        self.problems = problems or []
        super().__init__(message if not self.problems else message + "\n" + "\n".join(self.problems))
