"""A local stand-in for Slack, on both sides of the app.

``SlackEmulator`` is a real HTTP server on 127.0.0.1 (free port) that answers the
Web API methods Stagecoach calls and records every call with its parsed body, so
tests assert what the bot said. Responses can be scripted per method: a 429 with
``Retry-After``, a 5xx, or an ``ok: false`` error.

Replies a listener sends through a ``response_url`` are recorded as the method
``response_url`` (use ``emulator.response_url()`` in the payloads), and file
uploads (``files_upload_v2``) as ``files.getUploadURLExternal``, ``file.upload``
(the bytes' length) and ``files.completeUploadExternal``.

Blocks and views are checked the way Slack checks them (``tests.utils.block_kit``): a
message or view Slack would refuse gets ``{"ok": false, "error": "invalid_blocks"}`` (HTTP 400
on a ``response_url``; ``invalid_attachments`` for a second table), is left out of ``calls_to`` and listed by
``rejected()``; so are suggested prompts and statuses Slack would refuse (``invalid_arguments``), and stream calls
with bad arguments, chunks or text (``invalid_arguments``, ``invalid_chunks``, ``msg_too_long``) or out of turn
(``message_not_in_streaming_state``), and any method it does not implement (``unknown_method``).
``streamed(ts)`` is the text a streamed message showed as it grew.

``SlackSender`` signs and sends requests to the app exactly as Slack does: events
as JSON, slash commands as form bodies, interactivity as ``payload=<url-encoded
JSON>``, each with ``X-Slack-Request-Timestamp`` and ``X-Slack-Signature``
(``v0=`` + HMAC-SHA256 of ``v0:{timestamp}:{body}``).

The bot token sent in ``Authorization`` is never recorded.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import threading
import time
import urllib.error
import urllib.request
from collections import defaultdict, deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from tests.utils.block_kit import message_problems, view_problems

TEAM_ID = "T0TEAM"
BOT_USER_ID = "U0BOT"
BOT_ID = "B0BOT"


@dataclass(frozen=True)
class Call:
    """One Web API call as the emulator received it."""

    method: str  # e.g. "chat.postMessage"
    body: dict
    status: int  # the HTTP status the emulator answered with
    at: float  # time.monotonic() when received
    problems: tuple[str, ...] = ()  # why Slack would refuse it (empty: accepted)


class SlackEmulator:
    """The Slack Web API on 127.0.0.1; use as a context manager."""

    def __init__(self, *, users: dict[str, str] | None = None):
        self.users: dict[str, str] = dict(users or {})  # user id -> email, for users.info
        self.calls: list[Call] = []
        self.allow_rejections = False  # a test that provokes invalid_blocks on purpose sets this
        self._scripts: dict[str, deque] = defaultdict(deque)
        self._streams: dict[str, dict] = {}  # ts of a streamed message -> its channel, state and text
        self._ts = itertools.count(1)
        self._lock = threading.Condition()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._server.request_queue_size = 1024
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        """What the app's ``WebClient(base_url=...)`` / ``SLACK_API_URL`` should be."""
        return f"http://127.0.0.1:{self._server.server_address[1]}/api/"

    @property
    def root(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def response_url(self, name: str = "r") -> str:
        """A ``response_url`` for a payload; what the app posts there is recorded as ``response_url``."""
        return f"{self.root}/response/{name}"

    def __enter__(self) -> SlackEmulator:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()

    def script(self, method: str, *responses: dict) -> None:
        """Queue the next answers to ``method``: ``{"status": 429, "headers": {"Retry-After": "1"}}``,
        ``{"status": 500}``, or a JSON body such as ``{"ok": False, "error": "channel_not_found"}``."""
        with self._lock:
            self._scripts[method].extend(responses)

    def calls_to(self, method: str) -> list[dict]:
        """Bodies of the calls to ``method`` that succeeded (HTTP 200), in order."""
        with self._lock:
            return [c.body for c in self.calls if c.method == method and c.status == 200 and not c.problems]

    def rejected(self) -> list[Call]:
        """Calls Slack would refuse (invalid blocks, chunks or arguments; a stream call out of turn), in order."""
        with self._lock:
            return [c for c in self.calls if c.problems]

    def wait_for(self, method: str, count: int = 1, timeout: float = 10.0) -> list[dict]:
        """Block until ``method`` succeeded ``count`` times; return those bodies (fails the test on timeout)."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                bodies = [c.body for c in self.calls if c.method == method and c.status == 200 and not c.problems]
                remaining = deadline - time.monotonic()
                if len(bodies) >= count or remaining <= 0:
                    break
                self._lock.wait(remaining)
        refused = [f"{c.method}: {'; '.join(c.problems)}" for c in self.rejected()]
        assert len(bodies) >= count, (f"expected {count} {method} call(s), got {len(bodies)}: {self.methods()}"
                                      + (f"; refused as invalid_blocks: {refused}" if refused else ""))
        return bodies

    def methods(self) -> list[str]:
        with self._lock:
            return [c.method for c in self.calls]

    def next_ts(self) -> str:
        with self._lock:
            return f"1700000000.{next(self._ts):06d}"

    def _record(self, call: Call) -> None:
        with self._lock:
            self.calls.append(call)
            self._lock.notify_all()

    def _scripted(self, method: str) -> dict | None:
        with self._lock:
            queue = self._scripts.get(method)
            return queue.popleft() if queue else None

    def stream_error(self, method: str, body: dict) -> dict | None:
        """Slack's answer to a stream call out of turn: appending to or stopping a message that is not
        streaming (never started, or stopped already) is ``message_not_in_streaming_state``."""
        if method not in ("chat.appendStream", "chat.stopStream"):
            return None
        with self._lock:
            stream = self._streams.get(body.get("ts"))
            if stream is None or stream["channel"] != body.get("channel"):
                return {"ok": False, "error": "message_not_in_streaming_state"}
            if not stream["open"]:
                return {"ok": False, "error": "message_not_in_streaming_state"}
        return None

    def streamed(self, ts: str) -> str:
        """Everything the streamed message ``ts`` showed as it grew: its markdown text, in order."""
        with self._lock:
            return "".join(self._streams[ts]["text"])

    def streams(self) -> list[dict]:
        """Each stream started: ``{"ts", "channel", "thread_ts", "open", "text", "chunks"}`` in order."""
        with self._lock:
            return [{"ts": ts, **{k: v for k, v in s.items() if k != "text"}, "text": "".join(s["text"])}
                    for ts, s in self._streams.items()]

    def _track_stream(self, method: str, body: dict, payload: dict) -> None:
        if not payload.get("ok") or method not in ("chat.startStream", "chat.appendStream", "chat.stopStream"):
            return
        with self._lock:
            if method == "chat.startStream":
                self._streams[payload["ts"]] = {"channel": body.get("channel"), "thread_ts": body.get("thread_ts"),
                                                "open": True, "text": [], "chunks": []}
            stream = self._streams.get(payload.get("ts") if method == "chat.startStream" else body.get("ts"))
            if stream is None:  # a scripted answer to a stream never started
                return
            if body.get("markdown_text"):
                stream["text"].append(body["markdown_text"])
            for chunk in body.get("chunks") or []:
                stream["chunks"].append(chunk)
                if chunk.get("type") == "markdown_text":
                    stream["text"].append(chunk["text"])
            if method == "chat.stopStream":
                stream["open"] = False

    def answer(self, method: str, body: dict) -> dict:
        """The default success answer for ``method``, shaped like Slack's."""
        if method == "auth.test":
            return {"ok": True, "url": "https://example.invalid/", "team": "Test", "user": "stagecoach",
                    "team_id": TEAM_ID, "user_id": BOT_USER_ID, "bot_id": BOT_ID}
        if method in ("chat.postMessage", "chat.startStream"):
            return {"ok": True, "channel": body.get("channel"), "ts": self.next_ts(),
                    "message": {"text": body.get("text"), "bot_id": BOT_ID}}
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": self.next_ts()}
        if method in ("chat.update", "chat.appendStream", "chat.stopStream"):
            return {"ok": True, "channel": body.get("channel"), "ts": body.get("ts")}
        if method == "users.info":
            email = self.users.get(body.get("user", ""))
            if email is None:
                return {"ok": False, "error": "user_not_found"}
            return {"ok": True, "user": {"id": body["user"], "is_bot": False, "profile": {"email": email}}}
        if method == "conversations.replies":  # Bolt's assistant looks for its first reply's metadata: none here
            return {"ok": True, "messages": [], "has_more": False}
        if method == "conversations.open":
            return {"ok": True, "channel": {"id": "D" + str(body.get("users", "X")).split(",")[0].lstrip("UW")}}
        if method == "files.getUploadURLExternal":
            file_id = f"F{next(self._ts):06d}"
            return {"ok": True, "upload_url": f"{self.root}/upload/{file_id}", "file_id": file_id}
        if method == "files.completeUploadExternal":
            return {"ok": True, "files": [{"id": f["id"], "title": f.get("title")} for f in _files(body)]}
        if method in ("views.publish", "views.open", "views.update", "views.push"):
            return {"ok": True, "view": {"id": f"V{next(self._ts)}", **(body.get("view") or {})}}
        return {"ok": True}

    def _handler_class(self):
        emulator = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *_args) -> None:  # keep test output quiet
                pass

            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                self._handle(b"")

            def do_POST(self) -> None:  # noqa: N802
                self._handle(self.rfile.read(int(self.headers.get("Content-Length") or 0)))

            def _handle(self, raw: bytes) -> None:
                split = urlsplit(self.path)
                method = split.path.rsplit("/", 1)[-1]
                if split.path.startswith("/response/"):
                    method, body = "response_url", {**json.loads(raw or b"{}"), "_to": method}
                elif split.path.startswith("/upload/"):
                    method, body = "file.upload", {"file_id": method, "bytes": len(raw)}
                else:
                    body = _parse_body(raw, self.headers.get("Content-Type", ""))
                    body.update(dict(parse_qsl(split.query)))
                scripted = emulator._scripted(method)
                status, headers, payload = 200, {}, None
                if scripted is not None and "status" in scripted:
                    status, headers = scripted["status"], scripted.get("headers", {})
                    payload = {"ok": False, "error": "ratelimited" if status == 429 else "internal_error"}
                elif scripted is not None:
                    payload = scripted
                problems = () if scripted is not None else tuple(block_problems(method, body))
                if problems:
                    status = 400 if method == "response_url" else status
                    payload = {"ok": False, "error": _error_for(method, problems), "errors": list(problems)}
                refused = None if payload is not None else emulator.stream_error(method, body)
                if payload is None and method not in KNOWN_METHODS:  # Slack has no such method
                    refused = {"ok": False, "error": "unknown_method"}
                if refused is not None:  # a call out of turn is refused, and listed by rejected() as well
                    payload, problems = refused, (refused["error"],)
                if payload is None:
                    payload = emulator.answer(method, body)
                emulator._track_stream(method, body, payload)
                emulator._record(Call(method, body, status, time.monotonic(), problems))
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

        return Handler


