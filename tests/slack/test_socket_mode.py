"""``stagecoach run`` in Socket Mode, against a local stand-in for Slack's WebSocket endpoint.

``apps.connections.open`` (on the Web API emulator) hands the app a ``ws://127.0.0.1`` URL; the
stand-in there speaks just enough WebSocket (RFC 6455) to say hello, deliver one event in its
envelope and read the app's acknowledgement, the way Slack's Socket Mode does.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import socket
import struct
import subprocess
import threading

from tests.conftest import SMALL_PROCESS
from tests.slack.test_run import _stop
from tests.slack.waiting import wait_until
from tests.utils import clock_shift
from tests.utils.slack_emulator import SlackEmulator, SlackSender

_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


class FakeSocketMode:
    """One WebSocket connection at a time on 127.0.0.1; records what the app sends."""

    def __init__(self, envelopes: list[dict]):
        self.envelopes = envelopes
        self.received: list[dict] = []
        self.connected = threading.Event()
        self._server = socket.create_server(("127.0.0.1", 0))
        self._thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self._server.getsockname()[1]}/link"

    def __enter__(self) -> FakeSocketMode:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.close()

    def _serve(self) -> None:
        try:
            conn, _ = self._server.accept()
        except OSError:
            return
        with conn:
            request = b""
            while b"\r\n\r\n" not in request:
                request += conn.recv(4096)
            key = next(line.split(":", 1)[1].strip() for line in request.decode().split("\r\n")
                       if line.lower().startswith("sec-websocket-key:"))
            accept = base64.b64encode(hashlib.sha1((key + _GUID).encode()).digest()).decode()
            conn.sendall(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                          f"Sec-WebSocket-Accept: {accept}\r\n\r\n").encode())
            self.connected.set()
            self._send(conn, {"type": "hello", "num_connections": 1, "debug_info": {"host": "local"},
                              "connection_info": {"app_id": "A0APP"}})
            for envelope in self.envelopes:
                self._send(conn, envelope)
            try:
                while True:
                    opcode, payload = self._frame(conn)
                    if opcode == 0x1:
                        self.received.append(json.loads(payload))
                    elif opcode == 0x9:
                        conn.sendall(bytes([0x8A, len(payload)]) + payload)
                    elif opcode == 0x8:
                        return
            except (OSError, ConnectionError):
                return

    @staticmethod
    def _send(conn: socket.socket, message: dict) -> None:
        data = json.dumps(message).encode()
        if len(data) < 126:
            header = bytes([0x81, len(data)])
        elif len(data) < 65536:
            header = bytes([0x81, 126]) + struct.pack("!H", len(data))
        else:
            header = bytes([0x81, 127]) + struct.pack("!Q", len(data))
        conn.sendall(header + data)

    @staticmethod
    def _frame(conn: socket.socket) -> tuple[int, bytes]:
        def read(n: int) -> bytes:
            data = b""
            while len(data) < n:
                chunk = conn.recv(n - len(data))
                if not chunk:
                    raise ConnectionError("closed")
                data += chunk
            return data

        first, second = read(2)
        length = second & 0x7F
        if length == 126:
            length = struct.unpack("!H", read(2))[0]
        elif length == 127:
            length = struct.unpack("!Q", read(8))[0]
        mask = read(4) if second & 0x80 else b"\0\0\0\0"
        payload = bytes(b ^ mask[i % 4] for i, b in enumerate(read(length)))
        return first & 0x0F, payload


def test_socket_mode_connects_acknowledges_an_event_and_answers_it(settings, floor):
    event = {"type": "message", "channel_type": "im", "channel": "D0SOCKET", "user": floor.alice.slack_user_id,
             "text": "what should I do next on Globex?", "ts": "1700009000.0"}
    envelope = {"envelope_id": "env-1", "type": "events_api", "accepts_response_payload": False, "retry_attempt": 0,
                "payload": SlackSender("http://unused", "unused").event_body(event, event_id="EvSOCKET1")}
    with SlackEmulator() as emulator, FakeSocketMode([envelope]) as slack_socket:
        emulator.script("apps.connections.open", {"ok": True, "url": slack_socket.url})
        env = {**os.environ, "SLACK_BOT_TOKEN": "xoxb-test", "SLACK_APP_TOKEN": "xapp-test",
               "SLACK_API_URL": emulator.base_url, "STAGECOACH_DATABASE_URL": settings.resolved_database_url,
               "STAGECOACH_PROCESS_FILE": str(SMALL_PROCESS)}
        env.pop("SLACK_SIGNING_SECRET", None)
        process = subprocess.Popen(clock_shift.command("run", "--no-digest"), env=env, cwd=clock_shift.REPO,
                                   stderr=subprocess.PIPE, start_new_session=True)
        try:
            assert slack_socket.connected.wait(90), emulator.methods()
            # The first question loads the embedding model in the app process: over 90 s at load 13 on 2 cores.
            [answer] = emulator.wait_for("chat.postMessage", timeout=300)
            wait_until(emulator, lambda: any(r.get("envelope_id") == "env-1" for r in slack_socket.received), 30,
                       "the envelope's acknowledgement")
        finally:
            _stop(process)
    assert answer["channel"] == "D0SOCKET" and "Globex platform rollout" in answer["text"]
    assert emulator.methods()[:2] == ["auth.test", "apps.connections.open"]
