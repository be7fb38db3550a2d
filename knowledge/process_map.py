"""The sales process map: typed objects, a YAML loader and its validator.

The validator walks PyYAML's node tree rather than the loaded dicts, so every
problem can name the file, the line and the field (``stages[2].exit_criteria[0].key``).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

SLUG = re.compile(r"^[a-z][a-z0-9_]*$")
RESERVED_STAGE_KEYS = frozenset({"won", "lost"})
DEFAULT_EXPECTED_DAYS = 14
# A map is parsed whenever a process starts: a 5 MB map with 3,000 stages made every command take seconds.
MAX_MAP_BYTES = 256 * 1024
MAX_STAGES = 50

# A criterion that reads like something the seller did, with no buyer as its subject.
_SELLER_ACTIVITY = re.compile(
    r"\b(demo|presentation|proposal|quote|contract|call|meeting|email|deck|follow[- ]?up|outreach|sequence)s?\b"
    r".*\b(done|sent|scheduled|held|completed|delivered|given|booked|made|shared|run)\b"
    r"|^\s*(sent|scheduled|did|completed|delivered|called|emailed|presented|demoed)\b"
    r"|^\s*(we|rep|sales|seller|ae|sdr)\b",
    re.IGNORECASE,
)
_BUYER_SUBJECT = re.compile(
    r"\b(buyer|customer|prospect|champion|client|stakeholders?|economic buyer|decision[- ]maker|"
    r"procurement|legal|they|their|team agreed|signed|sponsor|cfo|ceo|cto|user)s?\b",
    re.IGNORECASE,
)


# CRMs an exit criterion may name a deal property of (``crm_property``), with the form of their property
# names: what write-back sets on the deal when the buyer confirms the criterion. Another CRM adds a line.
CRM_PROPERTY_NAMES = {"hubspot": re.compile(r"^[a-z][a-z0-9_]{0,99}$")}  # HubSpot's internal names


@dataclass(frozen=True)
class Criterion:
    key: str
    text: str
    crm_properties: tuple[tuple[str, str], ...] = ()  # (CRM, property name): set when confirmed

    def crm_property(self, crm: str) -> str | None:
        """The deal property of ``crm`` ("hubspot") that write-back sets when the criterion is confirmed."""
        return dict(self.crm_properties).get(crm)


@dataclass(frozen=True)
class ActivityDef:
    key: str
    text: str
    supports: tuple[str, ...]


# A deal's forecast category, as Salesforce and HubSpot name them (HubSpot's "not forecasted" is omitted).
FORECAST_CATEGORIES = ("commit", "best_case", "pipeline", "omitted")


@dataclass(frozen=True)
class Stage:
    key: str
    name: str
    expected_days: int
    exit_criteria: tuple[Criterion, ...]
    activities: tuple[ActivityDef, ...]
    entry: tuple[str, ...] = ()
    buyer_state: str | None = None
    probability: float | None = None
    forecast_category: str | None = None  # overrides the category its probability gives (bot.pipeline.categories)

    def criterion(self, key: str) -> Criterion | None:
        return next((c for c in self.exit_criteria if c.key == key), None)

    def activities_for(self, criterion_key: str) -> list[ActivityDef]:
        """Activities that move this criterion, in map order."""
        return [a for a in self.activities if criterion_key in a.supports]


@dataclass(frozen=True)
class ProcessMap:
    name: str
    version: int
    stages: tuple[Stage, ...]
    description: str | None = None
    source: str = ""
    checksum: str = ""

    @property
    def stage_keys(self) -> list[str]:
        return [s.key for s in self.stages]

    def stage(self, key: str) -> Stage | None:
        return next((s for s in self.stages if s.key == key), None)

    def index_of(self, key: str) -> int:
        """Position of a stage in the map; -1 when unknown."""
        return next((i for i, s in enumerate(self.stages) if s.key == key), -1)

    def next_stage(self, key: str) -> Stage | None:
        i = self.index_of(key)
        return self.stages[i + 1] if 0 <= i < len(self.stages) - 1 else None

    def stage_by_name(self, text: str) -> Stage | None:
        """A stage by key or display name, ignoring case."""
        wanted = text.strip().lower()
        return next((s for s in self.stages if wanted in (s.key, s.name.lower())), None)


@dataclass(frozen=True)
class Issue:
    """One validation finding; errors block loading, warnings do not."""

    level: str  # "error" or "warning"
    file: str
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.level}: {self.field}: {self.message}"


class ProcessMapError(Exception):
    """A process map that cannot be loaded; ``issues`` lists every error."""

    def __init__(self, issues: list[Issue]):
        self.issues = issues
        super().__init__("\n".join(str(i) for i in issues))


@dataclass
class _Walker:
    file: str
    issues: list[Issue] = field(default_factory=list)

    def error(self, node: Node | None, path: str, message: str) -> None:
        self.issues.append(Issue("error", self.file, _line(node), path, message))

    def warn(self, node: Node | None, path: str, message: str) -> None:
        self.issues.append(Issue("warning", self.file, _line(node), path, message))

    def mapping(self, node: Node, path: str, allowed: set[str], required: set[str]) -> dict[str, Node] | None:
        if not isinstance(node, MappingNode):
            self.error(node, path, "expected a mapping of keys to values")
            return None
        out: dict[str, Node] = {}
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, ScalarNode) else str(key_node)
            where = f"{path}.{key}" if path else key
            if key in out:
                self.error(key_node, where, "key appears twice")
            elif key not in allowed:
                self.error(key_node, where, f"unknown key (allowed: {', '.join(sorted(allowed))})")
            out[key] = value_node
        for key in sorted(required - out.keys()):
            self.error(node, f"{path}.{key}" if path else key, "required key is missing")
        return out

    def text(self, node: Node | None, path: str, *, required: bool = True) -> str | None:
        if node is None:
            return None
        if not isinstance(node, ScalarNode) or node.tag.endswith(":null") or not str(node.value).strip():
            if required or not (isinstance(node, ScalarNode) and node.tag.endswith(":null")):
                self.error(node, path, "expected non-empty text")
            return None
        return str(node.value).strip()

    def slug(self, node: Node | None, path: str) -> str | None:
        value = self.text(node, path)
        if value is not None and not SLUG.match(value):
            self.error(node, path, f"{value!r} is not a lowercase slug (letters, digits, underscores)")
            return None
        return value

    def number(self, node: Node | None, path: str, kind: type, low: float, high: float | None) -> float | None:
        if node is None:
            return None
        value = yaml.safe_load(yaml.serialize(node)) if isinstance(node, ScalarNode) else None
        if isinstance(value, bool) or not isinstance(value, (int, float)) or (kind is int and not isinstance(value, int)):
            self.error(node, path, f"expected {'a whole number' if kind is int else 'a number'}")
            return None
        if value < low or (high is not None and value > high):
            bound = f"between {low} and {high}" if high is not None else f"at least {low}"
            self.error(node, path, f"{value} is out of range ({bound})")
            return None
        return value

    def sequence(self, node: Node | None, path: str) -> list[Node]:
        if node is None:
            return []
        if not isinstance(node, SequenceNode):
            self.error(node, path, "expected a list")
            return []
        return list(node.value)


def _crm_properties(walker: _Walker, node: Node | None, path: str) -> tuple[tuple[str, str], ...]:
    """``crm_property: {hubspot: budget_confirmed}``: per CRM, the deal property set when the criterion is confirmed."""
    if node is None:
        return ()
    fields = walker.mapping(node, path, set(CRM_PROPERTY_NAMES), set())
    found = []
    for crm, value in (fields or {}).items():
        if crm not in CRM_PROPERTY_NAMES:
            continue  # named by ``mapping`` already
        name = walker.text(value, f"{path}.{crm}")
        if name is not None and not CRM_PROPERTY_NAMES[crm].match(name):
            walker.error(value, f"{path}.{crm}", f"{name!r} is not a {crm} property's internal name "
                                                 "(lowercase letters, digits, underscores; see the property's settings)")
        elif name is not None:
            found.append((crm, name))
    if fields is not None and not fields:
        walker.error(node, path, f"name a deal property for at least one CRM ({', '.join(CRM_PROPERTY_NAMES)})")
    return tuple(found)


def _child(node: Node, key: str) -> Node | None:
    if not isinstance(node, MappingNode):
        return None
    return next((v for k, v in node.value if isinstance(k, ScalarNode) and k.value == key), None)


def _line(node: Node | None) -> int:
    return node.start_mark.line + 1 if node is not None else 1


def _looks_like_seller_activity(text: str) -> bool:
    return bool(_SELLER_ACTIVITY.search(text)) and not _BUYER_SUBJECT.search(text)


# libyaml's parser when installed: the same nodes and line marks at a fifth of the pure-Python parser's time,
# which every process pays once to read the active map.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def validate_text(content: str, file: str) -> tuple[ProcessMap | None, list[Issue]]:
    """Validate a process map's YAML text; the map is None when there are errors."""
    walker = _Walker(file)
    try:
        root = yaml.compose(content, Loader=_LOADER)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else 1
        return None, [Issue("error", file, line, "(yaml)", f"not valid YAML: {getattr(exc, 'problem', exc)}")]
    if root is None:
        return None, [Issue("error", file, 1, "(file)", "the file is empty")]
    top = walker.mapping(root, "", {"name", "version", "description", "stages"}, {"name", "version", "stages"})
    if top is None:
        return None, walker.issues
    name = walker.text(top.get("name"), "name")
    version = walker.number(top.get("version"), "version", int, 1, None)
    description = walker.text(top.get("description"), "description", required=False)
    stage_nodes = walker.sequence(top.get("stages"), "stages")
    if len(stage_nodes) > MAX_STAGES:
        walker.error(top["stages"], "stages", f"{len(stage_nodes)} stages; a process map has at most {MAX_STAGES} "
                     "(a sales process has a handful: merge or drop some)")
        return None, walker.issues
    if "stages" in top and len(stage_nodes) < 2:
        walker.error(top["stages"], "stages", "a process needs at least two stages")
    stages = [_stage(walker, node, f"stages[{i}]") for i, node in enumerate(stage_nodes)]
    # Read keys from the nodes, so a duplicate is reported even when that stage has other errors.
    seen: dict[str, int] = {}
    for i, node in enumerate(stage_nodes):
        key_node = _child(node, "key")
        if not isinstance(key_node, ScalarNode):
            continue
        if key_node.value in seen:
            walker.error(key_node, f"stages[{i}].key",
                         f"duplicate stage key {key_node.value!r} (first at stages[{seen[key_node.value]}])")
        seen.setdefault(key_node.value, i)
    if any(i.level == "error" for i in walker.issues) or None in stages:
        return None, walker.issues
    process = ProcessMap(
        name=name or "",
        version=int(version or 1),
        stages=tuple(s for s in stages if s is not None),
        description=description,
        source=file,
        checksum=hashlib.sha256(content.encode()).hexdigest(),
    )
    return process, walker.issues


