"""What listeners need besides Bolt's own arguments: the runtime and the coach.

A global middleware puts one ``Services`` into every request's context as
``context["services"]``, so listeners stay plain functions of Bolt arguments.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from bot.runtime import Runtime

if TYPE_CHECKING:
    from bot.coach.engine import Coach


class Services:
    """The runtime, and the coach built on first use (loading the embedding model takes seconds)."""

    def __init__(self, runtime: Runtime, coach: Coach | None = None,
                 coach_factory: Callable[[Runtime], Coach] | None = None):
        self.runtime = runtime
        self._coach = coach
        self._factory = coach_factory
        self._lock = threading.Lock()

    @property
    def coach(self) -> Coach:
        if self._coach is None:
            with self._lock:  # many listener threads may ask at once; build one coach
                if self._coach is None:
                    if self._factory is None:
                        from bot.coach.engine import Coach

                        self._factory = Coach.from_runtime
                    self._coach = self._factory(self.runtime)
        return self._coach


def attach(services: Services) -> Callable:
    """A Bolt global middleware that hands ``services`` to every listener."""

    def attach_services(context, next):  # noqa: A002 (Bolt injects arguments by these names)
        context["services"] = services
        return next()

    return attach_services
