"""The LLM layer: build the chat model, word an answer, and refuse answers that leave their facts.

The LLM never decides anything: it words facts the engine computed. An answer is
rejected when it cites a source it was not given or names a deal or criterion
outside its context; after one retry the caller falls back to the composer.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass

import openai
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage, SystemMessage

from bot.config import Settings

logger = logging.getLogger(__name__)

ATTEMPTS = 2  # the first try and one retry
_TAG = re.compile(r"\[S(\d+)\]")


def make_chat_model(settings: Settings) -> BaseChatModel | None:
    """LangChain's ChatOpenAI when ``OPENAI_API_KEY`` is set (any OpenAI-compatible server via
    ``OPENAI_BASE_URL``); None means the deterministic composer answers."""
    if not settings.llm_enabled:
        return None
    from langchain_openai import ChatOpenAI  # imported lazily: the composer mode never needs it

    return ChatOpenAI(
        model=settings.llm_model,
        api_key=settings.openai_api_key,
        base_url=settings.openai_base_url,
        timeout=settings.llm_timeout,
        max_retries=0,  # retries are ours, so a failure falls back to the composer in bounded time
        temperature=0.2,
    )


@dataclass(frozen=True)
class Grounding:
    """What an answer may refer to: its source tags, and terms it must not mention."""

    source_count: int
    forbidden: frozenset[str]  # lowercased names of other deals and keys/texts of criteria outside the context

    def problems(self, text: str) -> list[str]:
        found = []
        for tag in _TAG.findall(text):
            if not 1 <= int(tag) <= self.source_count:
                found.append(f"cites [S{tag}], which it was not given")
        lowered = text.lower()
        found += [f"mentions {term!r}, which is outside its context" for term in sorted(self.forbidden) if term in lowered]
        return found


def word_answer(chat_model: BaseChatModel, *, system: str, user: str, grounding: Grounding,
                on_delta: Callable[[str], None] | None = None) -> str | None:
    """The model's wording of an answer, or None when every attempt failed or left its facts.

    Only the first attempt streams to ``on_delta``: a retry's text replaces it whole
    (the surface shows the returned text as final).
    """
    messages = [SystemMessage(system), HumanMessage(user)]
    for attempt in range(1, ATTEMPTS + 1):
        try:
            if on_delta is not None and attempt == 1:
                pieces = []
                for chunk in chat_model.stream(messages):
                    piece = chunk.content if isinstance(chunk.content, str) else ""
                    if piece:
                        pieces.append(piece)
                        on_delta(piece)
                text = "".join(pieces)
            else:
                result = chat_model.invoke(messages)
                text = result.content if isinstance(result.content, str) else ""
        except (openai.OpenAIError, TimeoutError, ConnectionError) as exc:
            logger.warning("LLM call failed (attempt %d of %d): %s", attempt, ATTEMPTS, exc)
            continue
        problems = grounding.problems(text) if text.strip() else ["empty answer"]
        if not problems:
            return text.strip()
        logger.warning("LLM answer rejected (attempt %d of %d): %s", attempt, ATTEMPTS, "; ".join(problems))
    logger.warning("LLM gave no usable answer; falling back to the composer")
    return None
