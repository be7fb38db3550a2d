"""The Makefile's uv installs fetch from where pip is configured to: tools/pip_index_args.py reads pip's settings."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "tools" / "pip_index_args.py"


def uv_args(tmp_path: Path, config: str, **env: str) -> list[str]:
    (tmp_path / "pip.conf").write_text(config)
    environment = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
    environment.update(PIP_CONFIG_FILE=str(tmp_path / "pip.conf"), **env)
    done = subprocess.run([sys.executable, str(SCRIPT)], capture_output=True, text=True, env=environment,
                          timeout=120, check=True)
    return shlex.split(done.stdout)


def pairs(args: list[str]) -> list[tuple[str, str]]:
    return [(args[i], args[i + 1]) for i in range(len(args) - 1) if args[i].startswith("--")]


def test_pips_index_extra_indexes_and_wheel_folders_become_uvs(tmp_path):
    args = uv_args(tmp_path, "[global]\nindex-url = file:///srv/mirror/simple\n"
                             "extra-index-url = file:///srv/a/simple file:///srv/b/simple\n",
                   PIP_FIND_LINKS="/srv/wheels")
    assert ("--index-url", "file:///srv/mirror/simple") in pairs(args)
    assert ("--extra-index-url", "file:///srv/a/simple") in pairs(args)
    assert ("--extra-index-url", "file:///srv/b/simple") in pairs(args)
    assert ("--find-links", "/srv/wheels") in pairs(args)
    assert args[:2] == ["--index-strategy", "unsafe-best-match"]  # pip's best match across every index


def test_a_pip_variable_wins_over_a_config_file_as_in_pip(tmp_path):
    args = uv_args(tmp_path, "[global]\nindex-url = file:///srv/file/simple\n", PIP_INDEX_URL="file:///srv/env/simple")
    assert ("--index-url", "file:///srv/env/simple") in pairs(args)
    assert "file:///srv/file/simple" not in args