def _parse_body(raw: bytes, content_type: str) -> dict:
    """slack_sdk sends JSON for block-carrying methods and form fields for the rest."""
    if not raw:
        return {}
    text = raw.decode()
    if "json" in content_type:
        return json.loads(text)
    fields = dict(parse_qsl(text, keep_blank_values=True))
    for key in ("blocks", "view", "prompts", "chunks"):  # form-encoded methods send these as JSON strings
        if isinstance(fields.get(key), str) and fields[key][:1] in "[{":
            fields[key] = json.loads(fields[key])
    return fields


_MESSAGE_METHODS = ("chat.postMessage", "chat.postEphemeral", "chat.update", "chat.scheduleMessage",
                    "chat.stopStream", "response_url")
_STREAM_METHODS = ("chat.startStream", "chat.appendStream", "chat.stopStream")
# What this stand-in implements; a call to anything else is refused as Slack refuses it (unknown_method), so no
# test passes on a method the app invented. response_url and file.upload are the two non-API endpoints.
KNOWN_METHODS = frozenset({
    "auth.test", "apps.connections.open", "users.info", "conversations.open", "conversations.replies",
    "chat.postMessage", "chat.postEphemeral", "chat.update", "chat.delete", "chat.scheduleMessage", *_STREAM_METHODS,
    "views.publish", "views.open", "views.update", "views.push",
    "assistant.threads.setStatus", "assistant.threads.setSuggestedPrompts", "assistant.threads.setTitle",
    "files.getUploadURLExternal", "files.completeUploadExternal", "file.upload", "response_url"})
