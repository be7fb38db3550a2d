"""One end-to-end answer with the coach ``stagecoach run`` builds: the local embedding model and the index."""

import pytest

from tests.slack.harness import SECRET, running_app, slack_runtime
from tests.utils.slack_emulator import SlackEmulator, SlackSender

pytestmark = pytest.mark.model


def test_a_methodology_question_is_answered_from_the_index_with_sources(runtime, floor):
    # The app builds Coach.from_runtime on the first question.
    with SlackEmulator() as emulator, running_app(slack_runtime(runtime, emulator), coach=None) as url:
        sender = SlackSender(f"{url}/slack/events", SECRET)
        reply = sender.event({"type": "message", "channel_type": "im", "channel": "D0ALICE",
                              "user": floor.alice.slack_user_id, "ts": "1700005000.0",
                              "text": "How should I handle a buyer who says our price is too high?"})
        assert (reply.status, reply.body) == (200, "")
        assert "chat.postMessage" not in emulator.methods()  # acknowledged before the answer (the model loads after)
        [post] = emulator.wait_for("chat.postMessage", timeout=120)
    sources = [b for b in post["blocks"] if b["type"] == "context" and "Sources" in b["elements"][0]["text"]]
    assert sources and "objection" in sources[0]["elements"][0]["text"].lower()  # passages on the question's topic
    assert post["text"] and post["channel"] == "D0ALICE"
