"""Slack app benchmark: signed events fired at once at one ``stagecoach run`` process.

Usage: python bench/slack_bench.py [--events 150] [--retries 25] [--tabs 25] [--feedback 25] [--modals 25]
                                  [--deals 2000] [--acks 40] [--smoke]

Offline, in a temp directory: the default process map, the demo company with N deals,
the knowledge index built beforehand with the local embedding model, and the Slack Web
API emulator. The app is the real command line (``stagecoach run``, HTTP mode, one
worker, this tree's code), so its memory is measured apart from this process.
- Warm-up: one DM answered first (the embedding model loads on the first question).
- Acknowledgements one at a time (``--acks`` of each kind: a DM in the Messages tab, ``/coach``, a deal
  button that opens a modal, a modal submission, App Home opened, the Messages tab opened, a feedback
  click): p50/p95 per kind. Slack retries anything not acknowledged within 3 seconds; the unit tests check
  only *that* the ack comes before the answer.
- Load: ``--events`` DMs (each its own channel, "what should I do next on my biggest deal?",
  answered with retrieval), ``--retries`` re-deliveries of some of them (same ``event_id``, Slack's
  retry header), ``--tabs`` Messages-tab opens, ``--feedback`` feedback clicks and ``--modals`` modal
  submissions, all sent concurrently (250 requests at the default size).
- Figures: acknowledgement latency p50/p95/p99 under load per kind and over all, answers posted per second
  (first request to last answer), every event answered exactly once, and the app process's peak RSS (VmHWM).
  The full size must keep p99 over all under ``--p99-ms`` (250); a slower run exits non-zero after its figures.
- A worker's day (``--questions``, 1,000 by default): distinct questions about each rep's own deals, the day's
  plan, the method and the pipeline, a few at a time, every one answered exactly once; then the worker's
  memory now and at its peak (aim: <= 350 MB after 1,000 questions; caches must stay bounded).

A broken run prints no figure: any acknowledgement other than 200 (a modal's must carry its next view),
any question left without an answer (an apology counts as none), any modal, home, suggested prompts, feedback
thanks or answer owed and not delivered, or an app that stops calling Slack while answers are owed ends the
bench with a non-zero exit and the app's log. ``--smoke`` is the small size the test suite runs.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import NoReturn

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

from sqlmodel import select  # noqa: E402

from bot.core.config import Settings  # noqa: E402
from bot.core.demo_data import generate  # noqa: E402
from bot.core.runtime import Runtime  # noqa: E402
from bot.slack import ids  # noqa: E402
from storage.models import Deal, DealStatus, Rep, Role  # noqa: E402
from tests.utils.slack_emulator import SlackEmulator, SlackSender, feedback_click  # noqa: E402

SECRET = "bench-signing-secret"
STAGECOACH = Path(sys.executable).with_name("stagecoach")
QUESTION = "what should I do next on my biggest deal?"
STALLED_SECONDS = 120  # no Slack call at all for this long while answers are owed: the app has stopped
FIRST_ANSWER_SECONDS = 600  # the first loads the model (and, in the smoke run, builds the index) in silence
FEEDBACK_REPLIES = "feedback"  # the response_url name feedback clicks carry, apart from /coach's
PROMPTS = "assistant.threads.setSuggestedPrompts"


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


def wait_healthy(url: str, app: subprocess.Popen, log: Path) -> None:
    for _ in range(600):
        if app.poll() is not None:
            fail("stagecoach run exited early", log)
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    fail("stagecoach run never became healthy", log)


def dm(sender: SlackSender, user: str, channel: str, *, event_id: str | None = None, retry: int | None = None,
       ts: str | None = None):
    """message.im as Slack sends it for a message typed in the app's Messages tab."""
    ts = ts or f"{int(time.time())}.{random.randrange(10**6):06d}"
    event = {"type": "message", "channel_type": "im", "channel": channel, "user": user, "text": QUESTION, "ts": ts,
             "client_msg_id": f"bench-{channel}-{ts}"}
    return sender.event(event, event_id=event_id, retry_num=retry)


