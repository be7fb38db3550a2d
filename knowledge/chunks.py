"""Turning the process map and the Markdown notes into chunks for the index.

A chunk's id is its ``source`` and ``section``, so it stays the same while the
text under it changes; its ``content_hash`` tells the indexer whether it must
be embedded again.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

from knowledge.process_map import ProcessMap, Stage

if TYPE_CHECKING:
    from knowledge.settings import KnowledgeSettings

log = logging.getLogger(__name__)

KINDS = ("stage", "criterion", "activity", "methodology", "playbook")
NOTE_KINDS = ("methodology", "playbook")
# The local model reads at most 256 word pieces; longer sections are split on paragraphs
# so no text falls outside what the model sees.
MAX_WORDS = 180

_STAGE_HEADING = re.compile(r"^stage:\s*(?P<name>.+)$", re.IGNORECASE)
_FENCE = re.compile(r"^\s*(```|~~~)")


@dataclass(frozen=True)
class Chunk:
    """One passage of knowledge and where it came from.

    ``text`` is what a reader sees; ``heading`` (document title and section) is
    embedded with it so that a passage is found by what it is about.
    """

    source: str
    section: str
    kind: str
    title: str
    text: str
    stage_key: str = ""
    heading: str = ""

    @property
    def id(self) -> str:
        return f"{self.source}#{self.section}"

    @property
    def embed_text(self) -> str:
        return f"{self.heading}\n{self.text}" if self.heading else self.text

    @property
    def content_hash(self) -> str:
        """Changes whenever anything stored for the chunk changes (text or metadata)."""
        payload = json.dumps([self.kind, self.stage_key, self.title, self.section, self.embed_text])
        return hashlib.sha256(payload.encode()).hexdigest()

    def metadata(self) -> dict[str, str]:
        return {
            "kind": self.kind,
            "stage_key": self.stage_key,
            "source": self.source,
            "section": self.section,
            "title": self.title,
            "content_hash": self.content_hash,
        }


def collect_chunks(settings: KnowledgeSettings, process: ProcessMap) -> list[Chunk]:
    """Every chunk of the knowledge: the active map, the methodology notes and the playbooks.

    Sources read ``processes/<file>``, ``methodologies/<path>`` and ``playbooks/<path>``
    (paths relative to their folder), whatever folder the settings point at.
    """
    chunks = process_chunks(process, f"processes/{Path(process.source).name or 'process.yaml'}")
    for folder, prefix, kind in ((settings.methodologies, "methodologies", "methodology"),
                                 (settings.playbooks, "playbooks", "playbook")):
        for path in note_files(folder):
            source = f"{prefix}/{path.relative_to(folder).as_posix()}"
            chunks += markdown_chunks(path, source=source, default_kind=kind, process=process)
    return chunks


def process_chunks(process: ProcessMap, source: str) -> list[Chunk]:
    """One chunk per stage, per exit criterion and per activity of the map."""
    chunks: list[Chunk] = []
    for stage in process.stages:
        chunks.append(Chunk(source, stage.key, "stage", process.name, _stage_text(stage), stage.key))
        for criterion in stage.exit_criteria:
            lines = [f"Exit criterion of the {stage.name} stage: {criterion.text}."]
            supporting = stage.activities_for(criterion.key)
            if supporting:
                lines.append("Activities that move it:")
                lines += [f"- {a.text}" for a in supporting]
            chunks.append(Chunk(source, f"{stage.key}/exit_criteria/{criterion.key}", "criterion", process.name,
                                "\n".join(lines), stage.key))
        for activity in stage.activities:
            lines = [f"Activity in the {stage.name} stage: {activity.text}."]
            supported = [c for c in stage.exit_criteria if c.key in activity.supports]
            if supported:
                lines.append("It moves these exit criteria:")
                lines += [f"- {c.text}" for c in supported]
            chunks.append(Chunk(source, f"{stage.key}/activities/{activity.key}", "activity", process.name,
                                "\n".join(lines), stage.key))
    return chunks


def _stage_text(stage: Stage) -> str:
    lines = [f"Stage: {stage.name} ({stage.key}), expected to take about {stage.expected_days} days."]
    if stage.buyer_state:
        lines.append(f"Buyer state: {stage.buyer_state}")
    if stage.entry:
        lines.append("Entry: " + "; ".join(stage.entry))
    lines.append("Exit criteria (facts the buyer confirmed):")
    lines += [f"- {c.text}" for c in stage.exit_criteria]
    if stage.activities:
        lines.append("Activities:")
        lines += [f"- {a.text}" for a in stage.activities]
    return "\n".join(lines)


def markdown_chunks(path: Path, *, source: str, default_kind: str, process: ProcessMap) -> list[Chunk]:
    """Chunks of one Markdown note, one per ``## `` section (long sections in parts).

    Front matter may give ``title`` and ``kind`` (methodology or playbook). A
    ``## Stage: <Name>`` section belongs to the stage of that name in ``process``, and is left out
    when ``process`` has no such stage.
    """
    meta, body = _front_matter(path.read_text(encoding="utf-8"), source)
    sections = list(_sections(body))
    h1 = next((heading for level, heading, _ in sections if level == 1), None)
    title = str(meta.get("title") or h1 or path.stem.replace("_", " "))
    kind = meta.get("kind") if meta.get("kind") in NOTE_KINDS else default_kind
    chunks: list[Chunk] = []
    seen: set[str] = set()
    for _, heading, text in sections:
        if not text:
            continue
        heading = heading or title
        stage_key = _stage_key(heading, process, source)
        if stage_key is None:  # about a stage this map does not have (e.g. the map before a new one was loaded)
            continue
        parts = _split(text)
        for i, part in enumerate(parts, 1):
            section = heading if len(parts) == 1 else f"{heading} ({i}/{len(parts)})"
            # Two sections with one heading would share an id; number the later ones.
            base, n = section, 2
            while section in seen:
                section, n = f"{base} [{n}]", n + 1
            seen.add(section)
            chunks.append(Chunk(source, section, kind, title, part, stage_key, heading=f"{title} — {heading}"))
    return chunks


def note_files(folder: Path) -> list[Path]:
    """The Markdown files under ``folder`` in a stable order; none when it does not exist."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.rglob("*.md") if p.is_file())