def _stage(walker: _Walker, node: Node, path: str) -> Stage | None:
    allowed = {"key", "name", "buyer_state", "expected_days", "probability", "forecast_category", "entry",
               "exit_criteria", "activities"}
    fields = walker.mapping(node, path, allowed, {"key", "name", "exit_criteria"})
    if fields is None:
        return None
    before = len([i for i in walker.issues if i.level == "error"])
    key = walker.slug(fields.get("key"), f"{path}.key")
    if key in RESERVED_STAGE_KEYS:
        walker.error(fields["key"], f"{path}.key", f"{key!r} is reserved for closed deals")
    name = walker.text(fields.get("name"), f"{path}.name")
    buyer_state = walker.text(fields.get("buyer_state"), f"{path}.buyer_state", required=False)
    expected = walker.number(fields.get("expected_days"), f"{path}.expected_days", int, 1, 3650)
    probability = walker.number(fields.get("probability"), f"{path}.probability", float, 0, 1)
    category = walker.text(fields.get("forecast_category"), f"{path}.forecast_category", required=False)
    if category and category not in FORECAST_CATEGORIES:
        walker.error(fields["forecast_category"], f"{path}.forecast_category",
                     f"{category!r} is not a forecast category ({', '.join(FORECAST_CATEGORIES)})")
        category = None
    entry = [walker.text(n, f"{path}.entry[{i}]") for i, n in enumerate(walker.sequence(fields.get("entry"), f"{path}.entry"))]

    criteria: list[Criterion] = []
    criterion_nodes = walker.sequence(fields.get("exit_criteria"), f"{path}.exit_criteria")
    if "exit_criteria" in fields and not criterion_nodes:
        walker.error(fields["exit_criteria"], f"{path}.exit_criteria", "a stage needs at least one exit criterion")
    for i, c_node in enumerate(criterion_nodes):
        c_path = f"{path}.exit_criteria[{i}]"
        c_fields = walker.mapping(c_node, c_path, {"key", "text", "crm_property"}, {"key", "text"})
        if c_fields is None:
            continue
        c_key = walker.slug(c_fields.get("key"), f"{c_path}.key")
        c_text = walker.text(c_fields.get("text"), f"{c_path}.text")
        properties = _crm_properties(walker, c_fields.get("crm_property"), f"{c_path}.crm_property")
        if c_key and any(c.key == c_key for c in criteria):
            walker.error(c_fields["key"], f"{c_path}.key", f"duplicate criterion key {c_key!r} in stage {key!r}")
        elif c_key and c_text:
            criteria.append(Criterion(c_key, c_text, properties))
            if _looks_like_seller_activity(c_text):
                walker.warn(
                    c_fields["text"], f"{c_path}.text",
                    f"{c_text!r} reads like a seller activity; phrase it as a fact the buyer confirmed",
                )

    activities: list[ActivityDef] = []
    criterion_keys = {c.key for c in criteria}
    for i, a_node in enumerate(walker.sequence(fields.get("activities"), f"{path}.activities")):
        a_path = f"{path}.activities[{i}]"
        a_fields = walker.mapping(a_node, a_path, {"key", "text", "supports"}, {"key", "text"})
        if a_fields is None:
            continue
        a_key = walker.slug(a_fields.get("key"), f"{a_path}.key")
        a_text = walker.text(a_fields.get("text"), f"{a_path}.text")
        supports: list[str] = []
        for j, s_node in enumerate(walker.sequence(a_fields.get("supports"), f"{a_path}.supports")):
            s_key = walker.text(s_node, f"{a_path}.supports[{j}]")
            if s_key and s_key not in criterion_keys:
                walker.error(s_node, f"{a_path}.supports[{j}]", f"{s_key!r} is not an exit criterion of stage {key!r}")
            elif s_key:
                supports.append(s_key)
        if a_key and any(a.key == a_key for a in activities):
            walker.error(a_fields["key"], f"{a_path}.key", f"duplicate activity key {a_key!r} in stage {key!r}")
        elif a_key and a_text:
            activities.append(ActivityDef(a_key, a_text, tuple(supports)))

    supported = {k for a in activities for k in a.supports}
    for i, criterion in enumerate(criteria):
        if criterion.key not in supported:
            walker.warn(
                criterion_nodes[i], f"{path}.exit_criteria[{i}]",
                f"no activity supports criterion {criterion.key!r}",
            )
    if len([i for i in walker.issues if i.level == "error"]) > before or not (key and name):
        return None
    return Stage(
        key=key,
        name=name,
        expected_days=int(expected) if expected is not None else DEFAULT_EXPECTED_DAYS,
        exit_criteria=tuple(criteria),
        activities=tuple(activities),
        entry=tuple(e for e in entry if e),
        buyer_state=buyer_state,
        probability=float(probability) if probability is not None else None,
        forecast_category=category or None,
    )


