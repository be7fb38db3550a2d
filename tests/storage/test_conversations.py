"""Conversation memory under concurrency: first turns saved at the same moment in one place lose nothing."""

from __future__ import annotations

import threading

from storage import conversations
from tests.utils import factories as f
from tests.utils.factories import NOW


def test_first_turns_saved_at_once_in_one_place_are_all_kept(runtime):
    with runtime.session() as s:
        rep_id = f.rep(s, "Alice Rep").id
    start = threading.Barrier(3)
    failures: list[BaseException] = []

    def save(n: int) -> None:
        try:
            with runtime.session() as s:
                start.wait()  # all three find no conversation yet, as three events arriving together do
                conversations.save_turn(session=s, key="D123:", rep_id=rep_id, deal_id=None, intent="help",
                                        question=f"question {n}", answer=f"answer {n}", now=NOW)
        except BaseException as exc:  # noqa: BLE001  (reported below, with the thread's error)
            failures.append(exc)

    threads = [threading.Thread(target=save, args=(n,)) for n in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert failures == []
    with runtime.session() as s:
        history = conversations.turns(conversations.load_conversation(session=s, key="D123:", rep_id=rep_id))
    assert sorted(turn["text"] for turn in history if turn["role"] == "user") == [
        "question 0", "question 1", "question 2"]
