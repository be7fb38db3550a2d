"""What an import is told beyond its source: default owner, skipped rep rows, currencies, account names, dry run."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import NamedTuple

from bot.core.errors import InvalidInput
from bot.importer.csvfile import DEFAULT_ENCODING
from storage.timeutil import zone

CURRENCY_CODE = re.compile(r"^[A-Z]{3}$")


@dataclass(frozen=True)
class ImportOptions:
    """What a source's rows cannot say themselves, and how to run the import.

    Attributes:
        default_owner: email or CRM id of the rep who owns deals whose owner is empty or unknown.
        skip_invalid: reps whose row has a problem are skipped and counted instead of rejecting the file.
        currency: the company currency: every stored amount is in it (None: the setting's).
        rates: {currency: value of one unit in the company currency}; without one, another currency is an error.
        accounts: {account id: account name}, for exports that name accounts by id (Salesforce AccountId).
        pipeline: only rows of this pipeline are imported (HubSpot exports every pipeline's deals).
        now: the import's time (follow-ups and checks it creates; stage entries the source does not date);
            None: the runtime's clock.
        dry_run: check and count everything, write nothing.
    """

    default_owner: str | None = None
    skip_invalid: bool = False
    currency: str | None = None  # None: the company currency setting (STAGECOACH_CURRENCY)
    rates: dict[str, Decimal] = field(default_factory=dict)
    accounts: dict[str, str] = field(default_factory=dict)
    pipeline: str | None = None
    rates_file: str = "--rates"
    now: datetime | None = None
    dry_run: bool = False


class Tally(NamedTuple):
    """Something a checked row did that the import's summary counts (a row skipped, a default owner...).

    Travels with the records of a batch, so it reaches the writer even when a child process checked the rows.
    """

    note: str


def check_timezone(name: str) -> str:
    try:
        zone(name)
    except ValueError:
        raise InvalidInput(f"--timezone: unknown time zone {name!r} (an IANA name such as America/New_York)") from None
    return name


def load_rates(path: Path, currency: str) -> dict[str, Decimal]:
    """A rates file: CSV with columns ``currency,rate``, the rate being one unit's value in ``currency``.

    Raises:
        InvalidInput: unreadable, or a row is not a currency code and a positive number.
    """
    problems: list[str] = []
    rates: dict[str, Decimal] = {}
    for line, row in _csv_rows(path, "--rates", ("currency", "rate")):
        code, rate_text = row["currency"].strip().upper(), row["rate"].strip()
        try:
            rate = Decimal(rate_text)
        except InvalidOperation:
            rate = Decimal(0)
        if not CURRENCY_CODE.match(code):
            problems.append(f"line {line}: {row['currency']!r} is not a currency code")
        elif not rate.is_finite() or rate <= 0:
            problems.append(f"line {line}: rate {rate_text!r} is not a positive number")
        else:
            rates[code] = rate
    if problems:
        raise InvalidInput(f"--rates {path}: not a valid rates file", problems)
    rates[currency] = Decimal(1)
    return rates


def load_accounts(path: Path, encoding: str = DEFAULT_ENCODING) -> dict[str, str]:
    """Account id -> name from a Salesforce Account export (columns ``Id`` and ``Name``)."""
    return {row["id"].strip(): row["name"].strip() for _, row in _csv_rows(path, "--accounts", ("id", "name"), encoding)
            if row["id"].strip()}


def _csv_rows(path: Path, option: str, needed: tuple[str, ...], encoding: str = DEFAULT_ENCODING):
    try:
        with open(path, encoding=encoding, newline="") as handle:
            reader = csv.reader(handle)
            header = [name.strip().lower() for name in next(reader, [])]
            missing = [name for name in needed if name not in header]
            if missing:
                raise InvalidInput(f"{option} {path}: needs the columns {', '.join(needed)}; "
                                   f"its header is: {', '.join(header)}")
            index = {name: header.index(name) for name in needed}
            rows = list(reader)
    except OSError as exc:
        raise InvalidInput(f"{option} {path}: cannot read the file ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise InvalidInput(f"{option} {path}: not {encoding} text; say which encoding with --encoding") from None
    for offset, values in enumerate(rows, 2):
        if any(v.strip() for v in values):
            values = values + [""] * (len(header) - len(values))
            yield offset, {name: values[i] for name, i in index.items()}
