"""Block Kit checked the way Slack checks it, so the emulator can answer ``invalid_blocks`` as Slack does.

Limits are Slack's documented ones (Block Kit reference: blocks, block elements, composition
objects, surfaces). ``problems`` returns one line per broken rule; an empty list means Slack
would accept the blocks. Lengths are counted in characters, a button's value in UTF-8 bytes.
"""

from __future__ import annotations

from collections import Counter

MESSAGE_BLOCKS = 50
VIEW_BLOCKS = 100
SECTION_TEXT = 3000
SECTION_FIELDS = 10
FIELD_TEXT = 2000
HEADER_TEXT = 150
CONTEXT_ELEMENTS = 10
ACTIONS_ELEMENTS = 25
CONTEXT_ACTIONS_ELEMENTS = 5  # feedback buttons and icon buttons
FEEDBACK_BUTTON_TEXT = 75
FEEDBACK_BUTTON_VALUE = 2000  # characters (the feedback buttons element reference)
ACCESSIBILITY_LABEL = 75
BLOCK_ID = 255
ACTION_ID = 255
BUTTON_TEXT = 75
BUTTON_VALUE_BYTES = 2000
CONFIRM_TITLE = 100
CONFIRM_TEXT = 300
CONFIRM_BUTTON = 30
OPTION_TEXT = 75
OPTION_VALUE = 150
OPTIONS = 100
PLACEHOLDER = 150
INPUT_LABEL = 2000
MODAL_TITLE = 24
MODAL_BUTTON = 24
PRIVATE_METADATA = 3000
CALLBACK_ID = 255
MARKDOWN_TOTAL = 12_000  # the cumulative limit of all markdown blocks' text in one payload
TABLE_ROWS = 100
TABLE_CELLS = 20  # per row; column_settings have the same limit
TABLE_ALIGN = ("left", "center", "right")
TABLES_PER_MESSAGE = 1  # more: invalid_attachments (only_one_table_allowed)


def message_problems(blocks) -> list[str]:
    """What Slack would reject in a message's ``blocks``: the block rules, at most one table, and the
    markdown blocks' cumulative 12,000 characters."""
    found = _blocks_problems(blocks, MESSAGE_BLOCKS)
    if isinstance(blocks, list):
        tables = sum(1 for b in blocks if isinstance(b, dict) and b.get("type") == "table")
        if tables > TABLES_PER_MESSAGE:
            found.append(f"only_one_table_allowed: {tables} tables")
        found += markdown_total_problems(blocks)
    return found


def markdown_total_problems(blocks: list) -> list[str]:
    total = sum(len(b.get("text") or "") for b in blocks if isinstance(b, dict) and b.get("type") == "markdown")
    return [f"markdown blocks hold {total} characters, more than {MARKDOWN_TOTAL}"] if total > MARKDOWN_TOTAL else []


def view_problems(view) -> list[str]:
    """What Slack would reject in a view (modal or App Home)."""
    if not isinstance(view, dict):
        return ["view is not an object"]
    found = _blocks_problems(view.get("blocks") or [], VIEW_BLOCKS)
    if view.get("type") == "modal":
        found += _text("view.title", view.get("title"), MODAL_TITLE, plain_only=True)
        for key in ("submit", "close"):
            if key in view:
                found += _text(f"view.{key}", view[key], MODAL_BUTTON, plain_only=True)
    if len(view.get("private_metadata") or "") > PRIVATE_METADATA:
        found.append(f"view.private_metadata longer than {PRIVATE_METADATA}")
    if len(view.get("callback_id") or "") > CALLBACK_ID:
        found.append(f"view.callback_id longer than {CALLBACK_ID}")
    return found


def _blocks_problems(blocks, limit: int) -> list[str]:
    if not isinstance(blocks, list):
        return ["blocks is not an array"]
    found = []
    if len(blocks) > limit:
        found.append(f"{len(blocks)} blocks, more than {limit}")
    block_ids = Counter(b.get("block_id") for b in blocks if isinstance(b, dict) and b.get("block_id"))
    found += [f"block_id {k!r} used {n} times" for k, n in block_ids.items() if n > 1]
    for i, block in enumerate(blocks):  # Slack: unique "among all other action_ids in the containing block"
        action_ids = Counter(_action_ids(block) if isinstance(block, dict) else [])
        found += [f"blocks[{i}]: action_id {k!r} used {n} times" for k, n in action_ids.items() if n > 1]
    for i, block in enumerate(blocks):
        found += [f"blocks[{i}]: {p}" for p in _block(block)]
    return found