MARKDOWN_TEXT = 12_000  # chat.*Stream: markdown_text, and each markdown_text chunk's text
MAX_LOADING_MESSAGES = 10
TASK_STATUSES = ("pending", "in_progress", "complete", "error")
TASK_DISPLAY_MODES = ("timeline", "plan")


def _error_for(method: str, problems: tuple[str, ...]) -> str:
    """The error Slack names for what ``problems`` found in a call to ``method``."""
    if any(p.startswith("only_one_table_allowed") for p in problems):
        return "invalid_attachments"
    if method.startswith("assistant."):
        return "invalid_arguments"
    if method in _STREAM_METHODS:
        if any(p.startswith("msg_too_long") for p in problems):
            return "msg_too_long"
        if any(p.startswith("chunks") for p in problems):
            return "invalid_chunks"
        if any(p.startswith("blocks") for p in problems):
            return "invalid_blocks"
        return "invalid_arguments"
    return "invalid_blocks"
_VIEW_METHODS = ("views.open", "views.publish", "views.update", "views.push")


MAX_SUGGESTED_PROMPTS = 4


def block_problems(method: str, body: dict) -> list[str]:
    """Why Slack would refuse this call (empty when it would not): blocks and views as Slack checks them,
    and suggested prompts (at most four, each with a title and a message)."""
    if method == "assistant.threads.setSuggestedPrompts":
        return prompt_problems(body)
    if method == "assistant.threads.setStatus":
        return status_problems(body)
    if method in _STREAM_METHODS:
        return stream_problems(method, body)
    if method in _MESSAGE_METHODS and "blocks" in body:
        return message_problems(body["blocks"])
    if method in _VIEW_METHODS:
        return view_problems(body.get("view"))
    if method == "response_url" and body.get("response_action") == "update":
        return view_problems(body.get("view"))
    return []