def messages_tab(sender: SlackSender, user: str, channel: str):
    """app_home_opened as Slack sends it when the Messages tab opens: ``tab`` is "messages", no view."""
    return sender.event({"type": "app_home_opened", "user": user, "channel": channel, "tab": "messages",
                         "event_ts": f"{time.time():.6f}"})


def feedback(sender: SlackSender, user: str, answer: dict, i: int):
    """A click on 👍 or 👎 of a posted answer's feedback buttons, as block_actions from its message."""
    return sender.block_action(user_id=user, action_id="", value="", channel_id=answer["channel"],
                               message_ts=f"1700000000.{i:06d}", message_blocks=answer["blocks"],
                               action=feedback_click(answer["blocks"], helpful=i % 2 == 0))


def thanked(body: dict) -> bool:
    return body.get("_to") == FEEDBACK_REPLIES and "Thanks" in (body.get("text") or "")


def fail(message: str, log: Path | None = None) -> NoReturn:
    """Stop the bench with a non-zero exit and no figure: the run is broken, and the app's log says why."""
    if log is not None and log.exists():
        print("--- the app's log, last lines ---", file=sys.stderr)
        print("\n".join(log.read_text(errors="replace").splitlines()[-40:]), file=sys.stderr)
    raise SystemExit(f"FAILED: {message}")


def is_answer(body: dict) -> bool:
    """A coach answer carries its feedback buttons; an apology or an error message does not."""
    return any(element.get("action_id") in (ids.FEEDBACK, ids.FEEDBACK_UP)
               for block in body.get("blocks") or [] for element in block.get("elements") or [])


def wait_for_calls(emulator: SlackEmulator, method: str | tuple[str, ...], count: int, log: Path,
                   where: Callable[[dict], bool] = lambda body: True, stalled: float = STALLED_SECONDS) -> list[dict]:
    """The first ``count`` successful calls to ``method`` (or to any of several) matching ``where``; fails once
    nothing new came for ``stalled`` seconds."""
    methods = (method,) if isinstance(method, str) else method
    last_seen, last_change = -1, time.monotonic()
    while True:
        with emulator._lock:  # the emulator signals every call it records
            bodies = [b for m in methods for b in emulator.calls_to(m) if where(b)]
            if len(bodies) >= count:
                return bodies
            if len(emulator.calls) != last_seen:
                last_seen, last_change = len(emulator.calls), time.monotonic()
            if time.monotonic() - last_change > stalled:
                fail(f"{len(bodies)} of {count} {method} calls after {stalled:.0f} s without any Slack call "
                     f"(the app stopped answering)", log)
            emulator._lock.wait(1.0)


def unanswered(bodies: list[dict]) -> list[str]:
    return [(b.get("text") or "")[:120] for b in bodies if not is_answer(b)]


def modal_submission(sender: SlackSender, user: str, deal_id: int, note: str):
    return sender.view_submission(
        user_id=user, callback_id=ids.ACTIVITY_VIEW, private_metadata=json.dumps({"deal": deal_id}),
        values={ids.ACTIVITY_INPUT: {ids.ACTIVITY_INPUT: {"type": "static_select", "selected_option": None}},
                ids.NOTE_INPUT: {ids.NOTE_INPUT: {"type": "plain_text_input", "value": note}}})


def saved(reply) -> bool:
    """A modal submission acknowledged with its next view (the change was saved), not errors or a 404."""
    return reply.status == 200 and (reply.json() or {}).get("response_action") == "update"


