"""Slack app benchmark: signed events fired at once at one ``stagecoach run`` process.

Usage: python bench/slack_bench.py [--events 200] [--retries 50] [--deals 2000]

Offline, in a temp directory: the default process map, the demo company with N deals,
the knowledge index built beforehand with the local embedding model, and the Slack Web
API emulator. The app is the real command line (``stagecoach run``, HTTP mode, one
worker), so its memory is measured apart from this process.
- Warm-up: one DM answered first (the embedding model loads on the first question).
- Acknowledgements one at a time (``--acks`` of each kind: a DM, ``/coach``, a deal button that opens a
  modal, a modal submission, App Home opened): p50/p95 per kind. Slack retries anything not
  acknowledged within 3 seconds; the unit tests check only *that* the ack comes before the answer.
- Load: ``--events`` DMs (each its own channel, "what should I do next on my biggest deal?",
  answered with retrieval) plus ``--retries`` re-deliveries of some of them (same
  ``event_id``, Slack's retry header), all sent concurrently.
- Figures: acknowledgement latency p50/p95/p99 under load, answers posted per second (first request to
  last answer), every event answered exactly once, and the app process's peak RSS (VmHWM).
"""

from __future__ import annotations

import argparse
import collections
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

from sqlmodel import select  # noqa: E402

from bot.core.config import Settings  # noqa: E402
from bot.core.demo_data import generate  # noqa: E402
from bot.core.runtime import Runtime  # noqa: E402
from bot.slack import ids  # noqa: E402
from storage.models import Deal, Rep, Role  # noqa: E402
from tests.utils.slack_emulator import SlackEmulator, SlackSender  # noqa: E402

SECRET = "bench-signing-secret"
STAGECOACH = Path(sys.executable).with_name("stagecoach")
QUESTION = "what should I do next on my biggest deal?"


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def peak_rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        line = next(line for line in status if line.startswith("VmHWM:"))
    return int(line.split()[1]) / 1024


def wait_healthy(url: str, app: subprocess.Popen) -> None:
    for _ in range(600):
        if app.poll() is not None:
            raise SystemExit("stagecoach run exited early")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit("stagecoach run never became healthy")


def dm(sender: SlackSender, user: str, channel: str, *, event_id: str, retry: int | None = None):
    event = {"type": "message", "channel_type": "im", "channel": channel, "user": user, "text": QUESTION,
             "ts": f"{int(time.time())}.{random.randrange(10**6):06d}"}
    return sender.event(event, event_id=event_id, retry_num=retry)


