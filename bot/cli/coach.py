"""``stagecoach ask``, ``chat`` and ``demo``: the coach in a terminal."""

from __future__ import annotations

import json
import shutil
import sys
import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime

import click

from bot.cli.output import console, err_console, interactive, print_answer, step
from bot.coach import rich
from bot.coach.engine import Coach, start_router_training
from bot.coach.results import Proposed
from bot.coach.types import CoachAnswer
from bot.core.errors import NotFound
from bot.core.runtime import Runtime
from bot.service import proposals
from bot.service.coaching import ask as coach_ask
from bot.service.demo import seed_demo
from bot.service.people import identify
from storage.access import Viewer
from storage.timeutil import check_supported, parse_instant


def viewer_for(runtime: Runtime, user: str) -> Viewer:
    """The rep behind a Slack user id or email, or a clear error."""
    viewer = identify(runtime, user)
    if viewer is None:
        raise NotFound(f"No rep with Slack id or email {user!r}. Import reps first: stagecoach import reps FILE.csv")
    return viewer


def _now(runtime: Runtime, value: str | None) -> datetime:
    """``--now``: the moment given, else the runtime's clock.

    Raises:
        click.BadParameter: not an ISO 8601 moment, or outside the days Stagecoach handles.
    """
    if not value:
        return runtime.now()
    try:
        moment = parse_instant(value)
        check_supported(moment.date(), value)
    except (ValueError, OverflowError) as exc:
        raise click.BadParameter(str(exc), param_hint="'--now'") from None
    return moment


@click.command("ask")
@click.option("--as", "user", required=True, envvar="STAGECOACH_USER", help="Slack user id or email of the asker.")
@click.option("--json", "as_json", is_flag=True, help="Print the answer and its facts as JSON.")
@click.option("--now", "now_text", metavar="ISO-DATETIME", help="Answer as of this moment (default: now).")
@click.option("--yes", "confirmed", is_flag=True, help="Record what the question asks to record, without asking first.")
@click.argument("question")
@click.pass_obj
def ask(runtime: Runtime, user: str, as_json: bool, now_text: str | None, confirmed: bool, question: str) -> None:
    """Ask the coach one QUESTION as USER.

    A QUESTION that records something ("Globex confirmed budget", "remind me to call Initech on Friday")
    shows what would be written; --yes writes it.
    """
    viewer = viewer_for(runtime, user)
    now = _now(runtime, now_text)
    answer = coach_ask(Coach.from_runtime(runtime), viewer, question, now=now)
    # --yes is the person's confirmation, so the proposal is written at once.
    recorded = proposals.apply(runtime, viewer, answer.proposal, now=now) if confirmed and answer.proposal else None
    if isinstance(answer.result, Proposed):  # one question, no conversation: the flag is how to confirm
        answer.result = replace(answer.result, hint=rich.line("Run again with --yes to record it."))
    if as_json:
        click.echo(json.dumps({**answer.to_json(), "recorded": recorded}, indent=2, ensure_ascii=False))
    else:
        print_answer(recorded or answer.result.doc(), answer.freshness)


@click.command("chat")
@click.option("--as", "user", required=True, envvar="STAGECOACH_USER", help="Slack user id or email of the asker.")
@click.option("--now", "now_text", metavar="ISO-DATETIME", help="Answer as of this moment (default: now).")
@click.pass_obj
def chat(runtime: Runtime, user: str, now_text: str | None) -> None:
    """A conversation with the coach in the terminal; follow-ups keep the deal in focus. Ctrl-D ends it."""
    viewer = viewer_for(runtime, user)
    _chat_loop(Coach.from_runtime(runtime), viewer, _now(runtime, now_text), [])


