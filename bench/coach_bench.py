"""Coach benchmark: index build time, warm ``ask`` latency, prompt size and the peak memory of an ask process.

Usage: python bench/coach_bench.py [--deals 10000] [--asks 200] [--smoke]

Runs offline on embedded defaults in a temp directory: the default map, the local
embedding model, a generated company with N deals.
- Index build: the default knowledge (map, methodology notes, playbooks), model load timed apart.
- Latency: warm ``Coach.ask`` on the deterministic composer path, retrieval included (each
  question embedded afresh), as the demo rep; deal questions name deals by id (the generated
  names repeat at this size). Wall and CPU time: on a busy machine the first grows, the second barely.
- LLM mode: deal questions against a local OpenAI-compatible server that answers every call
  after a fixed 300 ms (the tool choice, then the wording): p50/p95 end to end and model calls
  per question. The prompt of the wording call is counted with the local model's WordPiece
  tokenizer (tiktoken's BPE tables are downloaded on first use, so they are not available
  offline); WordPiece counts run higher than OpenAI's tokenizers on English text, so the
  figure is an upper bound.
- Peak memory: a separate ``stagecoach ask`` process on the same data, as a user would run it.

A wrong answer (deal questions not answered as deal plans, LLM answers not worded by the model) or a
failed ``stagecoach ask`` ends the bench with a non-zero exit. ``--smoke`` is the small size the test
suite runs.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

from bot.coach.engine import Coach  # noqa: E402
from bot.coach.wording import first_move  # noqa: E402
from bot.core.config import Settings  # noqa: E402
from bot.core.demo_data import generate  # noqa: E402
from bot.core.llm import make_chat_model  # noqa: E402
from bot.core.runtime import Runtime  # noqa: E402
from knowledge.embeddings import forget_queries, make_embeddings, model_path  # noqa: E402
from knowledge.index import build_index  # noqa: E402
from knowledge.retriever import Retriever  # noqa: E402
from knowledge.store import close_stores  # noqa: E402
from storage.access import Viewer  # noqa: E402
from storage.deals import open_deals_for, rep_by_identity  # noqa: E402
from tests.utils.openai_server import FakeOpenAI  # noqa: E402

MODEL_LATENCY = 0.3  # seconds: a fast hosted model's time to first answer


def percentile(sorted_values: list[float], fraction: float) -> float:
    return sorted_values[min(len(sorted_values) - 1, int(len(sorted_values) * fraction))]


def time_asks(coach: Coach, rep: Viewer, questions: list[str], asks: int, now) -> tuple[list[float], list[float], set[str]]:
    """Sorted wall-clock and CPU milliseconds per ask, and the intents answered.

    CPU time is this process's own work, so it barely moves when other processes compete for
    the cores; wall time is what a user waits.
    """
    wall, cpu, intents = [], [], set()
    for i in range(asks):
        forget_queries()  # questions repeat here, not in real use: embed each one as if new
        started, started_cpu = time.perf_counter(), time.process_time()
        answer = coach.ask(rep, questions[i % len(questions)], now=now)
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
        intents.add(answer.intent)
    return sorted(wall), sorted(cpu), intents


def figures(wall: list[float], cpu: list[float]) -> str:
    return (f"p50 {statistics.median(wall):.1f} ms, p95 {percentile(wall, 0.95):.1f} ms "
            f"(CPU p50 {statistics.median(cpu):.1f} ms, p95 {percentile(cpu, 0.95):.1f} ms)")


# Runs the real command line and reports the process's own high-water mark: VmHWM starts afresh at exec,
# while getrusage's ru_maxrss would carry over this (larger) bench process's figure into the child.
ASK_WITH_PEAK = """
import atexit, sys
def report():
    peak = next(line for line in open("/proc/self/status") if line.startswith("VmHWM:"))
    print("PEAK_KB", peak.split()[1], file=sys.stderr)
