"""The CLI loads a command's module only when that command runs, and --help needs none of them."""

from __future__ import annotations

import json
import subprocess
import sys

import click
from click.testing import CliRunner

from bot.cli import LAZY_COMMANDS, main

# Modules only other commands need: the CRM sync's clients and engine (httpx, PyJWT, cryptography), the
# importer, the digest. An answer does show how fresh synced data is, from bot.sync.freshness alone.
NOT_FOR_ASK = ("bot.sync.engine", "bot.sync.service", "bot.sync.client", "bot.sync.hubspot", "bot.sync.salesforce",
               "bot.importer", "bot.digest", "bot.cli.sync", "bot.cli.imports", "bot.cli.digest", "bot.cli.pipeline",
               "httpx", "jwt", "cryptography")


def _loaded_after(code: str) -> set[str]:
    """The modules a fresh interpreter holds after running ``code``."""
    script = f"import json, sys\n{code}\nprint(json.dumps(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    return set(json.loads(done.stdout.splitlines()[-1]))


def test_resolving_ask_imports_no_other_commands_engines():
    loaded = _loaded_after("import click\nfrom bot.cli import main\n"
                           "assert main.get_command(click.Context(main), 'ask').name == 'ask'")
    assert "bot.cli.coach" in loaded
    assert sorted(set(NOT_FOR_ASK) & loaded) == []


def test_help_imports_no_command_module_nor_the_database_layer():
    loaded = _loaded_after("from bot.cli import main\n"
                           "try:\n    main(['--help'])\nexcept SystemExit:\n    pass")
    assert sorted(name for name in loaded if name.startswith("bot.cli.")) == []
    assert "sqlalchemy" not in loaded


def test_help_lists_every_command_with_its_own_short_help():
    ctx = click.Context(main)
    shown = CliRunner().invoke(main, ["--help"]).output
    for name, (_, _, short_help) in LAZY_COMMANDS.items():
        command = main.get_command(ctx, name)
        assert command is not None and command.name == name
        # The table's text is the command's own, so --help says what the command itself would.
        assert command.get_short_help_str(limit=1000) == short_help
        assert f"  {name} " in shown
    assert main.get_command(ctx, "no-such-command") is None


def test_an_unknown_command_is_a_clean_usage_error():
    result = CliRunner().invoke(main, ["no-such-command"])
    assert result.exit_code == 2
    assert "No such command 'no-such-command'" in result.output


# What a deal question never needs: the migration tool (the database is at its newest migration), SciPy and
# scikit-learn (the router's trigrams and classifier come from its cache), LangChain's machinery (the local
# model needs none of it), the vector store, and the due-date parser.
NOT_FOR_A_DEAL_ASK = ("alembic", "scipy", "sklearn", "langchain_core", "langchain_chroma", "chromadb", "dateparser")


def test_the_modules_a_deal_ask_runs_import_nothing_it_does_not_use():
    loaded = _loaded_after("import bot.cli.coach, bot.coach.engine, bot.coach.router, bot.service.coaching\n"
                           "import knowledge.retriever, knowledge.embeddings, storage.db, bot.core.runtime")
    assert sorted(name for name in loaded if name.split(".")[0] in NOT_FOR_A_DEAL_ASK) == []
