"""``stagecoach run`` in HTTP mode: real worker processes behind one port."""

import os
import signal
import socket
import subprocess
import time
import urllib.request
from datetime import timedelta

from click.testing import CliRunner

from bot.cli import main
from storage import digest as digest_store
from storage.timeutil import SystemClock
from tests.conftest import SMALL_PROCESS
from tests.slack.harness import SECRET
from tests.slack.waiting import wait_until
from tests.utils import clock_shift
from tests.utils import factories as f
from tests.utils.slack_emulator import SlackEmulator, SlackSender


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_healthy(url: str, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stderr.read().decode()
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise AssertionError("stagecoach run never became healthy")


def _channels(emulator: SlackEmulator) -> list[str]:
    return [b["channel"] for b in emulator.calls_to("chat.postMessage")]


def _stop(process: subprocess.Popen) -> None:
    """SIGTERM, as a container runtime sends it: every process of the app must be gone within seconds."""
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        raise AssertionError("stagecoach run did not stop on SIGTERM") from None


def test_several_workers_on_the_embedded_index_are_refused_with_a_clear_message(monkeypatch):
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", SECRET)
    result = CliRunner().invoke(main, ["run", "--workers", "3"])
    assert result.exit_code == 1
    assert "STAGECOACH_CHROMA_URL" in result.output and "--workers 1" in result.output


def test_http_mode_without_a_signing_secret_is_refused(monkeypatch):
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")
    result = CliRunner().invoke(main, ["run"])
    assert result.exit_code == 1 and "SLACK_SIGNING_SECRET" in result.output


def test_http_mode_with_two_workers_serves_health_verifies_signatures_and_answers_once(settings, floor):
    port = _free_port()
    with SlackEmulator() as emulator:
        env = {**os.environ, "SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": SECRET,
               "SLACK_API_URL": emulator.base_url, "STAGECOACH_DATABASE_URL": settings.resolved_database_url,
               "STAGECOACH_PROCESS_FILE": str(SMALL_PROCESS), "STAGECOACH_CHROMA_URL": "http://127.0.0.1:9"}
        process = subprocess.Popen(clock_shift.command("run", "--host", "127.0.0.1", "--port", str(port),
                                                       "--workers", "2", "--no-digest"),
                                   env=env, cwd=clock_shift.REPO, stderr=subprocess.PIPE, start_new_session=True)
        try:
            url = f"http://127.0.0.1:{port}"
            _wait_healthy(url, process)
            sender = SlackSender(f"{url}/slack/events", SECRET)
            home = {"type": "app_home_opened", "user": floor.alice.slack_user_id, "channel": "D0A", "tab": "home"}
            assert sender.event(home, secret="wrong").status == 401
            replies = [sender.event(home, event_id="EvHOME", retry_num=n or None) for n in range(6)]
            assert [r.status for r in replies] == [200] * 6
            emulator.wait_for("views.publish", timeout=20)
            assert sender.event({**home, "channel": "D0B"}, event_id="EvCONTROL").status == 200  # a new event
            published = emulator.wait_for("views.publish", 2, timeout=20)  # is answered after the six copies,
            assert len(emulator.calls_to("views.publish")) == 2, published  # which were answered once
            workers = subprocess.run(["pgrep", "-P", str(process.pid)], capture_output=True, text=True).stdout.split()
            assert len(workers) == 2
        finally:
            _stop(process)


def test_run_sends_the_due_digests_from_its_in_process_scheduler(runtime, settings, floor):
    with runtime.session() as s:  # overdue on the clock the app runs on: the system's
        f.followup(s, floor.globex, SystemClock().now() - timedelta(days=1), note="Overdue on the system clock")
    port = _free_port()
    with SlackEmulator() as emulator:
        env = {**os.environ, "SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": SECRET,
               "SLACK_API_URL": emulator.base_url, "STAGECOACH_DATABASE_URL": settings.resolved_database_url,
               "STAGECOACH_PROCESS_FILE": str(SMALL_PROCESS), "STAGECOACH_DIGEST_HOUR": "0",
               "STAGECOACH_DIGEST_DAYS": "mon,tue,wed,thu,fri,sat,sun"}  # everyone is due, whatever the clock says
        process = subprocess.Popen(clock_shift.command("run", "--host", "127.0.0.1", "--port", str(port)), env=env,
                                   cwd=clock_shift.REPO, stderr=subprocess.PIPE, start_new_session=True)
        try:
            _wait_healthy(f"http://127.0.0.1:{port}", process)
            wait_until(emulator, lambda: floor.alice.slack_user_id in _channels(emulator), 60, "Alice's digest")
        finally:
            _stop(process)
        channels = _channels(emulator)
    # Alice's overdue follow-up: one digest a day. The app runs on the system clock, so a run that crosses
    # midnight may rightly send a second one for the new day; never two for one day.
    with runtime.session() as s:
        alice_days = [d.local_date for d in digest_store.deliveries(session=s, rep_ids=[floor.alice.id])
                      if d.status == "sent"]
    assert 1 <= channels.count(floor.alice.slack_user_id) == len(alice_days) == len(set(alice_days)), (
        channels, alice_days)
