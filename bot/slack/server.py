"""HTTP mode: Slack's endpoint and a health check, on a threaded WSGI server, in one or several processes.

``POST /slack/events`` goes to Bolt (which verifies the signature and answers 401
otherwise); ``GET /healthz`` answers ``ok``. Several workers share one listening
socket, opened before the workers fork, so the kernel spreads connections
across them; each worker builds its own app, database engine and coach.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import threading
from collections.abc import Callable, Iterable
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler

from bot.slack.priority import ACKS

logger = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
BACKLOG = 1024  # Slack sends bursts; queued connections wait instead of being refused


def wsgi_app(app: App, routes: dict[str, Callable] | None = None) -> Callable:
    """The WSGI application: Bolt on ``/slack/events``, ``ok`` on ``/healthz``, ``routes`` (path -> WSGI
    handler: HubSpot's webhooks), 404 elsewhere."""
    bolt = SlackRequestHandler(app, path=EVENTS_PATH)
    routes = routes or {}

    def application(environ: dict, start_response: Callable) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == HEALTH_PATH and environ.get("REQUEST_METHOD") in ("GET", "HEAD"):
            start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", "2")])
            return [b"ok"]
        if (route := routes.get(environ.get("PATH_INFO", ""))) is not None:
            return route(environ, start_response)
        with ACKS.acknowledging():
            return bolt(environ, start_response)

    return application


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    request_queue_size = BACKLOG


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args) -> None:  # noqa: A002 (http.server's name)
        logger.debug("%s %s", self.address_string(), format % args)


def listen(host: str, port: int) -> socket.socket:
    """The listening socket every worker serves (port 0 picks a free one).

    Non-blocking: every worker wakes when a connection arrives and one wins it; a
    blocking ``accept`` would leave the others stuck there, deaf to shutdown.
    """
    sock = socket.create_server((host, port), backlog=BACKLOG)
    sock.setblocking(False)
    return sock


class SlackHttpServer:
    """One process's server on an already listening socket; ``serve_forever`` blocks, ``shutdown`` stops it."""

    def __init__(self, app: App, sock: socket.socket, routes: dict[str, Callable] | None = None):
        self._server = _ThreadingWSGIServer(sock.getsockname()[:2], _QuietHandler, bind_and_activate=False)
        self._server.socket.close()  # the one TCPServer made for itself; we serve the shared one
        self._server.socket = sock
        host, port = sock.getsockname()[:2]
        self._server.server_name, self._server.server_port = host, port
        self._server.setup_environ()
        self._server.set_app(wsgi_app(app, routes))
        self.url = f"http://{host}:{port}"

    def serve_forever(self) -> None:
        self._server.serve_forever(poll_interval=0.2)

    def shutdown(self) -> None:
        self._server.shutdown()


def serve(make_app: Callable[[], App], sock: socket.socket, *, workers: int = 1,
          in_parent: Callable[[], None] | None = None, routes: dict[str, Callable] | None = None) -> None:
    """Serve until interrupted: in this process with one worker, else in ``workers`` forked processes.

    ``make_app`` runs in each worker after the fork, so no worker shares a database
    connection or thread with another. ``in_parent`` runs once, after the fork (the
    digest scheduler), and nothing else runs in the parent but waiting.
    """
    if workers <= 1:
        server = SlackHttpServer(make_app(), sock, routes)
        if in_parent:
            in_parent()
        _stop_on_term(server.shutdown)
        server.serve_forever()
        return
    children = []
    for _ in range(workers):
        pid = os.fork()
        if pid == 0:  # the worker: serve until told to stop, then leave without running the parent's cleanup
            code = 0
            try:
                server = SlackHttpServer(make_app(), sock, routes)
                _stop_on_term(server.shutdown)
                server.serve_forever()
            except BaseException:
                logger.exception("worker %d stopped on an error", os.getpid())
                code = 1
            finally:
                os._exit(code)
        children.append(pid)
    logger.warning("serving %s with %d workers: %s", sock.getsockname(), workers, ", ".join(map(str, children)))
    if in_parent:
        in_parent()
    stopping = threading.Event()

    def stop(*_args) -> None:
        stopping.set()
        for child in children:
            with contextlib.suppress(ProcessLookupError):  # already gone
                os.kill(child, signal.SIGTERM)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for child in children:
        while True:
            try:
                os.waitpid(child, 0)
                break
            except ChildProcessError:
                break
            except InterruptedError:
                continue
    if not stopping.is_set():
        logger.error("every worker has stopped")


def _stop_on_term(shutdown: Callable[[], None]) -> None:
    """SIGTERM stops serving cleanly (shutdown must run off the serving thread)."""
    if threading.current_thread() is not threading.main_thread():
        return

    def on_term(*_args) -> None:
        threading.Thread(target=shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, on_term)