def _chat_loop(coach: Coach, viewer: Viewer, now: datetime, suggestions: list[str]) -> None:
    key = f"cli:{viewer.rep_id}:{uuid.uuid4().hex[:8]}"
    if suggestions:
        console.print("Try: " + " · ".join(f"“{q}”" for q in suggestions))
    if not interactive():  # a piped or CI run: the suggestions (demo), else one question per line of input
        answered = 0
        for question in suggestions or _piped_questions():  # each line is answered as it arrives
            console.print(f"\n[bold cyan]{viewer.name} ›[/bold cyan] {question}")
            _print(coach_ask(coach, viewer, question, conversation_key=key, now=now))
            answered += 1
        if not answered:
            raise click.ClickException("no questions on standard input: pipe one question per line "
                                       "(stagecoach chat --as EMAIL < questions.txt), or run it in a terminal")
        return
    while True:
        try:
            question = click.prompt(f"\n{viewer.name} ›", prompt_suffix=" ", default="", show_default=False)
        except (EOFError, click.Abort):
            console.print()
            return
        if question.strip().lower() in {"exit", "quit"}:
            return
        if question.strip():
            _print(coach_ask(coach, viewer, question, conversation_key=key, now=now))


def _print(answer: CoachAnswer) -> None:
    print_answer(answer.result.doc(), answer.freshness)


def _piped_questions() -> Iterator[str]:
    """Non-empty lines of standard input, up to an ``exit`` or ``quit`` line."""
    for line in sys.stdin:
        question = line.strip()
        if question.lower() in {"exit", "quit"}:
            return
        if question:
            yield question


@click.command("demo")
@click.option("--deals", default=60, show_default=True, help="How many demo deals to generate.")
@click.pass_obj
def demo(runtime: Runtime, deals: int) -> None:
    """A guided tour on a fresh demo data directory (<STAGECOACH_HOME>/demo): map, index, demo company, chat."""
    from knowledge.index import build_index

    home = runtime.settings.home / "demo"
    shutil.rmtree(home, ignore_errors=True)
    demo_runtime = Runtime(runtime.settings.model_copy(update={"home": home, "database_url": None, "chroma_url": None}),
                           clock=runtime.clock)
    now = demo_runtime.now()
    with step("Loading the sales process map"):
        process = demo_runtime.process
    start_router_training(demo_runtime)  # on the other core while the notes are indexed and the company made
    err_console.print(f"  {process.name} v{process.version}: " + " → ".join(s.name for s in process.stages))
    with step("Indexing the process map, methodology notes and playbooks (local embedding model)"):
        stats = build_index(demo_runtime.settings, process)
    err_console.print(f"  {stats}")
    with step(f"Generating a demo company with {deals} deals"):
        demo = seed_demo(demo_runtime, deals=deals, now=now)
    coach = Coach.from_runtime(demo_runtime)
    company, rep, manager, plan = demo.company, demo.rep, demo.manager, demo.biggest
    biggest = plan.deal
    # A fact the buyer of the biggest deal confirmed, told in words: proposed, then confirmed with "yes".
    confirmed = [f"{biggest.account} confirmed it: {plan.unmet[0].text.lower()}", "yes"] if plan.unmet else []
    console.rule(f"Chatting as {rep.name}, a rep")
    _chat_loop(coach, rep, now, [
        "where should i start today?",
        f"prep me for my call with {biggest.name}",
        f"draft a follow-up to {biggest.name}",
        *confirmed,
        f"whats next on {biggest.name} and what comes after that stage?",
        "What should I ask in discovery?",
        "How would a Challenger rep handle a pricing objection?",
    ])
    if not interactive():
        console.rule(f"Asking as {manager.name}, a manager")
        _chat_loop(coach, manager, now, ["How is my team doing this quarter?",
                                         "who on my team has the most overdue follow-ups?",
                                         "Stage flow this month", "Where are deals getting stuck?"])
    console.print(f"\nDemo data lives in {home}. Ask more with: "
                  f"STAGECOACH_HOME={home} stagecoach chat --as {company.demo_rep_email}")


commands = [ask, chat, demo]