def ack_kinds(sender: SlackSender, emulator: SlackEmulator, user: str, deal_id: int, answer: dict, count: int,
              log: Path) -> None:
    """Each kind of request Slack sends, ``count`` times one after another: how long until the app answers.
    ``answer`` is a posted answer, whose feedback buttons are clicked."""
    kinds = {
        "/coach": lambda i: sender.command("/coach", QUESTION, user_id=user),
        "deal button": lambda i: sender.block_action(user_id=user, action_id=ids.LOG_ACTIVITY, value=str(deal_id)),
        "modal submit": lambda i: modal_submission(sender, user, deal_id, f"bench note {i}"),
        "App Home": lambda i: sender.event({"type": "app_home_opened", "user": user, "channel": "DHOME", "tab": "home"}),
        "Messages tab": lambda i: messages_tab(sender, user, f"DTAB{i:04d}"),
        "DM in the tab": lambda i: dm(sender, user, f"DACK{i:04d}", ts=f"{int(time.time())}.{i:06d}"),
        "feedback": lambda i: feedback(feedback_sender(sender, emulator), user, answer, i),
    }
    figures = []
    for name, send in kinds.items():
        seconds, statuses = [], collections.Counter()
        for i in range(count):
            reply = send(i)
            ok = saved(reply) if name == "modal submit" else reply.status == 200
            statuses[reply.status if ok else f"{reply.status} (not done)"] += 1
            seconds.append(reply.seconds * 1000)
        if set(statuses) != {200}:
            fail(f"{name}: acknowledgements {dict(statuses)}, the slowest after {max(seconds) / 1000:.1f} s; "
                 "every one must be 200 within Slack's 3 s", log)
        figures.append(f"  {name:<13} p50 {statistics.median(seconds):6.1f} ms   p95 {percentile(seconds, 0.95):6.1f} ms   "
                       f"max {max(seconds):6.1f} ms   HTTP {dict(statuses)}")
    # What each acknowledged request owes afterwards: answers, opened modals, published homes, prompts, thanks.
    coach = wait_for_calls(emulator, "response_url", count, log, lambda b: b.get("_to") != FEEDBACK_REPLIES)
    wait_for_calls(emulator, "views.open", count, log)
    wait_for_calls(emulator, "views.publish", count, log)
    wait_for_calls(emulator, PROMPTS, count, log, lambda b: b["channel_id"].startswith("DTAB"))
    wait_for_calls(emulator, "response_url", count, log, thanked)
    dms = wait_for_calls(emulator, "chat.postMessage", count, log, lambda b: b["channel"].startswith("DACK"))
    if broken := unanswered(coach) + unanswered(dms):
        fail(f"{len(broken)} questions got no answer but: {broken[:3]}", log)
    print(f"acknowledgements, one at a time ({count} of each), every one answered:")
    print("\n".join(figures))


def feedback_sender(sender: SlackSender, emulator: SlackEmulator) -> SlackSender:
    """``sender`` whose block actions carry a response_url of their own, so feedback thanks are told apart."""
    return SlackSender(sender.url, sender.secret, response_url=emulator.response_url(FEEDBACK_REPLIES))


