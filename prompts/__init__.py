"""Prompt templates live here as plain files; code renders them by name, never inlines them."""

from __future__ import annotations

import string
from functools import cache
from pathlib import Path

PROMPTS_DIR = Path(__file__).resolve().parent


@cache
def load_prompt(name: str) -> string.Template:
    """The template ``prompts/<name>.txt`` (``$variable`` placeholders)."""
    return string.Template((PROMPTS_DIR / f"{name}.txt").read_text(encoding="utf-8"))


def render_prompt(name: str, **variables: str) -> str:
    """Render a template; a missing variable is an error, never silently empty."""
    return load_prompt(name).substitute(**variables)


def prompt_names() -> list[str]:
    return sorted(p.stem for p in PROMPTS_DIR.glob("*.txt"))