def _action_ids(block: dict) -> list[str]:
    elements = list(block.get("elements") or []) if block.get("type") in ("actions", "context_actions") else []
    for key in ("accessory", "element"):
        if isinstance(block.get(key), dict):
            elements.append(block[key])
    return [e["action_id"] for e in elements if isinstance(e, dict) and e.get("action_id")]


def _block(block) -> list[str]:
    if not isinstance(block, dict):
        return ["not an object"]
    kind, found = block.get("type"), []
    if len(block.get("block_id") or "") > BLOCK_ID:
        found.append(f"block_id longer than {BLOCK_ID}")
    if kind == "section":
        if "text" not in block and "fields" not in block:
            found.append("section without text or fields")
        if "text" in block:
            found += _text("text", block["text"], SECTION_TEXT)
        fields = block.get("fields") or []
        if len(fields) > SECTION_FIELDS:
            found.append(f"more than {SECTION_FIELDS} fields")
        for field in fields:
            found += _text("field", field, FIELD_TEXT)
        if "accessory" in block:
            found += _element(block["accessory"])
    elif kind == "header":
        found += _text("header", block.get("text"), HEADER_TEXT, plain_only=True)
    elif kind == "context":
        elements = block.get("elements") or []
        if not elements or len(elements) > CONTEXT_ELEMENTS:
            found.append(f"context needs 1 to {CONTEXT_ELEMENTS} elements")
        for element in elements:
            if isinstance(element, dict) and element.get("type") in ("mrkdwn", "plain_text"):
                found += _text("context", element, SECTION_TEXT)
    elif kind == "actions":
        elements = block.get("elements") or []
        if not elements or len(elements) > ACTIONS_ELEMENTS:
            found.append(f"actions needs 1 to {ACTIONS_ELEMENTS} elements")
        for element in elements:
            found += _element(element)
    elif kind == "context_actions":
        elements = block.get("elements") or []
        if not elements or len(elements) > CONTEXT_ACTIONS_ELEMENTS:
            found.append(f"context_actions needs 1 to {CONTEXT_ACTIONS_ELEMENTS} elements")
        for element in elements:
            found += _context_action(element)
    elif kind == "input":
        found += _text("label", block.get("label"), INPUT_LABEL, plain_only=True)
        found += _element(block.get("element"))
    elif kind == "markdown":
        if not isinstance(block.get("text"), str) or not block["text"]:
            found.append("markdown block without text")
    elif kind == "table":
        found += _table(block)
    elif kind in ("divider", "image", "rich_text", "file", "video"):
        pass
    else:
        found.append(f"unknown block type {kind!r}")
    return found


def _table(block: dict) -> list[str]:
    """The table block's reference: rows required, at most 100, each at most 20 cells of raw_text or rich_text;
    column_settings at most 20, each with an align of left, center or right and a boolean is_wrapped."""
    rows, found = block.get("rows"), []
    if not isinstance(rows, list) or not rows:
        return ["table without rows"]
    if len(rows) > TABLE_ROWS:
        found.append(f"table has {len(rows)} rows, more than {TABLE_ROWS}")
    for r, row in enumerate(rows):
        if not isinstance(row, list) or not row:
            found.append(f"table row {r} is not a list of cells")
            continue
        if len(row) > TABLE_CELLS:
            found.append(f"table row {r} has {len(row)} cells, more than {TABLE_CELLS}")
        for c, cell in enumerate(row):
            kind = cell.get("type") if isinstance(cell, dict) else None
            if kind == "raw_text":
                if not isinstance(cell.get("text"), str) or not cell["text"]:
                    found.append(f"table cell {r},{c}: raw_text without text")
            elif kind == "rich_text":
                if not isinstance(cell.get("elements"), list) or not cell["elements"]:
                    found.append(f"table cell {r},{c}: rich_text without elements")
            else:
                found.append(f"table cell {r},{c}: type {kind!r} is neither raw_text nor rich_text")
    settings = block.get("column_settings")
    if settings is not None:
        if not isinstance(settings, list) or len(settings) > TABLE_CELLS:
            found.append(f"column_settings must be a list of at most {TABLE_CELLS}")
        else:
            for i, setting in enumerate(settings):
                if setting is None:
                    continue  # null keeps a column's default
                if not isinstance(setting, dict) or setting.get("align", "left") not in TABLE_ALIGN:
                    found.append(f"column_settings[{i}]: align must be one of {TABLE_ALIGN}")
                elif not isinstance(setting.get("is_wrapped", False), bool):
                    found.append(f"column_settings[{i}]: is_wrapped must be a boolean")
    return found


