"""What listeners need besides Bolt's own arguments: the runtime and the coach.

A global middleware puts one ``Services`` into every request's context as
``context["services"]``, so listeners stay plain functions of Bolt arguments.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from slack_bolt import BoltRequest, BoltResponse
from slack_bolt.middleware import Middleware

from bot.core.runtime import Runtime
from bot.service.coaching import DealPlanAnswer, ask, deal_plan_answer
from bot.slack.priority import ACKS

logger = logging.getLogger(__name__)

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

    def warm_up(self) -> None:
        """Build the coach and load its model in the background, so the first question is answered at once."""
        try:
            self.coach.warm_up()
        except Exception:  # the first question will load it again and report the problem to the person
            logger.exception("warming up the coach failed")

    def ask(self, viewer, question: str, **options):
        """``bot.service.coaching.ask``, once the requests in flight are acknowledged (answers are the heavier work)."""
        ACKS.wait_for_acks()
        return ask(self.coach, viewer, question, **options)

    def deal_plan(self, viewer, **options) -> DealPlanAnswer:
        """A deal's plan for a button (``bot.service.coaching.deal_plan_answer``), once requests in flight are
        acknowledged."""
        ACKS.wait_for_acks()
        return deal_plan_answer(self.coach, viewer, **options)


class AttachServices(Middleware):
    """A Bolt global middleware that hands ``services`` to every listener (a class: no argument injection per request)."""

    def __init__(self, services: Services):
        self.services = services

    def process(self, *, req: BoltRequest, resp: BoltResponse, next: Callable[[], BoltResponse]) -> BoltResponse:  # noqa: A002
        req.context["services"] = self.services
        return next()
