"""Which file column feeds which field: our own header names, CRM presets, a mapping file and ``--map``."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as dataclass_field
from pathlib import Path

import yaml

from bot.errors import InvalidInput

# Fields of each kind, required ones first; a file's header needs the required ones (after mapping).
FIELDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "reps": (("email", "name"), ("slack_user_id", "role", "team", "manager_email", "timezone", "crm_id")),
    "deals": (
        ("external_id", "name", "owner_email", "stage"),
        ("account", "amount", "created_at", "stage_entered_at", "close_date", "next_followup_at",
         "followup_note", "criteria_met", "status", "next_step", "last_stage", "currency", "pipeline"),
    ),
    "history": (("deal_external_id", "to_stage", "changed_at"), ("from_stage",)),
}

# Usual header names of CRM deal exports, per field, most specific first. Owner columns that hold a name
# rather than an email still work: owners resolve by email, else by a unique rep name.
PRESETS: dict[str, dict[str, tuple[str, ...]]] = {
    "hubspot": {
        "external_id": ("Record ID", "Deal ID", "Deal Record ID", "hs_object_id"),
        "name": ("Deal Name", "dealname"),
        "account": ("Associated Company", "Associated Company (Primary)", "Company Name", "Company"),
        "owner_email": ("Deal owner email", "Deal Owner Email", "Owner Email", "Deal owner", "Deal Owner",
                        "hubspot_owner_id"),
        "stage": ("Deal Stage", "dealstage"),
        "amount": ("Amount", "Amount in company currency", "amount"),
        "currency": ("Currency", "deal_currency_code"),
        "pipeline": ("Pipeline", "pipeline"),
        "created_at": ("Create Date", "Created Date", "createdate"),
        "stage_entered_at": ("Date entered current stage", "Last Stage Change Date"),
        "close_date": ("Close Date", "closedate"),
        "next_followup_at": ("Next Activity Date",),
        "next_step": ("Next Step", "hs_next_step"),
    },
    "salesforce": {  # report exports' labels and the Data Export's API names
        "external_id": ("Opportunity ID", "Opportunity Id", "Id"),
        "name": ("Opportunity Name", "Name"),
        "account": ("Account Name", "AccountId", "Account ID"),  # ids become names with --accounts Account.csv
        "owner_email": ("Owner Email", "Opportunity Owner Email", "Opportunity Owner", "Owner Name", "OwnerId"),
        "stage": ("Stage", "StageName"),
        "amount": ("Amount",),
        "currency": ("Opportunity Currency", "Currency", "CurrencyIsoCode"),
        "created_at": ("Created Date", "CreatedDate"),
        "stage_entered_at": ("Last Stage Change Date", "LastStageChangeDate"),
        "close_date": ("Close Date", "CloseDate"),
        "next_followup_at": ("Next Activity Date",),
        "next_step": ("Next Step", "NextStep"),
    },
}

# The same for reps (Salesforce's User export, HubSpot's users) and stage history (OpportunityHistory).
KIND_PRESETS: dict[str, dict[str, dict[str, tuple[str, ...]]]] = {
    "deals": PRESETS,
    "reps": {
        "salesforce": {"crm_id": ("Id", "User ID"), "email": ("Email",), "name": ("Full Name", "Name"),
                       "timezone": ("TimeZoneSidKey", "Time Zone")},
        "hubspot": {"crm_id": ("Owner ID", "ID", "User ID"), "email": ("Email",), "name": ("Name", "Full Name")},
    },
    "history": {
        "salesforce": {"deal_external_id": ("OpportunityId", "Opportunity ID"), "to_stage": ("StageName", "Stage"),
                       "from_stage": ("From Stage",), "changed_at": ("CreatedDate", "Created Date", "Edit Date")},
    },
}

# Names any export may use, tried after the field's own name.
COMMON_NAMES: dict[str, tuple[str, ...]] = {"amount": ("Total ACV", "ACV"), "currency": ("CurrencyIsoCode",)}


def _norm(header: str) -> str:
    return " ".join(header.replace("\ufeff", "").split()).lower()


@dataclass(frozen=True)
class ColumnMap:
    """Resolved mapping: field -> (column index, header as written in the file)."""

    kind: str
    columns: dict[str, tuple[int, str]]
    ignored: tuple[str, ...]

    def header_of(self, field: str) -> str:
        """The file's header for ``field``, or the field name when the file lacks it (for error messages)."""
        return self.columns[field][1] if field in self.columns else field