atexit.register(report)
from bot.cli import main
main()
"""


def ask_process_peak_mb(home: Path, user: str, question: str) -> tuple[float, float]:
    """Peak RSS (MB) and wall time (s) of one ``stagecoach ask`` process on the bench's data."""
    env = {**os.environ, "STAGECOACH_HOME": str(home)}
    for name in ("STAGECOACH_DATABASE_URL", "STAGECOACH_CHROMA_URL", "STAGECOACH_EMBEDDINGS", "OPENAI_API_KEY"):
        env.pop(name, None)
    started = time.perf_counter()
    child = subprocess.run([sys.executable, "-c", ASK_WITH_PEAK, "ask", "--as", user, question],
                           env=env, cwd=ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if child.returncode != 0:
        raise SystemExit(f"stagecoach ask failed ({child.returncode}):\n{child.stderr}")
    peak_kb = next(int(line.split()[1]) for line in child.stderr.splitlines() if line.startswith("PEAK_KB"))
    return peak_kb / 1024, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deals", type=int, default=10_000)
    parser.add_argument("--asks", type=int, default=200)
    parser.add_argument("--smoke", action="store_true", help="a small size for the test suite")
    args = parser.parse_args()
    least = 20  # asks of each kind, whatever --asks says
    if args.smoke:
        args.deals, args.asks, least = 200, 4, 2
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        runtime = Runtime(Settings(home=home, database_url=None, chroma_url=None, embeddings="local"))
        now = runtime.now()
        process = runtime.process

        started = time.perf_counter()
        make_embeddings(runtime.settings).embed_query("warm up")
        model_seconds = time.perf_counter() - started
        started = time.perf_counter()
        stats = build_index(runtime.settings, process)
        index_seconds = time.perf_counter() - started
        print(f"index build, default knowledge: {index_seconds:.2f} s ({stats}); model load before it: "
              f"{model_seconds:.2f} s")
        started = time.perf_counter()
        build_index(runtime.settings, process)
        print(f"index update with nothing changed: {(time.perf_counter() - started) * 1000:.0f} ms")

        started = time.perf_counter()
        with runtime.session() as session:
            company = generate(session=session, process=process, now=now, deals=args.deals)
        print(f"generated {args.deals:,} deals in {time.perf_counter() - started:.1f} s")

        with runtime.session() as session:
            rep = Viewer.of(rep_by_identity(session=session, user=company.demo_rep_email))
            open_deals = open_deals_for(session=session, viewer=rep, owner_id=rep.rep_id)
            deal_ids = [d.external_id for d in open_deals[:20]]
        deal_questions = [f"what should I do next on {external_id}?" for external_id in deal_ids]
        note_questions = ["how would a Challenger rep handle a pricing objection?", "how do we beat LedgerLoop?",
                          "what does MEDDIC say about the economic buyer?", "what are the exit criteria for Discover?"]
        attention = ["which of my deals need attention?"]
        coach = Coach(runtime, retriever=Retriever(runtime.settings, process))
        for question in deal_questions[:3] + note_questions + attention:  # warm: model, index, caches
            coach.ask(rep, question, now=now)
        deal_ms, deal_cpu, deal_intents = time_asks(coach, rep, deal_questions, args.asks, now)
        note_ms, note_cpu, _ = time_asks(coach, rep, note_questions, max(least, args.asks // 4), now)
        attention_ms, attention_cpu, _ = time_asks(coach, rep, attention, least, now)
        if deal_intents != {"deal_plan"}:
            raise SystemExit(f"FAILED: deal questions answered as {deal_intents}")
        print(f"warm ask, deal questions, retrieval included, as a rep with {len(open_deals):,} open deals "
              f"({args.asks} asks): {figures(deal_ms, deal_cpu)} (aim p50 <= 60 ms)")
        print(f"warm ask, methodology and stage questions ({len(note_ms)} asks): {figures(note_ms, note_cpu)}")
        print(f"warm ask, 'which of my deals need attention?' over {len(open_deals):,} deals ({len(attention_ms)} asks): "
              f"{figures(attention_ms, attention_cpu)}")
        print(f"load average while timing: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")

        # LLM mode: the model picks the deal tool, then words its result, each reply after a fixed latency.
        llm_asks = max(least // 2, args.asks // 10)
        with FakeOpenAI(default_reply="Start with the overdue follow-up, then work the open criteria.",
                        latency=MODEL_LATENCY) as server:
            settings = runtime.settings.model_copy(update={"openai_api_key": "sk-bench", "openai_base_url": server.base_url})
            llm_coach = Coach(runtime, retriever=coach.retriever, chat_model=make_chat_model(settings))
            llm_ms, worded = [], 0
            for i in range(llm_asks):
                external_id = deal_ids[i % len(deal_ids)]
                # The model words the plan as a careful model would: its first move, as the tool returned it.
                plan = coach.ask(rep, deal_questions[i % len(deal_questions)], now=now).plan
                server.enqueue({"tool_calls": [{"name": "deal_plan", "arguments": {"deal": external_id}}]},
                               f"Start here: {first_move(plan)}")
                started = time.perf_counter()
                answer = llm_coach.ask(rep, deal_questions[i % len(deal_questions)], now=now)
                llm_ms.append((time.perf_counter() - started) * 1000)
                worded += answer.worded_by_llm
            requests = server.chat_requests()
        if answer.intent != "deal_plan" or worded != llm_asks:
            raise SystemExit(f"FAILED: LLM mode answered {answer.intent}, {worded} of {llm_asks} worded by the model")
        llm_ms.sort()
        print(f"LLM mode, deal questions, model latency {MODEL_LATENCY * 1000:.0f} ms per call ({llm_asks} asks): "
              f"p50 {statistics.median(llm_ms):.0f} ms, p95 {percentile(llm_ms, 0.95):.0f} ms end to end; "
              f"{len(requests) / llm_asks:.1f} model calls per question (at most 3)")
        from tokenizers import Tokenizer

        tokenizer = Tokenizer.from_file(str(model_path(runtime.settings.local_embedding_model) / "tokenizer.json"))
        tokenizer.no_truncation()  # counting only: the model's input limit does not apply

        def count(text: str) -> int:
            return len(tokenizer.encode(text, add_special_tokens=False).ids)

        wording = requests[-1]  # the larger of a question's two requests: it carries the tool result
        message_tokens = sum(count(json.dumps(m, ensure_ascii=False)) for m in wording["messages"])
        tool_tokens = count(json.dumps(requests[-2]["tools"], ensure_ascii=False))
        print(f"prompt for a deal question, counted with the local WordPiece tokenizer (tiktoken's tables download "
              f"on first use, so they are not available offline; WordPiece counts run higher than OpenAI's): "
              f"wording call {message_tokens} tokens (aim <= 1,500); tool choice call adds {tool_tokens} tokens of "
              "tool definitions")
        print(f"peak memory of this bench process (index, {args.deals:,} deals generated, model): "
              f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")

        close_stores()  # the embedded index serves one process: hand it to the ask process
        runtime.engine.dispose()
        peak, seconds = ask_process_peak_mb(home, company.demo_rep_email, deal_questions[0])
        print(f"peak memory of one `stagecoach ask` process with the local model: {peak:.0f} MB (aim <= 700 MB); "
              f"cold run {seconds:.1f} s")
        if args.smoke:
            return  # the first ask on a machine is the same ask, only slower
        for cached in (home / "cache").glob("router-*"):
            cached.unlink()  # the first ask on a machine embeds every example and trains the router
        peak, seconds = ask_process_peak_mb(home, company.demo_rep_email, deal_questions[0])
        print(f"the same, the first on a machine (it embeds the router's examples and trains it): {peak:.0f} MB "
              f"(aim <= 700 MB); {seconds:.1f} s")


if __name__ == "__main__":
    main()