def load_round(sender: SlackSender, emulator: SlackEmulator, users: list[str], deal_id: int, answer: dict, args,
               log: Path) -> None:
    """DMs, their retries, Messages-tab opens, feedback clicks and modal submissions all at once: acknowledgement
    times, answers, exactly once."""
    channels = [f"DBENCH{i:05d}" for i in range(args.events)]
    sends = [("dm", users[i % len(users)], channels[i], f"EvBENCH{i:05d}", None) for i in range(args.events)]
    sends += [("dm", users[i % len(users)], channels[i], f"EvBENCH{i:05d}", 1)
              for i in random.Random(1).sample(range(args.events), min(args.retries, args.events))]
    sends += [("modal", users[0], None, f"concurrent note {i}", None) for i in range(args.modals)]
    sends += [("tab", users[i % len(users)], f"DLTAB{i:05d}", None, None) for i in range(args.tabs)]
    sends += [("feedback", users[0], None, str(i), None) for i in range(args.feedback)]
    random.Random(2).shuffle(sends)
    thanks_before = len([b for b in emulator.calls_to("response_url") if thanked(b)])
    clicker = feedback_sender(sender, emulator)

    def send(item):
        kind, user, channel, key, retry = item
        if kind == "modal":
            return kind, modal_submission(sender, user, deal_id, key)
        if kind == "tab":
            return kind, messages_tab(sender, user, channel)
        if kind == "feedback":
            return kind, feedback(clicker, user, answer, int(key))
        return kind, dm(sender, user, channel, event_id=key, retry=retry)

    started, sent_at = time.perf_counter(), time.monotonic()  # the emulator stamps calls with monotonic()
    with ThreadPoolExecutor(max_workers=len(sends)) as pool:
        replies = list(pool.map(send, sends))
    acked = time.perf_counter() - started
    statuses = collections.Counter((kind, r.status if kind != "modal" or saved(r) else f"{r.status} (not saved)")
                                   for kind, r in replies)
    if {status for _, status in statuses} != {200}:
        slowest = max(r.seconds for _, r in replies)
        fail(f"acknowledgements under load: {dict(statuses)}, the slowest after {slowest:.1f} s; "
             "every one must be 200 within Slack's 3 s", log)
    posts = wait_for_calls(emulator, "chat.postMessage", args.events, log, lambda b: b["channel"].startswith("DBENCH"))
    finished = max(c.at for c in emulator.calls if c.method == "chat.postMessage")
    wait_for_calls(emulator, PROMPTS, args.tabs, log, lambda b: b["channel_id"].startswith("DLTAB"))
    wait_for_calls(emulator, "response_url", thanks_before + args.feedback, log, thanked)
    # Anything more would be a duplicate answer: the app must have nothing left in flight to say it.
    time.sleep(2)
    posts = [b for b in emulator.calls_to("chat.postMessage") if b["channel"].startswith("DBENCH")]
    per_channel = collections.Counter(b["channel"] for b in posts)
    if broken := unanswered(posts):
        fail(f"{len(broken)} questions got no answer but: {broken[:3]}", log)
    if not (all(per_channel[c] == 1 for c in channels) and len(per_channel) == args.events):
        twice = [c for c, n in per_channel.items() if n > 1]
        fail(f"not every event answered exactly once: {len(per_channel)} channels answered, twice in {twice[:5]}", log)
    elapsed = finished - sent_at
    retries = len(sends) - args.events - args.modals - args.tabs - args.feedback
    print(f"{len(sends)} requests ({args.events} DMs in the Messages tab + {retries} retries + {args.tabs} "
          f"Messages-tab opens + {args.feedback} feedback clicks + {args.modals} modal submissions) sent at once; "
          f"all acknowledged within {acked:.2f} s, every one 200")
    for kind, label in (("dm", "DMs and retries"), ("tab", "Messages-tab opens"), ("feedback", "feedback clicks"),
                        ("modal", "modal submissions"), (None, "all requests")):
        latencies = [r.seconds * 1000 for k, r in replies if kind in (None, k)]
        if latencies:
            print(f"ack latency, {label}: p50 {statistics.median(latencies):.0f} ms, "
                  f"p95 {percentile(latencies, 0.95):.0f} ms, p99 {percentile(latencies, 0.99):.0f} ms, "
                  f"max {max(latencies):.0f} ms")
    print(f"answers: {len(posts)} posted in {elapsed:.1f} s = {len(posts) / elapsed:.1f} answers/s")
    print(f"every event answered exactly once: yes ({len(per_channel)} channels); every tab got its prompts, "
          "every feedback click its thanks")
    p99 = percentile([r.seconds * 1000 for _, r in replies], 0.99)
    if args.p99_ms and p99 >= args.p99_ms:
        raise SystemExit(f"FAILED: ack p99 {p99:.0f} ms for {len(sends)} concurrent requests, "
                         f"over the {args.p99_ms} ms target")