def validate_file(path: Path | str) -> tuple[ProcessMap | None, list[Issue]]:
    """Validate a process-map file; unreadable, oversized and non-UTF-8 files are reported as issues too.

    This is the one check of a map file: ``stagecoach process validate`` shows its verdict
    and ``process load`` refuses exactly what it refuses.
    """
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_MAP_BYTES:  # refused before it is read, let alone parsed
            return None, [Issue("error", str(path), 1, "(file)",
                                f"{size / 1024:,.0f} KB; a process map is at most {MAX_MAP_BYTES // 1024} KB "
                                "(a sales process has a handful of stages, each with a few criteria and activities)")]
        raw = path.read_bytes()
    except OSError as exc:
        return None, [Issue("error", str(path), 1, "(file)", f"cannot read: {exc}")]
    try:
        content = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, [_not_utf8(str(path), raw, exc.start)]
    # Newlines as a text-mode read gives them, so the checksums of maps already loaded stay the same.
    return validate_text(content.replace("\r\n", "\n").replace("\r", "\n"), str(path))


def _not_utf8(file: str, raw: bytes, at: int) -> Issue:
    """The first byte that is not UTF-8, by its line and column, and how to re-save the file."""
    line_start = raw.rfind(b"\n", 0, at) + 1
    line = raw.count(b"\n", 0, at) + 1
    column = len(raw[line_start:at].decode("utf-8")) + 1  # in characters: all before ``at`` is UTF-8
    # A UTF-16 file says so in its first two bytes; anything else is most likely a Western 8-bit encoding.
    saved_as, source = ("was saved as UTF-16", "utf-16") if raw[:2] in (b"\xff\xfe", b"\xfe\xff") else (
        "was probably saved as Latin-1 or Windows-1252", "latin1")
    return Issue("error", file, line, "(file)",
                 f"not UTF-8 text: byte 0x{raw[at]:02x} at line {line}, column {column} is not UTF-8 "
                 f"(the file {saved_as}). Save it as UTF-8, e.g. "
                 f"`iconv -f {source} -t utf-8 {file} > {Path(file).stem}.utf8.yaml`, and use that file")


def load_process_map(path: Path | str) -> ProcessMap:
    """Load a process map, raising ``ProcessMapError`` that lists every error."""
    process, issues = validate_file(path)
    if process is None:
        raise ProcessMapError([i for i in issues if i.level == "error"])
    return process


def parse_process_map(content: str, source: str) -> ProcessMap:
    """A process map from YAML text (as kept in the database)."""
    process, issues = validate_text(content, source)
    if process is None:
        raise ProcessMapError([i for i in issues if i.level == "error"])
    return process
