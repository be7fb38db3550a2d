"""What every surface needs, built once and lazily: settings, database, the active process map, the clock."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from functools import cached_property

from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.config import Settings
from bot.processes import active_or_default
from knowledge.process_map import ProcessMap
from storage.db import make_engine, migrate, session_scope
from storage.timeutil import Clock, SystemClock


class Runtime:
    """Shared state of one process (CLI run, Slack worker, test).

    ``Runtime.now()`` is the time for everything the program does: coach, digest, importer, Slack
    listeners, process loading. Production uses the real clock; tests pass a ``FixedClock``.
    """

    def __init__(self, settings: Settings | None = None, engine: Engine | None = None, clock: Clock | None = None):
        self.settings = settings or Settings()
        self.clock: Clock = clock or SystemClock()
        if engine is not None:
            self.__dict__["engine"] = engine

    def now(self) -> datetime:
        return self.clock.now()

    @cached_property
    def engine(self) -> Engine:
        engine = make_engine(self.settings.resolved_database_url)
        migrate(engine)
        return engine

    @contextmanager
    def session(self) -> Iterator[Session]:
        with session_scope(self.engine) as session:
            yield session

    @cached_property
    def process(self) -> ProcessMap:
        with self.session() as session:
            return active_or_default(session=session, default_path=self.settings.process_file, now=self.now())

    def reload_process(self) -> ProcessMap:
        self.__dict__.pop("process", None)
        return self.process
