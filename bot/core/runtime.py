"""What every surface needs, built once and lazily: settings, database, the active process map, the clock."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from functools import cached_property

from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.core.config import Settings
from bot.core.processes import active_or_default
from knowledge.process_map import ProcessMap
from storage.db import make_engine, migrate, session_scope
from storage.processes import active_process_id
from storage.timeutil import Clock, SystemClock


class Runtime:
    """Shared state of one process (CLI run, Slack worker, test).

    ``Runtime.now()`` is the time for everything the program does: coach, digest, importer, Slack
    listeners, process loading. Production uses the real clock; tests pass a ``FixedClock``.
    """

    def __init__(self, settings: Settings | None = None, engine: Engine | None = None, clock: Clock | None = None):
        self.settings = settings or Settings()
        self.clock: Clock = clock or SystemClock()
        self._process: tuple[int | None, ProcessMap] | None = None  # (active row id, its map)
        if engine is not None:
            self.__dict__["engine"] = engine

    def for_worker(self) -> Runtime:
        """A runtime for a forked worker process: the same settings and clock, its own engine (pooled
        connections must not cross a fork); the parent has migrated the database already."""
        return Runtime(self.settings, engine=make_engine(self.settings.resolved_database_url), clock=self.clock)

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

    @property
    def process(self) -> ProcessMap:
        """The active map, kept per loaded version: after ``process load`` (here or in another process) the next
        read returns the new map, without a restart. Each read costs one indexed lookup of the active row's id."""
        active_id = active_process_id(engine=self.engine)
        cached = self._process
        if cached is not None and active_id is not None and cached[0] == active_id:
            return cached[1]
        with self.session() as session:
            process = active_or_default(session=session, default_path=self.settings.process_file, now=self.now())
        self._process = (active_process_id(engine=self.engine), process)
        return process

    def reload_process(self) -> ProcessMap:
        self._process = None
        return self.process