# A worker's day: questions about each rep's own deals, the day's plan and the method, each worded apart so no
# cache answers twice (query vectors, deal lookups, conversations: every one must stay bounded).
WORKER_QUESTIONS = ("what should I do next on {deal}?", "how is {deal} going", "where should i start today? ({n})",
                    "How would a Challenger rep handle a pricing objection on {deal}?", "what's in my pipeline? ({n})")


# An answer is a message, or a stream's end: a plan with several steps (the day's focus) streams, and its
# stop carries the answer's feedback buttons as a message does.
ANSWERED = ("chat.postMessage", "chat.stopStream")


def rss_mb(pid: int) -> tuple[float, float]:
    """The process's resident memory now and its high-water mark (VmRSS, VmHWM)."""
    with open(f"/proc/{pid}/status") as status:
        values = {line.split(":")[0]: int(line.split()[1]) / 1024 for line in status if line.startswith(("VmRSS", "VmHWM"))}
    return values["VmRSS"], values["VmHWM"]


def worker_round(sender: SlackSender, emulator: SlackEmulator, deals: list[tuple[str, str]], count: int, pid: int,
                 log: Path) -> None:
    """``count`` DMs through the worker, a few at a time as a team asks over a day: every one answered once,
    then the worker's memory (the aim: <= 350 MB after 1,000 questions)."""
    before, _ = rss_mb(pid)
    started = time.perf_counter()
    sends = []
    for n in range(count):
        user, deal = deals[n % len(deals)]
        text = WORKER_QUESTIONS[n % len(WORKER_QUESTIONS)].format(deal=deal, n=n)
        sends.append((user, f"DWORK{n:05d}", text, f"EvWORK{n:05d}"))

    def send(item):
        user, channel, text, event_id = item
        event = {"type": "message", "channel_type": "im", "channel": channel, "user": user, "text": text,
                 "ts": f"{int(time.time())}.{random.randrange(10**6):06d}"}
        return sender.event(event, event_id=event_id)

    wave = 8
    for first in range(0, count, wave):
        with ThreadPoolExecutor(max_workers=wave) as pool:
            statuses = [reply.status for reply in pool.map(send, sends[first:first + wave])]
        if set(statuses) != {200}:
            fail(f"worker round: acknowledgements {collections.Counter(statuses)}", log)
        # Keep at most a few waves in flight, as a team's questions come: the worker's listener pool is bounded.
        wait_for_calls(emulator, ANSWERED, max(0, first - 4 * wave), log, lambda b: b["channel"].startswith("DWORK"))
    posts = wait_for_calls(emulator, ANSWERED, count, log, lambda b: b["channel"].startswith("DWORK"))
    time.sleep(1)
    posts = [b for m in ANSWERED for b in emulator.calls_to(m) if b["channel"].startswith("DWORK")]
    per_channel = collections.Counter(b["channel"] for b in posts)
    if broken := unanswered(posts):
        fail(f"worker round: {len(broken)} of {count} questions got no answer but: {broken[:3]}", log)
    if len(per_channel) != count or set(per_channel.values()) != {1}:
        fail(f"worker round: {len(per_channel)} of {count} questions answered, some more than once", log)
    seconds = time.perf_counter() - started
    now, peak = rss_mb(pid)
    print(f"worker after {count} questions ({count / seconds:.1f} answered/s, each once): RSS {now:.0f} MB "
          f"(before the round {before:.0f} MB), peak {peak:.0f} MB (aim <= 350 MB after 1,000)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=150, help="DMs in the Messages tab")
    parser.add_argument("--retries", type=int, default=25, help="re-deliveries of already sent events")
    parser.add_argument("--tabs", type=int, default=25, help="Messages-tab opens sent with the events")
    parser.add_argument("--feedback", type=int, default=25, help="feedback clicks sent with the events")
    parser.add_argument("--modals", type=int, default=25, help="modal submissions sent with the events")
    parser.add_argument("--p99-ms", type=float, default=250,
                        help="the load round's ack p99 must stay under this (0: no target; the smoke run has none)")
    parser.add_argument("--deals", type=int, default=2000)
    parser.add_argument("--acks", type=int, default=40, help="sequential acknowledgements of each kind (0: none)")
    parser.add_argument("--questions", type=int, default=1000,
                        help="then questions one worker answers a few at a time: its memory afterwards (0: none)")
    parser.add_argument("--smoke", action="store_true",
                        help="a small size for the test suite: a few of everything, the index built by the app")
    args = parser.parse_args()
    if args.smoke:
        args.events, args.retries, args.modals, args.deals, args.acks, args.questions = 6, 2, 2, 40, 2, 10
        args.tabs, args.feedback, args.p99_ms = 2, 2, 0
    with tempfile.TemporaryDirectory() as tmp, SlackEmulator() as emulator:
        home = Path(tmp)
        log = home / "app.log"
        env = {**os.environ, "STAGECOACH_HOME": str(home), "SLACK_BOT_TOKEN": "xoxb-bench",
               "SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": emulator.base_url,
               "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
        for name in ("STAGECOACH_DATABASE_URL", "STAGECOACH_CHROMA_URL", "OPENAI_API_KEY", "SLACK_APP_TOKEN"):
            env.pop(name, None)
        runtime = Runtime(Settings(home=home))
        with runtime.session() as session:
            generate(session=session, process=runtime.process, now=runtime.now(), deals=args.deals)
        with runtime.session() as session:
            users = list(session.exec(select(Rep.slack_user_id).where(Rep.role == Role.rep)).all())
            first_deal = session.exec(select(Deal.id).join(Rep, Rep.id == Deal.owner_id)
                                      .where(Rep.slack_user_id == users[0])).first()
            own_deals = list(session.exec(select(Rep.slack_user_id, Deal.name).join(Rep, Rep.id == Deal.owner_id)
                                          .where(Rep.role == Role.rep, Deal.status == DealStatus.open)
                                          .order_by(Deal.id)).all())
        runtime.engine.dispose()
        if not args.smoke:  # the smoke run leaves the index to the app's first question
            started = time.perf_counter()
            index = subprocess.run([str(STAGECOACH), "index"], env=env, capture_output=True, text=True)
            if index.returncode:
                fail(f"stagecoach index failed ({index.returncode}):\n{index.stderr[-3000:]}")
            print(f"index built in {time.perf_counter() - started:.1f} s")

        port = free_port()
        with open(log, "w") as app_log:
            app = subprocess.Popen([str(STAGECOACH), "run", "--host", "127.0.0.1", "--port", str(port),
                                    "--workers", "1", "--no-digest"], env=env, stderr=app_log)
        try:
            url = f"http://127.0.0.1:{port}"
            wait_healthy(url, app, log)
            sender = SlackSender(f"{url}/slack/events", SECRET, response_url=emulator.response_url())
            started = time.perf_counter()
            if (status := dm(sender, users[0], "DWARMUP", event_id="EvWARMUP").status) != 200:
                fail(f"the first DM was acknowledged with HTTP {status}", log)
            [first] = wait_for_calls(emulator, "chat.postMessage", 1, log, stalled=FIRST_ANSWER_SECONDS)
            if not is_answer(first):
                fail(f"the first question got no answer but: {(first.get('text') or '')[:200]}", log)
            print(f"first answer (model load included) in {time.perf_counter() - started:.1f} s; "
                  f"app RSS after warm-up {peak_rss_mb(app.pid):.0f} MB")
            if args.acks:
                ack_kinds(sender, emulator, users[0], first_deal, first, args.acks, log)
            load_round(sender, emulator, users, first_deal, first, args, log)
            print(f"app process peak RSS: {peak_rss_mb(app.pid):.0f} MB")
            if args.questions:
                worker_round(sender, emulator, [tuple(row) for row in own_deals], args.questions, app.pid, log)
        finally:
            app.terminate()
            try:
                app.wait(30)
            except subprocess.TimeoutExpired:
                app.kill()
                app.wait(10)


if __name__ == "__main__":
    main()