def _front_matter(content: str, source: str) -> tuple[dict, str]:
    if not content.startswith("---"):
        return {}, content
    _, sep, rest = content.partition("\n")
    header, sep, body = rest.partition("\n---")
    if not sep:
        return {}, content
    try:
        meta = yaml.safe_load(header) or {}
    except yaml.YAMLError as exc:
        log.warning("%s: front matter is not valid YAML (%s); using defaults", source, exc)
        meta = {}
    return (meta if isinstance(meta, dict) else {}), body.partition("\n")[2]


def _sections(body: str) -> Iterator[tuple[int, str, str]]:
    """(heading level, heading, text) for the part before the first ``## `` and each ``## `` section."""
    level, heading, lines, in_fence = 1, "", [], False
    for line in body.splitlines():
        if _FENCE.match(line):
            in_fence = not in_fence
        if not in_fence and line.startswith("## "):
            yield level, heading, "\n".join(lines).strip()
            level, heading, lines = 2, line[3:].strip(), []
        elif not in_fence and line.startswith("# ") and level == 1 and not heading:
            heading = line[2:].strip()
        else:
            lines.append(line)
    yield level, heading, "\n".join(lines).strip()


def _stage_key(heading: str, process: ProcessMap, source: str) -> str | None:
    """The key of the stage a ``## Stage: <Name>`` section is about; "" for any other section.

    None for a stage the map does not have: such a section is left out, so advice for a stage that is
    gone (another map's, or one a new map dropped or renamed) is never cited.
    """
    match = _STAGE_HEADING.match(heading)
    if not match:
        return ""
    stage = process.stage_by_name(match["name"])
    if stage is None:
        log.warning("%s: section %r names no stage of the map %r; left out of the index", source, heading, process.name)
        return None
    return stage.key


def _split(text: str) -> list[str]:
    """Paragraph groups of at most ``MAX_WORDS`` words (a longer paragraph stays whole)."""
    parts: list[str] = []
    current: list[str] = []
    words = 0
    for paragraph in re.split(r"\n\s*\n", text):
        count = len(paragraph.split())
        if current and words + count > MAX_WORDS:
            parts.append("\n\n".join(current))
            current, words = [], 0
        current.append(paragraph.strip())
        words += count
    if current:
        parts.append("\n\n".join(current))
    return parts