def prompt_problems(body: dict) -> list[str]:
    """What Slack would refuse in ``assistant.threads.setSuggestedPrompts`` (its reference: channel_id and
    prompts required, up to four prompts, each with a title and a message)."""
    prompts, found = body.get("prompts"), []
    if not body.get("channel_id"):
        found.append("channel_id missing")
    if not isinstance(prompts, list) or not 1 <= len(prompts) <= MAX_SUGGESTED_PROMPTS:
        return found + [f"prompts must be 1 to {MAX_SUGGESTED_PROMPTS} prompts"]
    for i, prompt in enumerate(prompts):
        if not isinstance(prompt, dict) or not prompt.get("title") or not prompt.get("message"):
            found.append(f"prompts[{i}] needs a title and a message")
    return found


def status_problems(body: dict) -> list[str]:
    """``assistant.threads.setStatus`` as its reference has it: channel_id, thread_ts and status required (an
    empty status clears it), loading_messages at most 10 strings."""
    found = [f"{key} missing" for key in ("channel_id", "thread_ts") if not body.get(key)]
    if not isinstance(body.get("status"), str):
        found.append("status missing")
    loading = body.get("loading_messages")
    if loading is not None and (not isinstance(loading, list) or len(loading) > MAX_LOADING_MESSAGES
                                or not all(isinstance(m, str) and m for m in loading)):
        found.append(f"loading_messages must be at most {MAX_LOADING_MESSAGES} non-empty strings")
    return found


