"""Which file column feeds which field: our own header names, CRM presets, a mapping file and ``--map``."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as dataclass_field
from pathlib import Path

import yaml

from bot.core.errors import InvalidInput

# Fields of each kind, required ones first; a file's header needs the required ones (after mapping).
FIELDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "reps": (("email", "name"), ("slack_user_id", "role", "team", "manager_email", "timezone", "crm_id",
                                 "user_type", "username")),  # (the last two: only to tell people from system users)
    "deals": (
        ("external_id", "name", "owner_email", "stage"),
        ("account", "amount", "created_at", "stage_entered_at", "close_date", "next_followup_at",
         "followup_note", "criteria_met", "status", "next_step", "last_stage", "currency", "pipeline",
         "forecast_category"),
    ),
    # A row changes the stage (to_stage), or a close date or amount: a ``field`` column naming it with
    # old_value/new_value, or close_date/amount columns carrying the value after each row's edit.
    "history": (("deal_external_id", "changed_at"),
                ("to_stage", "from_stage", "field", "old_value", "new_value", "close_date", "amount")),
    "targets": (("period", "amount"), ("rep", "team")),  # a rep (email or name) or a team, per row
}

# Kinds whose header needs one of several groups of columns: (groups, what to say when none is there).
ONE_OF: dict[str, tuple[tuple[tuple[str, ...], ...], str]] = {
    "history": ((("to_stage",), ("field", "new_value"), ("close_date",), ("amount",)),
                "to_stage (or field and new_value, or close_date or amount, for close-date and amount changes)"),
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
        "forecast_category": ("Forecast category", "hs_manual_forecast_category", "hs_forecast_category"),
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
        "forecast_category": ("Forecast Category", "ForecastCategoryName"),
    },
}

# The same for reps (Salesforce's User export, HubSpot's users) and stage history (OpportunityHistory).
KIND_PRESETS: dict[str, dict[str, dict[str, tuple[str, ...]]]] = {
    "deals": PRESETS,
    "reps": {
        "salesforce": {"crm_id": ("Id", "User ID"), "email": ("Email",), "name": ("Full Name", "Name"),
                       "timezone": ("TimeZoneSidKey", "Time Zone"), "user_type": ("UserType", "User Type"),
                       "username": ("Username", "User Name")},
        "hubspot": {"crm_id": ("Owner ID", "ID", "User ID"), "email": ("Email",), "name": ("Name", "Full Name")},
    },
    "history": {
        "salesforce": {"deal_external_id": ("OpportunityId", "Opportunity ID"), "to_stage": ("StageName", "Stage"),
                       "from_stage": ("From Stage",), "changed_at": ("CreatedDate", "Created Date", "Edit Date"),
                       "close_date": ("CloseDate", "Close Date"), "amount": ("Amount",)},
    },
}

# Names a preset builds from two columns when the file has no column for the field: Salesforce's Data
# Export writes User.csv with FirstName and LastName and no Name.
PRESET_JOINS: dict[str, dict[str, dict[str, tuple[str, str]]]] = {
    "reps": {"salesforce": {"name": ("FirstName", "LastName")}},
}

# The CRMs' own stage names (HubSpot's default pipeline by label and internal id, Salesforce's standard
# stages) as stages of the shipped map; a name whose stage the active map lacks is left out.
PRESET_STAGES: dict[str, dict[str, str]] = {
    "hubspot": {
        "Appointment Scheduled": "connect", "appointmentscheduled": "connect",
        "Qualified To Buy": "discover", "qualifiedtobuy": "discover",
        "Presentation Scheduled": "validate", "presentationscheduled": "validate",
        "Decision Maker Bought-In": "validate", "decisionmakerboughtin": "validate",
        "Contract Sent": "commit", "contractsent": "commit",
        "Closed Won": "won", "closedwon": "won", "Closed Lost": "lost", "closedlost": "lost",
    },
    "salesforce": {
        "Prospecting": "prospect", "Qualification": "connect", "Needs Analysis": "discover",
        "Value Proposition": "validate", "Id. Decision Makers": "validate", "Perception Analysis": "validate",
        "Proposal/Price Quote": "propose", "Negotiation/Review": "commit",
        "Closed Won": "won", "Closed Lost": "lost",
    },
}


def preset_stages(preset: str | None, stage_keys: list[str]) -> dict[str, str]:
    """The preset's stage names whose stage the active map has (won and lost always)."""
    return {name: key for name, key in PRESET_STAGES.get(preset or "", {}).items()
            if key in stage_keys or key in ("won", "lost")}


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
    joins: tuple[tuple[str, str], ...] = ()  # (field, extra column's key): the field's text is both, joined
    preset: str | None = None  # the CRM whose export this is (its users and amounts get that CRM's rules)

    def join(self, values: dict[str, str]) -> dict[str, str]:
        """``values`` with each joined field's parts put together ("Ann" + "Archer" -> "Ann Archer")."""
        for field, extra in self.joins:
            values[field] = " ".join(filter(None, (values[field], values.pop(extra))))
        return values

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
        if column.strip() in pairs:
            raise InvalidInput(f"--map names column {column.strip()!r} twice; to feed two fields from it, "
                               f"write --map '{column.strip()}={pairs[column.strip()]},{field.strip()}'")
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
        raise InvalidInput(f"--mapping {path}: cannot read the mapping file ({exc.strerror})") from None
    except yaml.YAMLError as exc:
        raise InvalidInput(f"--mapping {path}: not valid YAML ({exc})") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise InvalidInput(f"--mapping {path}: a mapping file has the sections columns: and stages:")
    problems = [f"unknown section {key!r} (columns, stages)" for key in data if key not in ("columns", "stages")]
    sections: dict[str, dict[str, str]] = {}
    for section in ("columns", "stages"):
        pairs = data.get(section) or {}
        if not isinstance(pairs, dict):
            problems.append(f"{section}: expected 'name in the file: {section[:-1]}' pairs")
            continue
        sections[section] = {}
        for key, value in pairs.items():
            if section == "columns" and isinstance(value, list) and value and all(isinstance(v, str) for v in value):
                value = ",".join(value)  # one column feeding several fields
            if not isinstance(value, str | int) or isinstance(value, bool) or not str(value).strip():
                problems.append(f"{section}: {key!r} needs a name as its value, got {value!r}")
            else:
                sections[section][str(key).strip()] = str(value).strip()
    if problems:
        raise InvalidInput(f"--mapping {path}: not a valid mapping file", problems)
    return Mapping(columns=sections["columns"], stages=sections["stages"])


