"""Shared pieces of the index tests: note folders of their own, embedding counts, a Chroma server."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.utils.openai_server import FakeOpenAI

SMALL_PROCESS = Path(__file__).resolve().parent.parent / "data" / "process_small.yaml"

METHOD = """---
title: Test method
---
# Test method

Intro paragraph about the test method.

## Stage: Discover

Ask about the cost of the problem before talking about the product.

## Handling objections

Acknowledge, ask what is behind the objection, then answer with evidence.
"""

PLAYBOOK = """# Price objections

## Too expensive

Anchor on the cost of the problem the buyer described, not on the list price.

## Stage: Validate

Bring a reference customer of the same size to the validation call.
"""


def write_notes(root: Path) -> tuple[Path, Path]:
    """A methodology folder and a playbook folder with one known file each."""
    methodologies, playbooks = root / "methodologies", root / "playbooks"
    methodologies.mkdir(parents=True)
    playbooks.mkdir(parents=True)
    (methodologies / "method.md").write_text(METHOD)
    (playbooks / "pricing.md").write_text(PLAYBOOK)
    return methodologies, playbooks


def embedded_texts(server: FakeOpenAI) -> list[str]:
    """Every text the server was asked to embed, in order."""
    texts: list[str] = []
    for body, path in zip(server.requests, server.paths, strict=True):
        if path.endswith("/embeddings"):
            texts += body["input"] if isinstance(body["input"], list) else [body["input"]]
    return texts


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def chroma_server(path: Path) -> Iterator[str]:
    """A real Chroma server (the ``chroma`` command chromadb installs) on a free local port; yields its URL."""
    chroma = shutil.which("chroma", path=str(Path(sys.executable).parent))
    assert chroma, "chromadb's `chroma` command is missing from the environment"
    port = free_port()
    process = subprocess.Popen([chroma, "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=1).close()
                break
            except OSError:
                assert process.poll() is None, "the Chroma server exited at start"
                assert time.monotonic() < deadline, "the Chroma server did not answer within 60 s"
                time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)
