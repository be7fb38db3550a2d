"""A real HTTP server on 127.0.0.1 that speaks the parts of the OpenAI API Stagecoach uses.

Tests point the real ``openai`` client (through LangChain's ChatOpenAI or
OpenAIEmbeddings) at ``server.base_url``, script replies with ``enqueue``, and
read what was sent in ``requests``. The Authorization header is never recorded.

Reply forms accepted by ``enqueue``:
- ``"text"``: an assistant message (streamed in several chunks when asked to stream);
- ``{"tool_calls": [{"name": "deal_plan", "arguments": {...}}]}``: a tool-calling message;
- ``{"status": 500}``: an HTTP error with an OpenAI-style error body;
- ``{"delay": 10, "content": "text"}``: wait before answering (for timeouts).
An empty queue answers with ``default_reply``, or ``default_tool_reply`` (when set) for a request
that offers tools — so concurrent questions each get a tool call, then their wording.
"""

from __future__ import annotations

import hashlib
import json
import sys
import threading
import time
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class _QuietServer(ThreadingHTTPServer):
    """A client that hung up (a timed-out call) is expected here, not a traceback on stderr."""

    def handle_error(self, request, client_address) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class FakeOpenAI:
    def __init__(self, default_reply: Any = "OK", embedding_dim: int = 16, default_tool_reply: Any = None,
                 latency: float = 0.0):
        self.default_reply = default_reply
        self.latency = latency  # seconds before every chat reply, as a real model takes
        self.default_tool_reply = default_tool_reply
        self.embedding_dim = embedding_dim
        self.requests: list[dict] = []
        self.paths: list[str] = []
        self._queue: deque = deque()
        self._lock = threading.Lock()
        self._server = _QuietServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def __enter__(self) -> FakeOpenAI:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()

    def enqueue(self, *replies: Any) -> None:
        with self._lock:
            self._queue.extend(replies)

    def chat_requests(self) -> list[dict]:
        return [r for r, p in zip(self.requests, self.paths, strict=True) if p.endswith("/chat/completions")]

    def _next_reply(self, offers_tools: bool) -> Any:
        with self._lock:
            if self._queue:
                return self._queue.popleft()
            return self.default_tool_reply if offers_tools and self.default_tool_reply is not None else self.default_reply

    def _record(self, path: str, body: dict) -> None:
        with self._lock:
            self.paths.append(path)
            self.requests.append(body)

    def embed(self, text: str) -> list[float]:
        """A deterministic unit vector per text, so equal texts embed equally."""
        digest = hashlib.sha256(text.encode()).digest()
        raw = [b - 127.5 for b in digest[: self.embedding_dim]]
        norm = sum(x * x for x in raw) ** 0.5 or 1.0
        return [x / norm for x in raw]

    def _handler_class(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *_args) -> None:  # keep test output quiet
                pass

            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                fake._record(self.path, body)
                if self.path.endswith("/embeddings"):
                    inputs = body["input"] if isinstance(body["input"], list) else [body["input"]]
                    data = [{"object": "embedding", "index": i, "embedding": fake.embed(str(t))} for i, t in enumerate(inputs)]
                    self._json(200, {"object": "list", "data": data, "model": body.get("model", "fake"),
                                     "usage": {"prompt_tokens": 1, "total_tokens": 1}})
                    return
                if not self.path.endswith("/chat/completions"):
                    self._json(404, {"error": {"message": f"no route {self.path}", "type": "invalid_request_error"}})
                    return
                reply = fake._next_reply(bool(body.get("tools")))
                time.sleep(fake.latency)
                if isinstance(reply, dict) and "delay" in reply:
                    time.sleep(reply["delay"])
                    reply = reply.get("content", "OK")
                if isinstance(reply, dict) and "status" in reply:
                    self._json(reply["status"], {"error": {"message": "scripted failure", "type": "server_error"}})
                    return
                message = _message(reply)
                if body.get("stream"):
                    self._stream(body.get("model", "fake"), message)
                else:
                    self._json(200, _completion(body.get("model", "fake"), message))

            def _json(self, status: int, payload: dict) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _stream(self, model: str, message: dict) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Connection", "close")
                self.end_headers()
                for chunk in _chunks(model, message):
                    self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                    self.wfile.flush()
                self.wfile.write(b"data: [DONE]\n\n")
                self.wfile.flush()
                self.close_connection = True

        return Handler


def _message(reply: Any) -> dict:
    if isinstance(reply, dict) and "tool_calls" in reply:
        calls = [
            {"id": f"call_{i}", "type": "function",
             "function": {"name": c["name"], "arguments": json.dumps(c.get("arguments", {}))}}
            for i, c in enumerate(reply["tool_calls"])
        ]
        return {"role": "assistant", "content": reply.get("content"), "tool_calls": calls}
    return {"role": "assistant", "content": str(reply)}


def _completion(model: str, message: dict) -> dict:
    finish = "tool_calls" if message.get("tool_calls") else "stop"
    return {
        "id": "chatcmpl-test", "object": "chat.completion", "created": int(time.time()), "model": model,
        "choices": [{"index": 0, "message": message, "finish_reason": finish}],
        "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20},
    }


def _chunks(model: str, message: dict) -> list[dict]:
    def chunk(delta: dict, finish: str | None = None) -> dict:
        return {"id": "chatcmpl-test", "object": "chat.completion.chunk", "created": int(time.time()),
                "model": model, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}

    out = [chunk({"role": "assistant", "content": ""})]
    if message.get("tool_calls"):
        for i, call in enumerate(message["tool_calls"]):
            out.append(chunk({"tool_calls": [{"index": i, "id": call["id"], "type": "function",
                                              "function": call["function"]}]}))
        out.append(chunk({}, "tool_calls"))
        return out
    text = message["content"] or ""
    words = text.split(" ")
    for i, word in enumerate(words):
        out.append(chunk({"content": word + (" " if i < len(words) - 1 else "")}))
    out.append(chunk({}, "stop"))
    return out