def stream_problems(method: str, body: dict) -> list[str]:
    """``chat.startStream`` / ``appendStream`` / ``stopStream`` as their reference has them: channel required
    (and ts after the start); a stream replies to a message (thread_ts), and outside a DM it names its recipient
    (recipient_user_id and recipient_team_id); markdown_text at most 12,000 characters; chunks of the four
    documented kinds; appendStream carries text or chunks; stopStream's blocks are a message's blocks."""
    found = [] if body.get("channel") else ["channel missing"]
    channel = str(body.get("channel") or "")
    if method == "chat.startStream":
        if not body.get("thread_ts"):
            found.append("thread_ts missing: a stream replies to a user's message")
        if not channel.startswith("D") and not (body.get("recipient_user_id") and body.get("recipient_team_id")):
            found.append("recipient_user_id and recipient_team_id are required when streaming to channels")
        if body.get("task_display_mode", "timeline") not in TASK_DISPLAY_MODES:
            found.append(f"task_display_mode must be one of {TASK_DISPLAY_MODES}")
    elif not body.get("ts"):
        found.append("ts missing")
    if method == "chat.appendStream" and not body.get("markdown_text") and not body.get("chunks"):
        found.append("markdown_text missing")
    if len(body.get("markdown_text") or "") > MARKDOWN_TEXT:
        found.append(f"msg_too_long: markdown_text longer than {MARKDOWN_TEXT}")
    found += chunk_problems(body.get("chunks"))
    if method == "chat.stopStream" and body.get("blocks") is not None:
        found += [f"blocks: {p}" for p in message_problems(body["blocks"])]
    return found


def chunk_problems(chunks) -> list[str]:
    """Streaming chunks: markdown_text (text, at most 12,000), plan_update (title), task_update (id, title and a
    status of pending, in_progress, complete or error), blocks (a message's blocks)."""
    if chunks is None:
        return []
    if not isinstance(chunks, list):
        return ["chunks is not an array"]
    found = []
    for i, chunk in enumerate(chunks):
        kind = chunk.get("type") if isinstance(chunk, dict) else None
        if kind == "markdown_text":
            if not isinstance(chunk.get("text"), str) or not chunk["text"]:
                found.append(f"chunks[{i}]: markdown_text without text")
            elif len(chunk["text"]) > MARKDOWN_TEXT:
                found.append(f"msg_too_long: chunks[{i}] text longer than {MARKDOWN_TEXT}")
        elif kind == "plan_update":
            if not isinstance(chunk.get("title"), str) or not chunk["title"]:
                found.append(f"chunks[{i}]: plan_update without title")
        elif kind == "task_update":
            if not chunk.get("id") or not chunk.get("title"):
                found.append(f"chunks[{i}]: task_update needs an id and a title")
            if chunk.get("status") not in TASK_STATUSES:
                found.append(f"chunks[{i}]: task_update status must be one of {TASK_STATUSES}")
        elif kind == "blocks":
            found += [f"chunks[{i}]: {p}" for p in message_problems(chunk.get("blocks"))]
        else:
            found.append(f"chunks[{i}]: unknown chunk type {kind!r}")
    return found


def _files(body: dict) -> list[dict]:
    files = body.get("files") or []
    return json.loads(files) if isinstance(files, str) else files


def feedback_click(blocks: list[dict], *, helpful: bool) -> dict:
    """The ``actions[0]`` Slack sends when 👍 (``helpful``) or 👎 of the feedback buttons in ``blocks`` is
    clicked: the element's type and action_id, its block's id, and the clicked button's text and value."""
    block = next(b for b in blocks if b.get("type") == "context_actions")
    element = next(e for e in block["elements"] if e.get("type") == "feedback_buttons")
    half = element["positive_button" if helpful else "negative_button"]
    return {"type": "feedback_buttons", "action_id": element["action_id"], "block_id": block["block_id"],
            "text": half["text"], "value": half["value"], "action_ts": f"{time.time():.6f}"}


# ---------------------------------------------------------------- the other side: signed requests to the app

