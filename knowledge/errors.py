"""Errors of the knowledge layer. ``bot.core.errors`` builds its hierarchy on them, so surfaces that turn
Stagecoach's errors into messages catch these too."""


class StagecoachError(Exception):
    """Base class: a problem the user can act on, with a message meant for them."""


class ConfigError(StagecoachError):
    """Settings or data that make a command impossible (unknown timezone, missing token...)."""