def _element(element) -> list[str]:
    if not isinstance(element, dict):
        return ["element is not an object"]
    kind, found = element.get("type"), []
    if len(element.get("action_id") or "") > ACTION_ID:
        found.append(f"action_id longer than {ACTION_ID}")
    if "placeholder" in element:
        found += _text("placeholder", element["placeholder"], PLACEHOLDER, plain_only=True)
    if kind == "button":
        found += _text("button text", element.get("text"), BUTTON_TEXT, plain_only=True)
        if len((element.get("value") or "").encode()) > BUTTON_VALUE_BYTES:
            found.append(f"button value longer than {BUTTON_VALUE_BYTES} bytes")
        if element.get("style") not in (None, "primary", "danger"):
            found.append("button style must be primary or danger")
    if kind in ("static_select", "multi_static_select", "overflow", "radio_buttons", "checkboxes"):
        options = element.get("options") or []
        if not options or len(options) > OPTIONS:
            found.append(f"needs 1 to {OPTIONS} options")
        for option in options:
            found += _text("option text", (option or {}).get("text"), OPTION_TEXT)
            if len((option or {}).get("value") or "") > OPTION_VALUE:
                found.append(f"option value longer than {OPTION_VALUE}")
    if kind == "plain_text_input" and (element.get("max_length") or 0) > 3000:
        found.append("plain_text_input max_length over 3000")
    if "confirm" in element:
        confirm = element["confirm"] or {}
        found += _text("confirm title", confirm.get("title"), CONFIRM_TITLE, plain_only=True)
        found += _text("confirm text", confirm.get("text"), CONFIRM_TEXT)
        found += _text("confirm button", confirm.get("confirm"), CONFIRM_BUTTON, plain_only=True)
        found += _text("deny button", confirm.get("deny"), CONFIRM_BUTTON, plain_only=True)
    return found


def _context_action(element) -> list[str]:
    """A context actions block holds feedback buttons and icon buttons, nothing else."""
    if not isinstance(element, dict):
        return ["element is not an object"]
    found = []
    if len(element.get("action_id") or "") > ACTION_ID:
        found.append(f"action_id longer than {ACTION_ID}")
    if element.get("type") == "feedback_buttons":
        for key in ("positive_button", "negative_button"):
            half = element.get(key)
            if not isinstance(half, dict):
                found.append(f"feedback_buttons without {key}")
                continue
            found += _text(f"{key} text", half.get("text"), FEEDBACK_BUTTON_TEXT, plain_only=True)
            if not isinstance(half.get("value"), str) or not half["value"]:
                found.append(f"{key} without a value")
            elif len(half["value"]) > FEEDBACK_BUTTON_VALUE:
                found.append(f"{key} value longer than {FEEDBACK_BUTTON_VALUE}")
            if len(half.get("accessibility_label") or "") > ACCESSIBILITY_LABEL:
                found.append(f"{key} accessibility_label longer than {ACCESSIBILITY_LABEL}")
            found += [f"{key}: unknown field {k!r}" for k in half if k not in ("text", "value", "accessibility_label")]
    elif element.get("type") == "icon_button":
        if not element.get("icon"):
            found.append("icon_button without icon")
        found += _text("icon_button text", element.get("text"), BUTTON_TEXT, plain_only=True)
    else:
        found.append(f"{element.get('type')!r} is not allowed in context_actions")
    return found


def _text(where: str, obj, limit: int, *, plain_only: bool = False) -> list[str]:
    if not isinstance(obj, dict) or not isinstance(obj.get("text"), str):
        return [f"{where}: missing text object"]
    if obj.get("type") not in (("plain_text",) if plain_only else ("plain_text", "mrkdwn")):
        return [f"{where}: wrong text type {obj.get('type')!r}"]
    if not obj["text"]:
        return [f"{where}: empty text"]
    if len(obj["text"]) > limit:
        return [f"{where}: {len(obj['text'])} characters, more than {limit}"]
    return []
