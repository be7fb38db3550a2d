"""Prints the ``uv pip install`` options that make uv fetch from where pip is configured to (``make`` uses it).

uv does not read pip's configuration. This reads it the way pip itself does (``pip config list``: the
global, user and site files, then the ``PIP_*`` variables, the later winning; an ``install`` section over
``global``), so the Makefile names no package index: a machine whose pip uses a mirror, extra indexes, a
wheel folder or a constraints file gets the same from uv. Index order follows pip's, which takes the best
match across every index: ``--index-strategy unsafe-best-match``.
"""

from __future__ import annotations

import ast
import shlex
import subprocess
import sys

# pip's option -> uv's, and whether it takes several whitespace-separated values.
OPTIONS = {"index-url": ("--index-url", False), "extra-index-url": ("--extra-index-url", True),
           "find-links": ("--find-links", True), "constraint": ("--constraint", True),
           "trusted-host": ("--allow-insecure-host", True)}


def pip_settings() -> dict[str, str]:
    listed = subprocess.run([sys.executable, "-m", "pip", "config", "list"], capture_output=True, text=True,
                            check=True).stdout
    found: dict[tuple[int, str], str] = {}
    for line in listed.splitlines():
        name, _, value = line.partition("=")
        section, _, key = name.rpartition(".")
        if key and section in ("global", "install", ":env:"):
            rank = {"global": 0, "install": 1, ":env:": 2}[section]  # the PIP_* variables win, as in pip
            found[(rank, key)] = ast.literal_eval(value) if value[:1] in "'\"" else value
    return {key: value for (_, key), value in sorted(found.items())}


def uv_args(settings: dict[str, str]) -> list[str]:
    args = ["--index-strategy", "unsafe-best-match"]
    for key, (option, several) in OPTIONS.items():
        if value := settings.get(key):
            for item in value.split() if several else [value]:
                args += [option, item]
    if settings.get("no-index", "").lower() in ("1", "true", "yes", "on"):
        args.append("--no-index")
    return args


if __name__ == "__main__":
    print(shlex.join(uv_args(pip_settings())))