def sign(secret: str, body: str, timestamp: int | None = None) -> dict[str, str]:
    """Slack's signing headers for ``body``."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"}


@dataclass(frozen=True)
class Reply:
    status: int
    body: str
    seconds: float  # how long the app took to answer (the ack latency)

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


class SlackSender:
    """Sends signed requests to the app's ``/slack/events`` endpoint, in Slack's payload shapes."""

    _event_ids = itertools.count(1)

    def __init__(self, url: str, signing_secret: str, team_id: str = TEAM_ID,
                 response_url: str = "http://127.0.0.1:9/unused"):
        self.url = url
        self.secret = signing_secret
        self.team_id = team_id
        self.response_url = response_url  # where the app's ``respond()`` goes (``SlackEmulator.response_url()``)

    def post(self, body: str, content_type: str, *, headers: dict[str, str] | None = None,
             timestamp: int | None = None, secret: str | None = None) -> Reply:
        """POST ``body`` signed with ``secret`` (default: the right one) at ``timestamp`` (default: now)."""
        all_headers = {"Content-Type": content_type, **sign(secret or self.secret, body, timestamp), **(headers or {})}
        request = urllib.request.Request(self.url, data=body.encode(), headers=all_headers, method="POST")
        start = time.perf_counter()
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return Reply(response.status, response.read().decode(), time.perf_counter() - start)
        except urllib.error.HTTPError as error:
            return Reply(error.code, error.read().decode(), time.perf_counter() - start)

    def event(self, event: dict, *, event_id: str | None = None, retry_num: int | None = None, **kwargs) -> Reply:
        """An Events API ``event_callback``; ``retry_num`` adds Slack's retry headers."""
        body = json.dumps(self.event_body(event, event_id=event_id))
        headers = {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": "http_timeout"} if retry_num else {}
        return self.post(body, "application/json", headers=headers, **kwargs)

    def event_body(self, event: dict, *, event_id: str | None = None) -> dict:
        return {
            "token": "legacy-unused", "team_id": self.team_id, "api_app_id": "A0APP", "type": "event_callback",
            "event": {"event_ts": event.get("ts", "1700000000.000001"), **event},
            "event_id": event_id or f"Ev{next(self._event_ids):08d}", "event_time": int(time.time()),
            "authorizations": [{"team_id": self.team_id, "user_id": BOT_USER_ID, "is_bot": True}],
        }

    def command(self, command: str, text: str, *, user_id: str, channel_id: str = "C0GENERAL", **kwargs) -> Reply:
        """A slash command, form-encoded as Slack sends it."""
        form = {
            "token": "legacy-unused", "team_id": self.team_id, "team_domain": "test", "channel_id": channel_id,
            "channel_name": "general", "user_id": user_id, "user_name": user_id.lower(), "command": command,
            "text": text, "api_app_id": "A0APP", "response_url": self.response_url,
            "trigger_id": "1337.42.abcd",
        }
        return self.post(urlencode(form), "application/x-www-form-urlencoded", **kwargs)

    def interactive(self, payload: dict, **kwargs) -> Reply:
        """Block actions, view submissions and the like: ``payload=<url-encoded JSON>``."""
        return self.post(urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded", **kwargs)

    def block_action(self, *, user_id: str, action_id: str, value: str, channel_id: str = "D0DM",
                     message_ts: str = "1700000000.000001", block_id: str = "b", thread_ts: str | None = None,
                     message_blocks: list[dict] | None = None, action: dict | None = None, **kwargs) -> Reply:
        """A click on a button; ``action`` replaces the button's action (e.g. a feedback buttons click)."""
        container = {"type": "message", "message_ts": message_ts, "channel_id": channel_id}
        message = {"ts": message_ts, "text": "answer", "blocks": message_blocks or []}
        if thread_ts:
            container["thread_ts"] = message["thread_ts"] = thread_ts
        payload = {
            "type": "block_actions", "team": {"id": self.team_id}, "user": {"id": user_id, "team_id": self.team_id},
            "api_app_id": "A0APP", "token": "legacy-unused", "trigger_id": "1337.42.abcd",
            "container": container, "channel": {"id": channel_id}, "message": message,
            "response_url": self.response_url,
            "actions": [action or {"type": "button", "action_id": action_id, "block_id": block_id, "value": value,
                                   "action_ts": str(time.time())}],
        }
        return self.interactive(payload, **kwargs)

    def view_submission(self, *, user_id: str, callback_id: str, private_metadata: str,
                        values: dict[str, dict[str, dict]], **kwargs) -> Reply:
        """``values`` is Slack's ``state.values``: block id -> action id -> element state."""
        payload = {
            "type": "view_submission", "team": {"id": self.team_id}, "user": {"id": user_id, "team_id": self.team_id},
            "api_app_id": "A0APP", "token": "legacy-unused", "trigger_id": "1337.42.abcd",
            "view": {"id": "V0VIEW", "type": "modal", "callback_id": callback_id, "private_metadata": private_metadata,
                     "state": {"values": values}, "hash": "1.abc"},
        }
        return self.interactive(payload, **kwargs)