def resolve_columns(kind: str, header: list[str], *, preset: str | None = None,
                    mapping: dict[str, str] | None = None, file_mapping: dict[str, str] | None = None,
                    mapping_name: str = "--mapping", optional: tuple[str, ...] = ()
                    ) -> tuple[ColumnMap | None, list[str]]:
    """Match the file's header to fields: ``mapping`` (``--map``) first, then ``file_mapping`` (the
    mapping file), then the preset's names, then field names (and names any export uses, like ACV).

    A mapping's field may be several, comma-separated (one column feeding two fields), and its column
    two joined by '+' (a name built from two columns). Header names match ignoring case and repeated
    spaces. Columns that feed no field are ignored. ``optional``: required fields the caller can do
    without (a deals file without owners, given a default owner).

    Returns:
        The map (None when a required field has no column) and the problems found.
    """
    required, optional_fields = FIELDS[kind]
    required = tuple(f for f in required if f not in optional)
    known = set(required) | set(optional_fields) | set(optional)
    positions: dict[str, int] = {}
    for i, name in enumerate(header):
        positions.setdefault(_norm(name), i)
    problems: list[str] = []
    presets = KIND_PRESETS.get(kind, {})
    if preset is not None and preset not in presets:
        problems.append(f"unknown preset {preset!r} for {kind}; known: {', '.join(presets) or 'none'}")
    columns: dict[str, tuple[int, str]] = {}
    joins: list[tuple[str, str]] = []
    given = [(f"--map {column}={fields}", column, fields) for column, fields in (mapping or {}).items()]
    overridden = {field.strip() for _, _, fields in given for field in fields.split(",")}
    from_file = [(f"{mapping_name}: {column}: {fields}", column, fields)
                 for column, fields in (file_mapping or {}).items()]
    wrong_kind = _other_kind(kind, [fields for _, _, fields in from_file])
    if wrong_kind:
        problems.append(f"{mapping_name}: its columns name {wrong_kind} fields, not {kind} fields "
                        f"({', '.join(sorted(known))}); write a mapping file for the {kind} file")
        from_file = []
    for label, column, fields in given + from_file:
        for field in (f.strip() for f in fields.split(",")):
            if label.startswith(mapping_name) and field in overridden:
                continue  # --map sets this field
            parts = [part.strip() for part in column.split("+")] if _norm(column) not in positions else [column]
            if field not in known:
                problems.append(f"{label}: {field!r} is not a {kind} field ({', '.join(sorted(known))})")
            elif missing := [part for part in parts if _norm(part) not in positions]:
                problems.append(f"{label}: no column {missing[0]!r} in the header ({', '.join(header)})")
            elif field in columns:
                problems.append(f"{label}: {field!r} already comes from column {columns[field][1]!r}")
            else:
                index = positions[_norm(parts[0])]
                columns[field] = (index, header[index])
                for n, part in enumerate(parts[1:], 2):
                    index = positions[_norm(part)]
                    columns[f"{field}+{n}"] = (index, header[index])
                    joins.append((field, f"{field}+{n}"))
    aliases = presets.get(preset or "", {})
    taken = {index for index, _ in columns.values()}
    for field in (*required, *optional, *optional_fields):
        if field in columns:
            continue
        for name in (*aliases.get(field, ()), field, *COMMON_NAMES.get(field, ())):
            index = positions.get(_norm(name))
            if index is not None and index not in taken:
                columns[field] = (index, header[index])
                taken.add(index)
                break
    for field, parts in PRESET_JOINS.get(kind, {}).get(preset or "", {}).items():
        indexes = [positions.get(_norm(part)) for part in parts]
        if field in columns or None in indexes or taken & set(indexes):
            continue
        columns[field] = (indexes[0], header[indexes[0]])
        for n, index in enumerate(indexes[1:], 2):
            columns[f"{field}+{n}"] = (index, header[index])
            joins.append((field, f"{field}+{n}"))
        taken.update(indexes)
    used, first_at = {index for index, _ in columns.values()}, {}
    for i, name in enumerate(header):
        first = first_at.setdefault(_norm(name), i)
        if first != i and first in used:  # a repeated column that feeds nothing is only ignored
            problems.append(f"column {name!r} appears twice in the header (columns {first + 1} and {i + 1}); "
                            "rename or remove one, so it is clear which to read")
    missing = [f for f in required if f not in columns]
    groups, needed = ONE_OF.get(kind, ((), ""))
    if groups and not any(all(f in columns for f in group) for group in groups):
        missing.append(needed)
    if missing:
        hint = "" if preset or mapping or file_mapping else (
            " (use --map COLUMN=FIELD" + (f", or --preset {' or '.join(presets)} for a CRM export)" if presets else ")"))
        problems.append(f"missing required column(s) {', '.join(missing)}; the file's header is: {', '.join(header)}"
                        + hint)
    if problems:
        return None, problems
    ignored = tuple(name for i, name in enumerate(header) if i not in taken and name.strip())
    return ColumnMap(kind, columns, ignored, tuple(joins), preset), []


def _other_kind(kind: str, fields_given: list[str]) -> str | None:
    """The kind a mapping file was written for, when none of its fields is one of ``kind``'s."""
    names = {field.strip() for fields in fields_given for field in fields.split(",")}
    if not names or names & set(FIELDS[kind][0] + FIELDS[kind][1]):
        return None
    for other, (required, optional) in FIELDS.items():
        if other != kind and names <= set(required + optional):
            return other
    return None