def ack_kinds(sender: SlackSender, user: str, deal_id: int, count: int) -> None:
    """Each kind of request Slack sends, ``count`` times one after another: how long until the app answers."""
    import json

    kinds = {
        "/coach": lambda i: sender.command("/coach", QUESTION, user_id=user),
        "deal button": lambda i: sender.block_action(user_id=user, action_id=ids.LOG_ACTIVITY, value=str(deal_id)),
        "modal submit": lambda i: sender.view_submission(
            user_id=user, callback_id=ids.ACTIVITY_VIEW, private_metadata=json.dumps({"deal": deal_id}),
            values={ids.ACTIVITY_INPUT: {ids.ACTIVITY_INPUT: {"type": "static_select", "selected_option": None}},
                    ids.NOTE_INPUT: {ids.NOTE_INPUT: {"type": "plain_text_input", "value": f"bench note {i}"}}}),
        "App Home": lambda i: sender.event({"type": "app_home_opened", "user": user, "channel": "DHOME", "tab": "home"}),
        "DM": lambda i: sender.event({"type": "message", "channel_type": "im", "channel": f"DACK{i:04d}", "user": user,
                                      "text": QUESTION, "ts": f"{int(time.time())}.{i:06d}"}),
    }
    print(f"acknowledgements, one at a time ({count} of each; DMs last, their answers are worked on after the ack):")
    for name, send in kinds.items():
        seconds, statuses = [], collections.Counter()
        for i in range(count):
            reply = send(i)
            statuses[reply.status] += 1
            seconds.append(reply.seconds * 1000)
        print(f"  {name:<13} p50 {statistics.median(seconds):6.1f} ms   p95 {percentile(seconds, 0.95):6.1f} ms   "
              f"max {max(seconds):6.1f} ms   HTTP {dict(statuses)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=200)
    parser.add_argument("--retries", type=int, default=50, help="re-deliveries of already sent events")
    parser.add_argument("--deals", type=int, default=2000)
    parser.add_argument("--acks", type=int, default=40, help="sequential acknowledgements of each kind")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, SlackEmulator() as emulator:
        home = Path(tmp)
        env = {**os.environ, "STAGECOACH_HOME": str(home), "SLACK_BOT_TOKEN": "xoxb-bench",
               "SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": emulator.base_url}
        for name in ("STAGECOACH_DATABASE_URL", "STAGECOACH_CHROMA_URL", "OPENAI_API_KEY", "SLACK_APP_TOKEN"):
            env.pop(name, None)
        runtime = Runtime(Settings(home=home))
        with runtime.session() as session:
            generate(session=session, process=runtime.process, now=runtime.now(), deals=args.deals)
        with runtime.session() as session:
            users = list(session.exec(select(Rep.slack_user_id).where(Rep.role == Role.rep)).all())
            first_deal = session.exec(select(Deal.id).join(Rep, Rep.id == Deal.owner_id)
                                      .where(Rep.slack_user_id == users[0])).first()
        runtime.engine.dispose()
        started = time.perf_counter()
        subprocess.run([str(STAGECOACH), "index"], env=env, check=True, capture_output=True)
        print(f"index built in {time.perf_counter() - started:.1f} s")

        port = free_port()
        app = subprocess.Popen([str(STAGECOACH), "run", "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
                                "--no-digest"], env=env, stderr=subprocess.DEVNULL)
        try:
            url = f"http://127.0.0.1:{port}"
            wait_healthy(url, app)
            sender = SlackSender(f"{url}/slack/events", SECRET, response_url=emulator.response_url())
            started = time.perf_counter()
            dm(sender, users[0], "DWARMUP", event_id="EvWARMUP")
            emulator.wait_for("chat.postMessage", 1, timeout=300)
            print(f"first answer (model load included) in {time.perf_counter() - started:.1f} s; "
                  f"app RSS after warm-up {peak_rss_mb(app.pid):.0f} MB")
            ack_kinds(sender, users[0], first_deal, args.acks)
            emulator.wait_for("chat.postMessage", 1 + args.acks, timeout=600)  # the DMs' answers, before the load

            channels = [f"DBENCH{i:05d}" for i in range(args.events)]
            sends = [(users[i % len(users)], channels[i], f"EvBENCH{i:05d}", None) for i in range(args.events)]
            sends += [(users[i % len(users)], channels[i], f"EvBENCH{i:05d}", 1)
                      for i in random.Random(1).sample(range(args.events), min(args.retries, args.events))]
            random.Random(2).shuffle(sends)
            started, sent_at = time.perf_counter(), time.monotonic()  # the emulator stamps calls with monotonic()
            with ThreadPoolExecutor(max_workers=len(sends)) as pool:
                replies = list(pool.map(lambda s: dm(sender, s[0], s[1], event_id=s[2], retry=s[3]), sends))
            acked = time.perf_counter() - started
            emulator.wait_for("chat.postMessage", 1 + args.acks + args.events, timeout=600)
            time.sleep(2)  # anything more would be a duplicate answer
            posts = [b for b in emulator.calls_to("chat.postMessage") if b["channel"].startswith("DBENCH")]
            finished = max(c.at for c in emulator.calls if c.method == "chat.postMessage")
            per_channel = collections.Counter(b["channel"] for b in posts)
            latencies = [r.seconds * 1000 for r in replies]
            statuses = collections.Counter(r.status for r in replies)
            elapsed = finished - sent_at
            print(f"{len(sends)} requests ({args.events} events + {len(sends) - args.events} retries) sent at once; "
                  f"all acknowledged within {acked:.2f} s; statuses {dict(statuses)}")
            print(f"ack latency: p50 {statistics.median(latencies):.0f} ms, p95 {percentile(latencies, 0.95):.0f} ms, "
                  f"p99 {percentile(latencies, 0.99):.0f} ms, "
                  f"max {max(latencies):.0f} ms")
            print(f"answers: {len(posts)} posted in {elapsed:.1f} s = {len(posts) / elapsed:.1f} answers/s")
            once = all(per_channel[c] == 1 for c in channels) and len(per_channel) == args.events
            print(f"every event answered exactly once: {'yes' if once else 'NO'} "
                  f"(channels answered: {len(per_channel)}, most answers in one channel: {max(per_channel.values())})")
            print(f"app process peak RSS: {peak_rss_mb(app.pid):.0f} MB")
        finally:
            app.terminate()
            try:
                app.wait(30)
            except subprocess.TimeoutExpired:
                app.kill()
                app.wait(10)


if __name__ == "__main__":
    main()
