"""What every surface needs, built once and lazily: settings, database, the active process map."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cached_property

from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.config import Settings
from bot.processes import active_or_default
from knowledge.process_map import ProcessMap
from storage.db import make_engine, migrate, session_scope


class Runtime:
    """Shared state of one process (CLI run, Slack worker, test)."""

    def __init__(self, settings: Settings | None = None, engine: Engine | None = None):
        self.settings = settings or Settings()
        if engine is not None:
            self.__dict__["engine"] = engine

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
            return active_or_default(session=session, default_path=self.settings.process_file)

    def reload_process(self) -> ProcessMap:
        self.__dict__.pop("process", None)
        return self.process
