"""Coach benchmark: warm ``ask`` latency, prompt size, index build time and peak memory.

Usage: python bench/coach_bench.py [--deals 10000] [--asks 200]

Runs offline on embedded defaults in a temp directory: the default map, the local
embedding model, a generated company with N deals. Latency is measured on the
deterministic composer path (retrieval included); the prompt size is measured by
running the LLM path once against a local OpenAI-compatible server and counting
the tokens of the exact messages sent, with the bundled model's WordPiece tokenizer
(an over-estimate next to OpenAI's BPE tokenizers for English text).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

from bot.coach.engine import Coach  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.demo_data import generate  # noqa: E402
from bot.llm import make_chat_model  # noqa: E402
from bot.runtime import Runtime  # noqa: E402
from knowledge.embeddings import model_path  # noqa: E402
from knowledge.index import build_index  # noqa: E402
from knowledge.retriever import Retriever  # noqa: E402
from storage.access import Viewer  # noqa: E402
from storage.deals import open_deals_for, rep_by_identity  # noqa: E402
from storage.timeutil import utcnow  # noqa: E402
from tests.utils.openai_server import FakeOpenAI  # noqa: E402


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deals", type=int, default=10_000)
    parser.add_argument("--asks", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        runtime = Runtime(Settings(home=Path(tmp)))
        now = utcnow()
        process = runtime.process

        started = time.perf_counter()
        stats = build_index(runtime.settings, process)
        index_seconds = time.perf_counter() - started
        print(f"index build (default knowledge, model load included): {index_seconds:.2f} s — {stats}")
        started = time.perf_counter()
        build_index(runtime.settings, process)
        print(f"index rebuild with nothing changed: {time.perf_counter() - started:.2f} s")

        started = time.perf_counter()
        with runtime.session() as session:
            company = generate(session=session, process=process, now=now, deals=args.deals)
        print(f"generated {args.deals:,} deals in {time.perf_counter() - started:.1f} s")

        with runtime.session() as session:
            rep = Viewer.of(rep_by_identity(session=session, user=company.demo_rep_email))
            accounts = [d.name for d in open_deals_for(session=session, viewer=rep, owner_id=rep.rep_id)[:20]]
        coach = Coach(runtime, retriever=Retriever(runtime.settings, process))
        questions = [f"what should I do next on {a}?" for a in accounts] + [
            "which of my deals need attention?", "how would a Challenger rep handle a pricing objection?",
            "what are the exit criteria for Discover?"]
        for q in questions[:5]:  # warm: model, index, caches
            coach.ask(rep, q, now=now)
        latencies = []
        for i in range(args.asks):
            started = time.perf_counter()
            coach.ask(rep, questions[i % len(questions)], now=now)
            latencies.append((time.perf_counter() - started) * 1000)
        latencies.sort()
        p50 = statistics.median(latencies)
        p95 = latencies[int(len(latencies) * 0.95) - 1]
        print(f"warm ask latency as a rep with {len(accounts)}+ open deals, retrieval included "
              f"({args.asks} asks): p50 {p50:.1f} ms, p95 {p95:.1f} ms (aim p50 <= 60 ms)")

        with FakeOpenAI(default_reply="Plan.") as server:
            settings = Settings(home=Path(tmp), openai_api_key="sk-bench", openai_base_url=server.base_url)
            llm_coach = Coach(runtime, retriever=coach.retriever, chat_model=make_chat_model(settings))
            llm_coach.ask(rep, f"what should I do next on {accounts[0]}?", now=now)
            messages = server.chat_requests()[-1]["messages"]
        from transformers import AutoTokenizer

        tokenizer = AutoTokenizer.from_pretrained(str(model_path(runtime.settings.local_embedding_model)))
        tokens = sum(len(tokenizer.encode(m["content"], add_special_tokens=False)) for m in messages)
        chars = sum(len(m["content"]) for m in messages)
        print(f"prompt for a deal question: {tokens} tokens (WordPiece), {chars} characters (aim <= 1,500 tokens)")
        print(f"peak memory of this ask process with the local model: {peak_rss_mb():.0f} MB (aim <= 700 MB)")


if __name__ == "__main__":
    main()
