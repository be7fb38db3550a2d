"""The chat model, when one is configured.

How it is used — tools over the intents, and the check of every claim it words — lives in
``bot.coach.agent`` and ``bot.coach.claims``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.core.config import Settings

if TYPE_CHECKING:  # LangChain's models take a second to import: only a configured model needs them
    from langchain_core.language_models import BaseChatModel


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