def parse_map_options(options: tuple[str, ...] | list[str]) -> dict[str, str]:
    """``COLUMN=FIELD`` options as {column: field}; the last '=' splits, so a header may contain '='.

    Raises:
        InvalidInput: an option is not COLUMN=FIELD.
    """
    pairs: dict[str, str] = {}
    for option in options:
        column, sep, field = option.rpartition("=")
        if not sep or not column.strip() or not field.strip():
            raise InvalidInput(f"--map takes COLUMN=FIELD, got {option!r}")
        pairs[column.strip()] = field.strip()
    return pairs


@dataclass(frozen=True)
class Mapping:
    """A mapping file: which file column feeds which field, and what the file's stage names mean."""

    columns: dict[str, str] = dataclass_field(default_factory=dict)  # file column -> field
    stages: dict[str, str] = dataclass_field(default_factory=dict)  # stage as written in the file -> stage key, won or lost


def load_mapping(path: Path) -> Mapping:
    """Read a YAML mapping file with optional ``columns`` and ``stages`` sections of plain text pairs.

    Raises:
        InvalidInput: the file is unreadable, not YAML, or not shaped like a mapping file.
    """
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise InvalidInput(f"{path}: cannot read the mapping file ({exc.strerror})") from None
    except yaml.YAMLError as exc:
        raise InvalidInput(f"{path}: not valid YAML ({exc})") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise InvalidInput(f"{path}: a mapping file has the sections columns: and stages:")
    problems = [f"unknown section {key!r} (columns, stages)" for key in data if key not in ("columns", "stages")]
    sections: dict[str, dict[str, str]] = {}
    for section in ("columns", "stages"):
        pairs = data.get(section) or {}
        if not isinstance(pairs, dict):
            problems.append(f"{section}: expected 'name in the file: {section[:-1]}' pairs")
            continue
        sections[section] = {}
        for key, value in pairs.items():
            if not isinstance(value, str | int) or isinstance(value, bool) or not str(value).strip():
                problems.append(f"{section}: {key!r} needs a name as its value, got {value!r}")
            else:
                sections[section][str(key).strip()] = str(value).strip()
    if problems:
        raise InvalidInput(f"{path}: not a valid mapping file", problems)
    return Mapping(columns=sections["columns"], stages=sections["stages"])


def resolve_columns(kind: str, header: list[str], *, preset: str | None = None,
                    mapping: dict[str, str] | None = None) -> tuple[ColumnMap | None, list[str]]:
    """Match the file's header to fields: ``mapping`` first, then the preset's names, then field names.

    Header names match ignoring case and repeated spaces. Columns that feed no field are ignored.

    Returns:
        The map (None when a required field has no column) and the problems found.
    """
    required, optional = FIELDS[kind]
    known = set(required) | set(optional)
    positions: dict[str, int] = {}
    for i, name in enumerate(header):
        positions.setdefault(_norm(name), i)
    problems: list[str] = []
    if preset is not None and preset not in PRESETS:
        problems.append(f"unknown preset {preset!r}; known: {', '.join(PRESETS)}")
    elif preset is not None and kind != "deals":
        problems.append(f"presets describe CRM deal exports; --preset does not apply to {kind}")
    columns: dict[str, tuple[int, str]] = {}
    for column, field in (mapping or {}).items():
        if field not in known:
            problems.append(f"--map {column}={field}: {field!r} is not a {kind} field ({', '.join(sorted(known))})")
        elif _norm(column) not in positions:
            problems.append(f"--map {column}={field}: no column {column!r} in the header ({', '.join(header)})")
        elif field in columns:
            problems.append(f"--map names two columns for {field!r}")
        else:
            index = positions[_norm(column)]
            columns[field] = (index, header[index])
    aliases = PRESETS.get(preset or "", {}) if kind == "deals" else {}
    taken = {index for index, _ in columns.values()}
    for field in (*required, *optional):
        if field in columns:
            continue
        for name in (*aliases.get(field, ()), field):
            index = positions.get(_norm(name))
            if index is not None and index not in taken:
                columns[field] = (index, header[index])
                taken.add(index)
                break
    missing = [f for f in required if f not in columns]
    if missing:
        problems.append(f"missing required column(s) {', '.join(missing)}; the file's header is: {', '.join(header)}"
                        + ("" if preset or mapping else " (use --map COLUMN=FIELD or --preset for a CRM export)"))
    if problems:
        return None, problems
    ignored = tuple(name for i, name in enumerate(header) if i not in taken and name.strip())
    return ColumnMap(kind, columns, ignored), []
