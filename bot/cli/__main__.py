"""``python -m bot.cli``: the same as the ``stagecoach`` command."""

from bot.cli import main

main()
